// The saslauthd daemons the process list shows: every /proc/<pid>/cmdline
// (under --root: <root>/proc/<pid>/cmdline, so tests can stand in for a
// running daemon) whose program is saslauthd, grouped by identical command
// line (the master and its pre-forked workers share one), with the user and
// groups from /proc/<pid>/status when it is there (else root is assumed,
// which is how Debian runs saslauthd).

struct SaslauthdInstance: Equatable {
  let processIDs: [Int]
  /// The whole command line, program first.
  let commandLine: [String]
  let identity: DoctorSystem.Identity?

  var options: SaslauthdOptions { SaslauthdOptions.parse(Array(commandLine.dropFirst())) }

  /// The user the daemon runs as.
  var principal: Principal {
    guard let identity else { return .root }
    return Principal(
      name: identity.uid == 0 ? "root" : "uid \(identity.uid)", uid: identity.uid,
      groups: Set(identity.groups + [identity.gid]))
  }

  var commandText: String { commandLine.joined(separator: " ") }

  /// Every saslauthd in the tree's process list, lowest process id first.
  static func scan(_ tree: SystemTree) -> [SaslauthdInstance] {
    var byCommand: [[String]: (ids: [Int], identity: DoctorSystem.Identity?)] = [:]
    for entry in tree.list("/proc") {
      guard let pid = Int(entry) else { continue }
      guard case .success(let bytes) = DoctorSystem.readFile(tree.hostPath("/proc/\(entry)/cmdline")) else {
        continue
      }
      let arguments = bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
      guard let program = arguments.first, SystemTree.lastComponent(program) == "saslauthd" else { continue }
      let identity = tree.text("/proc/\(entry)/status").flatMap(parseStatus)
      var known = byCommand[arguments] ?? ([], identity)
      known.ids.append(pid)
      byCommand[arguments] = known
    }
    return byCommand.map { command, found in
      SaslauthdInstance(processIDs: found.ids.sorted(), commandLine: command, identity: found.identity)
    }.sorted { ($0.processIDs.first ?? 0) < ($1.processIDs.first ?? 0) }
  }

  /// The real uid, gid and supplementary groups of a /proc/<pid>/status.
  static func parseStatus(_ text: String) -> DoctorSystem.Identity? {
    var uid: UInt32? = nil
    var gid: UInt32? = nil
    var groups: [UInt32] = []
    for line in text.split(separator: "\n") {
      let fields = String(line).words
      guard let key = fields.first else { continue }
      switch key {
      case "Uid:": uid = fields.count > 1 ? UInt32(fields[1]) : nil
      case "Gid:": gid = fields.count > 1 ? UInt32(fields[1]) : nil
      case "Groups:": groups = fields.dropFirst().compactMap { UInt32($0) }
      default: break
      }
    }
    guard let uid, let gid else { return nil }
    return DoctorSystem.Identity(uid: uid, gid: gid, groups: groups)
  }
}
