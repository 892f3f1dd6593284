// The database a configuration names, whichever driver it uses: an enum over
// the drivers, not a protocol existential, so it compiles in Embedded Swift.

import SwiftSQLCore

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

  /// Runs `sql` with `values` bound and returns at most `limit` rows.
  public func rows(sql: String, values: [String], limit: Int, log: Log) throws(AuthFailure) -> [Row] {
    switch self {
    case .postgres(let database): try database.rows(sql: sql, values: values, limit: limit, log: log)
    case .sqlite(let database): try database.rows(sql: sql, values: values, limit: limit, log: log)
    case .mariadb(let database): try database.rows(sql: sql, values: values, limit: limit, log: log)
    }
  }
}
