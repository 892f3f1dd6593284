// Apache's `$apr1$` (htpasswd -m): the MD5-crypt algorithm (FreeBSD's, as
// in libxcrypt, which does not accept Apache's "$apr1$" magic) over
// libcrypto's MD5. Recognised without a prefix. Only the algorithm's
// arrangement of MD5 calls is here; MD5 itself is libcrypto's.

import SwiftSQLCore

extension PasswordScheme {
  static let apr1 = PasswordScheme(
    names: [.verified("APR1-MD5", .saltedDigest)],
    payload: .text,
    verify: { password, stored, _ in
      stored.withBytes { bytes in
        let magic = Array("$apr1$".utf8)
        guard bytes.starts(with: magic) else { return .unusable(problem: "it does not start with $apr1$") }
        let rest = bytes[magic.count...]
        guard let dollar = rest.firstIndex(of: UInt8(ascii: "$")), dollar - magic.count <= 8 else {
          return .unusable(problem: "its salt cannot be read")
        }
        let salt = Array(rest[..<dollar])
        guard let computed = md5Crypt(password, salt: salt, magic: magic) else {
          return .unusable(problem: "libcrypto has no MD5")
        }
        return computed.withBytes { .matching(LibCrypto.constantTimeEqual($0, bytes)) }
      }
    })

  /// The whole MD5-crypt string, magic and salt included.
  static func md5Crypt(_ password: Password, salt: [UInt8], magic: [UInt8]) -> SecretBytes? {
    let pw = password.bytes
    func md5(_ parts: [[UInt8]]) -> [UInt8]? {
      var joined = parts.flatMap { $0 }
      defer { joined.withUnsafeMutableBytes { wipe($0) } }
      return joined.withUnsafeBytes { LibCrypto.digest(.md5, [$0]) }?.withBytes { Array($0) }
    }
    var passwordBytes = Array(pw)
    defer { passwordBytes.withUnsafeMutableBytes { wipe($0) } }
    guard var alternate = md5([passwordBytes, salt, passwordBytes]) else { return nil }
    defer { alternate.withUnsafeMutableBytes { wipe($0) } }

    var context = passwordBytes + magic + salt
    defer { context.withUnsafeMutableBytes { wipe($0) } }
    var remaining = pw.count
    while remaining > 0 {
      context += alternate[0..<min(remaining, 16)]
      remaining -= 16
    }
    var bits = pw.count
    while bits > 0 {
      context.append(bits & 1 != 0 ? 0 : (passwordBytes.first ?? 0))
      bits >>= 1
    }
    guard var final = md5([context]) else { return nil }
    defer { final.withUnsafeMutableBytes { wipe($0) } }
    for round in 0..<1000 {
      var parts: [[UInt8]] = [round & 1 != 0 ? passwordBytes : final]
      if round % 3 != 0 { parts.append(salt) }
      if round % 7 != 0 { parts.append(passwordBytes) }
      parts.append(round & 1 != 0 ? final : passwordBytes)
      guard let next = md5(parts) else { return nil }
      final = next
    }
    var text = magic + salt + [UInt8(ascii: "$")]
    let groups: [(Int, Int, Int)] = [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)]
    for (a, b, c) in groups {
      text += to64(UInt32(final[a]) << 16 | UInt32(final[b]) << 8 | UInt32(final[c]), count: 4)
    }
    text += to64(UInt32(final[11]), count: 2)
    return SecretBytes(text)
  }

  /// crypt's base-64 digits of `value`, least significant first.
  static func to64(_ value: UInt32, count: Int) -> [UInt8] {
    let alphabet = Array("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    var value = value
    var digits: [UInt8] = []
    for _ in 0..<count {
      digits.append(alphabet[Int(value & 0x3F)])
      value >>= 6
    }
    return digits
  }
}
