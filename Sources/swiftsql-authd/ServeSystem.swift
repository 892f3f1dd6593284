// The daemon's one boundary to libc (the C side is Sources/CServe/shim.h):
// unix sockets, epoll, eventfd, signalfd, threads, mutexes and conditions,
// users and groups, privileges, resource limits, detaching, syslog. Each C
// call is wrapped once here and its errno read at once into SystemError;
// nothing else in the daemon calls C. (The clock, stat, file reads, unix
// socket addresses and connect, send(2), recv(2) and writing out a text are
// SwiftSQLSystem's, the module's own boundary, used as they are.)

import CServe
import SwiftSQLSystem

enum ServeSystem {
  static func failure(_ call: String) -> SystemError {
    SystemError(call: call, errno: swiftsql_authd_errno())
  }

  // MARK: - Unix sockets

  /// `socket(2)` + `bind(2)` + `listen(2)`: a non-blocking listening unix
  /// stream socket at `path`, which must not exist.
  static func listen(at path: String, backlog: Int32) -> Result<Int32, SystemError> {
    guard let address = UnixSocketAddress(path) else {
      return .failure(SystemError(call: "bind \(path)", errno: ENAMETOOLONG))
    }
    let descriptor = socket(
      AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { return .failure(failure("socket")) }
    if address.withSocketAddress({ bind(descriptor, $0, $1) }) != 0 {
      let error = failure("bind \(path)")
      close(descriptor)
      return .failure(error)
    }
    if CServe.listen(descriptor, backlog) != 0 {
      let error = failure("listen \(path)")
      close(descriptor)
      return .failure(error)
    }
    return .success(descriptor)
  }

  /// Whether something accepts connections at `path` now (a daemon that
  /// still runs), as opposed to a socket file left behind.
  static func somethingListens(at path: String) -> Bool {
    guard case .success(let descriptor) = UnixSocketAddress(path)?.connect() else { return false }
    close(descriptor)
    return true
  }

  /// `getsockname(2)` of a unix socket: its path, or nil.
  static func socketPath(of descriptor: Int32) -> String? {
    var address = sockaddr_un()
    var length = socklen_t(MemoryLayout<sockaddr_un>.size)
    let result = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    guard result == 0, address.sun_family == sa_family_t(AF_UNIX) else { return nil }
    return withUnsafeBytes(of: &address.sun_path) { buffer in
      let bytes = buffer.prefix { $0 != 0 }
      return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }
  }

  /// Makes an inherited descriptor non-blocking and close-on-exec.
  static func prepareInherited(_ descriptor: Int32) -> Result<Void, SystemError> {
    guard swiftsql_authd_nonblocking(descriptor) == 0 else { return .failure(failure("fcntl O_NONBLOCK")) }
    guard swiftsql_authd_cloexec(descriptor) == 0 else { return .failure(failure("fcntl FD_CLOEXEC")) }
    return .success(())
  }

  enum Accepted {
    case connection(Int32)
    case none
    /// Out of descriptors or memory: try again later.
    case exhausted(SystemError)
    case failed(SystemError)
  }

  /// `accept4(2)`: a non-blocking, close-on-exec connection.
  static func accept(_ listener: Int32) -> Accepted {
    while true {
      let descriptor = swiftsql_authd_accept(listener)
      if descriptor >= 0 { return .connection(descriptor) }
      switch swiftsql_authd_errno() {
      case EINTR: continue
      case EAGAIN, ECONNABORTED: return .none
      case EMFILE, ENFILE, ENOBUFS, ENOMEM: return .exhausted(failure("accept"))
      default: return .failed(failure("accept"))
      }
    }
  }

  /// `close(2)`.
  static func close(_ descriptor: Int32) {
    _ = CServe.close(descriptor)
  }

  // MARK: - Files

  /// `unlink(2)`.
  static func remove(_ path: String) -> Result<Void, SystemError> {
    unlink(path) == 0 ? .success(()) : .failure(failure("unlink \(path)"))
  }

  /// `chmod(2)`.
  static func changeMode(_ path: String, _ mode: UInt32) -> Result<Void, SystemError> {
    chmod(path, mode_t(mode)) == 0 ? .success(()) : .failure(failure("chmod \(path)"))
  }

  /// `mkdir(2)`, then owner, group and mode set through the directory
  /// itself (open O_NOFOLLOW, fchown, fchmod), so a path swapped for a link
  /// meanwhile is not followed.
  static func makeDirectory(_ path: String, mode: UInt32, owner: UInt32, group: UInt32) -> Result<Void, SystemError> {
    if mkdir(path, mode_t(0o700)) != 0 { return .failure(failure("mkdir \(path)")) }
    let descriptor = swiftsql_authd_open_directory(path)
    guard descriptor >= 0 else { return .failure(failure("open \(path)")) }
    defer { close(descriptor) }
    if fchown(descriptor, owner, group) != 0 { return .failure(failure("chown \(path)")) }
    if fchmod(descriptor, mode_t(mode)) != 0 { return .failure(failure("chmod \(path)")) }
    return .success(())
  }

  // MARK: - epoll, eventfd, signalfd

  /// An epoll instance whose events carry a 64-bit token.
  final class Poller {
    let descriptor: Int32
    private var tokens = [UInt64](repeating: 0, count: 256)
    private var events = [UInt32](repeating: 0, count: 256)

    static let readable = UInt32(EPOLLIN.rawValue)
    static let writable = UInt32(EPOLLOUT.rawValue)
    static let hangUp = UInt32(EPOLLHUP.rawValue) | UInt32(EPOLLERR.rawValue)

    init() throws(SystemError) {
      descriptor = epoll_create1(Int32(EPOLL_CLOEXEC))
      guard descriptor >= 0 else { throw ServeSystem.failure("epoll_create1") }
    }

    deinit { CServe.close(descriptor) }

    /// `epoll_ctl(2)` ADD.
    func add(_ fd: Int32, events: UInt32, token: UInt64) -> Result<Void, SystemError> {
      swiftsql_authd_epoll_ctl(descriptor, EPOLL_CTL_ADD, fd, events, token) == 0
        ? .success(()) : .failure(ServeSystem.failure("epoll_ctl ADD"))
    }

    /// `epoll_ctl(2)` MOD.
    func modify(_ fd: Int32, events: UInt32, token: UInt64) {
      _ = swiftsql_authd_epoll_ctl(descriptor, EPOLL_CTL_MOD, fd, events, token)
    }

    /// `epoll_ctl(2)` DEL.
    func remove(_ fd: Int32) {
      _ = swiftsql_authd_epoll_ctl(descriptor, EPOLL_CTL_DEL, fd, 0, 0)
    }

    /// `epoll_wait(2)`: up to 256 ready (token, events) pairs; none on
    /// timeout or EINTR.
    func wait(milliseconds: Int32) -> [(token: UInt64, events: UInt32)] {
      let count = tokens.withUnsafeMutableBufferPointer { tokenBuffer in
        events.withUnsafeMutableBufferPointer { eventBuffer in
          swiftsql_authd_epoll_wait(
            descriptor, tokenBuffer.baseAddress, eventBuffer.baseAddress, Int32(tokenBuffer.count), milliseconds)
        }
      }
      guard count > 0 else { return [] }
      return (0..<Int(count)).map { (tokens[$0], events[$0]) }
    }
  }

  /// An eventfd(2): other threads wake the event loop through it.
  final class Wakeup: @unchecked Sendable {
    let descriptor: Int32

    init() throws(SystemError) {
      descriptor = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
      guard descriptor >= 0 else { throw ServeSystem.failure("eventfd") }
    }

    deinit { CServe.close(descriptor) }

    func signal() {
      var one: UInt64 = 1
      _ = withUnsafeBytes(of: &one) { CServe.write(descriptor, $0.baseAddress, 8) }
    }

    func drain() {
      var value: UInt64 = 0
      _ = withUnsafeMutableBytes(of: &value) { CServe.read(descriptor, $0.baseAddress, 8) }
    }
  }

  /// Blocks SIGHUP, SIGTERM and SIGINT (before any thread starts, so every
  /// thread has them blocked), ignores SIGPIPE, and returns a signalfd(2)
  /// that reads them.
  static func signalDescriptor() -> Result<Int32, SystemError> {
    let descriptor = swiftsql_authd_signal_descriptor()
    return descriptor >= 0 ? .success(descriptor) : .failure(failure("signalfd"))
  }

  /// The signals waiting on that descriptor.
  static func pendingSignals(_ descriptor: Int32) -> [Int32] {
    var signals: [Int32] = []
    while true {
      let signal = swiftsql_authd_read_signal(descriptor)
      if signal <= 0 { return signals }
      signals.append(signal)
    }
  }

  static let hangUpSignal = SIGHUP
  static let terminateSignal = SIGTERM
  static let interruptSignal = SIGINT

  // MARK: - Threads

  /// A pthread running `body`.
  final class Thread {
    private var handle = pthread_t()

    private final class Box {
      let body: () -> Void
      init(_ body: @escaping () -> Void) { self.body = body }
    }

    init(_ body: @escaping () -> Void) throws(SystemError) {
      let box = Unmanaged.passRetained(Box(body)).toOpaque()
      let result = pthread_create(
        &handle, nil,
        { argument in
          guard let argument else { return nil }
          Unmanaged<Box>.fromOpaque(argument).takeRetainedValue().body()
          return nil
        }, box)
      if result != 0 {
        Unmanaged<Box>.fromOpaque(box).release()
        throw SystemError(call: "pthread_create", errno: result)
      }
    }

    /// `pthread_join(3)`.
    func join() {
      _ = pthread_join(handle, nil)
    }
  }

  /// A mutex with a condition variable on the monotonic clock.
  final class Monitor: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
      mutex.initialize(to: pthread_mutex_t())
      pthread_mutex_init(mutex, nil)
      condition.initialize(to: pthread_cond_t())
      var attributes = pthread_condattr_t()
      pthread_condattr_init(&attributes)
      pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
      pthread_cond_init(condition, &attributes)
      pthread_condattr_destroy(&attributes)
    }

    deinit {
      pthread_cond_destroy(condition)
      pthread_mutex_destroy(mutex)
      condition.deallocate()
      mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    /// Runs `body` holding the mutex.
    func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
      pthread_mutex_lock(mutex)
      defer { pthread_mutex_unlock(mutex) }
      return try body()
    }

    /// `pthread_cond_wait(3)`; the mutex must be held.
    func wait() { pthread_cond_wait(condition, mutex) }

    /// `pthread_cond_timedwait(3)` until `deadline`; false when it passed.
    func wait(until deadline: Deadline) -> Bool {
      var spec = timespec(
        tv_sec: Int(deadline.nanoseconds / 1_000_000_000), tv_nsec: Int(deadline.nanoseconds % 1_000_000_000))
      return pthread_cond_timedwait(condition, mutex, &spec) != ETIMEDOUT
    }

    func signal() { pthread_cond_signal(condition) }
    func broadcast() { pthread_cond_broadcast(condition) }
  }

  /// The CPUs this process may run on.
  static func processors() -> Int { Int(swiftsql_authd_processors()) }

  // MARK: - Users, groups, privileges

  struct Identity: Equatable {
    let user: UInt32
    let group: UInt32
  }

  /// `getpwnam_r(3)`: the user's uid and primary gid; nil when unknown.
  static func user(named name: String) -> Result<Identity?, SystemError> {
    var uid = uid_t()
    var gid = gid_t()
    let result = swiftsql_authd_user(name, &uid, &gid)
    if result == ENOENT { return .success(nil) }
    if result != 0 { return .failure(SystemError(call: "getpwnam \(name)", errno: result)) }
    return .success(Identity(user: uid, group: gid))
  }

  /// `getpwuid_r(3)`: the name of a uid, or its number.
  static func userName(_ uid: UInt32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    let result = buffer.withUnsafeMutableBufferPointer { swiftsql_authd_user_name(uid, $0.baseAddress, 256) }
    guard result == 0 else { return String(uid) }
    return buffer.withUnsafeBufferPointer { pointer in
      pointer.baseAddress.map { String(cString: $0) } ?? String(uid)
    }
  }

  /// `getgrnam_r(3)`: the gid; nil when unknown.
  static func group(named name: String) -> Result<UInt32?, SystemError> {
    var gid = gid_t()
    let result = swiftsql_authd_group(name, &gid)
    if result == ENOENT { return .success(nil) }
    if result != 0 { return .failure(SystemError(call: "getgrnam \(name)", errno: result)) }
    return .success(gid)
  }

  /// Real and effective uid and gid.
  static func ids() -> (uid: UInt32, euid: UInt32, gid: UInt32, egid: UInt32) {
    (getuid(), geteuid(), getgid(), getegid())
  }

  /// Becomes `identity` for good: no supplementary groups (`setgroups(2)`
  /// with none), `setgid(2)`, `setuid(2)`; then checks that root cannot
  /// be regained.
  static func become(_ identity: Identity) -> Result<Void, SystemError> {
    if setgroups(0, nil) != 0 { return .failure(failure("setgroups")) }
    if setgid(identity.group) != 0 { return .failure(failure("setgid \(identity.group)")) }
    if setuid(identity.user) != 0 { return .failure(failure("setuid \(identity.user)")) }
    if setuid(0) == 0 || seteuid(0) == 0 { return .failure(SystemError(call: "setuid: root regained", errno: EPERM)) }
    return .success(())
  }

  /// prctl(2): no new privileges through exec (setuid binaries, file
  /// capabilities), and no core dumps or ptrace by the same user (the
  /// process holds passwords while it checks them).
  static func lockDown() -> Result<Void, SystemError> {
    if swiftsql_authd_prctl(PR_SET_NO_NEW_PRIVS, 1) != 0 { return .failure(failure("prctl PR_SET_NO_NEW_PRIVS")) }
    if swiftsql_authd_prctl(PR_SET_DUMPABLE, 0) != 0 { return .failure(failure("prctl PR_SET_DUMPABLE")) }
    return .success(())
  }

  /// Raises the soft limit of open files to the hard one: every client
  /// connection is a descriptor. Returns the limit in force.
  static func raiseFileLimit() -> UInt64 {
    var limit = rlimit()
    let resource = Int32(RLIMIT_NOFILE.rawValue)
    guard getrlimit(resource, &limit) == 0 else { return 1024 }
    if limit.rlim_cur < limit.rlim_max {
      var raised = limit
      raised.rlim_cur = limit.rlim_max
      if setrlimit(resource, &raised) == 0 { return UInt64(raised.rlim_cur) }
    }
    return UInt64(limit.rlim_cur)
  }

  // MARK: - Process

  static func processID() -> Int32 { getpid() }

  /// `getenv(3)`.
  static func environment(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    return String(cString: value)
  }

  /// `unsetenv(3)`.
  static func unsetEnvironment(_ name: String) { unsetenv(name) }

  /// Detaches from the terminal: `fork(2)` (the parent exits at once),
  /// `setsid(2)`, standard streams to /dev/null. Before any thread starts.
  static func detach() -> Result<Void, SystemError> {
    let child = fork()
    if child < 0 { return .failure(failure("fork")) }
    if child > 0 { _exit(0) }
    if setsid() < 0 { return .failure(failure("setsid")) }
    let null = swiftsql_authd_open_null()
    if null >= 0 {
      for stream in Int32(0)...2 { dup2(null, stream) }
      if null > 2 { CServe.close(null) }
    }
    return .success(())
  }

  /// `exit(3)`.
  static func exit(_ status: Int32) -> Never { CServe.exit(status) }

  // MARK: - Logging

  /// `openlog(3)`: facility authpriv, with the pid, connected at once (so
  /// that /dev/log is reached before privileges are dropped).
  static func openSyslog() {
    openlog("swiftsql-authd", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV)
  }

  enum Priority {
    case error, warning, notice, info, debug

    var value: Int32 {
      switch self {
      case .error: LOG_ERR
      case .warning: LOG_WARNING
      case .notice: LOG_NOTICE
      case .info: LOG_INFO
      case .debug: LOG_DEBUG
      }
    }
  }

  /// `syslog(3)`, the message as data.
  static func syslog(_ priority: Priority, _ message: String) {
    swiftsql_authd_syslog(priority.value, message)
  }

  /// Writes text to standard output or standard error as it is.
  static func write(_ text: String, toStandardError: Bool) {
    System.write(text, to: toStandardError ? 2 : 1)
  }
}
