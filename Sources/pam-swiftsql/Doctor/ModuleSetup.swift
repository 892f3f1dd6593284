// The module's configuration as pam_swiftsql itself would build it for one
// PAM service: the arguments of the service's pam_swiftsql `auth` line
// (`config=PATH` and key=value settings), the configuration file they name
// (default /etc/pam_swiftsql.conf), and the result of
// `Configuration.resolve` over both, with the same scheme registry the
// module uses.

import SwiftSQLCore
import SwiftSQLSchemes

struct ModuleSetup {
  let arguments: ModuleArguments
  /// Where the arguments came from, e.g. "/etc/pam.d/smtp line 1".
  let argumentsOrigin: String?
  let status: DoctorSystem.Status?
  /// The file's text; nil when it is missing or cannot be read.
  let text: String?
  /// Why an existing file could not be used.
  let readProblem: String?
  let configuration: Result<Configuration, ConfigurationError>

  var configPath: String { arguments.configPath }

  static func load(stack: PAMStack?, tree: SystemTree) -> ModuleSetup {
    let line = stack.flatMap { $0.moduleLines("auth").first ?? $0.moduleLines("account").first }
    let arguments = ModuleArguments(line?.arguments ?? [])
    let path = arguments.configPath
    var text: String? = nil
    var problem: String? = nil
    var status: DoctorSystem.Status? = nil
    switch tree.resolve(path) {
    case .failure(.missing):
      break
    case .failure(let reason):
      problem = reason.message
    case .success(let resolved):
      status = resolved.status
      switch DoctorSystem.readFile(tree.hostPath(resolved.path)) {
      case .success(let bytes):
        if let decoded = String(validating: bytes, as: UTF8.self) {
          text = decoded
        } else {
          problem = "\(path) is not valid UTF-8"
        }
      case .failure(let failure):
        problem = "cannot read \(failure.message)"
      }
    }
    let configuration: Result<Configuration, ConfigurationError>
    if let problem {
      configuration = .failure(ConfigurationError(problem))
    } else {
      configuration = Result { () throws(ConfigurationError) -> Configuration in
        try Configuration.resolve(fileText: text, arguments: arguments, isKnownScheme: SchemeRegistry.knows)
      }
    }
    return ModuleSetup(
      arguments: arguments, argumentsOrigin: line?.origin, status: status, text: text, readProblem: problem,
      configuration: configuration)
  }

  /// Whether the connection settings carry a password (connect's
  /// `password=`, or a URI's `user:password@`).
  var holdsPassword: Bool {
    guard case .success(let configuration) = configuration, let connect = configuration.settings.connect else {
      return text?.contains("password=") ?? false
    }
    if connect.contains("password=") || connect.contains("password =") { return true }
    if let scheme = connect.firstRange(of: "://"), let at = connect[scheme.upperBound...].firstIndex(of: "@") {
      return connect[scheme.upperBound..<at].contains(":")
    }
    return false
  }
}
