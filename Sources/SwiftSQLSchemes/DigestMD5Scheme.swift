// DIGEST-MD5: hex MD5("user:realm:password") (RFC 2831's A1 secret), with
// the login split at its last '@' into user and realm and both as Dovecot's
// default auth_username_format (%Lu) makes them: ASCII letters lower-cased,
// every other character as given (password-scheme.c, digest_md5_generate,
// hashes the user Dovecot has after that format). A bare login has an
// empty realm, as in Dovecot.

import SwiftSQLCore

extension PasswordScheme {
  static let digestMD5 = PasswordScheme(
    names: [.generated("DIGEST-MD5", .unsaltedDigest)],
    payload: .binary(.hex, length: 16),
    verify: { password, stored, input in
      guard let computed = digestMD5Secret(password, login: input.login) else {
        return .unusable(problem: "libcrypto has no MD5")
      }
      return computed.withBytes { mine in stored.withBytes { .matching(LibCrypto.constantTimeEqual(mine, $0)) } }
    },
    generate: { password, _, options in
      guard let login = options.login else { return .failure(SchemeProblem("DIGEST-MD5 needs the login (-u)")) }
      guard let computed = digestMD5Secret(password, login: login) else {
        return .failure(SchemeProblem("libcrypto has no MD5"))
      }
      return .success(computed)
    })

  static func digestMD5Secret(_ password: Password, login: Login) -> SecretBytes? {
    let (user, realm) = login.dovecotUser
    let prefix = Array("\(user):\(realm):".utf8)
    return prefix.withUnsafeBytes { LibCrypto.digest(.md5, [$0, password.bytes]) }
  }
}
