// The PostgreSQL driver: one connection per process, opened on first use and
// kept across PAM transactions (the module is linked -z nodelete), each query
// prepared once. Every wait is bounded: connecting to a host by
// `connect_timeout`, a query by `query_timeout`, both with poll(2) on libpq's
// non-blocking API, and a whole request by their sum. A batch of statements
// (the daemon's password_query and account_query) goes in one round trip, in
// libpq's pipeline mode. A connection that broke
// (server restart) is re-opened once within the same request; one inherited
// across fork() is abandoned, never used or closed.
//
// Several hosts (`host=a,b port=1,2`): libpq's PQconnectPoll tries them in
// order but applies no timeout (connect_timeout is enforced only by its
// blocking PQconnectdb), so a host that accepts the connection and then says
// nothing — a frozen server — would hold the whole attempt, and the next host
// would never be tried. The driver therefore gives libpq one host at a time,
// each with its own connect_timeout, in the connection string's order. When
// the kept connection's server stops answering or goes away, the one retry
// of that request starts with the host after it, so a frozen first host does
// not use up the rest of the request's time.
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
  /// Which of `hosts` the connection is to.
  private var connectionHost = 0
  /// The connection string's hosts, each as the parameters of an attempt to
  /// it alone; worked out on the first connection.
  private var hosts: [Host]? = nil
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

  /// One host of the connection string: the parameters of a connection
  /// attempt to it alone, and its name for log lines.
  struct Host {
    let parameters: [(keyword: String, value: String)]
    let name: String
  }

  /// Runs `sql` with `values` bound and returns at most `limit` rows.
  /// Every wait within connect_timeout + query_timeout from now, and
  /// before `deadline` when one is given.
  public func rows(sql: String, values: [String], limit: Int, until deadline: Deadline? = nil, log: Log)
    throws(AuthFailure) -> [Row]
  {
    let batch = [Database.Statement(sql: sql, values: values, limit: limit)]
    return try rows(batch: batch, until: deadline, log: log).first.flatMap { $0 } ?? []
  }

  /// Runs the statements of `batch` in one round trip and returns the rows
  /// of each. The first is run as `rows(sql:…)` runs it: its failure is
  /// thrown, and one on a kept connection is retried once. A later one is
  /// nil when the server refused it or did not run it (the caller runs it
  /// again on its own, and meets its error then).
  public func rows(batch: [Database.Statement], until deadline: Deadline? = nil, log: Log)
    throws(AuthFailure) -> [[Row]?]
  {
    guard let first = batch.first else { return [] }
    let own = Deadline.after(seconds: connectTimeout + queryTimeout)
    let overall = deadline.map { Deadline.earlier(own, $0) } ?? own
    dropInherited(log: log)
    var retried = false
    var firstHost = 0
    while true {
      let reused = connection != nil
      let current: PGConnection
      if let connection {
        current = connection
      } else {
        (current, connectionHost) = try connect(startingAt: firstHost, overall: overall, log: log)
        connection = current
        ownerProcess = System.processID()
        prepared = [:]
      }
      let hostCount = hosts?.count ?? 1
      let reason: String
      let retryable: Bool
      do {
        return try execute(current, batch, until: Deadline.earlier(overall, .after(seconds: queryTimeout)))
      } catch {
        switch error {
        case .connectionLost(let message):
          reason = "the connection was lost: \(message)"
          retryable = reused
        case .timedOut:
          reason = "no answer within query_timeout (\(queryTimeout) s)"
          // A frozen server would not answer a new connection either: only
          // another host is worth the time left.
          retryable = reused && hostCount > 1
        case .serverError(let sqlState, let raw):
          // Quoted text is shown only where the query itself has it: the
          // server quotes the values it refused, and a value may be a hash.
          let message = LogText.maskingQuotedText(raw) { LogText.occurs($0, in: first.sql) }
          guard PostgresDatabase.isTransient(sqlState) || current.isBroken else {
            throw .misconfigured("the server refused the query: \(message) (SQLSTATE \(sqlState))")
          }
          reason = "\(message) (SQLSTATE \(sqlState))"
          retryable = reused && current.isBroken
        }
      }
      // The connection is non-blocking, so closing it cannot wait on a
      // server that stopped answering.
      connection = nil
      let host = hostCount > 1 ? " (\(hosts?[connectionHost].name ?? "?"))" : ""
      guard retryable && !retried && !overall.hasPassed else { throw .unavailable(reason + host) }
      log.info("\(reason)\(host); reconnecting")
      retried = true
      firstHost = connectionHost + 1
    }
  }

  /// Closes the connection (the pool no longer needs it).
  public func discard(log: Log) {
    dropInherited(log: log)
    connection = nil
  }

  /// Abandons a connection inherited across fork(): its socket is the
  /// parent's, so it is neither used nor closed.
  private func dropInherited(log: Log) {
    guard let existing = connection, ownerProcess != System.processID() else { return }
    log.debug("dropping the database connection inherited from process \(ownerProcess)")
    existing.abandon()
    connection = nil
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
    case .failure:
      throw .misconfigured(
        "connect is not a valid libpq connection string: \(PostgresDatabase.problem(connectionString))")
    }
    func has(_ keyword: String) -> Bool { pairs.contains { $0.keyword == keyword && !$0.value.isEmpty } }
    guard has("user") else {
      throw .misconfigured(
        "connect names no user=: pam_swiftsql makes no user lookups, so name the database role, e.g. user=mailauth")
    }
    if !has("password") && !has("passfile") { pairs.append(("passfile", PostgresDatabase.defaultPassfile)) }
    // The password file says as whom to connect: whoever may change it can
    // lock the module out, or worse. (libpq itself ignores one that others
    // may read.)
    if let passfile = pairs.last(where: { $0.keyword == "passfile" })?.value,
      case .success = System.identity(of: passfile),
      let problem = System.safetyProblem(passfile, role: .credentials)
    {
      throw .misconfigured(problem)
    }
    // libpq's own per-host bound (it treats values below 2 as 2).
    if !has("connect_timeout") { pairs.append(("connect_timeout", String(max(connectTimeout, 2)))) }
    if !has("application_name") { pairs.append(("application_name", "pam_swiftsql")) }
    if !has("client_encoding") { pairs.append(("client_encoding", "UTF8")) }
    return pairs
  }

  /// What is wrong with a connection string libpq refused, in words that
  /// never quote it (libpq's own message may hold part of a password):
  /// where the syntax breaks, or which key libpq does not know.
  static func problem(_ connectionString: String) -> String {
    if connectionString.hasPrefix("postgresql://") || connectionString.hasPrefix("postgres://") {
      return "libpq cannot read the URI; check its form, postgresql://[user@]host[:port]/dbname?key=value"
    }
    switch ConnectionString.parse(connectionString) {
    case .failure(let error): return error.message
    case .success(let pairs):
      let known = LibPQ.keywords()
      if let unknown = pairs.first(where: { !known.contains($0.key) }) {
        return "libpq has no key '\(LogText.printable(unknown.key))'"
      }
      return "libpq refuses one of its values"
    }
  }

  /// Splits libpq's host list into one parameter set per host, by libpq's
  /// own rules: `hostaddr` decides the count when given, else `host`; the
  /// two lists must be as long as each other; `port` is one value for all
  /// hosts or one per host; an empty element means libpq's default. A
  /// string with one host is left as it is.
  static func hosts(_ pairs: [(keyword: String, value: String)]) throws(AuthFailure) -> [Host] {
    func list(_ keyword: String) -> [String]? {
      guard let value = pairs.last(where: { $0.keyword == keyword })?.value, !value.isEmpty else { return nil }
      return value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }
    let names = list("host")
    let addresses = list("hostaddr")
    let ports = list("port")
    let count = addresses?.count ?? names?.count ?? 1
    if let names, names.count != count {
      throw .misconfigured(
        "connect lists \(names.count) hosts but \(count) hostaddr values: give one of each per server")
    }
    if let ports, ports.count != 1 && ports.count != count {
      throw .misconfigured("connect lists \(count) hosts but \(ports.count) ports: give one port, or one per host")
    }
    func name(_ index: Int) -> String {
      let host = [addresses?[index], names?[index]].compactMap { $0 }.first { !$0.isEmpty } ?? "the default host"
      let port = ports.map { $0.count == 1 ? $0[0] : $0[index] } ?? ""
      return port.isEmpty ? host : "\(host) port \(port)"
    }
    guard count > 1 else { return [Host(parameters: pairs, name: name(0))] }
    return (0..<count).map { index in
      var parameters = pairs.filter { $0.keyword != "host" && $0.keyword != "hostaddr" && $0.keyword != "port" }
      if let names { parameters.append(("host", names[index])) }
      if let addresses { parameters.append(("hostaddr", addresses[index])) }
      if let ports { parameters.append(("port", ports.count == 1 ? ports[0] : ports[index])) }
      return Host(parameters: parameters, name: name(index))
    }
  }

  /// Tries the hosts in turn from `first` (wrapping around), each for up to
  /// connect_timeout and all before `overall`; returns the first connection
  /// made and its host. A password the server asks for and the connection
  /// string lacks is a configuration error, and stops the search.
  private func connect(startingAt first: Int, overall: Deadline, log: Log) throws(AuthFailure) -> (
    PGConnection, Int
  ) {
    let hosts: [Host]
    if let known = self.hosts {
      hosts = known
    } else {
      hosts = try PostgresDatabase.hosts(try connectionParameters())
      self.hosts = hosts
    }
    var problems: [String] = []
    for step in 0..<hosts.count {
      let index = (first + step) % hosts.count
      let host = hosts[index]
      if step > 0 && overall.hasPassed {
        problems.append("\(host.name): not tried, no time left")
        continue
      }
      do {
        let connection = try connect(
          host, until: Deadline.earlier(overall, .after(seconds: connectTimeout)), log: log)
        if !problems.isEmpty {
          log.notice("connected to \(host.name) after \(problems.joined(separator: "; "))")
        }
        return (connection, index)
      } catch {
        guard case .unavailable(let message) = error else { throw error }
        problems.append(hosts.count > 1 ? "\(host.name): \(message)" : message)
      }
    }
    throw .unavailable(problems.joined(separator: "; "))
  }

  private func connect(_ host: Host, until deadline: Deadline, log: Log) throws(AuthFailure) -> PGConnection {
    guard let connection = PGConnection.start(host.parameters) else {
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

  /// Runs the batch on `connection`: a single statement as libpq's
  /// ordinary asynchronous query, several in pipeline mode (one Sync for
  /// all, so the server reads them in one go and answers in one go).
  private func execute(_ connection: PGConnection, _ batch: [Database.Statement], until deadline: Deadline)
    throws(Failure) -> [[Row]?]
  {
    // Each statement is prepared on its own the first time this connection
    // sees it; after that a batch sends only Bind and Execute messages. A
    // later statement the server will not prepare is left out.
    var names: [String?] = []
    for (index, statement) in batch.enumerated() {
      do {
        names.append(try prepare(connection, statement, until: deadline))
      } catch {
        guard index > 0, case .serverError = error else { throw error }
        names.append(nil)
      }
    }
    let sent = zip(names, batch).compactMap { name, statement in name.map { (name: $0, statement: statement) } }
    if sent.count < 2, let only = sent.first {
      guard connection.sendQueryPrepared(name: only.name, values: only.statement.values) else {
        throw .connectionLost(connection.errorMessage)
      }
      try send(connection, until: deadline)
      let rows = try results(of: connection, until: deadline, limit: only.statement.limit)
      return [rows] + [[Row]?](repeating: nil, count: batch.count - 1)
    }
    guard connection.enterPipelineMode() else { throw .connectionLost(connection.errorMessage) }
    for (name, statement) in sent {
      guard connection.sendQueryPrepared(name: name, values: statement.values) else {
        throw .connectionLost(connection.errorMessage)
      }
    }
    guard connection.pipelineSync() else { throw .connectionLost(connection.errorMessage) }
    try send(connection, until: deadline)
    var answers: [[Row]?] = []
    var firstFailure: Failure? = nil
    for (name, statement) in zip(names, batch) {
      guard name != nil else {
        answers.append(nil)
        continue
      }
      do {
        answers.append(try results(of: connection, until: deadline, limit: statement.limit))
      } catch {
        // Only the server's refusal leaves the connection in step; the rest
        // of the batch is then reported aborted, and read all the same.
        guard case .serverError = error else { throw error }
        if answers.isEmpty { firstFailure = error }
        answers.append(nil)
      }
    }
    // The batch ends with the Sync's own result; then the connection is as
    // before, ready for ordinary queries.
    while true {
      guard let result = try nextResult(of: connection, until: deadline) else {
        throw .connectionLost("the server ended a pipeline without its Sync")
      }
      if result.status == .pipelineSync { break }
    }
    guard connection.exitPipelineMode() else { throw .connectionLost(connection.errorMessage) }
    if let firstFailure { throw firstFailure }
    return answers
  }

  /// The name `statement` is prepared under on `connection`, preparing it
  /// first when this connection has not seen it.
  private func prepare(_ connection: PGConnection, _ statement: Database.Statement, until deadline: Deadline)
    throws(Failure) -> String
  {
    if let existing = prepared[statement.sql] { return existing }
    let name = "pam_swiftsql_\(prepared.count + 1)"
    guard connection.sendPrepare(name: name, sql: statement.sql, parameterCount: statement.values.count) else {
      throw .connectionLost(connection.errorMessage)
    }
    try send(connection, until: deadline)
    _ = try results(of: connection, until: deadline, limit: 0)
    prepared[statement.sql] = name
    return name
  }

  /// Sends everything libpq has queued.
  private func send(_ connection: PGConnection, until deadline: Deadline) throws(Failure) {
    while true {
      let flushed = connection.flush()
      if flushed == 0 { return }
      if flushed < 0 { throw .connectionLost(connection.errorMessage) }
      try wait(connection, writable: true, until: deadline)
      guard connection.consumeInput() else { throw .connectionLost(connection.errorMessage) }
    }
  }

  /// Reads every result of the next command, up to libpq's nil after it.
  private func results(of connection: PGConnection, until deadline: Deadline, limit: Int) throws(Failure) -> [Row] {
    var rows: [Row] = []
    var failure: Failure? = nil
    while let result = try nextResult(of: connection, until: deadline) {
      switch result.status {
      case .tuplesOK where rows.isEmpty && failure == nil:
        rows = result.rows(limit: limit)
      case .commandOK, .tuplesOK:
        break
      case .pipelineAborted:
        if failure == nil {
          failure = .serverError(sqlState: "", message: "not run: an earlier statement of its batch failed")
        }
      case .pipelineSync:
        // Never inside a command's results; the batch reads it after them.
        if failure == nil { failure = .connectionLost("the server answered out of order") }
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

  /// libpq's next result, read from the server as it comes; nil at the
  /// end of a command's results.
  private func nextResult(of connection: PGConnection, until deadline: Deadline) throws(Failure) -> PGResult? {
    while connection.isBusy {
      try wait(connection, writable: false, until: deadline)
      guard connection.consumeInput() else { throw .connectionLost(connection.errorMessage) }
    }
    return connection.nextResult()
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
