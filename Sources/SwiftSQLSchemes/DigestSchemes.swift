// One unsalted digest of the password: Dovecot's SHA, SHA1, SHA256, SHA512
// (base64), PLAIN-MD5 and PLAIN-MD4 (hex), LDAP-MD5 (base64), and the legacy
// forms selectable with default_pass_scheme: MD5-HEX, SHA1-HEX, SHA256-HEX,
// SHA512-HEX (pam_mysql crypt=3, 4, 9, 8). As in Dovecot, a value of twice
// the digest's length in characters is read as hex, anything else as
// base64, so hex rows work under SHA1 too (pam_pgsql's sha1).

import SwiftSQLCore

extension PasswordScheme {
  /// A scheme that stores `algorithm`'s digest of the password.
  static func digest(_ algorithm: DigestAlgorithm, _ names: [Name], encoding: PayloadEncoding) -> PasswordScheme {
    PasswordScheme(
      names: names,
      payload: .binary(encoding, length: algorithm.length),
      verify: { password, stored, _ in
        guard let computed = LibCrypto.digest(algorithm, [password.bytes]) else {
          return .unusable(problem: "libcrypto has no \(algorithm.openSSLName)")
        }
        return computed.withBytes { mine in stored.withBytes { .matching(LibCrypto.constantTimeEqual(mine, $0)) } }
      },
      generate: { password, _, _ in
        guard let computed = LibCrypto.digest(algorithm, [password.bytes]) else {
          return .failure(SchemeProblem("libcrypto has no \(algorithm.openSSLName)"))
        }
        return .success(computed)
      })
  }

  static let digestSchemes: [PasswordScheme] = [
    digest(.sha1, [.generated("SHA", .unsaltedDigest), .generated("SHA1", .unsaltedDigest)], encoding: .base64),
    digest(.sha256, [.generated("SHA256", .unsaltedDigest)], encoding: .base64),
    digest(.sha512, [.generated("SHA512", .unsaltedDigest)], encoding: .base64),
    digest(.md5, [.generated("PLAIN-MD5", .unsaltedDigest)], encoding: .hex),
    digest(.md5, [.generated("LDAP-MD5", .unsaltedDigest)], encoding: .base64),
    digest(.md4, [.generated("PLAIN-MD4", .unsaltedDigest)], encoding: .hex),
    digest(.md5, [.verified("MD5-HEX", .unsaltedDigest)], encoding: .hex),
    digest(.sha1, [.verified("SHA1-HEX", .unsaltedDigest)], encoding: .hex),
    digest(.sha256, [.verified("SHA256-HEX", .unsaltedDigest)], encoding: .hex),
    digest(.sha512, [.verified("SHA512-HEX", .unsaltedDigest)], encoding: .hex),
  ]
}
