// The MariaDB driver under steady load (issue 7, point 3): a PAM process
// logs in without pause, right and wrong passwords in turn, while the server
// is killed (SIGKILL) mid-load, started again, and its unix socket removed
// (established connections live on, so the module's connection is ended
// through a link kept to the socket, and it must reconnect), then put back.
// Connector/C takes one host, so this is recovery, not failover: the
// outages are the phases in which no server answers. Required for every
// login: no wrong password accepted; every answer within connect_timeout +
// query_timeout (+ slack for a loaded machine); a right password refused only
// when the login overlapped an outage, and then as PAM_AUTHINFO_UNAVAIL;
// recovery without restarting the process; one log line per transition.

import Foundation
import Testing

@Suite("MariaDB outages under load", .serialized)
struct MariaDBLoadOutageTests {
  @Test("killed mid-load, restarted, socket removed and put back: no false accept, bounded answers")
  func killedAndUnplugged() throws {
    let sink = try SyslogSink.shared()
    let chain = try MariaDBChain()
    defer { chain.tearDown() }
    let (server, service) = (chain.server, chain.service)
    let driver = DriverBox(try InteractiveDriver(service: service))
    let load = LoginLoad(workers: 1) { _, right in
      let (result, milliseconds) = try driver.driver.login(
        "alice@example.org", right ? Accounts.password : "not the password")
      return LoginAnswer(text: result, accepted: result == BatteryTests.ok, seconds: Double(milliseconds) / 1000)
    }
    defer { _ = try? load.stop() }  // if the test throws first
    let kept = "\(server.directory)/kept.sock"
    defer { if FileManager.default.fileExists(atPath: kept) { rename(kept, server.socket) } }
    func pause(_ seconds: Double) { usleep(useconds_t(seconds * 1_000_000)) }

    let timeline = OutageTimeline()
    load.start()
    timeline.begin("up", someServerAnswers: true)
    pause(2)

    let serverProcess = try server.serverProcessID()
    kill(serverProcess, SIGKILL)
    timeline.begin("killed", someServerAnswers: false)
    pause(3)
    try server.stop()  // reaps the killed process
    try server.start()
    timeline.begin("restarted", someServerAnswers: true)
    pause(3)

    // The socket's name goes away; the module's kept connection is ended
    // through the kept link, so that its next login must connect anew.
    try #require(rename(server.socket, kept) == 0, "cannot move the socket away")
    timeline.begin("socket removed", someServerAnswers: false)
    _ = try run(
      [
        "mariadb", "--no-defaults", "-S", kept, "-u", "root", "-N", "-B", "-e",
        "SELECT CONCAT('KILL ', ID, ';') FROM information_schema.PROCESSLIST WHERE USER = 'mailauth'",
      ],
      timeout: 30, check: true
    ).stdout.split(separator: "\n").map { statement in
      try run(["mariadb", "--no-defaults", "-S", kept, "-u", "root", "-e", String(statement)], timeout: 30)
    }
    pause(3)
    try #require(rename(kept, server.socket) == 0, "cannot put the socket back")
    timeline.begin("socket back", someServerAnswers: true)
    pause(3)

    let records = try load.stop()
    print("MariaDB outages under load (1 PAM process):\n" + timeline.report(records))
    timeline.judge(records, answerBound: Double(MariaDBChain.connectTimeout + MariaDBChain.queryTimeout) + 1.5)
    for record in records where !record.accepted {
      #expect(
        record.answer == "auth=PAM_AUTH_ERR acct=-" && !record.rightPassword
          || record.answer.contains("PAM_AUTHINFO_UNAVAIL") && !timeline.someServerAnswered(throughout: record),
        "\(record)")
    }
    for outage in ["killed", "socket removed"] {
      #expect(
        timeline.records(records, overlapping: outage).contains { $0.answer.contains("PAM_AUTHINFO_UNAVAIL") },
        "the outage '\(outage)' was seen")
    }
    // One line per transition: two outages, two recoveries, in order.
    try? waitUntil("the last transition line", seconds: 3) {
      AvailabilityLines.transitions(in: sink, service: service.name)["-"]?.count == 4
    }
    #expect(
      AvailabilityLines.transitions(in: sink, service: service.name)
        == ["-": [.unavailable, .answersAgain, .unavailable, .answersAgain]])
  }
}
