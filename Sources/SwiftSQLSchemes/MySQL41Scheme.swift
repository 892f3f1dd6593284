// MYSQL41: MySQL 4.1's PASSWORD(), `*` and the upper-case hex of
// SHA1(SHA1(password)) — pam_mysql's crypt=2. Selected with
// default_pass_scheme = MYSQL41 for rows without a prefix.

import SwiftSQLCore

extension PasswordScheme {
  static let mysql41 = PasswordScheme(
    names: [.verified("MYSQL41", .unsaltedDigest)],
    payload: .text,
    verify: { password, stored, _ in
      stored.withBytes { bytes in
        guard bytes.count == 41, bytes.first == UInt8(ascii: "*"),
          let expected = PayloadDecoding.hex(UnsafeRawBufferPointer(rebasing: bytes[1...]))
        else { return .unusable(problem: "it is not '*' and 40 hex digits") }
        guard let once = LibCrypto.digest(.sha1, [password.bytes]),
          let twice = once.withBytes({ LibCrypto.digest(.sha1, [$0]) })
        else { return .unusable(problem: "libcrypto has no SHA1") }
        return twice.withBytes { mine in expected.withUnsafeBytes { .matching(LibCrypto.constantTimeEqual(mine, $0)) } }
      }
    })
}
