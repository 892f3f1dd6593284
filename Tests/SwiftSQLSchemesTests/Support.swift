// Helpers for the scheme tests: passwords and stored values as the module
// sees them, and one check through the registry exactly as the module runs
// it (format detection, then SchemeRegistry.check).

import SchemeVectors
import SwiftSQLCore
import SwiftSQLSchemes
import Testing

/// Runs `body` with `bytes` as a PAM password (NUL-terminated, borrowed).
func withPassword<R>(_ bytes: [UInt8], _ body: (Password) -> R) -> R {
  let cString = bytes + [0]
  return cString.withUnsafeBufferPointer { buffer in
    buffer.withMemoryRebound(to: CChar.self) { chars in
      guard let base = chars.baseAddress else { fatalError("a C string array without storage") }
      return body(Password(cString: base, count: bytes.count))
    }
  }
}

/// What the module would answer for `password` against `stored`.
func check(_ stored: String, password: [UInt8], defaultScheme: String = "CRYPT", login: String = "alice@example.org")
  -> (outcome: CheckOutcome, format: HashFormat)
{
  let bytes = Array(stored.utf8)
  let format = HashFormat.detect(bytes, defaultScheme: defaultScheme)
  guard let parsed = try? Login.parse(Array(login.utf8), defaultDomain: nil, keepsBareLogin: true) else {
    fatalError("bad test login \(login)")
  }
  let context = QueryContext(login: parsed, service: "test", remoteHost: "")
  let outcome = withPassword(password) {
    SchemeRegistry().check($0, stored: SecretBytes(bytes), format: format, context: context)
  }
  return (outcome, format)
}

func check(_ stored: String, _ password: String, defaultScheme: String = "CRYPT", login: String = "alice@example.org")
  -> CheckOutcome
{
  check(stored, password: Array(password.utf8), defaultScheme: defaultScheme, login: login).outcome
}
