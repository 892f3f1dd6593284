// The file system the doctor reads: the real one, or a tree given with
// `--root DIR` that stands in for `/` (the tests build such trees). Every
// path the checks use is written as it is on the system (`/etc/postfix/
// main.cf`); this type prefixes the root and resolves symbolic links itself,
// component by component, so that an absolute link target stays inside the
// tree, and so that a path can be resolved as a chrooted process sees it
// (Postfix's smtpd inside /var/spool/postfix).

struct SystemTree {
  /// "" for the real system, else the tree's directory without a trailing "/".
  let root: String

  init(root: String?) {
    var cleaned = root ?? ""
    while cleaned.hasSuffix("/") { cleaned.removeLast() }
    self.root = cleaned
  }

  /// Where `path` (a system path) is on this machine's disk.
  func hostPath(_ path: String) -> String { root + path }

  /// Why what runs (processes, the sockets they listen on) is not judged
  /// under this tree, or nil when it is: the real system is judged, and so
  /// is a tree that brings its own process list (`ROOT/proc/<pid>/cmdline`
  /// files, as the tests write). A tree whose /proc lists nothing (an
  /// image, a chroot without /proc) has no running saslauthd to judge, and
  /// one whose /proc is this machine's procfs (a bind mount, a chroot with
  /// /proc mounted) would show this machine's daemons, not the tree's.
  var runtimeNotJudged: String? {
    if root.isEmpty { return nil }
    if DoctorSystem.isProcFilesystem(hostPath("/proc")) {
      return "\(root)/proc is this machine's /proc, whose processes are not the tree's"
    }
    if !list("/proc").contains(where: { Int($0) != nil }) {
      return "\(root)/proc lists no processes: \(root) is a tree, not a running system"
    }
    return nil
  }

  /// A resolved path: the system path after every link, and its status.
  struct Resolved: Equatable {
    let path: String
    let status: DoctorSystem.Status
  }

  /// Why a path did not resolve.
  enum Unresolved: Error, Equatable {
    /// `at` (a system path) does not exist.
    case missing(at: String)
    /// `at` is not a directory but the path goes on below it.
    case notDirectory(at: String)
    case tooManyLinks
    case failed(String)

    var message: String {
      switch self {
      case .missing(let at): "\(at) does not exist"
      case .notDirectory(let at): "\(at) is not a directory"
      case .tooManyLinks: "too many levels of symbolic links"
      case .failed(let text): text
      }
    }
  }

  /// Resolves `path` the way the kernel would for a process whose root
  /// directory is `chroot` (a system path; "/" for an ordinary process).
  /// The result's path is a system path (it starts with `chroot`).
  func resolve(_ path: String, chroot: String = "/") -> Result<Resolved, Unresolved> {
    let base = SystemTree.normalized(chroot)
    var current = base
    var pending = SystemTree.components(path)
    var links = 0
    var status: DoctorSystem.Status? = nil
    if pending.isEmpty {
      switch DoctorSystem.linkStatus(hostPath(base)) {
      case .success(let found): return .success(Resolved(path: base, status: found))
      case .failure: return .failure(.missing(at: base))
      }
    }
    while !pending.isEmpty {
      let component = pending.removeFirst()
      if component == "." { continue }
      if component == ".." {
        if current != base { current = SystemTree.parent(of: current) }
        status = nil
        continue
      }
      let candidate = SystemTree.join(current, component)
      switch DoctorSystem.linkStatus(hostPath(candidate)) {
      case .failure(let failure):
        if failure.isMissing { return .failure(.missing(at: candidate)) }
        return .failure(.failed(failure.message))
      case .success(let found) where found.type == .symlink:
        links += 1
        guard links <= 40, let target = DoctorSystem.readLink(hostPath(candidate)) else {
          return .failure(links > 40 ? .tooManyLinks : .failed("readlink \(candidate) failed"))
        }
        if target.hasPrefix("/") { current = base }
        pending = SystemTree.components(target) + pending
        status = nil
      case .success(let found):
        if !pending.isEmpty && found.type != .directory { return .failure(.notDirectory(at: candidate)) }
        current = candidate
        status = found
      }
    }
    if let status { return .success(Resolved(path: current, status: status)) }
    switch DoctorSystem.linkStatus(hostPath(current)) {
    case .success(let found): return .success(Resolved(path: current, status: found))
    case .failure: return .failure(.missing(at: current))
    }
  }

  /// The status of `path` after links, or nil.
  func status(_ path: String) -> DoctorSystem.Status? {
    if case .success(let resolved) = resolve(path) { return resolved.status }
    return nil
  }

  func exists(_ path: String) -> Bool { status(path) != nil }

  /// The text of a file (after links), or why it could not be read.
  func read(_ path: String) -> Result<String, Unresolved> {
    switch resolve(path) {
    case .failure(let reason): return .failure(reason)
    case .success(let resolved):
      if resolved.status.type == .directory { return .failure(.failed("\(path) is a directory")) }
      switch DoctorSystem.readFile(hostPath(resolved.path)) {
      case .success(let bytes): return .success(String(decoding: bytes, as: UTF8.self))
      case .failure(let failure): return .failure(.failed(failure.message))
      }
    }
  }

  /// The text of a file, or nil when it cannot be read.
  func text(_ path: String) -> String? {
    if case .success(let text) = read(path) { return text }
    return nil
  }

  /// The names in a directory (after links).
  func list(_ path: String) -> [String] {
    guard case .success(let resolved) = resolve(path), resolved.status.type == .directory else { return [] }
    return DoctorSystem.listDirectory(hostPath(resolved.path)) ?? []
  }

  /// The directories from "/" down to the one holding `path` (a resolved
  /// system path), each with its status, for permission checks.
  func ancestors(of path: String) -> [Resolved] {
    var result: [Resolved] = []
    var current = "/"
    let parts = SystemTree.components(path).dropLast()
    if case .success(let status) = DoctorSystem.linkStatus(hostPath("/")) {
      result.append(Resolved(path: "/", status: status))
    }
    for part in parts {
      current = SystemTree.join(current, part)
      if case .success(let status) = DoctorSystem.linkStatus(hostPath(current)) {
        result.append(Resolved(path: current, status: status))
      }
    }
    return result
  }

  /// Whether `path` is `directory` or below it (both system paths).
  static func isInside(_ path: String, _ directory: String) -> Bool {
    let base = normalized(directory)
    return path == base || base == "/" || path.hasPrefix(base + "/")
  }

  static func components(_ path: String) -> [String] {
    path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
  }

  /// `path` with single slashes, no trailing slash, "/" for the root.
  static func normalized(_ path: String) -> String {
    "/" + components(path).joined(separator: "/")
  }

  static func join(_ directory: String, _ name: String) -> String {
    directory == "/" ? "/" + name : directory + "/" + name
  }

  static func parent(of path: String) -> String {
    var parts = components(path)
    guard !parts.isEmpty else { return "/" }
    parts.removeLast()
    return "/" + parts.joined(separator: "/")
  }

  static func lastComponent(_ path: String) -> String {
    components(path).last ?? "/"
  }
}
