// The module's C entry points, exported by name (exports.map) and nothing
// else. Each only hands over to PAMModule, so all three are the same shape
// and none can trap.

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
