// The audit statements through real libpam, on SQLite and PostgreSQL:
// auth_success_query and auth_failure_query write exactly one row per
// attempt, in order, with the login's parts, the service, the remote host,
// the reason (empty on success), the pid of the process that loaded the
// module and this machine's name; and statements that fail (a table that
// does not exist) are logged while every answer stays what it was.

import Foundation
import Testing

@Suite("Audit statements", .serialized)
struct AuditStatementTests {
  static let columns = "login, domain, service, rhost, outcome, reason, pid, host"

  static func statements(table: String) -> String {
    func insert(_ outcome: String) -> String {
      "INSERT INTO \(table) (\(columns)) VALUES ('%u', '%d', '%s', '%r', '\(outcome)', '%{reason}', '%{pid}', "
        + "'%{hostname}')"
    }
    return "auth_success_query = \(insert("success"))\nauth_failure_query = \(insert("failure"))\n"
  }

  static let createTable = """
    CREATE TABLE auth_log (
      id integer PRIMARY KEY, login text, domain text, service text, rhost text, outcome text, reason text,
      pid text, host text)
    """

  /// The attempts, in order: right, wrong, unknown, a bare login (refused
  /// before any query), right again.
  static let attempts: [(login: String, password: String, expected: String)] = [
    ("alice@example.org", Accounts.password, BatteryTests.ok),
    ("alice@example.org", "wrong", "auth=PAM_AUTH_ERR acct=-"),
    ("nobody@example.org", Accounts.password, "auth=PAM_USER_UNKNOWN acct=-"),
    ("alice", Accounts.password, "auth=PAM_USER_UNKNOWN acct=-"),
    ("alice@EXAMPLE.org", Accounts.password, BatteryTests.ok),
  ]

  /// Runs the attempts in one process; returns its answers.
  static func runAttempts(_ service: PAMService) throws -> [String] {
    let driver = try InteractiveDriver(service: service)
    return try attempts.map { try driver.login($0.login, $0.password).result }
  }

  /// Checks the rows `rows` (one per line, fields joined by '|', in id
  /// order) against the attempts.
  static func checkRows(_ rows: String, service: String) throws {
    let lines = rows.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false) }
    try #require(lines.count == attempts.count, "one row per attempt: \(rows)")
    let hostname = try run(["uname", "-n"], check: true).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let expected: [(login: String, domain: String, outcome: String, reason: String)] = [
      ("alice@example.org", "example.org", "success", ""),
      ("alice@example.org", "example.org", "failure", "wrong password"),
      ("nobody@example.org", "example.org", "failure", "no such login"),
      ("alice", "", "failure", "the login has no '@domain'"),
      ("alice@example.org", "example.org", "success", ""),
    ]
    let pids = Set(lines.map { String($0[6]) })
    #expect(pids.count == 1, "one process made every attempt")
    #expect((Int32(pids.first ?? "") ?? 0) > 0)
    #expect(pids.first != String(getpid()), "the pid is the PAM application's, not the test's")
    for (line, want) in zip(lines, expected) {
      #expect(String(line[0]) == want.login)
      #expect(String(line[1]) == want.domain)
      #expect(String(line[2]) == service)
      #expect(String(line[3]) == "")
      #expect(String(line[4]) == want.outcome)
      if want.reason.isEmpty {
        #expect(line[5].isEmpty)
      } else {
        #expect(line[5].hasPrefix(want.reason), "\(line[5])")
      }
      #expect(String(line[7]) == hostname)
    }
  }

  @Test("SQLite: one row per attempt, with the values bound")
  func sqlite() throws {
    let directory = try makeTemporaryDirectory("swiftsql-audit")
    defer { removeTemporaryDirectory(directory) }
    let hash = try Accounts.mkpasswd("sha512crypt")
    let database = try Accounts.sqliteDatabase(
      in: directory,
      [
        Account(
          localPart: "alice", domain: "example.org", storedSQL: Accounts.quoted(hash), active: true,
          expired: false, passwordExpired: false)
      ])
    try run(["sqlite3", database], input: Self.createTable + ";\n", check: true)
    let service = try PAMService(
      config: "driver = sqlite\nconnect = \(database)\n\(Accounts.queries)\n\(Self.statements(table: "auth_log"))")
    defer { service.remove() }
    #expect(try Self.runAttempts(service) == Self.attempts.map(\.expected))
    let rows = try run(
      ["sqlite3", database, "SELECT \(Self.columns) FROM auth_log ORDER BY id"], check: true
    ).stdout
    try Self.checkRows(rows, service: service.name)
  }

  @Test("PostgreSQL: one row per attempt, with the values bound")
  func postgres() throws {
    let chain = try PostgresChain(extraConfig: Self.statements(table: "auth_log"))
    defer { chain.tearDown() }
    try chain.server.sql(
      Self.createTable.replacingOccurrences(of: "id integer PRIMARY KEY", with: "id serial PRIMARY KEY")
        + "; GRANT INSERT ON auth_log TO mailauth; GRANT USAGE ON auth_log_id_seq TO mailauth")
    #expect(try Self.runAttempts(chain.service) == Self.attempts.map(\.expected))
    let rows = try chain.server.sql("SELECT \(Self.columns) FROM auth_log ORDER BY id")
    try Self.checkRows(rows, service: chain.service.name)
  }

  @Test("statements that fail are logged, and every answer stays the same")
  func brokenStatements() throws {
    let sink = try SyslogSink.shared()
    let chain = try PostgresChain(extraConfig: Self.statements(table: "no_such_table"))
    defer { chain.tearDown() }
    #expect(try Self.runAttempts(chain.service) == Self.attempts.map(\.expected))
    try sink.waitForLine(containing: [
      chain.service.name, "auth_success_query failed for alice@example.org", "the answer stands", "no_such_table",
    ])
    try sink.waitForLine(containing: [chain.service.name, "auth_failure_query failed for nobody@example.org"])
  }

  /// A slow server: the password query takes 2.5 s of the step's budget
  /// of connect_timeout + query_timeout (1 + 3 s), so the audit statement,
  /// which would take 2.9 s more, is cut off when the budget ends. The
  /// login still succeeds, and the audit's failure is logged.
  @Test("a step's statements share one budget of connect_timeout + query_timeout")
  func oneBudgetPerStep() throws {
    let sink = try SyslogSink.shared()
    let chain = try PostgresChain(
      extraConfig: """
        password_query = SELECT password, pg_sleep(2.5) FROM users WHERE username = '%n' AND domain = '%d'
        connect_timeout = 1
        query_timeout = 3
        auth_success_query = SELECT pg_sleep(2.9)
        """)
    defer { chain.tearDown() }
    let driver = try InteractiveDriver(service: chain.service)
    _ = try driver.login("alice@example.org", Accounts.password)  // connects, prepares
    let (result, milliseconds) = try driver.login("alice@example.org", Accounts.password)
    #expect(result == BatteryTests.ok)
    // 2.5 + 2.9 s if each statement had its own budget; 4 s (+ slack) in one.
    #expect(milliseconds >= 3900 && milliseconds < 4900, "\(milliseconds) ms")
    try sink.waitForLine(containing: [chain.service.name, "auth_success_query failed for alice@example.org"])
  }
}
