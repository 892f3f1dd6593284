// swiftsql-authd (`pam-swiftsql serve`), started by each test as root and
// serving as nobody: Debian's testsaslauthd and `pam-swiftsql test` on its
// saslauthd socket, a Postfix-style client on its Dovecot socket, the
// module's failure lines, its privileges and sockets, a database outage,
// SIGHUP's last-good rule, SIGTERM with logins in flight, kill -9, the
// fifth field, and its limits. Expected answers come from the protocols and
// Debian's tools, never from the code under test.

import Foundation
import Testing

/// The battery's PostgreSQL database, reachable by nobody.
private func batteryConfig(_ extra: String = "") throws -> String {
  _ = try BatteryDatabase.shared(.pgsql)
  let cluster = try PostgresCluster.shared()
  // The daemon runs as nobody: it must reach the cluster's socket.
  chmod(cluster.directory, 0o711)
  return "driver = pgsql\nconnect = \(cluster.connectionString())\n\(Accounts.queries)\n\(extra)\n"
}

private let ok = "0: OK \"Success.\"\n"
private let password = Accounts.password

@Suite("swiftsql-authd: saslauthd's protocol")
struct ServeSaslauthdTests {
  @Test("testsaslauthd and pam-swiftsql test: right, wrong, unknown, disabled; the module's failure lines")
  func logins() throws {
    let daemon = try ServeDaemon(config: try batteryConfig(), arguments: ["--failure-delay", "0"])
    defer { daemon.remove() }
    for client in [daemon.testsaslauthd, daemon.ourClient] {
      #expect(try client(["-u", "alice", "-r", "example.org", "-p", password, "-s", "smtp"]).stdout == ok)
      #expect(try client(["-u", "alice@example.org", "-p", password, "-s", "smtp"]).stdout == ok)
    }
    #expect(
      try daemon.testsaslauthd(["-u", "alice@example.org", "-p", "wrong", "-s", "smtp"]).stdout
        == "0: NO \"authentication failed\"\n")
    for login in [["-u", "alice@example.org", "-p", "wrong"], ["-u", "nobody@example.org", "-p", password]] {
      let ours = try daemon.ourClient(login + ["-s", "smtp"])
      #expect(ours.stdout == "0: NO \"authentication failed\"\n")
      #expect(ours.status == 1)
    }
    let disabled = try daemon.ourClient(["-u", "disabled@example.org", "-p", password, "-s", "imap"])
    #expect(disabled.stdout == "0: NO \"account disabled\"\n")

    // One line per failure, as the module writes it (the service is the
    // one the client sent).
    try daemon.waitForLog(
      "authentication failure; user=alice@example.org service=smtp rhost= reason=\"wrong password\"")
    try daemon.waitForLog(
      "authentication failure; user=nobody@example.org service=smtp rhost= reason=\"no such login\"")
    try daemon.waitForLog(
      "account failure; user=disabled@example.org service=imap rhost= reason=\"account disabled (account_query: active")
    // Two wrong passwords for alice (testsaslauthd's, ours), one each else.
    #expect(daemon.logLines(containing: "failure;").count == 4)
    #expect(daemon.logLines(containing: password).isEmpty)
    #expect(daemon.logLines(containing: "$6$").isEmpty)

    let status = try daemon.status()
    #expect(status["logins"] == "8")
    #expect(status["accepted"] == "4")
    #expect(status["failures"] == "4")
    #expect(status["outages"] == "0")
    #expect(status["latency_p99_ms"] != nil)
  }

  @Test("the realm: joined as saslauthd -r joins it, or ignored with --realm ignore")
  func realm() throws {
    let joined = try ServeDaemon(config: try batteryConfig(), arguments: ["--failure-delay", "0"])
    defer { joined.remove() }
    #expect(try joined.ask("alice", password, realm: "example.org").accepted)
    #expect(try !joined.ask("alice", password, realm: "example.net").accepted)
    try joined.waitForLog("user=alice@example.net", "reason=\"no such login\"")

    let ignored = try ServeDaemon(
      config: try batteryConfig("default_domain = example.org"), arguments: ["--realm", "ignore"])
    defer { ignored.remove() }
    #expect(try ignored.ask("alice", password, realm: "example.net").accepted)
    #expect(try ignored.ask("alice@example.org", password).accepted)
  }

  @Test("--service NAME=FILE: the service the client sends picks the configuration")
  func perService() throws {
    let directory = try makeTemporaryDirectory("swiftsql-serve-service")
    chmod(directory, 0o755)
    defer { removeTemporaryDirectory(directory) }
    let special = "\(directory)/imap.conf"
    try ServeDaemon.writeConfig(try batteryConfig("default_domain = example.org"), to: special)
    let daemon = try ServeDaemon(
      config: try batteryConfig(), arguments: ["--failure-delay", "0", "--service", "imap=\(special)"])
    defer { daemon.remove() }
    #expect(try daemon.ask("alice", password, service: "imap").accepted)
    #expect(try !daemon.ask("alice", password, service: "smtp").accepted)
    try daemon.waitForLog("user=alice service=smtp", "the login has no '@domain'")
  }

  @Test("the fifth field: the client address, read when it comes in pieces, the port cut at ';'")
  func fifthField() throws {
    let daemon = try ServeDaemon(
      config: try batteryConfig(), arguments: ["--failure-delay", "0", "--address-wait", "3000"])
    defer { daemon.remove() }
    // Four fields in one piece: a 2.1.28 request, answered at once.
    let four = try SaslauthdWire.connect(daemon.socket, timeoutSeconds: 30)
    defer { close(four) }
    try SaslauthdWire.sendAll(four, SaslauthdWire.request(["alice", password, "smtp", "example.org"]))
    #expect(try SaslauthdWire.reply(four) == "OK")

    // Four fields, then (later) the fifth: the daemon waits for it.
    let five = try SaslauthdWire.connect(daemon.socket, timeoutSeconds: 30)
    defer { close(five) }
    let fields = SaslauthdWire.request(["alice", "wrong", "smtp", "example.org"])
    try SaslauthdWire.sendAll(five, Array(fields[..<4]))
    usleep(50_000)
    try SaslauthdWire.sendAll(five, Array(fields[4...]))
    usleep(200_000)
    try SaslauthdWire.sendAll(five, SaslauthdWire.request(["192.0.2.7;587"]))
    #expect(try SaslauthdWire.reply(five) == "NO authentication failed")
    try daemon.waitForLog("user=alice@example.org service=smtp rhost=192.0.2.7 reason=\"wrong password\"")

    // Four fields in pieces and nothing more: answered once the wait is over.
    let started = monotonicSeconds()
    let late = try SaslauthdWire.connect(daemon.socket, timeoutSeconds: 30)
    defer { close(late) }
    let request = SaslauthdWire.request(["alice", password, "smtp", "example.org"])
    try SaslauthdWire.sendAll(late, Array(request[..<3]))
    usleep(50_000)
    try SaslauthdWire.sendAll(late, Array(request[3...]))
    #expect(try SaslauthdWire.reply(late) == "OK")
    #expect(monotonicSeconds() - started >= 3.0)
  }

  @Test("a field over 256 bytes: a bare NO, as saslauthd answers, and the log says which")
  func tooLong() throws {
    let daemon = try ServeDaemon(config: try batteryConfig())
    defer { daemon.remove() }
    let answer = try daemon.ask("alice@example.org", String(repeating: "p", count: 300))
    #expect(answer.text == "NO")
    try daemon.waitForLog("password is longer than 256 bytes")
  }

  @Test("a refused login is answered after --failure-delay, without holding the worker")
  func failureDelay() throws {
    let daemon = try ServeDaemon(
      config: try batteryConfig(), arguments: ["--failure-delay", "1500", "--workers", "1"])
    defer { daemon.remove() }
    let refused = Locked<LoginAnswer?>(nil)
    let thread = Thread { refused.set(try? daemon.ask("alice@example.org", "wrong")) }
    thread.start()
    usleep(300_000)
    // The one worker is free again: a right password is answered while the
    // refusal still waits.
    #expect(try daemon.ask("alice@example.org", password).accepted)
    #expect(refused.get() == nil)
    try waitUntil("the refusal", seconds: 10) { refused.get() != nil }
    let answer = try #require(refused.get())
    #expect(!answer.accepted)
    #expect(answer.seconds >= 1.5)
  }
}

@Suite("swiftsql-authd: Dovecot's auth-client protocol")
struct ServeDovecotTests {
  @Test("the handshake Postfix expects, then PLAIN and LOGIN on one connection")
  func postfixConversation() throws {
    let daemon = try ServeDaemon(config: try batteryConfig(), arguments: ["--failure-delay", "0"])
    defer { daemon.remove() }
    let client = try DovecotWire(daemon.dovecotSocket)
    // MECH lines before SPID (Postfix: "Connected to wrong auth socket").
    #expect(Array(client.handshake.prefix(3)) == ["VERSION\t1\t2", "MECH\tPLAIN\tplaintext", "MECH\tLOGIN\tplaintext"])
    #expect(client.handshake.dropFirst(3).first == "SPID\t\(daemon.processID)")
    #expect(client.handshake.contains { $0.hasPrefix("CUID\t") })
    #expect(client.handshake.contains { $0.hasPrefix("COOKIE\t") && $0.count == 7 + 32 })
    #expect(client.handshake.last == "DONE")

    #expect(try client.plain(id: 1, "alice@example.org", password) == "OK\t1\tuser=alice@example.org")
    #expect(try client.plain(id: 2, "alice@example.org", "wrong") == "FAIL\t2\tuser=alice@example.org")
    #expect(
      try client.login(id: 3, "alice@example.org", password)
        == ["CONT\t3\tVXNlcm5hbWU6", "CONT\t3\tUGFzc3dvcmQ6", "OK\t3\tuser=alice@example.org"])
    #expect(
      try client.plain(id: 4, "disabled@example.org", password)
        == "FAIL\t4\tuser=disabled@example.org\tcode=user_disabled")
    #expect(try client.plain(id: 5, "nobody@example.org", password) == "FAIL\t5\tuser=nobody@example.org")
    try daemon.waitForLog("authentication failure; user=nobody@example.org service=smtp rhost=192.0.2.44")

    // A protocol error closes that connection only.
    try client.send("BOGUS\n")
    #expect(throws: (any Error).self) { _ = try client.readLine() }
    let again = try DovecotWire(daemon.dovecotSocket)
    #expect(try again.plain(id: 1, "alice@example.org", password) == "OK\t1\tuser=alice@example.org")
  }
}

@Suite("swiftsql-authd: privileges and sockets")
struct ServePrivilegeTests {
  @Test("started as root, it serves as --user with no other group; sockets 0777 in a 0710 directory")
  func unprivileged() throws {
    let daemon = try ServeDaemon(config: try batteryConfig())
    defer { daemon.remove() }
    let credentials = try daemon.credentials()
    #expect(credentials.uids == ["65534", "65534", "65534", "65534"])
    #expect(credentials.gids == ["65534", "65534", "65534", "65534"])
    #expect(credentials.groups.isEmpty)
    let directory = try FileManager.default.attributesOfItem(atPath: daemon.runDirectory)
    #expect((directory[.posixPermissions] as? Int) == 0o710)
    #expect((directory[.ownerAccountName] as? String) == "nobody")
    #expect((directory[.groupOwnerAccountName] as? String) == "nogroup")
    for socket in [daemon.socket, daemon.dovecotSocket, daemon.statusSocket] {
      let attributes = try FileManager.default.attributesOfItem(atPath: socket)
      #expect((attributes[.posixPermissions] as? Int) == 0o777, "\(socket)")
    }
    let dumpable = try String(contentsOfFile: "/proc/\(daemon.processID)/status", encoding: .utf8)
    #expect(dumpable.contains("NoNewPrivs:\t1"))
  }

  @Test("it refuses to serve as root, and says so")
  func refusesRoot() throws {
    let directory = try makeTemporaryDirectory("swiftsql-serve-root")
    defer { removeTemporaryDirectory(directory) }
    try ServeDaemon.writeConfig(try batteryConfig(), to: "\(directory)/pam_swiftsql.conf")
    for (user, message) in [("root", "never serves as root"), ("no-such-user-here", "there is no user")] {
      let result = try run(
        [
          ServeDaemon.binary, "--config", "\(directory)/pam_swiftsql.conf", "--socket", "\(directory)/mux",
          "--dovecot-socket", "none", "--status-socket", "none", "--user", user, "--foreground",
        ], timeout: 30)
      #expect(result.status == 1)
      #expect(result.stderr.contains(message), "\(result.stderr)")
      #expect(!FileManager.default.fileExists(atPath: "\(directory)/mux"))
    }
  }

  @Test("another daemon on the socket: refused; a socket left by a killed one: replaced")
  func staleSocket() throws {
    let daemon = try ServeDaemon(config: try batteryConfig())
    defer { daemon.remove() }
    let second = try run(
      [
        ServeDaemon.binary, "--config", daemon.configPath, "--socket", daemon.socket, "--dovecot-socket", "none",
        "--status-socket", "none", "--user", "nobody", "--foreground",
      ], timeout: 30)
    #expect(second.status == 1)
    #expect(second.stderr.contains("already listens"))
    #expect(try daemon.ask("alice@example.org", password).accepted)

    // kill -9, then the same command again: the sockets are made anew.
    daemon.signal(SIGKILL)
    try daemon.waitForExit()
    #expect(throws: (any Error).self) { _ = try daemon.ask("alice@example.org", password) }
    try daemon.restart()
    #expect(try daemon.ask("alice@example.org", password).accepted)
  }

  @Test("--check loads the files as the daemon's user and says what is wrong")
  func check() throws {
    let directory = try makeTemporaryDirectory("swiftsql-serve-check")
    chmod(directory, 0o755)
    defer { removeTemporaryDirectory(directory) }
    try ServeDaemon.writeConfig(try batteryConfig(), to: "\(directory)/good.conf")
    try ServeDaemon.writeConfig("driver = nosuchdriver\n", to: "\(directory)/bad.conf")
    try ServeDaemon.writeConfig(try batteryConfig(), to: "\(directory)/secret.conf")
    chmod("\(directory)/secret.conf", 0o600)
    let good = try run([ServeDaemon.binary, "--check", "--config", "\(directory)/good.conf", "--user", "nobody"])
    #expect(good.status == 0)
    #expect(good.stdout.contains("good.conf: ok (driver pgsql"))
    let bad = try run([
      ServeDaemon.binary, "--check", "--config", "\(directory)/good.conf", "--service", "imap=\(directory)/bad.conf",
      "--service", "pop3=\(directory)/secret.conf", "--user", "nobody",
    ])
    #expect(bad.status == 4)
    #expect(bad.stdout.contains("bad.conf") && bad.stdout.contains("driver"))
    #expect(bad.stdout.contains("secret.conf: configuration error: cannot read open"), "\(bad.stdout)")
    #expect(bad.stdout.contains("(read as nobody)"))
  }

  @Test("socket activation: the sockets systemd passes are used as they are")
  func socketActivation() throws {
    let directory = try makeTemporaryDirectory("swiftsql-serve-activation")
    chmod(directory, 0o755)
    defer { removeTemporaryDirectory(directory) }
    try ServeDaemon.writeConfig(try batteryConfig(), to: "\(directory)/pam_swiftsql.conf")
    let mux = "\(directory)/mux"
    let dovecot = "\(directory)/auth-client"
    let log = "\(directory)/daemon.log"
    let activator = try ChildProcess(
      [
        "/bin/sh", "-c",
        "exec systemd-socket-activate -l \(mux) -l \(dovecot) \(ServeDaemon.binary) --config "
          + "\(directory)/pam_swiftsql.conf --socket \(mux) --dovecot-socket \(dovecot) --status-socket none "
          + "--user nobody --foreground --log-stderr --failure-delay 0 2>>\(log)",
      ], pipeInput: false, pipeOutput: false, pipeErrors: false)
    defer {
      kill(activator.processID, SIGTERM)
      _ = activator.wait()
    }
    try waitUntil("the activator's sockets") { FileManager.default.fileExists(atPath: dovecot) }
    // The first connection starts the daemon, which answers it.
    #expect(
      try SaslauthdWire.ask(socket: mux, login: "alice@example.org", password: password, service: "smtp").accepted)
    let client = try DovecotWire(dovecot)
    #expect(try client.plain(id: 1, "alice@example.org", password) == "OK\t1\tuser=alice@example.org")
    let text = try String(contentsOfFile: log, encoding: .utf8)
    #expect(text.contains("serving saslauthd on \(mux), dovecot on \(dovecot)"), "\(text)")
    #expect(text.contains("started as nobody"))
  }
}

@Suite("swiftsql-authd: outages, reloads, shutdown")
struct ServeLifecycleTests {
  @Test("the database stopped and restarted under load: temporary failures, never a wrong password")
  func outage() throws {
    let chain = try PostgresChain()
    defer { chain.tearDown() }
    chmod(chain.server.directory, 0o711)
    let config =
      "driver = pgsql\nconnect = \(chain.server.connectionString())\n\(Accounts.queries)\n"
      + "connect_timeout = 2\nquery_timeout = 2\n"
    let daemon = try ServeDaemon(config: config, arguments: ["--failure-delay", "0"])
    defer { daemon.remove() }
    let pid = daemon.processID
    let client = try DovecotWire(daemon.dovecotSocket)
    #expect(try client.plain(id: 1, "alice@example.org", password) == "OK\t1\tuser=alice@example.org")

    // Load: four threads log in all along; every answer is OK or a
    // temporary failure.
    let answers = Locked<[String]>([])
    let running = Locked(true)
    var threads: [Thread] = []
    for _ in 0..<4 {
      let thread = Thread {
        while running.get() {
          let answer = (try? daemon.ask("alice@example.org", password))?.text ?? "error"
          answers.update { $0.append(answer) }
        }
      }
      thread.start()
      threads.append(thread)
    }
    usleep(300_000)
    try chain.server.stop()
    try daemon.waitForLog("database unavailable")
    #expect(try daemon.ask("alice@example.org", password).text == "NO temporary failure: the database is unavailable")
    #expect(
      try client.plain(id: 2, "alice@example.org", password)
        == "FAIL\t2\tuser=alice@example.org\tcode=temp_fail\treason=Temporary authentication failure")
    try chain.server.start()
    try waitUntil("logins to work again", seconds: 20) { try daemon.ask("alice@example.org", password).accepted }
    usleep(300_000)
    running.set(false)
    try waitUntil("the load threads") { threads.allSatisfy { $0.isFinished } }

    let seen = Set(answers.get())
    #expect(seen.isSubset(of: ["OK", "NO temporary failure: the database is unavailable"]), "\(seen)")
    #expect(seen.contains("OK"))
    #expect(daemon.logLines(containing: "reason=\"wrong password\"").isEmpty)
    try daemon.waitForLog("database answers again")
    #expect(try client.plain(id: 3, "alice@example.org", password) == "OK\t3\tuser=alice@example.org")
    #expect(daemon.processID == pid)
    let status = try daemon.status()
    #expect(Int(status["outages"] ?? "0") ?? 0 >= 2)
  }

  @Test("SIGHUP: a changed file is taken; an invalid one keeps the last good configuration; an unsafe one is refused")
  func reload() throws {
    let base = try batteryConfig()
    let daemon = try ServeDaemon(config: base, arguments: ["--failure-delay", "0"])
    defer { daemon.remove() }
    // A bare login needs default_domain.
    #expect(try !daemon.ask("alice", password).accepted)

    try ServeDaemon.writeConfig(base + "default_domain = example.org\n", to: daemon.configPath)
    daemon.signal(SIGHUP)
    try daemon.waitForLog("configuration reloaded")
    #expect(try daemon.ask("alice", password).accepted)

    try ServeDaemon.writeConfig("driver = nosuchdriver\n", to: daemon.configPath)
    daemon.signal(SIGHUP)
    try daemon.waitForLog("stays in force until this is fixed")
    try daemon.waitForLog("configuration reloaded; 1 file(s) not in force as written")
    #expect(try daemon.ask("alice", password).accepted)

    // Someone other than root (or the daemon's own user) could change it:
    // refused, whatever was read before. (A file changed in place is looked
    // at once it has been unchanged for a second.)
    try ServeDaemon.writeConfig(base + "default_domain = example.org\n", to: daemon.configPath)
    chown(daemon.configPath, 12345, 12345)
    usleep(1_200_000)
    daemon.signal(SIGHUP)
    try daemon.waitForLog("owned by uid 12345")
    #expect(try daemon.ask("alice", password).text == "NO temporary failure: see the server's log")
    chown(daemon.configPath, 0, 0)
    #expect(try daemon.ask("alice", password).accepted)

    let status = try daemon.status()
    #expect(status["reloads"] == "3")
    #expect(status["reload_failures"] == "2")
  }

  @Test("SIGTERM: no new connections; the logins in progress are answered; exit 0")
  func shutdown() throws {
    let slow =
      "driver = pgsql\nconnect = \(try PostgresCluster.shared().connectionString())\n"
      + "password_query = SELECT password FROM users WHERE username = '%n' AND domain = '%d' "
      + "AND (SELECT true FROM pg_sleep(1.5))\n"
    _ = try batteryConfig()
    let daemon = try ServeDaemon(config: slow, arguments: ["--failure-delay", "0"])
    defer { daemon.remove() }
    let saslauthd = Locked<LoginAnswer?>(nil)
    let dovecot = Locked<String?>(nil)
    let client = try DovecotWire(daemon.dovecotSocket)
    let threads = [
      Thread { saslauthd.set(try? daemon.ask("alice@example.org", password)) },
      Thread { dovecot.set(try? client.plain(id: 7, "alice@example.org", password)) },
    ]
    for thread in threads { thread.start() }
    usleep(500_000)
    daemon.signal(SIGTERM)
    try daemon.waitForLog("SIGTERM")
    #expect(throws: (any Error).self) { _ = try SaslauthdWire.connect(daemon.socket, timeoutSeconds: 5) }
    #expect(try daemon.waitForExit() == 0)
    try waitUntil("both answers") { threads.allSatisfy { $0.isFinished } }
    #expect(saslauthd.get()?.text == "OK")
    #expect(dovecot.get() == "OK\t7\tuser=alice@example.org")
    try daemon.waitForLog("stopped")
  }
}

@Suite("swiftsql-authd: limits")
struct ServeLimitTests {
  @Test("1,000 idle connections and a slow client do not delay a real login; their deadline closes them")
  func flood() throws {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    if limit.rlim_cur < 4096 {
      limit.rlim_cur = min(limit.rlim_max, 4096)
      setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
    let daemon = try ServeDaemon(
      config: try batteryConfig(), arguments: ["--failure-delay", "0", "--request-timeout", "6", "--workers", "2"])
    defer { daemon.remove() }
    var baseline: [Double] = []
    for _ in 0..<5 { baseline.append(try daemon.ask("alice@example.org", password).seconds) }

    let opened = monotonicSeconds()
    var idle: [Int32] = []
    defer { for descriptor in idle { close(descriptor) } }
    for index in 0..<1000 {
      idle.append(try SaslauthdWire.connect(index % 2 == 0 ? daemon.socket : daemon.dovecotSocket, timeoutSeconds: 20))
    }
    // A slow client: a login of 256 bytes announced, then a byte every
    // 0.3 s, never a whole request.
    let slow = try SaslauthdWire.connect(daemon.socket, timeoutSeconds: 20)
    defer { close(slow) }
    let slowClosed = Locked<Double?>(nil)
    let slowThread = Thread {
      let started = monotonicSeconds()
      var header: [UInt8] = [0x01, 0x00]
      _ = send(slow, &header, 2, Int32(MSG_NOSIGNAL))
      for _ in 0..<60 {
        var byte = UInt8(ascii: "a")
        if send(slow, &byte, 1, Int32(MSG_NOSIGNAL)) != 1 { break }
        usleep(300_000)
      }
      slowClosed.set(monotonicSeconds() - started)
    }
    slowThread.start()

    var flooded: [Double] = []
    for _ in 0..<5 {
      let answer = try daemon.ask("alice@example.org", password)
      #expect(answer.accepted)
      flooded.append(answer.seconds)
    }
    let before = baseline.sorted()[2]
    let during = flooded.sorted()[2]
    // Served one after the other, a login would wait for the idle ones'
    // deadline (6 s); it waits for nothing but its own check.
    #expect(during < before * 2 + 0.5, "median login \(during) s among 1,000 idle connections, \(before) s before")
    #expect(monotonicSeconds() - opened < 6, "the idle connections were opened and the logins done in time")
    let status = try daemon.status()
    #expect(Int(status["connections"] ?? "0") ?? 0 >= 1000)

    // The deadline closes them: the daemon hangs up on each.
    try waitUntil("the idle connections to be closed", seconds: 20) {
      Int((try daemon.status())["connections"] ?? "") ?? 10_000 <= 1
    }
    try waitUntil("the slow client to be cut off", seconds: 20) { slowThread.isFinished }
    #expect((slowClosed.get() ?? 100) < 12, "the slow client kept its connection \(slowClosed.get() ?? -1) s")
    #expect(Int((try daemon.status())["timeouts"] ?? "0") ?? 0 >= 1000)
  }

  @Test("a full queue: logins wait their turn (back-pressure), none is lost or refused")
  func backPressure() throws {
    let slow =
      "driver = pgsql\nconnect = \(try PostgresCluster.shared().connectionString())\n"
      + "password_query = SELECT password FROM users WHERE username = '%n' AND domain = '%d' "
      + "AND (SELECT true FROM pg_sleep(0.05))\n"
    _ = try batteryConfig()
    let daemon = try ServeDaemon(
      config: slow, arguments: ["--failure-delay", "0", "--workers", "1", "--queue", "2", "--db-connections", "1"])
    defer { daemon.remove() }
    let answers = Locked<[String]>([])
    var threads: [Thread] = []
    for _ in 0..<12 {
      let thread = Thread {
        let answer = (try? daemon.ask("alice@example.org", password))?.text ?? "error"
        answers.update { $0.append(answer) }
      }
      thread.start()
      threads.append(thread)
    }
    try waitUntil("every answer", seconds: 60) { threads.allSatisfy { $0.isFinished } }
    #expect(answers.get() == Array(repeating: "OK", count: 12))
    let status = try daemon.status()
    #expect(Int(status["queue_peak"] ?? "0") ?? 0 > 2, "\(status)")
    #expect(status["queue_capacity"] == "2")
  }

  @Test("an unknown login costs a hash of the configured scheme, as in the module")
  func unknownLoginTiming() throws {
    // The decoy is made in default_pass_scheme; the row is of the same
    // scheme and cost (mkpasswd's SHA512-CRYPT, 5000 rounds). A database of
    // its own: the battery's table is compared before and after by tests
    // that run at the same time.
    let (cluster, database) = try Corpus.postgresDatabase(
      "CREATE TABLE users (username text NOT NULL, domain text NOT NULL, password text); "
        + "INSERT INTO users VALUES ('timing', 'example.org', \(Accounts.quoted(try Accounts.mkpasswd("sha512crypt"))))",
      tables: ["users"])
    // The daemon runs as nobody: it must reach the cluster's socket.
    chmod(cluster.directory, 0o711)
    let daemon = try ServeDaemon(
      config: "driver = pgsql\nconnect = \(cluster.connectionString(database: database))\n"
        + "password_query = SELECT password FROM users WHERE username = '%n' AND domain = '%d'\n"
        + "default_pass_scheme = SHA512-CRYPT\n",
      arguments: ["--failure-delay", "0", "--workers", "1"])
    defer { daemon.remove() }
    var wrong: [Double] = []
    var unknown: [Double] = []
    for _ in 0..<15 {
      wrong.append(try daemon.ask("timing@example.org", "wrong password!").seconds)
      unknown.append(try daemon.ask("nosuchuser@example.org", "wrong password!").seconds)
    }
    let wrongMedian = wrong.sorted()[7]
    let unknownMedian = unknown.sorted()[7]
    // Without a decoy an unknown login is a lookup alone, a fraction of a
    // wrong password's time; make bench measures how close the two are.
    #expect(unknownMedian > wrongMedian / 2, "unknown \(unknownMedian) s, wrong \(wrongMedian) s")
  }
}

/// A value shared with test threads.
final class Locked<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var value: Value

  init(_ value: Value) { self.value = value }

  func get() -> Value {
    lock.lock()
    defer { lock.unlock() }
    return value
  }

  func set(_ newValue: Value) {
    lock.lock()
    value = newValue
    lock.unlock()
  }

  func update(_ change: (inout Value) -> Void) {
    lock.lock()
    change(&value)
    lock.unlock()
  }
}
