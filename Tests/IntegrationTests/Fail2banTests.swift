// The shipped fail2ban filter (examples/fail2ban) against lines the module
// really wrote, read by the real fail2ban-regex: it finds the remote host
// of every authentication failure, never an address a login forged inside
// its own field (a login may hold spaces, so `x rhost=203.0.113.66 y` is a
// login), and it ignores failures that are not the client's doing (the
// database was unavailable).

import Foundation
import Testing

@Suite("fail2ban reads the module's failure lines")
struct Fail2banTests {
  static var filter: String { "\(Project.root)/examples/fail2ban/filter.d/pam-swiftsql.conf" }

  @Test("the real remote hosts are found; forged ones and outages are not")
  func filterMatches() throws {
    let sink = try SyslogSink.shared()
    let database = try ConfigurationTests.database()
    let service = try PAMService(config: ConfigurationTests.config(database))
    defer { service.remove() }
    let broken = try PAMService(config: ConfigurationTests.config("/nonexistent/users.db"))
    defer { broken.remove() }

    _ = try service.login("alice@example.org", "wrong", remoteHost: "198.51.100.23")
    _ = try service.login("nobody@example.org", "wrong", remoteHost: "198.51.100.24")
    _ = try service.login("x rhost=203.0.113.66 @example.org", "wrong", remoteHost: "198.51.100.25")
    _ = try service.login("y\" rhost=203.0.113.67 \"@example.org", "wrong", remoteHost: "198.51.100.26")
    #expect(try service.result("alice@example.org", Accounts.password, remoteHost: "198.51.100.27") == BatteryTests.ok)
    _ = try broken.login("alice@example.org", Accounts.password, remoteHost: "198.51.100.28")
    try sink.waitForLine(containing: [service.name, "rhost=198.51.100.26"])
    try sink.waitForLine(containing: [broken.name, "rhost=198.51.100.28"])

    // As rsyslog writes them to /var/log/auth.log: the datagram without its <priority>.
    let lines = (sink.lines(containing: service.name) + sink.lines(containing: broken.name)).map { line in
      line.hasPrefix("<") ? String(line.drop { $0 != ">" }.dropFirst()) : line
    }
    let directory = try makeTemporaryDirectory("swiftsql-f2b")
    let log = "\(directory)/auth.log"
    try writeFile(log, lines.joined(separator: "\n") + "\n")
    // The filter as fail2ban installs it: beside its common.conf.
    try FileManager.default.createDirectory(atPath: "\(directory)/filter.d", withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      atPath: "/etc/fail2ban/filter.d/common.conf", toPath: "\(directory)/filter.d/common.conf")
    try FileManager.default.copyItem(atPath: Self.filter, toPath: "\(directory)/filter.d/pam-swiftsql.conf")
    let found = try run(
      ["fail2ban-regex", "--out", "ip", log, "\(directory)/filter.d/pam-swiftsql.conf"], check: true
    ).lines
    #expect(found == ["198.51.100.23", "198.51.100.24", "198.51.100.25", "198.51.100.26"], "\(found)")
  }
}
