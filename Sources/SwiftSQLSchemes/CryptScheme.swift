// crypt(3) strings through libxcrypt: yescrypt, gost-yescrypt, scrypt,
// bcrypt ($2a$/$2b$/$2y$), SHA-512/256-crypt, MD5-crypt, and the older forms
// libxcrypt still verifies. `{CRYPT}` (and a bare string) accepts any of
// them; a specific prefix such as `{SHA512-CRYPT}` requires that method.
// Cost parameters are checked against CostLimits before libxcrypt runs.
// libxcrypt recomputes the hash with the stored setting; the result must
// have exactly the stored length (otherwise the stored string is truncated
// or has trailing garbage) and is then compared in constant time.

import SwiftSQLCore

extension PasswordScheme {
  /// The prefix crypt_gensalt_rn takes for each method the module makes.
  static let cryptPrefixes: [String: String] = [
    "CRYPT": "$y$",
    "YESCRYPT": "$y$",
    "GOST-YESCRYPT": "$gy$",
    "SCRYPT": "$7$",
    "BLF-CRYPT": "$2y$",
    "SHA512-CRYPT": "$6$",
    "SHA256-CRYPT": "$5$",
    "MD5-CRYPT": "$1$",
  ]

  static let crypt = PasswordScheme(
    names: [
      .generated("CRYPT", .memoryHard),
      .generatedAsCrypt("YESCRYPT", .memoryHard),
      .generatedAsCrypt("GOST-YESCRYPT", .memoryHard),
      .generatedAsCrypt("SCRYPT", .memoryHard),
      .generated("BLF-CRYPT", .memoryHard),
      .generated("SHA512-CRYPT", .iterated),
      .generated("SHA256-CRYPT", .iterated),
      .verified("SHA1-CRYPT", .iterated),
      .generated("MD5-CRYPT", .saltedDigest),
      .verified("SUNMD5-CRYPT", .saltedDigest),
      .verified("DES-CRYPT", .unsaltedDigest),
      .verified("BSDI-CRYPT", .unsaltedDigest),
      .verified("NT-CRYPT", .unsaltedDigest),
    ],
    payload: .text,
    verify: { password, stored, input in
      stored.withBytes { bytes in
        if bytes.contains(0) { return .unusable(problem: "the stored value contains a NUL byte") }
        let method = CryptFamily.identify(Array(bytes), allowDES: true)
        let scheme = input.format.scheme
        if scheme != "CRYPT" && method != scheme {
          return .unusable(problem: "the stored value is not a \(scheme) string")
        }
        // The cost by the prefix libxcrypt goes by, whatever the rest.
        let value = Array(bytes)
        if let problem = CryptCost.problem(value, method: CryptCost.method(of: value) ?? method ?? scheme) {
          return .unusable(problem: problem)
        }
        return stored.withCString { setting in cryptCheck(password, setting: setting, stored: bytes) }
      }
    },
    generate: { password, name, options in
      guard let prefix = cryptPrefixes[name] else { return .failure(SchemeProblem("cannot make \(name) values")) }
      guard let setting = LibCrypt.setting(prefix: prefix, count: options.cost ?? 0) else {
        return .failure(SchemeProblem("libxcrypt refused the cost \(options.cost ?? 0) for \(name)"))
      }
      let problem = setting.withBytes { CryptCost.problem(Array($0), method: name == "CRYPT" ? "YESCRYPT" : name) }
      if let problem { return .failure(SchemeProblem(problem)) }
      let hashed = setting.withCString { LibCrypt.hash(phrase: password.cString, setting: $0) }
      switch hashed {
      case .success(let value): return .success(value)
      case .failure(.phraseTooLong): return .failure(SchemeProblem("the password is longer than libxcrypt hashes"))
      case .failure(.settingRejected): return .failure(SchemeProblem("libxcrypt could not hash with \(name)"))
      }
    })

  /// libxcrypt's answer for `password` under the stored `setting`.
  static func cryptCheck(_ password: Password, setting: UnsafePointer<CChar>, stored: UnsafeRawBufferPointer)
    -> CheckOutcome
  {
    switch LibCrypt.hash(phrase: password.cString, setting: setting) {
    case .failure(.phraseTooLong):
      return .mismatch
    case .failure(.settingRejected):
      return .unusable(problem: "libxcrypt rejects it as malformed or of an unsupported method")
    case .success(let computed):
      return computed.withBytes { computedBytes in
        guard computedBytes.count == stored.count else {
          return .unusableAfterHashing(problem: "it is truncated or has extra characters")
        }
        return .matching(LibCrypto.constantTimeEqual(computedBytes, stored))
      }
    }
  }
}
