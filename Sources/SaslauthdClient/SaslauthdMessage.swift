// The saslauthd "mux" socket protocol, as pure encoding and decoding so it
// can be unit-tested and fuzzed without a daemon. A request is four fields
// (login, password, service, realm) — five in saslauthd after 2.1.28, which
// adds the client address — each a big-endian UInt16 length and that many
// bytes. The reply is one such counted string starting "OK" or "NO". Both
// sides are here: the client's (`pam-swiftsql test`: encode a request,
// decode a reply) and the server's (`swiftsql-authd`: decode a request,
// encode a reply), so the wire format is written once.

/// One request to saslauthd.
public struct SaslauthdRequest: Sendable {
  public var login: [UInt8]
  public var password: [UInt8]
  public var service: [UInt8]
  public var realm: [UInt8]
  /// The fifth field of newer saslauthd versions; nil for the 2.1.28 form.
  public var clientAddress: [UInt8]?

  /// saslauthd 2.1.28 reads each field into a 256-byte buffer
  /// (MAX_REQ_LEN) and answers a bare "NO" to anything longer.
  public static let saslauthdFieldLimit = 256

  public init(login: [UInt8], password: [UInt8], service: [UInt8], realm: [UInt8], clientAddress: [UInt8]? = nil) {
    self.login = login
    self.password = password
    self.service = service
    self.realm = realm
    self.clientAddress = clientAddress
  }

  /// The fields in wire order, with their names.
  var fields: [(name: String, bytes: [UInt8])] {
    var values = [login, password, service, realm]
    if let clientAddress { values.append(clientAddress) }
    return zip(SaslauthdRequest.fieldNames, values).map { ($0.0, $0.1) }
  }

  /// The names of fields longer than saslauthd 2.1.28 accepts.
  public var fieldsOverSaslauthdLimit: [String] {
    fields.filter { $0.bytes.count > SaslauthdRequest.saslauthdFieldLimit }.map { $0.name }
  }

  /// The bytes to write, or the name of a field too long for the protocol.
  public func encoded() -> Result<[UInt8], SaslauthdProtocolError> {
    var bytes: [UInt8] = []
    for field in fields {
      guard field.bytes.count <= Int(UInt16.max) else { return .failure(.fieldTooLong(field.name)) }
      let length = UInt16(field.bytes.count)
      bytes.append(UInt8(length >> 8))
      bytes.append(UInt8(length & 0xFF))
      bytes.append(contentsOf: field.bytes)
    }
    return .success(bytes)
  }
}

/// The daemon's answer.
public struct SaslauthdReply: Equatable, Sendable {
  /// The whole reply text, e.g. "OK", "NO PAM auth error".
  public let text: String

  /// By bytes, as `decode` checked them: "OK" followed by a combining mark
  /// does not have the Character prefix "OK".
  public var isOK: Bool { text.utf8.starts(with: "OK".utf8) }

  /// What follows "OK"/"NO", trimmed; empty when the daemon gave no reason.
  public var reason: String {
    var rest = Substring(text.utf8.dropFirst(2))
    while rest.utf8.first == UInt8(ascii: " ") { rest = Substring(rest.utf8.dropFirst()) }
    return String(rest)
  }

  /// Decodes a complete reply: a UInt16 length and that many bytes.
  ///
  /// - Returns: `.incomplete` while more bytes are needed.
  public static func decode(_ bytes: [UInt8]) -> SaslauthdDecoding {
    guard bytes.count >= 2 else { return .incomplete }
    let length = Int(bytes[0]) << 8 | Int(bytes[1])
    guard bytes.count >= 2 + length else { return .incomplete }
    if bytes.count > 2 + length { return .failed(.trailingBytes) }
    let body = Array(bytes[2..<(2 + length)])
    guard length >= 2,
      body.starts(with: [UInt8(ascii: "O"), UInt8(ascii: "K")])
        || body.starts(with: [UInt8(ascii: "N"), UInt8(ascii: "O")])
    else {
      return .failed(.notOKorNO)
    }
    return .complete(SaslauthdReply(text: String(decoding: body, as: UTF8.self)))
  }
}

extension SaslauthdRequest {
  /// Server side: reads a request from the bytes a client sent so far.
  /// Each field may have at most `fieldLimit` bytes (saslauthd's is 256).
  /// Bytes after a fifth field are ignored, as saslauthd ignores them.
  public static func decode(_ bytes: [UInt8], fieldLimit: Int) -> SaslauthdRequestDecoding {
    var fields: [[UInt8]] = []
    var offset = 0
    while fields.count < 5 {
      guard offset + 2 <= bytes.count else {
        return fields.count == 4 && offset == bytes.count ? .fourFields(request(fields)) : .incomplete
      }
      let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
      if length > fieldLimit { return .fieldTooLong(fieldNames[fields.count]) }
      guard offset + 2 + length <= bytes.count else { return .incomplete }
      fields.append(Array(bytes[(offset + 2)..<(offset + 2 + length)]))
      offset += 2 + length
      if fields.count == 4 && offset == bytes.count { return .fourFields(request(fields)) }
    }
    return .fiveFields(request(fields))
  }

  /// The fields in wire order, by name, as log lines and errors name them.
  public static let fieldNames = ["login", "password", "service", "realm", "client address"]

  private static func request(_ fields: [[UInt8]]) -> SaslauthdRequest {
    SaslauthdRequest(
      login: fields[0], password: fields[1], service: fields[2], realm: fields[3],
      clientAddress: fields.count > 4 ? fields[4] : nil)
  }
}

/// What the server read so far.
public enum SaslauthdRequestDecoding: Equatable, Sendable {
  /// A field is not complete yet.
  case incomplete
  /// Exactly four fields and nothing after them: a 2.1.28 request, or a
  /// newer client whose fifth field has not arrived yet.
  case fourFields(SaslauthdRequest)
  /// All five fields.
  case fiveFields(SaslauthdRequest)
  /// The field named announces more bytes than the server accepts.
  case fieldTooLong(String)
}

extension SaslauthdRequest: Equatable {}

extension SaslauthdReply {
  /// Server side: the bytes of a reply, `OK` or `NO` and then the text
  /// after a space (when there is one), cut so that it fits the length.
  public static func encode(ok: Bool, text: String) -> [UInt8] {
    var body = Array((ok ? "OK" : "NO").utf8)
    if !text.isEmpty { body += [UInt8(ascii: " ")] + Array(text.utf8) }
    if body.count > Int(UInt16.max) { body = Array(body[..<Int(UInt16.max)]) }
    return [UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
  }
}

public enum SaslauthdDecoding: Equatable, Sendable {
  case incomplete
  case complete(SaslauthdReply)
  case failed(SaslauthdProtocolError)
}

public enum SaslauthdProtocolError: Error, Equatable, Sendable {
  case fieldTooLong(String)
  case notOKorNO
  case trailingBytes

  public var message: String {
    switch self {
    case .fieldTooLong(let name): "the \(name) is longer than the protocol's 65535 bytes"
    case .notOKorNO: "the reply does not start with OK or NO"
    case .trailingBytes: "the daemon sent more bytes than its reply announced"
    }
  }
}
