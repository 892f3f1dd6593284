// The configurations a process uses, one per list of module arguments (a
// Dovecot auth worker may serve imap with one `config=` file and pop3 with
// another), each read from its file, checked, and kept until the file
// changes. A changed file is taken only when it is whole, safe and valid:
//
// - whole: its size and times did not change while it was read and the path
//   still names it; a file edited in place (the same inode: `echo >>`, an
//   editor that truncates and writes) is taken once it has been unchanged
//   for a second, because a reader cannot tell a half-written file from a
//   short one; a new file (renamed over the old one, the safe way to edit)
//   is taken at once, after a second read agrees when it is younger than
//   that. Until then the configuration read before stays in force, and one
//   line says why.
// - safe: owned by root and writable by nobody else, nor anything on the
//   way to it (FileSafety). An unsafe file is refused: PAM_SERVICE_ERR,
//   whatever was read before.
// - valid: a file that no longer parses keeps the configuration read
//   before in force, with one error line per change (not per login), until
//   it is fixed. A process whose first read finds it invalid fails closed.
//
// Everything here runs under the runtime's lock.

import SwiftSQLCore
import SwiftSQLSchemes
import SwiftSQLSystem

/// A configuration in force, and the decoys learned under it.
public final class LoadedConfiguration: @unchecked Sendable {
  public let configuration: Configuration
  /// Guarded by the runtime's lock (RuntimeDecoys).
  var decoys: DecoyPool
  /// The decoy in the configured scheme, made once it is first needed:
  /// nil until then, .some(nil) when none can be made.
  var fallbackDecoy: Decoy?? = nil

  init(configuration: Configuration, decoys: DecoyPool) {
    self.configuration = configuration
    self.decoys = decoys
  }
}

struct ConfigurationStore {
  /// At most this many argument lists are kept; the least recently used
  /// goes first.
  static let capacity = 8
  /// A file edited in place is taken once it has been unchanged this long.
  static let settleNanoseconds: Int64 = 1_000_000_000
  /// A new file younger than the settle time is read again after this
  /// pause; a first read that finds the file changing retries as often.
  static let rereadMilliseconds = 25
  static let readAttempts = 4

  /// Why a changed file was not taken, remembered with its identity so
  /// that the line is written once per change.
  enum Verdict: Equatable {
    /// Still being written, or edited in place less than a second ago.
    case unsettled
    /// It does not parse or does not make a configuration.
    case invalid(String)
    /// It may be changed by someone other than root.
    case unsafe(String)
  }

  final class Slot {
    let arguments: [String]
    var plan: ConfigurationPlan? = nil
    /// The file the configuration in force was read from (nil: none
    /// existed), as it was then.
    var file: System.FileIdentity? = nil
    /// That file, kept open: an edit in place changes it, a file renamed
    /// over it does not (and cannot reuse its inode while it is open).
    var openFile: System.OpenFile? = nil
    var current: LoadedConfiguration? = nil
    /// A change that was looked at and not taken.
    var judged: (file: System.FileIdentity?, verdict: Verdict)? = nil
    var lastUse: UInt64 = 0

    init(arguments: [String]) { self.arguments = arguments }
  }

  private var slots: [Slot] = []
  private var uses: UInt64 = 0

  /// The configuration in force for these module arguments, read anew when
  /// its file changed.
  mutating func configuration(arguments: [String], log: Log) throws(AuthFailure) -> LoadedConfiguration {
    let slot = self.slot(for: arguments)
    let plan = SchemeRegistry.loader.plan(arguments: arguments, files: SteadyFiles(slot: slot))
    var named: System.FileIdentity? = nil
    if let path = plan.file, case .success(let identity) = System.identity(of: path) { named = identity }
    let planChanged = slot.plan != plan
    if !planChanged, let current = slot.current, slot.file == named { return current }
    if !planChanged, let judged = slot.judged, judged.file == named {
      switch judged.verdict {
      case .unsafe(let problem): throw .misconfigured(problem)
      case .invalid(let problem):
        if let current = slot.current { return current }
        throw .misconfigured(problem)
      case .unsettled:
        if let current = slot.current, let named, !ConfigurationStore.hasSettled(named) { return current }
      }
    }
    if planChanged {
      slot.plan = plan
      slot.judged = nil
    }
    return try read(plan, into: slot, log: log)
  }

  /// The slot for `arguments`, made (and the least used one dropped) when
  /// there is none.
  private mutating func slot(for arguments: [String]) -> Slot {
    uses += 1
    if let found = slots.first(where: { $0.arguments == arguments }) {
      found.lastUse = uses
      return found
    }
    let made = Slot(arguments: arguments)
    made.lastUse = uses
    if slots.count >= ConfigurationStore.capacity,
      let oldest = slots.indices.min(by: { slots[$0].lastUse < slots[$1].lastUse })
    {
      slots.remove(at: oldest)
    }
    slots.append(made)
    return made
  }

  /// Whether a file has been unchanged for the settle time.
  static func hasSettled(_ file: System.FileIdentity) -> Bool {
    System.realtimeNanoseconds() - file.lastChangeNanoseconds >= settleNanoseconds
  }

  /// Reads the plan's file and takes it if it is whole, safe and valid.
  private func read(_ plan: ConfigurationPlan, into slot: Slot, log: Log) throws(AuthFailure) -> LoadedConfiguration {
    var files = SteadyFiles(slot: slot)
    let configuration: Configuration
    do throws(ConfigurationLoadError<SteadyFiles.NotTaken>) {
      configuration = try SchemeRegistry.loader.load(plan: plan, arguments: slot.arguments, files: &files)
    } catch {
      switch error {
      case .invalid(let error):
        return try keepCurrent(slot, file: files.identity, .invalid(error.message), log: log)
      case .unreadable(.kept(let file, let verdict)):
        return try keepCurrent(slot, file: file, verdict, log: log)
      case .unreadable(.unsafe(let file, let problem)):
        slot.judged = (file, .unsafe(problem))
        throw .misconfigured(problem)
      case .unreadable(.refused(let problem)):
        throw .misconfigured(problem)
      }
    }
    for warning in configuration.warnings { log.warning(warning) }
    let debugLog = log.debugging(configuration.settings.debug)
    for note in configuration.notes { debugLog.debug(note) }
    let loaded = LoadedConfiguration(
      configuration: configuration, decoys: slot.current?.decoys ?? DecoyPool())
    slot.current = loaded
    slot.file = files.identity
    slot.openFile = files.openFile
    slot.judged = nil
    return loaded
  }

  /// The live system's files, as the store takes them: only whole and
  /// safe. The file read stays open, with its identity as it was read.
  struct SteadyFiles: ConfigurationFiles {
    let slot: Slot
    var identity: System.FileIdentity? = nil
    var openFile: System.OpenFile? = nil

    /// Why a file that exists was not read.
    enum NotTaken: Error {
      /// Not taken; the configuration in force stays (keepCurrent).
      case kept(System.FileIdentity?, Verdict)
      /// Writable by someone other than root: refused whatever was read
      /// before.
      case unsafe(System.FileIdentity, String)
      /// Never read whole: refused.
      case refused(String)
    }

    init(slot: Slot) { self.slot = slot }

    func exists(_ path: String) -> Bool {
      if case .success = System.identity(of: path) { return true }
      return false
    }

    mutating func contents(of path: String) throws(NotTaken) -> [UInt8]? {
      var attempt = 0
      while true {
        attempt += 1
        switch System.readSteadyFile(path) {
        case .failure(let error) where error.isMissingFile:
          return nil
        case .failure(let error):
          throw .kept(nil, .invalid("cannot read \(error.message)"))
        case .success(let read):
          if let problem = System.safetyProblem(path, role: .configuration) { throw .unsafe(read.identity, problem) }
          if isWhole(read, path: path) {
            identity = read.identity
            openFile = read.file
            return read.bytes
          }
          if slot.current != nil { throw .kept(read.identity, .unsettled) }
          guard attempt < ConfigurationStore.readAttempts else {
            throw .refused(
              "\(path) kept changing while it was read; write the new file elsewhere and rename it over this one")
          }
          System.sleep(milliseconds: ConfigurationStore.rereadMilliseconds)
        }
      }
    }

    /// Whether what was read is the whole file: steady while it was read,
    /// settled if it was edited in place, and read twice alike if it is new
    /// and young.
    private func isWhole(_ read: System.SteadyRead, path: String) -> Bool {
      guard read.steady else { return false }
      if ConfigurationStore.hasSettled(read.identity) { return true }
      // Edited in place: the file in force itself changed.
      if slot.current != nil, let inForce = slot.openFile?.identity, read.identity.isSameFile(as: inForce) {
        return false
      }
      System.sleep(milliseconds: ConfigurationStore.rereadMilliseconds)
      guard case .success(let again) = System.identity(of: path) else { return false }
      return again == read.identity
    }
  }

  /// A change that is not taken: the configuration in force stays, and one
  /// line (per change) says why; without one, the login fails closed.
  private func keepCurrent(_ slot: Slot, file: System.FileIdentity?, _ verdict: Verdict, log: Log)
    throws(AuthFailure) -> LoadedConfiguration
  {
    let repeated = slot.judged.map { $0.file == file && $0.verdict == verdict } ?? false
    slot.judged = (file, verdict)
    let path = slot.plan?.file ?? "the configuration"
    guard let current = slot.current else {
      switch verdict {
      case .invalid(let problem), .unsafe(let problem): throw .misconfigured(problem)
      case .unsettled: throw .misconfigured("\(path) is being written")
      }
    }
    if !repeated {
      switch verdict {
      case .invalid(let problem):
        log.error("\(problem); the configuration read before stays in force until this is fixed")
      case .unsafe(let problem):
        throw .misconfigured(problem)
      case .unsettled:
        log.notice(
          "\(path) changed less than a second ago and may still be being written: the configuration read before "
            + "stays in force until the file has been unchanged for a second (write the new file elsewhere and "
            + "rename it over this one to have it taken at once)")
      }
    }
    return current
  }
}
