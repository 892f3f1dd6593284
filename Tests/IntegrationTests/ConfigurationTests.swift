// Configuration as an administrator meets it, through the real module:
// the default and `config=` files, module arguments overriding the file
// (including PAM's [key=value with spaces] form), unknown keys logged and
// ignored, bad values failing closed with PAM_SERVICE_ERR and one log line
// naming the key and the file, and a changed file taking effect without a
// restart.

import Foundation
import Testing

@Suite("Configuration through the module")
struct ConfigurationTests {
  /// A one-account SQLite database, made by the test.
  static func database() throws -> String {
    let directory = try makeTemporaryDirectory("swiftsql-cfg")
    let hash = try Accounts.mkpasswd("sha512crypt")
    let account = Account(
      localPart: "alice", domain: "example.org", storedSQL: Accounts.quoted(hash), active: true, expired: false,
      passwordExpired: false)
    return try Accounts.sqliteDatabase(in: directory, [account])
  }

  static func config(_ database: String, extra: String = "") -> String {
    "driver = sqlite\nconnect = \(database)\n\(Accounts.queries)\n\(extra)\n"
  }

  @Test("a bad value fails closed: PAM_SERVICE_ERR and a line naming key and file")
  func badValues() throws {
    let sink = try SyslogSink.shared()
    let database = try ConfigurationTests.database()
    let bad: [(line: String, key: String)] = [
      ("connect_timeout = soon", "connect_timeout"),
      ("query_timeout = 0", "query_timeout"),
      ("nullok = maybe", "nullok"),
      ("driver = oracle", "driver"),
      ("default_domain = a@b.example", "default_domain"),
      ("default_pass_scheme = ROT13", "default_pass_scheme"),
    ]
    for (line, key) in bad {
      let service = try PAMService(config: ConfigurationTests.config(database, extra: line))
      defer { service.remove() }
      #expect(try service.result("alice@example.org", Accounts.password) == "auth=PAM_SERVICE_ERR acct=-", "\(line)")
      try sink.waitForLine(containing: [service.name, "configuration error", key, service.configPath])
    }
  }

  @Test("a query that does not compile, or a missing required key, fails closed")
  func badQueries() throws {
    let sink = try SyslogSink.shared()
    let database = try ConfigurationTests.database()
    let configs: [(text: String, mentions: String)] = [
      ("driver = sqlite\nconnect = \(database)\npassword_query = SELECT password FROM users WHERE u = '%x'\n", "%x"),
      (
        "driver = sqlite\nconnect = \(database)\npassword_query = SELECT password FROM users WHERE \"u%n\" = 1\n",
        "password_query"
      ),
      ("driver = sqlite\nconnect = \(database)\n", "password_query is not set"),
      ("driver = sqlite\n\(Accounts.queries)\n", "connect is not set"),
      (
        "driver = sqlite\nconnect = \(database)\npassword_query = SELECT nosuchcolumn FROM users WHERE username = %n\n",
        "no such column"
      ),
      ("this line has no equals sign\n", "line 1"),
    ]
    for (text, mention) in configs {
      let service = try PAMService(config: text)
      defer { service.remove() }
      #expect(try service.result("alice@example.org", Accounts.password) == "auth=PAM_SERVICE_ERR acct=-", "\(text)")
      try sink.waitForLine(containing: [service.name, "configuration error", mention])
    }
  }

  @Test("a missing configuration file is a configuration error that names it")
  func missingFile() throws {
    let sink = try SyslogSink.shared()
    let service = try PAMService(config: nil)
    defer { service.remove() }
    #expect(try service.result("alice@example.org", "x") == "auth=PAM_SERVICE_ERR acct=-")
    try sink.waitForLine(containing: [service.name, "connect is not set", service.configPath])
  }

  @Test("an unknown key is logged and ignored")
  func unknownKey() throws {
    let sink = try SyslogSink.shared()
    let database = try ConfigurationTests.database()
    let service = try PAMService(config: ConfigurationTests.config(database, extra: "colour = blue"))
    defer { service.remove() }
    #expect(try service.result("alice@example.org", Accounts.password) == BatteryTests.ok)
    try sink.waitForLine(containing: [service.name, "unknown key 'colour'", service.configPath])
  }

  @Test("module arguments override the file, [key=value with spaces] included")
  func argumentsOverride() throws {
    let database = try ConfigurationTests.database()
    // The file's query finds nobody; the argument's query finds alice.
    let file =
      "driver = sqlite\nconnect = \(database)\npassword_query = SELECT password FROM users WHERE 0 = 1 AND username = %n\n"
    let plain = try PAMService(config: file)
    defer { plain.remove() }
    #expect(try plain.result("alice@example.org", Accounts.password) == "auth=PAM_USER_UNKNOWN acct=-")

    let overridden = try PAMService(
      config: file,
      arguments: "[password_query=SELECT password FROM users WHERE username = '%n' AND domain = '%d']")
    defer { overridden.remove() }
    #expect(try overridden.result("alice@example.org", Accounts.password) == BatteryTests.ok)

    // A bad value as an argument fails closed too.
    let bad = try PAMService(config: ConfigurationTests.config(database), arguments: "connect_timeout=never")
    defer { bad.remove() }
    #expect(try bad.result("alice@example.org", Accounts.password) == "auth=PAM_SERVICE_ERR acct=-")
  }

  @Test("default_domain completes a bare login")
  func defaultDomain() throws {
    let database = try ConfigurationTests.database()
    let without = try PAMService(config: ConfigurationTests.config(database))
    defer { without.remove() }
    #expect(try without.result("alice", Accounts.password) == "auth=PAM_USER_UNKNOWN acct=-")
    let with = try PAMService(config: ConfigurationTests.config(database, extra: "default_domain = Example.ORG"))
    defer { with.remove() }
    #expect(try with.result("alice", Accounts.password) == BatteryTests.ok)
    #expect(try with.result("alice@example.org", Accounts.password) == BatteryTests.ok)
  }

  @Test("nullok lets an empty password be checked; without it, it is refused")
  func nullok() throws {
    let directory = try makeTemporaryDirectory("swiftsql-null")
    let emptyHash = try Accounts.mkpasswd("sha512crypt", "")
    let account = Account(
      localPart: "empty", domain: "example.org", storedSQL: Accounts.quoted(emptyHash), active: true,
      expired: false, passwordExpired: false)
    let database = try Accounts.sqliteDatabase(in: directory, [account])
    let strict = try PAMService(config: ConfigurationTests.config(database))
    defer { strict.remove() }
    #expect(try strict.result("empty@example.org", "") == "auth=PAM_AUTH_ERR acct=-")
    let lenient = try PAMService(config: ConfigurationTests.config(database), arguments: "nullok")
    defer { lenient.remove() }
    #expect(try lenient.result("empty@example.org", "") == BatteryTests.ok)
    #expect(try lenient.result("empty@example.org", "x") == "auth=PAM_AUTH_ERR acct=-")
  }

  @Test("an edited configuration file takes effect in a running process")
  func reloadsChangedFile() throws {
    let database = try ConfigurationTests.database()
    let service = try PAMService(config: ConfigurationTests.config(database))
    defer { service.remove() }
    let driver = try InteractiveDriver(service: service)
    #expect(try driver.login("alice", Accounts.password).result == "auth=PAM_USER_UNKNOWN acct=-")
    try service.rewriteConfig(ConfigurationTests.config(database, extra: "default_domain = example.org"))
    #expect(try driver.login("alice", Accounts.password).result == BatteryTests.ok)
  }

  @Test("without account_query a login the password query finds is allowed")
  func noAccountQuery() throws {
    let database = try ConfigurationTests.database()
    let config =
      "driver = sqlite\nconnect = \(database)\n"
      + "password_query = SELECT password FROM users WHERE username = '%n' AND domain = '%d'\n"
    let service = try PAMService(config: config)
    defer { service.remove() }
    #expect(try service.result("alice@example.org", Accounts.password) == BatteryTests.ok)
  }
}
