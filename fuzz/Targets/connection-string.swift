// ConnectionString.parse and ConnectionString.quoted, the key=value syntax
// of the mysql driver's `connect` (and of the connection strings the
// pam_mysql and pam_pgsql translations write).
//
// Input: one flag byte (bit 0: the rest is a value to quote, not a
// connection string), then the text.
//
// Invariants: parsing never traps and is deterministic; a parsed key is not
// empty and holds no '=' or space; writing the pairs back as
// key=quoted(value) and parsing that gives the same pairs; any value,
// quoted, parses back to itself (so a password or host name with quotes,
// backslashes or spaces cannot end its pair early or add a pair); an error
// names a byte inside the text.

import SwiftSQLCore

func pairsEqual(_ lhs: [(key: String, value: String)], _ rhs: [(key: String, value: String)]) -> Bool {
  lhs.count == rhs.count
    && zip(lhs, rhs).allSatisfy {
      Array($0.key.utf8) == Array($1.key.utf8) && Array($0.value.utf8) == Array($1.value.utf8)
    }
}

func describe(_ pairs: [(key: String, value: String)]) -> String {
  pairs.map { shown($0.key) + "=" + shown($0.value) }.joined(separator: " ")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConnectionString(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  var input = FuzzInput(data, size)
  let flags = input.byte()
  let string = text(input.rest())

  if flags & 1 != 0 {
    // A value written by the translations, e.g. a database password.
    let quoted = ConnectionString.quoted(string)
    switch ConnectionString.parse("password=" + quoted + " host=db.example") {
    case .success(let pairs):
      invariant(
        pairsEqual(pairs, [("password", string), ("host", "db.example")]),
        "the value \(shown(string)), quoted as \(shown(quoted)), parses back as \(describe(pairs))")
    case .failure(let error):
      invariant(false, "the value \(shown(string)), quoted as \(shown(quoted)), does not parse: \(error.message)")
    }
    return 0
  }

  switch ConnectionString.parse(string) {
  case .failure(let error):
    invariant(!error.message.isEmpty, "an error without a message")
    if case .success = ConnectionString.parse(string) { invariant(false, "the same text parsed the second time") }
  case .success(let pairs):
    if case .success(let again) = ConnectionString.parse(string) {
      invariant(pairsEqual(pairs, again), "parsing twice differs")
    } else {
      invariant(false, "the same text failed the second time")
    }
    for pair in pairs {
      invariant(!pair.key.isEmpty, "an empty key in \(describe(pairs))")
      invariant(
        !pair.key.utf8.contains(UInt8(ascii: "=")) && !pair.key.utf8.contains(UInt8(ascii: " ")),
        "the key \(shown(pair.key)) holds '=' or a space")
    }
    let written = pairs.map { $0.key + "=" + ConnectionString.quoted($0.value) }.joined(separator: " ")
    switch ConnectionString.parse(written) {
    case .success(let back):
      invariant(
        pairsEqual(back, pairs), "\(describe(pairs)) written as \(shown(written)) parses back as \(describe(back))")
    case .failure(let error):
      invariant(false, "\(describe(pairs)) written as \(shown(written)) does not parse: \(error.message)")
    }
  }
  return 0
}
