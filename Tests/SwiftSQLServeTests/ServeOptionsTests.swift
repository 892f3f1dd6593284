// The daemon's command line, its answers table, its failure line, its
// latency percentiles and its status text.

import SwiftSQLCore
import SwiftSQLServe
import Testing

@Suite("swiftsql-authd options and answers")
struct ServeOptionsTests {
  @Test("the defaults")
  func defaults() throws {
    guard case .serve(let options) = try ServeOptions.parse([]) else {
      Issue.record("not serve")
      return
    }
    #expect(options.config == "/etc/pam_swiftsql.conf")
    #expect(options.saslauthdSocket == "/run/swiftsql-authd/mux")
    #expect(options.dovecotSocket == "/run/swiftsql-authd/auth-client")
    #expect(options.statusSocket == "/run/swiftsql-authd/status")
    #expect(options.user == "_swiftsql-authd")
    #expect(options.socketGroup == "sasl")
    #expect(options.joinRealm)
    #expect(!options.foreground)
    #expect(options.failureDelayMilliseconds == 2000)
    #expect(options.workerCount(processors: 2) == 2)
    #expect(options.services.isEmpty)
  }

  @Test("every option, both spellings")
  func everything() throws {
    let action = try ServeOptions.parse([
      "--config", "/etc/a.conf", "--service=smtp=/etc/s.conf", "--service", "imap=/etc/i.conf", "--socket",
      "/var/spool/postfix/var/run/swiftsql-authd/mux", "--dovecot-socket=none", "--status-socket", "/run/x/status",
      "--socket-group", "postfix", "--user", "mailauth", "--foreground", "--realm", "ignore", "--workers", "4",
      "--db-connections=2", "--queue", "10", "--max-connections", "100", "--request-timeout", "3",
      "--idle-timeout", "60", "--failure-delay", "0", "--address-wait", "5", "--log-stderr",
    ])
    guard case .serve(let options) = action else {
      Issue.record("not serve")
      return
    }
    #expect(options.config == "/etc/a.conf")
    #expect(options.services == ["smtp": "/etc/s.conf", "imap": "/etc/i.conf"])
    #expect(options.saslauthdSocket == "/var/spool/postfix/var/run/swiftsql-authd/mux")
    #expect(options.dovecotSocket == nil)
    #expect(options.statusSocket == "/run/x/status")
    #expect(options.socketGroup == "postfix")
    #expect(options.user == "mailauth")
    #expect(options.foreground)
    #expect(!options.joinRealm)
    #expect(options.workerCount(processors: 2) == 4)
    #expect(options.databaseConnections == 2)
    #expect(options.queueSize == 10)
    #expect(options.maximumConnections == 100)
    #expect(options.requestTimeout == 3)
    #expect(options.idleTimeout == 60)
    #expect(options.failureDelayMilliseconds == 0)
    #expect(options.addressWaitMilliseconds == 5)
    #expect(options.logToStandardError)
  }

  @Test("--check, --help, --version")
  func actions() throws {
    #expect(try ServeOptions.parse(["--help"]) == .help)
    #expect(try ServeOptions.parse(["-h", "--bogus"]) == .help)
    #expect(try ServeOptions.parse(["--version"]) == .version)
    guard case .check = try ServeOptions.parse(["--check", "--config", "/x"]) else {
      Issue.record("not check")
      return
    }
  }

  @Test(
    "usage errors name the option",
    arguments: [
      (["--bogus"], "--bogus"), (["--workers", "0"], "--workers"), (["--workers"], "--workers"),
      (["--config", "relative.conf"], "--config"), (["--service", "smtp"], "--service"),
      (["--realm", "maybe"], "--realm"), (["--foreground=yes"], "--foreground"),
      (["--socket", "/" + String(repeating: "s", count: 120)], "--socket"), (["--user", "a:b"], "--user"),
      (["--socket", "none", "--dovecot-socket", "none"], "nothing to serve"),
      (["--failure-delay", "-1"], "--failure-delay"),
    ])
  func usage(arguments: [String], named: String) {
    #expect {
      _ = try ServeOptions.parse(arguments)
    } throws: { error in
      (error as? ServeUsageError)?.message.contains(named) == true
    }
  }

  @Test("--help lists every option of the table")
  func help() {
    for option in ServeOptions.table { #expect(ServeOptions.help.contains(option.name)) }
    #expect(ServeOptions.help.contains("--check"))
  }

  @Test("answers: a refusal never says whether the login exists; an outage is temporary and not delayed")
  func answers() {
    for failure in [AuthFailure.unknownUser, .wrongPassword, .emptyPassword] {
      let answer = ServeAnswer.of(failure)
      #expect(answer.verdict == .refused)
      #expect(answer.saslauthdText == "authentication failed")
      #expect(answer.dovecotCode == nil)
      #expect(answer.dovecotReason == nil)
      #expect(answer.isDelayed)
    }
    let outage = ServeAnswer.of(.unavailable("connection refused"))
    #expect(outage.verdict == .outage)
    #expect(outage.dovecotCode == "temp_fail")
    #expect(!outage.isDelayed)
    #expect(!outage.saslauthdText.contains("connection refused"))
    #expect(ServeAnswer.of(.misconfigured("x")).dovecotCode == "temp_fail")
    #expect(ServeAnswer.of(.accountDisabled).dovecotCode == "user_disabled")
    #expect(ServeAnswer.of(.passwordExpired).dovecotCode == "pass_expired")
  }

  @Test("the failure line is the module's")
  func failureLine() {
    #expect(
      FailureLine.text(
        step: "authentication", user: Array("al\nice@example.org".utf8), service: "smtp", remoteHost: "192.0.2.1",
        reason: "wrong password")
        == "authentication failure; user=\"al\\x0aice@example.org\" service=smtp rhost=192.0.2.1 reason=\"wrong password\""
    )
  }

  @Test("latency percentiles within 3 %")
  func percentiles() {
    var histogram = LatencyHistogram()
    for value in 1...1000 { histogram.record(microseconds: UInt64(value) * 100) }
    #expect(histogram.count == 1000)
    #expect(histogram.maximum == 100_000)
    for (fraction, expected) in [(0.5, 50_000.0), (0.9, 90_000.0), (0.99, 99_000.0)] {
      let measured = Double(histogram.percentile(fraction))
      #expect(abs(measured - expected) / expected < 0.03, "p\(fraction): \(measured)")
    }
    #expect(LatencyHistogram().percentile(0.5) == 0)
  }

  @Test("the status text has every name, in order")
  func status() {
    var status = ServeStatus()
    status.tally.record(.accepted, microseconds: 1500)
    status.tally.record(.refused, microseconds: 1500)
    status.tally.record(.outage, microseconds: 1500)
    let names = status.text.split(separator: "\n").map { String($0.split(separator: " ")[0]) }
    #expect(names == ServeStatus.names)
    #expect(status.text.contains("logins 3\naccepted 1\nfailures 1\noutages 1\nerrors 0\n"))
    #expect(status.text.contains("latency_p50_ms 1.5"))
  }
}
