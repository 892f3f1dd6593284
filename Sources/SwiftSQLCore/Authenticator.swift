// The decision. Given the login PAM names, the password, and two small
// capabilities (a directory that runs the configured queries, a checker that
// verifies a password against a stored value), it answers success or one
// AuthFailure. It owns the rules of DESIGN.md §4: the whole login is kept,
// an empty password needs nullok, no row is an unknown user, an empty or NULL
// stored value never matches, more than one row is a configuration error,
// and the account row's columns decide account management. After a verified
// login whose stored value uses a weaker scheme than upgrade_scheme, it
// stores a fresh one; that step can only log, never change the answer.
// After each answer it runs the configured audit statement, which likewise
// can only log.
//
// The capabilities are generic parameters, not existentials, so the core
// compiles in Embedded Swift; tests pass in-memory fakes.

/// The rows asked of password_query and account_query: one is the answer,
/// a second means the query does not pick out one login.
public let loginRowLimit = 2

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
  /// The stored value can never match (malformed, unknown scheme, bad
  /// encoding, a cost over the limits), found before any hashing.
  /// `problem` names what is wrong, never the value.
  case unusable(problem: String)
  /// The same, found only after the hash was computed (a crypt string that
  /// is truncated): the check already took a real check's time.
  case unusableAfterHashing(problem: String)

  /// What is wrong with an unusable stored value; nil for a match or a
  /// mismatch.
  public var problem: String? {
    switch self {
    case .match, .mismatch: nil
    case .unusable(let problem), .unusableAfterHashing(let problem): problem
    }
  }
}

/// Verifies passwords, and makes new stored values and decoys. Implemented
/// by the scheme registry (SwiftSQLSchemes).
public protocol PasswordChecker: DecoyMaker {
  func check(_ password: Password, stored: SecretBytes, format: HashFormat, context: QueryContext) -> CheckOutcome

  /// How strong an algorithm is, for upgrades: higher is stronger; nil for
  /// a name the checker does not know.
  func strength(of algorithm: String) -> Int?

  /// A fresh stored value, `{SCHEME}` prefix included, or why there is none.
  func makeStoredValue(for password: Password, scheme: String, login: Login) -> Result<SecretBytes, SchemeProblem>
}

/// Where the decoys of one configuration are kept: learned from the rows
/// verified, handed out for logins that have no usable row. The module's
/// keeper is shared by the threads of a process (SwiftSQLRuntime);
/// `LocalDecoys` serves one thread.
public protocol DecoyKeeper {
  /// Counts a verified row's shape.
  func learn(_ decoy: Decoy)
  /// The decoy for a login without a usable row. `fallback` makes one in the
  /// configured scheme while no row has been verified; it is called at most
  /// once per keeper.
  func next(fallback: () -> Decoy?) -> Decoy?
}

extension Authenticator where Decoys == LocalDecoys {
  /// An authenticator with decoys of its own, for one thread (the tool's
  /// checks, tests); the module shares its decoys across a process.
  public init(configuration: Configuration, directory: Directory, checker: Checker, log: Log = .silent) {
    self.init(configuration: configuration, directory: directory, checker: checker, decoys: LocalDecoys(), log: log)
  }
}

/// A DecoyKeeper for one thread: the tool's checks and the unit tests.
public final class LocalDecoys: DecoyKeeper {
  public private(set) var pool = DecoyPool()
  private var fallback: Decoy?? = nil

  public init() {}

  public func learn(_ decoy: Decoy) { pool.learn(decoy) }

  public func next(fallback make: () -> Decoy?) -> Decoy? {
    if let decoy = pool.next() { return decoy }
    if let fallback { return fallback }
    let made = make()
    fallback = .some(made)
    return made
  }
}

/// Why a scheme could not do what was asked; never holds a secret.
public struct SchemeProblem: Error, Equatable, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
}

/// The PAM step an audit statement follows.
public enum AuditStep: Sendable {
  case authentication
  case account
}

/// Where the module runs, for `%{pid}` and `%{hostname}`.
public struct ProcessFacts: Sendable {
  public let pid: String
  public let hostname: String
  public init(pid: String, hostname: String) {
    self.pid = pid
    self.hostname = hostname
  }
}

/// The account flags `account_query` may return, by column name.
public enum AccountColumn {
  public static let active = "active"
  public static let expired = "expired"
  public static let passwordExpired = "password_expired"
  public static let all = [active, expired, passwordExpired]
}

/// The row password_query returned for a login, and its stored value as
/// `HashFormat` reads it (prefix, or default_pass_scheme, or crypt(3)).
public struct StoredPassword {
  public let row: Row
  public let value: SecretBytes
  public let format: HashFormat
}

public struct Authenticator<Directory: UserDirectory, Checker: PasswordChecker, Decoys: DecoyKeeper> {
  public let configuration: Configuration
  public let directory: Directory
  public let checker: Checker
  /// Debug lines (with `debug`) and the upgrade's outcome. Never a secret.
  let log: Log
  /// What a login without a usable stored value is checked against, so that
  /// it takes as long as a wrong password (Decoy.swift).
  let decoys: Decoys

  public init(configuration: Configuration, directory: Directory, checker: Checker, decoys: Decoys, log: Log = .silent)
  {
    self.configuration = configuration
    self.directory = directory
    self.checker = checker
    self.decoys = decoys
    self.log = log
  }

  var settings: Settings { configuration.settings }

  /// Parses the login, applying `default_domain` and `allow_bare_logins`.
  public func login(_ raw: [UInt8]) throws(AuthFailure) -> Login {
    do {
      return try Login.parse(raw, defaultDomain: settings.defaultDomain, keepsBareLogin: settings.allowBareLogins)
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

    let found: StoredPassword
    do {
      found = try storedPassword(for: context)
    } catch {
      // No row, or nothing to verify in it: as long as a wrong password.
      switch error {
      case .unknownUser, .unusableHash: spendDecoyTime(password, context: context)
      default: break
      }
      throw error
    }
    let stored = found.value
    let format = found.format
    // A `{…}` prefix that names no scheme may be a plaintext password that
    // starts with a brace: never echo it.
    let scheme = checker.strength(of: format.scheme) == nil ? "unknown" : format.scheme
    log.debug("stored password of \(login.full) uses scheme \(scheme == "unknown" ? scheme : format.algorithm)")
    let outcome = checker.check(password, stored: stored, format: format, context: context)
    switch outcome {
    case .match, .mismatch:
      if let decoy = checker.decoy(like: stored, format: format) { decoys.learn(decoy) }
    case .unusable:
      spendDecoyTime(password, context: context)
    case .unusableAfterHashing:
      break
    }
    switch outcome {
    case .match:
      upgradeIfWeaker(format, password: password, context: context)
      return login
    case .mismatch:
      throw .wrongPassword
    case .unusable(let problem), .unusableAfterHashing(let problem):
      throw .unusableHash(scheme: scheme, problem: problem)
    }
  }

  /// password_query's answer for `context`: its one row and the stored
  /// value in it, or why there is none: `unknownUser` (no row),
  /// `misconfigured` (more than one), `unusableHash` (NULL or empty). No
  /// password is involved and no time is spent on decoys: `authenticate`
  /// does that, and the doctor asks the same question through here.
  public func storedPassword(for context: QueryContext) throws(AuthFailure) -> StoredPassword {
    let login = context.login
    let rows = try directory.rows(of: configuration.passwordQuery, for: context, limit: loginRowLimit)
    guard let row = rows.first else {
      log.debug("password_query returned no row for \(login.full)")
      throw .unknownUser
    }
    if rows.count > 1 {
      throw .moreThanOneRow("password_query", for: login)
    }
    let column = row.index(of: "password") ?? 0
    guard column < row.values.count, let stored = row.values[column] else {
      throw .unusableHash(scheme: "-", problem: "the stored value is NULL")
    }
    if stored.isEmpty { throw .unusableHash(scheme: "-", problem: "the stored value is empty") }
    let format = stored.withBytes { HashFormat.detect(Array($0), defaultScheme: settings.defaultPassScheme) }
    return StoredPassword(row: row, value: stored, format: format)
  }

  /// Checks the password against a decoy and ignores the outcome: the time
  /// a real check of a row like the others would have taken, without a
  /// real stored value.
  func spendDecoyTime(_ password: Password, context: QueryContext) {
    let decoy = decoys.next { checker.decoy(scheme: configuration.decoyScheme) }
    guard let decoy else {
      log.debug("no decoy to check: \(configuration.decoyScheme) values cannot be made")
      return
    }
    log.debug("checked a decoy of \(decoy.shape)")
    let format = decoy.value.withBytes { HashFormat.detect(Array($0), defaultScheme: settings.defaultPassScheme) }
    _ = checker.check(password, stored: decoy.value, format: format, context: context)
  }

  /// Stores a fresh value in upgrade_scheme when the verified one is weaker.
  /// Failures are logged; the login has succeeded either way.
  func upgradeIfWeaker(_ format: HashFormat, password: Password, context: QueryContext) {
    guard let upgrade = configuration.upgrade,
      let current = checker.strength(of: format.algorithm),
      let target = checker.strength(of: upgrade.scheme),
      current < target
    else { return }
    let login = context.login.full
    let newValue: SecretBytes
    switch checker.makeStoredValue(for: password, scheme: upgrade.scheme, login: context.login) {
    case .success(let made): newValue = made
    case .failure(let problem):
      log.error("cannot upgrade the stored password of \(login) to \(upgrade.scheme): \(problem.message)")
      return
    }
    var updateContext = context
    updateContext.newHash = newValue.nonSecretText
    do {
      _ = try directory.rows(of: upgrade.query, for: updateContext, limit: 0)
      log.notice("stored password of \(login) upgraded from \(format.algorithm) to \(upgrade.scheme)")
    } catch {
      // A database message may quote the value it refused: the drivers mask
      // quoted text, and no fragment of the new value may remain either.
      var secret = newValue.withBytes { Array($0) }
      defer { secret.withUnsafeMutableBytes { wipe($0) } }
      let reason = LogText.removingFragments(of: secret, from: error.reason)
      log.error(
        "password_update_query failed for \(login) (the login still succeeds; the old hash stays): \(reason)")
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
      let rows = try directory.rows(of: configuration.passwordQuery, for: context, limit: loginRowLimit)
      if rows.isEmpty { throw .unknownUser }
      if rows.count > 1 {
        throw .moreThanOneRow("password_query", for: login)
      }
      return login
    }

    let rows = try directory.rows(of: accountQuery, for: context, limit: loginRowLimit)
    guard let row = rows.first else { throw .unknownUser }
    if rows.count > 1 {
      throw .moreThanOneRow("account_query", for: login)
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

  /// Runs the audit statement for `step` and its outcome (`failure` nil on
  /// success), if one is configured. The answer is already decided: a
  /// failing statement is logged and changes nothing. Nothing is run when
  /// the database was unavailable (the statement would only wait for the
  /// same timeout again).
  ///
  /// A login that was refused before any query is bound as it was given,
  /// made printable (control characters as '?', cut to a few hundred
  /// bytes), with %n the same and %d empty.
  public func audit(
    _ step: AuditStep, login raw: [UInt8], failure: AuthFailure?, service: String, remoteHost: String,
    process: ProcessFacts
  ) {
    let audit = configuration.audit
    let query: CompiledQuery?
    switch (step, failure) {
    case (.authentication, nil): query = audit.authSuccess
    case (.authentication, .some): query = audit.authFailure
    case (.account, nil): query = audit.accountSuccess
    case (.account, .some): query = audit.accountFailure
    }
    guard let query else { return }
    if case .unavailable = failure { return }

    let login: Login
    do {
      login = try self.login(raw)
    } catch {
      login = Login(localPart: LogText.printable(raw), domain: "")
    }
    var context = QueryContext(login: login, service: service, remoteHost: remoteHost)
    context.reason = failure?.reason ?? ""
    context.pid = process.pid
    context.hostname = process.hostname
    let name = Self.auditKey(step, succeeded: failure == nil)
    do {
      _ = try directory.rows(of: query, for: context, limit: 0)
      log.debug("\(name) ran for \(login.full)")
    } catch {
      log.error("\(name) failed for \(login.full) (the answer stands): \(error.reason)")
    }
  }

  /// The setting that holds the audit statement for a step and outcome.
  static func auditKey(_ step: AuditStep, succeeded: Bool) -> String {
    switch step {
    case .authentication: succeeded ? "auth_success_query" : "auth_failure_query"
    case .account: succeeded ? "account_success_query" : "account_failure_query"
    }
  }
}
