// The one log line of a failed login, as the module writes it through
// pam_syslog: step, login, service, remote host, reason. The login and the
// service come from the client, so they are made printable (LogText); the
// reason holds no password and no hash (AuthFailure.reason).

import SwiftSQLCore

public enum FailureLine {
  /// "authentication failure; user=… service=… rhost=… reason=…"
  ///
  /// - Parameter step: "authentication" or "account".
  public static func text(step: String, user: [UInt8]?, service: String, remoteHost: String, reason: String)
    -> String
  {
    "\(step) failure; user=\(user.map { LogText.printable($0) } ?? "?") service=\(LogText.printable(service)) "
      + "rhost=\(LogText.printable(remoteHost)) reason=\(reason)"
  }
}
