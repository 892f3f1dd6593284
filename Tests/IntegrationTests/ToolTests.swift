// pam-swiftsql's first two subcommands as an administrator uses them:
// `test` against saslauthd sockets that are missing, left over, not sockets,
// out of reach or dropped (each made real, not simulated), and `pam` against
// real libpam, with the documented exit codes (0 ok, 1 refused, 2 usage,
// 3 unavailable, 4 configuration or system error).

import Foundation
import Testing

@Suite("pam-swiftsql test and pam")
struct ToolTests {
  static func tool(_ arguments: [String], input: String? = nil) throws -> RunResult {
    try Project.requireBuild()
    return try run([Project.tool] + arguments, input: input, timeout: 60)
  }

  @Test("a missing socket: exit 3 and what to check")
  func missingSocket() throws {
    let result = try ToolTests.tool(["test", "-u", "a@b.example", "-p", "x", "-f", "/tmp/no-such-dir/mux"])
    #expect(result.status == 3)
    #expect(result.stdout.hasPrefix("0: ERROR \"there is no socket at /tmp/no-such-dir/mux"))
    #expect(result.stdout.contains("-m"))
  }

  @Test("a socket left by a killed saslauthd: connection refused, exit 3")
  func staleSocket() throws {
    let daemon = try Saslauthd(keepRealm: true, workers: 1)
    defer { daemon.stop() }
    let everyone = daemon.workerIDs()
    for pid in everyone { kill(pid, SIGKILL) }
    try waitUntil("saslauthd to die") { everyone.allSatisfy { !Saslauthd.isAlive($0) } }
    #expect(FileManager.default.fileExists(atPath: daemon.socket))
    let result = try ToolTests.tool(["test", "-u", "a@b.example", "-p", "x", "-f", daemon.socket])
    #expect(result.status == 3)
    #expect(result.stdout.contains("connection refused"))
    #expect(result.stdout.contains("no longer running"))
  }

  @Test("a path that is not a socket: exit 3")
  func notASocket() throws {
    let directory = try makeTemporaryDirectory("swiftsql-tool")
    defer { removeTemporaryDirectory(directory) }
    try writeFile("\(directory)/mux", "not a socket")
    let result = try ToolTests.tool(["test", "-u", "a@b.example", "-p", "x", "-f", "\(directory)/mux"])
    #expect(result.status == 3)
    #expect(result.stdout.contains("is not a socket"))
  }

  @Test("a socket in a directory the user may not enter: permission denied, exit 3")
  func permissionDenied() throws {
    let daemon = try Saslauthd(keepRealm: true, workers: 1)
    defer { daemon.stop() }
    chmod(daemon.runDirectory, 0o700)
    let result = try run(
      ["runuser", "-u", "nobody", "--", Project.tool, "test", "-u", "a@b.example", "-p", "x", "-f", daemon.socket],
      timeout: 60)
    #expect(result.status == 3)
    #expect(result.stdout.contains("permission denied"))
    #expect(result.stdout.contains("group"))
  }

  @Test("a worker that dies mid-request: dropped connection, exit 3")
  func droppedConnection() throws {
    // The database hangs, so the worker is busy in the module when killed.
    let chain = try PostgresChain(withSaslauthd: true)
    var processes: [pid_t] = []
    defer {
      PostgresCluster.thaw(processes)
      chain.tearDown()
    }
    let (service, daemon) = (chain.service, try chain.saslauthd())
    processes = try chain.server.freeze()
    let workers = daemon.workerIDs()
    DispatchQueue.global().asyncAfter(deadline: .now() + 0.7) {
      for pid in workers { kill(pid, SIGKILL) }
    }
    let result = try ToolTests.tool(
      ["test", "-u", "alice@example.org", "-p", "x", "-s", service.name, "-f", daemon.socket, "--timeout", "30"])
    #expect(result.status == 3)
    #expect(result.stdout.contains("closed the connection"))
    #expect(result.seconds < 10)
  }

  @Test("usage errors exit 2")
  func usage() throws {
    #expect(try ToolTests.tool(["test", "-p", "x"]).status == 2)
    #expect(try ToolTests.tool(["test", "-u", "a", "-p", "x", "-R", "0"]).status == 2)
    #expect(try ToolTests.tool(["pam", "--no-such-flag"]).status == 2)
    #expect(try ToolTests.tool(["no-such-subcommand"]).status == 2)
  }

  @Test("pam: each step's code and message, and the documented exit codes")
  func pamCommand() throws {
    let database = try BatteryDatabase.shared(.sqlite)
    let service = database.service
    func pam(_ login: String, _ password: String?) throws -> RunResult {
      var arguments = ["pam", "--confdir", service.confdir, "-s", service.name, "-u", login]
      if let password { arguments += ["-p", password] }
      return try ToolTests.tool(arguments, input: password == nil ? Accounts.password + "\n" : nil)
    }
    let ok = try pam("alice@example.org", Accounts.password)
    #expect(ok.status == 0)
    #expect(ok.lines == ["pam_authenticate: PAM_SUCCESS (Success)", "pam_acct_mgmt: PAM_SUCCESS (Success)"])

    let fromStdin = try pam("alice@example.org", nil)
    #expect(fromStdin.status == 0)

    let wrong = try pam("alice@example.org", "wrong")
    #expect(wrong.status == 1)
    #expect(wrong.lines.first == "pam_authenticate: PAM_AUTH_ERR (Authentication failure)")
    #expect(wrong.lines.last == "pam_acct_mgmt: not run (authentication did not succeed)")

    let unknown = try pam("nobody@example.org", "x")
    #expect(unknown.status == 1)
    #expect(unknown.lines.first?.hasPrefix("pam_authenticate: PAM_USER_UNKNOWN") == true)

    let disabled = try pam("disabled@example.org", Accounts.password)
    #expect(disabled.status == 1)
    #expect(disabled.lines.last?.hasPrefix("pam_acct_mgmt: PAM_PERM_DENIED") == true)

    // A service whose database is gone: 3. A broken configuration: 4.
    let gone = try PAMService(config: "driver = sqlite\nconnect = /tmp/no-such-dir/users.db\n\(Accounts.queries)\n")
    defer { gone.remove() }
    let unavailable = try ToolTests.tool(
      ["pam", "--confdir", gone.confdir, "-s", gone.name, "-u", "alice@example.org", "-p", "x"])
    #expect(unavailable.status == 3)
    #expect(unavailable.lines.first?.hasPrefix("pam_authenticate: PAM_AUTHINFO_UNAVAIL") == true)

    let broken = try PAMService(config: "driver = oracle\n")
    defer { broken.remove() }
    let misconfigured = try ToolTests.tool(
      ["pam", "--confdir", broken.confdir, "-s", broken.name, "-u", "alice@example.org", "-p", "x"])
    #expect(misconfigured.status == 4)
    #expect(misconfigured.lines.first?.hasPrefix("pam_authenticate: PAM_SERVICE_ERR") == true)
  }

  @Test("the tool never prints the password")
  func passwordNotPrinted() throws {
    let database = try BatteryDatabase.shared(.sqlite)
    let secret = "never-print-\(uniqueTag())"
    let result = try ToolTests.tool(
      ["pam", "--confdir", database.service.confdir, "-s", database.service.name, "-u", "alice@example.org"],
      input: secret + "\n")
    #expect(result.status == 1)
    #expect(!result.stdout.contains(secret))
    #expect(!result.stderr.contains(secret))
  }
}
