// What a password scheme is to the registry: the names it answers to (the
// `{SCHEME}` prefixes, upper-case), how strong each is (for upgrades), how
// its stored payload is read (Dovecot's rules: as text, or base64/hex bytes
// of a fixed or free length), a function that checks a password against the
// payload, and optionally one that makes a new payload. Adding a scheme is
// one new file that defines a `PasswordScheme` value, plus its line in
// `SchemeRegistry.schemes`.

import SwiftSQLCore

/// How strong an algorithm is, for transparent upgrades.
public enum SchemeStrength: Int, Comparable, Sendable {
  /// The password itself.
  case plaintext = 0
  /// One unsalted digest, or a broken old method (DES crypt, NT).
  case unsaltedDigest = 1
  /// One salted digest, or a fast salted crypt (MD5-crypt).
  case saltedDigest = 2
  /// Thousands of iterations (SHA-crypt, PBKDF2, SCRAM).
  case iterated = 3
  /// Adaptive and memory-hard (bcrypt, scrypt, yescrypt, Argon2).
  case memoryHard = 4

  public static func < (lhs: SchemeStrength, rhs: SchemeStrength) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// How the registry reads a payload before the scheme sees it.
enum PayloadKind: Sendable {
  /// As stored; a `.HEX`/`.B64` suffix decodes it first.
  case text
  /// Bytes in `encoding` unless the prefix names one. With a fixed
  /// `length`, hex or base64 is guessed from the text's length (as Dovecot
  /// does) and the decoded length must match.
  case binary(PayloadEncoding, length: Int?)
}

/// What a scheme's check sees besides the password and the payload.
struct SchemeInput {
  /// How the stored value was written (the scheme name it was found under).
  let format: HashFormat
  /// The login, for schemes that hash it too (DIGEST-MD5, MD5_POSTGRES).
  let login: Login
}

/// Options for making a new stored value.
public struct GenerateOptions: Sendable {
  /// The scheme's cost: rounds, iterations or time cost; nil for its default.
  public var cost: Int?
  /// The login, for schemes that need it (DIGEST-MD5).
  public var login: Login?

  public init(cost: Int? = nil, login: Login? = nil) {
    self.cost = cost
    self.login = login
  }
}

struct PasswordScheme: Sendable {
  /// One name the scheme answers to.
  struct Name: Sendable {
    let name: String
    let strength: SchemeStrength
    /// Whether `generate` can make values under this name.
    let canGenerate: Bool
    /// The `{PREFIX}` new values get: the name itself, except for methods
    /// Dovecot knows only as `{CRYPT}` (yescrypt, gost-yescrypt, scrypt).
    var storedPrefix: String? = nil
  }

  let names: [Name]
  let payload: PayloadKind
  /// Checks `password` against the decoded payload.
  let verify: @Sendable (Password, SecretBytes, SchemeInput) -> CheckOutcome
  /// Makes a new payload for the name given (before encoding), or says why
  /// not. nil when the scheme makes none.
  let generate: (@Sendable (Password, String, GenerateOptions) -> Result<SecretBytes, SchemeProblem>)?

  init(
    names: [Name], payload: PayloadKind,
    verify: @escaping @Sendable (Password, SecretBytes, SchemeInput) -> CheckOutcome,
    generate: (@Sendable (Password, String, GenerateOptions) -> Result<SecretBytes, SchemeProblem>)? = nil
  ) {
    self.names = names
    self.payload = payload
    self.verify = verify
    self.generate = generate
  }
}

extension PasswordScheme.Name {
  /// A name whose values the scheme can also make.
  static func generated(_ name: String, _ strength: SchemeStrength) -> Self {
    Self(name: name, strength: strength, canGenerate: true)
  }

  /// A crypt(3) method Dovecot has no name for: new values are `{CRYPT}`.
  static func generatedAsCrypt(_ name: String, _ strength: SchemeStrength) -> Self {
    Self(name: name, strength: strength, canGenerate: true, storedPrefix: "CRYPT")
  }

  /// A name the scheme only verifies.
  static func verified(_ name: String, _ strength: SchemeStrength) -> Self {
    Self(name: name, strength: strength, canGenerate: false)
  }
}

extension CheckOutcome {
  /// `.match` when `equal`, else `.mismatch`.
  static func matching(_ equal: Bool) -> CheckOutcome { equal ? .match : .mismatch }
}
