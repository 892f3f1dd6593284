// Transparent upgrade on PostgreSQL: with password_update_query and
// upgrade_scheme = ARGON2ID, a row stored as MD5-CRYPT becomes ARGON2ID
// after one successful login, the next login verifies against the new
// value (and does not rewrite it), a wrong password changes nothing, and an
// update the database refuses leaves the login successful and is logged.

import Foundation
import Testing

@Suite("Transparent upgrade")
struct UpgradeTests {
  static let update = """
    password_update_query = UPDATE users SET password = '%w' WHERE username = '%n' AND domain = '%d'
    upgrade_scheme = ARGON2ID
    """

  static func storedValue(_ cluster: PostgresCluster, _ local: String) throws -> String {
    try cluster.sql("SELECT password FROM users WHERE username = '\(local)' AND domain = 'example.org'")
  }

  @Test("MD5-CRYPT becomes ARGON2ID after one login; wrong passwords change nothing")
  func upgrades() throws {
    let sink = try SyslogSink.shared()
    let chain = try PostgresChain(extraConfig: UpgradeTests.update)
    defer { chain.tearDown() }
    let cluster = chain.server
    try cluster.sql("GRANT UPDATE (password) ON users TO mailauth")
    let before = try UpgradeTests.storedValue(cluster, "alice")
    #expect(before.hasPrefix("$1$"))

    let driver = try InteractiveDriver(service: chain.service)
    #expect(try driver.login("alice@example.org", "wrong").result == "auth=PAM_AUTH_ERR acct=-")
    #expect(try UpgradeTests.storedValue(cluster, "alice") == before)

    #expect(try driver.login("alice@example.org", Accounts.password).result == BatteryTests.ok)
    let upgraded = try UpgradeTests.storedValue(cluster, "alice")
    #expect(upgraded.hasPrefix("{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$"))
    try sink.waitForLine(containing: [
      chain.service.name, "stored password of alice@example.org upgraded from MD5-CRYPT to ARGON2ID",
    ])

    // The next login verifies against the new value and leaves it alone.
    #expect(try driver.login("alice@example.org", Accounts.password).result == BatteryTests.ok)
    #expect(try driver.login("alice@example.org", "wrong").result == "auth=PAM_AUTH_ERR acct=-")
    #expect(try UpgradeTests.storedValue(cluster, "alice") == upgraded)
    // And Dovecot agrees with what was stored.
    let dovecot = try run(["doveadm", "pw", "-t", upgraded, "-p", Accounts.password])
    #expect(dovecot.status == 0)
  }

  @Test("an update the database refuses leaves the login successful and is logged")
  func failedUpdate() throws {
    let sink = try SyslogSink.shared()
    let chain = try PostgresChain(extraConfig: UpgradeTests.update)
    defer { chain.tearDown() }
    // mailauth may read but not update.
    let before = try UpgradeTests.storedValue(chain.server, "alice")
    let driver = try InteractiveDriver(service: chain.service)
    #expect(try driver.login("alice@example.org", Accounts.password).result == BatteryTests.ok)
    #expect(try UpgradeTests.storedValue(chain.server, "alice") == before)
    let line = try sink.waitForLine(containing: [
      chain.service.name, "password_update_query failed for alice@example.org", "the login still succeeds",
      "permission denied",
    ])
    #expect(!line.contains("$argon2id$"), "the new value must not be logged")
    // The login keeps working after the failed update.
    #expect(try driver.login("alice@example.org", Accounts.password).result == BatteryTests.ok)
  }
}
