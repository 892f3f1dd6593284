// What the module keeps for the life of the process that loaded it (it is
// linked -z nodelete, so it stays loaded from one PAM transaction to the
// next): the parsed configuration, re-read only when the file or the module
// arguments change, and the one database connection. Both are guarded by a
// lock, held only while the configuration is looked up and while a query
// runs, never while a hash is computed.

import SwiftSQLBackends
import SwiftSQLCore
import SwiftSQLSchemes
import SwiftSQLSystem

final class ModuleRuntime: @unchecked Sendable {
  static let shared = ModuleRuntime()

  private let lock = Lock()

  private struct CachedConfiguration {
    let arguments: [String]
    let plan: ConfigurationPlan
    let file: System.FileIdentity?
    let configuration: Configuration
    /// The decoy for unknown logins, made once per configuration.
    let decoy: SecretBytes?
  }

  private var cached: CachedConfiguration? = nil
  private var database: (key: Database.Key, database: Database)? = nil
  private var availability = Availability()

  /// The configuration for these module arguments: our own file, or
  /// pam_mysql's / pam_pgsql's options (ConfigurationDialect). Warnings
  /// (unknown keys, compatibility notes) are logged when the file is
  /// (re-)read, not on every login.
  func configuration(arguments: [String], log: Log) throws(AuthFailure) -> (
    configuration: Configuration, decoy: SecretBytes?
  ) {
    try lock.withLock { () throws(AuthFailure) -> (configuration: Configuration, decoy: SecretBytes?) in
      let plan = ConfigurationDialect.plan(arguments: arguments) { path in
        if case .success = System.identity(of: path) { return true }
        return false
      }
      var current: System.FileIdentity? = nil
      if let path = plan.file, case .success(let identity) = System.identity(of: path) { current = identity }
      if let cached, cached.arguments == arguments, cached.plan == plan, cached.file == current {
        return (cached.configuration, cached.decoy)
      }

      var text: String? = nil
      var file: System.FileIdentity? = nil
      if let path = plan.file {
        switch System.readFile(path) {
        case .success(let (bytes, identity)):
          guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw .misconfigured("\(path) is not valid UTF-8")
          }
          text = decoded
          file = identity
        case .failure(let error) where error.isMissingFile:
          text = nil
        case .failure(let error):
          throw .misconfigured("cannot read \(error.message)")
        }
      }

      let configuration: Configuration
      do throws(ConfigurationError) {
        configuration = try Configuration.resolve(
          plan: plan, fileText: text, arguments: arguments, isKnownScheme: SchemeRegistry.knows,
          canGenerateScheme: SchemeRegistry.canGenerate)
      } catch {
        throw .misconfigured(error.message)
      }
      for warning in configuration.warnings { log.warning(warning) }
      let debugLog = log.debugging(configuration.settings.debug)
      for note in configuration.notes { debugLog.debug(note) }
      let decoy = ModuleRuntime.makeDecoy(configuration, log: log)
      cached = CachedConfiguration(
        arguments: arguments, plan: plan, file: file, configuration: configuration, decoy: decoy)
      return (configuration, decoy)
    }
  }

  /// A stored value in the configuration's decoy scheme, for a password
  /// nobody types (it is never compared to decide anything).
  static func makeDecoy(_ configuration: Configuration, log: Log) -> SecretBytes? {
    guard let scheme = configuration.decoyScheme(canGenerate: SchemeRegistry.canGenerate) else {
      log.debug("no decoy hash: \(configuration.settings.defaultPassScheme) values cannot be made")
      return nil
    }
    let text = Array("pam_swiftsql decoy".utf8CString)
    let made = text.withUnsafeBufferPointer { buffer -> Result<SecretBytes, SchemeProblem> in
      guard let base = buffer.baseAddress else { return .failure(SchemeProblem("no buffer")) }
      return SchemeRegistry.generate(
        Password(cString: base, count: buffer.count - 1), scheme: scheme,
        options: GenerateOptions(login: try? Login.parse(Array("decoy@invalid".utf8), defaultDomain: nil)))
    }
    switch made {
    case .success(let value): return value
    case .failure(let problem):
      log.warning("cannot make a decoy \(scheme) hash (unknown logins answer faster): \(problem.message)")
      return nil
    }
  }

  /// Runs `sql` on the database `settings` name, opening or re-opening the
  /// connection when the connection settings changed, and logs the
  /// database's transitions between unavailable and answering. Nothing is
  /// sent once `deadline`, the PAM step's, has passed: a step that already
  /// waited its connect_timeout + query_timeout (a slow password query) does
  /// not wait again for its audit or update statement.
  func rows(settings: Settings, sql: String, values: [String], limit: Int, until deadline: Deadline, log: Log)
    throws(AuthFailure) -> [Row]
  {
    try lock.withLock { () throws(AuthFailure) -> [Row] in
      if deadline.hasPassed {
        throw .unavailable(
          "not run: this step already used its connect_timeout + query_timeout "
            + "(\(settings.connectTimeout + settings.queryTimeout) s)")
      }
      let key = Database.Key(settings)
      let current: Database
      if let database, database.key == key {
        current = database.database
      } else {
        current = Database(key)
        database = (key, current)
        availability = Availability()
      }
      let outcome = Result { () throws(AuthFailure) -> [Row] in
        try current.rows(sql: sql, values: values, limit: limit, until: deadline, log: log)
      }
      availability.record(outcome, log)
      return try outcome.get()
    }
  }
}

/// The core's view of the module's database, for one PAM step: all its
/// statements share `deadline`, so the step answers within
/// connect_timeout + query_timeout however many statements it runs.
struct RuntimeDirectory: UserDirectory {
  let runtime: ModuleRuntime
  let settings: Settings
  let deadline: Deadline
  let log: Log

  init(runtime: ModuleRuntime, settings: Settings, log: Log) {
    self.runtime = runtime
    self.settings = settings
    self.deadline = .after(seconds: settings.connectTimeout + settings.queryTimeout)
    self.log = log
  }

  func rows(of query: CompiledQuery, for context: QueryContext, limit: Int) throws(AuthFailure) -> [Row] {
    let statement = try query.statement(for: context)
    return try runtime.rows(
      settings: settings, sql: statement.sql, values: statement.values, limit: limit, until: deadline, log: log)
  }
}
