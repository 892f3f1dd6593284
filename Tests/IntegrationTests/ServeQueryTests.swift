// swiftsql-authd's statements, read from PostgreSQL's own log
// (log_statement=all): a query that puts the service the client sent into a
// column name (iRedMail's file, pasted unchanged) runs as in the module;
// account_query travels with password_query, so it runs for a refused login
// too; and a statement the server refuses, first or second of the pair,
// fails that login alone, on the step it belongs to, while the next login on
// the same connection is answered. Expected answers come from the schema
// and the protocol, never from the code under test.

import Foundation
import Testing

@Suite("swiftsql-authd: the statements PostgreSQL receives", .serialized)
struct ServeQueryTests {
  /// The iRedMail database of `CorpusDovecot23Tests` (alice may use SMTP
  /// and IMAP, bob only IMAP) in the cluster that logs statements, its
  /// name, and iRedMail's file for it.
  private static func iRedMail(_ tag: String) throws -> (PostgresCluster, database: String, config: String) {
    let (cluster, database, config) = try CorpusDovecot23Tests.iRedMailOnPostgres(tag)
    // The daemon serves as nobody: it must reach the cluster's socket.
    chmod(cluster.directory, 0o711)
    return (cluster, database, config + "\n")
  }

  /// The statements bound with `login`, as PostgreSQL logged them.
  private static func statements(_ cluster: PostgresCluster, binding login: String) throws -> [LoggedStatement] {
    try cluster.moduleStatements().filter { $0.parameters.contains("'\(login)'") }
  }

  @Test("iRedMail's file: the service the client sends chooses the column, as in the module")
  func serviceInColumnName() throws {
    let tag = uniqueTag()
    let (cluster, _, config) = try Self.iRedMail(tag)
    let daemon = try ServeDaemon(config: config, arguments: ["--failure-delay", "0"])
    defer { daemon.remove() }
    let alice = "alice\(tag)@example.com"
    let bob = "bob\(tag)@example.com"
    #expect(try daemon.ask(alice, Accounts.password, service: "smtp").accepted)
    #expect(try daemon.ask(alice, Accounts.password, service: "imap").accepted)
    #expect(try !daemon.ask(alice, "wrong", service: "smtp").accepted)
    // bob's row has enablesmtp = 0.
    #expect(try !daemon.ask(bob, Accounts.password, service: "smtp").accepted)
    #expect(try daemon.ask(bob, Accounts.password, service: "imap").accepted)
    try daemon.waitForLog("user=\(bob) service=smtp", "reason=\"no such login\"")
    #expect(daemon.logLines(containing: "failure;").count == 2)

    let sent = try Self.statements(cluster, binding: alice) + Self.statements(cluster, binding: bob)
    #expect(sent.contains { $0.sql.contains("mailbox.enablesmtp=1") })
    #expect(sent.contains { $0.sql.contains("mailbox.enableimap=1") })
    #expect(!sent.contains { $0.sql.contains("%L") }, "\(sent)")
    try Corpus.expectBoundOnly(cluster, tag: tag)
  }

  @Test("account_query goes with password_query: it runs for a refused login too, and decides only after the password")
  func accountQueryAlongside() throws {
    let tag = uniqueTag()
    let (cluster, database, base) = try Self.iRedMail(tag)
    try cluster.sql(
      "INSERT INTO mailbox (username, password, domain, active) SELECT 'carol\(tag)@example.com', password, domain, 0 "
        + "FROM mailbox WHERE username = 'alice\(tag)@example.com'",
      database: database)
    let config = base + "account_query = SELECT active FROM mailbox WHERE username = '%u' AND active >= 0\n"
    let daemon = try ServeDaemon(config: config, arguments: ["--failure-delay", "0"])
    defer { daemon.remove() }
    let alice = "alice\(tag)@example.com"
    let carol = "carol\(tag)@example.com"

    #expect(try !daemon.ask(alice, "wrong", service: "imap").accepted)
    let afterWrong = try Self.statements(cluster, binding: alice)
    #expect(afterWrong.filter { $0.sql.contains("active >= 0") }.count == 1, "\(afterWrong)")
    #expect(afterWrong.filter { $0.sql.contains("enableimap=1") }.count == 1, "\(afterWrong)")

    #expect(try daemon.ask(alice, Accounts.password, service: "imap").accepted)
    let afterRight = try Self.statements(cluster, binding: alice)
    #expect(afterRight.filter { $0.sql.contains("active >= 0") }.count == 2, "\(afterRight)")

    // carol's password is right, but the password query itself wants
    // mailbox.active=1: no such login. Her account row says active = 0.
    #expect(try !daemon.ask(carol, Accounts.password, service: "imap").accepted)
    try daemon.waitForLog("user=\(carol) service=imap", "reason=\"no such login\"")
    try daemon.waitForLog("user=\(alice) service=imap", "reason=\"wrong password\"")
    #expect(daemon.logLines(containing: "account failure").isEmpty)
  }

  @Test(
    "a statement the server refuses fails its own step; the next login on the same connection is answered",
    arguments: ["password_query", "account_query"])
  func refusedStatement(refused: String) throws {
    let tag = uniqueTag()
    let (_, _, base) = try Self.iRedMail(tag)
    let good = base + "account_query = SELECT active FROM mailbox WHERE username = '%u'\n"
    let bad =
      refused == "account_query"
      ? base + "account_query = SELECT no_such_column AS active FROM mailbox WHERE username = '%u'\n"
      : good.replacingOccurrences(of: "WHERE mailbox.username='%u'", with: "WHERE mailbox.no_such_column='%u'")
    #expect(bad != good)
    let directory = try makeTemporaryDirectory("swiftsql-serve-query")
    chmod(directory, 0o755)
    defer { removeTemporaryDirectory(directory) }
    // Both files name the same database, so one connection serves both.
    try ServeDaemon.writeConfig(bad, to: "\(directory)/broken.conf")
    let daemon = try ServeDaemon(
      config: good,
      arguments: [
        "--failure-delay", "0", "--workers", "1", "--db-connections", "1", "--service",
        "smtp=\(directory)/broken.conf",
      ])
    defer { daemon.remove() }
    let alice = "alice\(tag)@example.com"
    for _ in 0..<2 {
      #expect(try !daemon.ask(alice, Accounts.password, service: "smtp").accepted)
      #expect(try daemon.ask(alice, Accounts.password, service: "imap").accepted)
    }
    let step = refused == "account_query" ? "account failure" : "authentication failure"
    let line = try daemon.waitForLog("\(step); user=\(alice) service=smtp")
    #expect(line.contains("no_such_column"), "\(line)")
    #expect(line.contains("does not exist"), "\(line)")
    #expect(daemon.logLines(containing: "failure;").count == 2)
    #expect(daemon.logLines(containing: "unavailable").isEmpty)
    let status = try daemon.status()
    #expect(status["accepted"] == "2")
    #expect(status["outages"] == "0")
  }
}
