// What the daemon answers for each way a login can end, on each protocol,
// and how it counts and logs it: the one exhaustive switch over AuthFailure
// for `swiftsql-authd` (the module's is SwiftSQLPAM's PAMResult; the log
// levels are the same). A reply a client shows to its user never says more
// than "authentication failed": not whether the login exists.

import SwiftSQLCore

/// How a login is counted.
public enum ServeVerdict: Sendable {
  case accepted
  /// The password, login or account was refused.
  case refused
  /// The database was unavailable: a temporary failure, never a refusal.
  case outage
  /// A configuration or internal error.
  case error
}

public struct ServeAnswer: Equatable, Sendable {
  public let verdict: ServeVerdict
  public let level: LogLevel
  /// The text after "NO " on the saslauthd socket.
  public let saslauthdText: String
  /// Dovecot's FAIL code, if any.
  public let dovecotCode: String?
  /// Dovecot's FAIL reason, if any.
  public let dovecotReason: String?

  public static func of(_ failure: AuthFailure) -> ServeAnswer {
    switch failure {
    case .loginRejected, .unknownUser, .wrongPassword, .emptyPassword:
      refused(.notice)
    case .unusableHash: refused(.error)
    case .accountDisabled:
      ServeAnswer(
        verdict: .refused, level: .notice, saslauthdText: "account disabled", dovecotCode: "user_disabled",
        dovecotReason: nil)
    case .accountExpired:
      ServeAnswer(
        verdict: .refused, level: .notice, saslauthdText: "account expired", dovecotCode: "user_disabled",
        dovecotReason: nil)
    case .passwordExpired:
      ServeAnswer(
        verdict: .refused, level: .notice, saslauthdText: "password expired", dovecotCode: "pass_expired",
        dovecotReason: nil)
    case .unavailable:
      ServeAnswer(
        verdict: .outage, level: .error, saslauthdText: "temporary failure: the database is unavailable",
        dovecotCode: "temp_fail", dovecotReason: "Temporary authentication failure")
    // (The daemon changes no password: a refused new password cannot come
    // from a login, and would be an internal error.)
    case .misconfigured, .internalError, .newPasswordRefused:
      ServeAnswer(
        verdict: .error, level: .error, saslauthdText: "temporary failure: see the server's log",
        dovecotCode: "temp_fail", dovecotReason: "Temporary authentication failure")
    }
  }

  static func refused(_ level: LogLevel) -> ServeAnswer {
    ServeAnswer(
      verdict: .refused, level: level, saslauthdText: "authentication failed", dovecotCode: nil, dovecotReason: nil)
  }

  /// Whether the answer waits for the failure delay first: refusals do
  /// (they slow down password guessing); a temporary failure does not (the
  /// client has waited long enough, and guessing learns nothing from it).
  public var isDelayed: Bool { verdict == .refused }
}
