// Compiles an administrator's query, written with Dovecot's variables
// (`SELECT password FROM users WHERE username = '%n' AND domain = '%d'`, or
// Dovecot 2.4's `'%{user | username}'`), into SQL with placeholders plus the
// list of values to bind. A login is never spliced into SQL text: a variable
// becomes `$1…` (PostgreSQL) or `?` (SQLite, MariaDB), quotes around a lone
// variable are dropped, and a quoted literal that holds variables among its
// text (`'/var/vmail/%d/%n' AS userdb_home`) becomes one parameter whose value
// is the literal's text with the values in place. So a Dovecot
// `password_query` can be pasted unchanged. The one thing spliced is the PAM
// service name where it chooses a column (`"enable%Ls"`, iRedMail's
// `enable%Ls`), and only a name of a-z, 0-9 and _ (checked per request,
// see `CompiledQuery.statement(for:)`). The scanner (TemplateScanner) knows
// SQL's quoting ('…' with '' doubling, E'…' with backslashes, "…" and
// MySQL's `…` names, -- and /* */ comments, which are copied as they are).

/// How the driver writes a placeholder.
public enum PlaceholderStyle: Sendable {
  /// `$1`, `$2`, … (libpq); a parameter used twice reuses its number.
  case numbered
  /// `?` (SQLite, MariaDB); one value per occurrence.
  case positional
}

/// Which Dovecot's variable syntax a template is written in.
public enum QuerySyntax: Equatable, Sendable {
  /// dovecot-sql.conf.ext (Dovecot 2.3 and older): `%u`, `%Lu`, `%{user}`,
  /// `%L{user}`, and `%%` for a literal `%`. Dovecot 2.4's `%{user | lower}`
  /// expressions are read as well.
  case dovecot23
  /// dovecot.conf of Dovecot 2.4: only `%{…}` is a variable, `%%{` is a
  /// literal `%{`, and any other `%` is itself.
  case dovecot24
}

/// A piece of compiled SQL.
public enum SQLSegment: Equatable, Sendable {
  case text(String)
  /// The PAM service name (or %c, always empty under PAM), with its
  /// filters, spliced into a name (a column that depends on the service);
  /// `spelling` is how the template wrote it.
  case serviceName(QueryValue, spelling: String)
}

/// A template turned into SQL text and the values to bind, in order.
public struct CompiledQuery: Equatable, Sendable {
  public let segments: [SQLSegment]
  public let parameters: [QueryParameter]

  public init(segments: [SQLSegment], parameters: [QueryParameter]) {
    self.segments = segments
    self.parameters = parameters
  }

  /// The SQL text. Where the service name is spliced, it shows the
  /// template's spelling (`enable%Ls`); `statement(for:)` gives the text
  /// that is sent.
  public var sql: String {
    var text = ""
    for segment in segments {
      switch segment {
      case .text(let piece): text += piece
      case .serviceName(_, let spelling): text += spelling
      }
    }
    return text
  }

  /// Whether the SQL depends on the PAM service (a spliced column name).
  public var splicesServiceName: Bool {
    segments.contains { if case .serviceName = $0 { return true } else { return false } }
  }

  /// Every variable the parameters bind.
  public var variables: [QueryVariable] { parameters.flatMap { $0.variables } }

  /// The values to bind for one request, in placeholder order.
  public func values(for context: QueryContext) -> [String] {
    parameters.map { context.value(of: $0) }
  }

  /// The SQL text and the values for one request. The service name is
  /// spliced only when, filters applied, it is made of a-z, 0-9 and _;
  /// otherwise the query cannot run (a configuration error that names the
  /// service). Each driver prepares a statement once per SQL text, so a
  /// query that splices is prepared once per service name.
  public func statement(for context: QueryContext) throws(AuthFailure) -> (sql: String, values: [String]) {
    guard splicesServiceName else { return (sql, values(for: context)) }
    var text = ""
    for segment in segments {
      switch segment {
      case .text(let piece): text += piece
      case .serviceName(let value, let spelling):
        let name = context.value(of: value)
        // The service must give a name; %c is empty under PAM.
        guard CompiledQuery.isSpliceable(name) || (value.variable != .service && name.isEmpty) else {
          throw .misconfigured(
            "\(spelling) puts the PAM service name into a column name, which only a name of a-z, 0-9 and _ "
              + "may do; the service is '\(LogText.printable(name))'")
        }
        text += name
      }
    }
    return (text, values(for: context))
  }

  /// A name of one or more of a-z, 0-9 and _.
  public static func isSpliceable(_ name: String) -> Bool {
    !name.isEmpty
      && name.utf8.allSatisfy { ($0 >= ascii("a") && $0 <= ascii("z")) || isDigit($0) || $0 == ascii("_") }
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

  /// A parameter's value: its pieces joined.
  public func value(of parameter: QueryParameter) -> String {
    var result = ""
    for piece in parameter.pieces {
      switch piece {
      case .text(let text): result += text
      case .value(let value): result += self.value(of: value)
      }
    }
    return result
  }

  /// A variable's value with its filters applied, in order.
  public func value(of value: QueryValue) -> String {
    var result = self.value(of: value.variable)
    for filter in value.filters { result = filter.apply(result) }
    return result
  }

  func value(of variable: QueryVariable) -> String {
    switch variable {
    case .user: login.full
    case .username: login.localPart
    case .domain: login.domain
    case .domainFirst: login.domainFirst
    case .service: service
    case .remoteHost: remoteHost
    case .newHash: newHash
    case .reason: reason
    case .pid: pid
    case .hostname: hostname
    case .notKnownToPAM(_, let value): value
    }
  }
}

public enum QueryTemplate {
  /// Compiles `template` for a driver's placeholder style.
  ///
  /// - Parameters:
  ///   - syntax: Dovecot 2.3's variables (pam_swiftsql.conf,
  ///     dovecot-sql.conf.ext) or Dovecot 2.4's (a dovecot.conf).
  ///   - backslashEscapes: whether `\` escapes a quote inside '…'
  ///     (MariaDB's default); PostgreSQL and SQLite follow the standard.
  ///   - doubleQuotedStrings: whether "…" is a string like '…' (MariaDB's
  ///     default) rather than a name (the standard; MariaDB names are `…`).
  ///   - allowsNewHash: whether `%w` may be used (password_update_query).
  ///   - allowsReason: whether `%{reason}` may be used (audit queries).
  public static func compile(
    _ template: String, style: PlaceholderStyle, syntax: QuerySyntax = .dovecot23, backslashEscapes: Bool = false,
    doubleQuotedStrings: Bool = false, allowsNewHash: Bool = false, allowsReason: Bool = false
  ) throws(TemplateError) -> CompiledQuery {
    var scanner = TemplateScanner(
      bytes: Array(template.utf8), style: style, syntax: syntax, backslashEscapes: backslashEscapes,
      doubleQuotedStrings: doubleQuotedStrings, allowsNewHash: allowsNewHash, allowsReason: allowsReason)
    return try scanner.run()
  }
}
