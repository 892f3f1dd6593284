// OTP (RFC 2289 one-time passwords) as Dovecot stores a password for it:
// "<algorithm> <sequence> <seed> <16 hex digits>", algorithm md4, md5 or
// sha1. The stored hash is the digest of seed ‖ password folded to 64 bits,
// then digested and folded <sequence> more times; SHA-1's fold reverses the
// byte order of each 32-bit half, as RFC 2289's reference does.

import SwiftSQLCore
import SwiftSQLSystem

extension PasswordScheme {
  static let otp = PasswordScheme(
    names: [.generated("OTP", .saltedDigest)],
    payload: .text,
    verify: { password, stored, _ in
      stored.withBytes { bytes in
        let fields = bytes.split(separator: UInt8(ascii: " "))
        guard fields.count == 4, let algorithm = otpAlgorithm(Array(fields[0])), fields[1].count <= 9,
          let sequence = Int(String(decoding: fields[1], as: UTF8.self)),
          (1...16).contains(fields[2].count), fields[2].allSatisfy({ isAlphanumeric($0) }),
          let expected = PayloadDecoding.hex(UnsafeRawBufferPointer(rebasing: fields[3])), expected.count == 8
        else { return .unusable(problem: "it is not '<md4|md5|sha1> <sequence> <seed> <16 hex digits>'") }
        guard sequence <= CostLimits.otpSequence else {
          return .unusable(problem: "sequence \(sequence) is over the limit of \(CostLimits.otpSequence)")
        }
        let seed = fields[2].map { lowercased($0) }
        guard let computed = otpHash(password, seed: seed, sequence: sequence, algorithm: algorithm) else {
          return .unusable(problem: "libcrypto has no \(algorithm.openSSLName)")
        }
        return computed.withBytes { mine in
          expected.withUnsafeBytes { .matching(LibCrypto.constantTimeEqual(mine, $0)) }
        }
      }
    },
    generate: { password, _, options in
      let sequence = options.cost ?? 1024
      guard (1...CostLimits.otpSequence).contains(sequence) else {
        return .failure(SchemeProblem("the sequence must be from 1 to \(CostLimits.otpSequence)"))
      }
      guard let random = System.randomBytes(8) else { return .failure(SchemeProblem("no random seed")) }
      let seed = random.withUnsafeBytes { PayloadDecoding.encodeHex($0) }
      guard let computed = otpHash(password, seed: seed, sequence: sequence, algorithm: .sha1) else {
        return .failure(SchemeProblem("libcrypto has no SHA1"))
      }
      let text =
        Array("sha1 \(sequence) ".utf8) + seed + [UInt8(ascii: " ")]
        + computed.withBytes { PayloadDecoding.encodeHex($0) }
      return .success(SecretBytes(text))
    })

  static func otpAlgorithm(_ name: [UInt8]) -> DigestAlgorithm? {
    switch String(decoding: name, as: UTF8.self) {
    case "md4": .md4
    case "md5": .md5
    case "sha1": .sha1
    default: nil
    }
  }

  static func isAlphanumeric(_ byte: UInt8) -> Bool {
    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
  }

  static func lowercased(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte }

  /// The 8-byte OTP value after `sequence` steps.
  static func otpHash(_ password: Password, seed: [UInt8], sequence: Int, algorithm: DigestAlgorithm) -> SecretBytes? {
    guard
      var value = seed.withUnsafeBytes({ LibCrypto.digest(algorithm, [$0, password.bytes]) }).map({
        fold($0, algorithm)
      })
    else { return nil }
    defer { value.withUnsafeMutableBytes { wipe($0) } }
    for _ in 0..<sequence {
      guard let next = value.withUnsafeBytes({ LibCrypto.digest(algorithm, [$0]) }) else { return nil }
      value = fold(next, algorithm)
    }
    return SecretBytes(value)
  }

  /// RFC 2289's fold of a digest to 64 bits.
  static func fold(_ digest: SecretBytes, _ algorithm: DigestAlgorithm) -> [UInt8] {
    digest.withBytes { d in
      if algorithm == .sha1 {
        let first = (0..<4).map { d[$0] ^ d[8 + $0] ^ d[16 + $0] }
        let second = (0..<4).map { d[4 + $0] ^ d[12 + $0] }
        return Array(first.reversed()) + Array(second.reversed())
      }
      return (0..<8).map { d[$0] ^ d[8 + $0] }
    }
  }
}
