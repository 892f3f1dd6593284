// The saslauthd "mux" socket protocol, as pure encoding and decoding so it
// can be unit-tested and fuzzed without a daemon. A request is four fields
// (login, password, service, realm) — five in saslauthd after 2.1.28, which
// adds the client address — each a big-endian UInt16 length and that many
// bytes. The reply is one such counted string starting "OK" or "NO".

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
    var result = [("login", login), ("password", password), ("service", service), ("realm", realm)]
    if let clientAddress { result.append(("client address", clientAddress)) }
    return result
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
