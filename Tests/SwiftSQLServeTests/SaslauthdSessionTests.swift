// The server side of saslauthd's mux protocol: SaslauthdRequest.decode and
// SaslauthdReply.encode (shared with the client in SaslauthdClient), and
// SaslauthdSession, which decides when a request is complete: four fields
// in one piece at once, four in pieces only after the wait for a fifth.
// The bytes are written out by hand, as cyrus-sasl's checkpw.c sends them.

import SaslauthdClient
import SwiftSQLServe
import Testing

private func field(_ text: String) -> [UInt8] {
  let bytes = Array(text.utf8)
  return [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
}

private let fourFields = field("alice") + field("secret") + field("smtp") + field("example.org")
private let fifthField = field("192.0.2.7;587")

private func receive(_ session: inout SaslauthdSession, _ bytes: [UInt8]) -> SaslauthdSession.Step {
  bytes.withUnsafeBytes { session.receive($0) }
}

@Suite("saslauthd, server side")
struct SaslauthdSessionTests {
  @Test("four fields in one piece are a whole 2.1.28 request, answered at once")
  func fourInOnePiece() {
    var session = SaslauthdSession()
    let step = receive(&session, fourFields)
    #expect(
      step
        == .request(
          SaslauthdRequest(
            login: Array("alice".utf8), password: Array("secret".utf8), service: Array("smtp".utf8),
            realm: Array("example.org".utf8))))
  }

  @Test("five fields in one piece carry the client address")
  func fiveInOnePiece() {
    var session = SaslauthdSession()
    guard case .request(let request) = receive(&session, fourFields + fifthField) else {
      Issue.record("not a request")
      return
    }
    #expect(request.clientAddress == Array("192.0.2.7;587".utf8))
  }

  @Test("four fields that came in pieces wait for a possible fifth")
  func fourInPieces() {
    var session = SaslauthdSession()
    #expect(receive(&session, Array(fourFields[..<5])) == .needMore)
    #expect(receive(&session, Array(fourFields[5...])) == .mayHaveAddress)
    #expect(session.requestWithoutAddress()?.login == Array("alice".utf8))
    #expect(session.requestWithoutAddress()?.clientAddress == nil)
  }

  @Test("the fifth field may follow in pieces of its own")
  func fifthInPieces() {
    var session = SaslauthdSession()
    #expect(receive(&session, Array(fourFields[..<3])) == .needMore)
    #expect(receive(&session, Array(fourFields[3...])) == .mayHaveAddress)
    #expect(receive(&session, Array(fifthField[..<4])) == .needMore)
    #expect(session.requestWithoutAddress() == nil)
    guard case .request(let request) = receive(&session, Array(fifthField[4...])) else {
      Issue.record("not a request")
      return
    }
    #expect(request.clientAddress == Array("192.0.2.7;587".utf8))
  }

  @Test("a field over 256 bytes is refused with a bare NO, as saslauthd does", arguments: [0, 1, 2, 3, 4])
  func tooLong(index: Int) {
    var fields = [field("alice"), field("secret"), field("smtp"), field(""), field("192.0.2.7")]
    fields[index] = [0x01, 0x01] + [UInt8](repeating: 0x61, count: 257)
    var session = SaslauthdSession()
    let names = ["login", "password", "service", "realm", "client address"]
    #expect(
      receive(&session, fields.joined().map { $0 }) == .refuse(reply: [0x00, 0x02, 0x4E, 0x4F], field: names[index]))
  }

  @Test("256 bytes are allowed")
  func atTheLimit() {
    var session = SaslauthdSession()
    let long = String(repeating: "p", count: 256)
    guard case .request(let request) = receive(&session, field("alice") + field(long) + field("smtp") + field(""))
    else {
      Issue.record("not a request")
      return
    }
    #expect(request.password.count == 256)
  }

  @Test("bytes after the fifth field are ignored")
  func trailing() {
    var session = SaslauthdSession()
    guard case .request(let request) = receive(&session, fourFields + fifthField + [1, 2, 3]) else {
      Issue.record("not a request")
      return
    }
    #expect(request.clientAddress == Array("192.0.2.7;587".utf8))
  }

  @Test("decode: incomplete until each field is whole")
  func decodeIncomplete() {
    for end in 0..<fourFields.count {
      #expect(SaslauthdRequest.decode(Array(fourFields[..<end]), fieldLimit: 256) == .incomplete)
    }
    #expect(SaslauthdRequest.decode(fourFields + [0x00], fieldLimit: 256) == .incomplete)
  }

  @Test("replies: OK, and NO with its text after a space")
  func replies() {
    #expect(SaslauthdReply.encode(ok: true, text: "") == [0x00, 0x02, 0x4F, 0x4B])
    #expect(
      SaslauthdReply.encode(ok: false, text: "authentication failed")
        == [0x00, 0x18] + Array("NO authentication failed".utf8))
    // What the client side reads back.
    guard case .complete(let reply) = SaslauthdReply.decode(SaslauthdReply.encode(ok: false, text: "account disabled"))
    else {
      Issue.record("not a complete reply")
      return
    }
    #expect(reply.text == "NO account disabled")
    #expect(!reply.isOK)
  }

  @Test("wipe overwrites what was read")
  func wipe() {
    var session = SaslauthdSession()
    #expect(receive(&session, Array(fourFields[..<7])) == .needMore)
    session.wipe()
    #expect(session.requestWithoutAddress() == nil)
    #expect(receive(&session, fourFields) == .mayHaveAddress)
  }
}
