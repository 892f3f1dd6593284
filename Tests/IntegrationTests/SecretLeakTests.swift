// No secret reaches a log line, with debug on, on any driver and on every
// error path an attacker or a careless administrator can reach: a server
// error that quotes a stored value (a query that casts the password column),
// one that quotes the new value of an upgrade, a connect string given to
// the wrong driver or with a missing '=', a plaintext stored value that
// starts with '{'. Every line the module logged for the run's services (and
// the doctor's report) is scanned for every password, stored value, new
// value and database password of the run, whole and as any run of eight
// characters.

import Foundation
import Testing

@Suite("Secrets never reach the log")
struct SecretLeakTests {
  /// Text no other test uses, so a hit can only be a leak.
  static func secret(_ label: String) -> String { "\(label)-\(uniqueTag())\(uniqueTag())-Zq" }

  /// Every run of `length` characters of `secret`.
  static func fragments(_ secret: String, length: Int = 8) -> [String] {
    let characters = Array(secret)
    guard characters.count >= length else { return [secret] }
    return (0...(characters.count - length)).map { String(characters[$0..<($0 + length)]) }
  }

  /// Fails for each line that holds a secret or a fragment of one.
  static func scan(_ lines: [String], for secrets: [String], _ what: String) {
    for secret in secrets {
      for fragment in fragments(secret) {
        for line in lines where line.contains(fragment) {
          Issue.record("\(what): '\(fragment)' (of a secret) in: \(line)")
        }
      }
    }
  }

  @Test("PostgreSQL: server errors that quote values, connect strings with passwords")
  func postgres() throws {
    let sink = try SyslogSink.shared()
    let cluster = try PostgresCluster.shared()
    let tag = uniqueTag()
    let castPassword = Self.secret("Cast"), upgradePassword = Self.secret("Upg"), bracePassword = Self.secret("Brace")
    let databasePassword = Self.secret("DbPw")
    let castHash = try Accounts.mkpasswd("sha512crypt", castPassword)
    let braced = "{\(bracePassword)}"
    try cluster.sql(
      Accounts.insertSQL([
        Account(
          localPart: "cast-\(tag)", domain: "leak.example", storedSQL: Accounts.quoted(castHash), active: true,
          expired: false, passwordExpired: false),
        Account(
          localPart: "upgrade-\(tag)", domain: "leak.example", storedSQL: Accounts.quoted("{PLAIN}" + upgradePassword),
          active: true, expired: false, passwordExpired: false),
        Account(
          localPart: "brace-\(tag)", domain: "leak.example", storedSQL: Accounts.quoted(braced), active: true,
          expired: false, passwordExpired: false),
      ]))
    // Trust over the socket: the server ignores the password, the module must not show it.
    let connect = cluster.connectionString() + " password=\(databasePassword)"
    let services = [
      // The server quotes the stored value it cannot read as an integer.
      try PAMService(
        config:
          "driver = pgsql\nconnect = \(connect)\ndebug = yes\n"
          + "password_query = SELECT password::int AS password FROM users WHERE username = '%n' AND domain = '%d'\n"),
      // The upgrade's statement makes the server quote the new value.
      try PAMService(
        config:
          "driver = pgsql\nconnect = \(connect)\ndebug = yes\n\(Accounts.queries)\nupgrade_scheme = SHA512-CRYPT\n"
          + "password_update_query = SELECT '%w'::int FROM users WHERE username = '%n' AND domain = '%d'\n"),
      // A connect string with a missing '=' after the password key.
      try PAMService(
        config:
          "driver = pgsql\nconnect = \(cluster.connectionString()) password \(databasePassword)\ndebug = yes\n"
          + "\(Accounts.queries)\n"),
      // A libpq connect string given to the SQLite driver.
      try PAMService(config: "driver = sqlite\nconnect = \(connect)\ndebug = yes\n\(Accounts.queries)\n"),
    ]
    defer { for service in services { service.remove() } }
    #expect(try services[0].result("cast-\(tag)@leak.example", castPassword).hasPrefix("auth=PAM_SERVICE_ERR"))
    #expect(try services[1].result("upgrade-\(tag)@leak.example", upgradePassword) == BatteryTests.ok)
    #expect(try services[1].result("brace-\(tag)@leak.example", bracePassword) == "auth=PAM_AUTH_ERR acct=-")
    #expect(try services[1].result("cast-\(tag)@leak.example", "wrong") == "auth=PAM_AUTH_ERR acct=-")
    #expect(try services[2].result("cast-\(tag)@leak.example", castPassword) == "auth=PAM_SERVICE_ERR acct=-")
    #expect(try services[3].result("cast-\(tag)@leak.example", castPassword) == "auth=PAM_SERVICE_ERR acct=-")
    try sink.waitForLine(containing: [services[0].name, "invalid input syntax"])
    try sink.waitForLine(containing: [services[1].name, "password_update_query failed"])
    try sink.waitForLine(containing: [services[1].name, "brace-\(tag)", "names no scheme"])
    try sink.waitForLine(containing: [services[2].name, "not a valid libpq connection string"])
    try sink.waitForLine(containing: [services[3].name, "driver is sqlite"])
    let lines = services.flatMap { sink.lines(containing: $0.name) }
    Self.scan(
      lines, for: [castPassword, upgradePassword, bracePassword, databasePassword, castHash, braced], "PostgreSQL")
    // The new value is an SHA512-CRYPT string the test cannot know: none of its shape appears.
    for line in lines { #expect(!line.contains("$6$"), "\(line)") }
  }

  @Test("MariaDB: an upgrade statement the server refuses, quoting a fragment of the new value")
  func mariadb() throws {
    let sink = try SyslogSink.shared()
    let server = try MariaDBServer.shared()
    let tag = uniqueTag()
    let password = Self.secret("My")
    try server.sql(
      """
      CREATE TABLE IF NOT EXISTS mail.upgrade_log (n INT, login VARCHAR(255));
      GRANT INSERT ON mail.upgrade_log TO 'mailauth'@'localhost';
      """
        + Accounts.insertSQL([
          Account(
            localPart: "my-\(tag)", domain: "leak.example", storedSQL: Accounts.quoted("{PLAIN}" + password),
            active: true, expired: false, passwordExpired: false)
        ]))
    let service = try PAMService(
      config:
        "driver = mysql\nconnect = \(server.connectionString())\ndebug = yes\n\(Accounts.queries)\n"
        + "upgrade_scheme = SHA512-CRYPT\n"
        // The server quotes a fragment of the new value, not all of it.
        + "password_update_query = INSERT INTO upgrade_log (n, login) VALUES (SUBSTRING('%w', 3, 40), '%u')\n")
    defer { service.remove() }
    #expect(try service.result("my-\(tag)@leak.example", password) == BatteryTests.ok)
    #expect(try service.result("my-\(tag)@leak.example", "wrong") == "auth=PAM_AUTH_ERR acct=-")
    #expect(try service.result("nobody-\(tag)@leak.example", password) == "auth=PAM_USER_UNKNOWN acct=-")
    try sink.waitForLine(containing: [service.name, "password_update_query failed"])
    let lines = sink.lines(containing: service.name)
    Self.scan(lines, for: [password, MariaDBServer.password], "MariaDB")
    for line in lines { #expect(!line.contains("$6$"), "\(line)") }
  }

  @Test("SQLite and the doctor: a connect string with a password, in the wrong driver")
  func sqliteAndDoctor() throws {
    let databasePassword = Self.secret("Doc")
    let tree = try DoctorTree()
    defer { tree.tearDown() }
    try tree.write(
      "/etc/pam_swiftsql.conf",
      "driver = sqlite\nconnect = host=/run/postgresql user=mailauth password=\(databasePassword) dbname=mail\n"
        + "\(Accounts.queries)\n", mode: 0o640, group: DoctorTree.saslGID)
    let result = try tree.doctorText()
    Self.scan(
      result.stdout.split(separator: "\n").map(String.init) + result.stderr.split(separator: "\n").map(String.init),
      for: [databasePassword], "doctor")
    #expect(result.stdout.contains("driver is sqlite"), "\(result.stdout)")
  }
}
