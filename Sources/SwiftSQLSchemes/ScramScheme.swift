// SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802/7677) as Dovecot stores them:
// "iterations,salt,StoredKey,ServerKey" with base64 fields. A password is
// checked by deriving SaltedPassword with PBKDF2, then ClientKey = HMAC(
// SaltedPassword, "Client Key") and comparing H(ClientKey) with StoredKey.
// Like Dovecot, at least 4,096 iterations; at most CostLimits' bound.

import SwiftSQLCore
import SwiftSQLSystem

extension PasswordScheme {
  static let scram = PasswordScheme(
    names: [.generated("SCRAM-SHA-1", .iterated), .generated("SCRAM-SHA-256", .iterated)],
    payload: .text,
    verify: { password, stored, input in
      let algorithm: DigestAlgorithm = input.format.scheme == "SCRAM-SHA-1" ? .sha1 : .sha256
      return stored.withBytes { bytes in
        let fields = bytes.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        guard fields.count == 4, fields[0].count <= 10,
          let iterations = Int(String(decoding: fields[0], as: UTF8.self))
        else { return .unusable(problem: "it is not iterations,salt,StoredKey,ServerKey") }
        guard iterations >= CostLimits.scramMinimumIterations, iterations <= CostLimits.pbkdf2Iterations else {
          return .unusable(
            problem:
              "\(iterations) iterations are outside \(CostLimits.scramMinimumIterations)…\(CostLimits.pbkdf2Iterations)"
          )
        }
        guard let salt = PayloadDecoding.base64(UnsafeRawBufferPointer(rebasing: fields[1])),
          let storedKey = PayloadDecoding.base64(UnsafeRawBufferPointer(rebasing: fields[2])),
          storedKey.count == algorithm.length
        else { return .unusable(problem: "its salt or StoredKey is not valid base64 of the right length") }
        guard let keys = scramKeys(password, salt: salt, iterations: iterations, algorithm: algorithm) else {
          return .unusable(problem: "libcrypto could not derive the keys")
        }
        return keys.stored.withBytes { mine in
          storedKey.withUnsafeBytes { .matching(LibCrypto.constantTimeEqual(mine, $0)) }
        }
      }
    },
    generate: { password, name, options in
      let algorithm: DigestAlgorithm = name == "SCRAM-SHA-1" ? .sha1 : .sha256
      let iterations = options.cost ?? 4096
      guard (CostLimits.scramMinimumIterations...CostLimits.pbkdf2Iterations).contains(iterations) else {
        return .failure(
          SchemeProblem(
            "iterations must be from \(CostLimits.scramMinimumIterations) to \(CostLimits.pbkdf2Iterations)"))
      }
      guard let salt = System.randomBytes(16),
        let keys = scramKeys(password, salt: salt, iterations: iterations, algorithm: algorithm)
      else { return .failure(SchemeProblem("libcrypto could not derive the keys")) }
      var text = Array("\(iterations),".utf8) + salt.withUnsafeBytes { PayloadDecoding.encodeBase64($0) }
      text += [UInt8(ascii: ",")] + keys.stored.withBytes { PayloadDecoding.encodeBase64($0) }
      text += [UInt8(ascii: ",")] + keys.server.withBytes { PayloadDecoding.encodeBase64($0) }
      return .success(SecretBytes(text))
    })

  /// StoredKey and ServerKey for `password`.
  static func scramKeys(_ password: Password, salt: [UInt8], iterations: Int, algorithm: DigestAlgorithm)
    -> (stored: SecretBytes, server: SecretBytes)?
  {
    let salted = salt.withUnsafeBytes {
      LibCrypto.pbkdf2(
        algorithm, password: password.bytes, salt: $0, iterations: UInt32(iterations), length: algorithm.length)
    }
    guard let salted else { return nil }
    let clientKey = salted.withBytes { key in
      Array("Client Key".utf8).withUnsafeBytes { LibCrypto.hmac(algorithm, key: key, data: $0) }
    }
    let serverKey = salted.withBytes { key in
      Array("Server Key".utf8).withUnsafeBytes { LibCrypto.hmac(algorithm, key: key, data: $0) }
    }
    guard let clientKey, let serverKey, let storedKey = clientKey.withBytes({ LibCrypto.digest(algorithm, [$0]) })
    else {
      return nil
    }
    return (storedKey, serverKey)
  }
}
