// The PostgreSQL driver: one connection per process, opened on first use and
// kept across PAM transactions (the module is linked -z nodelete), each query
// prepared once. Every wait is bounded: connecting by `connect_timeout`,
// a query by `query_timeout`, both with poll(2) on libpq's non-blocking API.
// A connection that broke (server restart) is re-opened once within the same
// request; one inherited across fork() is abandoned, never used or closed.
//
// NSS-free: libpq looks up the OS user when the connection string names no
// `user`, and the home directory for ~/.pgpass when it names neither
// `password` nor `passfile`. The driver requires `user=` and, if needed,
// points `passfile` at /etc/pam_swiftsql.pgpass, so no lookup happens.

import SwiftSQLCore
import SwiftSQLSystem

public final class PostgresDatabase {
  /// Where libpq looks for a password when the connection string gives none.
  public static let defaultPassfile = "/etc/pam_swiftsql.pgpass"

  let connectionString: String
  let connectTimeout: Int
  let queryTimeout: Int

  private var connection: PGConnection? = nil
  private var ownerProcess: Int32 = 0
  /// Prepared statement name by SQL text, for the current connection.
  private var prepared: [String: String] = [:]

  public init(connectionString: String, connectTimeout: Int, queryTimeout: Int) {
    self.connectionString = connectionString
    self.connectTimeout = connectTimeout
    self.queryTimeout = queryTimeout
  }

  /// How one attempt failed.
  enum Failure: Error {
    /// The connection is gone (server restarted, socket closed).
    case connectionLost(String)
    case timedOut
    /// The server answered with an error.
    case serverError(sqlState: String, message: String)
  }

  /// Runs `sql` with `values` bound and returns at most `limit` rows.
  public func rows(sql: String, values: [String], limit: Int, log: Log) throws(AuthFailure) -> [Row] {
    let overall = Deadline.after(seconds: connectTimeout + queryTimeout)
    if let existing = connection, ownerProcess != System.processID() {
      log.debug("dropping the database connection inherited from process \(ownerProcess)")
      existing.abandon()
      connection = nil
    }
    var retried = false
    while true {
      let reused = connection != nil
      let current: PGConnection
      if let connection {
        current = connection
      } else {
        current = try connect(until: Deadline.earlier(overall, .after(seconds: connectTimeout)), log: log)
        connection = current
        ownerProcess = System.processID()
        prepared = [:]
      }
      do {
        return try execute(
          current, sql: sql, values: values, limit: limit,
          until: Deadline.earlier(overall, .after(seconds: queryTimeout)))
      } catch {
        switch error {
        case .connectionLost(let message):
          connection = nil
          if reused && !retried && !overall.hasPassed {
            log.info("the database connection was lost (\(message)); reconnecting")
            retried = true
            continue
          }
          throw .unavailable("the connection was lost: \(message)")
        case .timedOut:
          // The connection is non-blocking, so closing it cannot wait on a
          // server that stopped answering.
          connection = nil
          throw .unavailable("no answer within query_timeout (\(queryTimeout) s)")
        case .serverError(let sqlState, let message):
          if PostgresDatabase.isTransient(sqlState) || current.isBroken {
            connection = nil
            throw .unavailable("\(message) (SQLSTATE \(sqlState))")
          }
          throw .misconfigured("the server refused the query: \(message) (SQLSTATE \(sqlState))")
        }
      }
    }
  }

  /// SQLSTATEs that mean "try later", not "the query is wrong": connection
  /// exceptions (08), operator intervention (57: shutdown, cancel, cannot
  /// connect now), insufficient resources (53), serialization failures (40).
  static func isTransient(_ sqlState: String) -> Bool {
    sqlState.hasPrefix("08") || sqlState.hasPrefix("57") || sqlState.hasPrefix("53") || sqlState.hasPrefix("40")
  }

  /// The connection string plus what the module sets when it is absent.
  func connectionParameters() throws(AuthFailure) -> [(keyword: String, value: String)] {
    var pairs: [(keyword: String, value: String)]
    switch LibPQ.parse(connectionString: connectionString) {
    case .success(let parsed): pairs = parsed
    case .failure(let error): throw .misconfigured("connect is not a valid libpq connection string: \(error.message)")
    }
    func has(_ keyword: String) -> Bool { pairs.contains { $0.keyword == keyword && !$0.value.isEmpty } }
    guard has("user") else {
      throw .misconfigured(
        "connect names no user=: pam_swiftsql makes no user lookups, so name the database role, e.g. user=mailauth")
    }
    if !has("password") && !has("passfile") { pairs.append(("passfile", PostgresDatabase.defaultPassfile)) }
    // libpq's own per-host bound (it treats values below 2 as 2).
    if !has("connect_timeout") { pairs.append(("connect_timeout", String(max(connectTimeout, 2)))) }
    if !has("application_name") { pairs.append(("application_name", "pam_swiftsql")) }
    if !has("client_encoding") { pairs.append(("client_encoding", "UTF8")) }
    return pairs
  }

  private func connect(until deadline: Deadline, log: Log) throws(AuthFailure) -> PGConnection {
    let parameters = try connectionParameters()
    guard let connection = PGConnection.start(parameters) else {
      throw .unavailable("libpq could not allocate a connection")
    }
    if connection.isBroken { throw .unavailable(connection.errorMessage) }
    var next = PGPoll.writing
    while true {
      switch next {
      case .ok:
        guard connection.makeNonBlocking() else { throw .unavailable(connection.errorMessage) }
        log.debug("connected to PostgreSQL (server process \(connection.serverProcessID))")
        return connection
      case .failed:
        if connection.neededPassword {
          throw .misconfigured(
            "the server asks for a password and connect gives none: add password= or put it in "
              + PostgresDatabase.defaultPassfile)
        }
        throw .unavailable(connection.errorMessage)
      case .reading, .writing:
        let socket = connection.socket
        guard socket >= 0 else { throw .unavailable(connection.errorMessage) }
        switch System.wait(socket, readable: next == .reading, writable: next == .writing, until: deadline) {
        case .ready: break
        case .timedOut:
          throw .unavailable("could not connect within connect_timeout (\(connectTimeout) s)")
        case .failed(let error): throw .unavailable(error.message)
        }
      }
      next = connection.poll()
    }
  }

  private func execute(
    _ connection: PGConnection, sql: String, values: [String], limit: Int, until deadline: Deadline
  ) throws(Failure) -> [Row] {
    let name: String
    if let existing = prepared[sql] {
      name = existing
    } else {
      name = "pam_swiftsql_\(prepared.count + 1)"
      guard connection.sendPrepare(name: name, sql: sql, parameterCount: values.count) else {
        throw .connectionLost(connection.errorMessage)
      }
      _ = try results(of: connection, until: deadline, limit: 0)
      prepared[sql] = name
    }
    guard connection.sendQueryPrepared(name: name, values: values) else {
      throw .connectionLost(connection.errorMessage)
    }
    return try results(of: connection, until: deadline, limit: limit)
  }

  /// Sends what is queued, then reads every result of the command.
  private func results(of connection: PGConnection, until deadline: Deadline, limit: Int) throws(Failure) -> [Row] {
    while true {
      let flushed = connection.flush()
      if flushed == 0 { break }
      if flushed < 0 { throw .connectionLost(connection.errorMessage) }
      try wait(connection, writable: true, until: deadline)
      guard connection.consumeInput() else { throw .connectionLost(connection.errorMessage) }
    }
    var rows: [Row] = []
    var failure: Failure? = nil
    while true {
      while connection.isBusy {
        try wait(connection, writable: false, until: deadline)
        guard connection.consumeInput() else { throw .connectionLost(connection.errorMessage) }
      }
      guard let result = connection.nextResult() else { break }
      switch result.status {
      case .tuplesOK where rows.isEmpty && failure == nil:
        rows = result.rows(limit: limit)
      case .commandOK, .tuplesOK:
        break
      case .failed:
        if failure == nil {
          failure =
            connection.isBroken
            ? .connectionLost(connection.errorMessage)
            : .serverError(sqlState: result.sqlState, message: result.errorMessage)
        }
      }
    }
    if let failure { throw failure }
    if connection.isBroken { throw .connectionLost(connection.errorMessage) }
    return rows
  }

  private func wait(_ connection: PGConnection, writable: Bool, until deadline: Deadline) throws(Failure) {
    let socket = connection.socket
    guard socket >= 0 else { throw .connectionLost(connection.errorMessage) }
    switch System.wait(socket, readable: true, writable: writable, until: deadline) {
    case .ready: return
    case .timedOut: throw .timedOut
    case .failed(let error): throw .connectionLost(error.message)
    }
  }
}
