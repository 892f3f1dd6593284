// Through the real module: a login without a usable row (unknown, NULL,
// empty, malformed, or filtered out because the account is disabled) is
// checked against a decoy of the scheme and cost of the rows the module
// verified, whatever default_pass_scheme says; before any row, against one
// in the configured scheme. The debug line names the decoy's scheme and
// cost; the rows are made by the real tools (mkpasswd, argon2) at costs
// chosen here, so the expected costs are those choices. Timing itself is
// measured by `make bench`, never asserted here.

import Foundation
import Testing

@Suite("Decoys follow the rows the module verified")
struct DecoyLiveTests {
  /// A table of one scheme at a chosen cost, and what the decoy line must
  /// say of it.
  struct Table: CustomTestStringConvertible, Sendable {
    let name: String
    /// default_pass_scheme when it is set for this table.
    let scheme: String
    /// Makes a stored value for a password.
    let make: @Sendable (String) throws -> String
    /// What the decoy line must hold.
    let shape: [String]

    var testDescription: String { name }
  }

  static func mkpasswd(_ arguments: [String], _ password: String) throws -> String {
    try run(["mkpasswd"] + arguments + ["-s"], input: password + "\n", check: true)
      .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  static let tables: [Table] = [
    Table(
      name: "MD5-CRYPT", scheme: "MD5-CRYPT", make: { try mkpasswd(["-m", "md5crypt"], $0) }, shape: ["MD5-CRYPT"]),
    Table(
      name: "SHA512-CRYPT", scheme: "SHA512-CRYPT", make: { try mkpasswd(["-m", "sha512crypt", "-R", "20000"], $0) },
      shape: ["SHA512-CRYPT", "20000 rounds"]),
    Table(
      name: "BLF-CRYPT", scheme: "BLF-CRYPT", make: { try mkpasswd(["-m", "bcrypt", "-R", "7"], $0) },
      shape: ["BLF-CRYPT", "cost 7"]),
    // yescrypt's cost 6 is N = 2^13 (libxcrypt's crypt(5)); r = 32, p = 1.
    Table(
      name: "yescrypt", scheme: "CRYPT", make: { try mkpasswd(["-m", "yescrypt", "-R", "6"], $0) },
      shape: ["YESCRYPT", "N=8192 r=32 p=1"]),
    Table(
      name: "ARGON2ID", scheme: "ARGON2ID",
      make: { password in
        try run(
          ["argon2", "salt-\(uniqueTag())", "-id", "-t", "2", "-m", "15", "-p", "1", "-e"], input: password, check: true
        )
        .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
      }, shape: ["ARGON2ID", "32768 KiB, 2 passes, 1 lanes"]),
  ]

  /// A service over an SQLite table of `rows`, with debug, whose password
  /// query finds only active accounts.
  static func service(_ rows: [(String, String, active: Bool)], defaultScheme: String?) throws -> PAMService {
    let directory = try makeTemporaryDirectory("swiftsql-decoy")
    let accounts = rows.map { local, stored, active in
      Account(
        localPart: local, domain: "example.org", storedSQL: stored, active: active, expired: false,
        passwordExpired: false)
    }
    let database = try Accounts.sqliteDatabase(in: directory, accounts)
    let config =
      "driver = sqlite\nconnect = \(database)\ndebug = yes\n"
      + "password_query = SELECT password FROM users WHERE username = '%n' AND domain = '%d' AND active\n"
      + (defaultScheme.map { "default_pass_scheme = \($0)\n" } ?? "")
    return try PAMService(config: config)
  }

  /// The decoy lines this service has logged, once there are `count`.
  static func decoyLines(_ service: PAMService, count: Int) throws -> [String] {
    let sink = try SyslogSink.shared()
    var lines: [String] = []
    try waitUntil("\(count) decoy lines for \(service.name)", seconds: 20) {
      lines = sink.lines(containing: service.name).filter { $0.contains("checked a decoy of") }
      return lines.count >= count
    }
    return lines
  }

  @Test(
    "unknown, NULL, empty, malformed and disabled: a decoy of the rows' scheme and cost",
    arguments: tables, [false, true])
  func followsRows(_ table: Table, defaultSet: Bool) throws {
    let stored = try table.make(Accounts.password)
    let service = try Self.service(
      [
        ("alice", Accounts.quoted(stored), true), ("nullrow", "NULL", true), ("emptyrow", "''", true),
        ("broken", Accounts.quoted("{\(table.scheme)}not a hash at all"), true),
        ("disabled", Accounts.quoted(stored), false),
      ], defaultScheme: defaultSet ? table.scheme : nil)
    defer { service.remove() }
    let sink = try SyslogSink.shared()
    let driver = try InteractiveDriver(service: service)
    // Before any row: the configured scheme (default_pass_scheme, or CRYPT's yescrypt).
    #expect(try driver.login("nobody@example.org", "x").result == "auth=PAM_USER_UNKNOWN acct=-")
    #expect(try driver.login("alice@example.org", "wrong").result == "auth=PAM_AUTH_ERR acct=-")
    #expect(try driver.login("nobody@example.org", "x").result == "auth=PAM_USER_UNKNOWN acct=-")
    #expect(try driver.login("nullrow@example.org", "x").result == "auth=PAM_AUTH_ERR acct=-")
    #expect(try driver.login("emptyrow@example.org", "x").result == "auth=PAM_AUTH_ERR acct=-")
    #expect(try driver.login("broken@example.org", "x").result == "auth=PAM_AUTH_ERR acct=-")
    #expect(
      try driver.login("disabled@example.org", Accounts.password).result == "auth=PAM_USER_UNKNOWN acct=-")
    let lines = try Self.decoyLines(service, count: 6)
    #expect(lines.count == 6, Comment(rawValue: lines.joined(separator: "\n")))
    let configured = defaultSet && table.scheme != "CRYPT" ? table.scheme : "YESCRYPT"
    #expect(lines.first?.contains("checked a decoy of \(configured)") == true, sink.recap(of: service))
    for line in lines.dropFirst() {
      for fragment in table.shape {
        #expect(line.contains(fragment), "\(table.name): \(line)")
      }
    }
  }

  @Test("a table of two schemes: decoys in the proportion the rows were verified")
  func mixedTable() throws {
    let sha = try Self.mkpasswd(["-m", "sha512crypt", "-R", "20000"], Accounts.password)
    let blowfish = try Self.mkpasswd(["-m", "bcrypt", "-R", "6"], Accounts.password)
    let service = try Self.service(
      [("alice", Accounts.quoted(sha), true), ("bob", Accounts.quoted(blowfish), true)], defaultScheme: nil)
    defer { service.remove() }
    let driver = try InteractiveDriver(service: service)
    for login in ["alice", "alice", "alice", "bob"] {
      #expect(try driver.login("\(login)@example.org", "wrong").result == "auth=PAM_AUTH_ERR acct=-")
    }
    for _ in 0..<8 {
      #expect(try driver.login("nobody@example.org", "x").result == "auth=PAM_USER_UNKNOWN acct=-")
    }
    let lines = try Self.decoyLines(service, count: 8)
    #expect(lines.filter { $0.contains("SHA512-CRYPT, 20000 rounds") }.count == 6, "\(lines)")
    #expect(lines.filter { $0.contains("BLF-CRYPT, cost 6") }.count == 2, "\(lines)")
  }
}
