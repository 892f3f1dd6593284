// pam_swiftsql beside the real pam_mysql (Debian's libpam-mysql 0.8): one
// MariaDB table with rows for crypt modes 1 (crypt(3)), 2 (MySQL's
// PASSWORD()), 3 (MD5 hex) and 4 (SHA1 hex) and statcolumn values, and for
// each mode two PAM service files in /etc/pam.d that differ only in the
// module name, with pam_mysql's arguments (socket host, statcolumn, where=,
// sqllog). The same attempts go through real libpam (to see each PAM code)
// and through a real saslauthd (what Postfix sees). Every answer must be
// the same, except the cases the README lists, where each side's answer is
// checked against the one written here by hand. The stored values are made
// by mkpasswd and by MariaDB's own functions, never by the code under test.
// The sqllog rows of both are compared too.

import Foundation
import Testing

@Suite("pam_mysql side by side", .serialized)
struct PamMySQLSideBySideTests {
  static let password = Accounts.password

  /// A row: the login, the stored value as SQL, the status as SQL, and how
  /// many copies.
  struct Row {
    let login: String
    let storedSQL: String
    let statusSQL: String
    var copies = 1
  }

  /// The stored value of `password` in crypt mode `mode`, as SQL; `upper`
  /// flips the case of the hex digits (lower for PASSWORD(), whose own are
  /// upper-case).
  static func stored(mode: Int, crypt: String, upper: Bool = false) -> String {
    let quoted = Accounts.quoted(password)
    switch mode {
    case 1: return Accounts.quoted(crypt)
    case 2: return upper ? "LOWER(PASSWORD(\(quoted)))" : "PASSWORD(\(quoted))"
    case 3: return upper ? "UPPER(MD5(\(quoted)))" : "MD5(\(quoted))"
    default: return upper ? "UPPER(SHA1(\(quoted)))" : "SHA1(\(quoted))"
    }
  }

  static func rows(mode: Int, crypt: String) -> [Row] {
    let value = stored(mode: mode, crypt: crypt)
    return [
      Row(login: "alice@example.org", storedSQL: value, statusSQL: "0"),
      Row(login: "carl", storedSQL: value, statusSQL: "0"),
      Row(login: "expired@example.org", storedSQL: value, statusSQL: "1"),
      Row(login: "mustchange@example.org", storedSQL: value, statusSQL: "2"),
      Row(login: "nullstatus@example.org", storedSQL: value, statusSQL: "NULL"),
      Row(login: "upper@example.org", storedSQL: stored(mode: mode, crypt: crypt, upper: mode != 1), statusSQL: "0"),
      Row(login: "empty@example.org", storedSQL: "''", statusSQL: "0"),
      Row(login: "null@example.org", storedSQL: "NULL", statusSQL: "0"),
      Row(login: "twice@example.org", storedSQL: value, statusSQL: "0", copies: 2),
    ]
  }

  /// The attempts: every row with the right password, and alice with the
  /// wrong ones, in other spellings and as SQL.
  static let attempts: [(login: String, password: String)] =
    [
      "alice@example.org", "carl", "expired@example.org", "mustchange@example.org", "nullstatus@example.org",
      "upper@example.org", "empty@example.org", "null@example.org", "twice@example.org", "nobody@example.org",
      "ALICE@EXAMPLE.ORG", "x' OR '1'='1", "alice@example.org' -- ", "alice",
    ].map { ($0, password) } + [
      ("alice@example.org", "wrong"), ("alice@example.org", password + "x"),
      ("alice@example.org", String(password.dropLast())), ("alice@example.org", password.uppercased()),
    ]

  /// Where pam_swiftsql answers differently on purpose: (login, mode or nil
  /// for all) → (pam_mysql's answer, ours). Each is a README row.
  static func expectedDifference(login: String, password: String, mode: Int) -> (old: String, new: String)? {
    guard password == Self.password else { return nil }
    switch login {
    case "mustchange@example.org":
      // pam_acct_mgmt's code for "the password must be changed" is
      // PAM_NEW_AUTHTOK_REQD; PAM_AUTHTOK_EXPIRED belongs to pam_chauthtok.
      return ("auth=PAM_SUCCESS acct=PAM_AUTHTOK_EXPIRED", "auth=PAM_SUCCESS acct=PAM_NEW_AUTHTOK_REQD")
    case "upper@example.org" where mode != 1:
      // The same digest in upper-case (or, for PASSWORD(), lower-case)
      // hex: pam_mysql compares strings, the digest is equal.
      return ("auth=PAM_AUTH_ERR acct=-", "auth=PAM_SUCCESS acct=PAM_SUCCESS")
    default:
      return nil
    }
  }

  final class Setup {
    let server: MariaDBServer
    let daemon: Saslauthd
    /// Per mode: the pam_mysql service and ours.
    var services: [Int: (old: String, new: String)] = [:]

    init() throws {
      server = try MariaDBServer()
      do {
        daemon = try Saslauthd(keepRealm: true, workers: 1)
      } catch {
        server.destroy()
        throw error
      }
    }

    func tearDown() {
      for (old, new) in services.values {
        unlink("/etc/pam.d/\(old)")
        unlink("/etc/pam.d/\(new)")
      }
      daemon.stop()
      server.destroy()
    }
  }

  static func setUp() throws -> Setup {
    let setup = try Setup()
    do {
      let server = setup.server
      let crypt = try Accounts.mkpasswd("sha512crypt", password)
      var inserts: [String] = []
      for mode in 1...4 {
        for row in rows(mode: mode, crypt: crypt) {
          for _ in 0..<row.copies {
            inserts.append(
              "INSERT INTO users (email, password, mode, status) VALUES "
                + "(\(Accounts.quoted(row.login)), \(row.storedSQL), \(mode), \(row.statusSQL));")
          }
        }
      }
      try server.sql(
        """
        CREATE USER IF NOT EXISTS 'mailauth'@'localhost' IDENTIFIED BY '\(MariaDBServer.password)';
        CREATE DATABASE legacy CHARACTER SET utf8mb4;
        CREATE TABLE legacy.users (email VARCHAR(255) NOT NULL, password VARCHAR(255), mode INT NOT NULL, status INT);
        CREATE TABLE legacy.authlog (
          id INT AUTO_INCREMENT PRIMARY KEY, msg VARCHAR(64), usr VARCHAR(255), host VARCHAR(255),
          rhost VARCHAR(255), pid VARCHAR(16), ts DATETIME);
        GRANT SELECT ON legacy.users TO 'mailauth'@'localhost';
        GRANT INSERT ON legacy.authlog TO 'mailauth'@'localhost';
        """, database: "mysql")
      try server.sql(inserts.joined(separator: "\n"), database: "legacy")

      for mode in 1...4 {
        let arguments = [
          "user=mailauth", "passwd=\(MariaDBServer.password)", "host=\(server.socket)", "db=legacy", "table=users",
          "usercolumn=email", "passwdcolumn=password", "statcolumn=status", "crypt=\(mode)", "where=mode=\(mode)",
          "sqllog=1", "logtable=authlog", "logmsgcolumn=msg", "logusercolumn=usr", "loghostcolumn=host",
          "logrhostcolumn=rhost", "logpidcolumn=pid", "logtimecolumn=ts",
        ].joined(separator: " ")
        let tag = uniqueTag()
        let names = (old: "swiftsql-pammysql-\(tag)-old", new: "swiftsql-pammysql-\(tag)-new")
        setup.services[mode] = names
        for (name, module) in [(names.old, "pam_mysql.so"), (names.new, Project.module)] {
          try writeFile(
            "/etc/pam.d/\(name)", "auth    required \(module) \(arguments)\naccount required \(module) \(arguments)\n")
        }
      }
    } catch {
      setup.tearDown()
      throw error
    }
    return setup
  }

  /// One transaction through real libpam with /etc/pam.d.
  static func pam(_ service: String, _ login: String, _ password: String) throws -> String {
    let driver = try Fixture.path("pam_driver", libraries: ["pam"])
    let result = try run([driver, "-r", "192.0.2.7", service, login, password], timeout: 60)
    guard result.lines.count == 1 else {
      throw RunError(description: "pam_driver: \(result.stdout) \(result.stderr)")
    }
    return result.lines[0]
  }

  /// One request through saslauthd, as Postfix's libsasl2 sends it (the
  /// realm split off at the last @); "OK" or "NO".
  static func saslauthd(_ daemon: Saslauthd, _ service: String, _ login: String, _ password: String) throws
    -> String
  {
    var arguments = ["-s", service, "-p", password]
    if let at = login.lastIndex(of: "@") {
      arguments += ["-u", String(login[..<at]), "-r", String(login[login.index(after: at)...])]
    } else {
      arguments += ["-u", login]
    }
    let output = try daemon.testsaslauthd(arguments).stdout
    if output.contains("OK") { return "OK" }
    if output.contains("NO") { return "NO" }
    throw RunError(description: "testsaslauthd: \(output)")
  }

  @Test("the same answer as pam_mysql for every attempt, but where pam_mysql is wrong")
  func sameAnswers() throws {
    let setup = try Self.setUp()
    defer { setup.tearDown() }
    var compared = 0
    for mode in 1...4 {
      guard let (old, new) = setup.services[mode] else { continue }
      for (login, password) in Self.attempts {
        let theirs = try Self.pam(old, login, password)
        let ours = try Self.pam(new, login, password)
        let context = "crypt=\(mode) \(login) / \(password == Self.password ? "right" : password)"
        if let difference = Self.expectedDifference(login: login, password: password, mode: mode) {
          #expect(theirs == difference.old, "pam_mysql, \(context)")
          #expect(ours == difference.new, "pam_swiftsql, \(context)")
        } else {
          #expect(ours == theirs, "\(context)")
        }
        // Through saslauthd: OK exactly when both PAM steps succeeded.
        let viaOld = try Self.saslauthd(setup.daemon, old, login, password)
        let viaNew = try Self.saslauthd(setup.daemon, new, login, password)
        #expect(viaOld == (theirs == BatteryTests.ok ? "OK" : "NO"), "saslauthd + pam_mysql, \(context)")
        #expect(viaNew == (ours == BatteryTests.ok ? "OK" : "NO"), "saslauthd + pam_swiftsql, \(context)")
        compared += 1
      }
    }
    #expect(compared == 4 * Self.attempts.count)
  }

  @Test("the database is down: both answer PAM_AUTHINFO_UNAVAIL, and saslauthd NO")
  func outage() throws {
    let setup = try Self.setUp()
    defer { setup.tearDown() }
    let (old, new) = try #require(setup.services[1])
    #expect(try Self.pam(new, "alice@example.org", Self.password) == BatteryTests.ok)
    try setup.server.stop()
    for service in [old, new] {
      #expect(try Self.pam(service, "alice@example.org", Self.password) == "auth=PAM_AUTHINFO_UNAVAIL acct=-")
      #expect(try Self.saslauthd(setup.daemon, service, "alice@example.org", Self.password) == "NO")
    }
  }

  @Test("the right answers, written out, for crypt=1 (so that agreeing on a wrong answer fails too)")
  func rightAnswers() throws {
    let setup = try Self.setUp()
    defer { setup.tearDown() }
    let new = try #require(setup.services[1]?.new)
    let expected: [(String, String, String)] = [
      ("alice@example.org", Self.password, BatteryTests.ok),
      ("carl", Self.password, BatteryTests.ok),
      ("ALICE@EXAMPLE.ORG", Self.password, BatteryTests.ok),
      ("expired@example.org", Self.password, "auth=PAM_SUCCESS acct=PAM_ACCT_EXPIRED"),
      ("nullstatus@example.org", Self.password, "auth=PAM_SUCCESS acct=PAM_ACCT_EXPIRED"),
      ("mustchange@example.org", Self.password, "auth=PAM_SUCCESS acct=PAM_NEW_AUTHTOK_REQD"),
      ("empty@example.org", Self.password, "auth=PAM_AUTH_ERR acct=-"),
      ("null@example.org", Self.password, "auth=PAM_AUTH_ERR acct=-"),
      ("twice@example.org", Self.password, "auth=PAM_SERVICE_ERR acct=-"),
      ("nobody@example.org", Self.password, "auth=PAM_USER_UNKNOWN acct=-"),
      ("x' OR '1'='1", Self.password, "auth=PAM_USER_UNKNOWN acct=-"),
      ("alice@example.org' -- ", Self.password, "auth=PAM_USER_UNKNOWN acct=-"),
      ("alice@example.org", "wrong", "auth=PAM_AUTH_ERR acct=-"),
      ("alice@example.org", String(Self.password.dropLast()), "auth=PAM_AUTH_ERR acct=-"),
    ]
    for (login, password, answer) in expected {
      #expect(try Self.pam(new, login, password) == answer, "\(login)")
    }
  }

  @Test("sqllog: the rows pam_mysql writes (message, login, remote host, pid, host name), one per step")
  func sqllogRows() throws {
    let setup = try Self.setUp()
    defer { setup.tearDown() }
    let (old, new) = try #require(setup.services[3])
    let logins = ["alice@example.org", "expired@example.org", "nobody@example.org"]
    // Only this test's logins: `pam-swiftsql doctor`, run by DoctorLiveTests
    // at the same time, tries a failed login through every /etc/pam.d
    // service that uses the module, this test's among them.
    let ours = "usr IN (\(logins.map(Accounts.quoted).joined(separator: ", ")))"
    func rows() throws -> [String] {
      try setup.server.sql("SELECT msg, usr, rhost FROM authlog WHERE \(ours) ORDER BY id", database: "legacy")
        .split(separator: "\n").map(String.init)
    }
    for login in logins { _ = try Self.pam(old, login, Self.password) }
    let theirs = try rows()
    try setup.server.sql("DELETE FROM authlog", database: "legacy")
    for login in logins { _ = try Self.pam(new, login, Self.password) }
    let written = try rows()
    let expected: [String] = [
      "AUTHENTICATION SUCCESS\talice@example.org\t192.0.2.7", "QUERYING SUCCESS\talice@example.org\t192.0.2.7",
      "AUTHENTICATION SUCCESS\texpired@example.org\t192.0.2.7",
      // pam_mysql logs the query's success; we log the step's outcome.
      "QUERYING FAILURE\texpired@example.org\t192.0.2.7",
      "AUTHENTICATION FAILURE\tnobody@example.org\t192.0.2.7",
    ]
    #expect(written == expected)
    // pam_mysql first tries the password of an earlier module (try_first_pass
    // is on by default in 0.8), finds none and logs a failure, misspelt, before
    // every real attempt; and it logs the account query's success, not the
    // account's.
    var expectedTheirs: [String] = []
    for row in expected {
      if row.hasPrefix("AUTHENTICATION") {
        let login = row.split(separator: "\t")[1]
        expectedTheirs.append("AUTHENTICATION FALURE (FIRST_PASS)\t\(login)\t192.0.2.7")
      }
      expectedTheirs.append(row.replacingOccurrences(of: "QUERYING FAILURE", with: "QUERYING SUCCESS"))
    }
    #expect(theirs == expectedTheirs)
    let hostname = try run(["uname", "-n"], check: true).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let hosts = try setup.server.sql("SELECT DISTINCT host FROM authlog WHERE \(ours)", database: "legacy")
    #expect(hosts == hostname)
    let pids = try setup.server.sql(
      "SELECT COUNT(*) FROM authlog WHERE \(ours) AND pid REGEXP '^[1-9][0-9]*$' AND ts IS NOT NULL",
      database: "legacy")
    #expect(pids == String(expected.count))
  }
}
