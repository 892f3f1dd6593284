// The schemes that hash the login with the password, with the logins their
// users have: DIGEST-MD5 as Dovecot verifies it (user and realm after its
// default auth_username_format %Lu: ASCII letters lower-cased, every other
// character as given; a bare user has an empty realm) and MD5_POSTGRES with
// a bare PostgreSQL role name. Every expected value was made by
// `doveadm pw -s DIGEST-MD5 -u …` (Dovecot 2.3.19) or computed by hand with
// Python's hashlib, never by the code under test.

import SwiftSQLCore
import Testing

@Suite("Schemes keyed on the login")
struct LoginKeyedSchemeTests {
  static let password = "correct horse battery staple"

  @Test("DIGEST-MD5 of a bare user: the realm is empty (doveadm pw -u testuser1)")
  func bareUser() {
    let stored = "{DIGEST-MD5}f9520453264f335608fcb34c75a9f00a"
    #expect(check(stored, Self.password, login: "testuser1") == .match)
    #expect(check(stored, "wrong", login: "testuser1") == .mismatch)
  }

  @Test("DIGEST-MD5 over a realm with non-ASCII letters: only ASCII letters are lower-cased, as Dovecot's %Lu does")
  func nonASCIIRealm() {
    // doveadm pw -s DIGEST-MD5 -u 'user@Éxample.org': what Dovecot verifies
    // for the login user@ÉXAMPLE.ORG, whose %Lu is user@Éxample.org.
    let stored = "{DIGEST-MD5}bab5ad8748209c3b7295b185e58d49e9"
    #expect(check(stored, Self.password, login: "user@ÉXAMPLE.ORG") == .match)
    #expect(check(stored, Self.password, login: "User@Éxample.org") == .match)
    // Lower-cased with Unicode rules the realm would be éxample.org:
    // doveadm pw -u 'user@éxample.org' made this one, which Dovecot does
    // not verify for that login either.
    #expect(
      check("{DIGEST-MD5}821dc01c39e115ee27a45aefe0bd3393", Self.password, login: "user@ÉXAMPLE.ORG") == .mismatch)
  }

  @Test("MD5_POSTGRES with a bare role name (PostgreSQL's md5 of password and role)")
  func postgresRole() {
    // hashlib.md5(b'correct horse battery staple' + b'postgres')
    let stored = "md5e19565867566a5bc4c878a28d4424685"
    #expect(check(stored, Self.password, defaultScheme: "MD5_POSTGRES", login: "postgres") == .match)
    #expect(check(stored, Self.password, defaultScheme: "MD5_POSTGRES", login: "postgres@example.org") == .mismatch)
  }
}
