// The exit statuses every subcommand uses, documented in the README and in
// pam-swiftsql(8). Scripts rely on them: keep the numbers stable.

import ArgumentParser
import SwiftSQLSystem

enum ExitStatus: Int32, Comparable {
  /// Authenticated (and, for `pam`, the account is allowed).
  case success = 0
  /// The password, login or account was refused.
  case refused = 1
  /// Bad command-line arguments.
  case usage = 2
  /// saslauthd's socket, or the database behind the module, is unavailable.
  case unavailable = 3
  /// A configuration or system error (PAM_SERVICE_ERR, a missing module, …).
  case failure = 4

  var code: ExitCode { ExitCode(rawValue) }

  /// The more serious of two outcomes, for repeated requests.
  static func < (lhs: ExitStatus, rhs: ExitStatus) -> Bool {
    lhs.severity < rhs.severity
  }

  private var severity: Int {
    switch self {
    case .success: 0
    case .refused: 1
    case .unavailable: 2
    case .failure: 3
    case .usage: 4
    }
  }
}

/// Writes one line to standard error.
func printToStandardError(_ message: String) {
  writeToStandardError(message.hasSuffix("\n") ? message : message + "\n")
}

/// Writes text to standard error as it is (write(2), unbuffered).
func writeToStandardError(_ text: String) {
  System.write(text, to: 2)
}
