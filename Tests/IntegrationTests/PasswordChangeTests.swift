// A stack that lists the module for every PAM type (auth, account,
// password, session, as pam_pgsql's README shows), driven by the real
// pamtester through the real libpam: sessions open and close, libpam finds
// every entry point (no "unable to resolve symbol"), and chauthtok changes
// the password in PostgreSQL: the old password is verified first, the new
// one stored as a SHA512-CRYPT value bound to password_update_query, and
// neither password nor the new value ever reaches the log. A wrong old
// password, a retype that differs, an UPDATE that matches no row, and a
// configuration without password_update_query all change nothing.

import Foundation
import Testing

@Suite("Password change and sessions through pamtester", .serialized)
struct PasswordChangeTests {
  /// A database with alice, and a service in /etc/pam.d for pamtester.
  static func setUp(_ extra: String, tag: String) throws -> (PAMService, PostgresCluster, String) {
    let hash = try Accounts.mkpasswd("md5crypt")
    let (cluster, database) = try Corpus.postgresDatabase(
      """
      CREATE TABLE users (username text NOT NULL, domain text NOT NULL, password text);
      INSERT INTO users VALUES ('alice\(tag)', 'example.org', '\(hash)');
      """, tables: ["users"])
    try cluster.sql("GRANT UPDATE (password) ON users TO mailauth", database: database)
    let config = """
      driver = pgsql
      connect = host=\(cluster.socketDirectory) port=\(cluster.port) dbname=\(database) user=mailauth
      password_query = SELECT password FROM users WHERE username = '%n' AND domain = '%d'
      \(extra)
      """
    let service = try PAMService(config: config, installInEtc: true, allTypes: true)
    return (service, cluster, database)
  }

  static let update =
    "password_update_query = UPDATE users SET password = '%w' WHERE username = '%n' AND domain = '%d'"

  /// pamtester with `operations`, its prompts answered by `answers`.
  static func pamtester(_ service: PAMService, _ login: String, _ operations: [String], answers: [String]) throws
    -> RunResult
  {
    try run(
      ["pamtester", "-v", service.name, login] + operations, input: answers.joined(separator: "\n") + "\n",
      timeout: 60)
  }

  @Test("authenticate, acct_mgmt, open_session, close_session and chauthtok all succeed; the new password works")
  func change() throws {
    let tag = uniqueTag()
    let (service, cluster, database) = try Self.setUp(Self.update + "\npassword_scheme = SHA512-CRYPT", tag: tag)
    defer { service.remove() }
    let sink = try SyslogSink.shared()
    let login = "alice\(tag)@example.org"
    let newPassword = "Tr0ub4dor&3 \(tag)"
    let result = try Self.pamtester(
      service, login, ["authenticate", "acct_mgmt", "open_session", "close_session", "chauthtok"],
      answers: [Accounts.password, Accounts.password, newPassword, newPassword])
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(
      (result.stdout + result.stderr).contains("authentication token altered successfully"),
      "\(result.stdout)\(result.stderr)")
    // The new password logs in; the old one no longer does.
    #expect(try service.result(login, newPassword) == BatteryTests.ok)
    #expect(try service.result(login, Accounts.password) == "auth=PAM_AUTH_ERR acct=-")
    let stored = try cluster.sql("SELECT password FROM users WHERE username = 'alice\(tag)'", database: database)
    #expect(stored.hasPrefix("{SHA512-CRYPT}$6$"), "\(stored)")
    // The new value reached the server only as a bound value.
    let updates = try cluster.moduleStatements().filter {
      $0.sql.hasPrefix("UPDATE users") && $0.parameters.contains(tag)
    }
    #expect(updates.count == 1)
    #expect(updates.allSatisfy { $0.sql == "UPDATE users SET password = $1 WHERE username = $2 AND domain = $3" })
    #expect(updates.allSatisfy { $0.parameters.contains(stored) })
    try sink.waitForLine(containing: [service.name, "password of \(login) changed"])
    for line in sink.allLines {
      #expect(!line.contains(newPassword))
      #expect(!line.contains(stored))
      #expect(!line.contains("unable to resolve symbol"), "\(line)")
    }
  }

  @Test("a wrong old password, a retype that differs or a missing update change nothing")
  func refusals() throws {
    let tag = uniqueTag()
    let (service, cluster, database) = try Self.setUp(Self.update + "\npassword_scheme = SHA512-CRYPT", tag: tag)
    defer { service.remove() }
    let sink = try SyslogSink.shared()
    let login = "alice\(tag)@example.org"
    let before = try cluster.sql("SELECT password FROM users", database: database)
    let wrongOld = try Self.pamtester(service, login, ["chauthtok"], answers: ["wrong", "new one", "new one"])
    #expect(wrongOld.status != 0)
    try sink.waitForLine(containing: [service.name, "password change failure", "user=\(login)", "wrong password"])
    let mismatch = try Self.pamtester(
      service, login, ["chauthtok"], answers: [Accounts.password, "new one", "another"])
    #expect(mismatch.status != 0)
    let nobody = try Self.pamtester(
      service, "nobody\(tag)@example.org", ["chauthtok"], answers: [Accounts.password, "x1", "x1"])
    #expect(nobody.status != 0)
    #expect(try cluster.sql("SELECT password FROM users", database: database) == before)
    #expect(try service.result(login, Accounts.password) == BatteryTests.ok)
  }

  @Test("an update whose WHERE matches no row is reported, not taken for a change")
  func updateThatMissed() throws {
    let tag = uniqueTag()
    let (service, cluster, database) = try Self.setUp(
      "password_update_query = UPDATE users SET password = '%w' WHERE username = '%u'\n"
        + "password_scheme = SHA512-CRYPT", tag: tag)
    defer { service.remove() }
    let sink = try SyslogSink.shared()
    let before = try cluster.sql("SELECT password FROM users", database: database)
    let result = try Self.pamtester(
      service, "alice\(tag)@example.org", ["chauthtok"], answers: [Accounts.password, "n3w", "n3w"])
    #expect(result.status != 0)
    try sink.waitForLine(containing: [service.name, "password_query does not return the new value"])
    #expect(try cluster.sql("SELECT password FROM users", database: database) == before)
  }

  @Test("without password_update_query, chauthtok asks for nothing and says what to set; sessions still succeed")
  func notConfigured() throws {
    let tag = uniqueTag()
    let (service, _, _) = try Self.setUp("", tag: tag)
    defer { service.remove() }
    let sink = try SyslogSink.shared()
    let sessions = try Self.pamtester(
      service, "alice\(tag)@example.org", ["open_session", "close_session"], answers: [])
    #expect(sessions.status == 0, "\(sessions.stderr)")
    let change = try Self.pamtester(service, "alice\(tag)@example.org", ["chauthtok"], answers: [])
    #expect(change.status != 0)
    #expect(!(change.stdout + change.stderr).contains("password:"), "it asked: \(change.stdout)\(change.stderr)")
    try sink.waitForLine(containing: [service.name, "password changes need password_update_query"])
  }
}
