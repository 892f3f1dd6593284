// Password schemes end to end. Round trip both ways with Dovecot: every
// scheme `pam-swiftsql hash` makes is accepted by `doveadm pw -t` (and a
// wrong password is not), and every value `doveadm pw` made (the committed
// vectors) is accepted by the module through real libpam against a real
// SQLite database, and refused with a wrong password. Also `pam-swiftsql
// verify`, and an over-limit value logged by scheme and problem only.

import Foundation
import SchemeVectors
import Testing

@Suite("Password schemes through the tool, Dovecot and libpam")
struct SchemeTests {
  static let password = "Sch3me \"round\" trip — ünïcode 🔑"

  /// The schemes the tool says it can make.
  static func generatableSchemes() throws -> [String] {
    let list = try run([Project.tool, "hash", "--list"], check: true).lines
    return list.filter { $0.hasSuffix("verify, make") }.compactMap { $0.split(separator: " ").first.map(String.init) }
  }

  @Test("every scheme pam-swiftsql hash makes is accepted by doveadm pw -t")
  func hashVerifiesInDovecot() throws {
    try Project.requireBuild()
    let schemes = try SchemeTests.generatableSchemes()
    #expect(schemes.count >= 30)
    #expect(schemes.contains("ARGON2ID") && schemes.contains("SCRAM-SHA-256") && schemes.contains("OTP"))
    for scheme in schemes {
      var extra: [String] = []
      if scheme == "DIGEST-MD5" { extra = ["-u", "alice@example.org"] }
      let made = try run([Project.tool, "hash", "-s", scheme, "-p", SchemeTests.password] + extra, check: true)
      let stored = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
      #expect(stored.hasPrefix("{"), "\(scheme): \(stored)")
      let good = try run(["doveadm", "pw", "-t", stored, "-p", SchemeTests.password] + extra)
      #expect(good.status == 0 && good.stdout.contains("(verified)"), "\(scheme): \(good.stdout)\(good.stderr)")
      // A changed first character (PLAIN-TRUNC accepts an appended one, in Dovecot too).
      let wrong = "X" + SchemeTests.password.dropFirst()
      let bad = try run(["doveadm", "pw", "-t", stored, "-p", wrong] + extra)
      #expect(bad.status != 0, "\(scheme): doveadm accepted a wrong password")
      // And our own verify agrees.
      let ours = try run([Project.tool, "verify", stored, "-p", SchemeTests.password] + extra)
      #expect(ours.status == 0 && ours.stdout.contains("result: match"), "\(scheme): \(ours.stdout)")
    }
  }

  @Test("hash asks twice on a terminal, reads one line from a pipe, and refuses what it cannot make")
  func hashInputs() throws {
    try Project.requireBuild()
    let piped = try run([Project.tool, "hash", "-s", "SSHA256"], input: "from a pipe\n", check: true)
    let stored = piped.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(try run([Project.tool, "verify", stored, "-p", "from a pipe"]).status == 0)
    #expect(try run([Project.tool, "hash", "-s", "ROT13", "-p", "x"]).status == 2)
    #expect(try run([Project.tool, "hash", "-s", "MYSQL41", "-p", "x"]).status == 2)
    #expect(try run([Project.tool, "hash", "-s", "DIGEST-MD5", "-p", "x"]).status == 2)
    #expect(try run([Project.tool, "hash", "-s", "BLF-CRYPT", "-r", "31", "-p", "x"]).status == 2)
    let rounds = try run([Project.tool, "hash", "-s", "SHA512-CRYPT", "-r", "6000", "-p", "x"], check: true)
    #expect(rounds.stdout.hasPrefix("{SHA512-CRYPT}$6$rounds=6000$"))
    // Without -s: ARGON2ID.
    #expect(try run([Project.tool, "hash", "-p", "x"], check: true).stdout.hasPrefix("{ARGON2ID}$argon2id$"))
  }

  @Test("verify prints the scheme and the outcome, never the value, with exit 0 or 1")
  func verifyCommand() throws {
    try Project.requireBuild()
    let stored = try run(["mkpasswd", "-m", "sha512crypt", "-s"], input: "right\n", check: true)
      .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let good = try run([Project.tool, "verify", stored, "-p", "right"])
    #expect(good.status == 0)
    #expect(good.lines == ["scheme: SHA512-CRYPT (from how it starts)", "result: match"])
    let bad = try run([Project.tool, "verify", "-p", "wrong"], input: stored + "\n")
    #expect(bad.status == 1)
    #expect(bad.lines.last == "result: mismatch")
    let broken = try run([
      Project.tool, "verify", "{BLF-CRYPT}$2y$31$abcdefghijklmnopqrstuvabcdefghijklmnopqrstuvwxyzABCDE", "-p", "x",
    ])
    #expect(broken.status == 1)
    #expect(broken.lines.last == "result: unusable: bcrypt cost 31 is over the limit of 15")
    for output in [good, bad, broken] {
      #expect(!output.stdout.contains("$6$") && !output.stdout.contains("$2y$"))
    }
  }

  @Test("every value doveadm pw made is accepted through libpam from a real database, and a wrong password is not")
  func doveadmValuesThroughPAM() throws {
    let vectors = Vector.all.filter { $0.generator.hasPrefix("doveadm pw") }
    #expect(vectors.count >= 150)
    let directory = try makeTemporaryDirectory("swiftsql-vectors")
    let rows = vectors.map { vector -> Account in
      let at = vector.login.lastIndex(of: "@") ?? vector.login.endIndex
      return Account(
        localPart: String(vector.login[..<at]), domain: String(vector.login[vector.login.index(after: at)...]),
        storedSQL: Accounts.quoted(vector.stored), active: true, expired: false, passwordExpired: false)
    }
    let database = try Accounts.sqliteDatabase(in: directory, rows)
    let service = try PAMService(config: "driver = sqlite\nconnect = \(database)\n\(Accounts.queries)\n")
    defer { service.remove() }
    let driver = try InteractiveDriver(service: service)
    for vector in vectors {
      let password = String(decoding: vector.password, as: UTF8.self)
      #expect(try driver.login(vector.login, password).result == BatteryTests.ok, "\(vector)")
      #expect(try driver.login(vector.login, "x" + password).result == "auth=PAM_AUTH_ERR acct=-", "\(vector)")
    }
  }

  @Test("an over-limit stored value is refused quickly and logged by scheme and problem, never by value")
  func overLimitLogged() throws {
    let sink = try SyslogSink.shared()
    let directory = try makeTemporaryDirectory("swiftsql-limits")
    let huge = "$argon2id$v=19$m=4194304,t=3,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"
    let database = try Accounts.sqliteDatabase(
      in: directory,
      [
        Account(
          localPart: "huge", domain: "example.org", storedSQL: Accounts.quoted(huge), active: true,
          expired: false, passwordExpired: false)
      ])
    let service = try PAMService(config: "driver = sqlite\nconnect = \(database)\n\(Accounts.queries)\n")
    defer { service.remove() }
    let driver = try InteractiveDriver(service: service)
    let (result, milliseconds) = try driver.login("huge@example.org", "password")
    #expect(result == "auth=PAM_AUTH_ERR acct=-")
    #expect(milliseconds < 2000)
    let line = try sink.waitForLine(containing: [service.name, "user=huge@example.org", "ARGON2ID", "m=4194304 KiB"])
    #expect(!line.contains("c2FsdHNhbHRzYWx0"))
  }
}
