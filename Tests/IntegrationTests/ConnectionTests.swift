// One connection per process, kept across PAM transactions: 1,000 logins
// answered by one saslauthd worker open one PostgreSQL connection and
// prepare each query once (counted in the server's own log and in
// pg_stat_activity). And a login makes no user or group lookups (NSS): a
// system-call trace of a whole PAM transaction over a unix socket shows no
// /etc/passwd, /etc/group, /etc/shadow, /etc/nsswitch.conf and no nscd
// (for MariaDB, but for Connector/C's one services lookup at its start).

import Foundation
import Testing

@Suite("Connections")
struct ConnectionTests {
  @Test("1,000 logins in one saslauthd worker use one connection and one prepare per query")
  func oneConnection() throws {
    let chain = try PostgresChain(withSaslauthd: true)
    defer { chain.tearDown() }
    let (cluster, service, daemon) = (chain.server, chain.service, try chain.saslauthd())
    let logins = 1000
    let result = try daemon.ourClient(
      ["-u", "alice@example.org", "-p", Accounts.password, "-s", service.name, "-R", String(logins)])
    #expect(result.status == 0)
    #expect(result.lines.count == logins)
    #expect(result.lines.allSatisfy { $0.hasSuffix(": OK \"Success.\"") })

    let opened = try cluster.logLines(containing: "connection authorized: user=mailauth")
    #expect(opened.count == 1, "connections opened: \(opened.count)")
    let live = try cluster.sql("SELECT count(*) FROM pg_stat_activity WHERE usename = 'mailauth'")
    #expect(live == "1")
    let application = try cluster.sql(
      "SELECT DISTINCT application_name FROM pg_stat_activity WHERE usename = 'mailauth'")
    #expect(application == "pam_swiftsql")
    // password_query and account_query: each parsed once, executed per login.
    #expect(try cluster.logLines(containing: "parse pam_swiftsql_1:").count == 1)
    #expect(try cluster.logLines(containing: "parse pam_swiftsql_2:").count == 1)
    #expect(try cluster.logLines(containing: "execute pam_swiftsql_1:").count == logins)
    #expect(try cluster.logLines(containing: "execute pam_swiftsql_2:").count == logins)
  }

  @Test("a login makes no NSS lookups", arguments: Backend.allCases)
  func noNSS(_ backend: Backend) throws {
    let database = try BatteryDatabase.shared(backend)
    let driver = try Fixture.path("pam_driver", libraries: ["pam"])
    let directory = try makeTemporaryDirectory("swiftsql-trace")
    defer { removeTemporaryDirectory(directory) }
    let trace = "\(directory)/trace"
    // An empty environment, as a daemon started by init has: with HOME set,
    // libpq would read it instead of looking the home directory up.
    let result = try run(
      [
        "/usr/bin/env", "-i", try resolveExecutable("strace"), "-f", "-qq", "-e", "trace=%file,connect", "-o", trace,
        driver, "-c", database.service.confdir, database.service.name, "alice@example.org", Accounts.password,
      ], environment: [:], timeout: 60)
    #expect(result.stdout == BatteryTests.ok + "\n")
    let calls = try String(contentsOfFile: trace, encoding: .utf8)
    // The trace is real: it saw the module and the database.
    #expect(calls.contains("pam_swiftsql.so"))
    switch backend {
    case .pgsql: #expect(calls.contains(".s.PGSQL."))
    case .sqlite: #expect(calls.contains("users.db"))
    case .mysql: #expect(calls.contains("mysqld.sock"))
    }
    let lines = calls.split(separator: "\n")
    for forbidden in ["/etc/passwd", "/etc/group", "/etc/shadow", "/etc/nsswitch.conf", "nscd"] {
      var found = lines.filter { $0.contains(forbidden) }
      // The one exception, documented in the README: MariaDB Connector/C's
      // library initialisation looks up the "mysql" service (its default
      // port) once per process; MariaDBConnectionTests checks it happens
      // only once. Nothing else may consult NSS.
      if backend == .mysql && forbidden == "/etc/nsswitch.conf" {
        #expect(found.filter { $0.contains("open") }.count <= 1, "\(forbidden): \(found)")
        found = []
      }
      if backend == .mysql && forbidden == "nscd" {
        // glibc asks nscd (when it runs) twice for the one lookup.
        #expect(found.count <= 2, "\(forbidden): \(found)")
        found = []
      }
      #expect(found.isEmpty, "\(forbidden): \(found.prefix(3))")
    }
  }

  @Test("a process that forks after a login never shares its connection")
  func fork() throws {
    let chain = try PostgresChain()
    defer { chain.tearDown() }
    let (cluster, service) = (chain.server, chain.service)
    let driver = try Fixture.path("pam_driver", libraries: ["pam"])
    let result = try run(
      [driver, "-c", service.confdir, "-f", "-n", "3", service.name, "alice@example.org", Accounts.password],
      timeout: 60)
    #expect(result.status == 0)
    #expect(result.lines.filter { $0 == "first " + BatteryTests.ok }.count == 1)
    #expect(result.lines.filter { $0 == "parent " + BatteryTests.ok }.count == 2)
    #expect(result.lines.filter { $0 == "child " + BatteryTests.ok }.count == 2)
    // Two processes, two connections: the child opened its own.
    #expect(try cluster.logLines(containing: "connection authorized: user=mailauth").count == 2)
  }
}
