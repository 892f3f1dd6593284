// The module against real databases, through real libpam: the same battery
// for SQLite, PostgreSQL and MariaDB (DESIGN.md §4). Right and wrong passwords, an
// unknown login, the account states, stored values that must never match,
// logins that look like SQL injection, and the log lines that go with them.
// The expected codes come from the issue and DESIGN.md, not from the code.

import Foundation
import Testing

@Suite("Battery: SQLite, PostgreSQL and MariaDB through libpam")
struct BatteryTests {
  static let ok = "auth=PAM_SUCCESS acct=PAM_SUCCESS"

  /// Login, password, expected driver line.
  static let cases: [(String, String, String)] = [
    ("alice@example.org", Accounts.password, ok),
    ("alice@EXAMPLE.Org", Accounts.password, ok),
    ("prefixed@example.org", Accounts.password, ok),
    ("yes@example.org", Accounts.password, ok),
    ("blowfish@example.org", Accounts.password, ok),
    ("plain@example.org", Accounts.password, ok),
    ("alice@example.org", "wrong", "auth=PAM_AUTH_ERR acct=-"),
    ("alice@example.org", Accounts.password + "x", "auth=PAM_AUTH_ERR acct=-"),
    ("alice@example.org", String(repeating: "p", count: 600), "auth=PAM_AUTH_ERR acct=-"),
    ("alice@example.org", String(Accounts.password.dropLast()), "auth=PAM_AUTH_ERR acct=-"),
    ("plain@example.org", "wrong", "auth=PAM_AUTH_ERR acct=-"),
    ("nobody@example.org", Accounts.password, "auth=PAM_USER_UNKNOWN acct=-"),
    ("alice@example.com", Accounts.password, "auth=PAM_USER_UNKNOWN acct=-"),
    ("alice", Accounts.password, "auth=PAM_USER_UNKNOWN acct=-"),
    ("disabled@example.org", Accounts.password, "auth=PAM_SUCCESS acct=PAM_PERM_DENIED"),
    ("expired@example.org", Accounts.password, "auth=PAM_SUCCESS acct=PAM_ACCT_EXPIRED"),
    ("mustchange@example.org", Accounts.password, "auth=PAM_SUCCESS acct=PAM_NEW_AUTHTOK_REQD"),
    ("nullhash@example.org", Accounts.password, "auth=PAM_AUTH_ERR acct=-"),
    ("nullhash@example.org", "", "auth=PAM_AUTH_ERR acct=-"),
    ("emptyhash@example.org", "", "auth=PAM_AUTH_ERR acct=-"),
    ("emptyhash@example.org", Accounts.password, "auth=PAM_AUTH_ERR acct=-"),
    ("truncated@example.org", Accounts.password, "auth=PAM_AUTH_ERR acct=-"),
    ("garbage@example.org", Accounts.password, "auth=PAM_AUTH_ERR acct=-"),
    ("unknownscheme@example.org", Accounts.password, "auth=PAM_AUTH_ERR acct=-"),
    ("alice@example.org", "", "auth=PAM_AUTH_ERR acct=-"),
  ]

  /// CONTRIBUTING.md's rule for a new driver, which no compiler checks:
  /// every `driver =` value the module accepts has a server kit here and
  /// runs this battery.
  @Test("every driver of Settings.swift joins the battery")
  func everyDriverJoins() throws {
    let source = try String(contentsOfFile: "\(Project.root)/Sources/SwiftSQLCore/Settings.swift", encoding: .utf8)
    let body = try #require(source.range(of: "public enum Driver").map { source[$0.upperBound...] })
    let cases = body[..<(body.range(of: "\n}")?.lowerBound ?? body.endIndex)]
      .split(separator: "\n").filter { $0.hasPrefix("  case ") }.map { String($0.dropFirst(7)) }
      .filter { $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } }
    #expect(!cases.isEmpty, "no case in Settings.swift's enum Driver")
    #expect(Set(cases) == Set(Backend.allCases.map { $0.rawValue }), "drivers \(cases), battery \(Backend.allCases)")
  }

  @Test("each login gets the code DESIGN.md §4 gives it", arguments: Backend.allCases)
  func battery(_ backend: Backend) throws {
    let database = try BatteryDatabase.shared(backend)
    for (login, password, expected) in BatteryTests.cases {
      let result = try database.service.result(login, password)
      #expect(result == expected, "\(backend): \(login) with \(password.isEmpty ? "an empty" : "a") password")
    }
  }

  /// Logins that would change the query if they were spliced into it.
  static let injections = [
    "x' OR '1'='1@example.org",
    "alice@example.org'--",
    "alice@example.org' OR 'a'='a",
    "%u@%d",
    "alice'; DROP TABLE users; --@example.org",
    "alice@example.org\"; DELETE FROM users; --",
    "?@example.org",
    "$1@example.org",
  ]

  @Test("a login is only ever a bound value: refused, table unchanged", arguments: Backend.allCases)
  func injection(_ backend: Backend) throws {
    let database = try BatteryDatabase.shared(backend)
    let before = try database.tableFingerprint()
    #expect(before.contains("alice"))
    for login in BatteryTests.injections {
      let result = try database.service.result(login, Accounts.password)
      #expect(result == "auth=PAM_USER_UNKNOWN acct=-", "\(backend): \(login)")
    }
    #expect(try database.tableFingerprint() == before)
  }

  @Test("the failure line names login, service, host and reason", arguments: Backend.allCases)
  func failureLines(_ backend: Backend) throws {
    let sink = try SyslogSink.shared()
    let database = try BatteryDatabase.shared(backend)
    let service = database.service.name
    let host = "198.51.100.\(Int.random(in: 1...254))-\(backend.rawValue)"
    _ = try database.service.login("alice@example.org", "wrong", remoteHost: host)
    try sink.waitForLine(containing: [
      "pam_swiftsql(\(service):auth)", "authentication failure", "user=alice@example.org", "service=\(service)",
      "rhost=\(host)", "reason=\"wrong password\"",
    ])
    // A password longer than libxcrypt hashes is a wrong password, not a bad hash.
    let longHost = host + "-long"
    _ = try database.service.login("alice@example.org", String(repeating: "p", count: 600), remoteHost: longHost)
    try sink.waitForLine(containing: ["user=alice@example.org", "rhost=\(longHost)", "reason=\"wrong password\""])
    _ = try database.service.login("nullhash@example.org", "x", remoteHost: host)
    try sink.waitForLine(containing: ["user=nullhash@example.org", "rhost=\(host)", "the stored value is NULL"])
    _ = try database.service.login("truncated@example.org", "x", remoteHost: host)
    try sink.waitForLine(containing: ["user=truncated@example.org", "rhost=\(host)", "BLF-CRYPT", "truncated"])
    _ = try database.service.login("alice", "x", remoteHost: host)
    try sink.waitForLine(containing: ["user=alice ", "rhost=\(host)", "saslauthd with -r", "default_domain"])
    _ = try database.service.login("disabled@example.org", Accounts.password, remoteHost: host)
    try sink.waitForLine(containing: [
      "pam_swiftsql(\(service):account)", "user=disabled@example.org", "rhost=\(host)", "account disabled",
    ])
  }

  @Test("no password and no stored hash ever reaches the log, even with debug", arguments: Backend.allCases)
  func noSecretsInLogs(_ backend: Backend) throws {
    let sink = try SyslogSink.shared()
    let database = try BatteryDatabase.shared(backend)
    let secret = "Tr0ub4dor&3-\(uniqueTag())"
    var standardError = ""
    for (login, _, _) in BatteryTests.cases {
      _ = try database.service.login(login, secret)
      standardError += database.service.lastStandardError
    }
    _ = try database.service.login("alice@example.org", Accounts.password)
    // Wait until the module has logged this service's lines.
    try sink.waitForLine(containing: [database.service.name, "authentication succeeded"])
    let lines = sink.allLines
    #expect(!lines.isEmpty)
    for line in lines {
      #expect(!line.contains(secret))
      #expect(!line.contains(Accounts.password))
      #expect(!line.contains("$6$"), "a SHA512-CRYPT hash appears in: \(line)")
      #expect(!line.contains("$2b$"), "a bcrypt hash appears in: \(line)")
      #expect(!line.contains("$y$"), "a yescrypt hash appears in: \(line)")
    }
    // Nor does anything reach the application's stderr.
    #expect(standardError.isEmpty, "\(standardError)")
  }
}
