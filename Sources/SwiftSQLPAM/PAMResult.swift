// The one place where a failure becomes a PAM return code (DESIGN.md §4),
// together with the syslog level of its log line. The switch is exhaustive:
// a new AuthFailure case does not compile until it is given a code here.

import CPAM
import SwiftSQLCore
import SwiftSQLPAMCodes

enum PAMResult {
  static func of(_ failure: AuthFailure) -> (code: PAMCode, level: LogLevel) {
    switch failure {
    case .loginRejected: (PAM_USER_UNKNOWN, .notice)
    case .unknownUser: (PAM_USER_UNKNOWN, .notice)
    case .wrongPassword: (PAM_AUTH_ERR, .notice)
    case .emptyPassword: (PAM_AUTH_ERR, .notice)
    case .unusableHash: (PAM_AUTH_ERR, .error)
    case .accountDisabled: (PAM_PERM_DENIED, .notice)
    case .accountExpired: (PAM_ACCT_EXPIRED, .notice)
    case .passwordExpired: (PAM_NEW_AUTHTOK_REQD, .notice)
    case .newPasswordRefused: (PAM_AUTHTOK_ERR, .error)
    case .unavailable: (PAM_AUTHINFO_UNAVAIL, .error)
    case .misconfigured: (PAM_SERVICE_ERR, .error)
    case .internalError: (PAM_SERVICE_ERR, .error)
    }
  }
}
