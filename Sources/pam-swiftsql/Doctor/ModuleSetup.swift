// The module's configuration as pam_swiftsql itself would build it for one
// PAM service: the arguments of the service's pam_swiftsql `auth` line
// (`config=PATH` and key=value settings, or pam_mysql's / pam_pgsql's
// options), the file the same ConfigurationDialect plan names (default
// /etc/pam_swiftsql.conf), and the result of `Configuration.resolve` over
// both, with the same scheme registry the module uses.

import SwiftSQLCore
import SwiftSQLSchemes

struct ModuleSetup {
  let arguments: ModuleArguments
  /// The module line's arguments as written.
  let rawArguments: [String]
  /// Which language they speak, and which file they name.
  let plan: ConfigurationPlan
  /// Where the arguments came from, e.g. "/etc/pam.d/smtp line 1".
  let argumentsOrigin: String?
  /// The PAM file that holds the module line.
  let argumentsFile: String?
  let status: DoctorSystem.Status?
  /// The file's text; nil when it is missing or cannot be read.
  let text: String?
  /// Why an existing file could not be used.
  let readProblem: String?
  let configuration: Result<Configuration, ConfigurationError>

  var configPath: String { plan.file ?? arguments.configPath }

  static func load(stack: PAMStack?, tree: SystemTree) -> ModuleSetup {
    let line = stack.flatMap { $0.moduleLines("auth").first ?? $0.moduleLines("account").first }
    let rawArguments = line?.arguments ?? []
    let arguments = ModuleArguments(rawArguments)
    let plan = ConfigurationDialect.plan(arguments: rawArguments) { tree.exists($0) }
    let path = plan.file ?? arguments.configPath
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
        try Configuration.resolve(
          plan: plan, fileText: text, arguments: rawArguments, isKnownScheme: SchemeRegistry.knows,
          canGenerateScheme: SchemeRegistry.canGenerate)
      }
    }
    return ModuleSetup(
      arguments: arguments, rawArguments: rawArguments, plan: plan, argumentsOrigin: line?.origin,
      argumentsFile: line?.file, status: status, text: text, readProblem: problem, configuration: configuration)
  }

  /// The module line's argument that carries a database password, if any:
  /// pam_mysql's `passwd=`, pam_pgsql's `password=`, or a `connect=` with one.
  var passwordArgument: String? {
    for argument in rawArguments {
      let key = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
      if key == "passwd" || key == "password" { return key + "=" }
      if key == "connect" && (argument.contains("password=") || argument.contains("password =")) { return "connect=" }
    }
    return nil
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
