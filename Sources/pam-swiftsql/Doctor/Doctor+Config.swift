// The doctor's checks of pam_swiftsql's own configuration: the file the
// module line names (default /etc/pam_swiftsql.conf) parses exactly as the
// module parses it; it is not world-readable (it may hold the database
// password: 0640 root:sasl) and saslauthd's user can read it; libpq's
// password file is 0600 (libpq ignores it otherwise); the database answers
// within the configured timeouts; and, with --login, the password query
// finds that login and returns a value whose scheme the module verifies.
// Only the scheme's name is ever shown, never the stored value.
//
// `--root` does not apply to the database: `connect` is used as it is.

import SwiftSQLBackends
import SwiftSQLCore
import SwiftSQLSchemes
import SwiftSQLSystem

extension Doctor {
  func runConfigChecks() {
    run("config-file") { [checkConfigFile()] }
    run("config-permissions") { checkConfigPermissions() }
    run("pam-line-password") { checkPAMLinePassword() }
    run("config-pgpass", needs: ["config-file"]) { checkPgpass() }
    run("database", needs: ["config-file"]) { checkDatabase() }
    if options.login != nil {
      run("password-query", needs: ["config-file", "database"]) { checkPasswordQuery() }
    } else {
      note(
        "give --login LOGIN to run the password query for one login, and a password (-p or the prompt) "
          + "to try it end to end through saslauthd and PAM")
    }
  }

  var configOrigin: String {
    let dialect: String? =
      switch module.plan.dialect {
      case .native: nil
      case .pamMySQL: "pam_mysql options"
      case .pamPgsql: "pam_pgsql options"
      }
    if let dialect {
      return " (\(dialect)" + (module.argumentsOrigin.map { " in \($0)" } ?? "") + ")"
    }
    if module.arguments.configPath != DoctorPaths.defaultConfig, let origin = module.argumentsOrigin {
      return " (config= in \(origin))"
    }
    return module.argumentsOrigin.map { " (the default; the module line is \($0))" } ?? " (the default)"
  }

  /// For a file that cannot work unchanged: each change, why, and the line
  /// rewritten (ConfigAdvisor), as one fix.
  var configAdvice: String? {
    guard let text = module.text else { return nil }
    let dialect = module.plan.decidedByFile ? ConfigurationDialect.of(fileText: text) : module.plan.dialect
    let advice = ConfigAdvisor.advise(text, dialect: dialect)
    guard !advice.isEmpty else { return nil }
    return advice.map { "line \($0.line): \($0.why); write it as: \($0.rewritten)" }.joined(separator: "; ")
  }

  func checkConfigFile() -> DoctorCheck {
    let name = "config-file"
    let path = module.configPath
    switch module.configuration {
    case .failure(let error):
      let missing = module.text == nil && module.readProblem == nil && module.plan.dialect == .native
      return .failure(
        name,
        missing
          ? "there is no \(path)\(configOrigin), and the module arguments do not set connect and "
            + "password_query: the module answers PAM_SERVICE_ERR to every login"
          : error.message,
        fix: missing
          ? "install -m 0640 -g sasl /dev/null \(path), then write driver, connect and password_query in it "
            + "(README: Configuration)"
          : configAdvice.map { "in \(path), \($0)" } ?? "edit \(path) as the message says (README: Configuration)")
    case .success(let configuration):
      let settings = configuration.settings
      var evidence =
        "\(path)\(configOrigin) parses: driver \(settings.driver.rawValue), password_query"
        + (configuration.accountQuery == nil ? " compiles" : " and account_query compile") + ", default_pass_scheme "
        + settings.defaultPassScheme + (settings.defaultDomain.map { ", default_domain \($0)" } ?? "")
      if module.text == nil { evidence += " (there is no file: everything comes from the module arguments)" }
      if !configuration.warnings.isEmpty {
        return .warning(
          name, evidence + "; but: " + configuration.warnings.joined(separator: "; "),
          fix: configAdvice.map { "in \(path), \($0)" } ?? "remove or correct those keys in \(path)")
      }
      return .ok(name, evidence)
    }
  }

  func checkConfigPermissions() -> [DoctorCheck] {
    let name = "config-permissions"
    let path = module.configPath
    guard let status = module.status else { return [] }
    let mode = "\(accounts.ownership(status)) \(octalMode(status.mode))"
    let fix = "chmod 0640 \(path); chgrp sasl \(path)"
    let content = module.holdsPassword ? "it holds the database password" : "it names the database and its queries"
    // The module's own rule (FileSafety), judged as the root daemon that
    // loads the module judges it.
    if let finding = System.safetyFinding(path, role: .configuration, under: tree.root, trusted: []) {
      return [
        .failure(
          name, "\(finding.problem); the module refuses it (every login: PAM_SERVICE_ERR)",
          fix: finding.fix + "; then " + fix)
      ]
    }
    if status.mode & 0o004 != 0 {
      return [.failure(name, "\(path) is world-readable (\(mode)), and \(content)", fix: fix)]
    }
    let reader = instance?.principal ?? .root
    if !reader.canRead(status) {
      return [
        .failure(
          name, "saslauthd runs as \(reader.description), which cannot read \(path) (\(mode))",
          fix: "chgrp \(accounts.group(id: reader.groups.sorted().first ?? 0)?.name ?? "sasl") \(path); "
            + "chmod 0640 \(path)")
      ]
    }
    return [.ok(name, "\(path) is \(mode): not readable by others, readable by saslauthd (\(reader.name))")]
  }

  /// pam_mysql setups often carry the database password in the PAM line
  /// (`passwd=`), and /etc/pam.d files are world-readable.
  func checkPAMLinePassword() -> [DoctorCheck] {
    guard let argument = module.passwordArgument, let file = module.argumentsFile,
      let status = tree.status(file)
    else { return [] }
    let name = "pam-line-password"
    let mode = "\(accounts.ownership(status)) \(octalMode(status.mode))"
    guard status.mode & 0o004 != 0 else {
      return [.ok(name, "\(file) holds the database password (\(argument)) but is not world-readable (\(mode))")]
    }
    let move =
      switch module.plan.dialect {
      case .pamMySQL: "move the users.* settings into a file (config_file=/etc/pam_mysql.conf, chmod 0640)"
      case .pamPgsql: "move the connection settings into /etc/pam_pgsql.conf (chmod 0640)"
      case .native: "move connect into \(DoctorPaths.defaultConfig) (chmod 0640)"
      }
    return [
      .failure(
        name, "\(file) is world-readable (\(mode)) and its pam_swiftsql line holds the database password (\(argument))",
        fix: move + " and remove \(argument) from \(file)")
    ]
  }

  func checkPgpass() -> [DoctorCheck] {
    guard let settings = configuration?.settings, settings.driver == .pgsql else { return [] }
    let connect = settings.connect ?? ""
    if connect.contains("password") || connect.contains("passfile") { return [] }
    let path = PostgresDatabase.defaultPassfile
    guard let status = tree.status(path) else { return [] }
    let name = "config-pgpass"
    if status.mode & 0o077 != 0 {
      return [
        .failure(
          name,
          "\(path) is \(accounts.ownership(status)) \(octalMode(status.mode)): libpq ignores a password file that "
            + "group or others may read, so the connection has no password",
          fix: "chmod 0600 \(path)")
      ]
    }
    return [.ok(name, "\(path) is \(octalMode(status.mode)), as libpq requires")]
  }

  func checkDatabase() -> [DoctorCheck] {
    guard let settings = configuration?.settings else { return [] }
    let name = "database"
    let database = Database(Database.Key(settings))
    let started = Deadline.now()
    do throws(AuthFailure) {
      _ = try database.rows(sql: "SELECT 1", values: [], limit: 1, log: .silent)
    } catch {
      let fix =
        switch settings.driver {
        case .sqlite:
          "check connect in \(module.configPath): the SQLite file must exist and be readable by saslauthd"
        case .pgsql:
          "check that PostgreSQL runs and that connect in \(module.configPath) is right "
            + "(host, dbname, user; the password in password= or \(PostgresDatabase.defaultPassfile))"
        case .mysql:
          "check that MariaDB (or MySQL) runs and that connect in \(module.configPath) is right "
            + "(socket= or host=, dbname, user, password)"
        }
      return [.failure(name, "\(settings.driver.rawValue): \(error.reason)", fix: fix)]
    }
    let milliseconds = (Deadline.now().nanoseconds - started.nanoseconds) / 1_000_000
    return [
      .ok(
        name,
        "\(settings.driver.rawValue) answered SELECT 1 in \(milliseconds) ms (connect_timeout "
          + "\(settings.connectTimeout) s, query_timeout \(settings.queryTimeout) s)")
    ]
  }

  /// password_query for `--login`, asked through the module's own
  /// `Authenticator` (its login rules, its row rules), over the same kind
  /// of connection; then whether the module verifies the stored scheme.
  func checkPasswordQuery() -> [DoctorCheck] {
    guard let configuration, let raw = options.login else { return [] }
    let name = "password-query"
    let settings = configuration.settings
    let authenticator = Authenticator(
      configuration: configuration, directory: DatabaseDirectory(Database(Database.Key(settings))),
      checker: SchemeRegistry(), decoys: LocalDecoys())
    let login: Login
    do throws(AuthFailure) {
      login = try authenticator.login(Array(raw.utf8))
    } catch {
      return [
        .failure(
          name, "the module refuses the login '\(raw)' before any query: \(error.reason)",
          fix: "log in with the whole address, e.g. alice@example.org")
      ]
    }
    let context = QueryContext(login: login, service: pamServices[0], remoteHost: "")
    let query = configuration.passwordQuery
    let bound = zip(query.parameters, query.values(for: context)).map { parameter, value in
      "\(Doctor.spelling(of: parameter))=\(value)"
    }.joined(separator: ", ")
    let found: StoredPassword
    do throws(AuthFailure) {
      found = try authenticator.storedPassword(for: context)
    } catch {
      switch error {
      case .unknownUser:
        return [
          .failure(
            name, "password_query returns no row for \(login.full) (bound: \(bound))",
            fix: "check the login, or the WHERE clause of password_query in \(module.configPath)")
        ]
      case let failure where failure.isMoreThanOneRow("password_query"):
        return [
          .failure(
            name, "password_query returns more than one row for \(login.full) (bound: \(bound)); the module refuses",
            fix: "make password_query select one row per login (a unique key on the login)")
        ]
      case .unusableHash:
        return [
          .failure(
            name,
            "password_query returns one row for \(login.full), but its stored value is NULL or empty: "
              + "that login can never log in",
            fix: "store a hash for it, e.g. from: mkpasswd -m sha512crypt")
        ]
      default:
        return [
          .failure(
            name, "password_query failed for \(login.full): \(error.reason)",
            fix: "correct password_query in \(module.configPath)")
        ]
      }
    }
    let format = found.format
    let how =
      format.hasPrefix
      ? "from its {\(format.scheme)} prefix"
      : format.scheme == settings.defaultPassScheme ? "from default_pass_scheme" : "recognised as a crypt(3) string"
    if !SchemeRegistry.knows(format.scheme) {
      return [
        .failure(
          name,
          "password_query returns one row for \(login.full); its stored value uses scheme \(format.scheme) "
            + "(\(how)), which this module does not verify",
          fix: "store a scheme the module verifies (README: Passwords), or correct default_pass_scheme in "
            + module.configPath)
      ]
    }
    return [
      .ok(
        name,
        "password_query returns one row for \(login.full) (bound: \(bound)); its stored value uses scheme "
          + "\(format.scheme) (\(how)), which the module verifies")
    ]
  }

  /// How a parameter reads in the doctor's report: `%n`, or for a literal
  /// with variables its text, `'/var/vmail/%d/%n'`.
  static func spelling(of parameter: QueryParameter) -> String {
    let pieces = parameter.pieces.map { piece -> String in
      switch piece {
      case .text(let text): return text
      case .value(let value): return value.variable.spelling
      }
    }
    if parameter.pieces.count == 1 { return pieces.joined() }
    return "'" + pieces.joined() + "'"
  }
}
