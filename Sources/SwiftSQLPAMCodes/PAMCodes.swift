// PAM return codes as libpam defines them: their PAM_* names and libpam's
// sentence for each (pam_strerror). One reading of the codes for both sides
// of libpam: the module logs the sentence of a failed pam_* call, and the
// tool, which drives libpam as an application without the module's
// machinery, prints name and sentence. Embedded Swift, as the module is.

import CPAM

/// A PAM return code (PAM_SUCCESS, PAM_AUTH_ERR, …).
public typealias PAMCode = Int32

public enum PAMCodes {
  /// The PAM_* name of a code; "PAM code N" for one libpam does not return.
  public static func name(of code: PAMCode) -> String {
    switch code {
    case PAM_SUCCESS: "PAM_SUCCESS"
    case PAM_OPEN_ERR: "PAM_OPEN_ERR"
    case PAM_SYMBOL_ERR: "PAM_SYMBOL_ERR"
    case PAM_SERVICE_ERR: "PAM_SERVICE_ERR"
    case PAM_SYSTEM_ERR: "PAM_SYSTEM_ERR"
    case PAM_BUF_ERR: "PAM_BUF_ERR"
    case PAM_PERM_DENIED: "PAM_PERM_DENIED"
    case PAM_AUTH_ERR: "PAM_AUTH_ERR"
    case PAM_CRED_INSUFFICIENT: "PAM_CRED_INSUFFICIENT"
    case PAM_AUTHINFO_UNAVAIL: "PAM_AUTHINFO_UNAVAIL"
    case PAM_USER_UNKNOWN: "PAM_USER_UNKNOWN"
    case PAM_MAXTRIES: "PAM_MAXTRIES"
    case PAM_NEW_AUTHTOK_REQD: "PAM_NEW_AUTHTOK_REQD"
    case PAM_ACCT_EXPIRED: "PAM_ACCT_EXPIRED"
    case PAM_CONV_ERR: "PAM_CONV_ERR"
    case PAM_ABORT: "PAM_ABORT"
    case PAM_MODULE_UNKNOWN: "PAM_MODULE_UNKNOWN"
    case PAM_IGNORE: "PAM_IGNORE"
    case PAM_INCOMPLETE: "PAM_INCOMPLETE"
    default: "PAM code \(code)"
    }
  }

  /// `pam_strerror`: libpam's sentence for a code.
  public static func message(for code: PAMCode) -> String {
    // pam_strerror ignores its handle argument in Linux-PAM, and never
    // returns NULL (an unknown code is "Unknown PAM error").
    pam_strerror(nil, code).map { String(cString: $0) } ?? "PAM error \(code)"
  }
}
