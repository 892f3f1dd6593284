// The saslauthd mux protocol of `pam-swiftsql test`: SaslauthdReply.decode,
// the reader's only parser of daemon bytes, and SaslauthdRequest.encoded.
//
// Input: one flag byte. Bit 0 clear: the rest is what a daemon sent, read
// the way SaslauthdSocket reads it (the chunk sizes come from the next
// byte). Bit 0 set: the rest is split at NUL bytes into the request's
// fields (login, password, service, realm, and with bit 1 the client
// address); bit 2 pads the password to more than the protocol's 65,535
// bytes.
//
// Invariants: decoding never traps; a complete reply is exactly its
// announced length, starts with OK or NO, and says isOK for OK only; every
// shorter prefix of a complete reply is incomplete and any longer input has
// trailing bytes, so the chunked reader stops at the same answer however
// the bytes arrive; an encoded request is the fields, each behind its
// big-endian length, in wire order, and a field over 65,535 bytes is refused.

import SaslauthdClient

func lengthOf(_ bytes: [UInt8]) -> Int? { bytes.count >= 2 ? Int(bytes[0]) << 8 | Int(bytes[1]) : nil }

func checkReply(_ bytes: [UInt8], chunk: Int) {
  let decoded = SaslauthdReply.decode(bytes)
  invariant(SaslauthdReply.decode(bytes) == decoded, "decoding twice differs")
  switch decoded {
  case .incomplete:
    if let length = lengthOf(bytes) {
      invariant(
        bytes.count < 2 + length, "\(shown(bytes)) is \(bytes.count) bytes for length \(length): not incomplete")
    }
  case .failed(.trailingBytes):
    invariant((lengthOf(bytes) ?? Int.max) + 2 < bytes.count, "trailing bytes reported for \(shown(bytes))")
  case .failed(.notOKorNO):
    guard let length = lengthOf(bytes) else {
      invariant(false, "notOKorNO without a length")
      return
    }
    invariant(bytes.count == 2 + length, "notOKorNO for a reply of the wrong length")
    let body = Array(bytes[2...])
    invariant(
      !(body.starts(with: Array("OK".utf8)) || body.starts(with: Array("NO".utf8))), "\(shown(body)) refused")
  case .failed(.fieldTooLong):
    invariant(false, "a reply cannot have a field too long")
  case .complete(let reply):
    guard let length = lengthOf(bytes) else {
      invariant(false, "a complete reply without a length")
      return
    }
    invariant(bytes.count == 2 + length, "complete with \(bytes.count) bytes for length \(length)")
    let body = Array(bytes[2...])
    invariant(body.starts(with: Array("OK".utf8)) || body.starts(with: Array("NO".utf8)), "\(shown(body)) accepted")
    invariant(reply.isOK == body.starts(with: Array("OK".utf8)), "isOK is \(reply.isOK) for \(shown(body))")
    invariant(reply.text == text(body), "the text \(shown(reply.text)) is not the body \(shown(body))")
    invariant(!reply.reason.hasPrefix(" "), "the reason \(shown(reply.reason)) starts with a space")
    for end in 0..<bytes.count {
      invariant(
        SaslauthdReply.decode(Array(bytes[..<end])) == .incomplete,
        "the prefix of \(end) bytes of a complete reply is not incomplete")
    }
  }

  // The socket reader: append what recv gave, decode after each chunk, stop
  // at the first answer that is not .incomplete.
  var received: [UInt8] = []
  var answer = SaslauthdDecoding.incomplete
  var offset = 0
  while offset < bytes.count {
    let count = min(chunk, bytes.count - offset)
    received += bytes[offset..<(offset + count)]
    offset += count
    answer = SaslauthdReply.decode(received)
    if answer != .incomplete { break }
  }
  if case .complete(let reply) = answer {
    invariant(
      received.count == 2 + (lengthOf(received) ?? -1), "the reader's complete reply is \(received.count) bytes")
    if case .complete(let whole) = decoded { invariant(whole == reply, "chunked and whole replies differ") }
  }
  if case .complete = decoded { invariant(answer == decoded, "read in chunks of \(chunk) the reply is \(answer)") }
}

func checkRequest(_ fields: [[UInt8]], withAddress: Bool) {
  let request = SaslauthdRequest(
    login: fields[0], password: fields[1], service: fields[2], realm: fields[3],
    clientAddress: withAddress ? fields[4] : nil)
  let expected = withAddress ? fields : Array(fields[0..<4])
  let names = ["login", "password", "service", "realm", "client address"]
  let over = zip(names, expected).filter { $0.1.count > SaslauthdRequest.saslauthdFieldLimit }.map { $0.0 }
  invariant(request.fieldsOverSaslauthdLimit == over, "fields over the limit: \(request.fieldsOverSaslauthdLimit)")
  switch request.encoded() {
  case .failure(.fieldTooLong(let name)):
    let first = zip(names, expected).first { $0.1.count > Int(UInt16.max) }
    invariant(first?.0 == name, "\(name) refused as too long; the first too long is \(first?.0 ?? "none")")
  case .failure(let error):
    invariant(false, "encoding failed with \(error)")
  case .success(let bytes):
    var reader = FuzzInput(bytes: bytes)
    for (name, field) in zip(names, expected) {
      invariant(field.count <= Int(UInt16.max), "the \(name) of \(field.count) bytes was encoded")
      let length = reader.take(2)
      invariant(length.count == 2, "the \(name)'s length is missing")
      let announced = Int(length[0]) << 8 | Int(length[1])
      invariant(announced == field.count, "the \(name) announces \(announced) bytes, has \(field.count)")
      invariant(reader.take(announced) == field, "the \(name) is not the field")
    }
    invariant(reader.isAtEnd, "bytes after the last field")
  }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSaslauthd(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  var input = FuzzInput(data, size)
  let flags = input.byte()
  if flags & 1 == 0 {
    let chunk = Int(input.byte() % 16) + 1
    checkReply(input.rest(), chunk: chunk)
    return 0
  }
  var fields: [[UInt8]] = []
  for _ in 0..<5 { fields.append(input.segment(until: 0)) }
  if flags & 4 != 0 {
    // Past the protocol's limit: the length no longer fits 16 bits.
    fields[1] += [UInt8](repeating: UInt8(ascii: "p"), count: Int(UInt16.max) + 1 - fields[1].count % 7)
  }
  checkRequest(fields, withAddress: flags & 2 != 0)
  return 0
}
