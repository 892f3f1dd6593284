// The boundary to libpq: every PQ* function the project calls is wrapped
// here once, and libpq's error state (PQerrorMessage, PQresultErrorField) is
// read here into plain values. `PGConnection` owns a PGconn and `PGResult` a
// PGresult; both free their handle in deinit, except a connection that was
// inherited across fork(), which is abandoned (its descriptor closed, the
// parent's session left alone).

import CLibC
import CLibPQ
import SwiftSQLCore
import SwiftSQLSystem

/// libpq's own words for what went wrong, as one line.
struct LibPQError: Error {
  let message: String
}

enum LibPQ {
  /// `PQconninfoParse`: the keyword/value pairs a connection string sets,
  /// in libpq's order, or libpq's message saying what is wrong with it
  /// (which may quote part of the string, a password included: callers
  /// never show it).
  static func parse(connectionString: String) -> Result<[(keyword: String, value: String)], LibPQError> {
    var errorMessage: UnsafeMutablePointer<CChar>? = nil
    guard let options = PQconninfoParse(connectionString, &errorMessage) else {
      let message = errorMessage.map { oneLine(String(cString: $0)) } ?? "out of memory"
      if let errorMessage { PQfreemem(errorMessage) }
      return .failure(LibPQError(message: message))
    }
    defer { PQconninfoFree(options) }
    var pairs: [(keyword: String, value: String)] = []
    var option = options
    while let keyword = option.pointee.keyword {
      if let value = option.pointee.val {
        pairs.append((String(cString: keyword), String(cString: value)))
      }
      option += 1
    }
    return .success(pairs)
  }

  /// `PQconndefaults`: every keyword libpq knows.
  static func keywords() -> Set<String> {
    guard let options = PQconndefaults() else { return [] }
    defer { PQconninfoFree(options) }
    var result: Set<String> = []
    var option = options
    while let keyword = option.pointee.keyword {
      result.insert(String(cString: keyword))
      option += 1
    }
    return result
  }

  /// libpq's multi-line messages as one log line.
  static func oneLine(_ message: String) -> String {
    var result = ""
    var pendingSpace = false
    for character in message {
      if character == "\n" || character == "\t" || character == " " || character == "\r" {
        pendingSpace = !result.isEmpty
        continue
      }
      if pendingSpace { result.append(" ") }
      pendingSpace = false
      result.append(character)
    }
    return result
  }
}

/// What `PQconnectPoll` asks for next.
enum PGPoll {
  case reading, writing, ok, failed
}

/// Owns one PGconn.
final class PGConnection {
  private let handle: OpaquePointer
  private var abandoned = false
  /// The values of the connection's settings that are not secret (host,
  /// port, user, database): quoted in libpq's messages, they are shown.
  private let knownValues: [String]

  private init(handle: OpaquePointer, knownValues: [String]) {
    self.handle = handle
    self.knownValues = knownValues
  }

  deinit {
    if !abandoned { PQfinish(handle) }
  }

  /// `PQconnectStartParams` with `expand_dbname = 0`: begins a non-blocking
  /// connection. The caller drives it with `poll()`. The copies of the
  /// values (which may hold the database password) are wiped after the call.
  static func start(_ pairs: [(keyword: String, value: String)]) -> PGConnection? {
    let keywords = pairs.map { strdup($0.keyword) }
    let values = pairs.map { strdup($0.value) }
    defer {
      for pointer in keywords { free(pointer) }
      for pointer in values {
        if let pointer {
          System.wipe(pointer, count: strlen(pointer))
          free(pointer)
        }
      }
    }
    var keywordArray: [UnsafePointer<CChar>?] = keywords.map { $0.map { UnsafePointer($0) } } + [nil]
    var valueArray: [UnsafePointer<CChar>?] = values.map { $0.map { UnsafePointer($0) } } + [nil]
    let handle = keywordArray.withUnsafeMutableBufferPointer { keywordBuffer in
      valueArray.withUnsafeMutableBufferPointer { valueBuffer in
        PQconnectStartParams(keywordBuffer.baseAddress, valueBuffer.baseAddress, 0)
      }
    }
    guard let handle else { return nil }
    let shown: Set<String> = ["host", "hostaddr", "port", "user", "dbname", "application_name"]
    let known = pairs.filter { shown.contains($0.keyword) }.flatMap {
      [$0.value] + $0.value.split(separator: ",").map(String.init)
    }
    return PGConnection(handle: handle, knownValues: known)
  }

  /// `PQconnectPoll`.
  func poll() -> PGPoll {
    switch PQconnectPoll(handle) {
    case PGRES_POLLING_READING: .reading
    case PGRES_POLLING_WRITING: .writing
    case PGRES_POLLING_OK: .ok
    default: .failed
    }
  }

  /// `PQstatus(conn) == CONNECTION_BAD`.
  var isBroken: Bool { PQstatus(handle) == CONNECTION_BAD }

  /// `PQsocket`, or -1.
  var socket: Int32 { PQsocket(handle) }

  /// `PQerrorMessage`, as one line, with quoted text masked unless it is a
  /// known setting's value (LogText.maskingQuotedText): it may quote a
  /// value from the server or from the connection string.
  var errorMessage: String {
    LogText.maskingQuotedText(LibPQ.oneLine(String(cString: PQerrorMessage(handle)))) { knownValues.contains($0) }
  }

  /// `PQconnectionNeedsPassword`: the server asked for a password and the
  /// connection string gave none.
  var neededPassword: Bool { PQconnectionNeedsPassword(handle) != 0 }

  /// `PQbackendPID`, for debug logs.
  var serverProcessID: Int32 { PQbackendPID(handle) }

  /// `PQsetnonblocking(conn, 1)`.
  func makeNonBlocking() -> Bool { PQsetnonblocking(handle, 1) == 0 }

  /// `PQsendPrepare` with every parameter typed as text (OID 25), so the
  /// server never has to guess a type.
  func sendPrepare(name: String, sql: String, parameterCount: Int) -> Bool {
    let textOID: Oid = 25
    let types = [Oid](repeating: textOID, count: parameterCount)
    return types.withUnsafeBufferPointer { typeBuffer in
      PQsendPrepare(handle, name, sql, Int32(parameterCount), typeBuffer.baseAddress) == 1
    }
  }

  /// `PQsendQueryPrepared` with text parameters and text results. The
  /// C copies of the values (a new stored value, for password_update_query)
  /// are wiped before they are freed; libpq has copied them into its
  /// output buffer by then.
  func sendQueryPrepared(name: String, values: [String]) -> Bool {
    let copies = values.map { strdup($0) }
    defer {
      for pointer in copies {
        if let pointer { System.wipe(pointer, count: strlen(pointer)) }
        free(pointer)
      }
    }
    var pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
    return pointers.withUnsafeMutableBufferPointer { buffer in
      PQsendQueryPrepared(handle, name, Int32(values.count), buffer.baseAddress, nil, nil, 0) == 1
    }
  }

  /// `PQflush`: 0 when everything is sent, 1 when more remains, -1 on error.
  func flush() -> Int32 { PQflush(handle) }

  /// `PQconsumeInput`: false when the connection failed.
  func consumeInput() -> Bool { PQconsumeInput(handle) == 1 }

  /// `PQisBusy`.
  var isBusy: Bool { PQisBusy(handle) == 1 }

  /// `PQenterPipelineMode`: false unless the connection is idle. From
  /// then on a sent query waits for `pipelineSync`, and its results come
  /// in the order sent, each followed by nil.
  func enterPipelineMode() -> Bool { PQenterPipelineMode(handle) == 1 }

  /// `PQexitPipelineMode`: false while results are still unread.
  func exitPipelineMode() -> Bool { PQexitPipelineMode(handle) == 1 }

  /// `PQpipelineSync`: ends the batch; its results end with a sync result.
  func pipelineSync() -> Bool { PQpipelineSync(handle) == 1 }

  /// `PQgetResult`: the next result, or nil when the command is complete.
  func nextResult() -> PGResult? {
    PQgetResult(handle).map { PGResult(handle: $0) }
  }

  /// Leaves a connection inherited across fork() alone: closes this
  /// process's copy of its descriptor and never calls PQfinish, which would
  /// end the parent's session. The PGconn's memory is leaked on purpose.
  func abandon() {
    let descriptor = socket
    if descriptor >= 0 { System.closeDescriptor(descriptor) }
    abandoned = true
  }
}

/// Owns one PGresult.
final class PGResult {
  private let handle: OpaquePointer

  init(handle: OpaquePointer) { self.handle = handle }

  deinit { PQclear(handle) }

  enum Status {
    case commandOK, tuplesOK, failed
    /// Pipeline mode: the end of a batch, and a query not run because an
    /// earlier one in the batch failed.
    case pipelineSync, pipelineAborted
  }

  /// `PQresultStatus`.
  var status: Status {
    switch PQresultStatus(handle) {
    case PGRES_COMMAND_OK: .commandOK
    case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE: .tuplesOK
    case PGRES_PIPELINE_SYNC: .pipelineSync
    case PGRES_PIPELINE_ABORTED: .pipelineAborted
    default: .failed
    }
  }

  /// `PQresultErrorField(PG_DIAG_SQLSTATE)`: the five-character SQLSTATE.
  var sqlState: String {
    PQresultErrorField(handle, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
  }

  /// `PQresultErrorField(PG_DIAG_MESSAGE_PRIMARY)`, else
  /// `PQresultErrorMessage`: the server's words, which may quote a value
  /// (the driver masks it before it is shown).
  var errorMessage: String {
    if let primary = PQresultErrorField(handle, Int32(UInt8(ascii: "M"))) {
      return LibPQ.oneLine(String(cString: primary))
    }
    return LibPQ.oneLine(String(cString: PQresultErrorMessage(handle)))
  }

  /// The first `limit` rows (`PQntuples`, `PQnfields`, `PQfname`,
  /// `PQgetisnull`, `PQgetvalue`, `PQgetlength`), values copied into
  /// SecretBytes.
  func rows(limit: Int) -> [Row] {
    let rowCount = min(Int(PQntuples(handle)), limit)
    let fieldCount = Int(PQnfields(handle))
    guard rowCount > 0 else { return [] }
    var columns: [String] = []
    for field in 0..<fieldCount {
      columns.append(PQfname(handle, Int32(field)).map { String(cString: $0) } ?? "")
    }
    var rows: [Row] = []
    for row in 0..<rowCount {
      var values: [SecretBytes?] = []
      for field in 0..<fieldCount {
        if PQgetisnull(handle, Int32(row), Int32(field)) == 1 {
          values.append(nil)
          continue
        }
        let length = Int(PQgetlength(handle, Int32(row), Int32(field)))
        let value = PQgetvalue(handle, Int32(row), Int32(field))
        values.append(SecretBytes(copying: UnsafeRawBufferPointer(start: value, count: value == nil ? 0 : length)))
      }
      rows.append(Row(columns: columns, values: values))
    }
    return rows
  }
}
