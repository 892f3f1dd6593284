// What a password scheme is to the registry: the names it answers to (the
// `{SCHEME}` prefixes, upper-case) and one function that checks a password
// against a stored payload. Adding a scheme is one new file that defines a
// `PasswordScheme` value, plus its line in `SchemeRegistry.schemes`.

import SwiftSQLCore

/// The stored value as a scheme sees it: the payload after any `{SCHEME}`
/// prefix, both as bytes and as a NUL-terminated C string. Borrowed from a
/// SecretBytes for the duration of one check.
public struct StoredPayload {
  public let bytes: UnsafeRawBufferPointer
  public let cString: UnsafePointer<CChar>
  /// The scheme name as detected (`SHA512-CRYPT`, `CRYPT`, `PLAIN`, …).
  public let scheme: String
  public let encoding: PayloadEncoding
  /// Whether the name came from a `{…}` prefix rather than detection.
  public let hasPrefix: Bool
}

public struct PasswordScheme: Sendable {
  public let names: [String]
  let verify: @Sendable (Password, StoredPayload, QueryContext) -> CheckOutcome

  public init(names: [String], verify: @escaping @Sendable (Password, StoredPayload, QueryContext) -> CheckOutcome) {
    self.names = names
    self.verify = verify
  }
}
