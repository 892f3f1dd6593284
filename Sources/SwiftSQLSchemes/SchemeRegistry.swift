// The schemes this module verifies, looked up by name. It is the core's
// PasswordChecker: the core has already read the `{SCHEME}` prefix or
// recognised the crypt(3) `$id$`; the registry hands the payload to the
// scheme with that name, and turns an unknown name or an encoding a scheme
// does not take into an "unusable" outcome, never a match.

import SwiftSQLCore

public struct SchemeRegistry: PasswordChecker, Sendable {
  /// Every scheme, once. Add new schemes here.
  static let schemes: [PasswordScheme] = [
    .crypt,
    .plain,
  ]

  /// Scheme by name, built once.
  static let byName: [String: PasswordScheme] = {
    var table: [String: PasswordScheme] = [:]
    for scheme in schemes {
      for name in scheme.names { table[name] = scheme }
    }
    return table
  }()

  public init() {}

  /// Whether `name` (upper-case) is a scheme this module verifies.
  public static func knows(_ name: String) -> Bool { byName[name] != nil }

  /// All scheme names, sorted.
  public static var names: [String] { byName.keys.sorted() }

  public func check(_ password: Password, stored: SecretBytes, format: HashFormat, context: QueryContext)
    -> CheckOutcome
  {
    guard let scheme = SchemeRegistry.byName[format.scheme] else {
      return .unusable(problem: "unknown scheme {\(format.scheme)}")
    }
    return stored.withCString { whole in
      stored.withBytes { bytes in
        let offset = min(format.payloadOffset, bytes.count)
        let payload = StoredPayload(
          bytes: UnsafeRawBufferPointer(rebasing: bytes[offset...]),
          cString: whole + offset,
          scheme: format.scheme,
          encoding: format.encoding,
          hasPrefix: format.hasPrefix)
        return scheme.verify(password, payload, context)
      }
    }
  }
}
