// The SQLite driver: the database file named by `connect`, opened on first
// use (never created: a missing file is "unavailable", not an empty
// database) and kept across PAM transactions with its statements prepared
// once. A locked database is retried for `query_timeout`; a statement that
// runs longer is interrupted. If the file is replaced (a new inode, e.g. an
// administrator's `mv new.db users.db`) it is re-opened, so the module never
// keeps answering from a deleted file. A connection inherited across fork()
// is abandoned.

import SwiftSQLCore
import SwiftSQLSystem

public final class SQLiteDatabase {
  let path: String
  let queryTimeout: Int

  private var connection: SQLiteConnection? = nil
  private var openedFile: System.FileIdentity? = nil
  private var ownerProcess: Int32 = 0
  private var statements: [String: SQLiteStatement] = [:]

  public init(path: String, queryTimeout: Int) {
    self.path = path
    self.queryTimeout = queryTimeout
  }

  /// Runs `sql` with `values` bound and returns at most `limit` rows.
  public func rows(sql: String, values: [String], limit: Int, log: Log) throws(AuthFailure) -> [Row] {
    dropInherited(log: log)
    if SQLiteDatabase.looksLikeConnectionString(path) {
      // Never shown: such a string may hold a password.
      throw .misconfigured(
        "connect is a key=value connection string, but driver is sqlite, whose connect is the path of the "
          + "database file: set driver = pgsql or mysql, or give the file's path")
    }
    let file: System.FileIdentity
    switch System.identity(of: path) {
    case .success(let identity): file = identity
    case .failure(let error):
      close()
      throw .unavailable("SQLite database \(error.message)")
    }
    if connection != nil, let openedFile, !openedFile.isSameFile(as: file) {
      log.info("SQLite database \(path) was replaced; re-opening it")
      close()
    } else if connection != nil, let openedFile, openedFile.mode != file.mode || openedFile.owner != file.owner {
      // Its permissions changed: judged again before the next open.
      close()
    }
    let current: SQLiteConnection
    if let connection {
      current = connection
    } else {
      current = try open(file, log: log)
    }

    let statement: SQLiteStatement
    if let existing = statements[sql] {
      statement = existing
    } else {
      switch current.prepare(sql) {
      case .success(let prepared): statement = prepared
      case .failure(let error): throw failure(error, preparing: true, sql: sql)
      }
      guard statement.parameterCount == values.count else {
        throw .misconfigured(
          "the query has \(statement.parameterCount) SQLite parameters but \(values.count) variables; "
            + "write variables (%u, %n, %d, …), not ?, :name or $name")
      }
      statements[sql] = statement
    }

    current.setDeadline(.after(seconds: queryTimeout))
    defer {
      statement.reset()
      current.setDeadline(nil)
    }
    for (offset, value) in values.enumerated() {
      if case .failure(let error) = statement.bind(value, at: offset + 1) {
        throw failure(error, preparing: false, sql: sql)
      }
    }
    // Step at least once, so that a statement that returns no rows (the
    // password update) runs; stop as soon as `limit` rows are read.
    var rows: [Row] = []
    while true {
      switch statement.step() {
      case .success(.row):
        guard rows.count < limit else { return rows }
        rows.append(statement.currentRow())
        if rows.count == limit { return rows }
      case .success(.done): return rows
      case .failure(let error): throw failure(error, preparing: false, sql: sql)
      }
    }
  }

  /// Closes the database (the pool no longer needs it).
  public func discard(log: Log) {
    dropInherited(log: log)
    close()
  }

  /// Abandons a connection inherited across fork(): SQLite's locks belong
  /// to the parent, so it is neither used nor closed.
  private func dropInherited(log: Log) {
    guard let existing = connection, ownerProcess != System.processID() else { return }
    log.debug("dropping the SQLite connection inherited from process \(ownerProcess)")
    existing.abandon()
    close()
  }

  /// Whether `connect` is a `key=value` string rather than a path (a
  /// common mistake when driver is left at its default).
  static func looksLikeConnectionString(_ text: String) -> Bool {
    !text.hasPrefix("/") && text.contains("=") || text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
  }

  private func open(_ file: System.FileIdentity, log: Log) throws(AuthFailure) -> SQLiteConnection {
    // It holds the stored passwords: everyone may not be able to change it
    // (its owner may be the web application that writes it).
    if let problem = System.safetyProblem(path, role: .database) { throw .misconfigured(problem) }
    switch SQLiteConnection.open(path: path) {
    case .failure(let error):
      throw .unavailable("cannot open SQLite database \(path): \(error.message)")
    case .success(let opened):
      opened.setBusyTimeout(milliseconds: Int32(clamping: queryTimeout * 1000))
      connection = opened
      openedFile = file
      ownerProcess = System.processID()
      log.debug("opened SQLite database \(path)")
      return opened
    }
  }

  private func close() {
    statements = [:]
    connection = nil
    openedFile = nil
  }

  /// Sorts an SQLite error into "the query is wrong" and "try later".
  /// Quoted text in SQLite's message is shown only where the query itself
  /// has it (a value it quotes may be a hash).
  private func failure(_ error: SQLiteError, preparing: Bool, sql: String) -> AuthFailure {
    let message = LogText.maskingQuotedText(error.message) { LogText.occurs($0, in: sql) }
    switch error.primaryCode {
    case SQLiteCode.busy, SQLiteCode.locked:
      return .unavailable("the database stayed locked for query_timeout (\(queryTimeout) s)")
    case SQLiteCode.interrupt:
      return .unavailable("no answer within query_timeout (\(queryTimeout) s)")
    case SQLiteCode.error where preparing, SQLiteCode.auth:
      return .misconfigured("SQLite refused the query: \(message)")
    default:
      // I/O errors, a corrupt or replaced file: start afresh next time.
      close()
      return .unavailable("SQLite: \(message) (code \(error.code))")
    }
  }
}
