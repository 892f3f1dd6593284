// Which configuration language a PAM service line speaks. pam_swiftsql is a
// drop-in replacement: an administrator changes the module name in
// /etc/pam.d/smtp and keeps pam_mysql's arguments (`user= passwd= host= db=
// table= usercolumn= passwdcolumn= crypt=`…) or pam_pgsql's
// /etc/pam_pgsql.conf. This file decides, from the module arguments and the
// files there are, which language to read and which file to read it from;
// PamMySQLOptions and PamPgsqlOptions translate them into our settings.

public enum ConfigurationDialect: Equatable, Sendable {
  case native
  case pamMySQL
  case pamPgsql
}

/// What to read: the language, and the file (which may not exist).
public struct ConfigurationPlan: Equatable, Sendable {
  public let dialect: ConfigurationDialect
  public let file: String?
  /// Whether the dialect is only a guess until the file's keys are seen
  /// (`config_file=` with nothing else that tells).
  public let decidedByFile: Bool

  public init(dialect: ConfigurationDialect, file: String?, decidedByFile: Bool) {
    self.dialect = dialect
    self.file = file
    self.decidedByFile = decidedByFile
  }
}

extension ConfigurationDialect {
  /// pam_pgsql's default configuration file.
  public static let pamPgsqlDefaultFile = "/etc/pam_pgsql.conf"

  /// Arguments only pam_mysql takes.
  static let pamMySQLArguments: Set<String> = [
    "passwd", "db", "usercolumn", "passwdcolumn", "statcolumn", "crypt", "where", "sqllog", "logtable",
    "logmsgcolumn", "logusercolumn", "loghostcolumn", "logrhostcolumn", "logpidcolumn", "logtimecolumn", "verbose",
    "md5", "sha256", "sha512", "blowfish", "use_323_passwd", "disconnect_every_op", "update_table",
  ]

  /// Arguments only pam_pgsql takes.
  static let pamPgsqlArguments: Set<String> = [
    "database", "port", "password", "user_column", "pwd_column", "expired_column", "newtok_column", "pw_type",
    "auth_query", "acct_query", "auth_succ_query", "auth_fail_query", "pwd_query", "session_open_query",
    "session_close_query", "timeout", "echo_pass", "sslmode", "fileconf", "force",
  ]

  /// The plan for these module arguments.
  ///
  /// - Parameter fileExists: whether a file exists (the module's stat).
  public static func plan(arguments: [String], fileExists: (String) -> Bool) -> ConfigurationPlan {
    var keys: Set<String> = []
    var configFile: String? = nil
    var nativeConfig: String? = nil
    for argument in arguments {
      let key = argument.firstIndex(of: "=").map { String(argument[..<$0]) } ?? argument
      keys.insert(key)
      if key == "config_file", let equals = argument.firstIndex(of: "=") {
        configFile = String(argument[argument.index(after: equals)...])
      }
      if key == "config", let equals = argument.firstIndex(of: "=") {
        nativeConfig = String(argument[argument.index(after: equals)...])
      }
    }
    if !keys.isDisjoint(with: pamMySQLArguments) {
      return ConfigurationPlan(dialect: .pamMySQL, file: configFile, decidedByFile: false)
    }
    if !keys.isDisjoint(with: pamPgsqlArguments) {
      return ConfigurationPlan(dialect: .pamPgsql, file: configFile ?? pamPgsqlDefaultFile, decidedByFile: false)
    }
    if let configFile {
      return ConfigurationPlan(dialect: .pamPgsql, file: configFile, decidedByFile: true)
    }
    let native = nativeConfig ?? ModuleArguments.defaultConfigPath
    // A site that only changed the module name in its PAM line keeps its
    // /etc/pam_pgsql.conf; our own file, when there is one, wins.
    if nativeConfig == nil && !fileExists(native) && fileExists(pamPgsqlDefaultFile) {
      return ConfigurationPlan(dialect: .pamPgsql, file: pamPgsqlDefaultFile, decidedByFile: false)
    }
    return ConfigurationPlan(dialect: .native, file: native, decidedByFile: false)
  }

  /// The language of a `config_file=` file: pam_mysql's uses dotted keys
  /// (`users.host`), pam_pgsql's plain ones.
  public static func of(fileText: String) -> ConfigurationDialect {
    for line in fileText.utf8.split(separator: UInt8(ascii: "\n")).map(Substring.init) {
      let trimmedLine = line.drop { $0 == " " || $0 == "\t" }
      if trimmedLine.hasPrefix("users.") || trimmedLine.hasPrefix("log.") { return .pamMySQL }
    }
    return .pamPgsql
  }
}

extension Configuration {
  /// Builds the configuration for a plan: our own file and arguments as
  /// they are, or pam_mysql's / pam_pgsql's options translated. Our own keys
  /// may be added to a compatible PAM line (e.g. `upgrade_scheme=ARGON2ID`)
  /// and win over the translation; the translation's notes become warnings,
  /// logged once.
  ///
  /// - Parameter fileText: the plan's file, or nil when it does not exist.
  public static func resolve(
    plan: ConfigurationPlan, fileText: String?, arguments: [String], isKnownScheme: (String) -> Bool,
    canGenerateScheme: (String) -> Bool = { _ in false }
  ) throws(ConfigurationError) -> Configuration {
    var dialect = plan.dialect
    if plan.decidedByFile, let fileText { dialect = ConfigurationDialect.of(fileText: fileText) }
    let name: String
    switch dialect {
    case .native:
      return try resolve(
        fileText: fileText, arguments: ModuleArguments(arguments), isKnownScheme: isKnownScheme,
        canGenerateScheme: canGenerateScheme)
    case .pamMySQL: name = "pam_mysql"
    case .pamPgsql: name = "pam_pgsql"
    }

    var options: [(key: String, value: String)] = []
    // What the original module's own reading of its file ignores.
    var fileWarnings: [String] = []
    var fileNotes: [String] = []
    if let file = plan.file, let fileText {
      if dialect == .pamMySQL {
        do {
          options = PamMySQLOptions.fileOptions(try PamMySQLConfigFile.parse(fileText))
        } catch {
          throw ConfigurationError("\(file) line \(error.line) (\(name) options): \(error.message)")
        }
      } else {
        let reading = PamPgsqlConfigFile.read(fileText, path: file)
        options = reading.entries.map { ($0.key, $0.value) }
        fileWarnings = reading.warnings
        fileNotes = reading.notes
      }
    } else if let file = plan.file, file != ConfigurationDialect.pamPgsqlDefaultFile || dialect != .pamPgsql {
      throw ConfigurationError("config_file=\(file): the file does not exist")
    }
    // pam_pgsql drops a password= given as a module argument (the PAM file
    // is world-readable) unless `force` is given too; refusing says why.
    if dialect == .pamPgsql && arguments.contains(where: { $0.hasPrefix("password=") })
      && !arguments.contains("force")
    {
      throw ConfigurationError(
        "pam_pgsql option password= in the module arguments: every user can read the PAM service file; "
          + "put it in \(plan.file ?? ConfigurationDialect.pamPgsqlDefaultFile) (mode 0640), "
          + "or add force, as pam_pgsql requires")
    }
    // Our own settings on the same line pass through, after the translation.
    var ours: [String] = []
    let theirs = dialect == .pamMySQL ? ConfigurationDialect.pamMySQLArguments : PamPgsqlOptions.known
    for argument in arguments {
      let equals = argument.firstIndex(of: "=")
      let key = equals.map { String(argument[..<$0]) } ?? argument
      let value = equals.map { String(argument[argument.index(after: $0)...]) } ?? "yes"
      if !theirs.contains(key) && Settings.options.contains(where: { $0.key == key }) {
        ours.append(argument)
      } else {
        options.append((key, value))
      }
    }

    let translation: Translation
    switch dialect {
    case .pamMySQL: translation = try PamMySQLOptions.translate(options)
    default: translation = try PamPgsqlOptions.translate(options)
    }
    let origin = plan.file.map { " (module arguments and \($0))" } ?? " (module arguments)"
    let translated: Configuration
    do {
      translated = try resolve(
        fileText: nil, arguments: ModuleArguments(translation.arguments + ours), isKnownScheme: isKnownScheme,
        canGenerateScheme: canGenerateScheme)
    } catch {
      // What the original module ignored in its file may be why.
      let ignored = fileWarnings.isEmpty ? "" : " (and: " + fileWarnings.joined(separator: "; ") + ")"
      throw ConfigurationError("\(name) options\(origin): \(error.message)" + ignored)
    }
    return Configuration(
      settings: translated.settings, passwordQuery: translated.passwordQuery, accountQuery: translated.accountQuery,
      upgrade: translated.upgrade, passwordChange: translated.passwordChange, audit: translated.audit,
      warnings: fileWarnings + translation.notes + translated.warnings,
      notes: fileNotes + translation.debugNotes + translated.notes,
      querySyntax: translated.querySyntax)
  }
}
