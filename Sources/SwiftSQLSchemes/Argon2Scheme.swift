// ARGON2ID, ARGON2I and ARGON2D: `$argon2id$v=19$m=65536,t=3,p=1$salt$hash`,
// as Dovecot (libsodium), PHP's password_hash and the argon2 tool write it.
// m, t and p are checked against CostLimits before a library allocates the
// memory m asks for. Strings in the form libsodium reads (version 19, i or
// id, a hash of 16 bytes or more) are verified by libsodium, as Dovecot
// does, and faster; the rest (argon2d, version 16, short hashes, anything
// malformed) by the Argon2 reference library, which also says what is wrong
// with a string it cannot read. New values come from the reference library,
// with Dovecot's parameters.

import SwiftSQLCore
import SwiftSQLSystem

extension PasswordScheme {
  static let argon2 = PasswordScheme(
    names: [
      .generated("ARGON2ID", .memoryHard), .generated("ARGON2I", .memoryHard), .verified("ARGON2D", .memoryHard),
    ],
    payload: .text,
    verify: { password, stored, input in
      let bytes = stored.withBytes { Array($0) }
      guard let variant = Argon2Parameters.variant(of: bytes) else {
        return .unusable(problem: "the stored value is not an $argon2…$ string")
      }
      let expected = input.format.scheme
      if expected != variant.name && input.format.hasPrefix {
        return .unusable(problem: "the stored value is not a \(expected) string")
      }
      guard let parameters = Argon2Parameters(bytes) else {
        return .unusable(problem: "its m=, t=, p= parameters cannot be read")
      }
      if let problem = parameters.problem { return .unusable(problem: problem) }
      if parameters.libsodiumReads(variant.variant),
        let matches = stored.withCString({
          LibSodium.verifyArgon2(encoded: $0, password: password.bytes, variant: variant.variant)
        })
      {
        return matches ? .match : .mismatch
      }
      switch stored.withCString({ LibArgon2.verify(encoded: $0, password: password.bytes, variant: variant.variant) }) {
      case .match: return .match
      case .mismatch: return .mismatch
      case .rejected(let message): return .unusable(problem: "libargon2: \(message)")
      }
    },
    generate: { password, name, options in
      // Dovecot 2.3's values: ARGON2ID m=64 MiB t=3, ARGON2I m=32 MiB t=4.
      let variant: Argon2Variant = name == "ARGON2I" ? .i : .id
      let memory: UInt32 = variant == .i ? 32768 : 65536
      let passes = options.cost ?? (variant == .i ? 4 : 3)
      guard (1...CostLimits.argon2Passes).contains(passes) else {
        return .failure(SchemeProblem("the time cost must be from 1 to \(CostLimits.argon2Passes)"))
      }
      guard let salt = System.randomBytes(16) else { return .failure(SchemeProblem("no random salt")) }
      return LibArgon2.hash(
        password: password.bytes, salt: salt, passes: UInt32(passes), memoryKiB: memory, lanes: 1, variant: variant)
    })
}

/// The parameters of an `$argon2…$` string.
struct Argon2Parameters {
  let memoryKiB: Int
  let passes: Int
  let lanes: Int
  /// Whether the version field is exactly `v=19` (0x13, the current one;
  /// a string without one is version 16).
  let isVersion19: Bool
  /// Whether the parameter field is exactly `m=…,t=…,p=…`, in that order.
  let hasPlainParameters: Bool
  /// The bytes the salt and the hash decode to; nil when a field is not
  /// canonical unpadded base64, as both libraries want it.
  let saltLength: Int?
  let hashLength: Int?

  /// The variant a string names, and its scheme name.
  static func variant(of stored: [UInt8]) -> (variant: Argon2Variant, name: String)? {
    if stored.starts(with: "$argon2id$".utf8) { return (.id, "ARGON2ID") }
    if stored.starts(with: "$argon2i$".utf8) { return (.i, "ARGON2I") }
    if stored.starts(with: "$argon2d$".utf8) { return (.d, "ARGON2D") }
    return nil
  }

  /// Reads `m=…,t=…,p=…` from the field after the variant (and `v=…`).
  init?(_ stored: [UInt8]) {
    let fields = stored.split(separator: UInt8(ascii: "$"), omittingEmptySubsequences: false)
    // "", variant, [v=19,] m=…,t=…,p=…, salt, hash
    let hasVersion = fields.count > 2 && fields[2].starts(with: "v=".utf8)
    guard fields.count == (hasVersion ? 6 : 5) else { return nil }
    let parameterField = hasVersion ? fields[3] : fields[2]
    var values: [String: Int] = [:]
    for pair in parameterField.split(separator: UInt8(ascii: ",")) {
      let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1)
      guard parts.count == 2, parts[1].count <= 12, let number = Int(String(decoding: parts[1], as: UTF8.self)) else {
        return nil
      }
      values[String(decoding: parts[0], as: UTF8.self)] = number
    }
    guard let m = values["m"], let t = values["t"], let p = values["p"] else { return nil }
    memoryKiB = m
    passes = t
    lanes = p
    isVersion19 = hasVersion && Array(fields[2]) == Array("v=19".utf8)
    hasPlainParameters = Array(parameterField) == Array("m=\(m),t=\(t),p=\(p)".utf8)
    saltLength = Argon2Parameters.decodedLength(fields[fields.count - 2])
    hashLength = Argon2Parameters.decodedLength(fields[fields.count - 1])
  }

  /// Whether libsodium reads this string as the reference library does, so
  /// that its one failure code is a wrong password: what its decoder and
  /// its checks accept (checked against libargon2 over variants, versions,
  /// costs, lanes, salt and hash lengths: Argon2LibraryTests).
  func libsodiumReads(_ variant: Argon2Variant) -> Bool {
    guard variant == .id || variant == .i, isVersion19, hasPlainParameters else { return false }
    guard let saltLength, let hashLength, saltLength >= 8, hashLength >= 16 else { return false }
    return passes >= 1 && lanes >= 1 && memoryKiB >= 8 * lanes
  }

  /// The length of unpadded standard base64 when decoded, or nil when
  /// `field` has a character outside the alphabet, a length no encoding
  /// has, or bits set after its last byte.
  static func decodedLength(_ field: ArraySlice<UInt8>) -> Int? {
    func value(_ character: UInt8) -> UInt8? {
      switch character {
      case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
      case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 26
      case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0") + 52
      case UInt8(ascii: "+"): 62
      case UInt8(ascii: "/"): 63
      default: nil
      }
    }
    var last: UInt8 = 0
    for character in field {
      guard let decoded = value(character) else { return nil }
      last = decoded
    }
    switch field.count % 4 {
    case 0: return field.count / 4 * 3
    case 2: return last & 0x0F == 0 ? field.count / 4 * 3 + 1 : nil
    case 3: return last & 0x03 == 0 ? field.count / 4 * 3 + 2 : nil
    default: return nil
    }
  }

  /// What is beyond CostLimits, or nil.
  var problem: String? {
    if memoryKiB > CostLimits.argon2MemoryKiB {
      return "m=\(memoryKiB) KiB is over the limit of \(CostLimits.argon2MemoryKiB) KiB"
    }
    if passes > CostLimits.argon2Passes { return "t=\(passes) is over the limit of \(CostLimits.argon2Passes)" }
    if lanes > CostLimits.argon2Lanes { return "p=\(lanes) is over the limit of \(CostLimits.argon2Lanes)" }
    return nil
  }
}
