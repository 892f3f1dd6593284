// What the leak and lifetime tests log in to: a private PostgreSQL cluster
// holding alice with an SSHA256 value (made by doveadm: one SHA-256, so the
// hash does not dominate and the module's own work is what is measured), a
// PAM service over it, and the pam_soak fixture that runs many transactions
// in one process.
//
// How many logins: the short run of `make check` by default; the full run
// (100,000 logins, the resident set read at the 10,000th and the 100,000th)
// when PAM_SWIFTSQL_SOAK=full, as `make soak` sets.

import Foundation
import Testing

final class SoakChain {
  /// The lengths of one run.
  struct Lengths {
    /// Logins under valgrind.
    let underValgrind: Int
    /// Logins without valgrind, and the two at which the resident set is
    /// compared.
    let native: Int
    let residentFrom: Int
    let residentTo: Int
  }

  static var isFull: Bool { ProcessInfo.processInfo.environment["PAM_SWIFTSQL_SOAK"] == "full" }

  static var lengths: Lengths {
    isFull
      ? Lengths(underValgrind: 100_000, native: 100_000, residentFrom: 10_000, residentTo: 100_000)
      : Lengths(underValgrind: 1_000, native: 20_000, residentFrom: 2_000, residentTo: 20_000)
  }

  let cluster: PostgresCluster
  let service: PAMService

  init(debug: Bool = false) throws {
    cluster = try PostgresCluster()
    do {
      try cluster.createMailDatabase()
      let hash = try run(
        [try resolveExecutable("doveadm"), "pw", "-s", "SSHA256", "-p", Accounts.password], check: true
      ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
      guard hash.hasPrefix("{SSHA256}") else { throw RunError(description: "doveadm pw made \(hash)") }
      try cluster.sql(
        Accounts.insertSQL([
          Account(
            localPart: "alice", domain: "example.org", storedSQL: Accounts.quoted(hash), active: true,
            expired: false, passwordExpired: false)
        ]))
      service = try PAMService(
        config: "driver = pgsql\nconnect = \(cluster.connectionString())\n\(Accounts.queries)\n",
        arguments: debug ? "debug" : "")
    } catch {
      cluster.destroy()
      throw error
    }
  }

  func tearDown() {
    service.remove()
    cluster.destroy()
  }

  /// The fixture's command line for `count` logins as alice.
  func soakCommand(count: Int, residentEvery: Int = 0) throws -> [String] {
    [
      try Fixture.path("pam_soak", libraries: ["pam"]), "-c", service.confdir, "-n", String(count), "-m",
      String(residentEvery), service.name, "alice@example.org", Accounts.password,
    ]
  }

  /// What the fixture's "done ok=… wrong=… unknown=… unexpected=…" line
  /// says a run of `count` logins must count: every 100th a wrong password,
  /// every 100th an unknown login.
  static func expectedDoneLine(_ count: Int) -> String {
    let wrong = (count + 50) / 100
    let unknown = count / 100
    return "done ok=\(count - wrong - unknown) wrong=\(wrong) unknown=\(unknown) unexpected=0"
  }
}
