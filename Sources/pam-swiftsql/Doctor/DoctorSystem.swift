// The doctor's boundary to libc, for what the module's (SwiftSQLSystem's
// System, whose lstat(2), readlink(2), file reads and unix-socket connect it
// uses) has no need of: listing a directory, connecting to a unix socket as
// another user (a forked child that drops to that user's ids first), and
// dlopen(3)/dlsym(3) of a PAM module. Each C function is wrapped once here
// and its errno (or dlerror text) is read at once into the result.

import Glibc
import SwiftSQLSystem

enum DoctorSystem {
  enum FileType: String {
    case regular = "regular file"
    case directory
    case symlink = "symbolic link"
    case socket
    case other = "special file"
  }

  /// What lstat(2) says about one path.
  struct Status: Equatable {
    let type: FileType
    /// The permission bits (mode & 07777).
    let mode: UInt32
    let owner: UInt32
    let group: UInt32
    let device: UInt64
    let inode: UInt64
  }

  /// `lstat(2)` (SwiftSQLSystem's, the module's own), as the doctor reads it.
  static func linkStatus(_ path: String) -> Result<Status, SystemError> {
    System.linkIdentity(of: path).map { identity in
      let type: FileType
      switch identity.mode & UInt32(S_IFMT) {
      case UInt32(S_IFREG): type = .regular
      case UInt32(S_IFDIR): type = .directory
      case UInt32(S_IFLNK): type = .symlink
      case UInt32(S_IFSOCK): type = .socket
      default: type = .other
      }
      return Status(
        type: type, mode: identity.mode & 0o7777, owner: identity.owner, group: identity.group,
        device: identity.device, inode: identity.inode)
    }
  }

  /// `readlink(2)`.
  static func readLink(_ path: String) -> String? {
    try? System.linkTarget(of: path).get()
  }

  /// The bytes of a small file (at most 1 MiB, as the module reads its
  /// configuration).
  static func readFile(_ path: String) -> Result<[UInt8], SystemError> {
    System.readFile(path).map { $0.0 }
  }

  /// The names in a directory (`opendir`, `readdir`), without "." and "..".
  static func listDirectory(_ path: String) -> [String]? {
    guard let directory = opendir(path) else { return nil }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> String in
        let bytes = raw.prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }

  /// The ids a process runs with, for `connect(_:as:)`.
  struct Identity: Equatable {
    let uid: UInt32
    let gid: UInt32
    let groups: [UInt32]
  }

  /// `connect(2)` to the unix socket at `path` (SwiftSQLSystem's), then
  /// close it. With `identity`, the connection is made by a forked child
  /// after `setgroups`, `setgid` and `setuid` to those ids (only when this
  /// process runs as root). Returns nil, or the errno of the failed call.
  static func connectUnix(_ path: String, as identity: Identity? = nil) -> Errno? {
    guard let address = UnixSocketAddress(path) else { return .nameTooLong }
    guard let identity else { return connectOnce(address).map(Errno.init(rawValue:)) }
    guard getuid() == 0 else { return .notPermitted }

    // Everything the child needs is prepared before fork(2): after it, the
    // child calls only async-signal-safe functions and _exit(2).
    let groups = identity.groups.map { gid_t($0) }
    let groupBuffer = UnsafeMutablePointer<gid_t>.allocate(capacity: max(groups.count, 1))
    defer { groupBuffer.deallocate() }
    for (index, group) in groups.enumerated() { groupBuffer[index] = group }
    let child = fork()
    if child < 0 { return Errno(rawValue: errno) }
    if child == 0 {
      if setgroups(groups.count, groupBuffer) != 0 || setgid(gid_t(identity.gid)) != 0
        || setuid(uid_t(identity.uid)) != 0
      {
        _exit(126)
      }
      let code = connectOnce(address) ?? 0
      _exit(code > 0 && code < 126 ? code : (code == 0 ? 0 : 125))
    }
    var status: Int32 = 0
    while waitpid(child, &status, 0) < 0 {
      if errno != EINTR { return Errno(rawValue: errno) }
    }
    guard status & 0x7F == 0 else { return .interrupted }
    let code = (status >> 8) & 0xFF
    return code == 0 ? nil : code == 126 ? .notPermitted : Errno(rawValue: code)
  }

  /// nil when connected (the descriptor is closed at once), else errno.
  private static func connectOnce(_ address: UnixSocketAddress) -> Int32? {
    switch address.connect() {
    case .success(let descriptor):
      System.closeDescriptor(descriptor)
      return nil
    case .failure(let error): return error.errno
    }
  }

  /// `dlopen(RTLD_NOW | RTLD_LOCAL)` as libpam loads a module, then
  /// `dlsym` for each of `symbols`. nil when all are found, else what failed.
  static func loadModule(_ path: String, symbols: [String]) -> String? {
    _ = dlerror()
    guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
      return dlerror().map { String(cString: $0) } ?? "dlopen failed"
    }
    defer { dlclose(handle) }
    let missing = symbols.filter { dlsym(handle, $0) == nil }
    return missing.isEmpty ? nil : "it does not define " + missing.joined(separator: ", ")
  }

  /// Whether `path` is a live proc file system: its `self` is a link to
  /// this process's id, as only procfs makes it.
  static func isProcFilesystem(_ path: String) -> Bool {
    readLink(path + "/self") == String(getpid())
  }

  /// This process's user id (`getuid(2)`).
  static var userID: UInt32 { getuid() }
}

extension SystemError {
  /// The path (or a directory on the way to it) does not exist.
  var isMissing: Bool { code == .noSuchFileOrDirectory || code == .notDirectory }
}
