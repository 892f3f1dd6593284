// Stored values that must never match and must not hang or exhaust the
// process: truncated, malformed, undecodable, of an unknown scheme, or
// asking for more work than CostLimits allows (a bcrypt cost of 31, Argon2's
// m= of 4 TiB, yescrypt's N of 2^30). Each is refused as unusable, with a
// problem that says what is wrong, and answered within a bounded time.

import Foundation
import SwiftSQLCore
import SwiftSQLSchemes
import Testing

struct Malformed: Sendable, CustomTestStringConvertible {
  let stored: String
  let defaultScheme: String
  /// Text the problem must contain.
  let problem: String

  init(_ stored: String, _ problem: String, defaultScheme: String = "CRYPT") {
    self.stored = stored
    self.problem = problem
    self.defaultScheme = defaultScheme
  }

  var testDescription: String { "\(stored.prefix(48)) → \(problem)" }
}

@Suite("Malformed and over-limit stored values")
struct MalformedTests {
  static let salt22 = "abcdefghijklmnopqrstuv"
  static let hash31 = "abcdefghijklmnopqrstuvwxyzABCDE"

  static let cases: [Malformed] = [
    Malformed("$2b$10$" + salt22, "truncated"),
    Malformed("$2y$31$" + salt22 + hash31, "bcrypt cost 31 is over the limit"),
    Malformed(
      "$6$rounds=999999999$saltsalt$" + String(repeating: "a", count: 86), "rounds=999999999 is over the limit"),
    Malformed("$6$rounds=99999999999999999999999$s$x", "over the limit"),
    Malformed("$y$jRT$" + salt22 + "$" + hash31, "MiB"),
    Malformed("$gy$jRT$" + salt22 + "$" + hash31, "MiB"),
    Malformed("$7$c" + "U...." + "/...." + salt22 + "$" + hash31, "MiB"),
    Malformed("$md5,rounds=99999999$salt$" + salt22, "rounds=99999999 is over the limit"),
    Malformed("_zzzzsalt" + "abcdefghijk", "over the limit"),
    Malformed("{SHA512-CRYPT}$1$saltsalt$abcdefghijklmnopqrstuv", "is not a SHA512-CRYPT string"),
    Malformed("{SHA512-CRYPT}", "is not a SHA512-CRYPT string"),
    Malformed("{CRYPT}!$6$locked", "libxcrypt rejects"),
    Malformed("{CRYPT}*", "libxcrypt rejects"),
    Malformed(
      "$argon2id$v=19$m=4294967295,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "m=4294967295 KiB is over the limit"),
    Malformed("$argon2id$v=19$m=65536,t=100000,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "t=100000 is over the limit"),
    Malformed("$argon2i$v=19$m=65536,t=3,p=255$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "p=255 is over the limit"),
    Malformed("$argon2id$v=19$m=abc,t=3,p=1$c2FsdA$aGFzaA", "cannot be read"),
    Malformed("$argon2id$v=19$m=65536,t=3,p=1$c2FsdHNhbHQ", "cannot be read"),
    Malformed("{ARGON2ID}$argon2i$v=19$m=65536,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "is not a ARGON2ID string"),
    Malformed("{ARGON2ID}$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$!!!!", "libargon2"),
    // In libsodium's form but for one field: the reference library reads
    // them and says what is wrong, where libsodium would only say "no".
    Malformed("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA!!", "libargon2"),
    Malformed("$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA", "libargon2"),
    Malformed("$argon2i$v=19$m=8,t=0,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "libargon2"),
    Malformed("$argon2i$v=19$m=8,t=1,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "libargon2"),
    Malformed("{PBKDF2}$1$salt$99999999$" + String(repeating: "a", count: 40), "99999999 rounds are outside"),
    Malformed("{PBKDF2}$1$salt$5000$abcd", "is not $1$salt$rounds$"),
    Malformed(
      "{SCRAM-SHA-1}100,c2FsdA==,AAAAAAAAAAAAAAAAAAAAAAAAAAA=,AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "iterations are outside"),
    Malformed("{SCRAM-SHA-256}999999999,c2FsdA==,AA==,AA==", "iterations are outside"),
    Malformed("{SCRAM-SHA-256}4096,c2FsdA==,!!!,AA==", "not valid base64"),
    Malformed("{SCRAM-SHA-256}4096,c2FsdA==", "iterations,salt,StoredKey,ServerKey"),
    Malformed("pbkdf2_sha256$99999999$salt$" + String(repeating: "A", count: 44), "iterations are outside"),
    Malformed("$pbkdf2-sha256$29000$c2FsdA$tooshort", "not valid base64 of the right length"),
    Malformed("{SSHA}" + "AAAAAAAAAAAAAA==", "too short"),
    Malformed("{SHA256}" + "AAAAAAAAAAAAAAAAAAAAAA==", "decodes to 16 bytes instead of 32"),
    Malformed("{SHA}not*base64!", "not valid base64"),
    Malformed("{PLAIN-MD5.HEX}zz", "not valid hex"),
    Malformed("{PLAIN.HEX}abc", "not valid hex"),
    Malformed("{CRAM-MD5}" + String(repeating: "0", count: 63), "decodes to 47 bytes instead of 32"),
    Malformed("{CRAM-MD5}" + String(repeating: "0", count: 63) + "!", "not valid hex"),
    Malformed("{ROT13}nop", "names no scheme this module knows"),
    Malformed("{SHA256.ROT}abc", "names no scheme this module knows"),
    Malformed("*ABCDEF", "is not '*' and 40 hex digits", defaultScheme: "MYSQL41"),
    Malformed("md5xyz", "is not 'md5' and 32 hex digits", defaultScheme: "MD5_POSTGRES"),
    Malformed("{PLAIN-TRUNC}abc", "lacks the <length>- prefix"),
    Malformed("$apr1$saltsaltsalt", "salt cannot be read"),
    Malformed("{OTP}sha1 999999 seed 0123456789abcdef", "over the limit"),
    Malformed("{OTP}rot13 1024 seed 0123456789abcdef", "is not '<md4|md5|sha1>"),
    Malformed("{OTP}md5 1024 seed 0123", "is not '<md4|md5|sha1>"),
    Malformed("{MD5}neither", "neither an MD5-crypt string"),
  ]

  @Test("each is refused as unusable, with its problem named, in bounded time", arguments: cases)
  func refused(_ value: Malformed) {
    let clock = ContinuousClock()
    let start = clock.now
    let (outcome, _) = check(value.stored, password: Array("password".utf8), defaultScheme: value.defaultScheme)
    let elapsed = clock.now - start
    guard let problem = outcome.problem else {
      Issue.record("expected unusable, got \(outcome)")
      return
    }
    #expect(problem.contains(value.problem), "problem: \(problem)")
    #expect(!problem.contains(value.stored), "the problem must not quote the stored value")
    // Nor the name inside an unknown {…} prefix: it may be a plaintext password.
    if value.stored.hasPrefix("{ROT13}") { #expect(!problem.contains("ROT13"), "problem: \(problem)") }
    #expect(elapsed < .seconds(2), "took \(elapsed)")
  }

  @Test("a stored value with a NUL byte is unusable")
  func nulByte() {
    let stored = Array("$6$saltsalt$abc".utf8) + [0] + Array("def".utf8)
    let format = HashFormat.detect(stored, defaultScheme: "CRYPT")
    guard let login = try? Login.parse(Array("a@b.example".utf8), defaultDomain: nil) else { return }
    let outcome = withPassword(Array("password".utf8)) {
      SchemeRegistry().check(
        $0, stored: SecretBytes(stored), format: format,
        context: QueryContext(login: login, service: "s", remoteHost: ""))
    }
    #expect(outcome == .unusable(problem: "the stored value contains a NUL byte"))
  }

  @Test("a megabyte of garbage is refused quickly")
  func hugeValue() {
    let clock = ContinuousClock()
    let start = clock.now
    let stored = "{SSHA512}" + String(repeating: "A", count: 1 << 20)
    #expect(check(stored, "password") == .mismatch || check(stored, "password") != .match)
    #expect(clock.now - start < .seconds(2))
  }
}
