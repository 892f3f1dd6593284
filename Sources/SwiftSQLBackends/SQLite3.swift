// The boundary to SQLite 3: every sqlite3_* function the project calls is
// wrapped here once, and SQLite's error state (the result code and
// sqlite3_errmsg) is read here into `SQLiteError`. `SQLiteConnection` owns a
// sqlite3 handle and `SQLiteStatement` a prepared statement; both are freed
// in deinit, unless the connection was inherited across fork() and is being
// abandoned (SQLite forbids using it in the child).

import CSQLite3
import SwiftSQLCore
import SwiftSQLSystem

/// An SQLite result code and its message.
struct SQLiteError: Error {
  let code: Int32
  let message: String

  /// The primary result code (the low byte of an extended code).
  var primaryCode: Int32 { code & 0xFF }
}

/// Owns one sqlite3 connection.
final class SQLiteConnection {
  fileprivate let handle: OpaquePointer
  fileprivate var abandoned = false
  /// The deadline the progress handler enforces, in monotonic nanoseconds
  /// (0: none). Heap memory whose address SQLite keeps.
  private let deadline: UnsafeMutablePointer<UInt64>

  private init(handle: OpaquePointer) {
    self.handle = handle
    deadline = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    deadline.initialize(to: 0)
  }

  deinit {
    if !abandoned {
      sqlite3_progress_handler(handle, 0, nil, nil)
      sqlite3_close_v2(handle)
      deadline.deallocate()
    }
  }

  /// `sqlite3_open_v2` for reading and writing, never creating the file
  /// (a missing database is an error, not a new empty one), with extended
  /// result codes (`sqlite3_extended_result_codes`).
  static func open(path: String) -> Result<SQLiteConnection, SQLiteError> {
    var handle: OpaquePointer? = nil
    let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
    let code = sqlite3_open_v2(path, &handle, flags, nil)
    guard let handle else {
      return .failure(SQLiteError(code: code, message: "out of memory"))
    }
    guard code == SQLITE_OK else {
      let message = String(cString: sqlite3_errmsg(handle))
      sqlite3_close_v2(handle)
      return .failure(SQLiteError(code: code, message: message))
    }
    sqlite3_extended_result_codes(handle, 1)
    let connection = SQLiteConnection(handle: handle)
    sqlite3_progress_handler(handle, 1000, sqliteProgress, UnsafeMutableRawPointer(connection.deadline))
    return .success(connection)
  }

  /// `sqlite3_busy_timeout`: how long a locked database is retried.
  func setBusyTimeout(milliseconds: Int32) {
    sqlite3_busy_timeout(handle, milliseconds)
  }

  /// The deadline the progress handler (`sqlite3_progress_handler`) enforces
  /// by interrupting the statement; nil for none.
  func setDeadline(_ value: Deadline?) {
    deadline.pointee = value?.nanoseconds ?? 0
  }

  /// `sqlite3_prepare_v3` with SQLITE_PREPARE_PERSISTENT.
  func prepare(_ sql: String) -> Result<SQLiteStatement, SQLiteError> {
    var statement: OpaquePointer? = nil
    let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
    guard code == SQLITE_OK, let statement else {
      if let statement { sqlite3_finalize(statement) }
      return .failure(error(code))
    }
    return .success(SQLiteStatement(handle: statement, connection: self))
  }

  /// The error state for `code`: `sqlite3_errmsg`.
  fileprivate func error(_ code: Int32) -> SQLiteError {
    SQLiteError(code: code, message: String(cString: sqlite3_errmsg(handle)))
  }

  /// Leaves a connection inherited across fork() alone (SQLite: "do not
  /// carry an open database connection across a fork()"): nothing is closed
  /// or finalised; the memory is leaked on purpose.
  func abandon() { abandoned = true }
}

/// Interrupts a statement once the connection's deadline has passed.
private func sqliteProgress(_ context: UnsafeMutableRawPointer?) -> Int32 {
  guard let context else { return 0 }
  let deadline = context.load(as: UInt64.self)
  return deadline != 0 && Deadline.now().nanoseconds >= deadline ? 1 : 0
}

/// What one `sqlite3_step` did.
enum SQLiteStep {
  case row, done
}

/// Owns one prepared statement.
final class SQLiteStatement {
  private let handle: OpaquePointer
  private let connection: SQLiteConnection

  fileprivate init(handle: OpaquePointer, connection: SQLiteConnection) {
    self.handle = handle
    self.connection = connection
  }

  deinit {
    if !connection.abandoned { sqlite3_finalize(handle) }
  }

  /// `sqlite3_bind_parameter_count`.
  var parameterCount: Int { Int(sqlite3_bind_parameter_count(handle)) }

  /// `sqlite3_bind_text` with SQLITE_TRANSIENT (SQLite copies the value).
  func bind(_ value: String, at index: Int) -> Result<Void, SQLiteError> {
    let code = sqlite3_bind_text(handle, Int32(index), value, -1, swiftsql_sqlite_transient())
    return code == SQLITE_OK ? .success(()) : .failure(connection.error(code))
  }

  /// `sqlite3_step`.
  func step() -> Result<SQLiteStep, SQLiteError> {
    let code = sqlite3_step(handle)
    switch code {
    case SQLITE_ROW: return .success(.row)
    case SQLITE_DONE: return .success(.done)
    default: return .failure(connection.error(code))
    }
  }

  /// The current row (`sqlite3_column_count`, `sqlite3_column_name`,
  /// `sqlite3_column_type`, `sqlite3_column_text`, `sqlite3_column_bytes`),
  /// values copied into SecretBytes.
  func currentRow() -> Row {
    let count = Int(sqlite3_column_count(handle))
    var columns: [String] = []
    var values: [SecretBytes?] = []
    for index in 0..<count {
      let column = Int32(index)
      columns.append(sqlite3_column_name(handle, column).map { String(cString: $0) } ?? "")
      if sqlite3_column_type(handle, column) == SQLITE_NULL {
        values.append(nil)
        continue
      }
      let text = sqlite3_column_text(handle, column)
      let length = Int(sqlite3_column_bytes(handle, column))
      values.append(SecretBytes(copying: UnsafeRawBufferPointer(start: text, count: text == nil ? 0 : length)))
    }
    return Row(columns: columns, values: values)
  }

  /// `sqlite3_reset` and `sqlite3_clear_bindings`, ready for the next use.
  func reset() {
    sqlite3_reset(handle)
    sqlite3_clear_bindings(handle)
  }
}

/// SQLite's result codes the driver tells apart.
enum SQLiteCode {
  static let busy = SQLITE_BUSY
  static let locked = SQLITE_LOCKED
  static let interrupt = SQLITE_INTERRUPT
  static let error = SQLITE_ERROR
  static let auth = SQLITE_AUTH
}
