// One connection of Dovecot's auth-client protocol, as the server speaks it
// (Dovecot src/auth/auth-client-connection.c, auth-request-handler.c; the
// client Postfix's src/xsasl/xsasl_dovecot_server.c). Lines end with LF,
// fields are separated by TAB and tab-escaped (\001 1, \001 t, \001 r,
// \001 n).
//
//   server, at once:  VERSION 1 2, MECH PLAIN plaintext, MECH LOGIN
//                     plaintext, SPID, CUID, COOKIE, DONE (Postfix stops
//                     with "Connected to wrong auth socket" when SPID comes
//                     before any MECH)
//   client:           VERSION 1 <minor>, CPID <pid>, then per login
//                     AUTH <id> <mech> service=smtp [lip= rip= secured …]
//                     [resp=<base64>] (resp last), CONT <id> <base64>,
//                     CANCEL <id>
//   server:           CONT <id> <base64 challenge>, OK <id> user=<login>,
//                     FAIL <id> [user=] [code=temp_fail|…] [reason=]
//
// PLAIN (authzid NUL authcid NUL password, exactly two NULs; an authzid
// other than the login is refused) and LOGIN ("Username:", "Password:").
// A connection carries any number of logins, one after another or several
// at once by id. What the client gets wrong in the protocol itself (no
// VERSION first, a duplicate id, a CANCEL without an id, a line over 16 KB)
// closes the connection, as Dovecot does; a bad login gets a FAIL and the
// connection stays. Ids are decimal numbers with any leading zeros.
//
// Pure: the event loop feeds it bytes and acts on the events it returns.
// The buffer holds base64 passwords; `wipe` overwrites it.

import SwiftSQLCore

/// The mechanisms served.
public enum DovecotMechanism: String, Sendable, CaseIterable {
  case plain = "PLAIN"
  case login = "LOGIN"
}

/// A login to verify, read from AUTH (and CONT) lines.
public struct DovecotCredentials {
  public let id: UInt32
  public let mechanism: DovecotMechanism
  public let login: [UInt8]
  public let password: SecretBytes
  /// `service=`: the protocol, e.g. smtp or imap.
  public let service: String
  /// `rip=` and `lip=`: the client's and the server's address; may be empty.
  public let remoteIP: String
  public let localIP: String
  /// `secured`: the client's connection is TLS (or local).
  public let secured: Bool
}

/// How a login ended, for the reply line.
public enum DovecotOutcome: Equatable, Sendable {
  case ok(user: String)
  /// `code` is Dovecot's failure code (temp_fail, user_disabled,
  /// pass_expired, …); `reason` is shown to the user by some clients
  /// (Postfix puts it in its 535 reply), so it never says more than they
  /// may know.
  case fail(user: [UInt8]?, code: String?, reason: String?)
}

public struct DovecotSession {
  /// Dovecot's AUTH_CLIENT_MAX_LINE_LENGTH.
  public static let maximumLineBytes = 16384
  /// Logins one connection may have open at once (Postfix has one).
  public static let maximumPendingRequests = 64

  public enum Event {
    case send([UInt8])
    case verify(DovecotCredentials)
    /// A protocol error: log the text and close the connection.
    case close(String)
  }

  enum Phase {
    case awaitingVersion
    case awaitingProcessID
    case ready
  }

  /// What AUTH said about a login, kept while its mechanism asks for more.
  struct Request {
    let mechanism: DovecotMechanism
    let service: String
    let remoteIP: String
    let localIP: String
    let secured: Bool
  }

  enum Pending {
    case plainResponse(Request)
    case loginName(Request)
    case loginPassword(Request, login: [UInt8])
    /// Handed out by a `.verify` event; waits for `answer`.
    case verifying
    /// Cancelled by the client while being verified: its answer is dropped.
    case cancelled
  }

  private var phase = Phase.awaitingVersion
  private var minorVersion = 0
  private var buffer: [UInt8] = []
  private var pending: [UInt32: Pending] = [:]
  /// The client's CPID.
  public private(set) var clientProcessID = ""

  public init() {}

  /// Whether the connection is between requests, with no partial line.
  public var isIdle: Bool { buffer.isEmpty && pending.isEmpty }
  /// Whether the client has sent VERSION and CPID.
  public var handshakeDone: Bool { phase == .ready }
  /// Whether a line has begun and not ended.
  public var hasPartialLine: Bool { !buffer.isEmpty }
  /// Whether a login waits for the client's next CONT.
  public var waitsForClient: Bool {
    pending.values.contains {
      switch $0 {
      case .plainResponse, .loginName, .loginPassword: true
      case .verifying, .cancelled: false
      }
    }
  }

  /// What the server sends when a client connects.
  ///
  /// - Parameters:
  ///   - processID: SPID, the server's pid.
  ///   - connectionID: CUID, unique per connection of this server.
  ///   - cookie: 16 random bytes (written as 32 hex digits).
  public static func handshake(processID: Int32, connectionID: UInt32, cookie: [UInt8]) -> [UInt8] {
    var text = "VERSION\t1\t2\n"
    for mechanism in DovecotMechanism.allCases { text += "MECH\t\(mechanism.rawValue)\tplaintext\n" }
    text += "SPID\t\(processID)\nCUID\t\(connectionID)\nCOOKIE\t"
    let digits = Array("0123456789abcdef".utf8)
    var hex: [UInt8] = []
    for byte in cookie { hex += [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]] }
    return Array(text.utf8) + hex + Array("\nDONE\n".utf8)
  }

  /// Takes the next bytes the client sent.
  public mutating func receive(_ bytes: UnsafeRawBufferPointer) -> [Event] {
    buffer.append(contentsOf: bytes)
    var events: [Event] = []
    var start = 0
    while let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
      var end = newline
      if end > start && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
      if end - start > DovecotSession.maximumLineBytes {
        events.append(.close("a line longer than \(DovecotSession.maximumLineBytes) bytes"))
        break
      }
      let line = Array(buffer[start..<end])
      start = newline + 1
      if !line.isEmpty { handle(line, into: &events) }
      if case .close = events.last { break }
    }
    if case .close = events.last {
      wipe()
      return events
    }
    // Keep only the unfinished line; overwrite the rest (base64 passwords).
    let rest = Array(buffer[start...])
    buffer.withUnsafeMutableBytes { SwiftSQLCore.wipe($0) }
    buffer = rest
    if buffer.count > DovecotSession.maximumLineBytes {
      wipe()
      events.append(.close("a line longer than \(DovecotSession.maximumLineBytes) bytes"))
    }
    return events
  }

  /// The reply for a login handed out by `.verify`; nil when the client
  /// cancelled it meanwhile (or never asked).
  public mutating func answer(_ id: UInt32, _ outcome: DovecotOutcome) -> [UInt8]? {
    guard let state = pending.removeValue(forKey: id) else { return nil }
    guard case .verifying = state else { return nil }
    return DovecotSession.line(id, outcome)
  }

  /// The text of a reply line.
  public static func line(_ id: UInt32, _ outcome: DovecotOutcome) -> [UInt8] {
    var line: [UInt8]
    switch outcome {
    case .ok(let user):
      line = Array("OK\t\(id)\tuser=".utf8) + escaped(Array(user.utf8))
    case .fail(let user, let code, let reason):
      line = Array("FAIL\t\(id)".utf8)
      if let user { line += Array("\tuser=".utf8) + escaped(user) }
      if let code { line += Array("\tcode=".utf8) + escaped(Array(code.utf8)) }
      if let reason { line += Array("\treason=".utf8) + escaped(Array(reason.utf8)) }
    }
    return line + [UInt8(ascii: "\n")]
  }

  /// Overwrites what was read and not yet used.
  public mutating func wipe() {
    buffer.withUnsafeMutableBytes { SwiftSQLCore.wipe($0) }
    buffer = []
  }

  // MARK: - Lines

  mutating func handle(_ line: [UInt8], into events: inout [Event]) {
    var line = line
    var fields = line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false).map {
      DovecotSession.unescaped($0)
    }
    // Both may hold a base64 password: overwritten once the line is done.
    defer {
      line.withUnsafeMutableBytes { SwiftSQLCore.wipe($0) }
      for index in fields.indices { fields[index].withUnsafeMutableBytes { SwiftSQLCore.wipe($0) } }
    }
    let command = String(decoding: fields[0], as: UTF8.self)
    switch (phase, command) {
    case (.awaitingVersion, "VERSION"):
      guard fields.count >= 3, fields[1] == Array("1".utf8), let minor = DovecotSession.number(fields[2]) else {
        events.append(.close("the client's VERSION is not major version 1"))
        return
      }
      minorVersion = Int(minor)
      phase = .awaitingProcessID
    case (.awaitingVersion, _):
      events.append(.close("the client did not begin with VERSION"))
    case (.awaitingProcessID, "CPID"):
      guard fields.count >= 2, DovecotSession.number(fields[1]) != nil else {
        events.append(.close("the client's CPID is not a number"))
        return
      }
      clientProcessID = String(decoding: fields[1], as: UTF8.self)
      phase = .ready
    case (.awaitingProcessID, _):
      events.append(.close("the client sent \(LogText.printable(command)) before CPID"))
    case (.ready, "AUTH"): begin(fields, into: &events)
    case (.ready, "CONT"): proceed(fields, into: &events)
    case (.ready, "CANCEL"):
      // An id no login has is ignored; no id at all closes, as Dovecot's
      // auth_client_cancel does ("broken CANCEL").
      guard fields.count >= 2, let id = DovecotSession.number(fields[1]) else {
        events.append(.close("a broken CANCEL line"))
        return
      }
      if let state = pending[id] {
        if case .verifying = state { pending[id] = .cancelled } else { pending[id] = nil }
      }
    case (.ready, _):
      events.append(.close("unknown command \(LogText.printable(command))"))
    }
  }

  /// AUTH <id> <mechanism> [name[=value] …] [resp=<base64>]
  mutating func begin(_ fields: [[UInt8]], into events: inout [Event]) {
    guard fields.count >= 3, let id = DovecotSession.number(fields[1]), id > 0 else {
      events.append(.close("a broken AUTH line"))
      return
    }
    if pending[id] != nil {
      events.append(.close("AUTH with the id \(id) of a login still open"))
      return
    }
    if pending.count >= DovecotSession.maximumPendingRequests {
      events.append(.close("more than \(DovecotSession.maximumPendingRequests) logins open at once"))
      return
    }
    var service: String? = nil
    var remoteIP = ""
    var localIP = ""
    var secured = false
    var response: [UInt8]? = nil
    var index = 3
    while index < fields.count {
      let field = fields[index]
      index += 1
      let equals = field.firstIndex(of: UInt8(ascii: "="))
      let name = String(decoding: field[..<(equals ?? field.endIndex)], as: UTF8.self)
      let value = equals.map { Array(field[($0 + 1)...]) } ?? []
      switch name {
      case "service": service = String(decoding: value, as: UTF8.self)
      case "rip": remoteIP = String(decoding: value, as: UTF8.self)
      case "lip": localIP = String(decoding: value, as: UTF8.self)
      case "secured": secured = true
      case "resp":
        response = value
        if index < fields.count {
          events.append(.close("AUTH parameters after resp"))
          return
        }
      default: break
      }
    }
    guard let service, !service.isEmpty else {
      events.append(.close("AUTH without service"))
      return
    }
    guard let mechanism = DovecotMechanism(rawValue: String(decoding: fields[2], as: UTF8.self).uppercased()) else {
      events.append(
        .send(DovecotSession.line(id, .fail(user: nil, code: nil, reason: "Unsupported authentication mechanism"))))
      return
    }
    let request = Request(
      mechanism: mechanism, service: service, remoteIP: remoteIP, localIP: localIP, secured: secured)
    // Protocol 1.0 and 1.1 clients (Postfix, Exim) may send an empty resp=
    // for none at all; "=" is an empty response.
    if var response, !(response.isEmpty && minorVersion < 2) {
      if response == [UInt8(ascii: "=")] { response = [] }
      guard var data = DovecotSession.base64(response) else {
        events.append(.send(DovecotSession.invalidBase64(id, initial: true)))
        return
      }
      defer { data.withUnsafeMutableBytes { SwiftSQLCore.wipe($0) } }
      response.withUnsafeMutableBytes { SwiftSQLCore.wipe($0) }
      switch mechanism {
      case .plain: finishPlain(id, request, data, into: &events)
      case .login:
        if data.isEmpty {
          askName(id, request, into: &events)
        } else {
          askPassword(id, request, login: data, into: &events)
        }
      }
      return
    }
    switch mechanism {
    case .plain:
      pending[id] = .plainResponse(request)
      events.append(.send(Array("CONT\t\(id)\t\n".utf8)))
    case .login: askName(id, request, into: &events)
    }
  }

  /// CONT <id> <base64>
  mutating func proceed(_ fields: [[UInt8]], into events: inout [Event]) {
    guard fields.count >= 3, let id = DovecotSession.number(fields[1]) else {
      events.append(.close("a broken CONT line"))
      return
    }
    guard let state = pending[id] else {
      events.append(
        .send(DovecotSession.line(id, .fail(user: nil, code: nil, reason: "Authentication request timed out"))))
      return
    }
    let request: Request
    switch state {
    case .plainResponse(let waiting), .loginName(let waiting): request = waiting
    case .loginPassword(let waiting, _): request = waiting
    case .verifying, .cancelled:
      events.append(.send(DovecotSession.line(id, .fail(user: nil, code: nil, reason: "Unexpected continuation"))))
      return
    }
    pending[id] = nil
    guard var data = DovecotSession.base64(fields[2]) else {
      events.append(.send(DovecotSession.invalidBase64(id, initial: false)))
      return
    }
    defer { data.withUnsafeMutableBytes { SwiftSQLCore.wipe($0) } }
    switch state {
    case .plainResponse: finishPlain(id, request, data, into: &events)
    case .loginName: askPassword(id, request, login: data, into: &events)
    case .loginPassword(_, let login): verify(id, request, login: login, password: data[...], into: &events)
    case .verifying, .cancelled: break
    }
  }

  mutating func askName(_ id: UInt32, _ request: Request, into events: inout [Event]) {
    pending[id] = .loginName(request)
    events.append(.send(Array("CONT\t\(id)\t".utf8) + Array("VXNlcm5hbWU6".utf8) + [UInt8(ascii: "\n")]))  // Username:
  }

  mutating func askPassword(_ id: UInt32, _ request: Request, login: [UInt8], into events: inout [Event]) {
    pending[id] = .loginPassword(request, login: login)
    events.append(.send(Array("CONT\t\(id)\t".utf8) + Array("UGFzc3dvcmQ6".utf8) + [UInt8(ascii: "\n")]))  // Password:
  }

  /// PLAIN: authzid NUL authcid NUL password.
  mutating func finishPlain(_ id: UInt32, _ request: Request, _ data: [UInt8], into events: inout [Event]) {
    let nuls = data.indices.filter { data[$0] == 0 }
    guard nuls.count == 2 else {
      events.append(.send(DovecotSession.line(id, .fail(user: nil, code: nil, reason: nil))))
      return
    }
    let authorization = data[..<nuls[0]]
    let login = Array(data[(nuls[0] + 1)..<nuls[1]])
    if !authorization.isEmpty && !authorization.elementsEqual(login) {
      // A different authzid asks to act as another user (Dovecot's master
      // users); this server has none.
      events.append(.send(DovecotSession.line(id, .fail(user: login, code: "authz_fail", reason: nil))))
      return
    }
    verify(id, request, login: login, password: data[(nuls[1] + 1)...], into: &events)
  }

  mutating func verify(
    _ id: UInt32, _ request: Request, login: [UInt8], password: ArraySlice<UInt8>, into events: inout [Event]
  ) {
    if login.isEmpty || password.contains(0) {
      events.append(.send(DovecotSession.line(id, .fail(user: login.isEmpty ? nil : login, code: nil, reason: nil))))
      return
    }
    pending[id] = .verifying
    let secret = password.withUnsafeBytes { SecretBytes(copying: $0) }
    events.append(
      .verify(
        DovecotCredentials(
          id: id, mechanism: request.mechanism, login: login, password: secret, service: request.service,
          remoteIP: request.remoteIP, localIP: request.localIP, secured: request.secured)))
  }

  static func invalidBase64(_ id: UInt32, initial: Bool) -> [UInt8] {
    line(
      id,
      .fail(
        user: nil, code: "invalid_base64",
        reason: initial ? "Invalid base64 data in initial response" : "Invalid base64 data in continued response"))
  }

  // MARK: - Encoding

  /// A decimal number that fits UInt32, any leading zeros allowed (as
  /// Dovecot's str_to_uint reads ids and versions).
  static func number(_ bytes: [UInt8]) -> UInt32? {
    guard !bytes.isEmpty else { return nil }
    var value: UInt64 = 0
    for byte in bytes {
      guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
      value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
      if value > UInt64(UInt32.max) { return nil }
    }
    return UInt32(value)
  }

  static func base64(_ bytes: [UInt8]) -> [UInt8]? {
    bytes.withUnsafeBytes { PayloadDecoding.base64($0) }
  }

  /// Dovecot's str_tabescape.
  public static func escaped(_ bytes: [UInt8]) -> [UInt8] {
    var result: [UInt8] = []
    result.reserveCapacity(bytes.count)
    for byte in bytes {
      switch byte {
      case 0x01: result += [0x01, UInt8(ascii: "1")]
      case 0x09: result += [0x01, UInt8(ascii: "t")]
      case 0x0D: result += [0x01, UInt8(ascii: "r")]
      case 0x0A: result += [0x01, UInt8(ascii: "n")]
      default: result.append(byte)
      }
    }
    return result
  }

  /// Dovecot's str_tabunescape.
  public static func unescaped(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
    guard bytes.contains(0x01) else { return Array(bytes) }
    var result: [UInt8] = []
    var escape = false
    for byte in bytes {
      if escape {
        switch byte {
        case UInt8(ascii: "1"): result.append(0x01)
        case UInt8(ascii: "t"): result.append(0x09)
        case UInt8(ascii: "r"): result.append(0x0D)
        case UInt8(ascii: "n"): result.append(0x0A)
        default: result.append(byte)
        }
        escape = false
      } else if byte == 0x01 {
        escape = true
      } else {
        result.append(byte)
      }
    }
    return result
  }
}
