// PLAIN, CLEAR and CLEARTEXT: the password stored as it is (optionally hex
// or base64 encoded with `.HEX`/`.B64`), compared in constant time. For
// migrations only; the README says so.

import SwiftSQLCore

extension PasswordScheme {
  static let plain = PasswordScheme(names: ["PLAIN", "CLEAR", "CLEARTEXT"]) { password, stored, _ in
    if stored.encoding == .native {
      return ConstantTime.equal(password.bytes, stored.bytes) ? .match : .mismatch
    }
    guard var decoded = PayloadDecoding.decode(stored.bytes, as: stored.encoding) else {
      return .unusable(problem: "the payload is not valid \(stored.encoding == .hex ? "hex" : "base64")")
    }
    defer { decoded.withUnsafeMutableBytes { wipe($0) } }
    let equal = decoded.withUnsafeBytes { ConstantTime.equal(password.bytes, $0) }
    return equal ? .match : .mismatch
  }
}
