// Running programs from the integration tests: a command with arguments,
// optional standard input and environment, a time limit after which it is
// killed, and its exit status, standard output and standard error.
//
// Built on posix_spawn and waitpid rather than Foundation's Process: every
// pipe is close-on-exec, so a daemon one test starts never inherits another
// test's pipes, and waiting for one child never depends on SIGCHLD handling.

import Foundation
import Testing

struct RunResult {
  let status: Int32
  let stdout: String
  let stderr: String
  /// Wall-clock seconds the program ran.
  let seconds: Double

  var lines: [String] { stdout.split(separator: "\n").map(String.init) }
}

struct RunError: Error, CustomStringConvertible {
  let description: String
}

/// A started child process with close-on-exec channels to its standard
/// streams (nil where the stream is /dev/null).
final class ChildProcess {
  let processID: pid_t
  /// nil once closed (closeInput), so it is never closed twice: a second
  /// close could hit a descriptor number another test reuses meanwhile.
  private(set) var input: Int32?
  let output: Int32?
  let errors: Int32?

  /// Starts `arguments[0]` (a path, or a name found in PATH).
  init(
    _ arguments: [String], environment: [String: String]? = nil, pipeInput: Bool, pipeOutput: Bool,
    pipeErrors: Bool
  ) throws {
    let executable = try resolveExecutable(arguments[0])
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    var parentEnds: [Int32?] = [nil, nil, nil]
    var childEnds: [Int32] = []
    for (stream, wanted) in [(0, pipeInput), (1, pipeOutput), (2, pipeErrors)] {
      if !wanted {
        posix_spawn_file_actions_addopen(&actions, Int32(stream), "/dev/null", stream == 0 ? O_RDONLY : O_WRONLY, 0)
        continue
      }
      // A socket pair is created close-on-exec atomically (pipe2 is not
      // exported to Swift), so no concurrently spawned child inherits it.
      var ends: [Int32] = [0, 0]
      guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
        throw RunError(description: "socketpair failed")
      }
      let (parent, child) = (ends[0], ends[1])
      parentEnds[stream] = parent
      childEnds.append(child)
      posix_spawn_file_actions_adddup2(&actions, child, Int32(stream))
    }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    var defaults = sigset_t()
    sigfillset(&defaults)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let environmentList = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
    var pid: pid_t = 0
    let spawned = withCStrings(arguments) { argv in
      withCStrings(environmentList) { envp in
        posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
      }
    }
    for end in childEnds { close(end) }
    guard spawned == 0 else {
      for end in parentEnds.compactMap({ $0 }) { close(end) }
      throw RunError(description: "cannot start \(executable): \(String(cString: strerror(spawned)))")
    }
    processID = pid
    input = parentEnds[0]
    output = parentEnds[1]
    errors = parentEnds[2]
  }

  deinit {
    for end in [input, output, errors].compactMap({ $0 }) { close(end) }
  }

  /// Closes the child's standard input: it reads end-of-file.
  func closeInput() {
    if let input { close(input) }
    input = nil
  }

  /// Writes all of `text` to the child's standard input.
  func write(_ text: String) {
    guard let input else { return }
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
      let written = bytes.withUnsafeBytes { Glibc.write(input, $0.baseAddress, $0.count) }
      if written < 0 && errno == EINTR { continue }
      if written <= 0 { return }
      bytes = bytes.dropFirst(written)
    }
  }

  /// Waits for the child to end; its exit status (128 + signal if killed).
  func wait() -> Int32 {
    var status: Int32 = 0
    while waitpid(processID, &status, 0) < 0 && errno == EINTR {}
    if status & 0x7F == 0 { return (status >> 8) & 0xFF }
    return 128 + (status & 0x7F)
  }
}

/// `strings` as a NULL-terminated array of C strings, for argv and envp.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
  let copies = strings.map { strdup($0) } + [nil]
  defer { for copy in copies { free(copy) } }
  return body(copies)
}

private func now() -> Double {
  var spec = timespec()
  clock_gettime(CLOCK_MONOTONIC, &spec)
  return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// Runs a program to completion.
@discardableResult
func run(
  _ arguments: [String], input: String? = nil, environment: [String: String]? = nil,
  timeout: Double = 120, check: Bool = false
) throws -> RunResult {
  let started = now()
  let child = try ChildProcess(
    arguments, environment: environment, pipeInput: input != nil, pipeOutput: true, pipeErrors: true)
  if let input {
    child.write(input)
    child.closeInput()
  }
  var collected: [Int32: [UInt8]] = [:]
  var open = [child.output, child.errors].compactMap { $0 }
  var buffer = [UInt8](repeating: 0, count: 65536)
  var killed = false
  while !open.isEmpty {
    var entries = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
    let remaining = started + timeout - now()
    if remaining <= 0 {
      kill(child.processID, SIGKILL)
      killed = true
      break
    }
    let ready = poll(&entries, nfds_t(entries.count), Int32(min(remaining, 1) * 1000) + 1)
    if ready < 0 && errno != EINTR { break }
    for entry in entries where entry.revents != 0 {
      let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
      if count > 0 {
        collected[entry.fd, default: []].append(contentsOf: buffer[0..<count])
      } else if count == 0 || errno != EINTR {
        open.removeAll { $0 == entry.fd }
      }
    }
  }
  let status = child.wait()
  let result = RunResult(
    status: status,
    stdout: String(decoding: collected[child.output ?? -1] ?? [], as: UTF8.self),
    stderr: String(decoding: collected[child.errors ?? -1] ?? [], as: UTF8.self),
    seconds: now() - started)
  if killed {
    throw RunError(description: "\(arguments.joined(separator: " ")) ran longer than \(timeout) s and was killed")
  }
  if check && result.status != 0 {
    throw RunError(
      description: "\(arguments.joined(separator: " ")) exited \(result.status)\n\(result.stdout)\n\(result.stderr)")
  }
  return result
}

/// The path of `name`, searching PATH and the sbin directories.
func resolveExecutable(_ name: String) throws -> String {
  if name.contains("/") { return name }
  let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/sbin:/usr/bin:/bin"
  for directory in path.split(separator: ":") {
    let candidate = "\(directory)/\(name)"
    if access(candidate, X_OK) == 0 { return candidate }
  }
  throw RunError(description: "\(name) is not installed (run `make check`, which installs the test dependencies)")
}

/// One folder per test run under /tmp, holding every folder the tests
/// make; removed when the run ends. Its atexit handler is registered before
/// any server's, so it runs after them (handlers run in reverse order).
enum TestRun {
  static let root: String = {
    var template = Array("/tmp/swiftsql-run.XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { buffer -> UnsafeMutablePointer<CChar>? in
      guard let base = buffer.baseAddress else { return nil }
      return mkdtemp(base)
    }
    guard let made else { fatalError("mkdtemp /tmp/swiftsql-run failed: \(String(cString: strerror(errno)))") }
    let path = String(cString: made)
    // The postgres user must reach the clusters' folders inside it.
    chmod(path, 0o755)
    removeAtExit = path
    atexit {
      if let path = TestRun.removeAtExit { _ = system("rm -rf '\(path)'") }
    }
    return path
  }()

  nonisolated(unsafe) private static var removeAtExit: String? = nil
}

/// A new private directory for one test, inside the run's folder.
func makeTemporaryDirectory(_ prefix: String) throws -> String {
  var template = Array("\(TestRun.root)/\(prefix).XXXXXX".utf8CString)
  let made = template.withUnsafeMutableBufferPointer { buffer -> UnsafeMutablePointer<CChar>? in
    guard let base = buffer.baseAddress else { return nil }
    return mkdtemp(base)
  }
  guard let result = made else {
    throw RunError(description: "mkdtemp failed: \(String(cString: strerror(errno)))")
  }
  return String(cString: result)
}

func removeTemporaryDirectory(_ path: String) {
  guard path.hasPrefix(TestRun.root + "/") else { return }
  try? FileManager.default.removeItem(atPath: path)
}

func writeFile(_ path: String, _ contents: String, mode: Int = 0o644) throws {
  try contents.write(toFile: path, atomically: true, encoding: .utf8)
  try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
}

/// A short random tag, for names that must not collide between tests.
func uniqueTag() -> String {
  String(UInt32.random(in: 0..<UInt32.max), radix: 36)
}

/// Waits until `condition` holds, or fails after `seconds`.
func waitUntil(_ what: String, seconds: Double = 10, _ condition: () throws -> Bool) throws {
  let deadline = now() + seconds
  while now() < deadline {
    if try condition() { return }
    usleep(20_000)
  }
  throw RunError(description: "timed out after \(seconds) s waiting for \(what)")
}

/// A program run to completion on a thread of its own, while the test does
/// something else; `result()` waits for it.
final class BackgroundRun: @unchecked Sendable {
  private let done = DispatchSemaphore(value: 0)
  private var outcome: Result<RunResult, Error> = .failure(RunError(description: "not run"))

  init(_ arguments: [String], timeout: Double = 120) {
    Thread {
      self.outcome = Result { try run(arguments, timeout: timeout) }
      self.done.signal()
    }.start()
  }

  func result() throws -> RunResult {
    done.wait()
    return try outcome.get()
  }
}

/// Sends SIGSTOP to `pid` and waits until every thread of it has stopped:
/// kill(2) returns before a many-threaded server (mariadbd) is still, and a
/// thread may yet answer a query meanwhile.
func freeze(_ pid: pid_t) throws {
  kill(pid, SIGSTOP)
  try waitUntil("every thread of process \(pid) to stop", seconds: 10) {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    return !tasks.isEmpty
      && tasks.allSatisfy { task in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")")
        else { return true }  // gone
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1)
        return state == "T" || state == "t"
      }
  }
}
