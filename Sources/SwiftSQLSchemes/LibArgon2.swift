// The boundary to the Argon2 reference library: argon2_verify and
// argon2_hash are wrapped here once, and its error codes are read here.
// The caller checks the cost parameters against CostLimits first: the
// library allocates the memory the string asks for.

import CLibArgon2
import SwiftSQLCore

enum Argon2Variant: Sendable {
  case d, i, id

  var type: argon2_type {
    switch self {
    case .d: Argon2_d
    case .i: Argon2_i
    case .id: Argon2_id
    }
  }
}

enum LibArgon2 {
  enum Verification {
    case match
    case mismatch
    /// The library refused the string; its message.
    case rejected(String)
  }

  /// `argon2_verify`: checks `password` against an encoded `$argon2…$`
  /// string (NUL-terminated).
  static func verify(encoded: UnsafePointer<CChar>, password: UnsafeRawBufferPointer, variant: Argon2Variant)
    -> Verification
  {
    let code = argon2_verify(encoded, password.baseAddress, password.count, variant.type)
    switch code {
    case Int32(ARGON2_OK.rawValue): return .match
    case Int32(ARGON2_VERIFY_MISMATCH.rawValue): return .mismatch
    default: return .rejected(String(cString: argon2_error_message(code)))
    }
  }

  /// `argon2_hash` with an encoded result: `$argon2id$v=19$m=…,t=…,p=…$…`.
  static func hash(
    password: UnsafeRawBufferPointer, salt: [UInt8], passes: UInt32, memoryKiB: UInt32, lanes: UInt32,
    variant: Argon2Variant
  ) -> Result<SecretBytes, SchemeProblem> {
    let hashLength = 32
    let length = argon2_encodedlen(passes, memoryKiB, lanes, UInt32(salt.count), UInt32(hashLength), variant.type)
    var encoded = [CChar](repeating: 0, count: length + 1)
    let code = salt.withUnsafeBytes { saltBytes in
      argon2_hash(
        passes, memoryKiB, lanes, password.baseAddress, password.count, saltBytes.baseAddress, salt.count, nil,
        hashLength, &encoded, encoded.count, variant.type, UInt32(ARGON2_VERSION_13.rawValue))
    }
    guard code == Int32(ARGON2_OK.rawValue) else {
      return .failure(SchemeProblem("argon2_hash: " + String(cString: argon2_error_message(code))))
    }
    let text = encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return .success(SecretBytes(text))
  }
}
