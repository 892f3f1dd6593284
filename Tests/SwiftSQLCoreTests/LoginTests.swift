// Covers `Login.parse` and `Login.validateDomain`: how a raw PAM login is
// split at its last `@`, how the domain is lower-cased (ASCII and Unicode),
// how a bare name gets `default_domain`, every rejection (empty, too long,
// local part or domain too long, control characters, invalid UTF-8, empty
// local part or domain, bare name without a default domain) with both sides
// of each length limit, that injection-looking logins are ordinary valid
// logins, that the bare-name rejection tells the administrator about `-r` and
// `default_domain`, and which `default_domain` values are refused.

import SwiftSQLCore
import Testing

/// The bytes of `text` as PAM would hand them over.
private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

private func repeated(_ character: Character, _ count: Int) -> String {
  String(repeating: String(character), count: count)
}

/// A domain of exactly `count` bytes that ends in ".org".
private func domain(bytes count: Int) -> String {
  repeated("d", count - 4) + ".org"
}

@Suite("Login.parse: accepted logins")
struct LoginAcceptedTests {
  @Test("a plain user@domain keeps both parts")
  func plainLogin() throws {
    let login = try Login.parse(bytes("alice@example.org"), defaultDomain: nil)
    #expect(login.localPart == "alice")
    #expect(login.domain == "example.org")
    #expect(login.full == "alice@example.org")
  }

  @Test("the login is split at the last @, like libsasl2")
  func splitAtLastAt() throws {
    let login = try Login.parse(bytes("a@b@example.org"), defaultDomain: nil)
    #expect(login.localPart == "a@b")
    #expect(login.domain == "example.org")
    #expect(login.full == "a@b@example.org")
  }

  @Test("the domain is lower-cased, the local part is not")
  func domainLowerCased() throws {
    let login = try Login.parse(bytes("Alice@EXAMPLE.Org"), defaultDomain: nil)
    #expect(login.localPart == "Alice")
    #expect(login.domain == "example.org")
    #expect(login.full == "Alice@example.org")
  }

  @Test("a bare name gets the default domain")
  func bareNameWithDefaultDomain() throws {
    let login = try Login.parse(bytes("Alice"), defaultDomain: "example.org")
    #expect(login.localPart == "Alice")
    #expect(login.domain == "example.org")
    #expect(login.full == "Alice@example.org")
  }

  @Test("a login with a domain ignores the default domain")
  func explicitDomainWins() throws {
    let login = try Login.parse(bytes("alice@other.example"), defaultDomain: "example.org")
    #expect(login.localPart == "alice")
    #expect(login.domain == "other.example")
  }

  @Test("non-ASCII UTF-8 logins are accepted")
  func unicodeLogin() throws {
    let login = try Login.parse(bytes("jürgen@bücher.example"), defaultDomain: nil)
    #expect(login.localPart == "jürgen")
    #expect(login.domain == "bücher.example")
    #expect(login.full == "jürgen@bücher.example")
  }

  @Test("the domain is lower-cased beyond ASCII")
  func unicodeDomainLowerCased() throws {
    let login = try Login.parse(bytes("Jürgen@BÜCHER.example"), defaultDomain: nil)
    #expect(login.localPart == "Jürgen")
    #expect(login.domain == "bücher.example")
  }

  @Test(
    "injection-looking logins are plain valid logins",
    arguments: [
      ("x' OR '1'='1@example.org", "x' OR '1'='1", "example.org"),
      ("%u@%d", "%u", "%d"),
      ("alice'; DROP TABLE users; --@example.org", "alice'; DROP TABLE users; --", "example.org"),
    ])
  func injectionLookingLogins(raw: String, localPart: String, domain: String) throws {
    let login = try Login.parse(bytes(raw), defaultDomain: nil)
    #expect(login.localPart == localPart)
    #expect(login.domain == domain)
    #expect(login.full == raw)
  }

  @Test("a local part of exactly 64 bytes is accepted")
  func localPartAtLimit() throws {
    let local = repeated("a", 64)
    let login = try Login.parse(bytes(local + "@example.org"), defaultDomain: nil)
    #expect(login.localPart == local)
  }

  @Test("a local part of 64 bytes in 32 two-byte characters is accepted")
  func multiByteLocalPartAtLimit() throws {
    let local = repeated("ü", 32)
    let login = try Login.parse(bytes(local + "@example.org"), defaultDomain: nil)
    #expect(login.localPart == local)
  }

  @Test("a domain of exactly 255 bytes and a login of exactly 320 bytes are accepted")
  func totalAtLimit() throws {
    let local = repeated("a", 64)
    let host = domain(bytes: 255)
    let raw = local + "@" + host
    #expect(raw.utf8.count == 320)
    let login = try Login.parse(bytes(raw), defaultDomain: nil)
    #expect(login.localPart == local)
    #expect(login.domain == host)
    #expect(login.full.utf8.count == 320)
  }

  @Test("a bare name plus the default domain of exactly 320 bytes is accepted")
  func bareNameTotalAtLimit() throws {
    let local = repeated("a", 64)
    let host = domain(bytes: 255)
    let login = try Login.parse(bytes(local), defaultDomain: host)
    #expect(login.full == local + "@" + host)
    #expect(login.full.utf8.count == 320)
  }

  @Test("U+00A0, the first character after the C1 controls, is accepted")
  func noBreakSpaceAccepted() throws {
    let raw: [UInt8] = bytes("a") + [0xC2, 0xA0] + bytes("b@example.org")
    let login = try Login.parse(raw, defaultDomain: nil)
    #expect(login.localPart == "a\u{00A0}b")
  }
}

/// One login that must be refused, and why.
struct RejectedLogin: Sendable, CustomTestStringConvertible {
  let name: String
  let raw: [UInt8]
  let defaultDomain: String?
  let expected: LoginRejection

  init(_ name: String, _ raw: [UInt8], defaultDomain: String? = nil, _ expected: LoginRejection) {
    self.name = name
    self.raw = raw
    self.defaultDomain = defaultDomain
    self.expected = expected
  }

  var testDescription: String { name }
}

@Suite("Login.parse: rejections")
struct LoginRejectionTests {
  static let cases: [RejectedLogin] = [
    RejectedLogin("empty", [], .empty),
    RejectedLogin("empty with a default domain", [], defaultDomain: "example.org", .empty),
    RejectedLogin(
      "321 bytes", bytes(repeated("a", 64) + "@" + domain(bytes: 256)), .tooLong(bytes: 321)),
    RejectedLogin(
      "321-byte bare name", bytes(repeated("a", 321)), defaultDomain: "example.org", .tooLong(bytes: 321)),
    RejectedLogin("65-byte local part", bytes(repeated("a", 65) + "@example.org"), .localPartTooLong(bytes: 65)),
    RejectedLogin(
      "65-byte local part of two-byte characters", bytes(repeated("ü", 32) + "a@example.org"),
      .localPartTooLong(bytes: 65)),
    RejectedLogin(
      "65-byte bare name", bytes(repeated("a", 65)), defaultDomain: "example.org", .localPartTooLong(bytes: 65)),
    RejectedLogin("256-byte domain", bytes("a@" + domain(bytes: 256)), .domainTooLong(bytes: 256)),
    RejectedLogin("newline", bytes("alice\n@example.org"), .controlCharacter),
    RejectedLogin("carriage return", bytes("alice@example.org\r"), .controlCharacter),
    RejectedLogin("tab", bytes("ali\tce@example.org"), .controlCharacter),
    RejectedLogin("NUL", bytes("alice") + [0] + bytes("@example.org"), .controlCharacter),
    RejectedLogin("0x1F", bytes("alice") + [0x1F] + bytes("@example.org"), .controlCharacter),
    RejectedLogin("ESC", bytes("alice") + [0x1B] + bytes("@example.org"), .controlCharacter),
    RejectedLogin("DEL", bytes("alice") + [0x7F] + bytes("@example.org"), .controlCharacter),
    RejectedLogin("U+0080", bytes("alice") + [0xC2, 0x80] + bytes("@example.org"), .controlCharacter),
    RejectedLogin("U+0085 (NEL)", bytes("alice") + [0xC2, 0x85] + bytes("@example.org"), .controlCharacter),
    RejectedLogin("U+009F", bytes("alice@example.org") + [0xC2, 0x9F], .controlCharacter),
    RejectedLogin(
      "control character in a bare name", bytes("ali\nce"), defaultDomain: "example.org", .controlCharacter),
    RejectedLogin("C3 28", bytes("a") + [0xC3, 0x28] + bytes("@example.org"), .invalidUTF8),
    RejectedLogin("lone FF", bytes("alice@example.org") + [0xFF], .invalidUTF8),
    RejectedLogin("overlong C0 AF", bytes("alice") + [0xC0, 0xAF] + bytes("@example.org"), .invalidUTF8),
    RejectedLogin("truncated E2 82", bytes("alice@example.org") + [0xE2, 0x82], .invalidUTF8),
    RejectedLogin(
      "UTF-16 surrogate ED A0 80", bytes("alice") + [0xED, 0xA0, 0x80] + bytes("@example.org"), .invalidUTF8),
    RejectedLogin("nothing before @", bytes("@example.org"), .emptyLocalPart),
    RejectedLogin(
      "nothing before @, with a default domain", bytes("@example.org"), defaultDomain: "example.org", .emptyLocalPart),
    RejectedLogin("nothing after @", bytes("alice@"), .emptyDomain),
    RejectedLogin(
      "nothing after @, with a default domain", bytes("alice@"), defaultDomain: "example.org", .emptyDomain),
    RejectedLogin("only @", bytes("@"), .emptyDomain),
    RejectedLogin("bare name without a default domain", bytes("alice"), .bareWithoutDefaultDomain),
    // The raw bare name is within 320 bytes, but with "@example.org" the
    // login it stands for is 322 bytes: over the total limit.
    RejectedLogin(
      "bare name that the default domain pushes over 320 bytes", bytes(repeated("a", 310)),
      defaultDomain: "example.org", .tooLong(bytes: 322)),
  ]

  @Test("each malformed login is refused with the right reason", arguments: cases)
  func rejected(_ row: RejectedLogin) {
    #expect(throws: row.expected) {
      try Login.parse(row.raw, defaultDomain: row.defaultDomain)
    }
  }

  @Test("the bare-name reason tells the administrator about -r and default_domain")
  func bareNameReason() {
    let reason = LoginRejection.bareWithoutDefaultDomain.reason
    #expect(reason.contains("-r"))
    #expect(reason.contains("default_domain"))
  }
}

@Suite("Login.validateDomain")
struct ValidateDomainTests {
  @Test("ordinary domains are accepted", arguments: ["example.org", "bücher.example", domain(bytes: 255)])
  func accepted(_ value: String) {
    #expect(Login.validateDomain(value) == nil)
  }

  @Test(
    "bad default domains are refused with a reason",
    arguments: [
      "", "a@b", "@example.org", "example .org", " example.org", "example.org\n", "exa\tmple.org", "example\u{7F}.org",
      domain(bytes: 256),
    ])
  func refused(_ value: String) {
    let problem = Login.validateDomain(value)
    #expect(problem != nil)
    #expect(problem?.isEmpty == false)
  }
}
