// CRAM-MD5 and HMAC-MD5: what Dovecot stores so it can answer CRAM-MD5
// challenges — the MD5 chaining states after HMAC-MD5's outer and inner
// key blocks (RFC 2104), each as four little-endian 32-bit words, in hex.
// The states come from libcrypto's MD5; only the key padding is done here.

import SwiftSQLCore

extension PasswordScheme {
  static let cramMD5 = PasswordScheme(
    names: [.generated("CRAM-MD5", .unsaltedDigest), .generated("HMAC-MD5", .unsaltedDigest)],
    payload: .binary(.hex, length: 32),
    verify: { password, stored, _ in
      guard let computed = cramMD5Context(password) else { return .unusable(problem: "libcrypto has no MD5") }
      return computed.withBytes { mine in stored.withBytes { .matching(LibCrypto.constantTimeEqual(mine, $0)) } }
    },
    generate: { password, _, _ in
      guard let computed = cramMD5Context(password) else { return .failure(SchemeProblem("libcrypto has no MD5")) }
      return .success(computed)
    })

  /// The 32-byte context: outer state, then inner state.
  static func cramMD5Context(_ password: Password) -> SecretBytes? {
    // RFC 2104: a key longer than the 64-byte block is replaced by its digest.
    var key = [UInt8](repeating: 0, count: 64)
    defer { key.withUnsafeMutableBytes { wipe($0) } }
    if password.count > 64 {
      guard let digest = LibCrypto.digest(.md5, [password.bytes]) else { return nil }
      digest.withBytes { for (index, byte) in $0.enumerated() { key[index] = byte } }
    } else {
      for (index, byte) in password.bytes.enumerated() { key[index] = byte }
    }
    var inner = key.map { $0 ^ 0x36 }
    var outer = key.map { $0 ^ 0x5C }
    defer {
      inner.withUnsafeMutableBytes { wipe($0) }
      outer.withUnsafeMutableBytes { wipe($0) }
    }
    guard let innerState = inner.withUnsafeBytes({ LibCrypto.md5State(afterBlock: $0) }),
      let outerState = outer.withUnsafeBytes({ LibCrypto.md5State(afterBlock: $0) })
    else { return nil }
    var context: [UInt8] = []
    for word in outerState + innerState {
      context += [UInt8(word & 0xFF), UInt8(word >> 8 & 0xFF), UInt8(word >> 16 & 0xFF), UInt8(word >> 24 & 0xFF)]
    }
    defer { context.withUnsafeMutableBytes { wipe($0) } }
    return SecretBytes(context)
  }
}
