// The MariaDB/MySQL driver, over MariaDB Connector/C: one connection per
// process, opened on first use and kept across PAM transactions (the module
// is linked -z nodelete), each query a server-side prepared statement,
// prepared once per connection. A connection that broke (server restart,
// idle timeout) is re-opened once within the same request; one inherited
// across fork() is abandoned, never used or closed.
//
// Every wait is bounded by this driver's own deadlines, not by Connector/C's
// timeouts: connecting by `connect_timeout`, a query by `query_timeout`, one
// request by both together. Measured with Connector/C 3.3.20 (Debian 12): it
// does not retry reads the way libmysqlclient does (no 3× the timeout), but
// its MYSQL_OPT_CONNECT_TIMEOUT and MYSQL_OPT_READ_TIMEOUT bound each
// poll(2) for one read, not a call. A frozen server (SIGSTOP) costs one
// timeout, but a server that trickles one byte every 1.5 s kept
// mysql_real_connect with a 2 s timeout waiting for more than 20 s, and a
// query that reads several packets may wait a read timeout for each. So the
// driver uses the non-blocking API (mysql_real_connect_start,
// mysql_stmt_prepare_start, mysql_stmt_execute_start, …) and polls
// mysql_get_socket against its deadline; on timeout it shuts the socket down
// (see LibMariaDB.swift). The library's own timeouts are still set, for the
// few blocking calls left (mysql_stmt_close, mysql_close's COM_QUIT).
//
// What Connector/C does on its own, and what the driver does about it:
// - With no user name it sends "root" when running as root, otherwise it
//   calls getpwuid(geteuid()) (an NSS lookup), then getlogin(), $USER…
//   (plugins/auth/my_auth.c, read_user_name). So `user=` is required,
//   unless an `option_file` is given, which must then name `user`.
// - With no password it reads $MYSQL_PWD; the driver passes an empty
//   password instead, unless an option file may hold one.
// - It reads no option file unless told to (MYSQL_READ_DEFAULT_FILE), and
//   then only that one (no ~/.my.cnf). Its values are read while
//   connecting, so they win over the options set here (ssl-*, timeouts,
//   character set), but not over host, port, socket, user, password and
//   dbname given in `connect`.
// - Initialising the library, once per process, calls
//   getservbyname("mysql", "tcp") (libmariadb/mariadb_lib.c,
//   mysql_once_init), which reads /etc/nsswitch.conf and /etc/services,
//   and sets SIGPIPE to SIG_IGN for the whole process. Neither can be
//   avoided through its API.

import SwiftSQLCore
import SwiftSQLSystem

public final class MariaDBDatabase {
  let connectionString: String
  let connectTimeout: Int
  let queryTimeout: Int

  private var connection: MariaDBConnection? = nil
  private var ownerProcess: Int32 = 0
  /// Prepared statements by SQL text, for the current connection.
  private var statements: [String: MariaDBStatement] = [:]

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
    case serverError(MariaDBError)
    /// The query has a different number of `?` than variables.
    case parameterCount(placeholders: Int, values: Int)
  }

  /// Closes the connection (the pool no longer needs it).
  public func discard(log: Log) {
    dropInherited(log: log)
    close()
  }

  /// Abandons a connection inherited across fork(): its socket is the
  /// parent's, so it is neither used nor closed.
  private func dropInherited(log: Log) {
    guard let existing = connection, ownerProcess != System.processID() else { return }
    log.debug("dropping the database connection inherited from process \(ownerProcess)")
    existing.abandon()
    close()
  }

  /// Runs `sql` with `values` bound and returns at most `limit` rows. The
  /// statement runs even when `limit` is 0 (an UPDATE, an INSERT).
  /// Every wait within connect_timeout + query_timeout from now, and
  /// before `deadline` when one is given.
  public func rows(sql: String, values: [String], limit: Int, until deadline: Deadline? = nil, log: Log)
    throws(AuthFailure) -> [Row]
  {
    let own = Deadline.after(seconds: connectTimeout + queryTimeout)
    let overall = deadline.map { Deadline.earlier(own, $0) } ?? own
    dropInherited(log: log)
    var retried = false
    while true {
      let reused = connection != nil
      let current: MariaDBConnection
      if let connection {
        current = connection
      } else {
        current = try connect(until: Deadline.earlier(overall, .after(seconds: connectTimeout)), log: log)
        connection = current
        ownerProcess = System.processID()
        statements = [:]
      }
      do {
        return try execute(
          current, sql: sql, values: values, limit: limit,
          until: Deadline.earlier(overall, .after(seconds: queryTimeout)))
      } catch {
        switch error {
        case .connectionLost(let message):
          close()
          if reused && !retried && !overall.hasPassed {
            log.info("the database connection was lost (\(message)); reconnecting")
            retried = true
            continue
          }
          throw .unavailable("the connection was lost: \(message)")
        case .timedOut:
          // The socket is already shut down: closing cannot wait.
          close()
          throw .unavailable("no answer within query_timeout (\(queryTimeout) s)")
        case .serverError(let error):
          // Quoted text is shown only where the query itself has it: the
          // server quotes the values it refused, and a value may be a hash.
          let message = LogText.maskingQuotedText(error.message) { LogText.occurs($0, in: sql) }
          if MariaDBDatabase.isTransient(error.code) {
            close()
            throw .unavailable("\(message) (error \(error.code), SQLSTATE \(error.sqlState))")
          }
          if error.code == MariaDBCode.tableAccessDenied || error.code == MariaDBCode.columnAccessDenied {
            throw .misconfigured(
              "the server refused the query: \(message) (error \(error.code)); "
                + "GRANT the database user SELECT on the table (and UPDATE on the password column for "
                + "password_update_query)")
          }
          throw .misconfigured(
            "the server refused the query: \(message) (error \(error.code), SQLSTATE \(error.sqlState))")
        case .parameterCount(let placeholders, let values):
          throw .misconfigured(
            "the query has \(placeholders) MariaDB parameters but \(values) variables; "
              + "write variables (%u, %n, %d, …), not ?")
        }
      }
    }
  }

  /// Errors that mean the connection is gone, or not usable as it is:
  /// every client-side error (CR_*: server gone or lost, out of step, …)
  /// and the server's "connection killed", "shutting down", "unknown
  /// statement" and idle-timeout errors. Reconnecting may help.
  static func isConnectionLost(_ code: UInt32) -> Bool {
    if (2000...2999).contains(code) { return true }
    switch code {
    case MariaDBCode.netRead, MariaDBCode.netWrite, MariaDBCode.connectionKilled, MariaDBCode.serverShutdown,
      MariaDBCode.unknownStatementHandler, MariaDBCode.needReprepare, MariaDBCode.clientInteractionTimeout:
      return true
    default:
      return false
    }
  }

  /// Server errors that mean "try later", not "the query is wrong": too
  /// many connections, out of resources, locks, interrupted or timed-out
  /// statements, a read-only server.
  static func isTransient(_ code: UInt32) -> Bool {
    switch code {
    case MariaDBCode.tooManyConnections, MariaDBCode.tooManyUserConnections, MariaDBCode.outOfResources,
      MariaDBCode.lockWaitTimeout, MariaDBCode.lockDeadlock, MariaDBCode.queryInterrupted,
      MariaDBCode.statementTimeout, MariaDBCode.readOnlyStatement, MariaDBCode.readOnlyMode:
      return true
    default:
      return false
    }
  }

  /// The keys `connect` may have.
  static let keys = [
    "host", "port", "socket", "user", "password", "dbname", "ssl_ca", "ssl_cert", "ssl_key",
    "ssl_verify_server_cert", "option_file", "option_group",
  ]

  /// What `connect` names, checked.
  struct Parameters {
    var host: String? = nil
    var port: UInt32 = 0
    var socket: String? = nil
    var user: String? = nil
    var password: String? = nil
    var database: String? = nil
    var sslCA: String? = nil
    var sslCert: String? = nil
    var sslKey: String? = nil
    var verifyServerCertificate: Bool? = nil
    var optionFile: String? = nil
    var optionGroup: String? = nil

    var usesTLS: Bool { sslCA != nil || sslCert != nil || sslKey != nil || verifyServerCertificate == true }
  }

  /// Parses `connect`: libpq's key=value syntax with the keys above. A
  /// value is taken as written; an empty one counts as absent.
  static func parameters(_ text: String) throws(AuthFailure) -> Parameters {
    let pairs: [(key: String, value: String)]
    switch ConnectionString.parse(text) {
    case .success(let parsed): pairs = parsed
    case .failure(let error): throw .misconfigured("connect is not a valid key=value string: \(error.message)")
    }
    var parameters = Parameters()
    for (key, value) in pairs {
      let given: String? = value.isEmpty ? nil : value
      switch key {
      case "host":
        parameters.host = given
      case "port":
        guard let port = UInt32(value), (1...65535).contains(port) else {
          throw .misconfigured("connect: port='\(value)' is not a TCP port number (1 to 65535)")
        }
        parameters.port = port
      case "socket": parameters.socket = given
      case "user": parameters.user = given
      case "password": parameters.password = given
      case "dbname": parameters.database = given
      case "ssl_ca": parameters.sslCA = given
      case "ssl_cert": parameters.sslCert = given
      case "ssl_key": parameters.sslKey = given
      case "ssl_verify_server_cert":
        switch value.lowercased() {
        case "yes", "true", "on", "1": parameters.verifyServerCertificate = true
        case "no", "false", "off", "0": parameters.verifyServerCertificate = false
        default:
          throw .misconfigured("connect: ssl_verify_server_cert='\(value)' must be yes or no")
        }
      case "option_file": parameters.optionFile = given
      case "option_group": parameters.optionGroup = given
      default:
        throw .misconfigured(
          "connect: unknown key '\(key)' for driver = mysql; the keys are "
            + keys.joined(separator: ", "))
      }
    }
    // A host that is a path names the unix socket, as pam_mysql's host
    // option does.
    if let host = parameters.host, host.hasPrefix("/") {
      if parameters.socket != nil {
        throw .misconfigured("connect: host='\(host)' names a socket and socket= names another; keep one")
      }
      parameters.socket = host
      parameters.host = "localhost"
    }
    if let optionFile = parameters.optionFile, !optionFile.hasPrefix("/") {
      throw .misconfigured("connect: option_file='\(optionFile)' must be an absolute path")
    }
    if parameters.optionGroup != nil && parameters.optionFile == nil {
      throw .misconfigured("connect: option_group= needs option_file=, the file that has the group")
    }
    if parameters.user == nil && parameters.optionFile == nil {
      throw .misconfigured(
        "connect names no user=: pam_swiftsql makes no user lookups, so name the database user, "
          + "e.g. user=mailauth (or give it in an option_file)")
    }
    return parameters
  }

  /// The options for a new handle, in the order they are set.
  func options(_ parameters: Parameters) -> [(key: String, option: MariaDBOption)] {
    var options: [(key: String, option: MariaDBOption)] = [
      ("connect", .nonBlocking),
      ("connect_timeout", .connectTimeout(connectTimeout)),
      ("query_timeout", .readTimeout(queryTimeout)),
      ("query_timeout", .writeTimeout(queryTimeout)),
      ("connect", .characterSet("utf8mb4")),
      ("connect", .localInfile(false)),
    ]
    if let file = parameters.optionFile {
      options.append(("option_file", .optionFile(file)))
      options.append(("option_group", .optionGroup(parameters.optionGroup ?? "client")))
    }
    if let path = parameters.sslCA { options.append(("ssl_ca", .sslCA(path))) }
    if let path = parameters.sslCert { options.append(("ssl_cert", .sslCert(path))) }
    if let path = parameters.sslKey { options.append(("ssl_key", .sslKey(path))) }
    // With TLS asked for, the server's certificate is checked unless
    // ssl_verify_server_cert=no says otherwise (Connector/C 3.3 would not).
    if parameters.usesTLS {
      options.append(("ssl_verify_server_cert", .verifyServerCertificate(parameters.verifyServerCertificate ?? true)))
    }
    return options
  }

  private func connect(until deadline: Deadline, log: Log) throws(AuthFailure) -> MariaDBConnection {
    let parameters = try MariaDBDatabase.parameters(connectionString)
    if let file = parameters.optionFile {
      if case .failure(let error) = System.identity(of: file) {
        // Connector/C would silently connect without it.
        throw .misconfigured("connect: option_file cannot be read: \(error.message)")
      }
      // It says where to connect and as whom: whoever may change it can
      // point the module at a server that accepts every login.
      if let problem = System.safetyProblem(file, role: .credentials) { throw .misconfigured(problem) }
    }
    guard let connection = MariaDBConnection.make() else {
      throw .unavailable("MariaDB Connector/C could not allocate a connection")
    }
    for (key, option) in options(parameters) {
      if case .failure(let error) = connection.set(option) {
        throw .misconfigured("connect: Connector/C refused \(key): \(LogText.maskingQuotedText(error.message))")
      }
    }
    // An option file may hold the password: then do not pass one.
    let password = parameters.password ?? (parameters.optionFile == nil ? "" : nil)
    let outcome = connection.connect(
      host: parameters.host, user: parameters.user, password: password, database: parameters.database,
      port: parameters.port, socket: parameters.socket, until: deadline)
    switch outcome {
    case .success:
      log.debug(
        "connected to MariaDB \(connection.serverVersion) (connection \(connection.serverConnectionID))")
      return connection
    case .failure(.timedOut):
      throw .unavailable("could not connect within connect_timeout (\(connectTimeout) s)")
    case .failure(.waitFailed(let error)):
      throw .unavailable(error.message)
    case .failure(.noSocket):
      throw .unavailable("Connector/C has no socket to wait on")
    case .failure(.library(let error)):
      // Quoted text is shown only where it is a setting's value that is
      // not secret (the user, the host, the database).
      let known = [parameters.user, parameters.host, parameters.database, parameters.socket].compactMap { $0 }
      throw MariaDBDatabase.connectFailure(error) { known.contains($0) }
    }
  }

  /// Sorts a failed connection into "fix the configuration" and "try later".
  static func connectFailure(_ error: MariaDBError, keeping isKnown: (String) -> Bool) -> AuthFailure {
    let detail = "\(LogText.maskingQuotedText(error.message, keeping: isKnown)) (error \(error.code))"
    switch error.code {
    case MariaDBCode.accessDenied, MariaDBCode.accessDeniedNoPassword:
      return .misconfigured(
        "the server refused the database login: \(detail); check user= and password= in connect "
          + "(or the option file) and that the user may log in from this host")
    case MariaDBCode.databaseAccessDenied, MariaDBCode.unknownDatabase:
      return .misconfigured("the server refused the database: \(detail); check dbname= and the user's GRANTs")
    case MariaDBCode.hostNotPrivileged:
      return .misconfigured("\(detail); allow the database user to connect from this host")
    case MariaDBCode.authPluginCannotLoad, MariaDBCode.authPluginError:
      return .misconfigured(
        "\(detail); the user's authentication plugin is not usable here: give it a password "
          + "(mysql_native_password or ed25519)")
    default:
      return .unavailable(detail)
    }
  }

  private func close() {
    statements = [:]
    connection = nil
  }

  private func execute(
    _ connection: MariaDBConnection, sql: String, values: [String], limit: Int, until deadline: Deadline
  ) throws(Failure) -> [Row] {
    let statement: MariaDBStatement
    if let existing = statements[sql] {
      statement = existing
    } else {
      let made = try check(connection.makeStatement())
      try check(made.prepare(sql, until: deadline))
      guard made.parameterCount == values.count else {
        throw .parameterCount(placeholders: made.parameterCount, values: values.count)
      }
      statements[sql] = made
      statement = made
    }
    try check(statement.execute(values, until: deadline))
    var rows: [Row] = []
    let count = statement.columnCount
    if count > 0 {
      let columns = statement.columnNames()
      try check(statement.storeResult(until: deadline))
      defer { statement.freeResult() }
      switch statement.fetchRows(columnCount: count, limit: limit) {
      case .success(let values): rows = values.map { Row(columns: columns, values: $0) }
      case .failure(let error): throw failure(.library(error))
      }
    }
    // A CALL returns more results (at least its status): read them all, or
    // the connection is out of step for the next query.
    while statement.hasMoreResults {
      guard try check(statement.nextResult(until: deadline)) else { break }
      if statement.columnCount > 0 {
        try check(statement.storeResult(until: deadline))
        statement.freeResult()
      }
    }
    return rows
  }

  private func check<T>(_ result: Result<T, MariaDBFailure>) throws(Failure) -> T {
    switch result {
    case .success(let value): return value
    case .failure(let error): throw failure(error)
    }
  }

  private func failure(_ error: MariaDBFailure) -> Failure {
    switch error {
    case .timedOut: return .timedOut
    case .waitFailed(let error): return .connectionLost(error.message)
    case .noSocket: return .connectionLost("Connector/C has no socket to wait on")
    case .library(let error):
      if MariaDBDatabase.isConnectionLost(error.code) {
        return .connectionLost("\(LogText.maskingQuotedText(error.message)) (error \(error.code))")
      }
      return .serverError(error)
    }
  }
}
