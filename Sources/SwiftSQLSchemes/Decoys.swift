// Decoys (SwiftSQLCore/Decoy.swift): stored values with the scheme and the
// cost parameters of a real one, and filler where it has its salt and its
// hash. Checking a password against a decoy does the same work as checking
// it against the row it was shaped after (the same crypt(3) method and cost,
// Argon2 memory, passes and lanes, PBKDF2 iterations …), and keeps nothing
// of that row. Every filler is a character the scheme's own alphabet
// accepts, so a decoy is always a usable value that does not match.
//
// A decoy in a configured scheme, needed before any row has been verified,
// is made without hashing where the scheme allows: a crypt(3) setting from
// crypt_gensalt with filler for the hash, an Argon2 string with Dovecot's
// parameters. Other schemes make a real value once.

import SwiftSQLCore

extension SchemeRegistry {
  public func decoy(like stored: SecretBytes, format: HashFormat) -> Decoy? {
    guard SchemeRegistry.byName[format.scheme] != nil else { return nil }
    return stored.withBytes { bytes -> Decoy? in
      let offset = min(format.payloadOffset, bytes.count)
      let payload = Array(bytes[offset...])
      let shaped: (payload: [UInt8], cost: String)?
      if format.encoding != .native {
        shaped = (DecoyShape.filled(payload[...]), "")
      } else {
        shaped = DecoyShape.make(payload, scheme: format.scheme)
      }
      guard let shaped else { return nil }
      let shape = shaped.cost.isEmpty ? format.algorithm : "\(format.algorithm), \(shaped.cost)"
      return Decoy(value: SecretBytes(Array(bytes[..<offset]) + shaped.payload), shape: shape)
    }
  }

  public func decoy(scheme name: String) -> Decoy? {
    guard let entry = SchemeRegistry.byName[name] else { return nil }
    let prefix = name == "CRYPT" ? "" : "{\(entry.name.storedPrefix ?? name)}"
    let made: SecretBytes
    if let method = PasswordScheme.cryptPrefixes[name], let hashLength = DecoyShape.cryptHashLength[method] {
      guard let setting = LibCrypt.setting(prefix: method, count: 0) else { return nil }
      let separator = method == "$2y$" ? "" : "$"
      made = SecretBytes(
        Array(prefix.utf8) + setting.withBytes { Array($0) } + Array(separator.utf8)
          + [UInt8](repeating: UInt8(ascii: "."), count: hashLength))
    } else if name == "ARGON2ID" || name == "ARGON2I" {
      // Dovecot's parameters (Argon2Scheme's generate): 16-byte salt,
      // 32-byte hash, base64 without padding.
      let parameters = name == "ARGON2I" ? "$argon2i$v=19$m=32768,t=4,p=1$" : "$argon2id$v=19$m=65536,t=3,p=1$"
      made = SecretBytes(
        Array(parameters.utf8) + [UInt8](repeating: UInt8(ascii: "A"), count: 22) + [UInt8(ascii: "$")]
          + [UInt8](repeating: UInt8(ascii: "A"), count: 43))
    } else {
      let phrase = Array("pam_swiftsql decoy".utf8CString)
      let generated = phrase.withUnsafeBufferPointer { buffer -> Result<SecretBytes, SchemeProblem> in
        guard let base = buffer.baseAddress else { return .failure(SchemeProblem("no buffer")) }
        return SchemeRegistry.generate(
          Password(cString: base, count: buffer.count - 1), scheme: name,
          options: GenerateOptions(login: try? Login.parse(Array("decoy@invalid".utf8), defaultDomain: nil)))
      }
      guard case .success(let value) = generated else { return nil }
      made = value
    }
    let format = made.withBytes { HashFormat.detect(Array($0), defaultScheme: name) }
    return decoy(like: made, format: format)
  }
}

/// Where each scheme keeps its cost, its salt and its hash.
enum DecoyShape {
  /// The length of the hash after a crypt_gensalt setting, by method.
  static let cryptHashLength: [String: Int] = [
    "$y$": 43, "$gy$": 43, "$7$": 43, "$2y$": 31, "$6$": 86, "$5$": 43, "$1$": 22,
  ]

  /// The payload with its salt and hash replaced, and its cost in words;
  /// nil when it is not in its scheme's form (it is unusable then, and the
  /// caller has no shape to learn).
  /// The names the crypt(3) scheme answers to.
  static let cryptNames = Set(PasswordScheme.crypt.names.map { $0.name })

  static func make(_ payload: [UInt8], scheme: String) -> (payload: [UInt8], cost: String)? {
    switch scheme {
    case "ARGON2ID", "ARGON2I", "ARGON2D": return argon2(payload)
    case "PBKDF2": return dovecotPBKDF2(payload)
    case "SCRAM-SHA-1", "SCRAM-SHA-256": return scram(payload)
    case "OTP": return otp(payload)
    case "APR1-MD5": return keeping(payload, fields: 2, separator: "$", filler: ".").map { ($0, "") }
    case "PLAIN", "CLEAR", "CLEARTEXT":
      // The value is the password: nothing of it stays, not even its
      // punctuation.
      return ([UInt8](repeating: UInt8(ascii: "A"), count: payload.count), "")
    case "PLAIN-TRUNC":
      let length = payload.prefix { isDigitByte($0) }
      guard payload.count > length.count else { return nil }
      return (
        Array(length) + [UInt8(ascii: "-")]
          + [UInt8](repeating: UInt8(ascii: "A"), count: payload.count - length.count - 1), ""
      )
    case "MD5_POSTGRES":
      guard payload.starts(with: "md5".utf8) else { return nil }
      return (Array("md5".utf8) + filled(payload.dropFirst(3), with: UInt8(ascii: "0")), "")
    default:
      if scheme.hasPrefix("DJANGO-PBKDF2") { return webPBKDF2(payload, passlib: false) }
      if scheme.hasPrefix("PASSLIB-PBKDF2") { return webPBKDF2(payload, passlib: true) }
      if cryptNames.contains(scheme) || (scheme == "MD5" && payload.starts(with: "$1$".utf8)) {
        return crypt(payload)
      }
      return (filled(payload[...]), "")
    }
  }

  /// Letters, digits and non-ASCII bytes replaced by 'A', ASCII
  /// punctuation kept: the same length, hex and base64 alike (for digests,
  /// whose cost does not depend on the value).
  static func filled(_ bytes: ArraySlice<UInt8>, with filler: UInt8 = UInt8(ascii: "A")) -> [UInt8] {
    bytes.map { PasswordScheme.isAlphanumeric($0) || $0 >= 0x80 ? filler : $0 }
  }

  static func isDigitByte(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

  /// The first `fields` fields of `payload` (split at `separator`) kept,
  /// the others filled.
  static func keeping(_ payload: [UInt8], fields: Int, separator: Unicode.Scalar, filler: Unicode.Scalar)
    -> [UInt8]?
  {
    let parts = payload.split(separator: UInt8(ascii: separator), omittingEmptySubsequences: false)
    guard parts.count > fields else { return nil }
    var result: [[UInt8]] = parts[..<fields].map { Array($0) }
    for part in parts[fields...] {
      result.append(part.map { $0 == UInt8(ascii: "=") ? $0 : UInt8(ascii: filler) })
    }
    return Array(result.joined(separator: [UInt8(ascii: separator)]))
  }

  /// crypt(3) strings: the method and its cost kept, salt and hash filled
  /// with '.', which every method's alphabet has.
  static func crypt(_ payload: [UInt8]) -> (payload: [UInt8], cost: String)? {
    let method = CryptCost.method(of: payload) ?? CryptFamily.identify(payload, allowDES: true)
    let dot = UInt8(ascii: ".")
    let fields = payload.split(separator: UInt8(ascii: "$"), omittingEmptySubsequences: false)
    func field(_ index: Int) -> String {
      index < fields.count ? String(decoding: fields[index], as: UTF8.self) : ""
    }
    switch method {
    case "BLF-CRYPT":
      guard payload.count > 7 else { return nil }
      return (
        Array(payload[..<7]) + [UInt8](repeating: dot, count: payload.count - 7),
        Int(field(2)).map { "cost \($0)" } ?? ""
      )
    case "DES-CRYPT":
      return ([UInt8](repeating: dot, count: payload.count), "")
    case "BSDI-CRYPT":
      guard payload.count > 5, let rounds = CryptCost.fixed64(payload[1..<5]) else { return nil }
      return (Array(payload[..<5]) + [UInt8](repeating: dot, count: payload.count - 5), "\(rounds) rounds")
    case "SCRYPT":
      // $7$ N (1), r (5), p (5), then the salt in the same field.
      guard payload.count > 14, let fill = keeping(Array(payload[14...]), fields: 0, separator: "$", filler: ".")
      else { return nil }
      let cost = CryptCost.scryptParameters(payload).map { "N=\($0.n) r=\($0.r) p=\($0.p)" } ?? ""
      return (Array(payload[..<14]) + fill, cost)
    case "SHA512-CRYPT", "SHA256-CRYPT":
      let hasRounds = field(2).hasPrefix("rounds=")
      guard let shaped = keeping(payload, fields: hasRounds ? 3 : 2, separator: "$", filler: ".") else { return nil }
      return (shaped, "\(hasRounds ? String(field(2).dropFirst(7)) : "5000") rounds")
    case "YESCRYPT", "GOST-YESCRYPT":
      guard let shaped = keeping(payload, fields: 3, separator: "$", filler: ".") else { return nil }
      let start = method == "YESCRYPT" ? 3 : 4
      let cost = CryptCost.yescryptParameters(payload, from: start).map {
        "N=\($0.n) r=\($0.r) p=\($0.p)" + ($0.t > 0 ? " t=\($0.t)" : "")
      }
      return (shaped, cost ?? "")
    case "SHA1-CRYPT":
      return keeping(payload, fields: 3, separator: "$", filler: ".").map { ($0, "\(field(2)) rounds") }
    case "SUNMD5-CRYPT":
      let roundsField = field(2).hasPrefix("rounds=")
      let kept = roundsField ? 3 : 2
      let rounds = roundsField ? String(field(2).dropFirst(7)) : String(field(1).drop { $0 != "=" }.dropFirst())
      return keeping(payload, fields: kept, separator: "$", filler: ".").map {
        ($0, rounds.isEmpty ? "" : "\(rounds) rounds")
      }
    case "MD5-CRYPT", "NT-CRYPT":
      return keeping(payload, fields: 2, separator: "$", filler: ".").map { ($0, "") }
    default:
      return nil
    }
  }

  /// `$argon2id$v=19$m=…,t=…,p=…$salt$hash`: salt and hash filled with 'A'
  /// (base64 of zeros, the same decoded lengths).
  static func argon2(_ payload: [UInt8]) -> (payload: [UInt8], cost: String)? {
    guard let parameters = Argon2Parameters(payload) else { return nil }
    let fields = payload.split(separator: UInt8(ascii: "$"), omittingEmptySubsequences: false)
    let kept = fields.count == 6 ? 4 : 3
    return keeping(payload, fields: kept, separator: "$", filler: "A").map {
      ($0, "\(parameters.memoryKiB) KiB, \(parameters.passes) passes, \(parameters.lanes) lanes")
    }
  }

  /// Dovecot's `$1$salt$rounds$hex`.
  static func dovecotPBKDF2(_ payload: [UInt8]) -> (payload: [UInt8], cost: String)? {
    let fields = payload.split(separator: UInt8(ascii: "$"), omittingEmptySubsequences: false)
    guard fields.count == 5 else { return nil }
    let salt = [UInt8](repeating: UInt8(ascii: "a"), count: fields[2].count)
    let hex = [UInt8](repeating: UInt8(ascii: "0"), count: fields[4].count)
    let rounds = String(decoding: fields[3], as: UTF8.self)
    return (
      Array("$1$".utf8) + salt + [UInt8(ascii: "$")] + Array(fields[3]) + [UInt8(ascii: "$")] + hex,
      "\(rounds) rounds"
    )
  }

  /// Django's `name$iterations$salt$key`, passlib's `$name$rounds$salt$key`.
  static func webPBKDF2(_ payload: [UInt8], passlib: Bool) -> (payload: [UInt8], cost: String)? {
    let kept = passlib ? 3 : 2
    let fields = payload.split(separator: UInt8(ascii: "$"), omittingEmptySubsequences: false)
    guard fields.count == kept + 2 else { return nil }
    let iterations = String(decoding: fields[kept - 1], as: UTF8.self)
    return keeping(payload, fields: kept, separator: "$", filler: "A").map { ($0, "\(iterations) iterations") }
  }

  /// `iterations,salt,StoredKey,ServerKey`.
  static func scram(_ payload: [UInt8]) -> (payload: [UInt8], cost: String)? {
    let fields = payload.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
    guard fields.count == 4 else { return nil }
    let iterations = String(decoding: fields[0], as: UTF8.self)
    return keeping(payload, fields: 1, separator: ",", filler: "A").map { ($0, "\(iterations) iterations") }
  }

  /// `algorithm sequence seed hash`: the seed in letters, the hash in hex.
  static func otp(_ payload: [UInt8]) -> (payload: [UInt8], cost: String)? {
    let fields = payload.split(separator: UInt8(ascii: " "))
    guard fields.count == 4 else { return nil }
    let sequence = String(decoding: fields[1], as: UTF8.self)
    let seed = [UInt8](repeating: UInt8(ascii: "a"), count: fields[2].count)
    let hash = [UInt8](repeating: UInt8(ascii: "0"), count: fields[3].count)
    return (
      Array(fields[0]) + [UInt8(ascii: " ")] + Array(fields[1]) + [UInt8(ascii: " ")] + seed
        + [UInt8(ascii: " ")] + hash, "\(sequence) steps"
    )
  }
}
