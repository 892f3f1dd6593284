// The module's C entry points, exported by name (exports.map) and nothing
// else: one for each PAM type a stack may list the module for (auth,
// account, session, password). Each only hands over to PAMModule, so all
// are the same shape and none can trap.

import SwiftSQLPAM

@_cdecl("pam_sm_authenticate")
public func pam_sm_authenticate(
  _ pamh: OpaquePointer?, _ flags: Int32, _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
  PAMModule.authenticate(pamh, flags: flags, argc: argc, argv: argv)
}

@_cdecl("pam_sm_acct_mgmt")
public func pam_sm_acct_mgmt(
  _ pamh: OpaquePointer?, _ flags: Int32, _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
  PAMModule.accountManagement(pamh, flags: flags, argc: argc, argv: argv)
}

@_cdecl("pam_sm_setcred")
public func pam_sm_setcred(
  _ pamh: OpaquePointer?, _ flags: Int32, _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
  PAMModule.setCredentials()
}

@_cdecl("pam_sm_open_session")
public func pam_sm_open_session(
  _ pamh: OpaquePointer?, _ flags: Int32, _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
  PAMModule.openSession()
}

@_cdecl("pam_sm_close_session")
public func pam_sm_close_session(
  _ pamh: OpaquePointer?, _ flags: Int32, _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
  PAMModule.closeSession()
}

@_cdecl("pam_sm_chauthtok")
public func pam_sm_chauthtok(
  _ pamh: OpaquePointer?, _ flags: Int32, _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafePointer<CChar>?>?
) -> Int32 {
  PAMModule.changePassword(pamh, flags: flags, argc: argc, argv: argv)
}
