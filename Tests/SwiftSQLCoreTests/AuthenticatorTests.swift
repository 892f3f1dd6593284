// Covers `Authenticator` with the in-memory fakes of Fakes.swift:
// `authenticate` (right and wrong password, no row, two rows, NULL or empty
// stored value, a value the checker cannot use, empty passwords with and
// without nullok, no query at all for an empty password or a rejected login,
// which column holds the hash, the login parts bound as values, the default
// domain, a database error passed through unchanged) and `authorize` (no
// account_query: the verified login needs no query, any other login must
// exist; with account_query: active, expired and password_expired in their
// boolean spellings, NULL, column names in any case, no row, none of the
// columns, a non-boolean value).

import SwiftSQLCore
import Testing

@Suite("Authenticator.authenticate")
struct AuthenticateTests {
  @Test("the right password returns the login")
  func rightPassword() throws {
    let directory = FakeDirectory(rows: [row(["password"], ["{FAKE}secret"])])
    let checker = FakeChecker()
    let authenticator = Authenticator(configuration: try testConfiguration(), directory: directory, checker: checker)
    let result = authenticator.authenticate("alice@example.org", password: "secret")
    #expect(result == .success(try parsedLogin("alice@example.org")))
    #expect(directory.calls.count == 1)
    #expect(checker.formats.map(\.scheme) == ["FAKE"])
  }

  @Test("a wrong password is .wrongPassword", arguments: ["Secret", "secre", "secrets", "x"])
  func wrongPassword(_ password: String) throws {
    let directory = FakeDirectory(rows: [row(["password"], ["{FAKE}secret"])])
    let authenticator = Authenticator(
      configuration: try testConfiguration(), directory: directory, checker: FakeChecker())
    #expect(authenticator.authenticate("alice@example.org", password: password) == .failure(.wrongPassword))
  }

  @Test("no row is .unknownUser")
  func noRow() throws {
    let authenticator = Authenticator(
      configuration: try testConfiguration(), directory: FakeDirectory(rows: []), checker: FakeChecker())
    #expect(authenticator.authenticate("nobody@example.org", password: "secret") == .failure(.unknownUser))
  }

  @Test("two rows are a configuration error")
  func twoRows() throws {
    let directory = FakeDirectory(rows: [
      row(["password"], ["{FAKE}secret"]), row(["password"], ["{FAKE}secret"]),
    ])
    let checker = FakeChecker()
    let authenticator = Authenticator(configuration: try testConfiguration(), directory: directory, checker: checker)
    #expect(isMisconfigured(authenticator.authenticate("alice@example.org", password: "secret")))
    #expect(checker.formats.isEmpty)
  }

  @Test("a NULL stored value is unusable")
  func nullStoredValue() throws {
    let checker = FakeChecker()
    let authenticator = Authenticator(
      configuration: try testConfiguration(), directory: FakeDirectory(rows: [row(["password"], [nil])]),
      checker: checker)
    #expect(isUnusableHash(authenticator.authenticate("alice@example.org", password: "secret")))
    #expect(checker.checked == ["{FAKE}configured"], "only the decoy is checked")
  }

  @Test("an empty stored value is unusable, even for an allowed empty password")
  func emptyStoredValue() throws {
    let checker = FakeChecker()
    let authenticator = Authenticator(
      configuration: try testConfiguration(), directory: FakeDirectory(rows: [row(["password"], [""])]),
      checker: checker)
    #expect(isUnusableHash(authenticator.authenticate("alice@example.org", password: "secret")))
    #expect(isUnusableHash(authenticator.authenticate("alice@example.org", password: "", emptyPasswordAllowed: true)))
    #expect(checker.checked == ["{FAKE}configured", "{FAKE}configured"], "only the decoy is checked")
  }

  @Test("a value the checker cannot use is unusable", arguments: ["{BROKEN}secret", "secret", "$6$salt$hash"])
  func checkerSaysUnusable(_ stored: String) throws {
    let authenticator = Authenticator(
      configuration: try testConfiguration(), directory: FakeDirectory(rows: [row(["password"], [stored])]),
      checker: FakeChecker())
    #expect(isUnusableHash(authenticator.authenticate("alice@example.org", password: "secret")))
  }

  @Test("an empty password is refused without nullok, and no query is made")
  func emptyPasswordRefused() throws {
    let directory = FakeDirectory(rows: [row(["password"], ["{FAKE}"])])
    let checker = FakeChecker()
    let authenticator = Authenticator(configuration: try testConfiguration(), directory: directory, checker: checker)
    let result = authenticator.authenticate("alice@example.org", password: "", emptyPasswordAllowed: false)
    #expect(result == .failure(.emptyPassword))
    #expect(directory.calls.isEmpty)
    #expect(checker.formats.isEmpty)
  }

  @Test("an empty password is checked when allowed")
  func emptyPasswordAllowed() throws {
    let directory = FakeDirectory(rows: [row(["password"], ["{FAKE}"])])
    let authenticator = Authenticator(
      configuration: try testConfiguration(), directory: directory, checker: FakeChecker())
    let result = authenticator.authenticate("alice@example.org", password: "", emptyPasswordAllowed: true)
    #expect(result == .success(try parsedLogin("alice@example.org")))
    #expect(directory.calls.count == 1)
  }

  @Test("an allowed empty password still has to match")
  func emptyPasswordAllowedButWrong() throws {
    let authenticator = Authenticator(
      configuration: try testConfiguration(), directory: FakeDirectory(rows: [row(["password"], ["{FAKE}secret"])]),
      checker: FakeChecker())
    #expect(
      authenticator.authenticate("alice@example.org", password: "", emptyPasswordAllowed: true)
        == .failure(.wrongPassword))
  }

  @Test(
    "a rejected login fails before any query",
    arguments: [
      ("", LoginRejection.empty),
      ("alice", .bareWithoutDefaultDomain),
      ("alice\n@example.org", .controlCharacter),
      ("@example.org", .emptyLocalPart),
    ])
  func rejectedLogin(login: String, rejection: LoginRejection) throws {
    let directory = FakeDirectory(rows: [row(["password"], ["{FAKE}secret"])])
    let checker = FakeChecker()
    let authenticator = Authenticator(configuration: try testConfiguration(), directory: directory, checker: checker)
    #expect(authenticator.authenticate(login, password: "secret") == .failure(.loginRejected(rejection)))
    #expect(directory.calls.isEmpty)
    #expect(checker.formats.isEmpty)
  }

  @Test("a column named password, in any case, holds the hash", arguments: ["password", "PASSWORD", "Password"])
  func passwordColumn(_ name: String) throws {
    let directory = FakeDirectory(rows: [
      row(["userid", "home", name], ["{FAKE}wrong-1", "{FAKE}wrong-2", "{FAKE}secret"])
    ])
    let authenticator = Authenticator(
      configuration: try testConfiguration(), directory: directory, checker: FakeChecker())
    #expect(
      authenticator.authenticate("alice@example.org", password: "secret")
        == .success(try parsedLogin("alice@example.org")))
    #expect(authenticator.authenticate("alice@example.org", password: "wrong-1") == .failure(.wrongPassword))
  }

  @Test("without a password column the first column holds the hash")
  func firstColumn() throws {
    let directory = FakeDirectory(rows: [row(["hash", "other"], ["{FAKE}secret", "{FAKE}other"])])
    let authenticator = Authenticator(
      configuration: try testConfiguration(), directory: directory, checker: FakeChecker())
    #expect(
      authenticator.authenticate("alice@example.org", password: "secret")
        == .success(try parsedLogin("alice@example.org")))
    #expect(authenticator.authenticate("alice@example.org", password: "other") == .failure(.wrongPassword))
  }

  @Test("the login parts, service and remote host are the values bound")
  func boundValues() throws {
    let configuration = try testConfiguration(
      passwordQuery:
        "SELECT password FROM users WHERE login = '%u' AND username = '%n' AND domain = '%d' "
        + "AND service = '%s' AND rip = '%r'")
    let directory = FakeDirectory(rows: [row(["password"], ["{FAKE}secret"])])
    let authenticator = Authenticator(configuration: configuration, directory: directory, checker: FakeChecker())
    let result = authenticator.authenticate(
      "alice@EXAMPLE.ORG", password: "secret", service: "imap", remoteHost: "192.0.2.1")
    #expect(result == .success(try parsedLogin("alice@example.org")))
    #expect(directory.calls.count == 1)
    #expect(
      directory.calls.first?.sql
        == "SELECT password FROM users WHERE login = ? AND username = ? AND domain = ? AND service = ? AND rip = ?")
    #expect(directory.calls.first?.values == ["alice@example.org", "alice", "example.org", "imap", "192.0.2.1"])
  }

  @Test("the whole login is bound, split at the last @")
  func wholeLoginBound() throws {
    let configuration = try testConfiguration(
      passwordQuery: "SELECT password FROM users WHERE login = '%u' AND username = '%n' AND domain = '%d'")
    let directory = FakeDirectory(rows: [row(["password"], ["{FAKE}secret"])])
    let authenticator = Authenticator(configuration: configuration, directory: directory, checker: FakeChecker())
    _ = authenticator.authenticate("a@b@Example.org", password: "secret")
    #expect(directory.calls.first?.values == ["a@b@example.org", "a@b", "example.org"])
  }

  @Test("a bare name is bound with the default domain")
  func defaultDomainBound() throws {
    let configuration = try testConfiguration(
      passwordQuery: "SELECT password FROM users WHERE username = '%n' AND domain = '%d' OR login = %u",
      extra: "default_domain = Example.org")
    let directory = FakeDirectory(rows: [row(["password"], ["{FAKE}secret"])])
    let authenticator = Authenticator(configuration: configuration, directory: directory, checker: FakeChecker())
    let result = authenticator.authenticate("alice", password: "secret")
    #expect(result.map(\.full) == .success("alice@example.org"))
    #expect(directory.calls.first?.values == ["alice", "example.org", "alice@example.org"])
  }

  @Test("a database error is passed through unchanged")
  func unavailable() throws {
    let checker = FakeChecker()
    let authenticator = Authenticator(
      configuration: try testConfiguration(), directory: FakeDirectory(failing: .unavailable("timeout after 5 s")),
      checker: checker)
    #expect(
      authenticator.authenticate("alice@example.org", password: "secret")
        == .failure(.unavailable("timeout after 5 s")))
    #expect(checker.formats.isEmpty)
  }

  @Test("the stored value's format is read with the default scheme")
  func formatPassedToChecker() throws {
    let checker = FakeChecker()
    let authenticator = Authenticator(
      configuration: try testConfiguration(), directory: FakeDirectory(rows: [row(["password"], ["plaintext"])]),
      checker: checker)
    _ = authenticator.authenticate("alice@example.org", password: "secret")
    // The row as PLAIN (which the fake cannot use), then the decoy.
    #expect(checker.formats.map(\.scheme) == ["PLAIN", "FAKE"])
    #expect(checker.formats.first?.hasPrefix == false)
  }
}

@Suite("Authenticator.authorize without account_query")
struct AuthorizeWithoutAccountQueryTests {
  @Test("the login this transaction verified is allowed without a query")
  func verifiedLogin() throws {
    let directory = FakeDirectory(rows: [])
    let authenticator = Authenticator(
      configuration: try testConfiguration(), directory: directory, checker: FakeChecker())
    let result = authenticator.authorize("alice@example.org", verifiedLogin: "alice@example.org")
    #expect(result == .success(try parsedLogin("alice@example.org")))
    #expect(directory.calls.isEmpty)
  }

  @Test("the verified login matches after the domain is lower-cased")
  func verifiedLoginDomainCase() throws {
    let directory = FakeDirectory(rows: [])
    let authenticator = Authenticator(
      configuration: try testConfiguration(), directory: directory, checker: FakeChecker())
    let result = authenticator.authorize("alice@EXAMPLE.org", verifiedLogin: "alice@example.org")
    #expect(result == .success(try parsedLogin("alice@example.org")))
    #expect(directory.calls.isEmpty)
  }

  @Test("an unverified login that exists is allowed after the password query", arguments: [nil, "bob@example.org"])
  func unverifiedExisting(_ verified: String?) throws {
    let configuration = try testConfiguration()
    let directory = FakeDirectory(rows: [row(["password"], ["{FAKE}secret"])])
    let authenticator = Authenticator(configuration: configuration, directory: directory, checker: FakeChecker())
    let result = authenticator.authorize("alice@example.org", verifiedLogin: verified)
    #expect(result == .success(try parsedLogin("alice@example.org")))
    #expect(directory.calls.count == 1)
    #expect(directory.calls.first?.sql == configuration.passwordQuery.sql)
    #expect(directory.calls.first?.values == ["alice@example.org"])
  }

  @Test("an unverified login with two rows is a configuration error, as in authentication")
  func unverifiedTwoRows() throws {
    let directory = FakeDirectory(rows: [row(["password"], ["{FAKE}a"]), row(["password"], ["{FAKE}b"])])
    let authenticator = Authenticator(
      configuration: try testConfiguration(), directory: directory, checker: FakeChecker())
    #expect(isMisconfigured(authenticator.authorize("alice@example.org", verifiedLogin: nil)))
  }

  @Test("an unverified login without a row is .unknownUser", arguments: [nil, "bob@example.org"])
  func unverifiedUnknown(_ verified: String?) throws {
    let directory = FakeDirectory(rows: [])
    let authenticator = Authenticator(
      configuration: try testConfiguration(), directory: directory, checker: FakeChecker())
    #expect(authenticator.authorize("alice@example.org", verifiedLogin: verified) == .failure(.unknownUser))
    #expect(directory.calls.count == 1)
  }

  @Test("a rejected login fails before any query")
  func rejectedLogin() throws {
    let directory = FakeDirectory(rows: [row(["password"], ["{FAKE}secret"])])
    let authenticator = Authenticator(
      configuration: try testConfiguration(), directory: directory, checker: FakeChecker())
    #expect(authenticator.authorize("alice", verifiedLogin: nil) == .failure(.loginRejected(.bareWithoutDefaultDomain)))
    #expect(directory.calls.isEmpty)
  }

  @Test("a database error is passed through unchanged")
  func unavailable() throws {
    let authenticator = Authenticator(
      configuration: try testConfiguration(), directory: FakeDirectory(failing: .unavailable("connection refused")),
      checker: FakeChecker())
    #expect(
      authenticator.authorize("alice@example.org", verifiedLogin: nil) == .failure(.unavailable("connection refused")))
  }
}

/// What `authorize` must answer for one account row.
enum AccountOutcome: Sendable, Equatable {
  case allowed
  case refused(AuthFailure)
  case misconfigured
}

/// One account row (text values, nil for NULL) and the expected answer.
struct AccountCase: Sendable, CustomTestStringConvertible {
  let columns: [String]
  let values: [String?]
  let outcome: AccountOutcome

  init(_ columns: [String], _ values: [String?], _ outcome: AccountOutcome) {
    self.columns = columns
    self.values = values
    self.outcome = outcome
  }

  var testDescription: String {
    zip(columns, values).map { "\($0)=\($1 ?? "NULL")" }.joined(separator: " ") + " → \(outcome)"
  }
}

@Suite("Authenticator.authorize with account_query")
struct AuthorizeWithAccountQueryTests {
  static let accountQuery = "SELECT active, expired, password_expired FROM accounts WHERE login = '%u'"
  static let all = ["active", "expired", "password_expired"]

  static let cases: [AccountCase] = [
    // Everything fine, in each boolean spelling.
    AccountCase(all, ["t", "f", "f"], .allowed),
    AccountCase(all, ["true", "false", "false"], .allowed),
    AccountCase(all, ["1", "0", "0"], .allowed),
    AccountCase(all, ["yes", "no", "no"], .allowed),
    // active false.
    AccountCase(all, ["f", "f", "f"], .refused(.accountDisabled)),
    AccountCase(all, ["false", "f", "f"], .refused(.accountDisabled)),
    AccountCase(all, ["0", "f", "f"], .refused(.accountDisabled)),
    AccountCase(all, ["no", "f", "f"], .refused(.accountDisabled)),
    AccountCase(all, [nil, "f", "f"], .refused(.accountDisabled)),
    // expired true.
    AccountCase(all, ["t", "t", "f"], .refused(.accountExpired)),
    AccountCase(all, ["t", "true", "f"], .refused(.accountExpired)),
    AccountCase(all, ["t", "1", "f"], .refused(.accountExpired)),
    AccountCase(all, ["t", "yes", "f"], .refused(.accountExpired)),
    // password_expired true.
    AccountCase(all, ["t", "f", "t"], .refused(.passwordExpired)),
    AccountCase(all, ["t", "f", "true"], .refused(.passwordExpired)),
    AccountCase(all, ["t", "f", "1"], .refused(.passwordExpired)),
    AccountCase(all, ["t", "f", "yes"], .refused(.passwordExpired)),
    // Column names in any case.
    AccountCase(["ACTIVE", "EXPIRED", "PASSWORD_EXPIRED"], ["f", "f", "f"], .refused(.accountDisabled)),
    AccountCase(["Active", "Expired", "Password_Expired"], ["t", "t", "f"], .refused(.accountExpired)),
    AccountCase(["ACTIVE", "EXPIRED", "PASSWORD_EXPIRED"], ["t", "f", "t"], .refused(.passwordExpired)),
    AccountCase(["ACTIVE", "EXPIRED", "PASSWORD_EXPIRED"], ["t", "f", "f"], .allowed),
    // Only some of the columns.
    AccountCase(["active"], ["t"], .allowed),
    AccountCase(["ACTIVE"], ["no"], .refused(.accountDisabled)),
    AccountCase(["login", "expired"], ["alice@example.org", "yes"], .refused(.accountExpired)),
    AccountCase(["password_expired"], ["1"], .refused(.passwordExpired)),
    // None of the three columns.
    AccountCase(["enabled"], ["t"], .misconfigured),
    AccountCase(["enabled", "is_expired"], ["t", "f"], .misconfigured),
    // Not a boolean.
    AccountCase(all, ["maybe", "f", "f"], .misconfigured),
    AccountCase(all, ["t", "maybe", "f"], .misconfigured),
    AccountCase(all, ["t", "f", "maybe"], .misconfigured),
  ]

  @Test("the account row decides", arguments: cases)
  func accountRow(_ account: AccountCase) throws {
    let directory = FakeDirectory(
      passwordRows: [row(["password"], ["{FAKE}secret"])], accountRows: [row(account.columns, account.values)])
    let configuration = try testConfiguration(accountQuery: Self.accountQuery)
    let authenticator = Authenticator(configuration: configuration, directory: directory, checker: FakeChecker())
    let result = authenticator.authorize("alice@example.org", verifiedLogin: "alice@example.org")
    switch account.outcome {
    case .allowed:
      #expect(result == .success(try parsedLogin("alice@example.org")))
    case .refused(let failure):
      #expect(result == .failure(failure))
    case .misconfigured:
      #expect(isMisconfigured(result))
    }
    #expect(directory.calls.map(\.sql) == ["SELECT active, expired, password_expired FROM accounts WHERE login = ?"])
    #expect(directory.calls.first?.values == ["alice@example.org"])
  }

  @Test("no account row is .unknownUser", arguments: [nil, "alice@example.org"])
  func noRow(_ verified: String?) throws {
    let directory = FakeDirectory(
      passwordRows: [row(["password"], ["{FAKE}secret"])], accountRows: [])
    let authenticator = Authenticator(
      configuration: try testConfiguration(accountQuery: Self.accountQuery), directory: directory,
      checker: FakeChecker())
    #expect(authenticator.authorize("alice@example.org", verifiedLogin: verified) == .failure(.unknownUser))
  }

  @Test("a database error is passed through unchanged")
  func unavailable() throws {
    let authenticator = Authenticator(
      configuration: try testConfiguration(accountQuery: Self.accountQuery),
      directory: FakeDirectory(failing: .unavailable("server closed the connection")), checker: FakeChecker())
    #expect(
      authenticator.authorize("alice@example.org", verifiedLogin: "alice@example.org")
        == .failure(.unavailable("server closed the connection")))
  }
}

@Suite("Authenticator: the decoy for logins without a usable row")
struct DecoyTests {
  /// What password_query returns: no row, a NULL value, an empty value, a
  /// value no scheme can read.
  enum Found: CaseIterable, Sendable {
    case noRow, null, empty, unusable
    var rows: [Row] {
      switch self {
      case .noRow: []
      case .null: [row(["password"], [nil])]
      case .empty: [row(["password"], [""])]
      case .unusable: [row(["password"], ["{NOPE}x"])]
      }
    }
    func isExpected(_ result: Result<Login, AuthFailure>) -> Bool {
      switch self {
      case .noRow: result == .failure(.unknownUser)
      case .null: result == .failure(.unusableHash(scheme: "-", problem: "the stored value is NULL"))
      case .empty: result == .failure(.unusableHash(scheme: "-", problem: "the stored value is empty"))
      case .unusable: isUnusableHash(result)
      }
    }
  }

  /// A directory that finds alice's row for alice and `found` for anyone else.
  static func directory(alice stored: String, others found: Found) -> FakeDirectory {
    FakeDirectory(byLogin: { login in login.hasPrefix("alice@") ? [row(["password"], [stored])] : found.rows })
  }

  @Test(
    "before any row was verified, the decoy is made in the configured scheme, once",
    arguments: Found.allCases)
  func configuredDecoy(_ found: Found) throws {
    let checker = FakeChecker()
    let authenticator = Authenticator(
      configuration: try testConfiguration(), directory: FakeDirectory(rows: found.rows), checker: checker)
    // Even the decoy's own password does not make the login succeed.
    #expect(found.isExpected(authenticator.authenticate("nobody@example.org", password: "configured")))
    #expect(found.isExpected(authenticator.authenticate("nobody@example.org", password: "configured")))
    #expect(checker.decoySchemes == ["PLAIN"], "made once, in default_pass_scheme")
    #expect(checker.checked.filter { $0 == "{FAKE}configured" }.count == 2, "each login checks it: \(checker.checked)")
  }

  @Test("after a row was verified, logins without a usable row check a decoy shaped like it", arguments: Found.allCases)
  func learnedDecoy(_ found: Found) throws {
    let checker = FakeChecker()
    let authenticator = Authenticator(
      configuration: try testConfiguration(), directory: Self.directory(alice: "{FAKE}secret", others: found),
      checker: checker)
    #expect(authenticator.authenticate("alice@example.org", password: "wrong") == .failure(.wrongPassword))
    #expect(found.isExpected(authenticator.authenticate("nobody@example.org", password: "secret")))
    // "{FAKE}secret" is 12 bytes: the decoy has its length, and none of it.
    #expect(checker.checked.last == "{FAKE}xxxxxxxxxxxx")
    #expect(checker.decoySchemes.isEmpty, "no configured decoy once a row was seen")
  }

  @Test("a found row is checked once, never against a decoy")
  func rowCheckedOnce() throws {
    let checker = FakeChecker()
    let authenticator = Authenticator(
      configuration: try testConfiguration(), directory: FakeDirectory(rows: [row(["password"], ["{FAKE}secret"])]),
      checker: checker)
    #expect(authenticator.authenticate("alice@example.org", password: "wrong") == .failure(.wrongPassword))
    #expect(
      authenticator.authenticate("alice@example.org", password: "secret")
        == .success(try Login.parse(Array("alice@example.org".utf8), defaultDomain: nil)))
    #expect(checker.checked == ["{FAKE}secret", "{FAKE}secret"])
  }

  @Test("a {…} prefix that names no scheme is never echoed in the answer")
  func unknownPrefixNotEchoed() throws {
    let authenticator = Authenticator(
      configuration: try testConfiguration(),
      directory: FakeDirectory(rows: [row(["password"], ["{SUMMER2024}"])]), checker: FakeChecker())
    let result = authenticator.authenticate("alice@example.org", password: "SUMMER2024")
    guard case .failure(let failure) = result else {
      Issue.record("expected a failure, got \(result)")
      return
    }
    #expect(!failure.reason.contains("SUMMER2024"), "\(failure.reason)")
  }

  @Test("the configured decoy's scheme: upgrade_scheme, else default_pass_scheme")
  func decoyScheme() throws {
    #expect(try testConfiguration().decoyScheme == "PLAIN")
    let upgrading = try Configuration.resolve(
      fileText: """
        connect = /x.db
        password_query = SELECT password FROM users WHERE login = '%u'
        default_pass_scheme = PLAIN
        upgrade_scheme = STRONG
        password_update_query = UPDATE users SET password = '%w' WHERE login = '%u'
        """, arguments: ModuleArguments([]), isKnownScheme: { _ in true }, canGenerateScheme: { $0 == "STRONG" })
    #expect(upgrading.decoyScheme == "STRONG")
  }
}

@Suite("DecoyPool: shapes in proportion to the rows verified")
struct DecoyPoolTests {
  static func decoy(_ shape: String) -> Decoy { Decoy(value: SecretBytes(Array(shape.utf8)), shape: shape) }

  @Test("empty before any row; one shape, always that shape")
  func single() {
    var pool = DecoyPool()
    #expect(pool.next() == nil)
    pool.learn(Self.decoy("A"))
    #expect((0..<5).map { _ in pool.next()?.shape } == ["A", "A", "A", "A", "A"])
  }

  @Test("two shapes seen 3:1 are handed out 3:1")
  func proportion() {
    var pool = DecoyPool()
    for _ in 0..<30 { pool.learn(Self.decoy("common")) }
    for _ in 0..<10 { pool.learn(Self.decoy("rare")) }
    let handed = (0..<400).compactMap { _ in pool.next()?.shape }
    #expect(handed.filter { $0 == "common" }.count == 300)
    #expect(handed.filter { $0 == "rare" }.count == 100)
  }

  @Test("a table whose rows moved to another scheme: the old shape fades")
  func fades() {
    var pool = DecoyPool()
    for _ in 0..<1000 { pool.learn(Self.decoy("old")) }
    for _ in 0..<5000 { pool.learn(Self.decoy("new")) }
    let handed = (0..<100).compactMap { _ in pool.next()?.shape }
    #expect(handed.filter { $0 == "new" }.count >= 95, "\(handed)")
  }

  @Test("a full pool: a new shape replaces the least seen")
  func capacity() {
    var pool = DecoyPool()
    for index in 0..<DecoyPool.capacity {
      for _ in 0...index { pool.learn(Self.decoy("shape \(index)")) }
    }
    pool.learn(Self.decoy("newcomer"))
    #expect(pool.shapes.count == DecoyPool.capacity)
    #expect(pool.shapes.contains("newcomer"))
    #expect(!pool.shapes.contains("shape 0"))
  }
}
