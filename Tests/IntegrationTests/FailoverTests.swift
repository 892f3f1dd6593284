// Failover and outages with two PostgreSQL servers named in one libpq
// multi-host connection string (`host=A,B port=pA,pB`). Under steady load —
// through real libpam (PAM driver processes that keep their connection), and
// through a real saslauthd -n 2 — the first server is frozen (SIGSTOP),
// killed (SIGKILL) mid-load, restarted, and its unix socket removed; then the
// second is frozen as well, so that no server answers; then both come back.
// Required, for every login: a wrong password is never accepted; the answer
// comes within connect_timeout + query_timeout (+ slack for a loaded
// machine); a right password is refused only by logins that overlapped the
// time when no server answered. And: recovery needs no restart of anything,
// and each process logs exactly one line when the database becomes
// unavailable and one when it answers again, not one per login.
//
// The libpam run also starts a fresh process in each phase, whose first
// login must open a new connection: with the first server frozen it must
// wait connect_timeout for it, then succeed on the second.

import Foundation
import Testing

@Suite("Failover between two PostgreSQL servers", .serialized)
struct FailoverTests {
  static let unavailable = "auth=PAM_AUTHINFO_UNAVAIL acct=-"
  static let wrong = "auth=PAM_AUTH_ERR acct=-"
  static let outage = "no server answers"

  @Test("through libpam: the first server frozen, killed, restarted, unplugged; then none; then both back")
  func throughLibpam() throws {
    let sink = try SyslogSink.shared()
    let pair = try FailoverPair()
    defer { pair.tearDown() }
    let workerServices = [try pair.service(), try pair.service()]
    let probeService = try pair.service()
    let drivers = try workerServices.map { DriverBox(try InteractiveDriver(service: $0)) }
    let load = LoginLoad(workers: drivers.count) { worker, right in
      let (result, milliseconds) = try drivers[worker].driver.login(
        "alice@example.org", right ? Accounts.password : "not the password")
      return LoginAnswer(text: result, accepted: result == BatteryTests.ok, seconds: Double(milliseconds) / 1000)
    }
    defer { _ = try? load.stop() }  // if the test throws first
    let pamDriver = try Fixture.path("pam_driver", libraries: ["pam"])
    var probes: [(phase: String, answer: String, seconds: Double)] = []
    let timeline = OutageTimeline()
    try FailoverTests.scenario(pair, timeline, load) { phase in
      let result = try run(
        [
          pamDriver, "-c", probeService.confdir, "-n", "1", probeService.name, "alice@example.org",
          Accounts.password,
        ], timeout: 60)
      probes.append((phase, result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), result.seconds))
    }
    let records = try load.stop()
    print("failover through libpam (2 driver processes):\n" + timeline.report(records))
    for probe in probes {
      print(String(format: "  fresh process, %@: %@ in %.0f ms", probe.phase, probe.answer, probe.seconds * 1000))
    }

    timeline.judge(records, answerBound: FailoverPair.answerBound)
    // libpam tells outage from refusal: a database outage is never a wrong
    // password, and PAM_AUTHINFO_UNAVAIL (from pam_authenticate, or from
    // pam_acct_mgmt when the outage began between the two) comes only from
    // the outage.
    for record in records where !record.accepted {
      let expected = record.rightPassword ? [] : [FailoverTests.wrong]
      if timeline.someServerAnswered(throughout: record) {
        #expect(expected.contains(record.answer), "\(record)")
      } else {
        #expect(
          expected.contains(record.answer) || record.answer.contains("PAM_AUTHINFO_UNAVAIL"), "\(record)")
      }
    }
    let outageAnswers = timeline.records(records, overlapping: FailoverTests.outage).map { $0.answer }
    #expect(outageAnswers.contains(FailoverTests.unavailable), "the outage was seen: \(outageAnswers)")

    // A fresh process connects in order: the first host, then the second.
    #expect(probes.count == 4)
    for probe in probes {
      #expect(probe.seconds < FailoverPair.answerBound, "\(probe)")
      #expect(probe.answer == (probe.phase == FailoverTests.outage ? FailoverTests.unavailable : BatteryTests.ok))
    }
    if let frozen = probes.first(where: { $0.phase == "first frozen" }) {
      #expect(
        frozen.seconds >= Double(FailoverPair.connectTimeout) - 0.3,
        "it waited connect_timeout for the frozen first server, then used the second")
    }

    // One line per transition and process, not per login.
    try? waitUntil("the last transition lines", seconds: 3) {
      workerServices.allSatisfy { AvailabilityLines.transitions(in: sink, service: $0.name)["-"]?.count == 2 }
    }
    for service in workerServices {
      let transitions = AvailabilityLines.transitions(in: sink, service: service.name)
      #expect(transitions == ["-": [.unavailable, .answersAgain]], "\(service.name): \(transitions)")
    }
    #expect(
      AvailabilityLines.transitions(in: sink, service: probeService.name) == ["-": [.unavailable]],
      "only the fresh process of the outage saw the database unavailable")
  }

  @Test("through saslauthd -n 2: the same outages, no restart, one log line per transition and worker")
  func throughSaslauthd() throws {
    let sink = try SyslogSink.shared()
    let pair = try FailoverPair()
    defer { pair.tearDown() }
    let service = try pair.service(installInEtc: true)
    let daemon = try Saslauthd(keepRealm: true, workers: 2)
    defer { daemon.stop() }
    let workers = daemon.workerIDs()
    // Two clients for two saslauthd processes: no request waits for a busy
    // worker, so each time measured is one login's.
    let load = LoginLoad(workers: 2) { _, right in
      try SaslauthdWire.ask(
        socket: daemon.socket, login: "alice@example.org", password: right ? Accounts.password : "not the password",
        service: service.name)
    }
    defer { _ = try? load.stop() }  // if the test throws first
    let timeline = OutageTimeline()
    try FailoverTests.scenario(pair, timeline, load, probe: nil)
    let records = try load.stop()
    print("failover through saslauthd -n 2 (2 clients):\n" + timeline.report(records))

    timeline.judge(records, answerBound: FailoverPair.answerBound)
    let outageAnswers = timeline.records(records, overlapping: FailoverTests.outage)
    #expect(outageAnswers.contains { $0.rightPassword && !$0.accepted }, "the outage was seen: \(outageAnswers)")
    #expect(daemon.workerIDs() == workers, "the same saslauthd processes answered throughout")

    // Each worker that saw the outage logged it once, and its end once.
    try? waitUntil("the last transition lines", seconds: 3) {
      AvailabilityLines.transitions(in: sink, service: service.name).values.allSatisfy { $0.count == 2 }
    }
    let transitions = AvailabilityLines.transitions(in: sink, service: service.name)
    #expect(!transitions.isEmpty)
    for (pid, sequence) in transitions {
      #expect(workers.map { String($0) }.contains(pid), "a saslauthd worker wrote it: \(pid)")
      #expect(sequence == [.unavailable, .answersAgain], "saslauthd[\(pid)]: \(sequence)")
    }
  }

  @Test("hosts and ports that do not pair up: a configuration error that names them")
  func listsThatDoNotPairUp() throws {
    let sink = try SyslogSink.shared()
    let service = try PAMService(
      config: "driver = pgsql\nconnect = host=/nonexistent/a,/nonexistent/b port=5432,5433,5434 dbname=mail "
        + "user=mailauth\n\(Accounts.queries)\n")
    defer { service.remove() }
    #expect(try service.result("alice@example.org", Accounts.password) == "auth=PAM_SERVICE_ERR acct=-")
    try sink.waitForLine(containing: [service.name, "connect lists 2 hosts but 3 ports"])
  }

  /// The outages, in order, under `load`. Each phase begins once its change
  /// is made, so that a login begun in a phase met the servers as the phase
  /// says. `probe` logs in once from a fresh process, in the phases where
  /// that says something.
  static func scenario(
    _ pair: FailoverPair, _ timeline: OutageTimeline, _ load: LoginLoad, probe: ((String) throws -> Void)?
  ) throws {
    var frozenFirst: [pid_t] = []
    var frozenSecond: [pid_t] = []
    defer {
      PostgresCluster.thaw(frozenFirst)
      PostgresCluster.thaw(frozenSecond)
    }
    let (first, second) = (pair.first, pair.second)
    func pause(_ seconds: Double) { usleep(useconds_t(seconds * 1_000_000)) }
    /// Waits until the module's sessions are on `cluster` and not on `other`
    /// (a failure is recorded, and the outages go on).
    func expectSessions(on cluster: PostgresCluster, notOn other: PostgresCluster?, otherKept: Bool = false) {
      var counts = (-1, -1)
      let moved =
        (try? waitUntil("the module's sessions to move") {
          counts = (try cluster.moduleSessions(), try other?.moduleSessions(throughKeptSocket: otherKept) ?? 0)
          return counts.0 >= 1 && counts.1 == 0
        }) != nil
      let name = cluster === first ? "first" : "second"
      #expect(moved, "sessions on the \(name) server and on the other: \(counts)")
    }
    /// Ends the sessions on `other`, so that every client reconnects in
    /// order, to the first server; again if one landed on `other` meanwhile
    /// (on a loaded machine a connection can take longer than connect_timeout).
    func moveSessionsToFirst(from other: PostgresCluster) throws {
      for _ in 0..<3 {
        try other.terminateModuleSessions()
        let moved: Void? = try? waitUntil("the module's sessions to be on the first server") {
          try first.moduleSessions() >= 1 && other.moduleSessions() == 0
        }
        if moved != nil { return }
      }
      expectSessions(on: first, notOn: other)
    }

    load.start()
    timeline.begin("both up", someServerAnswers: true)
    pause(2)
    try moveSessionsToFirst(from: second)

    frozenFirst = try first.freeze()
    timeline.begin("first frozen", someServerAnswers: true)
    try probe?("first frozen")
    pause(Double(FailoverPair.queryTimeout) + 2)
    expectSessions(on: second, notOn: nil)  // (the frozen server cannot be asked)
    PostgresCluster.thaw(frozenFirst)
    frozenFirst = []

    // Back to the first server: end the sessions on the second, so that
    // every client reconnects, in order.
    timeline.begin("first thawed", someServerAnswers: true)
    try moveSessionsToFirst(from: second)
    pause(1)

    try first.kill()
    timeline.begin("first killed", someServerAnswers: true)
    try probe?("first killed")
    pause(3)

    try first.start()
    timeline.begin("first restarted", someServerAnswers: true)
    try moveSessionsToFirst(from: second)
    pause(1)

    try first.removeSocket()
    try first.terminateModuleSessions(throughKeptSocket: true)
    timeline.begin("first's socket removed", someServerAnswers: true)
    try probe?("first's socket removed")
    expectSessions(on: second, notOn: first, otherKept: true)
    pause(2)

    frozenSecond = try second.freeze()
    timeline.begin(outage, someServerAnswers: false)
    try probe?(outage)
    pause(Double(FailoverPair.connectTimeout + FailoverPair.queryTimeout) + 2)

    try first.restoreSocket()
    timeline.begin("first's socket back", someServerAnswers: true)
    pause(3)

    PostgresCluster.thaw(frozenSecond)
    frozenSecond = []
    timeline.begin("second thawed", someServerAnswers: true)
    pause(2)
  }
}
