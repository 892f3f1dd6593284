// The boundary to MariaDB Connector/C (libmariadb): every mysql_* function the
// project calls is wrapped here once, and Connector/C's error state
// (mysql_errno, mysql_sqlstate and mysql_error, or the statement's
// mysql_stmt_errno, mysql_stmt_sqlstate and mysql_stmt_error) is read here, at
// once, into `MariaDBError`. `MariaDBConnection` owns a MYSQL handle
// (mysql_close in deinit) and `MariaDBStatement` a MYSQL_STMT
// (mysql_stmt_close), except when the connection was inherited across fork()
// and is abandoned: then neither is closed, so nothing is sent on the
// parent's session.
//
// Every call that talks to the server uses Connector/C's non-blocking API
// (mysql_*_start / mysql_*_cont, MYSQL_OPT_NONBLOCK) and waits with poll(2)
// on mysql_get_socket until a deadline. When the deadline passes, the socket
// is shut down (shutdown(2), which makes every further read and write fail
// at once) and the suspended call is resumed with MYSQL_WAIT_TIMEOUT until
// it gives up, so the handle is left consistent and can be closed without
// waiting on the server.

import CLibC
import CLibMariaDB
import SwiftSQLCore
import SwiftSQLSystem

/// Connector/C's error state: the error number (CR_* from the client,
/// ER_* from the server), the SQLSTATE and the message.
struct MariaDBError: Error {
  let code: UInt32
  let sqlState: String
  let message: String
}

/// How a call that talks to the server ended, when it did not succeed.
enum MariaDBFailure: Error {
  /// Connector/C or the server reported an error.
  case library(MariaDBError)
  /// The deadline passed first. The socket was shut down: the connection
  /// cannot be used again.
  case timedOut
  /// poll(2) failed. The socket was shut down.
  case waitFailed(SystemError)
  /// Connector/C waited for its socket but had none (mysql_get_socket
  /// returned -1); the call was ended.
  case noSocket
}

/// The options the driver sets with `mysql_options` before connecting.
enum MariaDBOption {
  /// MYSQL_OPT_NONBLOCK with the default stack: the non-blocking API.
  case nonBlocking
  /// MYSQL_OPT_CONNECT_TIMEOUT, seconds.
  case connectTimeout(Int)
  /// MYSQL_OPT_READ_TIMEOUT, seconds.
  case readTimeout(Int)
  /// MYSQL_OPT_WRITE_TIMEOUT, seconds.
  case writeTimeout(Int)
  /// MYSQL_SET_CHARSET_NAME.
  case characterSet(String)
  /// MYSQL_OPT_LOCAL_INFILE: whether the server may ask for a local file.
  case localInfile(Bool)
  /// MYSQL_READ_DEFAULT_FILE: the option file read when connecting.
  case optionFile(String)
  /// MYSQL_READ_DEFAULT_GROUP: the group read besides [client],
  /// [client-server] and [client-mariadb].
  case optionGroup(String)
  /// MYSQL_OPT_SSL_CA.
  case sslCA(String)
  /// MYSQL_OPT_SSL_CERT.
  case sslCert(String)
  /// MYSQL_OPT_SSL_KEY.
  case sslKey(String)
  /// MYSQL_OPT_SSL_VERIFY_SERVER_CERT.
  case verifyServerCertificate(Bool)
}

/// Connector/C's error numbers that the driver tells apart (errmsg.h and
/// mysqld_error.h).
enum MariaDBCode {
  static let authPluginCannotLoad = UInt32(CR_AUTH_PLUGIN_CANNOT_LOAD)
  static let authPluginError = UInt32(CR_AUTH_PLUGIN_ERR)
  static let netRead = UInt32(CR_ERR_NET_READ)
  static let netWrite = UInt32(CR_ERR_NET_WRITE)

  static let tooManyConnections = UInt32(ER_CON_COUNT_ERROR)
  static let outOfResources = UInt32(ER_OUT_OF_RESOURCES)
  static let databaseAccessDenied = UInt32(ER_DBACCESS_DENIED_ERROR)
  static let accessDenied = UInt32(ER_ACCESS_DENIED_ERROR)
  static let accessDeniedNoPassword = UInt32(ER_ACCESS_DENIED_NO_PASSWORD_ERROR)
  static let unknownDatabase = UInt32(ER_BAD_DB_ERROR)
  static let serverShutdown = UInt32(ER_SERVER_SHUTDOWN)
  static let hostNotPrivileged = UInt32(ER_HOST_NOT_PRIVILEGED)
  static let tableAccessDenied = UInt32(ER_TABLEACCESS_DENIED_ERROR)
  static let columnAccessDenied = UInt32(ER_COLUMNACCESS_DENIED_ERROR)
  static let tooManyUserConnections = UInt32(ER_TOO_MANY_USER_CONNECTIONS)
  static let lockWaitTimeout = UInt32(ER_LOCK_WAIT_TIMEOUT)
  static let lockDeadlock = UInt32(ER_LOCK_DEADLOCK)
  static let unknownStatementHandler = UInt32(ER_UNKNOWN_STMT_HANDLER)
  static let readOnlyStatement = UInt32(ER_OPTION_PREVENTS_STATEMENT)
  static let queryInterrupted = UInt32(ER_QUERY_INTERRUPTED)
  static let needReprepare = UInt32(ER_NEED_REPREPARE)
  static let readOnlyMode = UInt32(ER_READ_ONLY_MODE)
  static let connectionKilled = UInt32(ER_CONNECTION_KILLED)
  static let statementTimeout = UInt32(ER_STATEMENT_TIMEOUT)
  /// MySQL 8.0.24 and later send it before closing an idle connection
  /// (ER_CLIENT_INTERACTION_TIMEOUT; not in MariaDB's headers).
  static let clientInteractionTimeout: UInt32 = 4031
}

/// Owns one MYSQL handle.
final class MariaDBConnection {
  fileprivate let handle: UnsafeMutablePointer<MYSQL>
  /// Set when the handle was inherited across fork(): nothing is closed.
  fileprivate private(set) var abandoned = false

  private init(handle: UnsafeMutablePointer<MYSQL>) { self.handle = handle }

  deinit {
    if !abandoned { mysql_close(handle) }
  }

  /// `mysql_init(NULL)`: a new handle, or nil when Connector/C cannot
  /// allocate one. (The first call in a process initialises the library:
  /// see MariaDBDatabase.swift for what that does.)
  static func make() -> MariaDBConnection? {
    guard let handle = mysql_init(nil) else { return nil }
    return MariaDBConnection(handle: handle)
  }

  /// `mysql_options`: sets one option before connecting. (mysql_options
  /// is mysql_optionsv with one argument; Swift cannot call the variadic
  /// form.)
  func set(_ option: MariaDBOption) -> Result<Void, MariaDBError> {
    func setUnsigned(_ name: mysql_option, _ value: Int) -> Int32 {
      var number = UInt32(clamping: value)
      return mysql_options(handle, name, &number)
    }
    func setFlag(_ name: mysql_option, _ value: Bool) -> Int32 {
      var flag: my_bool = value ? 1 : 0
      return mysql_options(handle, name, &flag)
    }
    let code: Int32
    switch option {
    case .nonBlocking: code = mysql_options(handle, MYSQL_OPT_NONBLOCK, nil)
    case .connectTimeout(let seconds): code = setUnsigned(MYSQL_OPT_CONNECT_TIMEOUT, seconds)
    case .readTimeout(let seconds): code = setUnsigned(MYSQL_OPT_READ_TIMEOUT, seconds)
    case .writeTimeout(let seconds): code = setUnsigned(MYSQL_OPT_WRITE_TIMEOUT, seconds)
    case .characterSet(let name): code = mysql_options(handle, MYSQL_SET_CHARSET_NAME, name)
    case .localInfile(let allowed): code = setUnsigned(MYSQL_OPT_LOCAL_INFILE, allowed ? 1 : 0)
    case .optionFile(let path): code = mysql_options(handle, MYSQL_READ_DEFAULT_FILE, path)
    case .optionGroup(let group): code = mysql_options(handle, MYSQL_READ_DEFAULT_GROUP, group)
    case .sslCA(let path): code = mysql_options(handle, MYSQL_OPT_SSL_CA, path)
    case .sslCert(let path): code = mysql_options(handle, MYSQL_OPT_SSL_CERT, path)
    case .sslKey(let path): code = mysql_options(handle, MYSQL_OPT_SSL_KEY, path)
    case .verifyServerCertificate(let verify): code = setFlag(MYSQL_OPT_SSL_VERIFY_SERVER_CERT, verify)
    }
    if code == 0 { return .success(()) }
    let error = self.error
    return .failure(
      error.code != 0 ? error : MariaDBError(code: 0, sqlState: "HY000", message: "Connector/C refused the option"))
  }

  /// `mysql_real_connect_start` / `mysql_real_connect_cont`: connects and
  /// logs in, by `deadline`. nil for a value lets Connector/C decide (or an
  /// option file, if one was set). The C copies of the values are kept
  /// until the connection is complete, then the password's is wiped.
  func connect(
    host: String?, user: String?, password: String?, database: String?, port: UInt32, socket: String?,
    until deadline: Deadline
  ) -> Result<Void, MariaDBFailure> {
    let copies = [host, user, password, database, socket].map { value in value.flatMap { strdup($0) } }
    defer {
      for pointer in copies {
        if let pointer {
          System.wipe(pointer, count: strlen(pointer))
          free(pointer)
        }
      }
    }
    var result: UnsafeMutablePointer<MYSQL>? = nil
    let completion = complete(
      until: deadline,
      start: {
        mysql_real_connect_start(&result, handle, copies[0], copies[1], copies[2], copies[3], port, copies[4], 0)
      },
      resume: { mysql_real_connect_cont(&result, handle, $0) })
    if let failure = completion { return .failure(failure) }
    return result == nil ? .failure(.library(error)) : .success(())
  }

  /// `mysql_get_socket`, or -1 when there is none.
  var socket: Int32 { mysql_get_socket(handle) }

  /// `mysql_thread_id`: the server's connection id, for debug logs.
  var serverConnectionID: UInt { UInt(mysql_thread_id(handle)) }

  /// `mysql_get_server_info`: the server's version, for debug logs.
  var serverVersion: String { mysql_get_server_info(handle).map { String(cString: $0) } ?? "" }

  /// The handle's error state: `mysql_errno`, `mysql_sqlstate`, `mysql_error`.
  var error: MariaDBError {
    MariaDBError(
      code: mysql_errno(handle), sqlState: mysql_sqlstate(handle).map { String(cString: $0) } ?? "",
      message: mysql_error(handle).map { String(cString: $0) } ?? "")
  }

  /// `mysql_stmt_init`: a statement on this connection.
  func makeStatement() -> Result<MariaDBStatement, MariaDBFailure> {
    guard let statement = mysql_stmt_init(handle) else { return .failure(.library(error)) }
    return .success(MariaDBStatement(handle: statement, connection: self))
  }

  /// Leaves a connection inherited across fork() alone: closes this
  /// process's copy of its socket and never calls mysql_close, which would
  /// send COM_QUIT on the parent's session. The handle's memory is leaked
  /// on purpose.
  func abandon() {
    let descriptor = socket
    if descriptor >= 0 { System.closeDescriptor(descriptor) }
    abandoned = true
  }

  /// Drives one non-blocking call to its end. `start` begins it and
  /// `resume` continues it with the events that occurred; both return 0
  /// once the call is complete, else the MYSQL_WAIT_* events it waits for.
  /// Returns nil when the call completed (its own result says how), or why
  /// it was cut short.
  fileprivate func complete(until deadline: Deadline, start: () -> Int32, resume: (Int32) -> Int32)
    -> MariaDBFailure?
  {
    let ioEvents = MYSQL_WAIT_READ | MYSQL_WAIT_WRITE
    var status = start()
    while status != 0 {
      let descriptor = socket
      guard descriptor >= 0 else {
        cancel(status, resume: resume)
        return .noSocket
      }
      let readable = status & MYSQL_WAIT_READ != 0
      let writable = status & MYSQL_WAIT_WRITE != 0
      if !readable && !writable {
        // Only a timer (Connector/C's own timeout): wait for it, or for
        // the deadline, whichever comes first.
        let timer = Deadline.after(seconds: Int(mysql_get_timeout_value(handle)))
        _ = System.wait(descriptor, readable: false, writable: false, until: Deadline.earlier(deadline, timer))
        if deadline.hasPassed {
          cancel(status, resume: resume)
          return .timedOut
        }
        status = resume(MYSQL_WAIT_TIMEOUT)
        continue
      }
      switch System.wait(descriptor, readable: readable, writable: writable, until: deadline) {
      case .ready:
        status = resume(status & ioEvents)
      case .timedOut:
        cancel(status, resume: resume)
        return .timedOut
      case .failed(let error):
        cancel(status, resume: resume)
        return .waitFailed(error)
      }
    }
    return nil
  }

  /// Ends a suspended call without waiting: shuts the socket down
  /// (`shutdown(2)`, so every read sees end-of-file and every write fails)
  /// and resumes the call with MYSQL_WAIT_TIMEOUT, which makes the read,
  /// write or connect it waits in fail, until the call gives up. Should it
  /// not give up, the handle is abandoned rather than closed while a call is
  /// suspended on it.
  private func cancel(_ pending: Int32, resume: (Int32) -> Int32) {
    let descriptor = socket
    if descriptor >= 0 { _ = shutdown(descriptor, Int32(SHUT_RDWR)) }
    var status = pending
    for _ in 0..<64 where status != 0 {
      status = resume(MYSQL_WAIT_TIMEOUT)
    }
    if status != 0 {
      if descriptor >= 0 { System.closeDescriptor(descriptor) }
      abandoned = true
    }
  }
}

/// Owns one MYSQL_STMT. It keeps its connection alive: a statement is
/// closed before the connection it belongs to.
final class MariaDBStatement {
  private let handle: UnsafeMutablePointer<MYSQL_STMT>
  private let connection: MariaDBConnection

  fileprivate init(handle: UnsafeMutablePointer<MYSQL_STMT>, connection: MariaDBConnection) {
    self.handle = handle
    self.connection = connection
  }

  deinit {
    if !connection.abandoned { mysql_stmt_close(handle) }
  }

  /// The statement's error state: `mysql_stmt_errno`, `mysql_stmt_sqlstate`
  /// and `mysql_stmt_error`, else the connection's.
  private var error: MariaDBError {
    let code = mysql_stmt_errno(handle)
    guard code != 0 else { return connection.error }
    return MariaDBError(
      code: code, sqlState: mysql_stmt_sqlstate(handle).map { String(cString: $0) } ?? "",
      message: mysql_stmt_error(handle).map { String(cString: $0) } ?? "")
  }

  /// `mysql_stmt_prepare_start` / `mysql_stmt_prepare_cont`: a server-side
  /// prepared statement for `sql`.
  func prepare(_ sql: String, until deadline: Deadline) -> Result<Void, MariaDBFailure> {
    var bytes = Array(sql.utf8)
    bytes.append(0)
    var code: Int32 = 0
    let completion = bytes.withUnsafeBufferPointer { buffer in
      buffer.withMemoryRebound(to: CChar.self) { text in
        connection.complete(
          until: deadline,
          start: { mysql_stmt_prepare_start(&code, handle, text.baseAddress, UInt(text.count - 1)) },
          resume: { mysql_stmt_prepare_cont(&code, handle, $0) })
      }
    }
    if let completion { return .failure(completion) }
    return code == 0 ? .success(()) : .failure(.library(error))
  }

  /// `mysql_stmt_param_count`: the number of `?` the server found.
  var parameterCount: Int { Int(mysql_stmt_param_count(handle)) }

  /// `mysql_stmt_field_count`: the number of columns of the current result
  /// (0 for a statement that returns no rows).
  var columnCount: Int { Int(mysql_stmt_field_count(handle)) }

  /// `mysql_stmt_bind_param` (every value as MYSQL_TYPE_STRING, from
  /// copies that are wiped afterwards) and `mysql_stmt_execute_start` /
  /// `mysql_stmt_execute_cont`.
  func execute(_ values: [String], until deadline: Deadline) -> Result<Void, MariaDBFailure> {
    let count = values.count
    let binds = UnsafeMutablePointer<MYSQL_BIND>.allocate(capacity: max(count, 1))
    binds.initialize(repeating: MYSQL_BIND(), count: max(count, 1))
    let lengths = UnsafeMutablePointer<UInt>.allocate(capacity: max(count, 1))
    lengths.initialize(repeating: 0, count: max(count, 1))
    var copies: [(pointer: UnsafeMutableRawPointer, count: Int)] = []
    defer {
      for copy in copies {
        System.wipe(copy.pointer, count: copy.count)
        copy.pointer.deallocate()
      }
      binds.deinitialize(count: max(count, 1))
      binds.deallocate()
      lengths.deallocate()
    }
    for (index, value) in values.enumerated() {
      // Copied byte by byte from the string's own storage: no intermediate
      // array is left behind unwiped.
      let length = value.utf8.count
      let copy = UnsafeMutableRawPointer.allocate(byteCount: max(length, 1), alignment: 1)
      copies.append((copy, max(length, 1)))
      var offset = 0
      for byte in value.utf8 where offset < length {
        copy.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
        offset += 1
      }
      lengths[index] = UInt(length)
      binds[index].buffer_type = MYSQL_TYPE_STRING
      binds[index].buffer = copy
      binds[index].buffer_length = UInt(length)
      binds[index].length = lengths + index
    }
    if count > 0 && mysql_stmt_bind_param(handle, binds) != 0 {
      return .failure(.library(error))
    }
    var code: Int32 = 0
    let completion = connection.complete(
      until: deadline,
      start: { mysql_stmt_execute_start(&code, handle) },
      resume: { mysql_stmt_execute_cont(&code, handle, $0) })
    if let completion { return .failure(completion) }
    return code == 0 ? .success(()) : .failure(.library(error))
  }

  /// The current result's column names: `mysql_stmt_result_metadata`,
  /// `mysql_num_fields`, `mysql_fetch_fields`, `mysql_free_result`.
  func columnNames() -> [String] {
    guard let metadata = mysql_stmt_result_metadata(handle) else { return [] }
    defer { mysql_free_result(metadata) }
    let count = Int(mysql_num_fields(metadata))
    guard let fields = mysql_fetch_fields(metadata) else { return [] }
    var names: [String] = []
    for index in 0..<count {
      let field = fields[index]
      guard let name = field.name else {
        names.append("")
        continue
      }
      let bytes = UnsafeRawBufferPointer(start: name, count: Int(field.name_length))
      names.append(String(decoding: bytes, as: UTF8.self))
    }
    return names
  }

  /// `mysql_stmt_store_result_start` / `mysql_stmt_store_result_cont`:
  /// reads the whole result into client memory, so that fetching it
  /// needs no more waiting.
  func storeResult(until deadline: Deadline) -> Result<Void, MariaDBFailure> {
    var code: Int32 = 0
    let completion = connection.complete(
      until: deadline,
      start: { mysql_stmt_store_result_start(&code, handle) },
      resume: { mysql_stmt_store_result_cont(&code, handle, $0) })
    if let completion { return .failure(completion) }
    return code == 0 ? .success(()) : .failure(.library(error))
  }

  /// The bytes each column's buffer holds before a value is fetched again
  /// at its real length; any length is read whole.
  static let firstBufferBytes = 256

  /// The first `limit` rows of a stored result, each value converted to
  /// text by Connector/C and copied into SecretBytes (nil for NULL):
  /// `mysql_stmt_bind_result` with MYSQL_TYPE_STRING buffers,
  /// `mysql_stmt_fetch`, and `mysql_stmt_fetch_column` at the real length
  /// for a longer value (MYSQL_DATA_TRUNCATED). Every buffer is wiped.
  func fetchRows(columnCount count: Int, limit: Int) -> Result<[[SecretBytes?]], MariaDBError> {
    guard count > 0, limit > 0 else { return .success([]) }
    let capacity = MariaDBStatement.firstBufferBytes
    let binds = UnsafeMutablePointer<MYSQL_BIND>.allocate(capacity: count)
    binds.initialize(repeating: MYSQL_BIND(), count: count)
    let buffers = UnsafeMutableRawPointer.allocate(byteCount: count * capacity, alignment: 8)
    let lengths = UnsafeMutablePointer<UInt>.allocate(capacity: count)
    lengths.initialize(repeating: 0, count: count)
    let nulls = UnsafeMutablePointer<my_bool>.allocate(capacity: count)
    nulls.initialize(repeating: 0, count: count)
    let truncations = UnsafeMutablePointer<my_bool>.allocate(capacity: count)
    truncations.initialize(repeating: 0, count: count)
    defer {
      System.wipe(buffers, count: count * capacity)
      buffers.deallocate()
      binds.deinitialize(count: count)
      binds.deallocate()
      lengths.deallocate()
      nulls.deallocate()
      truncations.deallocate()
    }
    for index in 0..<count {
      binds[index].buffer_type = MYSQL_TYPE_STRING
      binds[index].buffer = buffers + index * capacity
      binds[index].buffer_length = UInt(capacity)
      binds[index].length = lengths + index
      binds[index].is_null = nulls + index
      binds[index].error = truncations + index
    }
    guard mysql_stmt_bind_result(handle, binds) == 0 else { return .failure(error) }

    var rows: [[SecretBytes?]] = []
    while rows.count < limit {
      let code = mysql_stmt_fetch(handle)
      if code == MYSQL_NO_DATA { break }
      guard code == 0 || code == MYSQL_DATA_TRUNCATED else { return .failure(error) }
      var values: [SecretBytes?] = []
      for index in 0..<count {
        if nulls[index] != 0 {
          values.append(nil)
          continue
        }
        let length = Int(lengths[index])
        if length <= capacity {
          values.append(SecretBytes(copying: UnsafeRawBufferPointer(start: buffers + index * capacity, count: length)))
          continue
        }
        switch fetchColumn(index, length: length) {
        case .success(let value): values.append(value)
        case .failure(let error): return .failure(error)
        }
      }
      System.wipe(buffers, count: count * capacity)
      rows.append(values)
    }
    return .success(rows)
  }

  /// `mysql_stmt_fetch_column`: one value of the current row, whole.
  private func fetchColumn(_ column: Int, length: Int) -> Result<SecretBytes, MariaDBError> {
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 8)
    defer {
      System.wipe(buffer, count: length)
      buffer.deallocate()
    }
    var fetched: UInt = 0
    var isNull: my_bool = 0
    var bind = MYSQL_BIND()
    let code = withUnsafeMutablePointer(to: &fetched) { fetchedPointer in
      withUnsafeMutablePointer(to: &isNull) { nullPointer in
        bind.buffer_type = MYSQL_TYPE_STRING
        bind.buffer = buffer
        bind.buffer_length = UInt(length)
        bind.length = fetchedPointer
        bind.is_null = nullPointer
        return mysql_stmt_fetch_column(handle, &bind, UInt32(column), 0)
      }
    }
    guard code == 0 else { return .failure(error) }
    return .success(SecretBytes(copying: UnsafeRawBufferPointer(start: buffer, count: min(Int(fetched), length))))
  }

  /// `mysql_stmt_free_result`: drops the stored result (no I/O once it is
  /// stored).
  func freeResult() {
    _ = mysql_stmt_free_result(handle)
  }

  /// `mysql_stmt_more_results`: whether another result follows (a CALL).
  var hasMoreResults: Bool { mysql_stmt_more_results(handle) != 0 }

  /// `mysql_stmt_next_result_start` / `mysql_stmt_next_result_cont`: moves
  /// to the next result. false when there is none.
  func nextResult(until deadline: Deadline) -> Result<Bool, MariaDBFailure> {
    var code: Int32 = 0
    let completion = connection.complete(
      until: deadline,
      start: { mysql_stmt_next_result_start(&code, handle) },
      resume: { mysql_stmt_next_result_cont(&code, handle, $0) })
    if let completion { return .failure(completion) }
    if code == 0 { return .success(true) }
    if code == -1 { return .success(false) }
    return .failure(.library(error))
  }
}
