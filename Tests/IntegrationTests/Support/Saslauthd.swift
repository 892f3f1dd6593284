// A private saslauthd for one test: Debian's real daemon with the PAM
// mechanism, its socket in a temporary folder (-m), started in its own
// session (setsid) because on exit it signals its whole process group.

import Foundation
import Testing

final class Saslauthd: @unchecked Sendable {
  let runDirectory: String
  var socket: String { "\(runDirectory)/mux" }
  var logFile: String { "\(runDirectory)/saslauthd.log" }
  private(set) var processID: pid_t = 0

  /// - Parameters:
  ///   - keepRealm: pass -r, so PAM sees user@realm.
  ///   - workers: -n, the number of pre-forked worker processes.
  ///   - extra: further options, e.g. ["-c"] for the credential cache.
  init(keepRealm: Bool, workers: Int = 2, extra: [String] = []) throws {
    try Project.requireRoot()
    runDirectory = try makeTemporaryDirectory("swiftsql-sasl")
    let options =
      ["-a", "pam"] + (keepRealm ? ["-r"] : []) + ["-m", runDirectory, "-n", String(workers), "-d"] + extra
    let command =
      "setsid -f \(try resolveExecutable("saslauthd")) \(options.joined(separator: " ")) "
      + ">\(logFile) 2>&1 </dev/null"
    try run(["sh", "-c", command], check: true)
    do {
      try waitUntil("saslauthd's socket \(socket)") { FileManager.default.fileExists(atPath: socket) }
      // With -d saslauthd writes no pid file: find it by its run directory.
      try waitUntil("saslauthd's process") {
        processID = Saslauthd.processes().first { $0.arguments.contains(runDirectory) && $0.parent == 1 }?.pid ?? 0
        return processID > 0
      }
      // -n N means N processes in all: the master answers too, beside N-1
      // pre-forked children.
      try waitUntil("\(workers) saslauthd processes") { workerIDs().count >= workers }
    } catch {
      // Never leave a daemon behind a failed start.
      for pid in Saslauthd.processes(of: runDirectory) { kill(pid, SIGKILL) }
      removeTemporaryDirectory(runDirectory)
      throw error
    }
  }

  /// The processes that answer requests: the master and its children.
  func workerIDs() -> [pid_t] {
    [processID] + Saslauthd.processes().filter { $0.parent == processID }.map { $0.pid }
  }

  /// The live processes of the daemon with this -m directory. The daemon
  /// is not our child (setsid -f), so once it is gone its pid may be given
  /// to any other process: signal only pids found here, never a kept one.
  static func processes(of runDirectory: String) -> [pid_t] {
    processes().filter { $0.arguments.contains(runDirectory) && isAlive($0.pid) }.map { $0.pid }
  }

  /// Every process: pid, parent pid and command line.
  static func processes() -> [(pid: pid_t, parent: pid_t, arguments: [String])] {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    return entries.compactMap { entry in
      guard let pid = pid_t(entry),
        let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")"),
        let command = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
      else { return nil }
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      guard fields.count > 1, let parent = pid_t(fields[1]) else { return nil }
      let arguments = command.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
      return (pid, parent, arguments)
    }
  }

  /// Stops the daemon (SIGTERM to the master, SIGKILL after 5 s to what
  /// is left), if it still runs: a test may have killed it.
  func stop() {
    Saslauthd.stop(runDirectory: runDirectory, master: processID)
    removeTemporaryDirectory(runDirectory)
  }

  static func stop(runDirectory: String, master: pid_t) {
    let everyone = processes(of: runDirectory)
    guard !everyone.isEmpty else { return }
    if everyone.contains(master) { kill(master, SIGTERM) }
    if (try? waitUntil("saslauthd to exit", seconds: 5, { everyone.allSatisfy { !isAlive($0) } })) == nil {
      for pid in everyone where isAlive(pid) { kill(pid, SIGKILL) }
    }
  }

  /// Whether `pid` is a live process (not gone, not a zombie).
  static func isAlive(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return false }
    return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
  }

  /// `pam-swiftsql test` against this daemon.
  func ourClient(_ arguments: [String]) throws -> RunResult {
    try run([Project.tool, "test", "-f", socket] + arguments, timeout: 60)
  }

  /// Debian's `testsaslauthd` against this daemon.
  func testsaslauthd(_ arguments: [String]) throws -> RunResult {
    try run(["testsaslauthd", "-f", socket] + arguments, timeout: 60)
  }
}
