// Dovecot's `{MD5}`, which means two things: an MD5-crypt string when the
// value starts with `$1$`, otherwise a PLAIN-MD5 digest (hex or base64).
// pam_pgsql's pw_type md5 (hex MD5) is covered by it. New values are
// MD5-crypt, as Dovecot makes them.

import SwiftSQLCore

extension PasswordScheme {
  static let dovecotMD5 = PasswordScheme(
    names: [.generated("MD5", .saltedDigest)],
    payload: .text,
    verify: { password, stored, _ in
      stored.withBytes { bytes in
        if bytes.starts(with: "$1$".utf8) {
          return stored.withCString { cryptCheck(password, setting: $0, stored: bytes) }
        }
        let asDigest = HashFormat(
          scheme: "PLAIN-MD5", algorithm: "PLAIN-MD5", encoding: .native, payloadOffset: 0, hasPrefix: false)
        switch SchemeRegistry.decode(stored, from: 0, as: .binary(.hex, length: 16), format: asDigest) {
        case .failure: return .unusable(problem: "it is neither an MD5-crypt string nor a hex or base64 MD5 digest")
        case .success(let digest):
          guard let computed = LibCrypto.digest(.md5, [password.bytes]) else {
            return .unusable(problem: "libcrypto has no MD5")
          }
          return computed.withBytes { mine in digest.withBytes { .matching(LibCrypto.constantTimeEqual(mine, $0)) } }
        }
      }
    },
    generate: { password, _, options in
      crypt.generate?(password, "MD5-CRYPT", options) ?? .failure(SchemeProblem("no MD5-crypt"))
    })
}
