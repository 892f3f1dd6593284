// OutageTests for MariaDB: a server that goes away must never look like a
// wrong password, and must never hang the daemon. Each test starts its own
// MariaDB server, then stops it, restarts it or freezes it (SIGSTOP), and
// checks that the module answers PAM_AUTHINFO_UNAVAIL within the configured
// timeouts (plus one second of slack for a loaded machine), logs why, and
// recovers by itself once the server is back — in the same process, and in
// saslauthd without a restart. One more: a server that answers one byte at a
// time, which Connector/C's own per-read timeouts never stop, is cut off at
// connect_timeout.

import Foundation
import Testing

@Suite("MariaDB outages", .serialized)
struct MariaDBOutageTests {
  static let unavailable = "auth=PAM_AUTHINFO_UNAVAIL acct=-"

  @Test("a stopped server: PAM_AUTHINFO_UNAVAIL within connect_timeout + 1 s, then recovery")
  func stoppedServer() throws {
    let sink = try SyslogSink.shared()
    let chain = try MariaDBChain()
    defer { chain.tearDown() }
    let (server, service) = (chain.server, chain.service)
    let driver = try InteractiveDriver(service: service)
    #expect(try driver.login("alice@example.org", Accounts.password).result == BatteryTests.ok, sink.recap(of: service))

    try server.stop()
    for _ in 0..<2 {
      let (result, milliseconds) = try driver.login("alice@example.org", Accounts.password)
      #expect(result == MariaDBOutageTests.unavailable, sink.recap(of: service))
      #expect(milliseconds < (MariaDBChain.connectTimeout + 1) * 1000, sink.recap(of: service))
    }
    try sink.waitForLine(containing: [service.name, "authentication failure", "reason=\"database unavailable"])

    try server.start()
    #expect(try driver.login("alice@example.org", Accounts.password).result == BatteryTests.ok, sink.recap(of: service))
    #expect(
      try driver.login("alice@example.org", "wrong").result == "auth=PAM_AUTH_ERR acct=-", sink.recap(of: service))
  }

  @Test("a restart between two logins: the next login reconnects and succeeds")
  func restartBetweenLogins() throws {
    let sink = try SyslogSink.shared()
    let chain = try MariaDBChain()
    defer { chain.tearDown() }
    let (server, service) = (chain.server, chain.service)
    let driver = try InteractiveDriver(service: service)
    #expect(try driver.login("alice@example.org", Accounts.password).result == BatteryTests.ok, sink.recap(of: service))
    // The kept connection dies with the server; no login notices until the next.
    try server.restart()
    #expect(try driver.login("alice@example.org", Accounts.password).result == BatteryTests.ok, sink.recap(of: service))
    // The server's connections and prepares, if a count is off (no Execute
    // lines: they carry values).
    let lines = ["Connect\t", "Prepare\t"].flatMap { (try? server.logLines(containing: $0)) ?? [] }
    let generalLog = Comment(rawValue: lines.joined(separator: "\n"))
    #expect(try server.moduleConnections().count == 2, generalLog)
    // The statements were prepared again on the new connection.
    #expect(try server.logLines(containing: "Prepare\tSELECT password FROM users").count == 2, generalLog)
  }

  @Test("a frozen server (SIGSTOP): answers within the timeouts, then recovery on SIGCONT")
  func frozenServer() throws {
    let chain = try MariaDBChain()
    var frozen: pid_t = 0
    defer {
      if frozen > 0 { kill(frozen, SIGCONT) }
      chain.tearDown()
    }
    let sink = try SyslogSink.shared()
    let driver = try InteractiveDriver(service: chain.service)
    #expect(
      try driver.login("alice@example.org", Accounts.password).result == BatteryTests.ok, sink.recap(of: chain.service))

    // After the login, so that the kept connection's server is frozen too.
    frozen = try chain.server.serverProcessID()
    try freeze(frozen)
    // The kept connection's query times out…
    let first = try driver.login("alice@example.org", Accounts.password)
    #expect(first.result == MariaDBOutageTests.unavailable)
    #expect(first.milliseconds < (MariaDBChain.queryTimeout + 1) * 1000)
    #expect(first.milliseconds >= (MariaDBChain.queryTimeout - 1) * 1000, "the wait is the timeout, not an error")
    // …and a new connection cannot complete its handshake.
    let second = try driver.login("alice@example.org", Accounts.password)
    #expect(second.result == MariaDBOutageTests.unavailable)
    #expect(second.milliseconds < (MariaDBChain.connectTimeout + 1) * 1000)
    #expect(second.milliseconds >= (MariaDBChain.connectTimeout - 1) * 1000, "the wait is the timeout, not an error")

    kill(frozen, SIGCONT)
    frozen = 0
    #expect(
      try driver.login("alice@example.org", Accounts.password).result == BatteryTests.ok, sink.recap(of: chain.service))
  }

  @Test("a server that answers one byte at a time is cut off at connect_timeout")
  func tricklingServer() throws {
    let directory = try makeTemporaryDirectory("swiftsql-trickle")
    defer { removeTemporaryDirectory(directory) }
    let socket = "\(directory)/trickle.sock"
    // A MariaDB greeting, one byte every 0.4 s: each read gets a byte well
    // within any read timeout, and the whole greeting takes about 40 s.
    let script = """
      import socket, sys, time
      s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(5)
      body = (b"\\x0a5.5.5-10.11.0-MariaDB\\x00" + b"\\x01\\x00\\x00\\x00" + b"abcdefgh\\x00"
              + b"\\xff\\xf7\\x2d\\x02\\x00\\xff\\x81\\x15" + b"\\x00" * 6 + b"\\x0f\\x00\\x00\\x00"
              + b"ijklmnopqrst\\x00" + b"mysql_native_password\\x00")
      packet = len(body).to_bytes(3, "little") + b"\\x00" + body
      c, _ = s.accept()
      for b in packet:
          c.send(bytes([b])); time.sleep(0.4)
      """
    let server = try ChildProcess(
      ["python3", "-c", script, socket], pipeInput: false, pipeOutput: false, pipeErrors: false)
    defer {
      kill(server.processID, SIGKILL)
      _ = server.wait()
    }
    try waitUntil("the trickling server's socket") { FileManager.default.fileExists(atPath: socket) }
    let service = try PAMService(
      config: "driver = mysql\nconnect = socket=\(socket) user=mailauth password=x dbname=mail\n"
        + "\(Accounts.queries)\nconnect_timeout = \(MariaDBChain.connectTimeout)\n"
        + "query_timeout = \(MariaDBChain.queryTimeout)\n")
    defer { service.remove() }
    let driver = try InteractiveDriver(service: service)
    let (result, milliseconds) = try driver.login("alice@example.org", Accounts.password)
    #expect(result == MariaDBOutageTests.unavailable)
    #expect(milliseconds < (MariaDBChain.connectTimeout + 1) * 1000)
    #expect(milliseconds >= (MariaDBChain.connectTimeout - 1) * 1000, "the wait is the timeout, not an error")
  }

  @Test("saslauthd keeps working across a MariaDB restart, without being restarted")
  func saslauthdRecovers() throws {
    let sink = try SyslogSink.shared()
    let chain = try MariaDBChain(withSaslauthd: true)
    defer { chain.tearDown() }
    let (server, service, daemon) = (chain.server, chain.service, try chain.saslauthd())
    let request = ["-u", "alice@example.org", "-p", Accounts.password, "-s", service.name]
    #expect(try daemon.ourClient(request).stdout == SaslauthdTests.okLine + "\n", sink.recap(of: service))
    let workers = daemon.workerIDs()

    // Restarted between two logins: the worker's kept connection is dead.
    try server.restart()
    #expect(try daemon.ourClient(request).stdout == SaslauthdTests.okLine + "\n", sink.recap(of: service))

    try server.stop()
    let refused = try daemon.ourClient(request)
    #expect(refused.stdout == "0: NO \"PAM auth error\"\n")
    #expect(refused.seconds < Double(MariaDBChain.connectTimeout + 1))
    // saslauthd says only NO; the module's log says why.
    try sink.waitForLine(containing: [service.name, "user=alice@example.org", "reason=\"database unavailable"])

    try server.start()
    #expect(try daemon.ourClient(request).stdout == SaslauthdTests.okLine + "\n", sink.recap(of: service))
    #expect(daemon.workerIDs() == workers, "the same saslauthd worker answered")
    #expect(try server.moduleConnections().count == 3, "one connection per server start")
  }
}
