// The boundary to libsodium: its Argon2 string verifiers, wrapped here once.
// libsodium picks SSSE3, AVX2 or AVX-512 code for the processor in
// sodium_init; Debian's libargon2 is built portable, and verifies the same
// string about 1.6 times slower (README, the swiftsql-authd bench). Argon2Scheme
// sends here only the strings libsodium is known to read
// (Argon2Parameters.libsodiumReads): then its one failure code means a wrong
// password.

import CLibSodium

enum LibSodium {
  /// `crypto_pwhash_argon2id_str_verify` or `…argon2i…`: whether
  /// `password` matches the encoded string (NUL-terminated); nil for
  /// variant d, which libsodium does not have.
  static func verifyArgon2(encoded: UnsafePointer<CChar>, password: UnsafeRawBufferPointer, variant: Argon2Variant)
    -> Bool?
  {
    // Idempotent and thread-safe; the first call picks the implementation.
    // It fails only when it cannot read the processor's features, and the
    // portable code is used then, so its answer does not matter here.
    _ = sodium_init()
    guard let base = password.baseAddress else {
      return verifyArgon2(encoded: encoded, characters: "", length: 0, variant: variant)
    }
    return verifyArgon2(
      encoded: encoded, characters: base.assumingMemoryBound(to: CChar.self), length: UInt64(password.count),
      variant: variant)
  }

  private static func verifyArgon2(
    encoded: UnsafePointer<CChar>, characters: UnsafePointer<CChar>, length: UInt64, variant: Argon2Variant
  ) -> Bool? {
    switch variant {
    case .id: return crypto_pwhash_argon2id_str_verify(encoded, characters, length) == 0
    case .i: return crypto_pwhash_argon2i_str_verify(encoded, characters, length) == 0
    case .d: return nil
    }
  }
}
