// Compiles an administrator's query, written with Dovecot's variables
// (`SELECT password FROM users WHERE username = '%n' AND domain = '%d'`),
// into SQL with placeholders plus the list of values to bind. A login is never
// spliced into SQL text: a variable becomes `$1…` (PostgreSQL) or `?` (SQLite,
// MariaDB), and quotes around a lone variable are dropped, so a Dovecot
// `password_query` can be pasted unchanged. The scanner knows SQL's quoting
// ('…' with '' doubling, E'…' with backslashes, "…" identifiers, -- and /* */
// comments) so that it only ever replaces a variable that stands for a value.

/// A value a query can ask for.
public enum QueryVariable: Equatable, Hashable, Sendable {
  /// `%u`, `%{user}`: the whole login, `user@domain`.
  case user
  /// `%n`, `%{username}`: the part before the last `@`.
  case username
  /// `%d`, `%{domain}`: the domain, lower-cased.
  case domain
  /// `%s`, `%{service}`: the PAM service name (`smtp`, `dovecot`, …).
  case service
  /// `%r`, `%{rip}`: the remote host PAM_RHOST gives, or empty.
  case remoteHost
  /// `%w`, `%{new_hash}`: the freshly made stored value, in
  /// password_update_query only. (In Dovecot %w is the plaintext password;
  /// the module never binds a plaintext password.)
  case newHash
  /// `%{reason}`: why the login failed (empty on success), in the audit
  /// queries only.
  case reason
  /// `%{pid}`: the process that ran the query (a saslauthd or Dovecot
  /// worker).
  case pid
  /// `%{hostname}`: this machine's name.
  case hostname

  /// The one-letter (nil for none) and long names, as Dovecot spells them.
  static let names: [(short: Character?, long: String, variable: QueryVariable)] = [
    ("u", "user", .user),
    ("n", "username", .username),
    ("d", "domain", .domain),
    ("s", "service", .service),
    ("r", "rip", .remoteHost),
    ("w", "new_hash", .newHash),
    (nil, "reason", .reason),
    (nil, "pid", .pid),
    (nil, "hostname", .hostname),
  ]
}

/// One bound parameter: a variable, lower-cased when written with Dovecot's
/// `L` modifier (`%Lu`, `%{L:user}` is not Dovecot syntax and is refused).
public struct QueryParameter: Equatable, Hashable, Sendable {
  public let variable: QueryVariable
  public let lowercased: Bool

  public init(_ variable: QueryVariable, lowercased: Bool = false) {
    self.variable = variable
    self.lowercased = lowercased
  }
}

/// How the driver writes a placeholder.
public enum PlaceholderStyle: Sendable {
  /// `$1`, `$2`, … (libpq); a parameter used twice reuses its number.
  case numbered
  /// `?` (SQLite, MariaDB); one value per occurrence.
  case positional
}

/// A template turned into SQL text and the values to bind, in order.
public struct CompiledQuery: Equatable, Sendable {
  public let sql: String
  public let parameters: [QueryParameter]

  /// The values to bind for one request, in placeholder order.
  public func values(for context: QueryContext) -> [String] {
    parameters.map { context.value(of: $0) }
  }
}

/// The values one request binds.
public struct QueryContext: Sendable {
  public let login: Login
  public let service: String
  public let remoteHost: String
  /// The new stored value for password_update_query; empty otherwise.
  public var newHash: String = ""
  /// Why the login failed, for the audit queries; empty on success.
  public var reason: String = ""
  /// The process id and host name, as the PAM glue reads them.
  public var pid: String = ""
  public var hostname: String = ""

  public init(login: Login, service: String, remoteHost: String) {
    self.login = login
    self.service = service
    self.remoteHost = remoteHost
  }

  func value(of parameter: QueryParameter) -> String {
    let value: String
    switch parameter.variable {
    case .user: value = login.full
    case .username: value = login.localPart
    case .domain: value = login.domain
    case .service: value = service
    case .remoteHost: value = remoteHost
    case .newHash: value = newHash
    case .reason: value = reason
    case .pid: value = pid
    case .hostname: value = hostname
    }
    return parameter.lowercased ? value.lowercased() : value
  }
}

/// Why a template cannot be compiled. `offset` counts bytes from the start.
public enum TemplateError: Error, Equatable, Sendable {
  case unknownVariable(String, offset: Int)
  case unterminatedVariable(offset: Int)
  case variableInsideText(offset: Int)
  case variableInsideIdentifier(offset: Int)
  case unterminatedQuote(offset: Int)
  case unterminatedComment(offset: Int)
  case literalPlaceholder(String, offset: Int)
  case newHashNotAllowed(offset: Int)
  case reasonNotAllowed(offset: Int)
  case digitAfterVariable(offset: Int)
  case empty

  public var reason: String {
    switch self {
    case .unknownVariable(let name, let offset):
      "unknown variable '\(name)' at byte \(offset); use %u %n %d %s %r (or %{user} %{username} "
        + "%{domain} %{service} %{rip}), and %% for a literal %"
    case .unterminatedVariable(let offset): "'%{' at byte \(offset) has no closing '}'"
    case .variableInsideText(let offset):
      "the variable at byte \(offset) is inside a quoted string with other text; a value can only "
        + "be bound as a whole: compare with '%u' instead of '%n@%d', or concatenate in SQL"
    case .variableInsideIdentifier(let offset):
      "the variable at byte \(offset) is inside a double-quoted identifier; variables stand for values only"
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

public enum QueryTemplate {
  /// Compiles `template` for a driver's placeholder style.
  ///
  /// - Parameters:
  ///   - backslashEscapes: whether `\` escapes a quote inside '…'
  ///     (MariaDB's default); PostgreSQL and SQLite follow the standard.
  ///   - allowsNewHash: whether `%w` may be used (password_update_query).
  ///   - allowsReason: whether `%{reason}` may be used (audit queries).
  public static func compile(
    _ template: String, style: PlaceholderStyle, backslashEscapes: Bool = false, allowsNewHash: Bool = false,
    allowsReason: Bool = false
  ) throws(TemplateError) -> CompiledQuery {
    var scanner = TemplateScanner(
      bytes: Array(template.utf8), style: style, backslashEscapes: backslashEscapes, allowsNewHash: allowsNewHash,
      allowsReason: allowsReason)
    return try scanner.run()
  }
}

/// The scanner behind `QueryTemplate.compile`; works on UTF-8 bytes (every
/// byte it looks for is ASCII, so multi-byte characters pass through whole).
struct TemplateScanner {
  let bytes: [UInt8]
  let style: PlaceholderStyle
  let backslashEscapes: Bool
  let allowsNewHash: Bool
  let allowsReason: Bool
  var position = 0
  var output: [UInt8] = []
  var parameters: [QueryParameter] = []
  var numbers: [QueryParameter: Int] = [:]
  /// Where the last variable replaced by a placeholder ended: the database
  /// reads a new token there, whatever the template's byte before it was.
  var variableEnd = -1

  init(bytes: [UInt8], style: PlaceholderStyle, backslashEscapes: Bool, allowsNewHash: Bool, allowsReason: Bool) {
    self.bytes = bytes
    self.style = style
    self.backslashEscapes = backslashEscapes
    self.allowsNewHash = allowsNewHash
    self.allowsReason = allowsReason
  }

  mutating func run() throws(TemplateError) -> CompiledQuery {
    if bytes.allSatisfy({ $0 == ascii(" ") || $0 == ascii("\t") || $0 == ascii("\n") || $0 == ascii("\r") }) {
      throw .empty
    }
    while position < bytes.count {
      let byte = bytes[position]
      switch byte {
      case ascii("'"):
        let escapes = backslashEscapes || isEscapeStringPrefix(before: position)
        try singleQuoted(backslashEscapes: escapes)
      case ascii("\""):
        try doubleQuoted()
      case ascii("-") where peek(1) == ascii("-"):
        lineComment()
      case ascii("/") where peek(1) == ascii("*"):
        try blockComment()
      case ascii("%"):
        let start = position
        if let parameter = try variable(end: bytes.count) {
          emitPlaceholder(for: parameter)
          variableEnd = position
          try refuseDigit(afterVariableAt: start)
        } else {
          output.append(ascii("%"))
        }
      case ascii("?") where style == .positional:
        throw .literalPlaceholder("?", offset: position)
      case ascii("$") where style == .numbered && isDigit(peek(1)):
        throw .literalPlaceholder("$" + String(decoding: [bytes[position + 1]], as: UTF8.self), offset: position)
      default:
        output.append(byte)
        position += 1
      }
    }
    return CompiledQuery(sql: String(decoding: output, as: UTF8.self), parameters: parameters)
  }

  /// Reads a variable at `position` (which holds `%`), looking no further
  /// than `end`. Returns nil for `%%`.
  mutating func variable(end: Int) throws(TemplateError) -> QueryParameter? {
    let start = position
    position += 1
    guard position < end else { throw .unknownVariable("%", offset: start) }
    if bytes[position] == ascii("%") {
      position += 1
      return nil
    }
    var lowercased = false
    if bytes[position] == ascii("L") {
      lowercased = true
      position += 1
      guard position < end else { throw .unknownVariable("%L", offset: start) }
    }
    if bytes[position] == ascii("{") {
      guard let close = bytes[position..<end].firstIndex(of: ascii("}")) else {
        throw .unterminatedVariable(offset: start)
      }
      let name = String(decoding: bytes[(position + 1)..<close], as: UTF8.self)
      position = close + 1
      guard let entry = QueryVariable.names.first(where: { $0.long == name }) else {
        throw .unknownVariable("%" + (lowercased ? "L" : "") + "{" + name + "}", offset: start)
      }
      return try permitted(QueryParameter(entry.variable, lowercased: lowercased), at: start)
    }
    let letter = Character(Unicode.Scalar(bytes[position]))
    position += 1
    guard let entry = QueryVariable.names.first(where: { $0.short == letter }) else {
      let shown = String(decoding: bytes[start..<min(position, end)], as: UTF8.self)
      throw .unknownVariable(shown, offset: start)
    }
    return try permitted(QueryParameter(entry.variable, lowercased: lowercased), at: start)
  }

  /// `parameter`, unless it is `%w` outside password_update_query.
  func permitted(_ parameter: QueryParameter, at offset: Int) throws(TemplateError) -> QueryParameter {
    if parameter.variable == .newHash && !allowsNewHash { throw .newHashNotAllowed(offset: offset) }
    if parameter.variable == .reason && !allowsReason { throw .reasonNotAllowed(offset: offset) }
    return parameter
  }

  mutating func emitPlaceholder(for parameter: QueryParameter) {
    switch style {
    case .positional:
      parameters.append(parameter)
      output.append(ascii("?"))
    case .numbered:
      let number: Int
      if let existing = numbers[parameter] {
        number = existing
      } else {
        parameters.append(parameter)
        number = parameters.count
        numbers[parameter] = number
      }
      output.append(contentsOf: Array(("$" + String(number)).utf8))
    }
  }

  /// A placeholder followed by a digit would read as another one: `$1`
  /// then `2` is `$12`, and SQLite reads `?2` as parameter 2.
  func refuseDigit(afterVariableAt offset: Int) throws(TemplateError) {
    if position < bytes.count && isDigit(bytes[position]) { throw .digitAfterVariable(offset: offset) }
  }

  /// A '…' literal. If it holds exactly one variable and nothing else, the
  /// whole literal (quotes included) becomes one placeholder. Otherwise it is
  /// copied, with `%%` turned into `%`; any other variable inside is an error.
  mutating func singleQuoted(backslashEscapes: Bool) throws(TemplateError) {
    let open = position
    // Find the closing quote first.
    var end = position + 1
    var closed = false
    while end < bytes.count {
      if backslashEscapes && bytes[end] == ascii("\\") {
        end += 2
        continue
      }
      if bytes[end] == ascii("'") {
        if end + 1 < bytes.count && bytes[end + 1] == ascii("'") {
          end += 2
          continue
        }
        closed = true
        break
      }
      end += 1
    }
    guard closed else { throw .unterminatedQuote(offset: open) }

    // A lone variable: '%u', '%Lu', '%{user}' (and E'%u').
    position = open + 1
    if position + 1 < end && bytes[position] == ascii("%") && bytes[position + 1] != ascii("%") {
      var probe = self
      if let parameter = try probe.variable(end: end), probe.position == end {
        if isEscapeStringPrefix(before: open) { output.removeLast() }
        emitPlaceholder(for: parameter)
        position = end + 1
        variableEnd = position
        try refuseDigit(afterVariableAt: open)
        return
      }
      throw .variableInsideText(offset: position)
    }
    // Ordinary text: copy, resolving %% and refusing variables.
    output.append(ascii("'"))
    while position < end {
      if bytes[position] == ascii("%") {
        if position + 1 < end && bytes[position + 1] == ascii("%") {
          output.append(ascii("%"))
          position += 2
          continue
        }
        // An unknown variable is reported as such; a known one cannot be
        // bound in the middle of a string.
        var probe = self
        _ = try probe.variable(end: end)
        throw .variableInsideText(offset: position)
      }
      output.append(bytes[position])
      position += 1
    }
    output.append(ascii("'"))
    position = end + 1
  }

  /// A "…" identifier: copied; `%%` becomes `%`, a variable is an error.
  mutating func doubleQuoted() throws(TemplateError) {
    let open = position
    output.append(ascii("\""))
    position += 1
    while position < bytes.count {
      let byte = bytes[position]
      if byte == ascii("\"") {
        if peek(1) == ascii("\"") {
          output.append(contentsOf: [byte, byte])
          position += 2
          continue
        }
        output.append(byte)
        position += 1
        return
      }
      if byte == ascii("%") {
        if peek(1) == ascii("%") {
          output.append(ascii("%"))
          position += 2
          continue
        }
        throw .variableInsideIdentifier(offset: position)
      }
      output.append(byte)
      position += 1
    }
    throw .unterminatedQuote(offset: open)
  }

  /// `-- …` to the end of the line: copied as it is.
  mutating func lineComment() {
    while position < bytes.count && bytes[position] != ascii("\n") {
      output.append(bytes[position])
      position += 1
    }
  }

  /// `/* … */`: copied as it is.
  mutating func blockComment() throws(TemplateError) {
    let open = position
    output.append(contentsOf: [ascii("/"), ascii("*")])
    position += 2
    while position + 1 < bytes.count {
      if bytes[position] == ascii("*") && bytes[position + 1] == ascii("/") {
        output.append(contentsOf: [ascii("*"), ascii("/")])
        position += 2
        return
      }
      output.append(bytes[position])
      position += 1
    }
    throw .unterminatedComment(offset: open)
  }

  /// PostgreSQL's E'…' strings treat backslash as an escape. The E starts a
  /// token at the start, after a byte that cannot continue a word, or right
  /// after a variable (`%nE'…'` is `$1E'…'`, where the E is not part of `n`).
  func isEscapeStringPrefix(before index: Int) -> Bool {
    guard index >= 1, bytes[index - 1] == ascii("E") || bytes[index - 1] == ascii("e") else { return false }
    if index == 1 || index - 1 == variableEnd { return true }
    let before = bytes[index - 2]
    return !(isDigit(before) || isLetter(before) || before == ascii("_"))
  }

  func peek(_ ahead: Int) -> UInt8? {
    position + ahead < bytes.count ? bytes[position + ahead] : nil
  }
}

@inline(__always) func ascii(_ scalar: Unicode.Scalar) -> UInt8 { UInt8(truncatingIfNeeded: scalar.value) }

@inline(__always) func isDigit(_ byte: UInt8?) -> Bool {
  guard let byte else { return false }
  return byte >= ascii("0") && byte <= ascii("9")
}

@inline(__always) func isLetter(_ byte: UInt8) -> Bool {
  (byte >= ascii("a") && byte <= ascii("z")) || (byte >= ascii("A") && byte <= ascii("Z"))
}
