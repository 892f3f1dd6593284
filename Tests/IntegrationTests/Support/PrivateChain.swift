// A chain of its own for tests that stop, freeze or count things: a private
// database server (a PostgreSQL cluster or a MariaDB server) holding alice
// (an MD5-CRYPT row, cheap to verify), a PAM service using it with short
// timeouts, and optionally a saslauthd with one process (-n 1) that loads
// that service from /etc/pam.d. Everything is removed by `tearDown`, or at
// once if setting up fails half-way.

import Foundation
import Testing

/// The chain on PostgreSQL.
typealias PostgresChain = PrivateChain<PostgresCluster>
/// The chain on MariaDB.
typealias MariaDBChain = PrivateChain<MariaDBServer>

final class PrivateChain<Database: ChainDatabase> {
  /// Short enough that the tests waiting for them stay short, long enough
  /// that a login on a loaded CI machine (two cores, a dozen servers
  /// starting beside it) fits: a right password refused for lack of time
  /// would fail the tests that require it accepted. As FailoverPair's.
  static var connectTimeout: Int { 3 }
  static var queryTimeout: Int { 3 }

  let server: Database
  let service: PAMService
  let daemon: Saslauthd?

  /// - Parameters:
  ///   - connect: the module's `connect` for this server, if not the usual one.
  ///   - extraConfig: more lines for the module's configuration.
  init(withSaslauthd: Bool = false, connect: ((Database) -> String)? = nil, extraConfig: String = "") throws {
    server = try Database.started()
    do {
      try server.createMailDatabase()
      let hash = try Accounts.mkpasswd("md5crypt")
      try server.sql(
        Accounts.insertSQL([
          Account(
            localPart: "alice", domain: "example.org", storedSQL: Accounts.quoted(hash), active: true,
            expired: false, passwordExpired: false)
        ]), database: "mail")
      let config =
        "driver = \(Database.driver)\nconnect = \(connect?(server) ?? server.connectionString(database: "mail"))\n"
        + "\(Accounts.queries)\n"
        + "connect_timeout = \(Self.connectTimeout)\nquery_timeout = \(Self.queryTimeout)\n" + extraConfig + "\n"
      service = try PAMService(config: config, installInEtc: withSaslauthd)
    } catch {
      server.destroy()
      throw error
    }
    do {
      daemon = withSaslauthd ? try Saslauthd(keepRealm: true, workers: 1) : nil
    } catch {
      service.remove()
      server.destroy()
      throw error
    }
  }

  /// The daemon; fails the test if the chain was made without one.
  func saslauthd() throws -> Saslauthd {
    guard let daemon else { throw RunError(description: "this chain has no saslauthd") }
    return daemon
  }

  func tearDown() {
    daemon?.stop()
    service.remove()
    server.destroy()
  }
}
