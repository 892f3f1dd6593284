// A chain of its own for tests that stop, freeze or count things: a private
// PostgreSQL cluster holding alice (an MD5-CRYPT row, cheap to verify), a
// PAM service using it with short timeouts, and optionally a saslauthd with
// one process (-n 1) that loads that service from /etc/pam.d. Everything is
// removed by `tearDown`, or at once if setting up fails half-way.

import Foundation
import Testing

final class PrivateChain {
  /// As MariaDBChain's: short waits for the tests that wait them out, room
  /// for a right password on a loaded CI machine.
  static let connectTimeout = 3
  static let queryTimeout = 3

  let cluster: PostgresCluster
  let service: PAMService
  let daemon: Saslauthd?

  /// - Parameter extraConfig: more lines for the module's configuration.
  init(withSaslauthd: Bool = false, extraConfig: String = "") throws {
    cluster = try PostgresCluster()
    do {
      service = try PrivateChain.aliceService(in: cluster, installInEtc: withSaslauthd, extraConfig: extraConfig)
    } catch {
      cluster.destroy()
      throw error
    }
    do {
      daemon = withSaslauthd ? try Saslauthd(keepRealm: true, workers: 1) : nil
    } catch {
      service.remove()
      cluster.destroy()
      throw error
    }
  }

  /// Fills `cluster` with alice and makes a service that uses it.
  private static func aliceService(in cluster: PostgresCluster, installInEtc: Bool, extraConfig: String) throws
    -> PAMService
  {
    try cluster.createMailDatabase()
    let hash = try Accounts.mkpasswd("md5crypt")
    try cluster.sql(
      Accounts.insertSQL([
        Account(
          localPart: "alice", domain: "example.org", storedSQL: Accounts.quoted(hash), active: true,
          expired: false, passwordExpired: false)
      ]))
    let config =
      "driver = pgsql\nconnect = \(cluster.connectionString())\n\(Accounts.queries)\n"
      + "connect_timeout = \(connectTimeout)\nquery_timeout = \(queryTimeout)\n" + extraConfig + "\n"
    return try PAMService(config: config, installInEtc: installInEtc)
  }

  /// The daemon; fails the test if the chain was made without one.
  func saslauthd() throws -> Saslauthd {
    guard let daemon else { throw RunError(description: "this chain has no saslauthd") }
    return daemon
  }

  func tearDown() {
    daemon?.stop()
    service.remove()
    cluster.destroy()
  }
}
