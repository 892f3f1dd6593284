// Every setting of the module, declared once in `Settings.options`: one row
// per key with its key (Dovecot's name where Dovecot has one), its type (which
// decides how a value is read and checked: text, yes/no, seconds within
// bounds, a scheme, a domain, a driver), its default as a file would write it
// and its one-line summary. The parser, the documentation checks and the
// tool read that table; the struct's stored defaults are tested against it.
// Values come from the defaults, then the configuration file, then module
// arguments, all through `Settings.set` (STYLE.md point 6). A bad value is an
// error that names the key; nothing falls back to a weaker default.

/// The database drivers the module is built with.
public enum Driver: String, Sendable, CaseIterable {
  case pgsql
  case sqlite
  /// MariaDB or MySQL, through MariaDB Connector/C.
  case mysql

  /// How this driver's SQL writes a bound parameter.
  public var placeholderStyle: PlaceholderStyle {
    switch self {
    case .pgsql: .numbered
    case .sqlite, .mysql: .positional
    }
  }

  /// Whether a backslash escapes a quote inside '…' (MariaDB's default
  /// sql_mode); PostgreSQL and SQLite follow the standard.
  public var backslashEscapes: Bool { self == .mysql }

  /// Whether "…" is a string (MariaDB's default sql_mode, without
  /// ANSI_QUOTES) rather than a name.
  public var doubleQuotedStrings: Bool { self == .mysql }
}

/// The module's settings. The defaults here are the table's (`Settings.options`;
/// SettingsTableTests checks that they agree).
public struct Settings: Equatable, Sendable {
  public var driver: Driver = .sqlite
  /// A libpq connection string, or the path of an SQLite file.
  public var connect: String? = nil
  public var passwordQuery: String? = nil
  public var accountQuery: String? = nil
  /// The scheme of a stored value that has no `{SCHEME}` prefix and is not
  /// recognisable by its `$id$`.
  public var defaultPassScheme: String = "CRYPT"
  public var defaultDomain: String? = nil
  /// Stores a fresh hash after a login whose stored value uses a weaker
  /// scheme than `upgradeScheme`; binds %w to the new value.
  public var passwordUpdateQuery: String? = nil
  public var upgradeScheme: String? = nil
  /// The scheme a password change (pam_sm_chauthtok) stores the new
  /// password in; upgrade_scheme when not set.
  public var passwordScheme: String? = nil
  public var connectTimeout: Int = 5
  public var queryTimeout: Int = 5
  public var nullok = false
  public var debug = false
  /// Keep a login without `@` as it is (tables of bare names, as pam_mysql
  /// and pam_pgsql setups often have) instead of refusing it.
  public var allowBareLogins = false
  /// Audit queries, run after the answer is decided; they cannot change it.
  public var authSuccessQuery: String? = nil
  public var authFailureQuery: String? = nil
  public var accountSuccessQuery: String? = nil
  public var accountFailureQuery: String? = nil

  public init() {}

  /// The limits of the two timeouts, in seconds.
  public static let timeoutRange = 1...300
}

/// Why a value was refused.
public struct SettingProblem: Error, Equatable, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
}

/// What a setting's value is: how it is read, checked and documented.
public enum SettingType: Equatable, Sendable {
  /// Text (a query, a connection string); empty leaves the key unset.
  case text
  /// yes or no, and the usual spellings (`parseBool`).
  case flag
  /// Whole seconds within the bounds.
  case seconds(ClosedRange<Int>)
  /// A scheme name, kept upper-case; empty leaves the key unset unless it
  /// is required.
  case scheme(required: Bool)
  /// A mail domain (`Login.validateDomain`), kept lower-case; empty unsets.
  case domain
  /// One of `Driver.allCases`.
  case driver
}

/// A value read and checked by its `SettingType`.
public enum SettingValue: Equatable, Sendable {
  case text(String?)
  case flag(Bool)
  case seconds(Int)
  case driver(Driver)
}

/// One row of the options table.
public struct SettingOption: Sendable {
  public let key: String
  public let type: SettingType
  /// The default as a configuration file would write it; nil when the key
  /// is unset by default.
  public let defaultValue: String?
  /// One line for documentation and `--help`-style listings.
  public let summary: String
  /// Stores a value of this row's type; any other kind of value is ignored
  /// (`read` never makes one).
  let store: @Sendable (inout Settings, SettingValue) -> Void

  init(
    _ key: String, _ type: SettingType, default defaultValue: String? = nil, _ summary: String,
    store: @escaping @Sendable (inout Settings, SettingValue) -> Void
  ) {
    self.key = key
    self.type = type
    self.defaultValue = defaultValue
    self.summary = summary
    self.store = store
  }

  /// Reads `value` as this row's type.
  public func read(_ value: String) throws(SettingProblem) -> SettingValue {
    switch type {
    case .text:
      return .text(value.isEmpty ? nil : value)
    case .flag:
      return .flag(try parseBool(value))
    case .seconds(let range):
      guard let seconds = Int(value), range.contains(seconds) else {
        throw SettingProblem(
          "expected a whole number of seconds from \(range.lowerBound) to \(range.upperBound)")
      }
      return .seconds(seconds)
    case .scheme(let required):
      if value.isEmpty && required { throw SettingProblem("it is empty; give a scheme name such as CRYPT") }
      return .text(value.isEmpty ? nil : value.uppercased())
    case .domain:
      if value.isEmpty { return .text(nil) }
      if let problem = Login.validateDomain(value) { throw SettingProblem(problem) }
      return .text(value.lowercased())
    case .driver:
      guard let driver = Driver(rawValue: value) else {
        throw SettingProblem("expected one of: " + Driver.allCases.map { $0.rawValue }.joined(separator: ", "))
      }
      return .driver(driver)
    }
  }
}

extension SettingValue {
  var text: String? {
    if case .text(let text) = self { return text }
    return nil
  }
}

extension Settings {
  /// Applies `value` to the option `key`.
  ///
  /// - Returns: false when the key is unknown (the caller logs and ignores it).
  public mutating func set(_ key: String, to value: String) throws(SettingProblem) -> Bool {
    guard let option = Settings.option(named: key) else { return false }
    option.store(&self, try option.read(value))
    return true
  }

  public static func option(named key: String) -> SettingOption? {
    options.first { $0.key == key }
  }

  /// The options table, sorted by key: one row per key.
  public static let options: [SettingOption] = [
    SettingOption(
      "account_failure_query", .text,
      "Optional statement run after account management refused a login (%{reason} says why)."
    ) { $0.accountFailureQuery = $1.text },
    SettingOption(
      "account_query", .text,
      "Optional query whose row decides account management by its columns active, expired and password_expired."
    ) { $0.accountQuery = $1.text },
    SettingOption(
      "account_success_query", .text, "Optional statement run after account management allowed a login."
    ) { $0.accountSuccessQuery = $1.text },
    SettingOption(
      "allow_bare_logins", .flag, default: "no",
      "Keep a login without @domain as it is when default_domain is not set (default no: refuse it)."
    ) { if case .flag(let on) = $1 { $0.allowBareLogins = on } },
    SettingOption(
      "auth_failure_query", .text,
      "Optional statement run after a failed authentication, e.g. an audit INSERT (%{reason} says why)."
    ) { $0.authFailureQuery = $1.text },
    SettingOption(
      "auth_success_query", .text, "Optional statement run after a successful authentication, e.g. an audit INSERT."
    ) { $0.authSuccessQuery = $1.text },
    SettingOption(
      "connect", .text,
      "For pgsql a libpq connection string (it must name user=); for mysql host=, port=, socket=, user=, "
        + "password=, dbname=, ssl_* or option_file=; for sqlite the database file."
    ) { $0.connect = $1.text },
    SettingOption(
      "connect_timeout", .seconds(Settings.timeoutRange), default: "5",
      "Seconds a connection attempt may take before the login is answered PAM_AUTHINFO_UNAVAIL (default 5)."
    ) { if case .seconds(let seconds) = $1 { $0.connectTimeout = seconds } },
    SettingOption(
      "debug", .flag, default: "no", "Log each step of a login (never a password or a hash): yes or no."
    ) { if case .flag(let on) = $1 { $0.debug = on } },
    SettingOption(
      "default_domain", .domain,
      "Domain appended to a login that has none (saslauthd without -r passes bare names)."
    ) { $0.defaultDomain = $1.text },
    SettingOption(
      "default_pass_scheme", .scheme(required: true), default: "CRYPT",
      "Scheme of stored values without a {SCHEME} prefix (default CRYPT: crypt(3) strings)."
    ) { if let scheme = $1.text { $0.defaultPassScheme = scheme } },
    SettingOption(
      "driver", .driver, default: "sqlite", "The database: pgsql, mysql (MariaDB or MySQL) or sqlite (default sqlite)."
    ) { if case .driver(let driver) = $1 { $0.driver = driver } },
    SettingOption(
      "nullok", .flag, default: "no", "Allow an empty password to be checked against the stored hash (default no)."
    ) { if case .flag(let on) = $1 { $0.nullok = on } },
    SettingOption(
      "password_query", .text, "Query returning the stored hash in a column named password (or its first column)."
    ) { $0.passwordQuery = $1.text },
    SettingOption(
      "password_scheme", .scheme(required: false),
      "The scheme a password change (passwd, pamtester chauthtok) stores new passwords in (default: upgrade_scheme)."
    ) { $0.passwordScheme = $1.text },
    SettingOption(
      "password_update_query", .text,
      "Optional UPDATE that stores %w, a fresh hash: after a login with a scheme weaker than "
        + "upgrade_scheme, and for a password change."
    ) { $0.passwordUpdateQuery = $1.text },
    SettingOption(
      "query_timeout", .seconds(Settings.timeoutRange), default: "5",
      "Seconds a query may take before the login is answered PAM_AUTHINFO_UNAVAIL (default 5)."
    ) { if case .seconds(let seconds) = $1 { $0.queryTimeout = seconds } },
    SettingOption(
      "upgrade_scheme", .scheme(required: false),
      "The scheme password_update_query rehashes weaker stored values into, e.g. ARGON2ID."
    ) { $0.upgradeScheme = $1.text },
  ]
}

/// `yes`/`no` and the usual spellings; anything else is an error.
public func parseBool(_ value: String) throws(SettingProblem) -> Bool {
  switch value.lowercased() {
  case "yes", "true", "on", "1": return true
  case "no", "false", "off", "0": return false
  default: throw SettingProblem("expected yes or no")
  }
}
