// The ways a PostgreSQL server goes away, done to a private cluster by the
// failover tests: killed outright (SIGKILL to the postmaster and every child,
// as a crash or the OOM killer would), frozen and thawed (SIGSTOP/SIGCONT),
// its unix socket removed and put back (a hard link keeps the listening
// socket's inode meanwhile, so the same server becomes reachable again), and
// the module's sessions ended from the server side (pg_terminate_backend),
// which makes each client reconnect on its next query.

import Foundation
import Testing

extension PostgresCluster {
  /// The server's unix socket.
  var socketPath: String { "\(socketDirectory)/.s.PGSQL.\(port)" }

  /// The postmaster and its children (backends and auxiliary processes),
  /// the postmaster stopped (SIGSTOP) first: under load it forks a backend
  /// for every new connection, and one forked after the list was made would
  /// escape a kill or a freeze. A backend left alive after a kill holds
  /// the old shared memory, and the restarted server refuses to start.
  /// postmaster.pid outlives a killed server, and its pid may then be any
  /// process's: it must still be a postgres on this data directory.
  private func stoppedServerProcesses() throws -> [pid_t] {
    let postmaster = try serverProcessID()
    guard Saslauthd.processes().contains(where: { $0.pid == postmaster && $0.arguments.contains(dataDirectory) })
    else { throw RunError(description: "the server of \(dataDirectory) is not running (postmaster.pid is stale)") }
    Glibc.kill(postmaster, SIGSTOP)
    return [postmaster] + Saslauthd.processes().filter { $0.parent == postmaster }.map { $0.pid }
  }

  /// SIGKILL to every process of the server at once; returns when all are
  /// gone. postmaster.pid and the socket file stay behind, as after a crash.
  func kill() throws {
    let processes = try stoppedServerProcesses()
    for pid in processes { Glibc.kill(pid, SIGKILL) }
    try waitUntil("the killed server's processes to exit") {
      processes.allSatisfy { !Saslauthd.isAlive($0) }
    }
  }

  /// SIGSTOP to every process of the server; returns what to thaw.
  func freeze() throws -> [pid_t] {
    let processes = try stoppedServerProcesses()
    for pid in processes { Glibc.kill(pid, SIGSTOP) }
    return processes
  }

  /// SIGCONT to what `freeze` stopped.
  static func thaw(_ processes: [pid_t]) {
    for pid in processes { Glibc.kill(pid, SIGCONT) }
  }

  /// Where `removeSocket` keeps a hard link to the socket, under the name
  /// libpq expects, so that the tests (and only they) can still reach the
  /// server with `sql(_:throughKeptSocket:)`.
  private var keptSocketDirectory: String { "\(socketDirectory)/kept" }

  /// Removes the socket file: new connections fail (ENOENT), established
  /// ones go on. `restoreSocket` puts the same socket back.
  func removeSocket() throws {
    mkdir(keptSocketDirectory, 0o755)
    let kept = "\(keptSocketDirectory)/.s.PGSQL.\(port)"
    guard link(socketPath, kept) == 0, unlink(socketPath) == 0 else {
      throw RunError(description: "cannot move \(socketPath) away: \(String(cString: strerror(errno)))")
    }
  }

  func restoreSocket() throws {
    let kept = "\(keptSocketDirectory)/.s.PGSQL.\(port)"
    guard link(kept, socketPath) == 0, unlink(kept) == 0 else {
      throw RunError(description: "cannot put \(socketPath) back: \(String(cString: strerror(errno)))")
    }
  }

  /// Runs SQL as the superuser, through the socket's usual place or, while
  /// it is removed, through the kept link.
  @discardableResult
  func sql(_ statement: String, throughKeptSocket: Bool) throws -> String {
    guard throughKeptSocket else { return try sql(statement) }
    let result = try run(
      [
        "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", keptSocketDirectory, "-p", String(port),
        "-U", "postgres", "-d", "mail", "-c", statement,
      ], check: true)
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// Ends every session of the module's role from the server side.
  func terminateModuleSessions(throughKeptSocket: Bool = false) throws {
    try sql(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = 'mailauth'",
      throughKeptSocket: throughKeptSocket)
  }

  /// How many sessions the module's role has open now.
  func moduleSessions(throughKeptSocket: Bool = false) throws -> Int {
    Int(
      try sql("SELECT count(*) FROM pg_stat_activity WHERE usename = 'mailauth'", throughKeptSocket: throughKeptSocket))
      ?? -1
  }
}
