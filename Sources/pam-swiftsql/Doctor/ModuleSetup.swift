// The module's configuration as pam_swiftsql itself would build it for one
// PAM service: the arguments of the service's pam_swiftsql `auth` line
// (`config=PATH` and key=value settings, or pam_mysql's / pam_pgsql's
// options), read by the module's own loader (SchemeRegistry.loader, the one
// SwiftSQLRuntime uses) from the inspected tree instead of the live system.

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
    let loader = SchemeRegistry.loader
    var files = TreeFiles(tree: tree)
    let plan = loader.plan(arguments: rawArguments, files: files)
    var text: String? = nil
    var problem: String? = nil
    let configuration: Result<Configuration, ConfigurationError>
    do throws(ConfigurationLoadError<TreeFiles.Unreadable>) {
      text = try loader.fileText(of: plan, files: &files)
      configuration = Result { () throws(ConfigurationError) -> Configuration in
        try loader.resolve(plan: plan, fileText: text, arguments: rawArguments)
      }
    } catch {
      switch error {
      case .unreadable(let unreadable): problem = unreadable.message
      case .invalid(let invalid): problem = invalid.message
      }
      configuration = .failure(ConfigurationError(problem ?? ""))
    }
    return ModuleSetup(
      arguments: arguments, rawArguments: rawArguments, plan: plan, argumentsOrigin: line?.origin,
      argumentsFile: line?.file, status: files.status, text: text, readProblem: problem,
      configuration: configuration)
  }

  /// The inspected tree's files, as the module would find them there; the
  /// status of the file read is kept.
  struct TreeFiles: ConfigurationFiles {
    struct Unreadable: Error { let message: String }

    let tree: SystemTree
    var status: DoctorSystem.Status? = nil

    func exists(_ path: String) -> Bool { tree.exists(path) }

    mutating func contents(of path: String) throws(Unreadable) -> [UInt8]? {
      switch tree.resolve(path) {
      case .failure(.missing):
        return nil
      case .failure(let reason):
        throw Unreadable(message: reason.message)
      case .success(let resolved):
        status = resolved.status
        switch DoctorSystem.readFile(tree.hostPath(resolved.path)) {
        case .success(let bytes): return bytes
        case .failure(let failure): throw Unreadable(message: "cannot read \(failure.message)")
        }
      }
    }
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
