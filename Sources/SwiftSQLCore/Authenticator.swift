// The decision. Given the login PAM names, the password, and two small
// capabilities (a directory that runs the configured queries, a checker that
// verifies a password against a stored value), it answers success or one
// AuthFailure. It owns the rules of DESIGN.md §4: the whole login is kept,
// an empty password needs nullok, no row is an unknown user, an empty or NULL
// stored value never matches, more than one row is a configuration error,
// and the account row's columns decide account management.
//
// The capabilities are generic parameters, not existentials, so the core
// compiles in Embedded Swift; tests pass in-memory fakes.

/// Runs the configured queries. Implemented over the real drivers by the PAM
/// glue, and by fakes in tests.
public protocol UserDirectory {
  /// Runs `query` with the values of `context` bound, and returns at most
  /// `limit` rows.
  func rows(of query: CompiledQuery, for context: QueryContext, limit: Int) throws(AuthFailure) -> [Row]
}

/// What checking one password against one stored value found.
public enum CheckOutcome: Equatable, Sendable {
  case match
  case mismatch
  /// The stored value can never match (malformed, truncated, unknown scheme,
  /// bad encoding). `problem` names what is wrong, never the value.
  case unusable(problem: String)
}

/// Verifies passwords. Implemented by the scheme registry (SwiftSQLSchemes).
public protocol PasswordChecker {
  func check(_ password: Password, stored: SecretBytes, format: HashFormat, context: QueryContext) -> CheckOutcome
}

/// The account flags `account_query` may return, by column name.
public enum AccountColumn {
  public static let active = "active"
  public static let expired = "expired"
  public static let passwordExpired = "password_expired"
  public static let all = [active, expired, passwordExpired]
}

public struct Authenticator<Directory: UserDirectory, Checker: PasswordChecker> {
  public let configuration: Configuration
  public let directory: Directory
  public let checker: Checker
  /// Receives step-by-step lines when `debug` is set. Never a secret.
  let trace: (String) -> Void

  public init(
    configuration: Configuration, directory: Directory, checker: Checker,
    trace: @escaping (String) -> Void = { _ in }
  ) {
    self.configuration = configuration
    self.directory = directory
    self.checker = checker
    self.trace = trace
  }

  var settings: Settings { configuration.settings }

  /// Parses the login, applying `default_domain`.
  public func login(_ raw: [UInt8]) throws(AuthFailure) -> Login {
    do {
      return try Login.parse(raw, defaultDomain: settings.defaultDomain)
    } catch {
      throw .loginRejected(error)
    }
  }

  /// pam_sm_authenticate: verifies `password` for the login `raw`.
  ///
  /// - Parameter emptyPasswordAllowed: `nullok`, unless the application
  ///   passed PAM_DISALLOW_NULL_AUTHTOK.
  /// - Returns: the login that was verified.
  public func authenticate(
    login raw: [UInt8], password: Password, service: String, remoteHost: String, emptyPasswordAllowed: Bool
  ) throws(AuthFailure) -> Login {
    let login = try login(raw)
    if password.isEmpty && !emptyPasswordAllowed { throw .emptyPassword }
    let context = QueryContext(login: login, service: service, remoteHost: remoteHost)

    let rows = try directory.rows(of: configuration.passwordQuery, for: context, limit: 2)
    guard let row = rows.first else {
      trace("password_query returned no row for \(login.full)")
      throw .unknownUser
    }
    if rows.count > 1 {
      throw .misconfigured("password_query returned more than one row for \(login.full); it must return at most one")
    }
    let column = row.index(of: "password") ?? 0
    guard column < row.values.count, let stored = row.values[column] else {
      throw .unusableHash(scheme: "-", problem: "the stored value is NULL")
    }
    if stored.isEmpty { throw .unusableHash(scheme: "-", problem: "the stored value is empty") }

    let format = stored.withBytes { HashFormat.detect(Array($0), defaultScheme: settings.defaultPassScheme) }
    trace("stored password of \(login.full) uses scheme \(format.scheme)")
    switch checker.check(password, stored: stored, format: format, context: context) {
    case .match:
      return login
    case .mismatch:
      throw .wrongPassword
    case .unusable(let problem):
      throw .unusableHash(scheme: format.scheme, problem: problem)
    }
  }

  /// pam_sm_acct_mgmt: decides whether the login may use the service.
  ///
  /// - Parameter verifiedLogin: the login this PAM transaction already
  ///   verified, if any; without `account_query` it is allowed without a
  ///   second query.
  public func authorize(
    login raw: [UInt8], service: String, remoteHost: String, verifiedLogin: String?
  ) throws(AuthFailure) -> Login {
    let login = try login(raw)
    let context = QueryContext(login: login, service: service, remoteHost: remoteHost)

    guard let accountQuery = configuration.accountQuery else {
      if verifiedLogin == login.full { return login }
      // Not verified by us in this transaction: the login must at least exist,
      // under the same rule as authentication (one row).
      let rows = try directory.rows(of: configuration.passwordQuery, for: context, limit: 2)
      if rows.isEmpty { throw .unknownUser }
      if rows.count > 1 {
        throw .misconfigured("password_query returned more than one row for \(login.full); it must return at most one")
      }
      return login
    }

    let rows = try directory.rows(of: accountQuery, for: context, limit: 2)
    guard let row = rows.first else { throw .unknownUser }
    if rows.count > 1 {
      throw .misconfigured("account_query returned more than one row for \(login.full); it must return at most one")
    }
    let present = AccountColumn.all.filter { row.index(of: $0) != nil }
    if present.isEmpty {
      throw .misconfigured(
        "account_query returns none of the columns active, expired, password_expired; "
          + "name its columns with AS, e.g. SELECT enabled AS active …")
    }
    if try flag(AccountColumn.active, in: row) == false { throw .accountDisabled }
    if try flag(AccountColumn.expired, in: row) == true { throw .accountExpired }
    if try flag(AccountColumn.passwordExpired, in: row) == true { throw .passwordExpired }
    return login
  }

  /// The boolean in column `name`: nil if the column is absent, false for
  /// NULL (so a NULL `active` denies), an error for anything not boolean.
  func flag(_ name: String, in row: Row) throws(AuthFailure) -> Bool? {
    guard let index = row.index(of: name), index < row.values.count else { return nil }
    guard let value = row.values[index] else { return false }
    switch value.nonSecretText.lowercased() {
    case "t", "true", "1", "y", "yes", "on": return true
    case "f", "false", "0", "n", "no", "off", "": return false
    default:
      throw .misconfigured("account_query column \(name) holds a value that is not a boolean")
    }
  }
}
