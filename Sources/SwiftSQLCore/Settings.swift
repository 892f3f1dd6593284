// Every setting of the module, declared once in `Settings.options`: its key
// (Dovecot's name where Dovecot has one), what it means, and the setter that
// checks a value. Defaults come from the struct, then the configuration file,
// then module arguments, all through that same setter (STYLE.md point 6).
// A bad value is an error that names the key; nothing falls back to a weaker
// default.

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

/// The module's settings. The defaults here are the documented ones.
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

/// One entry of the options table.
public struct SettingOption: Sendable {
  public let key: String
  /// One line for documentation and `--help`-style listings.
  public let summary: String
  let apply: @Sendable (inout Settings, String) throws(SettingProblem) -> Void
}

extension Settings {
  /// Applies `value` to the option `key`.
  ///
  /// - Returns: false when the key is unknown (the caller logs and ignores it).
  public mutating func set(_ key: String, to value: String) throws(SettingProblem) -> Bool {
    guard let option = Settings.option(named: key) else { return false }
    try option.apply(&self, value)
    return true
  }

  public static func option(named key: String) -> SettingOption? {
    options.first { $0.key == key }
  }

  /// The options table, sorted by key.
  public static let options: [SettingOption] = [
    SettingOption(
      key: "account_failure_query",
      summary: "Optional statement run after account management refused a login (%{reason} says why)."
    ) { (settings: inout Settings, value: String) throws(SettingProblem) in
      settings.accountFailureQuery = value.isEmpty ? nil : value
    },
    SettingOption(
      key: "account_query",
      summary: "Optional query whose row decides account management by its columns "
        + "active, expired and password_expired."
    ) { (settings: inout Settings, value: String) throws(SettingProblem) in
      settings.accountQuery = value.isEmpty ? nil : value
    },
    SettingOption(
      key: "account_success_query",
      summary: "Optional statement run after account management allowed a login."
    ) { (settings: inout Settings, value: String) throws(SettingProblem) in
      settings.accountSuccessQuery = value.isEmpty ? nil : value
    },
    SettingOption(
      key: "allow_bare_logins",
      summary: "Keep a login without @domain as it is when default_domain is not set (default no: refuse it)."
    ) { (settings: inout Settings, value: String) throws(SettingProblem) in
      settings.allowBareLogins = try parseBool(value)
    },
    SettingOption(
      key: "auth_failure_query",
      summary: "Optional statement run after a failed authentication, e.g. an audit INSERT (%{reason} says why)."
    ) { (settings: inout Settings, value: String) throws(SettingProblem) in
      settings.authFailureQuery = value.isEmpty ? nil : value
    },
    SettingOption(
      key: "auth_success_query",
      summary: "Optional statement run after a successful authentication, e.g. an audit INSERT."
    ) { (settings: inout Settings, value: String) throws(SettingProblem) in
      settings.authSuccessQuery = value.isEmpty ? nil : value
    },
    SettingOption(
      key: "connect",
      summary:
        "For pgsql a libpq connection string (it must name user=); for mysql host=, port=, socket=, user=, "
        + "password=, dbname=, ssl_* or option_file=; for sqlite the database file."
    ) { (settings: inout Settings, value: String) throws(SettingProblem) in
      settings.connect = value.isEmpty ? nil : value
    },
    SettingOption(
      key: "connect_timeout",
      summary: "Seconds a connection attempt may take before the login is answered PAM_AUTHINFO_UNAVAIL (default 5)."
    ) { (settings: inout Settings, value: String) throws(SettingProblem) in
      settings.connectTimeout = try parseSeconds(value)
    },
    SettingOption(
      key: "debug",
      summary: "Log each step of a login (never a password or a hash): yes or no."
    ) { (settings: inout Settings, value: String) throws(SettingProblem) in
      settings.debug = try parseBool(value)
    },
    SettingOption(
      key: "default_domain",
      summary: "Domain appended to a login that has none (saslauthd without -r passes bare names)."
    ) { (settings: inout Settings, value: String) throws(SettingProblem) in
      if value.isEmpty {
        settings.defaultDomain = nil
        return
      }
      if let problem = Login.validateDomain(value) { throw SettingProblem(problem) }
      settings.defaultDomain = value.lowercased()
    },
    SettingOption(
      key: "default_pass_scheme",
      summary: "Scheme of stored values without a {SCHEME} prefix (default CRYPT: crypt(3) strings)."
    ) { (settings: inout Settings, value: String) throws(SettingProblem) in
      guard !value.isEmpty else { throw SettingProblem("it is empty; give a scheme name such as CRYPT") }
      settings.defaultPassScheme = value.uppercased()
    },
    SettingOption(
      key: "driver",
      summary: "The database: pgsql, mysql (MariaDB or MySQL) or sqlite (default sqlite)."
    ) { (settings: inout Settings, value: String) throws(SettingProblem) in
      guard let driver = Driver(rawValue: value) else {
        throw SettingProblem("expected one of: " + Driver.allCases.map { $0.rawValue }.joined(separator: ", "))
      }
      settings.driver = driver
    },
    SettingOption(
      key: "nullok",
      summary: "Allow an empty password to be checked against the stored hash (default no)."
    ) { (settings: inout Settings, value: String) throws(SettingProblem) in
      settings.nullok = try parseBool(value)
    },
    SettingOption(
      key: "password_query",
      summary: "Query returning the stored hash in a column named password (or its first column)."
    ) { (settings: inout Settings, value: String) throws(SettingProblem) in
      settings.passwordQuery = value.isEmpty ? nil : value
    },
    SettingOption(
      key: "password_scheme",
      summary: "The scheme a password change (passwd, pamtester chauthtok) stores new passwords in "
        + "(default: upgrade_scheme)."
    ) { (settings: inout Settings, value: String) throws(SettingProblem) in
      settings.passwordScheme = value.isEmpty ? nil : value.uppercased()
    },
    SettingOption(
      key: "password_update_query",
      summary: "Optional UPDATE that stores %w, a fresh hash: after a login with a scheme weaker than "
        + "upgrade_scheme, and for a password change."
    ) { (settings: inout Settings, value: String) throws(SettingProblem) in
      settings.passwordUpdateQuery = value.isEmpty ? nil : value
    },
    SettingOption(
      key: "query_timeout",
      summary: "Seconds a query may take before the login is answered PAM_AUTHINFO_UNAVAIL (default 5)."
    ) { (settings: inout Settings, value: String) throws(SettingProblem) in
      settings.queryTimeout = try parseSeconds(value)
    },
    SettingOption(
      key: "upgrade_scheme",
      summary: "The scheme password_update_query rehashes weaker stored values into, e.g. ARGON2ID."
    ) { (settings: inout Settings, value: String) throws(SettingProblem) in
      settings.upgradeScheme = value.isEmpty ? nil : value.uppercased()
    },
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

/// Whole seconds within `Settings.timeoutRange`.
func parseSeconds(_ value: String) throws(SettingProblem) -> Int {
  let range = Settings.timeoutRange
  guard let seconds = Int(value), range.contains(seconds) else {
    throw SettingProblem(
      "expected a whole number of seconds from \(range.lowerBound) to \(range.upperBound)")
  }
  return seconds
}
