// "Load the configuration for service S": which file a service uses
// (--service NAME=FILE, else --config), read by issue 11's loader, the
// module's own (SwiftSQLRuntime's Runtime): a file is re-read when it
// changes and taken only when it is whole, safe (owned by root, writable by
// nobody else) and valid; an invalid change keeps the configuration read
// before, an unsafe file is refused; the decoys for unknown logins are
// learned from the rows verified under each configuration. Workers look
// configurations up at each login, as the module does; SIGHUP (and the
// start) looks every file up at once and says what it found.

import SwiftSQLBackends
import SwiftSQLCore
import SwiftSQLRuntime
import SwiftSQLSystem

final class ServiceConfigurations: @unchecked Sendable {
  let runtime = Runtime()
  let defaultFile: String
  let services: [String: String]
  private let monitor = ServeSystem.Monitor()
  /// Per file, the configuration last seen in force and its file then.
  private var seen: [String: (loaded: LoadedConfiguration, file: System.FileIdentity?)] = [:]
  private var reloads: UInt64 = 0
  private var reloadFailures: UInt64 = 0

  init(defaultFile: String, services: [String: String]) {
    self.defaultFile = defaultFile
    self.services = services
  }

  /// Every file, the default first.
  var files: [String] {
    var result = [defaultFile]
    for file in services.values.sorted() where !result.contains(file) { result.append(file) }
    return result
  }

  func file(for service: String) -> String { services[service] ?? defaultFile }

  /// The configuration in force for `file` (the loader's arguments are the
  /// module's `config=FILE`).
  func configuration(file: String, log: Log) -> Result<LoadedConfiguration, AuthFailure> {
    Result { () throws(AuthFailure) -> LoadedConfiguration in
      try runtime.configuration(arguments: ["config=\(file)"], log: log)
    }
  }

  /// The configuration for logins of `service`.
  func configuration(for service: String, log: Log) -> Result<LoadedConfiguration, AuthFailure> {
    configuration(file: file(for: service), log: log)
  }

  /// Looks every file up now (at the start, and on SIGHUP): one line per
  /// file that is not in force as written. Returns those lines.
  @discardableResult
  func check(reload: Bool) -> [String] {
    let log = ServeLog.make(debug: false)
    var problems: [String] = []
    for file in files {
      let identity: System.FileIdentity?
      if case .success(let found) = System.identity(of: file) { identity = found } else { identity = nil }
      switch configuration(file: file, log: log) {
      case .failure(let failure):
        problems.append("\(file): \(failure.reason); logins of its services fail until it is fixed")
      case .success(let loaded):
        monitor.withLock {
          if let before = seen[file], before.loaded === loaded {
            // The same configuration as before: a changed file was not taken.
            if before.file != identity {
              problems.append("\(file) changed, and the configuration read before stays in force (the log says why)")
            }
          } else {
            seen[file] = (loaded, identity)
          }
        }
      }
    }
    for problem in problems { ServeLog.error(problem) }
    monitor.withLock {
      if reload {
        reloads += 1
        if !problems.isEmpty { reloadFailures += 1 }
      }
    }
    return problems
  }

  /// The databases the configurations in force name (the pool closes others).
  var databaseKeys: [Database.Key] {
    monitor.withLock { seen.values.map { Database.Key($0.loaded.configuration.settings) } }
  }

  /// The reload counters, for the status answer.
  var reloadCounts: (reloads: UInt64, failures: UInt64) { monitor.withLock { (reloads, reloadFailures) } }
}
