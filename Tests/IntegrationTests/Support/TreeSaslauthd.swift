// A live saslauthd for a doctor tree: Debian's real daemon with the PAM
// mechanism, its -m directory inside the tree's Postfix chroot (so the
// tree's socket is the live one), started in its own session like
// `Saslauthd`. Its real processes are copied into the tree's /proc, with
// the tree's prefix taken off the paths, which is what the process list of
// the system the tree stands for would show.

import Foundation
import Testing

final class TreeSaslauthd {
  let tree: DoctorTree
  let runDirectory: String
  var socket: String { "\(runDirectory)/mux" }
  private(set) var processID: pid_t = 0

  init(tree: DoctorTree, keepRealm: Bool, extra: [String] = []) throws {
    self.tree = tree
    runDirectory = tree.path(DoctorTree.runDirectory)
    try? FileManager.default.removeItem(atPath: "\(runDirectory)/mux")
    let options = ["-a", "pam"] + (keepRealm ? ["-r"] : []) + extra + ["-m", runDirectory, "-n", "2", "-d"]
    let command =
      "setsid -f \(try resolveExecutable("saslauthd")) \(options.joined(separator: " ")) "
      + ">\(tree.directory)/saslauthd.log 2>&1 </dev/null"
    try run(["sh", "-c", command], check: true)
    do {
      try waitUntil("saslauthd's socket \(socket)") { FileManager.default.fileExists(atPath: socket) }
      try waitUntil("saslauthd's process") {
        processID =
          Saslauthd.processes().first { $0.arguments.contains(runDirectory) && $0.parent == 1 }?.pid ?? 0
        return processID > 0
      }
      try waitUntil("2 saslauthd processes") { workerIDs().count >= 2 }
      try copyProcessList()
    } catch {
      stop()
      throw error
    }
  }

  func workerIDs() -> [pid_t] {
    [processID] + Saslauthd.processes().filter { $0.parent == processID }.map { $0.pid }
  }

  /// Writes the daemon's processes into the tree's /proc.
  func copyProcessList() throws {
    let processes = Saslauthd.processes().filter { workerIDs().contains($0.pid) }
    guard let first = processes.first else { throw RunError(description: "saslauthd has no processes") }
    let commandLine = first.arguments.map { SystemPath.inside(tree.root, $0) }
    try tree.setProcesses(commandLine, pids: processes.map { Int($0.pid) })
  }

  /// Stops the daemon, if it still runs (see Saslauthd.stop).
  func stop() {
    Saslauthd.stop(runDirectory: runDirectory, master: processID)
    processID = 0
  }
}
