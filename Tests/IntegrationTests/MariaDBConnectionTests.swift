// ConnectionTests for MariaDB: one connection per process, kept across PAM
// transactions. 1,000 logins answered by one saslauthd worker open one
// MariaDB connection (counted by the server: SHOW GLOBAL STATUS, the
// process list and the general log) and prepare each query once (the
// general log's Prepare and Execute lines). A process that forks after a
// login never shares its connection: the child opens its own.

import Foundation
import Testing

@Suite("MariaDB connections")
struct MariaDBConnectionTests {
  @Test("1,000 logins in one saslauthd worker use one connection and one prepare per query")
  func oneConnection() throws {
    let chain = try MariaDBChain(withSaslauthd: true)
    defer { chain.tearDown() }
    let (server, service, daemon) = (chain.server, chain.service, try chain.saslauthd())
    let before = try server.connectionCount()
    let logins = 1000
    let result = try daemon.ourClient(
      ["-u", "alice@example.org", "-p", Accounts.password, "-s", service.name, "-R", String(logins)])
    #expect(result.status == 0)
    #expect(result.lines.count == logins)
    #expect(result.lines.allSatisfy { $0.hasSuffix(": OK \"Success.\"") })

    // The module's one connection, and the one that asks.
    #expect(try server.connectionCount() - before == 2)
    #expect(try server.liveModuleConnections() == 1)
    let opened = try server.moduleConnections()
    let sink = try SyslogSink.shared()
    let notes = sink.lines(containing: service.name).filter { !$0.contains("authentication succeeded") }
    #expect(opened.count == 1, "connections opened: \(opened); the module said: \(notes.suffix(10))")

    // password_query and account_query: each prepared once, executed per
    // login, all on that one connection.
    let prepares = try server.logLines(containing: "Prepare\tSELECT ")
    #expect(prepares.filter { $0.contains("SELECT password FROM users") }.count == 1)
    #expect(prepares.filter { $0.contains("SELECT active, expired, password_expired FROM users") }.count == 1)
    let executes = try server.logLines(containing: "Execute\tSELECT ")
    #expect(executes.filter { $0.contains("SELECT password FROM users") }.count == logins)
    #expect(executes.filter { $0.contains("SELECT active, expired, password_expired FROM users") }.count == logins)
    let connectionID = opened.first.flatMap { MariaDBConnectionTests.connectionID(of: $0) }
    #expect(connectionID != nil)
    #expect((prepares + executes).allSatisfy { MariaDBConnectionTests.connectionID(of: $0) == connectionID })
  }

  @Test("a process that forks after a login never shares its connection")
  func fork() throws {
    let chain = try MariaDBChain()
    defer { chain.tearDown() }
    let (server, service) = (chain.server, chain.service)
    let driver = try Fixture.path("pam_driver", libraries: ["pam"])
    let result = try run(
      [driver, "-c", service.confdir, "-f", "-n", "3", service.name, "alice@example.org", Accounts.password],
      timeout: 60)
    #expect(result.status == 0)
    #expect(result.lines.filter { $0 == "first " + BatteryTests.ok }.count == 1)
    #expect(result.lines.filter { $0 == "parent " + BatteryTests.ok }.count == 2)
    #expect(result.lines.filter { $0 == "child " + BatteryTests.ok }.count == 2)
    // Two processes, two connections: the child opened its own…
    let opened = try server.moduleConnections()
    #expect(opened.count == 2, "connections opened: \(opened)")
    // …and left the parent's session alone: no statement closed and no
    // Quit on it before the parent's own last query.
    let ids = opened.compactMap { MariaDBConnectionTests.connectionID(of: $0) }
    #expect(Set(ids).count == 2)
    if let parent = ids.first {
      let parentLines = try server.logLines(containing: "\t").filter {
        MariaDBConnectionTests.connectionID(of: $0) == parent
      }
      let executes = parentLines.filter { $0.contains("Execute\t") }
      #expect(executes.count == 6, "3 logins × 2 queries in the parent: \(parentLines)")
      #expect(!parentLines.contains { $0.contains("Close stmt") }, "the child closed the parent's statements")
      if let quit = parentLines.firstIndex(where: { $0.contains("Quit") }),
        let lastExecute = parentLines.lastIndex(where: { $0.contains("Execute\t") })
      {
        #expect(quit > lastExecute, "the parent's session was closed before its last query")
      }
    }
  }

  @Test("Connector/C's one NSS lookup (services, for its default port) is made once per process, not per login")
  func servicesLookupOncePerProcess() throws {
    let database = try BatteryDatabase.shared(.mysql)
    let driver = try Fixture.path("pam_driver", libraries: ["pam"])
    let directory = try makeTemporaryDirectory("swiftsql-trace")
    defer { removeTemporaryDirectory(directory) }
    let trace = "\(directory)/trace"
    let result = try run(
      [
        "/usr/bin/env", "-i", try resolveExecutable("strace"), "-f", "-qq", "-e", "trace=%file,connect", "-o", trace,
        driver, "-c", database.service.confdir, "-n", "3", database.service.name, "alice@example.org",
        Accounts.password,
      ], environment: [:], timeout: 60)
    #expect(result.stdout == String(repeating: BatteryTests.ok + "\n", count: 3))
    let calls = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
    #expect(calls.contains { $0.contains("connect(") && $0.contains("mysqld.sock") })
    // mysql_init's getservbyname("mysql", "tcp"): once, when the library
    // starts; never again for later logins.
    let services = calls.filter { $0.contains("open") && $0.contains("/etc/services") }
    #expect(services.count <= 1, "\(services)")
    for forbidden in ["/etc/passwd", "/etc/group", "/etc/shadow", ".my.cnf", "/etc/mysql"] {
      let lines = calls.filter { $0.contains(forbidden) }
      #expect(lines.isEmpty, "\(forbidden): \(lines.prefix(3))")
    }
  }

  /// The connection id of a general-log line ("…\t   12 Execute\t…").
  static func connectionID(of line: String) -> Int? {
    let fields = line.split(separator: "\t", omittingEmptySubsequences: true)
    for field in fields {
      let words = field.split(separator: " ")
      if words.count >= 2, let id = Int(words[0]),
        ["Connect", "Prepare", "Execute", "Quit", "Query"].contains(words[1])
      {
        return id
      }
    }
    return nil
  }
}
