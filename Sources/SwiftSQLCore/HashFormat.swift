// Reads how a stored password value is written, without checking it: a
// Dovecot-style `{SCHEME}` or `{SCHEME.ENCODING}` prefix (case-insensitive),
// or, without a prefix, a form recognised by how it starts (crypt(3)'s
// `$id$`, Argon2, Apache's `$apr1$`, Django's and passlib's PBKDF2), or else
// the configured default scheme. Verification itself is the schemes' job
// (SwiftSQLSchemes); this file only decides which scheme is asked.

/// How a scheme's payload is encoded when the prefix names an encoding.
public enum PayloadEncoding: Equatable, Sendable {
  /// The scheme's own form.
  case native
  /// `.HEX`
  case hex
  /// `.B64` or `.BASE64`
  case base64
}

/// The result of reading a stored value's format.
public struct HashFormat: Equatable, Sendable {
  /// The scheme name, upper-cased (`SHA512-CRYPT`, `PLAIN`, `CRYPT`, …):
  /// the scheme that verifies it.
  public let scheme: String
  /// The algorithm actually used: the same as `scheme`, except that for
  /// `CRYPT` it is the method the crypt(3) string names (`{CRYPT}$2y$…` is
  /// `BLF-CRYPT`). Logs and upgrade decisions use it.
  public let algorithm: String
  public let encoding: PayloadEncoding
  /// Where the payload starts (after the prefix), in bytes.
  public let payloadOffset: Int
  /// Whether the scheme came from a `{…}` prefix.
  public let hasPrefix: Bool

  /// Reads `stored`.
  ///
  /// - Parameter defaultScheme: `default_pass_scheme`, upper-cased.
  public static func detect(_ stored: [UInt8], defaultScheme: String) -> HashFormat {
    let allowDES = defaultScheme == "CRYPT" || defaultScheme == "DES-CRYPT"
    if let (name, encoding, offset) = prefixed(stored) {
      var algorithm = name
      if name == "CRYPT", encoding == .native,
        let method = CryptFamily.identify(Array(stored[offset...]), allowDES: true)
      {
        algorithm = method
      }
      return HashFormat(scheme: name, algorithm: algorithm, encoding: encoding, payloadOffset: offset, hasPrefix: true)
    }
    if let recognised = CryptFamily.identify(stored, allowDES: allowDES) ?? BareFormats.identify(stored) {
      return HashFormat(
        scheme: recognised, algorithm: recognised, encoding: .native, payloadOffset: 0, hasPrefix: false)
    }
    return HashFormat(
      scheme: defaultScheme, algorithm: defaultScheme, encoding: .native, payloadOffset: 0, hasPrefix: false)
  }

  public init(scheme: String, algorithm: String, encoding: PayloadEncoding, payloadOffset: Int, hasPrefix: Bool) {
    self.scheme = scheme
    self.algorithm = algorithm
    self.encoding = encoding
    self.payloadOffset = payloadOffset
    self.hasPrefix = hasPrefix
  }

  /// The longest scheme name accepted between braces.
  static let maximumSchemeNameBytes = 32

  /// `{NAME}` or `{NAME.ENC}` at the start of `stored`: the name, the
  /// encoding and where the payload starts.
  static func prefixed(_ stored: [UInt8]) -> (String, PayloadEncoding, Int)? {
    guard stored.first == ascii("{") else { return nil }
    let limit = min(stored.count, maximumSchemeNameBytes + 2)
    guard let close = stored[..<limit].firstIndex(of: ascii("}")), close > 1 else { return nil }
    let inside = stored[1..<close]
    guard inside.allSatisfy({ isLetter($0) || isDigit($0) || $0 == ascii("-") || $0 == ascii("_") || $0 == ascii(".") })
    else { return nil }
    var name = String(decoding: inside, as: UTF8.self).uppercased()
    var encoding = PayloadEncoding.native
    for (suffix, value) in [(".HEX", PayloadEncoding.hex), (".B64", .base64), (".BASE64", .base64)]
    where name.hasSuffix(suffix) && name.utf8.count > suffix.utf8.count {
      name = String(name.dropLast(suffix.count))
      encoding = value
      break
    }
    return (name, encoding, close + 1)
  }
}

/// Forms written by web applications and other tools, recognised by how
/// they start when there is no `{SCHEME}` prefix.
public enum BareFormats {
  static let prefixes: [(prefix: String, scheme: String)] = [
    ("$argon2id$", "ARGON2ID"),
    ("$argon2i$", "ARGON2I"),
    ("$argon2d$", "ARGON2D"),
    ("$apr1$", "APR1-MD5"),
    ("pbkdf2_sha256$", "DJANGO-PBKDF2-SHA256"),
    ("pbkdf2_sha1$", "DJANGO-PBKDF2-SHA1"),
    ("$pbkdf2-sha256$", "PASSLIB-PBKDF2-SHA256"),
    ("$pbkdf2-sha512$", "PASSLIB-PBKDF2-SHA512"),
    ("$pbkdf2$", "PASSLIB-PBKDF2-SHA1"),
  ]

  /// The scheme name of a recognised form, or nil.
  public static func identify(_ stored: [UInt8]) -> String? {
    prefixes.first { stored.starts(with: $0.prefix.utf8) }?.scheme
  }
}

/// crypt(3) strings as libxcrypt writes them, recognised by their prefix.
public enum CryptFamily {
  /// Prefixes and the Dovecot-style name shown for each. Order matters:
  /// longer prefixes first where one starts another.
  static let prefixes: [(prefix: String, scheme: String)] = [
    ("$y$", "YESCRYPT"),
    ("$gy$", "GOST-YESCRYPT"),
    ("$7$", "SCRYPT"),
    ("$2b$", "BLF-CRYPT"),
    ("$2y$", "BLF-CRYPT"),
    ("$2a$", "BLF-CRYPT"),
    ("$6$", "SHA512-CRYPT"),
    ("$5$", "SHA256-CRYPT"),
    ("$1$", "MD5-CRYPT"),
    ("$md5", "SUNMD5-CRYPT"),
    ("$sha1$", "SHA1-CRYPT"),
    ("$3$", "NT-CRYPT"),
  ]

  /// The scheme name of a crypt(3) string, or nil if `stored` is none.
  ///
  /// - Parameter allowDES: whether a bare 13-character string of the DES
  ///   alphabet counts as traditional DES crypt. Only when the default scheme
  ///   is CRYPT: otherwise a 13-character plaintext would be taken for one.
  public static func identify(_ stored: [UInt8], allowDES: Bool) -> String? {
    for entry in prefixes where stored.starts(with: entry.prefix.utf8) {
      return entry.scheme
    }
    if allowDES {
      if stored.count == 13 && stored.allSatisfy(isDESAlphabet) { return "DES-CRYPT" }
      // BSDi extended DES: `_` + 4 rounds + 4 salt + 11 hash characters.
      if stored.count == 20 && stored.first == ascii("_") && stored.dropFirst().allSatisfy(isDESAlphabet) {
        return "BSDI-CRYPT"
      }
    }
    return nil
  }

  static func isDESAlphabet(_ byte: UInt8) -> Bool {
    isLetter(byte) || isDigit(byte) || byte == ascii(".") || byte == ascii("/")
  }
}
