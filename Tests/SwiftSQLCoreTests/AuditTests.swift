// Covers `Authenticator.audit` with the fakes: the statement for each step
// and outcome runs once with the login, service, remote host, reason, pid
// and host name bound; none runs when none is configured or the database
// was unavailable; a failing statement is logged and nothing else; a login
// refused before any query is bound in its printable form. Also that
// %{reason} compiles only in the audit queries, and allow_bare_logins.

import SwiftSQLCore
import Testing

private let auditLines = """
  auth_success_query = INSERT INTO audit VALUES ('%u', '%n', '%d', '%s', '%r', 'ok', '%{reason}', %{pid}, '%{hostname}')
  auth_failure_query = INSERT INTO audit VALUES ('%u', '%n', '%d', '%s', '%r', 'no', '%{reason}', %{pid}, '%{hostname}')
  account_failure_query = INSERT INTO audit VALUES ('%u', 'account', '%{reason}')
  """

private let process = ProcessFacts(pid: "4242", hostname: "mx1")

/// A log that keeps its lines.
private final class Lines {
  var lines: [(LogLevel, String)] = []
  var log: Log { Log(debugEnabled: false) { self.lines.append(($0, $1)) } }
}

@Suite("Authenticator.audit")
struct AuditTests {
  @Test("a success binds the login's parts, service, remote host, an empty reason, pid and host name")
  func success() throws {
    let directory = FakeDirectory(rows: [])
    let authenticator = Authenticator(
      configuration: try testConfiguration(extra: auditLines), directory: directory, checker: FakeChecker())
    authenticator.audit(
      .authentication, login: Array("alice@Example.org".utf8), failure: nil, service: "smtp",
      remoteHost: "192.0.2.7", process: process)
    #expect(directory.calls.count == 1)
    #expect(directory.calls.first?.sql.hasPrefix("INSERT INTO audit VALUES (?, ?, ?, ?, ?, 'ok', ?, ?, ?)") == true)
    #expect(
      directory.calls.first?.values
        == ["alice@example.org", "alice", "example.org", "smtp", "192.0.2.7", "", "4242", "mx1"])
    #expect(directory.calls.first?.limit == 0)
  }

  @Test("a failure runs auth_failure_query with the reason")
  func failure() throws {
    let directory = FakeDirectory(rows: [])
    let authenticator = Authenticator(
      configuration: try testConfiguration(extra: auditLines), directory: directory, checker: FakeChecker())
    authenticator.audit(
      .authentication, login: Array("alice@example.org".utf8), failure: .wrongPassword, service: "imap",
      remoteHost: "", process: process)
    #expect(directory.calls.count == 1)
    #expect(directory.calls.first?.sql.contains("'no'") == true)
    #expect(directory.calls.first?.values[5] == "wrong password")
  }

  @Test("the account step has its own statements; an unset one runs nothing")
  func accountStep() throws {
    let directory = FakeDirectory(rows: [])
    let authenticator = Authenticator(
      configuration: try testConfiguration(extra: auditLines), directory: directory, checker: FakeChecker())
    authenticator.audit(
      .account, login: Array("alice@example.org".utf8), failure: nil, service: "smtp", remoteHost: "",
      process: process)
    #expect(directory.calls.isEmpty)
    authenticator.audit(
      .account, login: Array("alice@example.org".utf8), failure: .accountDisabled, service: "smtp",
      remoteHost: "", process: process)
    #expect(directory.calls.map(\.values) == [["alice@example.org", AuthFailure.accountDisabled.reason]])
  }

  @Test("nothing runs without audit queries")
  func unconfigured() throws {
    let directory = FakeDirectory(rows: [])
    let authenticator = Authenticator(
      configuration: try testConfiguration(), directory: directory, checker: FakeChecker())
    authenticator.audit(
      .authentication, login: Array("alice@example.org".utf8), failure: .wrongPassword, service: "smtp",
      remoteHost: "", process: process)
    #expect(directory.calls.isEmpty)
  }

  @Test("nothing runs when the database was unavailable")
  func unavailable() throws {
    let directory = FakeDirectory(rows: [])
    let authenticator = Authenticator(
      configuration: try testConfiguration(extra: auditLines), directory: directory, checker: FakeChecker())
    authenticator.audit(
      .authentication, login: Array("alice@example.org".utf8), failure: .unavailable("timeout"), service: "smtp",
      remoteHost: "", process: process)
    #expect(directory.calls.isEmpty)
  }

  @Test("a failing statement is logged as an error, without changing anything else")
  func brokenStatement() throws {
    let directory = FakeDirectory(failing: .unavailable("relation \"audit\" does not exist"))
    let lines = Lines()
    let authenticator = Authenticator(
      configuration: try testConfiguration(extra: auditLines), directory: directory, checker: FakeChecker(),
      log: lines.log)
    authenticator.audit(
      .authentication, login: Array("alice@example.org".utf8), failure: nil, service: "smtp", remoteHost: "",
      process: process)
    #expect(directory.calls.count == 1)
    #expect(lines.lines.count == 1)
    #expect(lines.lines.first?.0 == .error)
    #expect(lines.lines.first?.1.contains("auth_success_query failed for alice@example.org") == true)
  }

  @Test("a login refused before any query is bound printable, with an empty domain")
  func rejectedLogin() throws {
    let directory = FakeDirectory(rows: [])
    let authenticator = Authenticator(
      configuration: try testConfiguration(extra: auditLines), directory: directory, checker: FakeChecker())
    authenticator.audit(
      .authentication, login: Array("bob\u{1}".utf8), failure: .loginRejected(.controlCharacter), service: "smtp",
      remoteHost: "", process: process)
    #expect(directory.calls.first?.values.prefix(3) == ["bob?", "bob?", ""])
  }
}

@Suite("Audit variables and bare logins")
struct AuditVariableTests {
  @Test("%{reason} is refused outside the audit queries")
  func reasonOnlyInAudit() {
    #expect(throws: ConfigurationError.self) {
      try testConfiguration(passwordQuery: "SELECT password FROM users WHERE login = '%u' AND '%{reason}' = ''")
    }
    #expect(throws: TemplateError.reasonNotAllowed(offset: 7)) {
      try QueryTemplate.compile("SELECT %{reason}", style: .positional)
    }
  }

  @Test("%{pid} and %{hostname} may be used anywhere")
  func pidAndHostname() throws {
    let query = try QueryTemplate.compile("SELECT '%{pid}', '%{hostname}'", style: .numbered)
    #expect(query.sql == "SELECT $1, $2")
  }

  @Test("allow_bare_logins keeps a name without @ as it is; without it, it is refused")
  func bareLogins() throws {
    let login = try Login.parse(Array("alice".utf8), defaultDomain: nil, keepsBareLogin: true)
    #expect(login.full == "alice")
    #expect(login.localPart == "alice")
    #expect(login.domain == "")
    #expect(throws: LoginRejection.bareWithoutDefaultDomain) {
      try Login.parse(Array("alice".utf8), defaultDomain: nil)
    }
    let withDomain = try Login.parse(Array("alice".utf8), defaultDomain: "example.org", keepsBareLogin: true)
    #expect(withDomain.full == "alice@example.org")
  }
}
