// A private MariaDB server for the tests: `mariadb-install-db` into a
// temporary folder, then `mariadbd` as a child of the test process, with no
// TCP at all (--skip-networking), its unix socket, pid file, logs and data in
// that folder, and the grant tables in force (no --skip-grant-tables): the
// module logs in as `mailauth` with a password. The general log records
// every connection and every Prepare and Execute, so tests can count what
// the module did. It can be stopped, started again on the same data, and
// frozen (SIGSTOP) and thawed. The shared server is started once per test
// run and killed at exit; tests that stop or freeze a server make their own.

import Foundation
import Testing

final class MariaDBServer: @unchecked Sendable {
  /// The password of the `mailauth` user the module logs in as.
  static let password = "mail-\(uniqueTag())-Secret"

  let directory: String
  var socket: String { "\(directory)/mysqld.sock" }
  var dataDirectory: String { "\(directory)/data" }
  var pidFile: String { "\(directory)/mysqld.pid" }
  var errorLog: String { "\(directory)/error.log" }
  var generalLog: String { "\(directory)/general.log" }

  /// More mariadbd options (e.g. --ssl-cert=…).
  let extraOptions: [String]
  /// The running mariadbd, our child; 0 while stopped.
  private(set) var processID: pid_t = 0

  /// The server most tests share; started once, killed at exit.
  static func shared() throws -> MariaDBServer {
    sharedLock.lock()
    defer { sharedLock.unlock() }
    if let sharedServer { return sharedServer }
    let server = try MariaDBServer()
    do {
      try server.createMailDatabase()
    } catch {
      server.destroy()
      throw error
    }
    sharedServer = server
    sharedProcessID = server.processID
    atexit {
      // Thawed first, in case a test froze it; its folder goes with the run's.
      if MariaDBServer.sharedProcessID > 0 {
        kill(MariaDBServer.sharedProcessID, SIGCONT)
        kill(MariaDBServer.sharedProcessID, SIGKILL)
        var status: Int32 = 0
        waitpid(MariaDBServer.sharedProcessID, &status, 0)
      }
    }
    return server
  }

  private static let sharedLock = NSLock()
  nonisolated(unsafe) private static var sharedServer: MariaDBServer? = nil
  nonisolated(unsafe) private static var sharedProcessID: pid_t = 0

  /// Creates a data folder and starts a server on it.
  ///
  /// - Parameter extraOptions: more options for mariadbd.
  init(extraOptions: [String] = []) throws {
    try Project.requireRoot()
    self.extraOptions = extraOptions
    directory = try makeTemporaryDirectory("swiftsql-maria")
    do {
      try run(
        [
          "mariadb-install-db", "--no-defaults", "--user=root", "--datadir=\(dataDirectory)",
          "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve",
          "--innodb-log-file-size=4M", "--tmpdir=\(directory)",
        ], timeout: 120, check: true)
      try start()
    } catch {
      removeTemporaryDirectory(directory)
      throw error
    }
  }

  /// The server's options: no TCP, everything in our folder, every
  /// connection and statement in the general log.
  private var serverOptions: [String] {
    [
      "--no-defaults", "--user=root", "--datadir=\(dataDirectory)", "--socket=\(socket)", "--pid-file=\(pidFile)",
      "--skip-networking", "--log-error=\(errorLog)", "--general-log=1", "--general-log-file=\(generalLog)",
      "--skip-name-resolve", "--tmpdir=\(directory)", "--innodb-log-file-size=4M", "--innodb-buffer-pool-size=16M",
      "--skip-log-bin",
    ] + extraOptions
  }

  /// Starts mariadbd and waits until it answers.
  func start() throws {
    guard processID == 0 else { throw RunError(description: "the MariaDB server is already running") }
    let executable = try resolveExecutable("mariadbd")
    let child = try ChildProcess(
      [executable] + serverOptions, pipeInput: false, pipeOutput: false, pipeErrors: false)
    processID = child.processID
    do {
      try waitUntil("mariadbd to accept connections on \(socket)", seconds: 30) {
        guard isRunning else {
          throw RunError(description: "mariadbd exited while starting: \(tail(of: errorLog))")
        }
        guard FileManager.default.fileExists(atPath: socket) else { return false }
        return try run(["mariadb-admin", "--no-defaults", "-S", socket, "-u", "root", "ping"], timeout: 10).status
          == 0
      }
    } catch {
      kill(processID, SIGKILL)
      reap(waiting: true)
      throw error
    }
  }

  /// Shuts the server down (SIGTERM) and waits until it has exited.
  func stop() throws {
    guard processID > 0 else { return }
    kill(processID, SIGCONT)
    kill(processID, SIGTERM)
    do {
      try waitUntil("mariadbd to exit", seconds: 30) { !isRunning }
    } catch {
      kill(processID, SIGKILL)
      reap(waiting: true)
      throw error
    }
  }

  /// Stops the server and starts it again on the same data: every
  /// connection it had is gone.
  func restart() throws {
    try stop()
    try start()
  }

  /// Stops the server and removes its folder.
  func destroy() {
    if processID > 0 {
      kill(processID, SIGCONT)
      kill(processID, SIGKILL)
      reap(waiting: true)
    }
    removeTemporaryDirectory(directory)
  }

  /// Whether our mariadbd is still running (reaps it once it has exited).
  var isRunning: Bool {
    guard processID > 0 else { return false }
    reap(waiting: false)
    return processID > 0
  }

  /// waitpid on our child; forgets its pid once it has exited.
  private func reap(waiting: Bool) {
    guard processID > 0 else { return }
    var status: Int32 = 0
    let result = waitpid(processID, &status, waiting ? 0 : WNOHANG)
    if result == processID || (result < 0 && errno == ECHILD) { processID = 0 }
  }

  /// The server process, for SIGSTOP and SIGCONT.
  func serverProcessID() throws -> pid_t {
    guard processID > 0 else { throw RunError(description: "the MariaDB server is not running") }
    return processID
  }

  /// Runs SQL as root (without backslash escapes, so that standard SQL
  /// quoting as Accounts.quoted writes it is exact) and returns the
  /// tab-separated rows, without column names.
  @discardableResult
  func sql(_ statements: String, database: String = "mail") throws -> String {
    let result = try run(
      ["mariadb", "--no-defaults", "-S", socket, "-u", "root", "-N", "-B", database],
      input: "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES');\n" + statements + "\n",
      timeout: 60, check: true)
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// The module's `connect` value for this server.
  func connectionString(database: String = "mail") -> String {
    "socket=\(socket) user=mailauth password=\(MariaDBServer.password) dbname=\(database)"
  }

  /// Creates the database `mail`: see `createMailDatabase(_:)`.
  func createMailDatabase() throws { try createMailDatabase("mail") }

  /// Creates the database `name`, its `users` table, and the user
  /// `mailauth` (once per server) with SELECT on the table and UPDATE on
  /// its password column only.
  func createMailDatabase(_ name: String) throws {
    let user = "'mailauth'@'localhost'"
    try sql(
      """
      CREATE USER IF NOT EXISTS \(user) IDENTIFIED BY '\(MariaDBServer.password)';
      CREATE DATABASE \(name) CHARACTER SET utf8mb4;
      CREATE TABLE \(name).users (
        username VARCHAR(255) NOT NULL, domain VARCHAR(255) NOT NULL, password TEXT,
        active BOOLEAN NOT NULL DEFAULT TRUE, expired BOOLEAN NOT NULL DEFAULT FALSE,
        password_expired BOOLEAN NOT NULL DEFAULT FALSE,
        PRIMARY KEY (username, domain)) CHARACTER SET utf8mb4;
      GRANT SELECT ON \(name).users TO \(user);
      GRANT UPDATE (password) ON \(name).users TO \(user);
      """, database: "mysql")
  }

  /// Lines of the general log that contain `text`.
  func logLines(containing text: String) throws -> [String] {
    let log = try String(contentsOfFile: generalLog, encoding: .utf8)
    return log.split(separator: "\n").map(String.init).filter { $0.contains(text) }
  }

  /// The connections `mailauth` opened, from the general log.
  func moduleConnections() throws -> [String] {
    try logLines(containing: "Connect\tmailauth@localhost")
  }

  /// The server's count of connection attempts (SHOW GLOBAL STATUS); each
  /// call of `sql` adds one.
  func connectionCount() throws -> Int {
    let line = try sql("SHOW GLOBAL STATUS LIKE 'Connections'")
    guard let value = line.split(separator: "\t").last, let count = Int(value) else {
      throw RunError(description: "unexpected SHOW GLOBAL STATUS output: \(line)")
    }
    return count
  }

  /// The connections of `mailauth` open now (information_schema).
  func liveModuleConnections() throws -> Int {
    let text = try sql("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'mailauth'")
    guard let count = Int(text) else { throw RunError(description: "unexpected PROCESSLIST count: \(text)") }
    return count
  }
}

/// The last lines of a log file, for error messages.
private func tail(of path: String) -> String {
  guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "(no \(path))" }
  return text.split(separator: "\n").suffix(5).joined(separator: "\n")
}
