// Decoys shaped like real stored values (SwiftSQLSchemes/Decoys.swift), over
// every known-answer vector: a decoy is a value its scheme can use (checking
// a password against it does the scheme's work and answers mismatch, never
// "unusable", which would answer at once), it keeps none of the value's hash,
// and it names the cost the value asks for: the cost each tool writes by
// default, as its documentation gives it.

import SchemeVectors
import SwiftSQLCore
import SwiftSQLSchemes
import Testing

@Suite("Decoys shaped like the stored values")
struct DecoyShapeTests {
  static func decoy(_ stored: String, defaultScheme: String) -> Decoy? {
    let bytes = Array(stored.utf8)
    let format = HashFormat.detect(bytes, defaultScheme: defaultScheme)
    return SchemeRegistry().decoy(like: SecretBytes(bytes), format: format)
  }

  @Test("every vector has a decoy: usable, not matching, and holding none of its hash", arguments: Vector.all)
  func usable(_ vector: Vector) throws {
    let decoy = try #require(Self.decoy(vector.stored, defaultScheme: vector.defaultScheme))
    let text = decoy.value.nonSecretText
    let outcome = check(text, password: vector.password, defaultScheme: vector.defaultScheme, login: vector.login)
      .outcome
    #expect(outcome == .mismatch, "\(vector.generator): \(text) → \(outcome)")
    #expect(text.utf8.count == vector.stored.utf8.count, "same length: \(text)")
    // The hash is the end of every stored form: no 8 bytes of it remain.
    let format = HashFormat.detect(Array(vector.stored.utf8), defaultScheme: vector.defaultScheme)
    let tail = Array(vector.stored.utf8.dropFirst(format.payloadOffset).suffix(16))
    guard tail.count >= 8 else { return }
    for start in 0...(tail.count - 8) {
      let run = String(decoding: tail[start..<(start + 8)], as: UTF8.self)
      #expect(!text.contains(run), "\(vector.generator): \(text) keeps \(run)")
    }
  }

  /// Vectors of the tools' default costs, and the shape that cost is.
  static let costs: [(generator: String, shape: String)] = [
    ("doveadm pw -s SHA512-CRYPT", "SHA512-CRYPT, 5000 rounds"),
    ("doveadm pw -s BLF-CRYPT", "BLF-CRYPT, cost 5"),
    ("php password_hash PASSWORD_BCRYPT", "BLF-CRYPT, cost 10"),
    ("pgcrypto crypt gen_salt('bf')", "BLF-CRYPT, cost 6"),
    ("mkpasswd -m yescrypt", "YESCRYPT, N=4096 r=32 p=1"),
    ("mkpasswd -m gost-yescrypt", "GOST-YESCRYPT, N=4096 r=32 p=1"),
    ("mkpasswd -m scrypt", "SCRYPT, N=16384 r=32 p=1"),
    ("mkpasswd -m md5crypt", "MD5-CRYPT"),
    ("mkpasswd -m bsdicrypt", "BSDI-CRYPT, 725 rounds"),
    ("doveadm pw -s ARGON2ID", "ARGON2ID, 65536 KiB, 3 passes, 1 lanes"),
    ("php password_hash PASSWORD_ARGON2I", "ARGON2I, 65536 KiB, 4 passes, 1 lanes"),
    ("doveadm pw -s PBKDF2", "PBKDF2, 5000 rounds"),
    ("doveadm pw -s SCRAM-SHA-256", "SCRAM-SHA-256, 4096 iterations"),
    ("doveadm pw -s OTP", "OTP, 1024 steps"),
  ]

  @Test("a decoy names its value's cost", arguments: costs.map { $0.generator })
  func cost(_ generator: String) throws {
    let expected = try #require(Self.costs.first { $0.generator == generator }?.shape)
    let vector = try #require(Vector.all.first { $0.generator == generator })
    #expect(Self.decoy(vector.stored, defaultScheme: vector.defaultScheme)?.shape == expected)
  }

  @Test("two values of one scheme and cost have one shape; another cost is another shape")
  func shapesCompare() throws {
    let five = Self.decoy("$6$abcdefgh$" + String(repeating: "x", count: 86), defaultScheme: "CRYPT")
    let fiveAgain = Self.decoy("$6$zyxwvuts$" + String(repeating: "y", count: 86), defaultScheme: "CRYPT")
    let more = Self.decoy("$6$rounds=20000$abcdefgh$" + String(repeating: "x", count: 86), defaultScheme: "CRYPT")
    #expect(five?.shape == fiveAgain?.shape)
    #expect(more?.shape == "SHA512-CRYPT, 20000 rounds")
    #expect(more?.value.nonSecretText.hasPrefix("$6$rounds=20000$") == true)
  }

  @Test(
    "a decoy in a configured scheme is a usable value that matches no password",
    arguments: [
      "CRYPT", "YESCRYPT", "BLF-CRYPT", "SHA512-CRYPT", "SHA256-CRYPT", "MD5-CRYPT", "ARGON2ID", "ARGON2I",
      "PBKDF2", "SSHA256", "PLAIN", "SCRAM-SHA-256", "MD5",
    ])
  func configured(_ scheme: String) throws {
    let decoy = try #require(SchemeRegistry().decoy(scheme: scheme))
    let outcome = check(decoy.value.nonSecretText, password: Array("pam_swiftsql decoy".utf8), defaultScheme: scheme)
      .outcome
    #expect(outcome == .mismatch, "\(scheme): \(decoy.value.nonSecretText) → \(outcome)")
  }

  @Test("the configured decoy has the cost new values get")
  func configuredCost() {
    #expect(SchemeRegistry().decoy(scheme: "CRYPT")?.shape == "YESCRYPT, N=4096 r=32 p=1")
    #expect(SchemeRegistry().decoy(scheme: "SHA512-CRYPT")?.shape == "SHA512-CRYPT, 5000 rounds")
    #expect(SchemeRegistry().decoy(scheme: "ARGON2ID")?.shape == "ARGON2ID, 65536 KiB, 3 passes, 1 lanes")
  }

  @Test("an unknown scheme has no decoy")
  func unknown() {
    #expect(Self.decoy("{ROT13}abc", defaultScheme: "CRYPT") == nil)
    #expect(SchemeRegistry().decoy(scheme: "ROT13") == nil)
  }
}
