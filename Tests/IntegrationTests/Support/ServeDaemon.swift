// A private swiftsql-authd for one test: build/swiftsql-authd started as
// root in the foreground, with its configuration, sockets and log
// (--log-stderr, into a file) in a temporary folder, serving as nobody,
// the way the unit and the init script start it. Stopped with SIGTERM (its
// exit status is kept), or killed; a test may also send it SIGHUP.

import Foundation
import Testing

final class ServeDaemon: @unchecked Sendable {
  let directory: String
  let configPath: String
  var runDirectory: String { "\(directory)/run" }
  var socket: String { "\(runDirectory)/mux" }
  var dovecotSocket: String { "\(runDirectory)/auth-client" }
  var statusSocket: String { "\(runDirectory)/status" }
  var logFile: String { "\(directory)/daemon.log" }
  let user: String
  private(set) var process: ChildProcess
  private let arguments: [String]
  private(set) var exitStatus: Int32? = nil

  static var binary: String { "\(Project.buildDirectory)/swiftsql-authd" }

  /// - Parameters:
  ///   - config: the login configuration's text (written 0644, root's).
  ///   - arguments: more options, e.g. ["--failure-delay", "0"].
  ///   - user: whom it serves as.
  init(config: String, arguments: [String] = [], user: String = "nobody") throws {
    try Project.requireRoot()
    guard FileManager.default.isExecutableFile(atPath: ServeDaemon.binary) else {
      throw RunError(description: "\(ServeDaemon.binary) is missing: run `make` (or `make check`) first")
    }
    directory = try makeTemporaryDirectory("swiftsql-serve")
    chmod(directory, 0o755)
    configPath = "\(directory)/pam_swiftsql.conf"
    self.user = user
    try ServeDaemon.writeConfig(config, to: configPath)
    self.arguments =
      [
        "--config", configPath, "--socket", "\(directory)/run/mux", "--dovecot-socket",
        "\(directory)/run/auth-client", "--status-socket", "\(directory)/run/status", "--user", user,
        "--socket-group", "nogroup", "--foreground", "--log-stderr",
      ] + arguments
    process = try ServeDaemon.start(arguments: self.arguments, log: "\(directory)/daemon.log")
    do {
      try waitForSockets()
    } catch {
      kill(process.processID, SIGKILL)
      _ = process.wait()
      throw RunError(description: "\(error); the daemon's log:\n\(log)")
    }
  }

  static func writeConfig(_ text: String, to path: String) throws {
    let temporary = path + ".new"
    try text.write(toFile: temporary, atomically: false, encoding: .utf8)
    chmod(temporary, 0o644)
    rename(temporary, path)
  }

  /// Starts the binary with `arguments`, its standard error into `log`.
  static func start(arguments: [String], log: String, binary: String = ServeDaemon.binary) throws -> ChildProcess {
    let quoted = ([binary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
    return try ChildProcess(
      ["/bin/sh", "-c", "exec " + quoted.joined(separator: " ") + " 2>>'\(log)'"], pipeInput: false,
      pipeOutput: false, pipeErrors: false)
  }

  func waitForSockets() throws {
    try waitUntil("swiftsql-authd's sockets in \(runDirectory)", seconds: 20) {
      if exited() { throw RunError(description: "swiftsql-authd exited with status \(exitStatus ?? -1)") }
      return [socket, dovecotSocket, statusSocket].allSatisfy { FileManager.default.fileExists(atPath: $0) }
        && log.contains("serving")
    }
  }

  var processID: pid_t { process.processID }

  /// Everything the daemon logged so far.
  var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

  /// The log lines containing every one of `texts`.
  func logLines(containing texts: String...) -> [String] {
    log.split(separator: "\n").map(String.init).filter { line in texts.allSatisfy { line.contains($0) } }
  }

  /// Waits for a log line containing every one of `texts`.
  @discardableResult
  func waitForLog(_ texts: String..., seconds: Double = 20) throws -> String {
    var found = ""
    try waitUntil("a log line with \(texts)", seconds: seconds) {
      found = log.split(separator: "\n").map(String.init).last { line in texts.allSatisfy { line.contains($0) } } ?? ""
      return !found.isEmpty
    }
    return found
  }

  /// Whether the process has ended (and reaps it).
  func exited() -> Bool {
    if exitStatus != nil { return true }
    var status: Int32 = 0
    let result = waitpid(process.processID, &status, WNOHANG)
    guard result == process.processID else { return false }
    exitStatus = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    return true
  }

  /// Waits for the process to end; its exit status.
  @discardableResult
  func waitForExit(seconds: Double = 40) throws -> Int32 {
    try waitUntil("swiftsql-authd to exit", seconds: seconds) { exited() }
    return exitStatus ?? -1
  }

  func signal(_ number: Int32) {
    if !exited() { kill(process.processID, number) }
  }

  /// SIGTERM, then its exit status (SIGKILL after 40 s).
  @discardableResult
  func stop() -> Int32 {
    signal(SIGTERM)
    if (try? waitForExit()) == nil {
      signal(SIGKILL)
      _ = try? waitForExit(seconds: 5)
    }
    return exitStatus ?? -1
  }

  /// Starts the daemon again with the same options (after a kill -9).
  func restart() throws {
    _ = exited()
    guard exitStatus != nil else { throw RunError(description: "the daemon still runs") }
    exitStatus = nil
    process = try ServeDaemon.start(arguments: arguments, log: logFile)
    try waitUntil("the restarted daemon to serve", seconds: 20) {
      if exited() { throw RunError(description: "swiftsql-authd exited with status \(exitStatus ?? -1)") }
      return logLines(containing: "serving").count >= 2
    }
  }

  func remove() {
    stop()
    removeTemporaryDirectory(directory)
  }

  // MARK: - Clients

  /// Debian's testsaslauthd against this daemon.
  func testsaslauthd(_ arguments: [String]) throws -> RunResult {
    try run(["testsaslauthd", "-f", socket] + arguments, timeout: 60)
  }

  /// `pam-swiftsql test` against this daemon.
  func ourClient(_ arguments: [String]) throws -> RunResult {
    try run([Project.tool, "test", "-f", socket] + arguments, timeout: 60)
  }

  /// One login on the saslauthd socket, without a process per login.
  func ask(_ login: String, _ password: String, service: String = "smtp", realm: String = "") throws -> LoginAnswer {
    try SaslauthdWire.ask(socket: socket, login: login, password: password, service: service, realm: realm)
  }

  /// `pam-swiftsql status`, as name → value.
  func status() throws -> [String: String] {
    let result = try run([Project.tool, "status", "-f", statusSocket], check: true)
    var values: [String: String] = [:]
    for line in result.lines {
      let parts = line.split(separator: " ", maxSplits: 1)
      if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
    }
    return values
  }

  /// The uid, gid and supplementary groups of the process, from /proc.
  func credentials() throws -> (uids: [String], gids: [String], groups: [String]) {
    let text = try String(contentsOfFile: "/proc/\(processID)/status", encoding: .utf8)
    func field(_ name: String) -> [String] {
      text.split(separator: "\n").first { $0.hasPrefix(name + ":") }.map {
        $0.dropFirst(name.count + 1).split(whereSeparator: { $0 == "\t" || $0 == " " }).map(String.init)
      } ?? []
    }
    return (field("Uid"), field("Gid"), field("Groups"))
  }
}

/// A client of Dovecot's auth-client protocol, written from the protocol
/// (and Postfix's xsasl_dovecot_server.c), not from the code under test.
final class DovecotWire: @unchecked Sendable {
  let descriptor: Int32
  private var buffer: [UInt8] = []
  /// The handshake lines the server sent, up to DONE.
  private(set) var handshake: [String] = []

  /// Connects and does Postfix's handshake: VERSION 1 0 and CPID, then
  /// reads the server's lines up to DONE.
  init(_ path: String, timeoutSeconds: Int = 30) throws {
    descriptor = try SaslauthdWire.connect(path, timeoutSeconds: timeoutSeconds)
    do {
      try send("VERSION\t1\t0\nCPID\t\(getpid())\n")
      while true {
        let line = try readLine()
        handshake.append(line)
        if line == "DONE" { break }
      }
    } catch {
      close(descriptor)
      throw error
    }
  }

  deinit { close(descriptor) }

  func send(_ text: String) throws {
    try SaslauthdWire.sendAll(descriptor, Array(text.utf8))
  }

  /// The next line, without its LF.
  func readLine() throws -> String {
    while true {
      if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
        let line = String(decoding: buffer[..<newline], as: UTF8.self)
        buffer.removeFirst(newline + 1)
        return line
      }
      buffer += try SaslauthdWire.receive(descriptor, count: 1)
    }
  }

  /// AUTH PLAIN with an initial response, as Postfix sends it; the reply line.
  func plain(id: Int, _ login: String, _ password: String, service: String = "smtp") throws -> String {
    let response = Data(("\0" + login + "\0" + password).utf8).base64EncodedString()
    try send(
      "AUTH\t\(id)\tPLAIN\tservice=\(service)\tnologin\tlip=127.0.0.1\trip=192.0.2.44\tsecured\tresp=\(response)\n")
    return try readLine()
  }

  /// AUTH LOGIN and its two continuations; every line the server sent.
  func login(id: Int, _ login: String, _ password: String, service: String = "smtp") throws -> [String] {
    try send("AUTH\t\(id)\tLOGIN\tservice=\(service)\tnologin\n")
    var lines = [try readLine()]
    try send("CONT\t\(id)\t\(Data(login.utf8).base64EncodedString())\n")
    lines.append(try readLine())
    try send("CONT\t\(id)\t\(Data(password.utf8).base64EncodedString())\n")
    lines.append(try readLine())
    return lines
  }
}
