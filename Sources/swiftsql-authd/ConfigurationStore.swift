// "Load the configuration for service S": the daemon's configurations, one
// per file (--config for every service, --service NAME=FILE for a service
// of its own), loaded at start and again on SIGHUP. A file is taken only
// when it loads whole: owned by root and writable by nobody else, valid
// UTF-8, every setting and query valid. A file that fails on a reload keeps
// its last good configuration (and the log says why); a file that never
// loaded answers every login of its services with the error, as the module
// answers PAM_SERVICE_ERR. Workers look configurations up under a mutex;
// a reload builds the new ones outside it and swaps them in.
//
// (Issue 11 gives the module a configuration cache with the same rule; once
// it is on main, this loader is to be its caller rather than a second one.)

import SwiftSQLBackends
import SwiftSQLCore
import SwiftSQLSchemes
import SwiftSQLSystem

final class ConfigurationStore: @unchecked Sendable {
  /// A configuration ready for logins, with its decoy for unknown logins.
  struct Loaded: @unchecked Sendable {
    let configuration: Configuration
    let decoy: SecretBytes?
    let identity: System.FileIdentity
  }

  typealias Entry = Result<Loaded, AuthFailure>

  let defaultFile: String
  let services: [String: String]
  private let monitor = ServeSystem.Monitor()
  private var entries: [String: Entry] = [:]
  private(set) var reloads: UInt64 = 0
  private(set) var reloadFailures: UInt64 = 0

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

  /// The configuration for logins of `service`.
  func configuration(for service: String) -> Entry {
    let file = file(for: service)
    return monitor.withLock { entries[file] } ?? .failure(.internalError("\(file) has not been loaded"))
  }

  /// Loads every file (at start: nothing to keep; on SIGHUP: the last good
  /// rule). Returns the problems, one text per file that did not load.
  @discardableResult
  func load(reload: Bool) -> [String] {
    var problems: [String] = []
    var fresh: [String: Entry] = [:]
    for file in files {
      let entry = ConfigurationStore.load(file)
      if case .failure(let failure) = entry { problems.append(failure.reason) }
      fresh[file] = entry
    }
    monitor.withLock {
      for (file, entry) in fresh {
        if case .failure(let failure) = entry, case .success = entries[file] {
          ServeLog.error("\(file) not reloaded, its last good configuration stays: \(failure.reason)")
          continue
        }
        if case .failure(let failure) = entry {
          ServeLog.error("\(file): \(failure.reason); logins of its services fail until it is fixed and reloaded")
        }
        entries[file] = entry
      }
      if reload {
        reloads += 1
        if !problems.isEmpty { reloadFailures += 1 }
      }
    }
    return problems
  }

  /// The databases the configurations in use name (the pool closes others).
  var databaseKeys: [Database.Key] {
    monitor.withLock {
      entries.values.compactMap { entry in
        if case .success(let loaded) = entry { Database.Key(loaded.configuration.settings) } else { nil }
      }
    }
  }

  /// The reload counters, for the status answer.
  var reloadCounts: (reloads: UInt64, failures: UInt64) { monitor.withLock { (reloads, reloadFailures) } }

  // MARK: - One file

  /// Reads, checks and resolves one configuration file.
  static func load(_ path: String) -> Entry {
    let bytes: [UInt8]
    let identity: System.FileIdentity
    switch System.readFile(path) {
    case .success(let read): (bytes, identity) = read
    case .failure(let error): return .failure(.misconfigured("cannot read \(error.message)"))
    }
    if let problem = ownershipProblem(identity) { return .failure(.misconfigured("\(path) \(problem)")) }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      return .failure(.misconfigured("\(path) is not valid UTF-8"))
    }
    let configuration: Configuration
    do throws(ConfigurationError) {
      configuration = try Configuration.resolve(
        fileText: text, arguments: ModuleArguments(["config=\(path)"]), isKnownScheme: SchemeRegistry.knows,
        canGenerateScheme: SchemeRegistry.canGenerate)
    } catch {
      return .failure(.misconfigured(error.message))
    }
    let log = ServeLog.make(debug: configuration.settings.debug)
    for warning in configuration.warnings { log.warning(warning) }
    return .success(
      Loaded(configuration: configuration, decoy: Decoy.make(for: configuration, log: log), identity: identity))
  }

  /// Why a file with this owner and mode is refused: anyone but root could
  /// change what the daemon trusts. nil when it is fine.
  static func ownershipProblem(_ identity: System.FileIdentity) -> String? {
    let type = identity.mode & 0o170000
    if type != 0o100000 { return "is not a regular file" }
    if identity.owner != 0 { return "is owned by uid \(identity.owner), not root: refused (chown root)" }
    if identity.mode & 0o002 != 0 { return "is writable by everyone: refused (chmod o-w)" }
    if identity.mode & 0o020 != 0 && identity.group != 0 {
      return "is writable by group \(identity.group): refused (chmod g-w)"
    }
    return nil
  }
}
