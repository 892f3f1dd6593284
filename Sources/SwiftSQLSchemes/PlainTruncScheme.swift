// PLAIN-TRUNC: `{PLAIN-TRUNC}<length>-<password>`, a plaintext stored by a
// system that truncated passwords to <length> bytes. As in Dovecot, a
// longer password matches when its first <length> bytes do.

import SwiftSQLCore

extension PasswordScheme {
  static let plainTrunc = PasswordScheme(
    names: [.generated("PLAIN-TRUNC", .plaintext)],
    payload: .text,
    verify: { password, stored, _ in
      stored.withBytes { bytes in
        let digits = bytes.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard !digits.isEmpty, digits.count <= 9, digits.count < bytes.count,
          bytes[digits.count] == UInt8(ascii: "-"), let length = Int(String(decoding: digits, as: UTF8.self))
        else { return .unusable(problem: "it lacks the <length>- prefix") }
        let kept = UnsafeRawBufferPointer(rebasing: bytes[(digits.count + 1)...])
        let given = password.bytes
        if kept.count == length && given.count >= length {
          return .matching(LibCrypto.constantTimeEqual(UnsafeRawBufferPointer(rebasing: given[0..<length]), kept))
        }
        return .matching(LibCrypto.constantTimeEqual(given, kept))
      }
    },
    generate: { password, _, _ in
      .success(SecretBytes(Array("\(password.count)-".utf8) + Array(password.bytes)))
    })
}
