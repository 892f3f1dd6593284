// MD5_POSTGRES: PostgreSQL's own md5 role-password form, "md5" followed by
// the hex of MD5(password ‖ login) — pam_pgsql's pw_type md5_postgres. The
// login is the whole one the module sees (user@domain).

import SwiftSQLCore

extension PasswordScheme {
  static let postgresMD5 = PasswordScheme(
    names: [.verified("MD5_POSTGRES", .unsaltedDigest)],
    payload: .text,
    verify: { password, stored, input in
      stored.withBytes { bytes in
        guard bytes.count == 35, bytes.starts(with: "md5".utf8),
          let expected = PayloadDecoding.hex(UnsafeRawBufferPointer(rebasing: bytes[3...]))
        else { return .unusable(problem: "it is not 'md5' and 32 hex digits") }
        let login = Array(input.login.full.utf8)
        let computed = login.withUnsafeBytes { LibCrypto.digest(.md5, [password.bytes, $0]) }
        guard let computed else { return .unusable(problem: "libcrypto has no MD5") }
        return computed.withBytes { mine in
          expected.withUnsafeBytes { .matching(LibCrypto.constantTimeEqual(mine, $0)) }
        }
      }
    })
}
