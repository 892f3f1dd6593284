// A mail login as the module uses it: the whole `user@domain`, split at its
// last `@` (as libsasl2 splits it), with the domain lower-cased, checked
// before any query is made. A bare name gets `@default_domain` when one is
// configured (saslauthd without `-r` passes only the part before the `@`,
// DESIGN.md §2); without one it is refused with a reason that says what to do.

/// A validated login. `full` is what `%u` binds, `localPart` is `%n`,
/// `domain` is `%d` (empty for a bare login kept with allow_bare_logins).
public struct Login: Equatable, Sendable {
  public let localPart: String
  public let domain: String
  /// The domain as the login gave it, before it was lower-cased (DIGEST-MD5
  /// hashes the realm as Dovecot does, see `dovecotUser`).
  public let givenDomain: String
  public var full: String { domain.isEmpty ? localPart : localPart + "@" + domain }

  /// The login as Dovecot's default auth_username_format (`%Lu`, 2.4's
  /// `%{user | lower}`) makes it: ASCII letters lower-cased, every other
  /// character as given (Dovecot's str_lcase), split at the last `@`.
  public var dovecotUser: (user: String, realm: String) {
    (QueryFilter.lower.apply(localPart), QueryFilter.lower.apply(givenDomain))
  }

  /// Dovecot's `%{domain_first}`: what follows the first `@` of the login,
  /// up to a second `@` (for `a@b@c`, `b`; for `a@b`, the domain).
  public var domainFirst: String {
    let bytes = Array(full.utf8)
    guard let first = bytes.firstIndex(of: UInt8(ascii: "@")) else { return "" }
    let rest = bytes[(first + 1)...]
    let stop = rest.firstIndex(of: UInt8(ascii: "@")) ?? rest.endIndex
    return String(decoding: rest[..<stop], as: UTF8.self)
  }

  /// The limits of RFC 5321 §4.5.3.1 that mail servers enforce.
  public static let maximumBytes = 320
  public static let maximumLocalPartBytes = 64
  public static let maximumDomainBytes = 255

  init(localPart: String, domain: String, givenDomain: String? = nil) {
    self.localPart = localPart
    self.domain = domain
    self.givenDomain = givenDomain ?? domain
  }

  /// Two logins are the same login when they bind the same values.
  public static func == (lhs: Login, rhs: Login) -> Bool {
    lhs.localPart == rhs.localPart && lhs.domain == rhs.domain
  }

  /// Parses the login PAM handed over.
  ///
  /// - Parameters:
  ///   - raw: the bytes of `PAM_USER`, without a terminating NUL.
  ///   - defaultDomain: the `default_domain` setting, already validated.
  ///   - keepsBareLogin: `allow_bare_logins`: a name without `@` and without
  ///     a default domain is kept as it is (domain empty) instead of refused.
  public static func parse(_ raw: [UInt8], defaultDomain: String?, keepsBareLogin: Bool = false)
    throws(LoginRejection) -> Login
  {
    if raw.isEmpty { throw .empty }
    if raw.count > maximumBytes { throw .tooLong(bytes: raw.count) }
    guard let text = String(validating: raw, as: UTF8.self) else { throw .invalidUTF8 }
    for scalar in text.unicodeScalars where isControl(scalar) { throw .controlCharacter }

    let local: String
    let domain: String
    // The last '@' byte, as libsasl2 splits (strrchr), not the last '@'
    // Character: an '@' followed by a combining mark is one Character.
    // '@' is ASCII, so both sides of it are valid UTF-8 as well.
    if let at = raw.lastIndex(of: UInt8(ascii: "@")) {
      local = String(decoding: raw[..<at], as: UTF8.self)
      domain = String(decoding: raw[(at + 1)...], as: UTF8.self)
      if domain.isEmpty { throw .emptyDomain }
    } else if let defaultDomain {
      local = text
      domain = defaultDomain
    } else if keepsBareLogin {
      local = text
      domain = ""
    } else {
      throw .bareWithoutDefaultDomain
    }
    if local.isEmpty { throw .emptyLocalPart }
    // The limits apply to what is bound: after a default domain is added and
    // the domain lower-cased (which can make some characters longer).
    let login = Login(localPart: local, domain: domain.lowercased(), givenDomain: domain)
    let total = login.full.utf8.count
    if total > maximumBytes { throw .tooLong(bytes: total) }
    if login.localPart.utf8.count > maximumLocalPartBytes {
      throw .localPartTooLong(bytes: login.localPart.utf8.count)
    }
    if login.domain.utf8.count > maximumDomainBytes { throw .domainTooLong(bytes: login.domain.utf8.count) }
    return login
  }

  /// Checks a `default_domain` value: a domain as it would appear after `@`.
  public static func validateDomain(_ value: String) -> String? {
    if value.isEmpty { return "it is empty" }
    if value.utf8.count > maximumDomainBytes { return "it is longer than \(maximumDomainBytes) bytes" }
    // The byte: "@" followed by a combining mark is one Character, not "@".
    if value.utf8.contains(UInt8(ascii: "@")) { return "it contains '@'; give only the domain, e.g. example.org" }
    for scalar in value.unicodeScalars where isControl(scalar) || scalar == " " {
      return "it contains a space or a control character"
    }
    return nil
  }

  /// C0 controls, DEL and the C1 controls (U+0080–U+009F).
  static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value <= 0x9F)
  }
}

/// Why a login was refused before any query was made.
public enum LoginRejection: Error, Equatable, Sendable {
  case empty
  case tooLong(bytes: Int)
  case invalidUTF8
  case controlCharacter
  case emptyLocalPart
  case emptyDomain
  case localPartTooLong(bytes: Int)
  case domainTooLong(bytes: Int)
  case bareWithoutDefaultDomain

  /// One sentence for the log: what is wrong, and for a bare name what to do.
  public var reason: String {
    switch self {
    case .empty: "the login is empty"
    case .tooLong(let bytes): "the login is \(bytes) bytes long; at most \(Login.maximumBytes) are allowed"
    case .invalidUTF8: "the login is not valid UTF-8"
    case .controlCharacter: "the login contains a control character"
    case .emptyLocalPart: "the login has nothing before its '@'"
    case .emptyDomain: "the login has nothing after its '@'"
    case .localPartTooLong(let bytes):
      "the part before '@' is \(bytes) bytes long; at most \(Login.maximumLocalPartBytes) are allowed"
    case .domainTooLong(let bytes):
      "the domain is \(bytes) bytes long; at most \(Login.maximumDomainBytes) are allowed"
    case .bareWithoutDefaultDomain:
      "the login has no '@domain': run saslauthd with -r so that the realm is kept, "
        + "or set default_domain in the configuration"
    }
  }
}
