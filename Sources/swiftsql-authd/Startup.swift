// From the command line to a serving daemon, in the order that keeps root
// for as short as possible: signals blocked (before any thread), the
// sockets (inherited from systemd's socket activation, or made here: the
// directory 0710 with the socket group when it is missing, a stale socket
// replaced, the socket 0777, as saslauthd does), detaching unless
// --foreground, then, when started as root, the switch to --user (no
// supplementary groups, no way back) and no new privileges. Only then is
// the configuration read: a file the daemon's user cannot read fails now,
// not at the first reload. A daemon that would still be root refuses to
// serve.

import SwiftSQLCore
import SwiftSQLRuntime
import SwiftSQLServe
import SwiftSQLSystem

enum Startup {
  static func serve(_ options: ServeOptions) -> Int32 {
    ServeLog.toStandardError = options.logToStandardError
    ServeSystem.openSyslog()
    let signals: Int32
    switch ServeSystem.signalDescriptor() {
    case .success(let descriptor): signals = descriptor
    case .failure(let error): return fail(error.message)
    }

    let ids = ServeSystem.ids()
    let asRoot = ids.euid == 0
    let identity: ServeSystem.Identity
    if asRoot {
      switch ServeSystem.user(named: options.user) {
      case .success(let found?) where found.user != 0: identity = found
      case .success(.some):
        return fail("--user \(options.user) is root: this daemon never serves as root")
      case .success(nil):
        return fail(
          "there is no user \(options.user): give --user, or install the swiftsql-authd package, which creates "
            + ServeOptions.defaultUser)
      case .failure(let error): return fail(error.message)
      }
    } else {
      identity = ServeSystem.Identity(user: ids.uid, group: ids.gid)
    }

    let listeners: [Daemon.Listener]
    switch openListeners(options, asRoot: asRoot, owner: identity) {
    case .success(let opened): listeners = opened
    case .failure(let problem): return fail(problem.message)
    }
    _ = ServeSystem.raiseFileLimit()

    if !options.foreground, case .failure(let error) = ServeSystem.detach() { return fail(error.message) }
    if asRoot, case .failure(let error) = ServeSystem.become(identity) {
      return fail("cannot switch to \(options.user): \(error.message)")
    }
    if case .failure(let error) = ServeSystem.lockDown() { return fail(error.message) }
    let now = ServeSystem.ids()
    if now.uid == 0 || now.euid == 0 || now.gid == 0 || now.egid == 0 {
      return fail("still root (uid \(now.uid), gid \(now.gid)) after the switch: refusing to serve")
    }

    let store = ServiceConfigurations(defaultFile: options.config, services: options.services)
    store.check(reload: false)
    let workerCount = options.workerCount(processors: ServeSystem.processors())
    let pool = DatabasePool(perDatabase: options.databaseConnections ?? workerCount)
    let daemon: Daemon
    do throws(SystemError) {
      daemon = try Daemon(
        options: options, listeners: listeners, signals: signals, store: store, pool: pool,
        workerCount: workerCount, queueCapacity: options.queueSize ?? 64 * workerCount)
    } catch {
      return fail(error.message)
    }
    ServeLog.notice(
      "started as \(ServeSystem.userName(now.uid)) (uid \(now.uid), gid \(now.gid)); configuration "
        + store.files.joined(separator: ", "))
    return daemon.run()
  }

  /// --check: loads every configuration file, as the daemon's user when
  /// started as root, and says what is wrong.
  static func check(_ options: ServeOptions) -> Int32 {
    ServeLog.toStandardError = false
    let ids = ServeSystem.ids()
    var who = ServeSystem.userName(ids.uid)
    if ids.euid == 0 {
      switch ServeSystem.user(named: options.user) {
      case .success(let found?) where found.user != 0:
        if case .failure(let error) = ServeSystem.become(found) {
          ServeSystem.write(
            "swiftsql-authd: cannot switch to \(options.user): \(error.message)\n", toStandardError: true)
          return 1
        }
        who = options.user
      default:
        ServeSystem.write(
          "swiftsql-authd: no user \(options.user): checking as root, which the daemon never is\n",
          toStandardError: true)
      }
    }
    var problems = 0
    let store = ServiceConfigurations(defaultFile: options.config, services: options.services)
    // What the loader would log (warnings, why a file is refused) is printed.
    let log = Log(debugEnabled: false) { _, message in ServeSystem.write("  \(message)\n", toStandardError: false) }
    for file in store.files {
      switch store.configuration(file: file, log: log) {
      case .success(let loaded):
        let services = options.services.filter { $0.value == file }.keys.sorted()
        let users = file == options.config ? "every other service" : "service " + services.joined(separator: ", ")
        ServeSystem.write(
          "\(file): ok (driver \(loaded.configuration.settings.driver.rawValue), for \(users))\n",
          toStandardError: false)
      case .failure(let failure):
        problems += 1
        ServeSystem.write("\(file): \(failure.reason)\n", toStandardError: false)
      }
    }
    ServeSystem.write("(read as \(who))\n", toStandardError: false)
    return problems == 0 ? 0 : 4
  }

  private static func fail(_ message: String) -> Int32 {
    ServeLog.error("cannot start: \(message)")
    if !ServeLog.toStandardError { ServeSystem.write("swiftsql-authd: \(message)\n", toStandardError: true) }
    return 1
  }

  struct Problem: Error {
    let message: String
    init(_ message: String) { self.message = message }
  }

  /// The listening sockets: systemd's (LISTEN_PID, LISTEN_FDS; each matched
  /// to an option by its path), then any configured one systemd did not
  /// pass, made here.
  static func openListeners(_ options: ServeOptions, asRoot: Bool, owner: ServeSystem.Identity)
    -> Result<[Daemon.Listener], Problem>
  {
    var wanted: [(Daemon.Role, String)] = []
    if let path = options.saslauthdSocket { wanted.append((.saslauthd, path)) }
    if let path = options.dovecotSocket { wanted.append((.dovecot, path)) }
    if let path = options.statusSocket { wanted.append((.status, path)) }

    var listeners: [Daemon.Listener] = []
    for (descriptor, path) in inheritedSockets() {
      guard let role = wanted.first(where: { $0.1 == path })?.0 else {
        return .failure(Problem("systemd passed a socket at \(path), which no option names (--socket …)"))
      }
      if case .failure(let error) = ServeSystem.prepareInherited(descriptor) { return .failure(Problem(error.message)) }
      listeners.append(Daemon.Listener(descriptor: descriptor, role: role, path: path))
    }
    for (role, path) in wanted where !listeners.contains(where: { $0.path == path }) {
      switch makeSocket(path, asRoot: asRoot, owner: owner, group: options.socketGroup) {
      case .success(let descriptor): listeners.append(Daemon.Listener(descriptor: descriptor, role: role, path: path))
      case .failure(let problem): return .failure(problem)
      }
    }
    return .success(listeners)
  }

  /// Sockets passed by systemd (sd_listen_fds(3)): descriptors 3… with
  /// their paths. The variables are removed, as sd_listen_fds does.
  static func inheritedSockets() -> [(Int32, String)] {
    defer {
      for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] { ServeSystem.unsetEnvironment(name) }
    }
    guard let pid = ServeSystem.environment("LISTEN_PID").flatMap({ Int32($0) }), pid == ServeSystem.processID(),
      let count = ServeSystem.environment("LISTEN_FDS").flatMap({ Int32($0) }), count > 0, count < 64
    else { return [] }
    return (3..<(3 + count)).compactMap { descriptor in
      ServeSystem.socketPath(of: descriptor).map { (descriptor, $0) }
    }
  }

  /// A listening socket at `path`, mode 0777, in a directory that exists
  /// (or is made, 0710, owned by the daemon's user and the socket group).
  static func makeSocket(_ path: String, asRoot: Bool, owner: ServeSystem.Identity, group: String)
    -> Result<Int32, Problem>
  {
    guard let slash = path.lastIndex(of: "/") else { return .failure(Problem("\(path) is not an absolute path")) }
    let directory = slash == path.startIndex ? "/" : String(path[..<slash])
    if case .failure(let error) = System.identity(of: directory) {
      guard error.isMissingFile else { return .failure(Problem(error.message)) }
      guard asRoot else {
        return .failure(Problem("the socket directory \(directory) does not exist (only root makes it)"))
      }
      let gid: UInt32
      switch ServeSystem.group(named: group) {
      case .success(let found?): gid = found
      case .success(nil):
        return .failure(Problem("there is no group \(group) for the socket directory \(directory) (--socket-group)"))
      case .failure(let error): return .failure(Problem(error.message))
      }
      if case .failure(let error) = ServeSystem.makeDirectory(directory, mode: 0o710, owner: owner.user, group: gid) {
        return .failure(Problem("\(error.message) (the parent directory must exist)"))
      }
    }
    if case .success(let existing) = System.identity(of: path) {
      guard existing.mode & 0o170000 == 0o140000 else {
        return .failure(Problem("\(path) exists and is not a socket"))
      }
      if ServeSystem.somethingListens(at: path) {
        return .failure(Problem("another daemon already listens on \(path)"))
      }
      if case .failure(let error) = ServeSystem.remove(path) { return .failure(Problem(error.message)) }
    }
    let descriptor: Int32
    switch ServeSystem.listen(at: path, backlog: 1024) {
    case .success(let made): descriptor = made
    case .failure(let error): return .failure(Problem(error.message))
    }
    // As saslauthd's: everyone may connect; the directory decides who can.
    if case .failure(let error) = ServeSystem.changeMode(path, 0o777) {
      ServeSystem.close(descriptor)
      return .failure(Problem(error.message))
    }
    return .success(descriptor)
  }
}
