// The known-answer vectors made by the real tools (doveadm pw, mkpasswd,
// htpasswd, openssl passwd, pgcrypto, PHP's password_hash, passlib; see
// scripts/make-vectors.py): every stored value verifies with its password,
// through format detection and the registry as the module runs them, and is
// refused with the password changed by one character, shortened by one, or
// lengthened by one — except where the scheme by design reads only part of
// a password (DES crypt: 8 bytes, bcrypt: 72, PLAIN-TRUNC: its length).

import SchemeVectors
import SwiftSQLCore
import SwiftSQLSchemes
import Testing

extension Vector: CustomTestStringConvertible {
  public var testDescription: String { description }
}

@Suite("Known-answer vectors from the real tools")
struct VectorTests {
  @Test("the vector file is there and covers every generator")
  func coverage() {
    let generators = Set(Vector.all.map { $0.generator })
    #expect(Vector.all.count > 300)
    for expected in [
      "doveadm pw -s ARGON2ID", "doveadm pw -s SCRAM-SHA-256", "doveadm pw -s OTP", "doveadm pw -s CRAM-MD5",
      "doveadm pw -s DIGEST-MD5", "mkpasswd -m yescrypt", "mkpasswd -m gost-yescrypt", "mkpasswd -m scrypt",
      "mkpasswd -m sunmd5", "mkpasswd -m nt", "htpasswd -m (apr1)", "openssl passwd -apr1",
      "php password_hash PASSWORD_ARGON2ID", "passlib django_pbkdf2_sha256", "passlib pbkdf2_sha512",
      "passlib mysql41 (MySQL PASSWORD())", "passlib postgres_md5", "pgcrypto crypt gen_salt('xdes')",
    ] {
      #expect(generators.contains(expected), "no vectors from \(expected)")
    }
  }

  @Test("each stored value verifies with its password", arguments: Vector.all)
  func verifies(_ vector: Vector) {
    let (outcome, format) = check(
      vector.stored, password: vector.password, defaultScheme: vector.defaultScheme, login: vector.login)
    #expect(outcome == .match, "\(vector.generator) read as \(format.scheme)/\(format.algorithm)")
  }

  @Test("one character changed, removed or appended is refused", arguments: Vector.all)
  func refusesNearMisses(_ vector: Vector) {
    let format = HashFormat.detect(Array(vector.stored.utf8), defaultScheme: vector.defaultScheme)
    var variants: [(String, [UInt8])] = []
    var changed = vector.password
    changed[0] ^= 0x01
    variants.append(("first byte changed", changed))
    variants.append(("first byte removed", Array(vector.password.dropFirst())))
    if vector.password.count < significantBytes(format, stored: vector.stored) {
      variants.append(("a byte appended", vector.password + [UInt8(ascii: "x")]))
    }
    for (what, password) in variants {
      let outcome = check(vector.stored, password: password, defaultScheme: vector.defaultScheme, login: vector.login)
        .outcome
      #expect(outcome == .mismatch, "\(vector.generator), \(what)")
    }
  }

  /// How many bytes of a password the scheme reads.
  func significantBytes(_ format: HashFormat, stored: String) -> Int {
    switch format.algorithm {
    case "DES-CRYPT": return 8
    case "BLF-CRYPT": return 72
    case "PLAIN-TRUNC":
      let payload = stored.dropFirst("{PLAIN-TRUNC}".count)
      return Int(payload.prefix { $0.isNumber }) ?? Int.max
    default: return Int.max
    }
  }
}
