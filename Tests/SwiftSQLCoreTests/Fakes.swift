// In-memory stand-ins for the Authenticator's two capabilities, used by
// AuthenticatorTests: `FakeDirectory` answers queries with canned rows (or an
// AuthFailure) and records every query it was asked with the values bound;
// `FakeChecker` verifies a `{FAKE}password` (or `{STRONG}password`) stored
// value by comparing the payload with the password, and calls every other
// stored value unusable;
// for upgrades it ranks FAKE below STRONG and makes `{STRONG}password`
// values (or fails, when told to).
// Also helpers to build rows, passwords and configurations.

import SwiftSQLCore
import Testing

/// A `UserDirectory` that answers from memory and remembers what it was asked.
final class FakeDirectory: UserDirectory {
  struct Call: Equatable {
    let sql: String
    let values: [String]
    let limit: Int
  }

  private(set) var calls: [Call] = []
  private let respond: (CompiledQuery, QueryContext) throws(AuthFailure) -> [Row]

  init(respond: @escaping (CompiledQuery) throws(AuthFailure) -> [Row]) {
    self.respond = { query, _ throws(AuthFailure) in try respond(query) }
  }

  /// Answers by the login asked for.
  init(byLogin respond: @escaping (String) -> [Row]) {
    self.respond = { _, context in respond(context.login.full) }
  }

  /// Answers every query with `rows`.
  convenience init(rows: [Row]) {
    self.init { _ throws(AuthFailure) in rows }
  }

  /// Answers the query whose SQL mentions `FROM accounts` with
  /// `accountRows`, and any other with `passwordRows`.
  convenience init(passwordRows: [Row], accountRows: [Row]) {
    self.init { query throws(AuthFailure) in
      query.sql.contains("FROM accounts") ? accountRows : passwordRows
    }
  }

  /// Fails every query with `failure`.
  convenience init(failing failure: AuthFailure) {
    self.init { _ throws(AuthFailure) in throw failure }
  }

  func rows(of query: CompiledQuery, for context: QueryContext, limit: Int) throws(AuthFailure) -> [Row] {
    let statement = try query.statement(for: context)
    calls.append(Call(sql: statement.sql, values: statement.values, limit: limit))
    // A real driver returns at most `limit` rows.
    return Array(try respond(query, context).prefix(limit))
  }
}

/// A `PasswordChecker` for the scheme FAKE, whose stored form is
/// `{FAKE}` followed by the password itself.
final class FakeChecker: PasswordChecker {
  private(set) var formats: [HashFormat] = []
  /// Whether makeStoredValue fails.
  var failsToMake = false
  private(set) var made: [String] = []

  func strength(of algorithm: String) -> Int? {
    ["FAKE": 1, "STRONG": 4][algorithm]
  }

  func makeStoredValue(for password: Password, scheme: String, login: Login) -> Result<SecretBytes, SchemeProblem> {
    if failsToMake { return .failure(SchemeProblem("cannot make \(scheme)")) }
    let value = "{\(scheme)}" + String(decoding: password.bytes, as: UTF8.self)
    made.append(value)
    return .success(SecretBytes(Array(value.utf8)))
  }

  /// The schemes `decoy(scheme:)` was asked for.
  private(set) var decoySchemes: [String] = []

  /// A FAKE decoy whose shape is the stored value's length, so that tests
  /// can tell rows apart by it.
  func decoy(like stored: SecretBytes, format: HashFormat) -> Decoy? {
    guard format.scheme == "FAKE" else { return nil }
    return Decoy(
      value: SecretBytes(Array("{FAKE}".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: stored.count)),
      shape: "FAKE, length \(stored.count)")
  }

  func decoy(scheme: String) -> Decoy? {
    decoySchemes.append(scheme)
    return Decoy(value: SecretBytes(Array("{FAKE}configured".utf8)), shape: "FAKE, configured \(scheme)")
  }

  /// The stored values checked, as text (decoys included).
  private(set) var checked: [String] = []

  func check(_ password: Password, stored: SecretBytes, format: HashFormat, context: QueryContext) -> CheckOutcome {
    formats.append(format)
    checked.append(stored.nonSecretText)
    guard format.hasPrefix, format.scheme == "FAKE" || format.scheme == "STRONG" else {
      return .unusable(problem: "not a FAKE value")
    }
    let payload = stored.withBytes { Array($0.dropFirst(format.payloadOffset)) }
    return payload == Array(password.bytes) ? .match : .mismatch
  }
}

/// A row with text values (nil for NULL).
func row(_ columns: [String], _ values: [String?]) -> Row {
  Row(columns: columns, values: values.map { value in value.map { SecretBytes(Array($0.utf8)) } })
}

/// Runs `body` with `text` as a PAM password.
func withPassword<R>(_ text: String, _ body: (Password) -> R) -> R {
  let cString = Array(text.utf8CString)
  return cString.withUnsafeBufferPointer { buffer in
    // The array always holds at least the NUL, so it has storage.
    guard let base = buffer.baseAddress else { fatalError("a C string array without storage") }
    return body(Password(cString: base, count: text.utf8.count))
  }
}

/// The login `text` as `Login.parse` gives it (for expected values).
func parsedLogin(_ text: String) throws -> Login {
  try Login.parse(Array(text.utf8), defaultDomain: nil)
}

/// A configuration for the sqlite driver (positional placeholders).
func testConfiguration(
  passwordQuery: String = "SELECT password FROM users WHERE login = '%u'",
  accountQuery: String? = nil,
  extra: String = ""
) throws -> Configuration {
  var text = """
    driver = sqlite
    connect = /var/lib/mail/users.db
    default_pass_scheme = PLAIN
    password_query = \(passwordQuery)
    """
  if let accountQuery { text += "\naccount_query = \(accountQuery)" }
  text += "\n" + extra
  return try Configuration.resolve(
    fileText: text, arguments: ModuleArguments([]), isKnownScheme: { ["PLAIN", "CRYPT", "FAKE"].contains($0) })
}

extension Authenticator {
  func authenticate(
    _ login: String, password: String, service: String = "smtp", remoteHost: String = "",
    emptyPasswordAllowed: Bool = false
  ) -> Result<Login, AuthFailure> {
    withPassword(password) { password in
      Result { () throws(AuthFailure) -> Login in
        try authenticate(
          login: Array(login.utf8), password: password, service: service, remoteHost: remoteHost,
          emptyPasswordAllowed: emptyPasswordAllowed)
      }
    }
  }

  func authorize(
    _ login: String, service: String = "smtp", remoteHost: String = "", verifiedLogin: String?
  ) -> Result<Login, AuthFailure> {
    Result { () throws(AuthFailure) -> Login in
      try authorize(login: Array(login.utf8), service: service, remoteHost: remoteHost, verifiedLogin: verifiedLogin)
    }
  }
}

/// Whether `result` failed with `.unusableHash`, whatever its text.
func isUnusableHash(_ result: Result<Login, AuthFailure>) -> Bool {
  if case .failure(.unusableHash) = result { return true }
  return false
}

/// Whether `result` failed with `.misconfigured`, whatever its text.
func isMisconfigured(_ result: Result<Login, AuthFailure>) -> Bool {
  if case .failure(.misconfigured) = result { return true }
  return false
}
