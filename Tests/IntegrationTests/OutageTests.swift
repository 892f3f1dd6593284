// A database that goes away must never look like a wrong password, and must
// never hang the daemon: each test starts its own PostgreSQL cluster, then
// stops it or freezes it (SIGSTOP), and checks that the module answers
// PAM_AUTHINFO_UNAVAIL within the configured timeouts (plus one second of
// slack for a loaded machine), logs why, and recovers by itself once the
// server is back — in the same process, and in saslauthd without a restart.

import Foundation
import Testing

@Suite("Database outages", .serialized)
struct OutageTests {
  @Test("a stopped server: PAM_AUTHINFO_UNAVAIL within connect_timeout + 1 s, then recovery")
  func stoppedServer() throws {
    let sink = try SyslogSink.shared()
    let chain = try PostgresChain()
    defer { chain.tearDown() }
    let (cluster, service) = (chain.server, chain.service)
    let driver = try InteractiveDriver(service: service)
    #expect(try driver.login("alice@example.org", Accounts.password).result == BatteryTests.ok)

    try cluster.stop()
    for _ in 0..<2 {
      let (result, milliseconds) = try driver.login("alice@example.org", Accounts.password)
      #expect(result == "auth=PAM_AUTHINFO_UNAVAIL acct=-")
      #expect(milliseconds < (PostgresChain.connectTimeout + 1) * 1000)
    }
    try sink.waitForLine(containing: [service.name, "authentication failure", "reason=\"database unavailable"])

    try cluster.start()
    #expect(try driver.login("alice@example.org", Accounts.password).result == BatteryTests.ok)
    #expect(try driver.login("alice@example.org", "wrong").result == "auth=PAM_AUTH_ERR acct=-")
  }

  @Test("a restart between two logins: the next login reconnects and succeeds")
  func restartBetweenLogins() throws {
    let chain = try PostgresChain()
    defer { chain.tearDown() }
    let (cluster, service) = (chain.server, chain.service)
    let driver = try InteractiveDriver(service: service)
    #expect(try driver.login("alice@example.org", Accounts.password).result == BatteryTests.ok)
    // The kept connection dies with the server; no login notices until the next.
    try cluster.stop()
    try cluster.start()
    #expect(try driver.login("alice@example.org", Accounts.password).result == BatteryTests.ok)
    #expect(try cluster.logLines(containing: "connection authorized: user=mailauth").count == 2)
  }

  @Test("a frozen server (SIGSTOP): answers within the timeouts, then recovery on SIGCONT")
  func frozenServer() throws {
    let chain = try PostgresChain()
    var processes: [pid_t] = []
    defer {
      PostgresCluster.thaw(processes)
      chain.tearDown()
    }
    let driver = try InteractiveDriver(service: chain.service)
    #expect(try driver.login("alice@example.org", Accounts.password).result == BatteryTests.ok)

    // After the login, so that the server process of the kept connection is frozen too.
    processes = try chain.server.freeze()
    // The kept connection's query times out…
    let first = try driver.login("alice@example.org", Accounts.password)
    #expect(first.result == "auth=PAM_AUTHINFO_UNAVAIL acct=-")
    #expect(first.milliseconds < (PostgresChain.queryTimeout + 1) * 1000)
    // …and a new connection cannot complete its start-up.
    let second = try driver.login("alice@example.org", Accounts.password)
    #expect(second.result == "auth=PAM_AUTHINFO_UNAVAIL acct=-")
    #expect(second.milliseconds < (PostgresChain.connectTimeout + 1) * 1000)
    #expect(second.milliseconds >= (PostgresChain.connectTimeout - 1) * 1000, "the wait is the timeout, not an error")

    for pid in processes { kill(pid, SIGCONT) }
    #expect(try driver.login("alice@example.org", Accounts.password).result == BatteryTests.ok)
  }

  @Test("saslauthd keeps working across a PostgreSQL restart, without being restarted")
  func saslauthdRecovers() throws {
    let sink = try SyslogSink.shared()
    let chain = try PostgresChain(withSaslauthd: true)
    defer { chain.tearDown() }
    let (cluster, service, daemon) = (chain.server, chain.service, try chain.saslauthd())
    let request = ["-u", "alice@example.org", "-p", Accounts.password, "-s", service.name]
    #expect(try daemon.ourClient(request).stdout == SaslauthdTests.okLine + "\n")
    let workers = daemon.workerIDs()

    // Restarted between two logins: the worker's kept connection is dead.
    try cluster.stop()
    try cluster.start()
    #expect(try daemon.ourClient(request).stdout == SaslauthdTests.okLine + "\n")

    try cluster.stop()
    let refused = try daemon.ourClient(request)
    #expect(refused.stdout == "0: NO \"PAM auth error\"\n")
    #expect(refused.seconds < Double(PostgresChain.connectTimeout + 1))
    // saslauthd says only NO; the module's log says why.
    try sink.waitForLine(containing: [service.name, "user=alice@example.org", "reason=\"database unavailable"])

    try cluster.start()
    #expect(try daemon.ourClient(request).stdout == SaslauthdTests.okLine + "\n")
    #expect(daemon.workerIDs() == workers, "the same saslauthd worker answered")
  }
}
