// A configuration changed while the module runs is taken only when it is
// whole and valid. Rewritten in place while eight threads log in (line by
// line, 2 ms apart, as `echo … >>` does; or truncated, then written, as
// some editors do), a file is never read half-written: a disabled account
// never passes account management for want of an account_query not yet
// written, and no login fails for want of a `connect`. A file edited in
// place is taken once it has been unchanged for a second; one renamed over
// the old file at once. A file that becomes invalid keeps the configuration
// read before, with one error line per change.

import Foundation
import Testing

@Suite("Configuration changes: only whole and valid files are taken")
struct ConfigurationReloadTests {
  /// alice (active) and disabled (not active), same password.
  static func database() throws -> String {
    let directory = try makeTemporaryDirectory("swiftsql-reload")
    let hash = try Accounts.mkpasswd("md5crypt")
    let accounts = [("alice", true), ("disabled", false)].map { local, active in
      Account(
        localPart: local, domain: "example.org", storedSQL: Accounts.quoted(hash), active: active, expired: false,
        passwordExpired: false)
    }
    return try Accounts.sqliteDatabase(in: directory, accounts)
  }

  static func config(_ database: String, extra: String = "") -> String {
    "driver = sqlite\nconnect = \(database)\n\(extra)\(Accounts.queries)\n"
  }

  /// Rewrites `path` in place (the same inode): truncated, then each line
  /// written on its own, `pause` apart.
  static func writeInPlace(_ path: String, _ text: String, pause: useconds_t) throws {
    let descriptor = open(path, O_WRONLY | O_TRUNC)
    guard descriptor >= 0 else { throw RunError(description: "open \(path): \(String(cString: strerror(errno)))") }
    defer { close(descriptor) }
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      usleep(pause)
      let bytes = Array((line + "\n").utf8)
      guard write(descriptor, bytes, bytes.count) == bytes.count else {
        throw RunError(description: "write \(path): \(String(cString: strerror(errno)))")
      }
    }
  }

  @Test("rewritten in place while eight threads log in: never half-read")
  func rewriteRace() throws {
    let database = try Self.database()
    let text = Self.config(database)
    let service = try PAMService(config: text)
    defer { service.remove() }
    let fixture = try Fixture.path("pam_threads", libraries: ["pam", "pthread"])
    let threads = BackgroundRun(
      [fixture, "-c", service.confdir, "-t", "8", "-s", "4", service.name, "disabled@example.org", Accounts.password])
    // Let the threads take the file once, then rewrite it for three seconds.
    usleep(300_000)
    let end = Date().addingTimeInterval(3)
    var rewrites = 0
    while Date() < end {
      try Self.writeInPlace(service.configPath, text, pause: rewrites % 2 == 0 ? 2000 : 0)
      rewrites += 1
      usleep(50_000)
    }
    let answers = try threads.result().lines
    let total = answers.compactMap { Int($0.split(separator: " ").first ?? "") }.reduce(0, +)
    #expect(rewrites > 20)
    #expect(total > 100, "\(answers)")
    // Every answer is the whole configuration's: the account is disabled.
    for answer in answers {
      #expect(answer.hasSuffix("auth=PAM_SUCCESS acct=PAM_PERM_DENIED"), "\(answers)")
    }
  }

  @Test("edited in place: taken once unchanged for a second; renamed over: taken at once")
  func inPlaceSettles() throws {
    let sink = try SyslogSink.shared()
    let database = try Self.database()
    let service = try PAMService(config: Self.config(database))
    defer { service.remove() }
    let driver = try InteractiveDriver(service: service)
    #expect(try driver.login("alice", Accounts.password).result == "auth=PAM_USER_UNKNOWN acct=-")

    try Self.writeInPlace(service.configPath, Self.config(database, extra: "default_domain = example.org\n"), pause: 0)
    #expect(try driver.login("alice", Accounts.password).result == "auth=PAM_USER_UNKNOWN acct=-")
    try sink.waitForLine(containing: [service.name, service.configPath, "changed less than a second ago"])
    usleep(1_300_000)
    #expect(try driver.login("alice", Accounts.password).result == BatteryTests.ok)

    // A new file renamed over the old one is whole: taken at once.
    try service.rewriteConfig(Self.config(database))
    #expect(try driver.login("alice", Accounts.password).result == "auth=PAM_USER_UNKNOWN acct=-")
  }

  @Test("a change that does not parse keeps the configuration read before, with one line per change")
  func invalidKeepsLastGood() throws {
    let sink = try SyslogSink.shared()
    let database = try Self.database()
    let service = try PAMService(config: Self.config(database))
    defer { service.remove() }
    let driver = try InteractiveDriver(service: service)
    #expect(try driver.login("alice@example.org", Accounts.password).result == BatteryTests.ok)

    try service.rewriteConfig(Self.config(database, extra: "this line has no equals sign\n"))
    for _ in 0..<3 {
      #expect(try driver.login("alice@example.org", Accounts.password).result == BatteryTests.ok)
    }
    try sink.waitForLine(containing: [service.name, "line 3", "stays in force until this is fixed"])
    #expect(
      sink.lines(containing: service.name).filter { $0.contains("stays in force until this is fixed") }.count == 1,
      sink.recap(of: service))

    // Fixed, and changed: the new configuration is taken.
    try service.rewriteConfig(Self.config(database, extra: "default_domain = example.org\n"))
    #expect(try driver.login("alice", Accounts.password).result == BatteryTests.ok)
  }
}
