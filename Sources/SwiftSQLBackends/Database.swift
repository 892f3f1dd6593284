// The database a configuration names, whichever driver it uses: an enum over
// the drivers, not a protocol existential, so it compiles in Embedded Swift.

import SwiftSQLCore
import SwiftSQLSystem

public enum Database {
  case postgres(PostgresDatabase)
  case sqlite(SQLiteDatabase)
  case mariadb(MariaDBDatabase)

  /// What decides whether an open database can serve a new configuration:
  /// a change to any of these opens a new connection.
  public struct Key: Equatable, Sendable {
    let driver: Driver
    let connect: String
    let connectTimeout: Int
    let queryTimeout: Int

    public init(_ settings: Settings) {
      driver = settings.driver
      connect = settings.connect ?? ""
      connectTimeout = settings.connectTimeout
      queryTimeout = settings.queryTimeout
    }

    /// Whether `rows(batch:)` sends a batch in one round trip: PostgreSQL
    /// does (pipeline mode); the others would run each statement in turn,
    /// so they run only the first.
    public var sendsBatches: Bool { driver == .pgsql }
  }

  /// A database for `key`; nothing is opened until the first query.
  public init(_ key: Key) {
    switch key.driver {
    case .pgsql:
      self = .postgres(
        PostgresDatabase(
          connectionString: key.connect, connectTimeout: key.connectTimeout, queryTimeout: key.queryTimeout))
    case .sqlite:
      self = .sqlite(SQLiteDatabase(path: key.connect, queryTimeout: key.queryTimeout))
    case .mysql:
      self = .mariadb(
        MariaDBDatabase(
          connectionString: key.connect, connectTimeout: key.connectTimeout, queryTimeout: key.queryTimeout))
    }
  }

  /// Closes the connection; one inherited across fork() is abandoned.
  public func discard(log: Log) {
    switch self {
    case .postgres(let database): database.discard(log: log)
    case .sqlite(let database): database.discard(log: log)
    case .mariadb(let database): database.discard(log: log)
    }
  }

  /// Runs `sql` with `values` bound and returns at most `limit` rows. A
  /// server driver gives the query connect_timeout + query_timeout in all,
  /// or less when `deadline` (the PAM step's) comes sooner. (SQLite is a
  /// local file: its own query_timeout bounds it.)
  public func rows(sql: String, values: [String], limit: Int, until deadline: Deadline? = nil, log: Log)
    throws(AuthFailure) -> [Row]
  {
    switch self {
    case .postgres(let database):
      try database.rows(sql: sql, values: values, limit: limit, until: deadline, log: log)
    case .sqlite(let database): try database.rows(sql: sql, values: values, limit: limit, log: log)
    case .mariadb(let database):
      try database.rows(sql: sql, values: values, limit: limit, until: deadline, log: log)
    }
  }
}

extension Database {
  /// One statement of a batch: its SQL, the values bound to it, and how
  /// many rows are wanted.
  public struct Statement: Equatable {
    public let sql: String
    public let values: [String]
    public let limit: Int

    public init(sql: String, values: [String], limit: Int) {
      self.sql = sql
      self.values = values
      self.limit = limit
    }
  }

  /// Runs the first statement of `batch` as `rows(sql:…)` does (its
  /// failures thrown) and, where the driver sends a batch in one round
  /// trip, the others with it. A later statement's rows are nil when it
  /// failed or was not sent: the caller runs it on its own when it needs
  /// it, and meets its error then.
  public func rows(batch: [Statement], until deadline: Deadline? = nil, log: Log) throws(AuthFailure) -> [[Row]?] {
    guard let first = batch.first else { return [] }
    if case .postgres(let database) = self, batch.count > 1 {
      return try database.rows(batch: batch, until: deadline, log: log)
    }
    let rows = try rows(sql: first.sql, values: first.values, limit: first.limit, until: deadline, log: log)
    return [rows] + [[Row]?](repeating: nil, count: batch.count - 1)
  }
}

/// One database as the core's `UserDirectory`, for a process that asks a
/// few questions and exits (the tool's doctor and verify): the module and
/// the daemon go through their runtimes' pools instead.
public struct DatabaseDirectory: UserDirectory {
  let database: Database
  let log: Log

  public init(_ database: Database, log: Log = .silent) {
    self.database = database
    self.log = log
  }

  public func rows(of query: CompiledQuery, for context: QueryContext, limit: Int) throws(AuthFailure) -> [Row] {
    let statement = try query.statement(for: context)
    return try database.rows(sql: statement.sql, values: statement.values, limit: limit, log: log)
  }
}
