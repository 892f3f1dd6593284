// PLAIN, CLEAR and CLEARTEXT: the password stored as it is (a `.HEX`/`.B64`
// suffix decodes it first), compared in constant time. For migrations only;
// the README says so.

import SwiftSQLCore

extension PasswordScheme {
  static let plain = PasswordScheme(
    names: [.generated("PLAIN", .plaintext), .generated("CLEAR", .plaintext), .generated("CLEARTEXT", .plaintext)],
    payload: .text,
    verify: { password, stored, _ in
      stored.withBytes { .matching(LibCrypto.constantTimeEqual(password.bytes, $0)) }
    },
    generate: { password, _, _ in .success(SecretBytes(copying: password.bytes)) })
}
