// The schemes this module verifies, looked up by name. It is the core's
// PasswordChecker: the core has already read the `{SCHEME}` prefix or
// recognised the stored form; the registry decodes the payload the way the
// scheme declares (Dovecot's rules, including its hex-or-base64 guess for
// fixed-length digests), hands it to the scheme, and turns an unknown name
// or an undecodable payload into an "unusable" outcome, never a match. It
// also ranks schemes for upgrades and makes new stored values.

import SwiftSQLCore

public struct SchemeRegistry: PasswordChecker, Sendable {
  /// Every scheme, once. Add new schemes here.
  static let schemes: [PasswordScheme] =
    [PasswordScheme]([
      .crypt,
      .argon2,
      .dovecotMD5,
      .mysql41,
      .postgresMD5,
      .cramMD5,
      .digestMD5,
      .scram,
      .dovecotPBKDF2,
      .webPBKDF2,
      .apr1,
      .otp,
      .plain,
      .plainTrunc,
    ]) + PasswordScheme.digestSchemes + PasswordScheme.saltedDigestSchemes

  /// Scheme and name entry by name, built once.
  static let byName: [String: (scheme: PasswordScheme, name: PasswordScheme.Name)] = {
    var table: [String: (scheme: PasswordScheme, name: PasswordScheme.Name)] = [:]
    for scheme in schemes {
      for name in scheme.names { table[name.name] = (scheme, name) }
    }
    return table
  }()

  public init() {}

  /// Whether `name` (upper-case) is a scheme this module verifies.
  public static func knows(_ name: String) -> Bool { byName[name] != nil }

  /// Whether the module can make new values in `name`.
  public static func canGenerate(_ name: String) -> Bool { byName[name]?.name.canGenerate ?? false }

  /// The loader that reaches the module's configuration: with the schemes
  /// registered here.
  public static var loader: ConfigurationLoader {
    ConfigurationLoader(isKnownScheme: SchemeRegistry.knows, canGenerateScheme: SchemeRegistry.canGenerate)
  }

  /// All scheme names, sorted, with whether each can be generated.
  public static var names: [(name: String, canGenerate: Bool)] {
    byName.keys.sorted().map { ($0, canGenerate($0)) }
  }

  public func check(_ password: Password, stored: SecretBytes, format: HashFormat, context: QueryContext)
    -> CheckOutcome
  {
    guard let entry = SchemeRegistry.byName[format.scheme] else {
      // Never echoed: a plaintext password may start with '{'.
      return .unusable(problem: "its {…} prefix names no scheme this module knows")
    }
    let payload: SecretBytes
    switch SchemeRegistry.decode(stored, from: format.payloadOffset, as: entry.scheme.payload, format: format) {
    case .success(let decoded): payload = decoded
    case .failure(let problem): return .unusable(problem: problem.message)
    }
    return entry.scheme.verify(password, payload, SchemeInput(format: format, login: context.login))
  }

  public func strength(of algorithm: String) -> Int? {
    SchemeRegistry.byName[algorithm]?.name.strength.rawValue
  }

  public func makeStoredValue(for password: Password, scheme: String, login: Login)
    -> Result<SecretBytes, SchemeProblem>
  {
    SchemeRegistry.generate(password, scheme: scheme, options: GenerateOptions(login: login))
  }

  /// A new stored value for `password`, `{SCHEME}` prefix included.
  public static func generate(_ password: Password, scheme name: String, options: GenerateOptions)
    -> Result<SecretBytes, SchemeProblem>
  {
    guard let entry = byName[name] else { return .failure(SchemeProblem("unknown scheme \(name)")) }
    guard entry.name.canGenerate, let generate = entry.scheme.generate else {
      return .failure(SchemeProblem("\(name) values can be verified but not made"))
    }
    let raw: SecretBytes
    switch generate(password, name, options) {
    case .success(let made): raw = made
    case .failure(let problem): return .failure(problem)
    }
    let prefix = Array("{\(entry.name.storedPrefix ?? name)}".utf8)
    var text: [UInt8]
    switch entry.scheme.payload {
    case .text:
      text = prefix + raw.withBytes { Array($0) }
    case .binary(let encoding, _):
      let encoded = raw.withBytes {
        encoding == .hex ? PayloadDecoding.encodeHex($0) : PayloadDecoding.encodeBase64($0)
      }
      text = prefix + encoded
    }
    defer { text.withUnsafeMutableBytes { wipe($0) } }
    return .success(SecretBytes(text))
  }

  /// The payload after the prefix, decoded as the scheme declares.
  static func decode(_ stored: SecretBytes, from offset: Int, as kind: PayloadKind, format: HashFormat)
    -> Result<SecretBytes, SchemeProblem>
  {
    stored.withBytes { bytes -> Result<SecretBytes, SchemeProblem> in
      let text = UnsafeRawBufferPointer(rebasing: bytes[min(offset, bytes.count)...])
      var encoding = format.encoding
      var length: Int? = nil
      switch kind {
      case .text:
        if encoding == .native { return .success(SecretBytes(copying: text)) }
      case .binary(let defaultEncoding, let fixedLength):
        length = fixedLength
        if encoding == .native {
          // Dovecot's guess: twice the digest length in characters is hex.
          if let fixedLength {
            encoding = text.count == fixedLength * 2 ? .hex : .base64
          } else {
            encoding = defaultEncoding
          }
        }
      }
      var decoded: [UInt8]
      if let exact = PayloadDecoding.decode(text, as: encoding) {
        decoded = exact
      } else if format.encoding == .native, encoding == .hex, let fallback = PayloadDecoding.base64(text) {
        // A guessed hex that is not hex may still be base64 (Dovecot too).
        decoded = fallback
      } else {
        return .failure(SchemeProblem("the payload is not valid \(encoding == .hex ? "hex" : "base64")"))
      }
      defer { decoded.withUnsafeMutableBytes { wipe($0) } }
      if let length, decoded.count != length {
        return .failure(SchemeProblem("the payload decodes to \(decoded.count) bytes instead of \(length)"))
      }
      return .success(SecretBytes(decoded))
    }
  }
}
