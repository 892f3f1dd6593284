// Turns the configuration file's text and the module arguments from the PAM
// service file into one checked `Configuration`: settings in the order
// defaults → file → arguments, queries compiled into bound parameters, and
// every problem reported with the key and where it was written. Unknown keys
// become warnings (logged, then ignored); a bad value is an error, so the
// module answers PAM_SERVICE_ERR instead of running with a setting it did
// not understand.

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
  /// The audit statements, by step and outcome.
  public let audit: Audit
  /// Unknown keys and arguments, to be logged once.
  public let warnings: [String]

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
    /// Where each key was last set, for errors found after merging.
    var places: [String: String] = [:]
    func place(of key: String) -> String { places[key] ?? "the defaults" }

    if let fileText {
      let entries: [ConfigEntry]
      do {
        entries = try ConfigFile.parse(fileText)
      } catch {
        throw ConfigurationError("\(path) line \(error.line): \(error.message)")
      }
      var seen: Set<String> = []
      for entry in entries {
        let place = "\(path) line \(entry.line)"
        if !seen.insert(entry.key).inserted {
          warnings.append("\(entry.key) is set more than once in \(path); line \(entry.line) wins")
        }
        do {
          if try settings.set(entry.key, to: entry.value) {
            places[entry.key] = place
          } else {
            warnings.append("unknown key '\(entry.key)' in \(place) is ignored")
          }
        } catch {
          throw ConfigurationError("\(entry.key) in \(place): \(error.message)")
        }
      }
    }
    for (key, value) in arguments.settings {
      do {
        if try settings.set(key, to: value) {
          places[key] = "the module arguments"
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
    guard settings.connect != nil else {
      throw ConfigurationError("connect is not set in \(origin): give a connection string or a database file")
    }
    guard let passwordTemplate = settings.passwordQuery else {
      throw ConfigurationError(
        "password_query is not set in \(origin): give the query that returns the stored hash")
    }
    if !isKnownScheme(settings.defaultPassScheme) {
      throw ConfigurationError(
        "default_pass_scheme in \(place(of: "default_pass_scheme")): '\(settings.defaultPassScheme)' "
          + "is not a scheme this module verifies")
    }

    let style = settings.driver.placeholderStyle
    let escapes = settings.driver.backslashEscapes
    let passwordQuery = try compileLoginQuery(
      "password_query", passwordTemplate, style: style, backslashEscapes: escapes, place: place(of: "password_query"))
    var accountQuery: CompiledQuery? = nil
    if let accountTemplate = settings.accountQuery {
      accountQuery = try compileLoginQuery(
        "account_query", accountTemplate, style: style, backslashEscapes: escapes, place: place(of: "account_query"))
    }
    let upgrade = try resolveUpgrade(settings, place: place, canGenerateScheme: canGenerateScheme)
    func auditQuery(_ key: String, _ template: String?) throws(ConfigurationError) -> CompiledQuery? {
      guard let template else { return nil }
      do {
        return try QueryTemplate.compile(template, style: style, backslashEscapes: escapes, allowsReason: true)
      } catch {
        throw ConfigurationError("\(key) in \(place(of: key)): \(error.reason)")
      }
    }
    let audit = Audit(
      authSuccess: try auditQuery("auth_success_query", settings.authSuccessQuery),
      authFailure: try auditQuery("auth_failure_query", settings.authFailureQuery),
      accountSuccess: try auditQuery("account_success_query", settings.accountSuccessQuery),
      accountFailure: try auditQuery("account_failure_query", settings.accountFailureQuery))
    return Configuration(
      settings: settings, passwordQuery: passwordQuery, accountQuery: accountQuery, upgrade: upgrade, audit: audit,
      warnings: warnings)
  }

  /// password_update_query and upgrade_scheme: both or neither; the query
  /// binds the new value (%w) and the login; the scheme is one the module
  /// can make.
  static func resolveUpgrade(
    _ settings: Settings, place: (String) -> String, canGenerateScheme: (String) -> Bool
  ) throws(ConfigurationError) -> Upgrade? {
    switch (settings.passwordUpdateQuery, settings.upgradeScheme) {
    case (nil, nil):
      return nil
    case (.some, nil):
      throw ConfigurationError(
        "password_update_query in \(place("password_update_query")) needs upgrade_scheme, e.g. upgrade_scheme = ARGON2ID"
      )
    case (nil, .some):
      throw ConfigurationError(
        "upgrade_scheme in \(place("upgrade_scheme")) needs password_update_query, "
          + "e.g. UPDATE users SET password = '%w' WHERE username = '%n' AND domain = '%d'")
    case (.some(let template), .some(let scheme)):
      guard canGenerateScheme(scheme) else {
        throw ConfigurationError(
          "upgrade_scheme in \(place("upgrade_scheme")): the module cannot make new '\(scheme)' values; "
            + "use e.g. ARGON2ID, BLF-CRYPT or SHA512-CRYPT")
      }
      let query = try compileLoginQuery(
        "password_update_query", template, style: settings.driver.placeholderStyle,
        backslashEscapes: settings.driver.backslashEscapes, place: place("password_update_query"), allowsNewHash: true)
      guard query.parameters.contains(where: { $0.variable == .newHash }) else {
        throw ConfigurationError(
          "password_update_query in \(place("password_update_query")) does not store %w, the new value")
      }
      return Upgrade(scheme: scheme, query: query)
    }
  }

  /// Compiles a query that looks up one login. It must bind the login
  /// (%u, or %n): a query without it would return the same row for every
  /// login, and with a one-row table every login would share one password.
  static func compileLoginQuery(
    _ key: String, _ template: String, style: PlaceholderStyle, backslashEscapes: Bool, place: String,
    allowsNewHash: Bool = false
  ) throws(ConfigurationError) -> CompiledQuery {
    let query: CompiledQuery
    do {
      query = try QueryTemplate.compile(
        template, style: style, backslashEscapes: backslashEscapes, allowsNewHash: allowsNewHash)
    } catch {
      throw ConfigurationError("\(key) in \(place): \(error.reason)")
    }
    let variables = query.parameters.map { $0.variable }
    guard variables.contains(.user) || variables.contains(.username) else {
      throw ConfigurationError(
        "\(key) in \(place) does not use the login (%u, or %n with %d), so it would return the same row "
          + "for every login; is part of it commented out?")
    }
    return query
  }
}
