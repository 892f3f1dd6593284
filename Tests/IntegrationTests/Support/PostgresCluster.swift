// A private PostgreSQL cluster for the tests: `initdb` into a temporary
// folder (as the postgres user, since initdb refuses root), a unix socket in
// that folder and no TCP at all, started and stopped with pg_ctl. Connection
// logging is on, so tests can count the connections the module opens.

import Foundation
import Testing

final class PostgresCluster: @unchecked Sendable {
  static let binaries = "/usr/lib/postgresql/15/bin"

  let directory: String
  let port: Int
  var socketDirectory: String { directory }
  var dataDirectory: String { "\(directory)/data" }
  var logFile: String { "\(directory)/server.log" }

  /// The cluster most tests share; started once, stopped at exit.
  static func shared() throws -> PostgresCluster {
    sharedLock.lock()
    defer { sharedLock.unlock() }
    if let sharedCluster { return sharedCluster }
    let cluster = try PostgresCluster()
    try cluster.createMailDatabase()
    sharedCluster = cluster
    sharedStopCommand = cluster.stopCommand
    atexit {
      if let command = PostgresCluster.sharedStopCommand { _ = system(command) }
    }
    return cluster
  }

  private static let sharedLock = NSLock()
  nonisolated(unsafe) private static var sharedCluster: PostgresCluster? = nil
  nonisolated(unsafe) private static var sharedStopCommand: String? = nil

  /// Whether every statement is logged as it arrives (log_statement=all),
  /// with the values bound to it, instead of with its duration.
  let logsStatements: Bool

  /// Creates and starts a new cluster.
  init(logsStatements: Bool = false) throws {
    self.logsStatements = logsStatements
    try Project.requireRoot()
    directory = try makeTemporaryDirectory("swiftsql-pg")
    port = Int.random(in: 20000...60000)
    try run(["chown", "postgres:postgres", directory], check: true)
    try run(
      [
        "runuser", "-u", "postgres", "--", "\(PostgresCluster.binaries)/initdb", "-D", dataDirectory,
        "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--locale=C.UTF-8",
      ], check: true)
    try start()
  }

  /// Options for the server: no TCP, the socket in our folder, every
  /// connection and statement logged.
  private var serverOptions: String {
    "-c listen_addresses='' -c unix_socket_directories='\(directory)' -p \(port) -c fsync=off "
      + "-c log_connections=on "
      + (logsStatements ? "-c log_statement=all -c log_parameter_max_length=-1" : "-c log_min_duration_statement=0")
  }

  func start() throws {
    try run(
      [
        "runuser", "-u", "postgres", "--", "\(PostgresCluster.binaries)/pg_ctl", "-D", dataDirectory,
        "-l", logFile, "-o", serverOptions, "-w", "-t", "30", "start",
      ], check: true)
  }

  func stop() throws {
    try run(
      [
        "runuser", "-u", "postgres", "--", "\(PostgresCluster.binaries)/pg_ctl", "-D", dataDirectory,
        "-m", "fast", "-w", "-t", "30", "stop",
      ], check: true)
  }

  /// The postmaster's pid (for SIGSTOP/SIGCONT).
  func serverProcessID() throws -> pid_t {
    let text = try String(contentsOfFile: "\(dataDirectory)/postmaster.pid", encoding: .utf8)
    guard let first = text.split(separator: "\n").first, let pid = pid_t(first) else {
      throw RunError(description: "cannot read postmaster.pid")
    }
    return pid
  }

  private var stopCommand: String {
    "runuser -u postgres -- \(PostgresCluster.binaries)/pg_ctl -D \(dataDirectory) -m immediate stop "
      + ">/dev/null 2>&1; rm -rf \(directory)"
  }

  /// Stops the server and removes its folder.
  func destroy() {
    _ = try? run(
      [
        "runuser", "-u", "postgres", "--", "\(PostgresCluster.binaries)/pg_ctl", "-D", dataDirectory,
        "-m", "immediate", "-w", "stop",
      ])
    removeTemporaryDirectory(directory)
  }

  /// Runs SQL as the superuser and returns psql's unaligned output.
  @discardableResult
  func sql(_ statement: String, database: String = "mail") throws -> String {
    let result = try run(
      [
        "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", socketDirectory, "-p", String(port),
        "-U", "postgres", "-d", database, "-c", statement,
      ], check: true)
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// The libpq connection string the module uses (role mailauth).
  func connectionString(database: String = "mail") -> String {
    "host=\(socketDirectory) port=\(port) dbname=\(database) user=mailauth"
  }

  /// Creates the database `mail`, the read-only role `mailauth` and the
  /// `users` table the tests fill.
  func createMailDatabase() throws {
    try sql("CREATE DATABASE mail", database: "postgres")
    try sql(
      """
      CREATE ROLE mailauth LOGIN;
      CREATE TABLE users (
        username text NOT NULL, domain text NOT NULL, password text,
        active boolean NOT NULL DEFAULT true, expired boolean NOT NULL DEFAULT false,
        password_expired boolean NOT NULL DEFAULT false,
        PRIMARY KEY (username, domain));
      GRANT SELECT ON users TO mailauth;
      """)
  }

  /// Lines of the server log that contain `text`.
  func logLines(containing text: String) throws -> [String] {
    let log = try String(contentsOfFile: logFile, encoding: .utf8)
    return log.split(separator: "\n").map(String.init).filter { $0.contains(text) }
  }
}
