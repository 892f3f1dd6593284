// A PAM service for one test: a configuration file for the module and a
// service file with its `auth` and `account` lines, in a private folder
// (used with pam_start_confdir) and, when saslauthd must find it, also in
// /etc/pam.d under a unique name that is removed afterwards. `login` runs
// real libpam on it through the C driver fixture.

import Foundation
import Testing

final class PAMService: @unchecked Sendable {
  let name: String
  let directory: String
  var confdir: String { "\(directory)/pam.d" }
  var configPath: String { "\(directory)/pam_swiftsql.conf" }
  private(set) var installedInEtc = false
  /// What the PAM driver wrote to stderr in the last `login`.
  private(set) var lastStandardError = ""

  /// - Parameters:
  ///   - config: the text of pam_swiftsql.conf, or nil for no file.
  ///   - arguments: extra module arguments, on both lines.
  ///   - foreignArguments: instead of `config=PATH` and `arguments`, the
  ///     whole argument list made from the file's path (for pam_mysql's and
  ///     pam_pgsql's arguments, e.g. `config_file=PATH`).
  ///   - name: the service name (default a unique one); a name such as
  ///     `imap` only in the private folder, never with `installInEtc`.
  ///   - allTypes: list the module for session and password too, as
  ///     pam_pgsql's and pam_mysql's example stacks do.
  init(
    config: String?, arguments: String = "", installInEtc: Bool = false, name: String? = nil,
    allTypes: Bool = false, foreignArguments: ((String) -> String)? = nil
  ) throws {
    try Project.requireRoot()
    try Project.requireBuild()
    if installInEtc && name != nil { throw RunError(description: "a fixed service name must not go to /etc/pam.d") }
    self.name = name ?? "swiftsql-test-\(uniqueTag())"
    directory = try makeTemporaryDirectory("swiftsql-svc")
    try FileManager.default.createDirectory(atPath: confdir, withIntermediateDirectories: true)
    if let config { try writeFile(configPath, config, mode: 0o600) }
    let moduleLine =
      "\(Project.module) " + (foreignArguments?(configPath) ?? "config=\(configPath) \(arguments)")
    var service = "auth    required \(moduleLine)\naccount required \(moduleLine)\n"
    if allTypes { service += "password required \(moduleLine)\nsession required \(moduleLine)\n" }
    try writeFile("\(confdir)/\(self.name)", service)
    if installInEtc {
      try writeFile("/etc/pam.d/\(self.name)", service)
      installedInEtc = true
    }
  }

  /// Replaces the configuration file.
  func rewriteConfig(_ config: String) throws {
    try writeFile(configPath, config, mode: 0o600)
  }

  func remove() {
    if installedInEtc { unlink("/etc/pam.d/\(name)") }
    removeTemporaryDirectory(directory)
  }

  /// One or more PAM transactions through real libpam (pam_start_confdir),
  /// in one process. Returns the driver's lines, "auth=PAM_X acct=PAM_Y".
  func login(_ login: String, _ password: String, count: Int = 1, remoteHost: String? = nil) throws -> [String] {
    let driver = try Fixture.path("pam_driver", libraries: ["pam"])
    var arguments = [driver, "-c", confdir, "-n", String(count)]
    if let remoteHost { arguments += ["-r", remoteHost] }
    let result = try run(arguments + [name, login, password], timeout: 60)
    lastStandardError = result.stderr
    if result.lines.count != count {
      throw RunError(
        description: "the PAM driver printed \(result.lines.count) of \(count) lines; "
          + "exit status \(result.status), stderr: \(result.stderr)")
    }
    return result.lines
  }

  /// The result line of a single transaction.
  func result(_ login: String, _ password: String, remoteHost: String? = nil) throws -> String {
    try self.login(login, password, remoteHost: remoteHost)[0]
  }
}

/// The C driver in interactive mode: one process, one transaction per
/// request, so the module keeps its connection between requests.
final class InteractiveDriver {
  private let child: ChildProcess
  private var buffer: [UInt8] = []

  init(service: PAMService) throws {
    let driver = try Fixture.path("pam_driver", libraries: ["pam"])
    child = try ChildProcess(
      [driver, "-c", service.confdir, "-i", service.name], pipeInput: true, pipeOutput: true, pipeErrors: false)
  }

  deinit {
    child.closeInput()
    kill(child.processID, SIGKILL)
    _ = child.wait()
  }

  /// Runs one transaction; returns ("auth=… acct=…", milliseconds).
  func login(_ login: String, _ password: String) throws -> (result: String, milliseconds: Int) {
    try request("\(login)\t\(password)\n")
  }

  /// Runs one transaction on another service of the same folder.
  func login(service: String, _ login: String, _ password: String) throws -> (result: String, milliseconds: Int) {
    try request("\(service)\t\(login)\t\(password)\n")
  }

  private func request(_ line: String) throws -> (result: String, milliseconds: Int) {
    child.write(line)
    guard let output = child.output else { throw RunError(description: "no pipe from the PAM driver") }
    var chunk = [UInt8](repeating: 0, count: 4096)
    while !buffer.contains(UInt8(ascii: "\n")) {
      let count = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      if count <= 0 { throw RunError(description: "the PAM driver exited") }
      buffer.append(contentsOf: chunk[0..<count])
    }
    let end = buffer.firstIndex(of: UInt8(ascii: "\n")) ?? buffer.endIndex
    let line = String(decoding: buffer[..<end], as: UTF8.self)
    buffer.removeSubrange(...end)
    guard let marker = line.range(of: " ms="), let milliseconds = Int(line[marker.upperBound...]) else {
      throw RunError(description: "unexpected driver output: \(line)")
    }
    return (String(line[..<marker.lowerBound]), milliseconds)
  }
}
