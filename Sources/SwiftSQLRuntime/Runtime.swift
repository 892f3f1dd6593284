// What the module keeps for the life of the process that loaded it (it is
// linked -z nodelete, so it stays loaded from one PAM transaction to the
// next): the configurations (ConfigurationStore), the database connections
// (DatabasePool) and the decoys learned under each configuration. All of it
// is guarded by one lock, held while a configuration is looked up, while a
// query runs and while a decoy is picked, never while a hash is computed.
//
// A host with threads may fork while another thread holds the lock; the
// child would then wait for it forever. So the lock is taken around fork(2)
// (pthread_atfork): fork waits until the lock is free, at most as long as a
// query may take, and parent and child both continue with it free. The
// child's inherited connections are abandoned by the drivers at their next
// use (they remember the process that opened them).

import SwiftSQLBackends
import SwiftSQLCore
import SwiftSQLSchemes
import SwiftSQLSystem

public final class Runtime: @unchecked Sendable {
  /// The process's runtime.
  public static let shared: Runtime = {
    let runtime = Runtime()
    System.onFork(
      prepare: { Runtime.shared.lock.lock() }, parent: { Runtime.shared.lock.unlock() },
      child: { Runtime.shared.lock.unlock() })
    return runtime
  }()

  private let lock = Lock()
  private var configurations = ConfigurationStore()
  private var databases = DatabasePool()

  /// A runtime of its own (the tool, tests); the module uses `shared`.
  public init() {}

  /// The configuration in force for these module arguments: our own file,
  /// or pam_mysql's / pam_pgsql's options (ConfigurationDialect), re-read
  /// when its file changed. Warnings (unknown keys, compatibility notes)
  /// are logged when the file is taken, not on every login.
  public func configuration(arguments: [String], log: Log) throws(AuthFailure) -> LoadedConfiguration {
    try lock.withLock { () throws(AuthFailure) -> LoadedConfiguration in
      try configurations.configuration(arguments: arguments, log: log)
    }
  }

  /// Runs `sql` on the database `settings` name. Nothing is sent once
  /// `deadline`, the PAM step's, has passed: a step that already waited its
  /// connect_timeout + query_timeout (a slow password query) does not wait
  /// again for its audit or update statement.
  func rows(settings: Settings, sql: String, values: [String], limit: Int, until deadline: Deadline, log: Log)
    throws(AuthFailure) -> [Row]
  {
    try lock.withLock { () throws(AuthFailure) -> [Row] in
      if deadline.hasPassed {
        throw .unavailable(
          "not run: this step already used its connect_timeout + query_timeout "
            + "(\(settings.connectTimeout + settings.queryTimeout) s)")
      }
      return try databases.rows(settings: settings, sql: sql, values: values, limit: limit, until: deadline, log: log)
    }
  }

  /// Counts a verified row's shape under `loaded`.
  func learn(_ decoy: Decoy, under loaded: LoadedConfiguration) {
    lock.withLock { loaded.decoys.learn(decoy) }
  }

  /// The next decoy under `loaded`; the fallback is made (outside the lock:
  /// it may hash) once, when no row has been verified yet.
  func nextDecoy(under loaded: LoadedConfiguration, fallback make: () -> Decoy?) -> Decoy? {
    let known = lock.withLock { () -> Decoy?? in
      if let decoy = loaded.decoys.next() { return .some(decoy) }
      return loaded.fallbackDecoy
    }
    if let known { return known }
    let made = make()
    lock.withLock { loaded.fallbackDecoy = .some(made) }
    return made
  }
}

/// The core's view of the process's databases, for one PAM step: all its
/// statements share `deadline`, so the step answers within
/// connect_timeout + query_timeout however many statements it runs.
public struct RuntimeDirectory: UserDirectory {
  let runtime: Runtime
  let settings: Settings
  let deadline: Deadline
  let log: Log

  public init(runtime: Runtime, settings: Settings, log: Log) {
    self.runtime = runtime
    self.settings = settings
    self.deadline = .after(seconds: settings.connectTimeout + settings.queryTimeout)
    self.log = log
  }

  public func rows(of query: CompiledQuery, for context: QueryContext, limit: Int) throws(AuthFailure) -> [Row] {
    let statement = try query.statement(for: context)
    return try runtime.rows(
      settings: settings, sql: statement.sql, values: statement.values, limit: limit, until: deadline, log: log)
  }
}

/// The decoys of one configuration in force, shared by the process's
/// threads.
public struct RuntimeDecoys: DecoyKeeper {
  let runtime: Runtime
  let loaded: LoadedConfiguration

  public init(runtime: Runtime, loaded: LoadedConfiguration) {
    self.runtime = runtime
    self.loaded = loaded
  }

  public func learn(_ decoy: Decoy) { runtime.learn(decoy, under: loaded) }

  public func next(fallback: () -> Decoy?) -> Decoy? { runtime.nextDecoy(under: loaded, fallback: fallback) }
}

extension Authenticator where Directory == RuntimeDirectory, Checker == SchemeRegistry, Decoys == RuntimeDecoys {
  /// The authenticator for one step under `loaded`, over `runtime`'s
  /// databases and decoys.
  public init(runtime: Runtime, loaded: LoadedConfiguration, log: Log) {
    self.init(
      configuration: loaded.configuration,
      directory: RuntimeDirectory(runtime: runtime, settings: loaded.configuration.settings, log: log),
      checker: SchemeRegistry(), decoys: RuntimeDecoys(runtime: runtime, loaded: loaded), log: log)
  }
}
