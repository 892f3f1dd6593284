// Where the integration tests find what `make` built (build/pam_swiftsql.so,
// build/pam-swiftsql) and their C fixtures, and the checks that they run as
// root, which starting saslauthd and writing /etc/pam.d requires. A missing
// piece fails the test with what to do; nothing is skipped.

import Foundation
import Testing

enum Project {
  /// The package root, from this file's path.
  static let root: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }
    return url.path
  }()

  /// The folder `make` built into: $PAM_SWIFTSQL_BUILD (set by `make check`
  /// from its BUILD variable), else build/.
  static var buildDirectory: String {
    ProcessInfo.processInfo.environment["PAM_SWIFTSQL_BUILD"] ?? "\(root)/build"
  }

  static var module: String { "\(buildDirectory)/pam_swiftsql.so" }
  static var tool: String { "\(buildDirectory)/pam-swiftsql" }
  static var fixtures: String { "\(root)/Tests/IntegrationTests/Fixtures" }

  /// Fails unless `make` has built the module and the tool.
  static func requireBuild() throws {
    for path in [module, tool] where !FileManager.default.fileExists(atPath: path) {
      throw RunError(description: "\(path) is missing: run `make` (or `make check`) first")
    }
  }

  static func requireRoot() throws {
    if getuid() != 0 {
      throw RunError(description: "the integration tests start saslauthd and write /etc/pam.d: run them as root")
    }
  }
}

/// C programs used as test drivers, compiled once per test run.
enum Fixture {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var built: [String: String] = [:]
  nonisolated(unsafe) private static var directory: String? = nil

  /// The path of the compiled fixture `name` (Fixtures/<name>.c).
  static func path(_ name: String, libraries: [String]) throws -> String {
    lock.lock()
    defer { lock.unlock() }
    if let existing = built[name] { return existing }
    let directory = try self.directory ?? makeTemporaryDirectory("swiftsql-fixtures")
    self.directory = directory
    let output = "\(directory)/\(name)"
    try run(
      ["cc", "-O2", "-Wall", "-Werror", "-o", output, "\(Project.fixtures)/\(name).c"] + libraries.map { "-l\($0)" },
      check: true)
    built[name] = output
    return output
  }
}
