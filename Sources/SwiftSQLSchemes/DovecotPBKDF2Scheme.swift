// Dovecot's PBKDF2: "$1$<salt>$<rounds>$<hex>", PBKDF2-HMAC-SHA1 with the
// salt's characters as the salt and a 20-byte key.

import SwiftSQLCore
import SwiftSQLSystem

extension PasswordScheme {
  static let dovecotPBKDF2 = PasswordScheme(
    names: [.generated("PBKDF2", .iterated)],
    payload: .text,
    verify: { password, stored, _ in
      stored.withBytes { bytes in
        let fields = bytes.split(separator: UInt8(ascii: "$"), omittingEmptySubsequences: false)
        // "", "1", salt, rounds, hex
        guard fields.count == 5, fields[0].isEmpty, fields[1].elementsEqual("1".utf8), fields[3].count <= 10,
          let rounds = Int(String(decoding: fields[3], as: UTF8.self)),
          let expected = PayloadDecoding.hex(UnsafeRawBufferPointer(rebasing: fields[4])), expected.count == 20
        else { return .unusable(problem: "it is not $1$salt$rounds$ and 40 hex digits") }
        guard (1...CostLimits.pbkdf2Iterations).contains(rounds) else {
          return .unusable(problem: "\(rounds) rounds are outside 1…\(CostLimits.pbkdf2Iterations)")
        }
        let key = LibCrypto.pbkdf2(
          .sha1, password: password.bytes, salt: UnsafeRawBufferPointer(rebasing: fields[2]),
          iterations: UInt32(rounds), length: 20)
        guard let key else { return .unusable(problem: "libcrypto could not derive the key") }
        return key.withBytes { mine in expected.withUnsafeBytes { .matching(LibCrypto.constantTimeEqual(mine, $0)) } }
      }
    },
    generate: { password, _, options in
      let rounds = options.cost ?? 5000
      guard (1...CostLimits.pbkdf2Iterations).contains(rounds) else {
        return .failure(SchemeProblem("rounds must be from 1 to \(CostLimits.pbkdf2Iterations)"))
      }
      guard let random = System.randomBytes(16) else { return .failure(SchemeProblem("no random salt")) }
      // Dovecot's salt characters.
      let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz./".utf8)
      let salt = random.map { alphabet[Int($0) % alphabet.count] }
      let key = salt.withUnsafeBytes {
        LibCrypto.pbkdf2(.sha1, password: password.bytes, salt: $0, iterations: UInt32(rounds), length: 20)
      }
      guard let key else { return .failure(SchemeProblem("libcrypto could not derive the key")) }
      let text = Array("$1$".utf8) + salt + Array("$\(rounds)$".utf8) + key.withBytes { PayloadDecoding.encodeHex($0) }
      return .success(SecretBytes(text))
    })
}
