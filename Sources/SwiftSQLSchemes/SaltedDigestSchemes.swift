// Dovecot's salted digests, base64(digest(password ‖ salt) ‖ salt): SMD5,
// SSHA, SSHA256, SSHA512. The salt is whatever follows the digest, of any
// length, as OpenLDAP and Dovecot write it.

import SwiftSQLCore
import SwiftSQLSystem

extension PasswordScheme {
  /// A salted `algorithm` scheme.
  static func saltedDigest(_ algorithm: DigestAlgorithm, _ name: String) -> PasswordScheme {
    PasswordScheme(
      names: [.generated(name, .saltedDigest)],
      payload: .binary(.base64, length: nil),
      verify: { password, stored, _ in
        stored.withBytes { bytes in
          guard bytes.count > algorithm.length else {
            return .unusable(problem: "it is too short to hold a \(algorithm.openSSLName) digest and a salt")
          }
          let expected = UnsafeRawBufferPointer(rebasing: bytes[0..<algorithm.length])
          let salt = UnsafeRawBufferPointer(rebasing: bytes[algorithm.length...])
          guard let computed = LibCrypto.digest(algorithm, [password.bytes, salt]) else {
            return .unusable(problem: "libcrypto has no \(algorithm.openSSLName)")
          }
          return computed.withBytes { .matching(LibCrypto.constantTimeEqual($0, expected)) }
        }
      },
      generate: { password, _, _ in
        guard let salt = System.randomBytes(8) else { return .failure(SchemeProblem("no random salt")) }
        let computed = salt.withUnsafeBytes { LibCrypto.digest(algorithm, [password.bytes, $0]) }
        guard let computed else { return .failure(SchemeProblem("libcrypto has no \(algorithm.openSSLName)")) }
        var joined = computed.withBytes { Array($0) } + salt
        defer { joined.withUnsafeMutableBytes { wipe($0) } }
        return .success(SecretBytes(joined))
      })
  }

  static let saltedDigestSchemes: [PasswordScheme] = [
    saltedDigest(.md5, "SMD5"),
    saltedDigest(.sha1, "SSHA"),
    saltedDigest(.sha256, "SSHA256"),
    saltedDigest(.sha512, "SSHA512"),
  ]
}
