// The chain of DESIGN.md §1 from saslauthd down: Debian's real saslauthd
// with the PAM mechanism loads the module from a service file in
// /etc/pam.d, and both Debian's testsaslauthd and `pam-swiftsql test` talk
// to its socket. With -r the realm is kept; without it, PAM sees only the
// name before the @, and only default_domain can complete it.

import Foundation
import Testing

@Suite("Through a real saslauthd")
struct SaslauthdTests {
  static let okLine = "0: OK \"Success.\""
  static let refusedByTestsaslauthd = "0: NO \"authentication failed\""

  /// A PostgreSQL-backed service installed in /etc/pam.d, and a daemon.
  static func setUp(keepRealm: Bool, extraConfig: String = "") throws -> (PAMService, Saslauthd) {
    let battery = try BatteryDatabase.shared(.pgsql)
    _ = battery
    let cluster = try PostgresCluster.shared()
    let config = "driver = pgsql\nconnect = \(cluster.connectionString())\n\(Accounts.queries)\n\(extraConfig)\n"
    let service = try PAMService(config: config, installInEtc: true)
    do {
      return (service, try Saslauthd(keepRealm: keepRealm))
    } catch {
      service.remove()
      throw error
    }
  }

  @Test("with -r: user@domain and user + realm succeed, wrong and unknown are refused")
  func withRealm() throws {
    let (service, daemon) = try SaslauthdTests.setUp(keepRealm: true)
    defer {
      daemon.stop()
      service.remove()
    }
    let s = ["-s", service.name]
    let right = ["-p", Accounts.password]
    for client in [daemon.testsaslauthd, daemon.ourClient] {
      #expect(try client(["-u", "alice@example.org"] + right + s).stdout == SaslauthdTests.okLine + "\n")
      #expect(try client(["-u", "alice", "-r", "example.org"] + right + s).stdout == SaslauthdTests.okLine + "\n")
    }
    // Refusals: testsaslauthd hides the reason, ours shows saslauthd's.
    for login in [["-u", "alice@example.org", "-p", "wrong"], ["-u", "nobody@example.org"] + right] {
      let theirs = try daemon.testsaslauthd(login + s)
      #expect(theirs.stdout == SaslauthdTests.refusedByTestsaslauthd + "\n")
      let ours = try daemon.ourClient(login + s)
      #expect(ours.stdout == "0: NO \"PAM auth error\"\n")
      #expect(ours.status == 1)
    }
    // The account step's refusal has its own reply.
    let disabled = try daemon.ourClient(["-u", "disabled@example.org"] + right + s)
    #expect(disabled.stdout == "0: NO \"PAM acct error\"\n")
    #expect(disabled.status == 1)
    // -R repeats, numbering each answer like testsaslauthd.
    let repeated = try daemon.ourClient(["-u", "alice@example.org", "-R", "3"] + right + s)
    #expect(repeated.lines == ["0: OK \"Success.\"", "1: OK \"Success.\"", "2: OK \"Success.\""])
    #expect(repeated.status == 0)
  }

  @Test("without -r the domain is lost; only default_domain brings it back")
  func withoutRealm() throws {
    let sink = try SyslogSink.shared()
    let (bare, bareDaemon) = try SaslauthdTests.setUp(keepRealm: false)
    defer {
      bareDaemon.stop()
      bare.remove()
    }
    let request = ["-u", "alice", "-r", "example.org", "-p", Accounts.password, "-s", bare.name]
    #expect(try bareDaemon.testsaslauthd(request).stdout == SaslauthdTests.refusedByTestsaslauthd + "\n")
    #expect(try bareDaemon.ourClient(request).status == 1)
    try sink.waitForLine(containing: [bare.name, "user=alice ", "run saslauthd with -r", "default_domain"])

    let (completed, completedDaemon) = try SaslauthdTests.setUp(
      keepRealm: false, extraConfig: "default_domain = example.org")
    defer {
      completedDaemon.stop()
      completed.remove()
    }
    let again = ["-u", "alice", "-r", "example.org", "-p", Accounts.password, "-s", completed.name]
    #expect(try completedDaemon.testsaslauthd(again).stdout == SaslauthdTests.okLine + "\n")
    #expect(try completedDaemon.ourClient(again).stdout == SaslauthdTests.okLine + "\n")
  }

  @Test("pam-swiftsql test asks for the service smtp unless told otherwise, and sends the realm as given")
  func defaultService() throws {
    let daemon = try Saslauthd(keepRealm: true, workers: 1)
    defer { daemon.stop() }
    // No such login anywhere: only what saslauthd logs about the request matters.
    let login = "probe-\(uniqueTag())"
    _ = try daemon.ourClient(["-u", login, "-r", "example.org", "-p", "x"])
    _ = try daemon.testsaslauthd(["-u", login + "-theirs", "-r", "example.org", "-p", "x"])
    // The fifth field of newer saslauthd versions is ignored by 2.1.28.
    _ = try daemon.ourClient(["-u", login + "-five", "-p", "x", "--client-address", "192.0.2.1"])
    try waitUntil("saslauthd to log the requests") {
      let log = (try? String(contentsOfFile: daemon.logFile, encoding: .utf8)) ?? ""
      return log.contains("\(login)-five")
    }
    let log = try String(contentsOfFile: daemon.logFile, encoding: .utf8)
    #expect(log.contains("[user=\(login)@example.org] [service=smtp] [realm=example.org]"))
    #expect(log.contains("[user=\(login)-theirs@example.org] [service=imap] [realm=example.org]"))
    #expect(log.contains("[user=\(login)-five] [service=smtp] [realm=]"))
  }
}
