// The module's boundary to libpam: every pam_* function the module calls is
// wrapped here once (pam_get_user, pam_get_authtok for the password and the
// old password, pam_get_item,
// pam_set_data, pam_get_data, pam_syslog). The handle is borrowed from the
// application for one call and never owned. (The tool's direct PAM driver,
// which uses the application side of libpam, has its own boundary file;
// both read the codes' names and pam_strerror's text from SwiftSQLPAMCodes.)

import CLibC
import CPAM
import SwiftSQLCore
import SwiftSQLPAMCodes

/// The PAM handle of the current call.
struct PAMHandle {
  let raw: OpaquePointer

  /// `pam_get_user`: the login being authenticated, as bytes.
  func user() -> Result<[UInt8], PAMCodeError> {
    var user: UnsafePointer<CChar>? = nil
    let code = pam_get_user(raw, &user, nil)
    guard code == PAM_SUCCESS else { return .failure(PAMCodeError(code: code, call: "pam_get_user")) }
    guard let user else { return .failure(PAMCodeError(code: PAM_USER_UNKNOWN, call: "pam_get_user")) }
    return .success(Array(UnsafeRawBufferPointer(start: user, count: strlen(user))))
  }

  /// `pam_get_authtok(PAM_AUTHTOK)`: the password, from an earlier module
  /// (`try_first_pass`/`use_first_pass`) or through the conversation. It is
  /// borrowed: PAM keeps and finally overwrites it. PAM_CONV_AGAIN becomes
  /// PAM_INCOMPLETE, as the Module Writers' Guide asks.
  /// In pam_chauthtok, libpam asks for the new password twice instead
  /// ("New password", "Retype new password") and fails with PAM_AUTHTOK_ERR
  /// when the two differ.
  func password() -> Result<Password, PAMCodeError> { authenticationToken(PAM_AUTHTOK) }

  /// `pam_get_authtok(PAM_OLDAUTHTOK)`: in pam_chauthtok, the current
  /// password, asked for once in the preliminary check and kept by libpam
  /// for the update.
  func oldPassword() -> Result<Password, PAMCodeError> { authenticationToken(PAM_OLDAUTHTOK) }

  private func authenticationToken(_ item: Int32) -> Result<Password, PAMCodeError> {
    var token: UnsafePointer<CChar>? = nil
    let code = pam_get_authtok(raw, item, &token, nil)
    guard code == PAM_SUCCESS, let token else {
      let returned = code == PAM_CONV_AGAIN ? PAM_INCOMPLETE : (code == PAM_SUCCESS ? PAM_AUTH_ERR : code)
      return .failure(PAMCodeError(code: returned, call: "pam_get_authtok"))
    }
    return .success(Password(cString: token, count: strlen(token)))
  }

  /// `pam_get_item` for a string item (PAM_SERVICE, PAM_RHOST).
  func stringItem(_ type: Int32) -> String? {
    var item: UnsafeRawPointer? = nil
    guard pam_get_item(raw, type, &item) == PAM_SUCCESS, let item else { return nil }
    return String(cString: item.assumingMemoryBound(to: CChar.self))
  }

  var service: String { stringItem(PAM_SERVICE) ?? "" }
  var remoteHost: String { stringItem(PAM_RHOST) ?? "" }

  /// The name under which the verified login is kept in the PAM handle.
  static let verifiedLoginKey = "pam_swiftsql_verified_login"

  /// `pam_set_data`: remembers the login authentication verified, for
  /// account management in the same transaction. PAM frees it at pam_end.
  func rememberVerifiedLogin(_ login: String) {
    guard let copy = strdup(login) else { return }
    if pam_set_data(raw, PAMHandle.verifiedLoginKey, copy, freeVerifiedLogin) != PAM_SUCCESS {
      free(copy)
    }
  }

  /// `pam_get_data`: the login authentication verified, if it did.
  func verifiedLogin() -> String? {
    var data: UnsafeRawPointer? = nil
    guard pam_get_data(raw, PAMHandle.verifiedLoginKey, &data) == PAM_SUCCESS, let data else { return nil }
    return String(cString: data.assumingMemoryBound(to: CChar.self))
  }

  /// `pam_syslog` with a fixed "%s" format (through the C shim), so the
  /// message is never read as a format string.
  func syslog(_ level: LogLevel, _ message: String) {
    let priority: Int32
    switch level {
    case .error: priority = LOG_ERR
    case .warning: priority = LOG_WARNING
    case .notice: priority = LOG_NOTICE
    case .info: priority = LOG_INFO
    case .debug: priority = LOG_DEBUG
    }
    swiftsql_pam_syslog(raw, priority, message)
  }
}

/// A PAM call that did not succeed, and its code.
struct PAMCodeError: Error {
  let code: PAMCode
  let call: String
}

/// The cleanup function PAM calls for the remembered login.
private func freeVerifiedLogin(_ handle: OpaquePointer?, _ data: UnsafeMutableRawPointer?, _ status: Int32) {
  free(data)
}
