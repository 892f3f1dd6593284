// Paths of a Debian system that the doctor's checks share: /etc/pam.d,
// where libpam looks for a module named without a directory, and the
// module's file name and default configuration file.

import SwiftSQLCore

enum DoctorPaths {
  /// Debian's multiarch triplet for this build.
  static var multiarch: String {
    #if arch(arm64)
      "aarch64-linux-gnu"
    #else
      "x86_64-linux-gnu"
    #endif
  }

  /// libpam's directory for modules given by name only.
  static var securityDirectory: String { "/lib/\(multiarch)/security" }

  static let pamDirectory = "/etc/pam.d"
  static let moduleFileName = "pam_swiftsql.so"
  static var defaultConfig: String { ModuleArguments.defaultConfigPath }

  /// The module's path as libpam resolves the name in a service file.
  static func modulePath(_ written: String) -> String {
    written.hasPrefix("/") ? written : SystemTree.join(securityDirectory, written)
  }
}
