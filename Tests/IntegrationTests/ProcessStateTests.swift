// What a process keeps between logins, in hosts more demanding than
// saslauthd's single-threaded workers: a threaded host that forks while
// another of its threads is inside the module (the child must not inherit a
// lock that nobody will release), and one process serving two PAM services
// with two configuration files, as a Dovecot auth worker serving imap and
// pop3 does (each keeps its own connection instead of reconnecting at every
// alternation).

import Foundation
import Testing

@Suite("Process state: fork under the lock, several configurations")
struct ProcessStateTests {
  /// Adds a service named `name` with configuration `config` to
  /// `service`'s folder, so that one driver can use both.
  static func addService(_ name: String, config: String, to service: PAMService) throws {
    let path = "\(service.directory)/\(name).conf"
    try writeFile(path, config, mode: 0o600)
    let line = "\(Project.module) config=\(path)"
    try writeFile("\(service.confdir)/\(name)", "auth    required \(line)\naccount required \(line)\n")
  }

  @Test("a child forked while another thread holds the module's lock logs in")
  func forkUnderLock() throws {
    let cluster = try PostgresCluster.shared()
    let tag = uniqueTag()
    let hash = try Accounts.mkpasswd("md5crypt")
    try cluster.sql(
      Accounts.insertSQL([
        Account(
          localPart: "fork-\(tag)", domain: "example.org", storedSQL: Accounts.quoted(hash), active: true,
          expired: false, passwordExpired: false)
      ]))
    // The slow service's query sleeps two seconds inside the module.
    let slow = try PAMService(
      config:
        "driver = pgsql\nconnect = \(cluster.connectionString())\n"
        + "password_query = SELECT password FROM users, pg_sleep(2) WHERE username = '%n' AND domain = '%d'\n")
    defer { slow.remove() }
    let directory = try makeTemporaryDirectory("swiftsql-fork")
    let account = Account(
      localPart: "fork-\(tag)", domain: "example.org", storedSQL: Accounts.quoted(hash), active: true,
      expired: false, passwordExpired: false)
    let database = try Accounts.sqliteDatabase(in: directory, [account])
    try Self.addService("fast-\(tag)", config: ConfigurationTests.config(database), to: slow)

    let fixture = try Fixture.path("pam_fork", libraries: ["pam", "pthread"])
    let result = try run(
      [
        fixture, "-c", slow.confdir, "-w", "10", slow.name, "fast-\(tag)", "fork-\(tag)@example.org", Accounts.password,
      ],
      timeout: 60)
    #expect(result.lines.contains { $0.hasPrefix("child auth=PAM_SUCCESS acct=PAM_SUCCESS") }, "\(result.stdout)")
    #expect(!result.stdout.contains("child hung"), "\(result.stdout)")
    #expect(result.lines.contains("slow auth=PAM_SUCCESS acct=PAM_SUCCESS"), "\(result.stdout)")
  }

  @Test("two services with two configuration files in one process: one connection each")
  func twoConfigurations() throws {
    let cluster = try PostgresCluster.shared()
    let tag = uniqueTag()
    try cluster.sql(
      Accounts.insertSQL([
        Account(
          localPart: "multi-\(tag)", domain: "example.org",
          storedSQL: Accounts.quoted(try Accounts.mkpasswd("md5crypt")),
          active: true, expired: false, passwordExpired: false)
      ]))
    func config(_ name: String) -> String {
      "driver = pgsql\nconnect = \(cluster.connectionString()) application_name=\(name)\n\(Accounts.queries)\n"
    }
    let imap = try PAMService(config: config("imap_\(tag)"))
    defer { imap.remove() }
    try Self.addService("pop3-\(tag)", config: config("pop3_\(tag)"), to: imap)
    let driver = try InteractiveDriver(service: imap)
    for index in 0..<200 {
      let service = index % 2 == 0 ? imap.name : "pop3-\(tag)"
      let answer = try driver.login(service: service, "multi-\(tag)@example.org", Accounts.password).result
      #expect(answer == BatteryTests.ok, "login \(index) through \(service)")
    }
    for name in ["imap_\(tag)", "pop3_\(tag)"] {
      let opened = try cluster.logLines(containing: "application_name=\(name)")
        .filter { $0.contains("connection authorized") }
      #expect(opened.count == 1, "\(name): \(opened)")
    }
  }
}
