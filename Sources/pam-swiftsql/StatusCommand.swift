// `pam-swiftsql status`: the counters of a running swiftsql-authd, read from
// its status socket and printed as the daemon sends them, one "name value"
// line each (logins, failures, outages, queue depth, latency percentiles;
// pam-swiftsql(8) lists them). Nothing in them is a login or a secret.

import ArgumentParser
import SaslauthdClient
import SwiftSQLSystem

struct StatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract: "Print the counters of a running swiftsql-authd.",
    discussion: """
      One "name value" line each: logins, accepted, failures, outages, errors, queue_depth,
      latency_p50_ms, latency_p99_ms and the rest (pam-swiftsql(8) lists them).
      """)

  @Option(name: [.customShort("f"), .customLong("socket")], help: "The daemon's status socket.")
  var socket: String = "/run/swiftsql-authd/status"

  @Option(name: .customLong("timeout"), help: "Seconds to wait for the answer.")
  var timeout: Int = 5

  func validate() throws {
    guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second") }
  }

  func run() throws {
    let descriptor: Int32
    switch SaslauthdSocket.connect(path: socket) {
    case .success(let connected): descriptor = connected
    case .failure(.socketMissing):
      printToStandardError(
        "pam-swiftsql status: there is no socket at \(socket): is swiftsql-authd running "
          + "(systemctl status swiftsql-authd), with --status-socket there?")
      throw ExitStatus.unavailable.code
    case .failure(.connectionRefused):
      printToStandardError(
        "pam-swiftsql status: connection refused on \(socket): the swiftsql-authd that made it is no longer running")
      throw ExitStatus.unavailable.code
    case .failure(let error):
      printToStandardError("pam-swiftsql status: " + error.message.replacingOccurrences("saslauthd", "swiftsql-authd"))
      throw ExitStatus.unavailable.code
    }
    defer { System.closeDescriptor(descriptor) }
    guard let bytes = SaslauthdSocket.readToEnd(descriptor, limit: 1 << 16, timeoutSeconds: timeout) else {
      printToStandardError("pam-swiftsql status: swiftsql-authd did not answer on \(socket) within \(timeout) s")
      throw ExitStatus.unavailable.code
    }
    print(String(decoding: bytes, as: UTF8.self), terminator: "")
  }
}

extension String {
  /// Every occurrence of `target` replaced (no Foundation).
  fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
    split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
  }
}
