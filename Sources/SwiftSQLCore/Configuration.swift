// Turns the configuration file's text and the module arguments from the PAM
// service file into one checked `Configuration`: settings in the order
// defaults → file → arguments, queries compiled into bound parameters, and
// every problem reported with the key and where it was written. The file is
// pam_swiftsql.conf's key = value lines (Dovecot 2.3's dovecot-sql.conf.ext
// syntax), or a Dovecot 2.4 dovecot.conf (DovecotConfig), whose queries use
// Dovecot 2.4's variables. Unknown keys become warnings (logged, then
// ignored), except Dovecot's own keys the module has no use for
// (user_query, iterate_query, …), which are only noted at debug level; a bad
// value is an error, so the module answers PAM_SERVICE_ERR instead of
// running with a setting it did not understand.

/// Module arguments that are not settings.
public struct ModuleArguments: Equatable, Sendable {
  /// The default configuration file.
  public static let defaultConfigPath = "/etc/pam_swiftsql.conf"

  /// `config=PATH`, or the default.
  public let configPath: String
  /// `key=value` and flag arguments, in the order given.
  public let settings: [(key: String, value: String)]
  /// Arguments that are neither: logged and ignored.
  public let unknown: [String]

  /// Flags that PAM's own `pam_get_authtok` reads from the module arguments.
  static let pamFlags: Set<String> = ["use_first_pass", "try_first_pass", "use_authtok"]
  /// Settings that may be written as a bare word, meaning `yes`.
  static let flagSettings: Set<String> = ["debug", "nullok"]

  public init(_ arguments: [String]) {
    var configPath = ModuleArguments.defaultConfigPath
    var settings: [(key: String, value: String)] = []
    var unknown: [String] = []
    for argument in arguments {
      if let equals = argument.firstIndex(of: "=") {
        let key = String(argument[..<equals])
        let value = String(argument[argument.index(after: equals)...])
        if key == "config" {
          configPath = value
        } else {
          settings.append((key, value))
        }
      } else if ModuleArguments.flagSettings.contains(argument) {
        settings.append((argument, "yes"))
      } else if !ModuleArguments.pamFlags.contains(argument) {
        unknown.append(argument)
      }
    }
    self.configPath = configPath
    self.settings = settings
    self.unknown = unknown
  }

  public static func == (lhs: ModuleArguments, rhs: ModuleArguments) -> Bool {
    lhs.configPath == rhs.configPath && lhs.unknown == rhs.unknown
      && lhs.settings.map { $0.key } == rhs.settings.map { $0.key }
      && lhs.settings.map { $0.value } == rhs.settings.map { $0.value }
  }
}

/// A configuration ready for use.
public struct Configuration: Sendable {
  public let settings: Settings
  public let passwordQuery: CompiledQuery
  public let accountQuery: CompiledQuery?
  /// The transparent upgrade, when password_update_query and upgrade_scheme
  /// are set.
  public let upgrade: Upgrade?
  /// The password change (pam_sm_chauthtok), when password_update_query
  /// is set: the scheme new passwords are stored in (password_scheme, else
  /// upgrade_scheme) and the query.
  public let passwordChange: PasswordChange?
  /// The audit statements, by step and outcome.
  public let audit: Audit
  /// Unknown keys and arguments, to be logged once.
  public let warnings: [String]
  /// Settings accepted and not used (Dovecot's userdb keys, …), to be
  /// logged once at debug level.
  public let notes: [String]
  /// The variable syntax the queries were written in.
  public let querySyntax: QuerySyntax

  /// The scheme of the decoy an unknown login is checked against before
  /// any row has been verified (after that, decoys take the shape of the
  /// rows: Decoy.swift): upgrade_scheme (where stored values are headed),
  /// else default_pass_scheme.
  public var decoyScheme: String { upgrade?.scheme ?? settings.defaultPassScheme }

  /// Rehash weaker stored values into `scheme` with `query` after a login.
  public struct Upgrade: Sendable {
    public let scheme: String
    public let query: CompiledQuery
  }

  /// Store a new password, hashed in `scheme`, with `query`.
  public struct PasswordChange: Sendable {
    public let scheme: String
    public let query: CompiledQuery
  }

  /// Why a password cannot be changed with this configuration.
  public static let passwordChangeNotConfigured =
    "password changes need password_update_query (with %w, the new value) and password_scheme or upgrade_scheme"

  /// Dovecot's dovecot-sql.conf.ext keys that a PAM module has no use for:
  /// accepted, noted at debug level, never warned about.
  public static let dovecotKeysNotUsed: [String: String] = [
    "user_query": "it is Dovecot's userdb lookup",
    "iterate_query": "it lists users for doveadm",
    "update_query": "it is Dovecot's credentials update (pam_swiftsql's is password_update_query)",
    "userdb_warning_disable": "it silences a Dovecot userdb warning",
  ]

  /// Statements run after a step's answer is decided.
  public struct Audit: Sendable {
    public let authSuccess: CompiledQuery?
    public let authFailure: CompiledQuery?
    public let accountSuccess: CompiledQuery?
    public let accountFailure: CompiledQuery?

    /// Whether any audit statement is set.
    public var isEmpty: Bool {
      authSuccess == nil && authFailure == nil && accountSuccess == nil && accountFailure == nil
    }
  }
}

/// What is wrong with the configuration, in one line that names the key and
/// the place it was written, and says what is expected.
public struct ConfigurationError: Error, Equatable, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
}

extension Configuration {
  /// Builds the configuration.
  ///
  /// - Parameters:
  ///   - fileText: the configuration file's contents, or nil when there is no
  ///     file (then every required key must come from the arguments).
  ///   - arguments: the module arguments.
  ///   - isKnownScheme: whether the module can verify a scheme name.
  ///   - canGenerateScheme: whether it can make new values in a scheme
  ///     (for upgrade_scheme).
  public static func resolve(
    fileText: String?, arguments: ModuleArguments, isKnownScheme: (String) -> Bool,
    canGenerateScheme: (String) -> Bool = { _ in false }
  ) throws(ConfigurationError) -> Configuration {
    let path = arguments.configPath
    var settings = Settings()
    var warnings: [String] = []
    var notes: [String] = []
    var syntax = QuerySyntax.dovecot23
    /// Where each key was last set, and how it was called there, for errors
    /// found after merging.
    var places: [String: String] = [:]
    var labels: [String: String] = [:]
    func place(of key: String) -> String { places[key] ?? "the defaults" }
    func label(of key: String) -> String { labels[key] ?? key }

    if let fileText {
      var entries: [(key: String, value: String, line: Int, label: String)] = []
      if DovecotConfig.isDovecotConf(fileText) {
        let dovecot = try DovecotConfig.read(fileText, path: path)
        entries = dovecot.settings.map { ($0.key, $0.value, $0.line, $0.label) }
        warnings += dovecot.warnings
        notes += dovecot.notes
        syntax = .dovecot24
      } else {
        do {
          entries = try ConfigFile.parse(fileText).map { ($0.key, $0.value, $0.line, $0.key) }
        } catch {
          throw ConfigurationError("\(path) line \(error.line): \(error.message)")
        }
      }
      var seen: Set<String> = []
      for entry in entries {
        let place = "\(path) line \(entry.line)"
        if !seen.insert(entry.key).inserted {
          warnings.append("\(entry.label) is set more than once in \(path); line \(entry.line) wins")
        }
        do {
          if try settings.set(entry.key, to: entry.value) {
            places[entry.key] = place
            labels[entry.key] = entry.label
          } else if let why = dovecotKeysNotUsed[entry.key] {
            notes.append("\(entry.key) in \(place) is not used: \(why)")
          } else {
            warnings.append("unknown key '\(entry.key)' in \(place) is ignored")
          }
        } catch {
          throw ConfigurationError("\(entry.label) in \(place): \(error.message)")
        }
      }
    }
    for (key, value) in arguments.settings {
      do {
        if try settings.set(key, to: value) {
          places[key] = "the module arguments"
          labels[key] = key
        } else {
          warnings.append("unknown module argument '\(key)=…' is ignored")
        }
      } catch {
        throw ConfigurationError("module argument \(key): \(error.message)")
      }
    }
    for argument in arguments.unknown {
      warnings.append("unknown module argument '\(argument)' is ignored")
    }

    let origin = fileText == nil ? "the module arguments (there is no \(path))" : path
    let dovecot24 = syntax == .dovecot24
    guard settings.connect != nil else {
      throw ConfigurationError(
        "connect is not set in \(origin): "
          + (dovecot24
            ? "give sql_driver and a 'pgsql HOST { … }' or 'mysql HOST { … }' section, or sqlite_path"
            : "give a connection string or a database file"))
    }
    guard let passwordTemplate = settings.passwordQuery else {
      throw ConfigurationError(
        dovecot24
          ? "\(origin) has no SQL passdb query: give 'passdb sql { query = … }', the query that returns the "
            + "stored hash"
          : "password_query is not set in \(origin): give the query that returns the stored hash")
    }
    if !isKnownScheme(settings.defaultPassScheme) {
      throw ConfigurationError(
        "\(label(of: "default_pass_scheme")) in \(place(of: "default_pass_scheme")): "
          + "'\(settings.defaultPassScheme)' is not a scheme this module verifies")
    }

    let compiler = QueryCompiler(driver: settings.driver, syntax: syntax)
    let passwordQuery = try compiler.loginQuery(
      label(of: "password_query"), passwordTemplate, place: place(of: "password_query"))
    var accountQuery: CompiledQuery? = nil
    if let accountTemplate = settings.accountQuery {
      accountQuery = try compiler.loginQuery(
        label(of: "account_query"), accountTemplate, place: place(of: "account_query"))
    }
    let (upgrade, passwordChange) = try resolveUpdates(
      settings, compiler: compiler, place: place, canGenerateScheme: canGenerateScheme)
    func auditQuery(_ key: String, _ template: String?) throws(ConfigurationError) -> CompiledQuery? {
      guard let template else { return nil }
      return try compiler.compile(key, template, place: place(of: key), allowsReason: true)
    }
    let audit = Audit(
      authSuccess: try auditQuery("auth_success_query", settings.authSuccessQuery),
      authFailure: try auditQuery("auth_failure_query", settings.authFailureQuery),
      accountSuccess: try auditQuery("account_success_query", settings.accountSuccessQuery),
      accountFailure: try auditQuery("account_failure_query", settings.accountFailureQuery))
    return Configuration(
      settings: settings, passwordQuery: passwordQuery, accountQuery: accountQuery, upgrade: upgrade,
      passwordChange: passwordChange, audit: audit, warnings: warnings, notes: notes, querySyntax: syntax)
  }

  /// password_update_query, upgrade_scheme and password_scheme: the query
  /// needs a scheme to store new values in (password_scheme for password
  /// changes, upgrade_scheme for upgrades and, without password_scheme,
  /// for changes too); each scheme needs the query, and must be one the
  /// module can make. The query binds the new value (%w) and the login.
  static func resolveUpdates(
    _ settings: Settings, compiler: QueryCompiler, place: (String) -> String, canGenerateScheme: (String) -> Bool
  ) throws(ConfigurationError) -> (Upgrade?, PasswordChange?) {
    guard let template = settings.passwordUpdateQuery else {
      if settings.upgradeScheme != nil {
        throw ConfigurationError(
          "upgrade_scheme in \(place("upgrade_scheme")) needs password_update_query, "
            + "e.g. UPDATE users SET password = '%w' WHERE username = '%n' AND domain = '%d'")
      }
      if settings.passwordScheme != nil {
        throw ConfigurationError(
          "password_scheme in \(place("password_scheme")) is the scheme password changes store; it needs "
            + "password_update_query, e.g. UPDATE users SET password = '%w' WHERE username = '%n' AND domain = '%d'")
      }
      return (nil, nil)
    }
    guard let changeScheme = settings.passwordScheme ?? settings.upgradeScheme else {
      throw ConfigurationError(
        "password_update_query in \(place("password_update_query")) needs upgrade_scheme (to rehash weaker values "
          + "at login) or password_scheme (for password changes only), e.g. upgrade_scheme = ARGON2ID")
    }
    for key in ["upgrade_scheme", "password_scheme"] {
      let scheme = key == "upgrade_scheme" ? settings.upgradeScheme : settings.passwordScheme
      if let scheme, !canGenerateScheme(scheme) {
        throw ConfigurationError(
          "\(key) in \(place(key)): the module cannot make new '\(scheme)' values; "
            + "use e.g. ARGON2ID, BLF-CRYPT or SHA512-CRYPT")
      }
    }
    let query = try compiler.loginQuery(
      "password_update_query", template, place: place("password_update_query"), allowsNewHash: true)
    guard query.variables.contains(.newHash) else {
      throw ConfigurationError(
        "password_update_query in \(place("password_update_query")) does not store %w, the new value")
    }
    let upgrade = settings.upgradeScheme.map { Upgrade(scheme: $0, query: query) }
    return (upgrade, PasswordChange(scheme: changeScheme, query: query))
  }
}

/// Compiles the configured queries in one placeholder style and syntax,
/// with errors that name the key and where it was written.
struct QueryCompiler {
  let driver: Driver
  let syntax: QuerySyntax

  func compile(
    _ key: String, _ template: String, place: String, allowsNewHash: Bool = false, allowsReason: Bool = false
  ) throws(ConfigurationError) -> CompiledQuery {
    do {
      return try QueryTemplate.compile(
        template, style: driver.placeholderStyle, syntax: syntax, backslashEscapes: driver.backslashEscapes,
        doubleQuotedStrings: driver.doubleQuotedStrings, allowsNewHash: allowsNewHash, allowsReason: allowsReason)
    } catch {
      throw ConfigurationError("\(key) in \(place): \(error.reason)")
    }
  }

  /// Compiles a query that looks up one login. It must bind the login
  /// (%u, or %n): a query without it would return the same row for every
  /// login, and with a one-row table every login would share one password.
  func loginQuery(
    _ key: String, _ template: String, place: String, allowsNewHash: Bool = false
  ) throws(ConfigurationError) -> CompiledQuery {
    let query = try compile(key, template, place: place, allowsNewHash: allowsNewHash)
    let variables = query.variables
    guard variables.contains(.user) || variables.contains(.username) else {
      throw ConfigurationError(
        "\(key) in \(place) does not use the login (%u, or %n with %d), so it would return the same row "
          + "for every login; is part of it commented out?")
    }
    return query
  }
}
