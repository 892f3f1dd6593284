// The PAM flows a stack that lists the module for every type also calls:
// session (pam_sm_open_session, pam_sm_close_session: nothing to do, as in
// pam_pgsql without its session queries) and password (pam_sm_chauthtok: a
// real change through password_update_query, see SwiftSQLCore's
// PasswordChange). Like `run`, the change reads the configuration and the
// login, lets the core decide, maps the answer through PAMResult and writes
// one log line per failure; it runs no audit statement (those follow logins).

import CPAM
import SwiftSQLCore
import SwiftSQLPAMCodes
import SwiftSQLRuntime
import SwiftSQLSchemes
import SwiftSQLSystem

extension PAMModule {
  /// pam_sm_open_session: nothing to open.
  public static func openSession() -> PAMCode { PAM_SUCCESS }

  /// pam_sm_close_session: nothing to close.
  public static func closeSession() -> PAMCode { PAM_SUCCESS }

  /// pam_sm_chauthtok: PAM_PRELIM_CHECK verifies the old password;
  /// PAM_UPDATE_AUTHTOK verifies it again and stores the new one.
  public static func changePassword(
    _ pamh: OpaquePointer?, flags: Int32, argc: Int32, argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?
  ) -> PAMCode {
    guard let pamh else { return PAM_SERVICE_ERR }
    let handle = PAMHandle(raw: pamh)
    let preliminary = (flags & Int32(PAM_PRELIM_CHECK)) != 0
    guard preliminary || (flags & Int32(PAM_UPDATE_AUTHTOK)) != 0 else { return PAM_SERVICE_ERR }
    let service = handle.service
    let remoteHost = handle.remoteHost
    var log = Log(debugEnabled: false, write: handle.syslog)
    var user: [UInt8]? = nil
    do throws(StepError) {
      let loaded: LoadedConfiguration
      do throws(AuthFailure) {
        loaded = try Runtime.shared.configuration(arguments: arguments(argc, argv), log: log)
      } catch {
        throw .failure(error)
      }
      let configuration = loaded.configuration
      log = Log(debugEnabled: configuration.settings.debug, write: handle.syslog)
      // Asking for the old password is pointless when nothing can be changed.
      guard configuration.passwordChange != nil else {
        throw .failure(.misconfigured(Configuration.passwordChangeNotConfigured))
      }
      let bytes = try handle.user().get(orThrow: StepError.pam)
      user = bytes
      let authenticator = Authenticator(runtime: .shared, loaded: loaded, log: log)
      let old = try handle.oldPassword().get(orThrow: StepError.pam)
      // The new password (asked for twice) only in the update.
      let new = preliminary ? nil : try handle.password().get(orThrow: StepError.pam)
      do throws(AuthFailure) {
        if let new {
          _ = try authenticator.changePassword(
            login: bytes, old: old, new: new, service: service, remoteHost: remoteHost)
        } else {
          let login = try authenticator.checkOldPassword(
            login: bytes, old: old, service: service, remoteHost: remoteHost)
          log.debug("password change: the old password of \(login.full) verifies")
        }
      } catch {
        throw .failure(error)
      }
      return PAM_SUCCESS
    } catch {
      let (code, level, reason) = error.result
      handle.syslog(
        level,
        "password change failure; user=\(user.map { LogText.field($0) } ?? "?") "
          + "service=\(LogText.field(service)) rhost=\(LogText.field(remoteHost)) "
          + "reason=\(LogText.field(reason, limit: 2000))")
      return code
    }
  }
}

extension Result where Failure == PAMCodeError {
  /// The value, or `wrap(error)` thrown.
  func get(orThrow wrap: (PAMCodeError) -> PAMModule.StepError) throws(PAMModule.StepError) -> Success {
    switch self {
    case .success(let value): return value
    case .failure(let error): throw wrap(error)
    }
  }
}
