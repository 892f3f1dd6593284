// swiftsql-authd's statements, read from PostgreSQL's own log
// (log_statement=all): a query that puts the service the client sent into a
// column name (iRedMail's file, pasted unchanged) runs as in the module.
// Expected answers come from the schema and the protocol, never from the
// code under test.

import Foundation
import Testing

@Suite("swiftsql-authd: the statements PostgreSQL receives", .serialized)
struct ServeQueryTests {
  /// The iRedMail database of `CorpusDovecot23Tests` (alice may use SMTP
  /// and IMAP, bob only IMAP) in the cluster that logs statements, its
  /// name, and iRedMail's file for it.
  private static func iRedMail(_ tag: String) throws -> (PostgresCluster, database: String, config: String) {
    let (cluster, database) = try Corpus.postgresDatabase(
      CorpusDovecot23Tests.iRedMailSchema(try CorpusDovecot23Tests.iRedMailRows(tag)), tables: ["mailbox", "domain"])
    // The daemon serves as nobody: it must reach the cluster's socket.
    chmod(cluster.directory, 0o711)
    let config = try Corpus.text(
      "iredmail-dovecot-sql.conf",
      replacing: [
        ("PH_SQL_DRIVER", "pgsql"), ("PH_SQL_SERVER_ADDRESS", cluster.socketDirectory),
        ("PH_SQL_SERVER_PORT", String(cluster.port)), ("PH_VMAIL_DB_NAME", database),
        ("PH_VMAIL_DB_BIND_USER", "mailauth"), (" password=PH_VMAIL_DB_BIND_PASSWD", ""),
      ])
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
}
