// Two independent PostgreSQL clusters with the same `users` table (alice, an
// MD5-CRYPT row, cheap to verify), and PAM services whose `connect` names
// both in one libpq multi-host string, the first cluster first:
//   host=<dir A>,<dir B> port=<port A>,<port B> dbname=mail user=mailauth
// with short timeouts. Every service has the same configuration under its
// own name, so the syslog lines of the process that uses one can be told
// apart from the others'. `tearDown` removes everything, or at once if
// setting up fails half-way.

import Foundation
import Testing

final class FailoverPair {
  /// Long enough that a healthy server on a loaded 2-core machine (the
  /// other tests run meanwhile) always makes its connection in time.
  static let connectTimeout = 3
  static let queryTimeout = 3
  /// Every answer must come within connect_timeout + query_timeout; this
  /// much more is allowed for a loaded machine (the tests judge the budget,
  /// not the speed).
  static let slackSeconds = 1.5
  static var answerBound: Double { Double(connectTimeout + queryTimeout) + slackSeconds }

  let first: PostgresCluster
  let second: PostgresCluster
  private var services: [PAMService] = []

  init() throws {
    first = try PostgresCluster()
    do {
      second = try PostgresCluster()
    } catch {
      first.destroy()
      throw error
    }
    do {
      let hash = try Accounts.mkpasswd("md5crypt")
      let alice = Accounts.insertSQL([
        Account(
          localPart: "alice", domain: "example.org", storedSQL: Accounts.quoted(hash), active: true,
          expired: false, passwordExpired: false)
      ])
      for cluster in [first, second] {
        try cluster.createMailDatabase()
        try cluster.sql(alice)
      }
    } catch {
      tearDown()
      throw error
    }
  }

  /// libpq's multi-host form: hosts and ports as lists, in order.
  var connectionString: String {
    "host=\(first.socketDirectory),\(second.socketDirectory) port=\(first.port),\(second.port) "
      + "dbname=mail user=mailauth"
  }

  /// A new PAM service over both clusters (in /etc/pam.d too for saslauthd).
  func service(installInEtc: Bool = false, debug: Bool = false) throws -> PAMService {
    let config =
      "driver = pgsql\nconnect = \(connectionString)\n\(Accounts.queries)\n"
      + "connect_timeout = \(FailoverPair.connectTimeout)\nquery_timeout = \(FailoverPair.queryTimeout)\n"
    let service = try PAMService(config: config, arguments: debug ? "debug" : "", installInEtc: installInEtc)
    services.append(service)
    return service
  }

  func tearDown() {
    for service in services { service.remove() }
    first.destroy()
    second.destroy()
  }
}
