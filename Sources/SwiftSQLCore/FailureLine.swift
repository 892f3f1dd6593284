// The one log line of a failed login, written by the module (through
// pam_syslog) and by swiftsql-authd (through syslog) alike: step, login,
// service, remote host, reason. Every value is quoted where it must be
// (LogText.field), so that a login holding " rhost=…" cannot forge a field;
// fail2ban's filter reads it. The reason holds no password and no hash
// (AuthFailure.reason).

public enum FailureLine {
  /// `authentication failure; user=… service=… rhost=… reason=…`
  ///
  /// - Parameters:
  ///   - step: "authentication" or "account".
  ///   - user: the login as the client gave it, nil when it was not read.
  public static func text(step: String, user: [UInt8]?, service: String, remoteHost: String, reason: String)
    -> String
  {
    "\(step) failure; user=\(user.map { LogText.field($0) } ?? "?") service=\(LogText.field(service)) "
      + "rhost=\(LogText.field(remoteHost)) reason=\(LogText.field(reason, limit: 2000))"
  }
}
