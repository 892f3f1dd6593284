// The two PAM flows the entry points call: authentication and account
// management. Each reads the module arguments and the configuration, builds
// the core's Authenticator over the process's database and the scheme
// registry, and turns its answer into a PAM code through PAMResult, writing
// one log line per failure: login, service, remote host, reason; then it
// runs the audit statement for that outcome. Nothing here can trap: every
// failure is a value.

import CPAM
import SwiftSQLCore
import SwiftSQLPAMCodes
import SwiftSQLRuntime
import SwiftSQLSchemes
import SwiftSQLSystem

public enum PAMModule {
  /// pam_sm_authenticate.
  public static func authenticate(
    _ pamh: OpaquePointer?, flags: Int32, argc: Int32, argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?
  ) -> PAMCode {
    guard let pamh else { return PAM_SERVICE_ERR }
    let handle = PAMHandle(raw: pamh)
    return run(handle, step: .authentication, arguments: arguments(argc, argv)) { request throws(StepError) in
      let password: Password
      switch handle.password() {
      case .success(let token): password = token
      case .failure(let error): throw .pam(error)
      }
      let emptyAllowed = request.settings.nullok && (flags & Int32(PAM_DISALLOW_NULL_AUTHTOK)) == 0
      do throws(AuthFailure) {
        let login = try request.authenticator.authenticate(
          login: request.user, password: password, service: request.service, remoteHost: request.remoteHost,
          emptyPasswordAllowed: emptyAllowed)
        handle.rememberVerifiedLogin(login.full)
        return login
      } catch {
        throw .failure(error)
      }
    }
  }

  /// pam_sm_acct_mgmt.
  public static func accountManagement(
    _ pamh: OpaquePointer?, flags: Int32, argc: Int32, argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?
  ) -> PAMCode {
    guard let pamh else { return PAM_SERVICE_ERR }
    let handle = PAMHandle(raw: pamh)
    return run(handle, step: .account, arguments: arguments(argc, argv)) { request throws(StepError) in
      do throws(AuthFailure) {
        return try request.authenticator.authorize(
          login: request.user, service: request.service, remoteHost: request.remoteHost,
          verifiedLogin: handle.verifiedLogin())
      } catch {
        throw .failure(error)
      }
    }
  }

  /// pam_sm_setcred: there are no credentials to set.
  public static func setCredentials() -> PAMCode { PAM_SUCCESS }

  /// What one step needs, prepared by `run`.
  struct Request {
    let user: [UInt8]
    let service: String
    let remoteHost: String
    let settings: Settings
    let authenticator: Authenticator<RuntimeDirectory, SchemeRegistry, RuntimeDecoys>
  }

  /// How a step failed: a decision of the core, or a PAM call that did not
  /// succeed (its own code is returned as it is, e.g. PAM_CONV_ERR).
  enum StepError: Error {
    case failure(AuthFailure)
    case pam(PAMCodeError)

    var result: (code: PAMCode, level: LogLevel, reason: String) {
      switch self {
      case .failure(let failure):
        let (code, level) = PAMResult.of(failure)
        return (code, level, failure.reason)
      case .pam(let error):
        return (error.code, .error, "\(error.call) failed: " + PAMCodes.message(for: error.code))
      }
    }
  }

  /// Loads the configuration, reads the login, runs `body`, maps and logs
  /// the outcome, and runs the audit statement for it.
  static func run(
    _ handle: PAMHandle, step: AuditStep, arguments: [String], _ body: (Request) throws(StepError) -> Login
  ) -> PAMCode {
    let service = handle.service
    let remoteHost = handle.remoteHost
    let name = step == .authentication ? "authentication" : "account"
    // The login as the failure line shows it; made only for that line.
    var user: [UInt8]? = nil
    // Until the configuration is read, log as if debug were off.
    var log = Log(debugEnabled: false, write: handle.syslog)
    // Set once the login is read: the audit needs both.
    var request: Request? = nil
    do throws(StepError) {
      let loaded: LoadedConfiguration
      do throws(AuthFailure) {
        loaded = try Runtime.shared.configuration(arguments: arguments, log: log)
      } catch {
        throw .failure(error)
      }
      let settings = loaded.configuration.settings
      log = Log(debugEnabled: settings.debug, write: handle.syslog)
      let bytes: [UInt8]
      switch handle.user() {
      case .success(let read): bytes = read
      case .failure(let error): throw .pam(error)
      }
      user = bytes
      let prepared = Request(
        user: bytes, service: service, remoteHost: remoteHost, settings: settings,
        authenticator: Authenticator(runtime: .shared, loaded: loaded, log: log))
      request = prepared
      let login = try body(prepared)
      log.debug(
        "\(name) succeeded; user=\(LogText.field(login.full)) service=\(LogText.field(service)) "
          + "rhost=\(LogText.field(remoteHost))")
      audit(request, step: step, failure: nil)
      return PAM_SUCCESS
    } catch {
      let (code, level, reason) = error.result
      // The same line as swiftsql-authd's (FailureLine): fail2ban reads it.
      handle.syslog(
        level, FailureLine.text(step: name, user: user, service: service, remoteHost: remoteHost, reason: reason))
      switch error {
      case .failure(let failure): audit(request, step: step, failure: failure)
      case .pam: audit(request, step: step, failure: .internalError(reason))
      }
      return code
    }
  }

  /// The audit statement for a step's outcome, when the login was read.
  /// (The process facts cost system calls: only made when some audit
  /// statement is set.)
  static func audit(_ request: Request?, step: AuditStep, failure: AuthFailure?) {
    guard let request, !request.authenticator.configuration.audit.isEmpty else { return }
    request.authenticator.audit(
      step, login: request.user, failure: failure, service: request.service, remoteHost: request.remoteHost,
      process: ProcessFacts(pid: String(System.processID()), hostname: System.hostname()))
  }

  static func arguments(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> [String] {
    guard let argv, argc > 0 else { return [] }
    var result: [String] = []
    for index in 0..<Int(argc) {
      if let argument = argv[index] { result.append(String(cString: argument)) }
    }
    return result
  }
}
