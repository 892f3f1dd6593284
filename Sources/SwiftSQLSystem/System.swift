// The boundary to libc for the module's own system calls, and for the
// tool's, the daemon's and the saslauthd client's where they need the same:
// the monotonic and real-time clocks, nanosleep(2), poll(2) with a deadline,
// getpid(2), gethostname(2), close(2), write(2) of a whole text, stat(2),
// lstat(2) and readlink(2), reading a whole small file (and the
// configuration's steady read, the file kept open), the walk of a path's
// owners and modes for FileSafety, getrandom(2), pthread mutexes and
// pthread_atfork(3), explicit_bzero(3), and unix stream sockets (an address
// made once from a path, connect(2), send(2) and recv(2)). Each call is
// wrapped once and its errno read at once into `SystemError`, whose `code`
// is a typed `Errno`. (libpq, sqlite3, libmariadb, libcrypt, libcrypto,
// libargon2 and libpam have their own boundary files.) Nothing here looks up
// users or groups: the module must make no NSS calls.

import CLibC
import SwiftSQLCore

/// A failed system call: the call's name and its errno.
public struct SystemError: Error, Equatable, Sendable {
  public let call: String
  public let errno: Int32

  /// For the other boundary files (the daemon's, the tool's), which read
  /// errno themselves.
  public init(call: String, errno: Int32) {
    self.call = call
    self.errno = errno
  }

  public var message: String {
    "\(call): " + code.message
  }

  /// ENOENT: the file does not exist.
  public var isMissingFile: Bool { errno == ENOENT }

  /// The errno, typed.
  public var code: Errno { Errno(rawValue: errno) }
}

/// An errno value, with Swift names for the ones callers tell apart (in the
/// manner of swift-system's `Errno`), so that they need no libc constants.
public struct Errno: RawRepresentable, Equatable, Hashable, Sendable {
  public let rawValue: Int32

  public init(rawValue: Int32) { self.rawValue = rawValue }

  /// ENOENT
  public static var noSuchFileOrDirectory: Errno { Errno(rawValue: ENOENT) }
  /// ENOTDIR
  public static var notDirectory: Errno { Errno(rawValue: ENOTDIR) }
  /// EACCES
  public static var permissionDenied: Errno { Errno(rawValue: EACCES) }
  /// EPERM
  public static var notPermitted: Errno { Errno(rawValue: EPERM) }
  /// ECONNREFUSED
  public static var connectionRefused: Errno { Errno(rawValue: ECONNREFUSED) }
  /// ENOTSOCK
  public static var notSocket: Errno { Errno(rawValue: ENOTSOCK) }
  /// ENAMETOOLONG
  public static var nameTooLong: Errno { Errno(rawValue: ENAMETOOLONG) }
  /// EINTR
  public static var interrupted: Errno { Errno(rawValue: EINTR) }

  /// `strerror(3)`: libc's sentence for it.
  public var message: String { String(cString: strerror(rawValue)) }
}

/// A point in time on the monotonic clock, in nanoseconds.
public struct Deadline: Sendable, Comparable {
  public let nanoseconds: UInt64

  public static func now() -> Deadline {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Deadline(nanoseconds: UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec))
  }

  public static func after(seconds: Int) -> Deadline {
    Deadline(nanoseconds: now().nanoseconds &+ UInt64(max(seconds, 0)) &* 1_000_000_000)
  }

  /// Milliseconds left, rounded up, 0 once passed; for poll(2).
  public var remainingMilliseconds: Int32 {
    let current = Deadline.now().nanoseconds
    guard nanoseconds > current else { return 0 }
    return Int32(clamping: (nanoseconds - current + 999_999) / 1_000_000)
  }

  public var hasPassed: Bool { Deadline.now().nanoseconds >= nanoseconds }

  public static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

  public static func earlier(_ a: Deadline, _ b: Deadline) -> Deadline { a < b ? a : b }
}

/// What waiting on a descriptor found.
public enum PollResult: Equatable, Sendable {
  case ready
  case timedOut
  case failed(SystemError)
}

public enum System {
  /// `poll(2)` on one descriptor until it is ready for `events` or the
  /// deadline passes. Retries on EINTR with the time that is left.
  public static func wait(_ descriptor: Int32, readable: Bool, writable: Bool, until deadline: Deadline) -> PollResult {
    var events: Int16 = 0
    if readable { events |= Int16(POLLIN) }
    if writable { events |= Int16(POLLOUT) }
    while true {
      var entry = pollfd(fd: descriptor, events: events, revents: 0)
      let timeout = deadline.remainingMilliseconds
      let result = poll(&entry, 1, timeout)
      if result > 0 { return .ready }
      if result == 0 {
        if deadline.hasPassed { return .timedOut }
        continue
      }
      let code = swiftsql_errno()
      if code == EINTR { continue }
      return .failed(SystemError(call: "poll", errno: code))
    }
  }

  /// `getpid(2)`.
  public static func processID() -> Int32 { getpid() }

  /// `clock_gettime(CLOCK_REALTIME)` in nanoseconds since the epoch: the
  /// clock files' times are on.
  public static func realtimeNanoseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Int64(spec.tv_sec) &* 1_000_000_000 &+ Int64(spec.tv_nsec)
  }

  /// `nanosleep(2)` for `milliseconds`, resumed after a signal.
  public static func sleep(milliseconds: Int) {
    var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && swiftsql_errno() == EINTR { request = remaining }
  }

  /// `pthread_atfork(3)`: functions run around fork(2) in the process, so
  /// that a child forked while another thread holds a lock gets it free.
  /// The module is linked -z nodelete, so the functions stay mapped.
  public static func onFork(
    prepare: @escaping @convention(c) () -> Void, parent: @escaping @convention(c) () -> Void,
    child: @escaping @convention(c) () -> Void
  ) {
    _ = pthread_atfork(prepare, parent, child)
  }

  /// `gethostname(2)`: this machine's name as the kernel has it (no DNS, no
  /// NSS); empty if it cannot be read.
  public static func hostname() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    let result = buffer.withUnsafeMutableBufferPointer { pointer in
      guard let base = pointer.baseAddress else { return Int32(-1) }
      return gethostname(base, pointer.count - 1)
    }
    guard result == 0, let end = buffer.firstIndex(of: 0) else { return "" }
    return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// `close(2)`, for a descriptor inherited across fork that must not be
  /// used (closing the child's copy does not affect the parent).
  public static func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
  }

  /// `explicit_bzero(3)`: overwrites memory with zeros; the compiler may not
  /// remove it.
  public static func wipe(_ pointer: UnsafeMutableRawPointer, count: Int) {
    explicit_bzero(pointer, count)
  }

  /// The identity of a file at a moment: used to notice that a configuration
  /// or database file was changed or replaced.
  public struct FileIdentity: Equatable, Sendable {
    public let device: UInt64
    public let inode: UInt64
    public let size: Int64
    public let modifiedSeconds: Int64
    public let modifiedNanoseconds: Int64
    /// The inode's last change (contents, mode, owner, links).
    public let changedNanoseconds: Int64
    public let mode: UInt32
    public let owner: UInt32
    public let group: UInt32

    init(_ info: stat) {
      device = UInt64(info.st_dev)
      inode = UInt64(info.st_ino)
      size = Int64(info.st_size)
      modifiedSeconds = Int64(info.st_mtim.tv_sec)
      modifiedNanoseconds = Int64(info.st_mtim.tv_nsec)
      changedNanoseconds = Int64(info.st_ctim.tv_sec) &* 1_000_000_000 &+ Int64(info.st_ctim.tv_nsec)
      mode = UInt32(info.st_mode)
      owner = UInt32(info.st_uid)
      group = UInt32(info.st_gid)
    }

    /// Whether this is the same file (device and inode) as `other`,
    /// whatever its contents.
    public func isSameFile(as other: FileIdentity) -> Bool { device == other.device && inode == other.inode }

    /// The later of the last modification and the last change, in
    /// nanoseconds since the epoch.
    public var lastChangeNanoseconds: Int64 {
      max(modifiedSeconds &* 1_000_000_000 &+ modifiedNanoseconds, changedNanoseconds)
    }

    /// Whether it is a directory, a symbolic link, a regular file.
    public var isDirectory: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFDIR) }
    public var isSymbolicLink: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFLNK) }
    public var isRegularFile: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFREG) }
    public var isSocket: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFSOCK) }
  }

  /// `stat(2)`.
  public static func identity(of path: String) -> Result<FileIdentity, SystemError> {
    var info = stat()
    guard stat(path, &info) == 0 else { return .failure(SystemError(call: "stat \(path)", errno: swiftsql_errno())) }
    return .success(FileIdentity(info))
  }

  /// `lstat(2)`: the object itself, not what a symbolic link names.
  public static func linkIdentity(of path: String) -> Result<FileIdentity, SystemError> {
    var info = stat()
    guard lstat(path, &info) == 0 else {
      return .failure(SystemError(call: "lstat \(path)", errno: swiftsql_errno()))
    }
    return .success(FileIdentity(info))
  }

  /// `readlink(2)`: what a symbolic link names.
  public static func linkTarget(of path: String) -> Result<String, SystemError> {
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = buffer.withUnsafeMutableBytes { bytes -> Int in
      guard let base = bytes.baseAddress?.assumingMemoryBound(to: CChar.self) else { return -1 }
      return readlink(path, base, bytes.count)
    }
    guard count >= 0 else { return .failure(SystemError(call: "readlink \(path)", errno: swiftsql_errno())) }
    guard count < buffer.count else { return .failure(SystemError(call: "readlink \(path)", errno: ENAMETOOLONG)) }
    return .success(String(decoding: buffer[..<count], as: UTF8.self))
  }

  /// The largest file `readFile` reads: a configuration file is a few KB.
  public static let maximumFileBytes = 1 << 20

  /// Reads a whole small file with `open(2)`, `fstat(2)` and `read(2)`.
  /// Returns its bytes and the identity of what was read.
  public static func readFile(_ path: String) -> Result<([UInt8], FileIdentity), SystemError> {
    readSteadyFile(path).map { ($0.bytes, $0.identity) }
  }

  /// Reads a whole small file, and says whether it stayed the same while it
  /// was read: its identity (size, times) by `fstat(2)` before and after
  /// the reads, and the path still naming the file that was read. A file
  /// being written does not pass. The file stays open in the result, so
  /// that its inode is not reused while it is kept.
  public static func readSteadyFile(_ path: String) -> Result<SteadyRead, SystemError> {
    let descriptor = swiftsql_open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
    guard descriptor >= 0 else { return .failure(SystemError(call: "open \(path)", errno: swiftsql_errno())) }
    let file = OpenFile(descriptor)
    guard let before = file.identity else {
      return .failure(SystemError(call: "fstat \(path)", errno: swiftsql_errno()))
    }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while bytes.count <= maximumFileBytes {
      let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      if count < 0 {
        if swiftsql_errno() == EINTR { continue }
        return .failure(SystemError(call: "read \(path)", errno: swiftsql_errno()))
      }
      if count == 0 { break }
      bytes.append(contentsOf: chunk[0..<count])
    }
    guard bytes.count <= maximumFileBytes else {
      return .failure(SystemError(call: "read \(path)", errno: EFBIG))
    }
    var steady = file.identity == before && Int64(bytes.count) == before.size
    switch identity(of: path) {
    case .success(let named) where named == before: break
    default: steady = false
    }
    return .success(SteadyRead(bytes: bytes, identity: before, steady: steady, file: file))
  }

  /// What `readSteadyFile` read.
  public struct SteadyRead {
    public let bytes: [UInt8]
    /// The file's identity when the reading began.
    public let identity: FileIdentity
    /// Whether nothing changed while it was read.
    public let steady: Bool
    /// The file, still open.
    public let file: OpenFile
  }

  /// An open file (O_RDONLY, close-on-exec), closed when it goes away.
  /// While it is open its inode cannot be given to another file, so it
  /// tells an edit in place (the same inode) from a file renamed over it.
  public final class OpenFile {
    private let descriptor: Int32

    init(_ descriptor: Int32) { self.descriptor = descriptor }

    deinit { _ = close(descriptor) }

    /// `fstat(2)`: the file's identity now, or nil.
    public var identity: FileIdentity? {
      var info = stat()
      guard fstat(descriptor, &info) == 0 else { return nil }
      return FileIdentity(info)
    }
  }
}

/// A pthread mutex. The module's per-process state is shared by every
/// thread of a host that calls PAM from several threads.
public final class Lock: @unchecked Sendable {
  private let mutex: UnsafeMutablePointer<pthread_mutex_t>

  public init() {
    mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    mutex.initialize(to: pthread_mutex_t())
    pthread_mutex_init(mutex, nil)
  }

  deinit {
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
  }

  /// Runs `body` holding the mutex.
  public func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return try body()
  }

  /// Takes the mutex, for pthread_atfork's prepare handler; `unlock` in the
  /// parent and child handlers gives it back.
  public func lock() { pthread_mutex_lock(mutex) }

  public func unlock() { pthread_mutex_unlock(mutex) }
}

extension System {
  /// `count` random bytes from the kernel (getrandom(2)), for a salt. Not
  /// OpenSSL's RAND_bytes: seeding its generator costs a fresh process about
  /// 3 ms, which every worker's first login paid for the decoy's salt. Never
  /// blocks (GRND_NONBLOCK): nil before the kernel's pool is ready at boot.
  public static func randomBytes(_ count: Int) -> [UInt8]? {
    var bytes = [UInt8](repeating: 0, count: count)
    var filled = 0
    while filled < count {
      let got = bytes.withUnsafeMutableBytes { buffer in
        getrandom(buffer.baseAddress.map { $0 + filled }, count - filled, UInt32(GRND_NONBLOCK))
      }
      if got > 0 {
        filled += got
      } else if got < 0 && swiftsql_errno() == EINTR {
        continue
      } else {
        return nil
      }
    }
    return bytes
  }

  /// `explicit_bzero(3)` over a value's own memory (a C struct), at most
  /// `count` bytes of it.
  public static func wipe<T>(_ value: inout T, count: Int) {
    withUnsafeMutableBytes(of: &value) { buffer in
      if let base = buffer.baseAddress { explicit_bzero(base, min(count, buffer.count)) }
    }
  }

  /// `explicit_bzero(3)` over an array's elements.
  public static func wipe(_ bytes: inout [UInt8], count: Int) {
    bytes.withUnsafeMutableBytes { buffer in
      if let base = buffer.baseAddress { explicit_bzero(base, min(count, buffer.count)) }
    }
  }
}

extension System {
  /// The objects the kernel visits to resolve `path` (FileSafety.steps),
  /// read with lstat(2) and readlink(2). With `root`, the path is judged
  /// as it stands inside that tree (the doctor's `--root`), and the steps
  /// name paths inside it.
  public static func pathSteps(_ path: String, under root: String = "") -> Result<[PathStep], FileSafetyProblem> {
    FileSafety.steps(
      of: path,
      lstat: { inside in
        guard case .success(let identity) = linkIdentity(of: root + inside) else { return nil }
        let kind: PathStep.Kind =
          identity.isDirectory ? .directory : identity.isSymbolicLink ? .symbolicLink : .file
        return PathStep(path: inside, kind: kind, owner: identity.owner, permissions: identity.mode)
      },
      readlink: { inside in
        guard case .success(let target) = linkTarget(of: root + inside) else { return nil }
        return target
      })
  }

  /// Why the file at `path` must not be trusted in `role`, with the fix;
  /// nil when it may (FileSafety.problem). `trusted` are the owners besides
  /// root whose files are trusted: by default this process's user. A path
  /// that cannot be resolved is a problem too.
  public static func safetyFinding(
    _ path: String, role: FileSafety.Role, under root: String = "", trusted: [UInt32]? = nil
  ) -> FileSafety.Finding? {
    switch pathSteps(path, under: root) {
    case .success(let steps): FileSafety.problem(steps, role: role, trusted: trusted ?? [geteuid()])
    case .failure(let problem): FileSafety.Finding(problem: problem.message, fix: "check that \(path) exists")
    }
  }

  /// The same, as one log line.
  public static func safetyProblem(_ path: String, role: FileSafety.Role) -> String? {
    safetyFinding(path, role: role)?.text
  }
}

extension System {
  /// `write(2)` of all of `text` to `descriptor` (standard output or
  /// error), again after EINTR; gives up quietly when the descriptor fails.
  public static func write(_ text: String, to descriptor: Int32) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
      let written = bytes.withUnsafeBytes { CLibC.write(descriptor, $0.baseAddress, $0.count) }
      if written < 0 && swiftsql_errno() == EINTR { continue }
      if written <= 0 { return }
      bytes = bytes.dropFirst(written)
    }
  }

  /// What one `send(2)` or `recv(2)` did.
  public enum Transfer: Equatable, Sendable {
    case bytes(Int)
    /// The peer closed (recv returned 0).
    case closed
    /// EAGAIN: nothing now on a non-blocking socket.
    case wouldBlock
    case failed(SystemError)
  }

  /// `recv(2)` into `buffer`, again after EINTR.
  public static func receive(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Transfer {
    while true {
      let count = recv(descriptor, buffer.baseAddress, buffer.count, 0)
      if count > 0 { return .bytes(count) }
      if count == 0 { return .closed }
      switch swiftsql_errno() {
      case EINTR: continue
      case EAGAIN: return .wouldBlock
      case let code: return .failed(SystemError(call: "recv", errno: code))
      }
    }
  }

  /// `send(2)` with MSG_NOSIGNAL (a peer gone is an error, not SIGPIPE),
  /// again after EINTR.
  public static func send(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Transfer {
    while true {
      let count = CLibC.send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
      if count >= 0 { return .bytes(count) }
      switch swiftsql_errno() {
      case EINTR: continue
      case EAGAIN: return .wouldBlock
      case let code: return .failed(SystemError(call: "send", errno: code))
      }
    }
  }
}

/// The address of a unix stream socket (`sockaddr_un`), made once from its
/// path: the saslauthd client, the tool's status command and the doctor
/// connect to one, the daemon binds its own.
public struct UnixSocketAddress {
  private var storage = sockaddr_un()

  /// nil when `path` (with its NUL) does not fit in `sun_path`.
  public init?(_ path: String) {
    storage.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: storage.sun_path) else { return nil }
    withUnsafeMutableBytes(of: &storage.sun_path) { buffer in
      for (index, byte) in bytes.enumerated() { buffer[index] = byte }
    }
  }

  /// The address as `bind(2)` and `connect(2)` take it: a pointer and a
  /// length.
  public func withSocketAddress<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
    withUnsafePointer(to: storage) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
  }

  /// `socket(2)` (a close-on-exec stream socket), then `connect(2)`: the
  /// connected descriptor, which the caller closes, or the failed call
  /// ("socket" or "connect") and its errno. It allocates nothing, so a
  /// forked child may call it.
  public func connect() -> Result<Int32, SystemError> {
    let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { return .failure(SystemError(call: "socket", errno: swiftsql_errno())) }
    guard withSocketAddress({ CLibC.connect(descriptor, $0, $1) }) != 0 else { return .success(descriptor) }
    let error = SystemError(call: "connect", errno: swiftsql_errno())
    _ = close(descriptor)
    return .failure(error)
  }
}
