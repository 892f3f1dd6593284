// Why a query template cannot be compiled: one case per mistake, each with
// the byte offset where it starts and a sentence that says what to write
// instead.

/// Why a template cannot be compiled. `offset` counts bytes from the start.
public enum TemplateError: Error, Equatable, Sendable {
  case unknownVariable(String, offset: Int)
  /// A name Dovecot knows that this module refuses, and why.
  case variableNotAvailable(String, reason: String, offset: Int)
  /// A Dovecot 2.3 modifier (`%M`, `%E`, width `%1n`) or a Dovecot 2.4
  /// filter (`| md5`) this module does not apply.
  case unsupportedModifier(String, offset: Int)
  case unsupportedFilter(String, offset: Int)
  /// A `%{…}` expression that is not `name | filter | filter(…)`.
  case badExpression(String, offset: Int)
  case unterminatedVariable(offset: Int)
  case variableInsideIdentifier(offset: Int)
  /// A backslash escape in a literal that also holds variables.
  case escapeInsideTextWithVariables(offset: Int)
  case unterminatedQuote(offset: Int)
  case unterminatedComment(offset: Int)
  case literalPlaceholder(String, offset: Int)
  case newHashNotAllowed(offset: Int)
  case reasonNotAllowed(offset: Int)
  case digitAfterVariable(offset: Int)
  case empty

  /// Where the mistake starts, when it has a place.
  public var offset: Int? {
    switch self {
    case .unknownVariable(_, let offset), .variableNotAvailable(_, _, let offset), .unsupportedModifier(_, let offset),
      .unsupportedFilter(_, let offset), .badExpression(_, let offset), .unterminatedVariable(let offset),
      .variableInsideIdentifier(let offset), .escapeInsideTextWithVariables(let offset),
      .unterminatedQuote(let offset), .unterminatedComment(let offset), .literalPlaceholder(_, let offset),
      .newHashNotAllowed(let offset), .reasonNotAllowed(let offset), .digitAfterVariable(let offset):
      return offset
    case .empty:
      return nil
    }
  }

  public var reason: String {
    switch self {
    case .unknownVariable(let name, let offset):
      "unknown variable '\(name)' at byte \(offset); use %u %n %d %s %r (or %{user} %{user | username} "
        + "%{user | domain} %{protocol} %{remote_ip}), and %% for a literal %"
    case .variableNotAvailable(let name, let why, let offset):
      "'\(name)' at byte \(offset) cannot be used: \(why)"
    case .unsupportedModifier(let modifier, let offset):
      "the modifier \(modifier) at byte \(offset) is not supported; pam_swiftsql applies L (lower case), "
        + "U (upper case) and T (trim), e.g. %Lu"
    case .unsupportedFilter(let filter, let offset):
      "the filter '\(filter)' at byte \(offset) is not supported; pam_swiftsql applies lower, upper, username, "
        + "domain and default(…), e.g. %{user | domain | lower}"
    case .badExpression(let problem, let offset):
      "the variable at byte \(offset) is not 'name | filter | …': \(problem)"
    case .unterminatedVariable(let offset): "'%{' at byte \(offset) has no closing '}'"
    case .variableInsideIdentifier(let offset):
      "the variable at byte \(offset) is part of a name (a column or table); only the PAM service (%s, %Ls, "
        + "%{protocol}) may choose a column, e.g. \"enable%Ls\" (and %c, empty under PAM); other variables stand "
        + "for values only"
    case .escapeInsideTextWithVariables(let offset):
      "the backslash at byte \(offset) is an escape inside a quoted string that also holds variables; "
        + "write that string without backslash escapes (or concatenate it in SQL)"
    case .unterminatedQuote(let offset): "the quote opened at byte \(offset) is never closed"
    case .unterminatedComment(let offset): "the comment opened at byte \(offset) is never closed"
    case .literalPlaceholder(let text, let offset):
      "'\(text)' at byte \(offset) is a placeholder; write the variable (%u, %n, %d, …) instead"
    case .newHashNotAllowed(let offset):
      "%w at byte \(offset) is the new stored value, which only password_update_query can use"
    case .reasonNotAllowed(let offset):
      "%{reason} at byte \(offset) is why a login failed, which only the audit queries can use"
    case .digitAfterVariable(let offset):
      "the variable at byte \(offset) is followed by a digit, which the database would read as part of its "
        + "placeholder ($1 then 2 is $12, ? then 2 is ?2); put a space or an operator between them"
    case .empty: "the query is empty"
    }
  }
}
