// Covers the saslauthd mux-socket messages: `SaslauthdRequest.encoded()`
// (four counted fields with big-endian UInt16 lengths, written out by hand,
// the optional fifth client-address field, lengths above 255, the 65535-byte
// field limit) and `fieldsOverSaslauthdLimit` (fields over 256 bytes, by
// name), and `SaslauthdReply.decode` (OK and NO replies with and without a
// reason, incomplete input, trailing bytes, bodies that are not OK/NO).

import SaslauthdClient
import Testing

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

private func request(
  login: String = "alice@example.org", password: [UInt8] = Array("pw".utf8), service: String = "smtp",
  realm: String = "", clientAddress: [UInt8]? = nil
) -> SaslauthdRequest {
  SaslauthdRequest(
    login: bytes(login), password: password, service: bytes(service), realm: bytes(realm),
    clientAddress: clientAddress)
}

@Suite("SaslauthdRequest")
struct SaslauthdRequestTests {
  @Test("four counted fields, exactly as saslauthd reads them")
  func fourFields() throws {
    let expected: [UInt8] =
      [0x00, 0x11]  // 17
      // alice@example.org
      + [0x61, 0x6C, 0x69, 0x63, 0x65, 0x40, 0x65, 0x78, 0x61, 0x6D, 0x70, 0x6C, 0x65, 0x2E, 0x6F, 0x72, 0x67]
      + [0x00, 0x02, 0x70, 0x77]  // 2, "pw"
      + [0x00, 0x04, 0x73, 0x6D, 0x74, 0x70]  // 4, "smtp"
      + [0x00, 0x00]  // 0, empty realm
    #expect(try request().encoded().get() == expected)
  }

  @Test("the client address is a fifth counted field")
  func fiveFields() throws {
    let expected: [UInt8] =
      [0x00, 0x11] + bytes("alice@example.org")
      + [0x00, 0x02] + bytes("pw")
      + [0x00, 0x04] + bytes("smtp")
      + [0x00, 0x0B] + bytes("example.org")
      + [0x00, 0x09] + [0x31, 0x39, 0x32, 0x2E, 0x30, 0x2E, 0x32, 0x2E, 0x31]  // "192.0.2.1"
    let encoded = try request(realm: "example.org", clientAddress: bytes("192.0.2.1")).encoded().get()
    #expect(encoded == expected)
  }

  @Test("an empty client address is still a fifth field")
  func emptyClientAddress() throws {
    let encoded = try request(clientAddress: []).encoded().get()
    #expect(encoded.count == 2 + 17 + 2 + 2 + 2 + 4 + 2 + 0 + 2)
    #expect(Array(encoded.suffix(4)) == [0x00, 0x00, 0x00, 0x00])
  }

  @Test("lengths are big-endian")
  func bigEndianLength() throws {
    let password = [UInt8](repeating: 0x78, count: 0x012C)  // 300 bytes
    let encoded = try request(password: password).encoded().get()
    let start = 2 + 17
    #expect(Array(encoded[start..<start + 2]) == [0x01, 0x2C])
    #expect(Array(encoded[start + 2..<start + 2 + 300]) == password)
  }

  @Test("a field of exactly 65535 bytes is encoded")
  func largestField() throws {
    let password = [UInt8](repeating: 0x61, count: 65535)
    let encoded = try request(password: password).encoded().get()
    #expect(Array(encoded[19..<21]) == [0xFF, 0xFF])
    #expect(encoded.count == 2 + 17 + 2 + 65535 + 2 + 4 + 2)
  }

  @Test("a field over 65535 bytes is refused with its name", arguments: ["login", "password", "service", "realm"])
  func fieldTooLong(_ field: String) {
    let long = String(repeating: "a", count: 65536)
    let tooLong: SaslauthdRequest =
      switch field {
      case "login": request(login: long)
      case "password": request(password: bytes(long))
      case "service": request(service: long)
      default: request(realm: long)
      }
    #expect(tooLong.encoded() == .failure(.fieldTooLong(field)))
  }

  @Test("a client address over 65535 bytes is refused")
  func clientAddressTooLong() {
    let result = request(clientAddress: [UInt8](repeating: 0x31, count: 65536)).encoded()
    guard case .failure(.fieldTooLong) = result else {
      Issue.record("expected .fieldTooLong, got \(result)")
      return
    }
  }

  @Test("no field over saslauthd's 256 bytes: nothing listed")
  func withinSaslauthdLimit() {
    let atLimit = String(repeating: "a", count: 256)
    let atLimitRequest = request(login: atLimit, password: bytes(atLimit), service: atLimit, realm: atLimit)
    #expect(atLimitRequest.fieldsOverSaslauthdLimit == [])
  }

  @Test("fields over saslauthd's 256 bytes are listed by name, in order")
  func overSaslauthdLimit() {
    let over = String(repeating: "a", count: 257)
    #expect(request(login: over).fieldsOverSaslauthdLimit == ["login"])
    #expect(request(password: bytes(over)).fieldsOverSaslauthdLimit == ["password"])
    #expect(request(service: over).fieldsOverSaslauthdLimit == ["service"])
    #expect(request(realm: over).fieldsOverSaslauthdLimit == ["realm"])
    #expect(
      request(login: over, password: bytes(over), realm: over).fieldsOverSaslauthdLimit
        == ["login", "password", "realm"])
    #expect(request(clientAddress: bytes(over)).fieldsOverSaslauthdLimit.count == 1)
  }
}

@Suite("SaslauthdReply.decode")
struct SaslauthdReplyTests {
  /// The reply, or nil (with an issue recorded) when decoding did not complete.
  private func complete(_ bytes: [UInt8]) -> SaslauthdReply? {
    let decoding = SaslauthdReply.decode(bytes)
    guard case .complete(let reply) = decoding else {
      Issue.record("expected a complete reply, got \(decoding)")
      return nil
    }
    return reply
  }

  @Test("OK")
  func ok() {
    let reply = complete([0x00, 0x02, 0x4F, 0x4B])
    #expect(reply?.isOK == true)
    #expect(reply?.text == "OK")
    #expect(reply?.reason == "")
  }

  @Test("OK with a reason")
  func okWithReason() {
    let reply = complete([0x00, 0x07] + bytes("OK fine"))
    #expect(reply?.isOK == true)
    #expect(reply?.reason == "fine")
  }

  @Test("NO with a reason")
  func noWithReason() {
    let reply = complete([0x00, 0x11] + bytes("NO PAM auth error"))
    #expect(reply?.isOK == false)
    #expect(reply?.text == "NO PAM auth error")
    #expect(reply?.reason == "PAM auth error")
  }

  @Test("NO alone has an empty reason")
  func noAlone() {
    let reply = complete([0x00, 0x02, 0x4E, 0x4F])
    #expect(reply?.isOK == false)
    #expect(reply?.reason == "")
  }

  @Test("a long reply uses both length bytes")
  func longReply() {
    let reason = String(repeating: "r", count: 300)
    let reply = complete([0x01, 0x2F] + bytes("NO ") + bytes(reason))  // 303 bytes
    #expect(reply?.isOK == false)
    #expect(reply?.reason == reason)
  }

  @Test(
    "fewer bytes than announced is incomplete",
    arguments: [
      [],
      [0x00],
      [0x01],
      [0x00, 0x02],
      [0x00, 0x02, 0x4F],
      [0x00, 0x11, 0x4E, 0x4F, 0x20, 0x50, 0x41, 0x4D],
      [0x01, 0x00, 0x4F, 0x4B],
    ] as [[UInt8]])
  func incomplete(_ bytes: [UInt8]) {
    #expect(SaslauthdReply.decode(bytes) == .incomplete)
  }

  @Test(
    "more bytes than announced is an error",
    arguments: [
      [0x00, 0x02, 0x4F, 0x4B, 0x00],
      [0x00, 0x02, 0x4F, 0x4B, 0x4F, 0x4B],
      [0x00, 0x00, 0x4E, 0x4F],
    ] as [[UInt8]])
  func trailingBytes(_ bytes: [UInt8]) {
    #expect(SaslauthdReply.decode(bytes) == .failed(.trailingBytes))
  }

  @Test(
    "a body that does not start with OK or NO is an error",
    arguments: [
      [0x00, 0x00],  // empty body
      [0x00, 0x01, 0x4F],  // "O"
      [0x00, 0x01, 0x4E],  // "N"
      [0x00, 0x02, 0x6F, 0x6B],  // "ok"
      [0x00, 0x02, 0x4E, 0x4B],  // "NK"
      [0x00, 0x05, 0x45, 0x52, 0x52, 0x4F, 0x52],  // "ERROR"
      [0x00, 0x04, 0x20, 0x4F, 0x4B, 0x20],  // " OK "
    ] as [[UInt8]])
  func notOKorNO(_ bytes: [UInt8]) {
    #expect(SaslauthdReply.decode(bytes) == .failed(.notOKorNO))
  }
}
