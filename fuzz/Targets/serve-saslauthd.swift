// swiftsql-authd's reader of saslauthd requests: SaslauthdSession, over the
// shared SaslauthdRequest.decode, fed what a client sends in pieces.
//
// Input: one byte, the piece size (1–16, or 0: all at once); then the bytes
// a client sends.
//
// Invariants: the reader never traps; it keeps no more than the longest
// request; a request is answered only once its fields are complete, and a
// four-field request at once only when it came in one piece (else the
// reader waits for a fifth); every field of a request is within saslauthd's
// 256 bytes and re-encoding the request gives back exactly the bytes it was
// read from; a refusal is a bare "NO" and names the first field over 256
// bytes; after the wait, the request without an address is the four
// fields read.

import SaslauthdClient
import SwiftSQLServe

func fieldLengths(_ bytes: [UInt8]) -> [Int] {
  var lengths: [Int] = []
  var offset = 0
  while offset + 2 <= bytes.count && lengths.count < 5 {
    let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
    lengths.append(length)
    offset += 2 + length
  }
  return lengths
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzServeSaslauthd(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  var input = FuzzInput(data, size)
  let pieceSize = Int(input.byte() % 17)
  let bytes = input.rest()
  var session = SaslauthdSession()
  var sent = 0
  var pieces = 0
  while sent < bytes.count {
    let count = pieceSize == 0 ? bytes.count : min(pieceSize, bytes.count - sent)
    let piece = Array(bytes[sent..<(sent + count)])
    sent += count
    pieces += 1
    let step = piece.withUnsafeBytes { session.receive($0) }
    let read = Array(bytes[..<min(sent, SaslauthdSession.maximumBytes)])
    switch step {
    case .needMore:
      if case .fiveFields = SaslauthdRequest.decode(read, fieldLimit: 256) {
        invariant(false, "five complete fields, and the reader wants more")
      }
    case .request(let request):
      for (name, field) in zip(
        SaslauthdRequest.fieldNames, [request.login, request.password, request.service, request.realm])
      {
        invariant(field.count <= 256, "the \(name) has \(field.count) bytes")
      }
      invariant((request.clientAddress?.count ?? 0) <= 256, "the client address is too long")
      if request.clientAddress == nil { invariant(pieces == 1, "four fields from \(pieces) pieces answered at once") }
      guard case .success(let encoded) = request.encoded() else {
        invariant(false, "a request read cannot be encoded again")
        return 0
      }
      invariant(read.starts(with: encoded), "the request re-encoded is not the bytes read: \(shown(encoded))")
      return 0
    case .mayHaveAddress:
      invariant(pieces > 1, "four fields in one piece, and the reader waits for a fifth")
      guard let request = session.requestWithoutAddress() else {
        invariant(false, "waiting for a fifth field without four complete ones")
        return 0
      }
      invariant(request.clientAddress == nil, "four fields with an address")
      guard case .success(let encoded) = request.encoded() else {
        invariant(false, "four fields read cannot be encoded again")
        return 0
      }
      invariant(read == encoded, "four fields re-encoded are not exactly the bytes read")
    case .refuse(let reply, let field):
      invariant(reply == [0, 2, UInt8(ascii: "N"), UInt8(ascii: "O")], "the refusal is \(shown(reply))")
      let lengths = fieldLengths(read)
      let first = lengths.firstIndex { $0 > 256 }
      invariant(
        first.map { SaslauthdRequest.fieldNames[$0] } == field,
        "refused for the \(field), lengths \(lengths)")
      return 0
    }
  }
  return 0
}
