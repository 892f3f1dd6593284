// swiftsql-authd's reader of Dovecot's auth-client protocol: DovecotSession,
// fed what a client sends in pieces, each login it hands out answered at
// once (alternately OK and FAIL).
//
// Input: one byte, the piece size (1–32, or 0: all at once); then the bytes
// a client sends (make-seeds.py writes Postfix's handshake and requests).
//
// Invariants: the reader never traps; after it closes the connection it
// says nothing more; everything it sends is whole lines, each CONT or FAIL
// with an id; a login handed out has an id, a non-empty login without a
// control character the protocol could not carry, a password without NUL, a
// non-empty service, and is handed out only once; its answer is one OK or
// FAIL line for that id (none if the client cancelled it meanwhile), and a
// second answer for it is refused.

import SwiftSQLCore
import SwiftSQLServe

func checkLines(_ bytes: [UInt8], id: UInt32? = nil, commands: [String]) {
  invariant(bytes.last == UInt8(ascii: "\n"), "\(shown(bytes)) does not end a line")
  invariant(bytes.filter { $0 == UInt8(ascii: "\n") }.count == 1, "\(shown(bytes)) is not one line")
  let fields = bytes.dropLast().split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false)
  invariant(fields.count >= 2, "\(shown(bytes)) has no id")
  invariant(commands.contains(text(Array(fields[0]))), "\(shown(bytes)) is not one of \(commands)")
  invariant(UInt32(text(Array(fields[1]))) != nil, "\(shown(bytes)) has no numeric id")
  if let id { invariant(text(Array(fields[1])) == String(id), "\(shown(bytes)) is not for id \(id)") }
}

/// Whether the client's bytes hold a line CANCEL <id> for this id, read as
/// Dovecot 2.4 reads it: the line split at TAB, each field tab-unescaped
/// (\001 then 1, t, r or n is that byte, \001 then any other byte is that
/// byte, a lone \001 at the end is dropped), the id a decimal number with
/// any leading zeros (str_to_uint). So "CANCEL\t01" and "CANCEL\t1\u{1}"
/// both cancel login 1. Written from Dovecot's strescape.c and strnum.c,
/// not from DovecotSession.
func cancels(_ bytes: [UInt8], _ id: UInt32) -> Bool {
  let escapes: [UInt8: UInt8] = [
    UInt8(ascii: "1"): 0x01, UInt8(ascii: "t"): 0x09, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "n"): 0x0A,
  ]
  func unescaped(_ field: ArraySlice<UInt8>) -> [UInt8] {
    var result: [UInt8] = []
    var index = field.startIndex
    while index < field.endIndex {
      let byte = field[index]
      index += 1
      guard byte == 0x01 else {
        result.append(byte)
        continue
      }
      guard index < field.endIndex else { break }
      result.append(escapes[field[index]] ?? field[index])
      index += 1
    }
    return result
  }
  let wanted = Array(String(id).utf8)
  for var line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
    if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
    let fields = line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false).map(unescaped)
    guard fields.count >= 2, fields[0] == Array("CANCEL".utf8) else { continue }
    let digits = fields[1]
    guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { continue }
    if digits.drop(while: { $0 == UInt8(ascii: "0") }).elementsEqual(wanted) { return true }
  }
  return false
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzServeDovecot(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  var input = FuzzInput(data, size)
  let pieceSize = Int(input.byte() % 33)
  let bytes = input.rest()
  var session = DovecotSession()
  var sent = 0
  var answered = 0
  while sent < bytes.count {
    let count = pieceSize == 0 ? bytes.count : min(pieceSize, bytes.count - sent)
    let piece = Array(bytes[sent..<(sent + count)])
    sent += count
    let events = piece.withUnsafeBytes { session.receive($0) }
    for (index, event) in events.enumerated() {
      switch event {
      case .close:
        invariant(index == events.count - 1, "events after the close")
        invariant(!session.hasPartialLine, "a closed session keeps bytes")
        return 0
      case .send(let line):
        checkLines(line, commands: ["CONT", "FAIL"])
      case .verify(let credentials):
        invariant(credentials.id > 0, "id 0 handed out")
        invariant(!credentials.login.isEmpty, "an empty login handed out")
        invariant(!credentials.service.isEmpty, "no service")
        invariant(!credentials.password.containsNUL, "a password with a NUL handed out")
        answered += 1
        let outcome: DovecotOutcome =
          answered % 2 == 0
          ? .ok(user: text(credentials.login))
          : .fail(user: credentials.login, code: "temp_fail", reason: "Temporary authentication failure")
        guard let line = session.answer(credentials.id, outcome) else {
          // Only a CANCEL read with it (the same batch) drops a login.
          invariant(cancels(bytes, credentials.id), "no answer for id \(credentials.id)")
          continue
        }
        checkLines(line, id: credentials.id, commands: ["OK", "FAIL"])
        invariant(session.answer(credentials.id, outcome) == nil, "id \(credentials.id) answered twice")
      }
    }
  }
  return 0
}
