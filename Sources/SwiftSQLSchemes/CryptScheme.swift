// crypt(3) strings through libxcrypt: yescrypt, gost-yescrypt, scrypt,
// bcrypt ($2a$/$2b$/$2y$), SHA-512/256-crypt, MD5-crypt, and the older forms
// libxcrypt still verifies. `{CRYPT}` (and a bare string) accepts any of
// them; a specific prefix such as `{SHA512-CRYPT}` requires that method.
// libxcrypt recomputes the hash with the stored setting; the result must have
// exactly the stored length (otherwise the stored string is truncated or has
// trailing garbage) and is then compared in constant time.

import SwiftSQLCore

extension PasswordScheme {
  /// Specific names and the crypt(3) methods each accepts.
  static let cryptMethods: [String: [String]] = [
    "DES-CRYPT": ["DES-CRYPT"],
    "MD5-CRYPT": ["MD5-CRYPT"],
    "SHA256-CRYPT": ["SHA256-CRYPT"],
    "SHA512-CRYPT": ["SHA512-CRYPT"],
    "BLF-CRYPT": ["BLF-CRYPT"],
    "YESCRYPT": ["YESCRYPT"],
    "GOST-YESCRYPT": ["GOST-YESCRYPT"],
    "SCRYPT": ["SCRYPT"],
    "SUNMD5-CRYPT": ["SUNMD5-CRYPT"],
    "SHA1-CRYPT": ["SHA1-CRYPT"],
    "NT-CRYPT": ["NT-CRYPT"],
    "BSDI-CRYPT": ["BSDI-CRYPT"],
  ]

  static let crypt = PasswordScheme(names: ["CRYPT"] + cryptMethods.keys.sorted()) { password, stored, _ in
    if stored.encoding != .native {
      return .unusable(problem: "an encoding suffix does not apply to crypt(3) strings")
    }
    if stored.bytes.contains(0) {
      return .unusable(problem: "the stored value contains a NUL byte")
    }
    if stored.scheme != "CRYPT", let expected = cryptMethods[stored.scheme] {
      let found = CryptFamily.identify(Array(stored.bytes), allowDES: true)
      guard let found, expected.contains(found) else {
        return .unusable(problem: "the stored value is not a \(stored.scheme) string")
      }
    }
    switch LibCrypt.hash(phrase: password.cString, setting: stored.cString) {
    case .failure(.phraseTooLong):
      return .mismatch
    case .failure(.settingRejected):
      return .unusable(problem: "libxcrypt rejects it as malformed or of an unsupported method")
    case .success(let computed):
      let matches = computed.withBytes { computedBytes -> Bool? in
        guard computedBytes.count == stored.bytes.count else { return nil }
        return ConstantTime.equal(computedBytes, stored.bytes)
      }
      guard let matches else { return .unusable(problem: "it is truncated or has extra characters") }
      return matches ? .match : .mismatch
    }
  }
}
