// `pam-swiftsql doctor --serve` on a system tree (DoctorTree, --root) set up
// for swiftsql-authd as its package and README.Debian say: the daemon and
// its user, /etc/default/swiftsql-authd with the sockets inside Postfix's
// chroot (real listening sockets), the configuration given to the daemon's
// group, and Postfix pointing at the sockets. Then one fault at a time; each
// fails its check with the fix.

import Foundation
import Testing

@Suite("pam-swiftsql doctor --serve")
struct DoctorServeTests {
  static let userID: UInt32 = 150
  static let runDirectory = "/var/spool/postfix/var/run/swiftsql-authd"

  /// The tree with a correct swiftsql-authd set-up, and its two sockets.
  static func serveTree() throws -> (DoctorTree, [ListeningSocket]) {
    let tree = try DoctorTree(listening: false)
    do {
      try tree.write("/usr/sbin/swiftsql-authd", "", mode: 0o755)
      try tree.edit("/etc/passwd") { $0 + "_swiftsql-authd:x:\(userID):\(userID)::/nonexistent:/usr/sbin/nologin\n" }
      try tree.edit("/etc/group") { $0 + "_swiftsql-authd:x:\(userID):\n" }
      try tree.write(
        "/etc/default/swiftsql-authd",
        "OPTIONS=\"--socket \(runDirectory)/mux \\\n  --dovecot-socket \(runDirectory)/auth-client\"\n")
      try tree.write("/etc/pam_swiftsql.conf", tree.configText(), mode: 0o640, group: userID)
      try tree.makeDirectory(runDirectory, mode: 0o710, group: DoctorTree.saslGID)
      chown(tree.path(runDirectory), userID, DoctorTree.saslGID)
      let sockets = [
        try ListeningSocket(path: tree.path(runDirectory + "/mux")),
        try ListeningSocket(path: tree.path(runDirectory + "/auth-client")),
      ]
      for socket in sockets { chmod(socket.path, 0o777) }
      try tree.edit("/etc/postfix/sasl/smtpd.conf") { text in
        text.split(separator: "\n").filter { !$0.hasPrefix("saslauthd_path") }.joined(separator: "\n")
          + "\nsaslauthd_path: /var/run/swiftsql-authd/mux\n"
      }
      return (tree, sockets)
    } catch {
      tree.tearDown()
      throw error
    }
  }

  static let serveChecks: Set<String> = [
    "serve-installed", "serve-options", "serve-running", "serve-user", "serve-config", "serve-socket",
    "serve-postfix",
  ]

  @Test("the correct set-up: only that the daemon is not running (socket activation starts it)")
  func correct() throws {
    let (tree, sockets) = try DoctorServeTests.serveTree()
    defer {
      _ = sockets
      tree.tearDown()
    }
    let report = try tree.doctor(["--serve"])
    #expect(report.failures.isEmpty, "\(report.dump)")
    #expect(report.warnings == ["serve-running"], "\(report.dump)")
    #expect(report.names == DoctorServeTests.serveChecks, "\(report.dump)")
    let options = try #require(report.check("serve-options"))
    #expect(options.evidence.contains("/etc/default/swiftsql-authd"), "\(options.evidence)")
    #expect(options.evidence.contains("\(DoctorServeTests.runDirectory)/auth-client"), "\(options.evidence)")
    let postfix = try #require(report.check("serve-postfix"))
    #expect(postfix.evidence.contains("saslauthd_path /var/run/swiftsql-authd/mux is swiftsql-authd's"))
    #expect(report.result.status == 0)
  }

  @Test("a running daemon: its own command line is read; as root it fails")
  func running() throws {
    let (tree, sockets) = try DoctorServeTests.serveTree()
    defer {
      _ = sockets
      tree.tearDown()
    }
    let command = [
      "/usr/sbin/swiftsql-authd", "--foreground", "--socket", "\(DoctorServeTests.runDirectory)/mux",
      "--dovecot-socket", "\(DoctorServeTests.runDirectory)/auth-client",
    ]
    let status = "Name:\tswiftsql-authd\nUid:\t\(DoctorServeTests.userID)\t150\t150\t150\nGid:\t150\t150\t150\t150\n"
    try tree.setProcesses(command, pids: [777], status: status)
    var report = try tree.doctor(["--serve"])
    #expect(report.failures.isEmpty && report.warnings.isEmpty, "\(report.dump)")
    #expect(report.check("serve-running")?.evidence.contains("as _swiftsql-authd") == true, "\(report.dump)")
    #expect(report.check("serve-options")?.evidence.contains("pid 777") == true)

    try tree.setProcesses(command, pids: [777], status: "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n")
    report = try tree.doctor(["--serve"])
    #expect(report.failures == ["serve-running"], "\(report.dump)")
  }

  @Test(
    "each fault fails its check, with the fix",
    arguments: [
      ("the configuration is root:sasl 0640", "serve-config", "chgrp _swiftsql-authd"),
      ("the configuration is writable by its group", "serve-config", "chmod go-w"),
      ("no user _swiftsql-authd", "serve-user", "apt-get install swiftsql-authd"),
      ("the socket directory is root's 0700", "serve-socket", "chmod g+x"),
      ("postfix is not in the directory's group", "serve-socket", "adduser postfix sasl"),
      ("saslauthd_path names saslauthd's socket", "serve-postfix", "saslauthd_path: /var/run/swiftsql-authd/mux"),
      (
        "smtpd_sasl_type = dovecot with another path", "serve-postfix",
        "smtpd_sasl_path=var/run/swiftsql-authd/auth-client"
      ),
      ("an unknown option", "serve-options", "OPTIONS"),
    ])
  func fault(what: String, check: String, fix: String) throws {
    let (tree, sockets) = try DoctorServeTests.serveTree()
    defer {
      _ = sockets
      tree.tearDown()
    }
    let directory = tree.path(DoctorServeTests.runDirectory)
    switch what {
    case "the configuration is root:sasl 0640":
      chown(tree.path("/etc/pam_swiftsql.conf"), 0, DoctorTree.saslGID)
    case "the configuration is writable by its group":
      chmod(tree.path("/etc/pam_swiftsql.conf"), 0o660)
    case "no user _swiftsql-authd":
      try tree.edit("/etc/passwd") {
        $0.split(separator: "\n").filter { !$0.hasPrefix("_swiftsql") }.joined(separator: "\n") + "\n"
      }
    case "the socket directory is root's 0700":
      chown(directory, 0, 0)
      chmod(directory, 0o700)
    case "postfix is not in the directory's group":
      try tree.edit("/etc/group") { $0.replacingOccurrences(of: "sasl:x:45:postfix", with: "sasl:x:45:") }
    case "saslauthd_path names saslauthd's socket":
      try tree.edit("/etc/postfix/sasl/smtpd.conf") {
        $0.replacingOccurrences(of: "/var/run/swiftsql-authd/mux", with: "/var/run/saslauthd/mux")
      }
    case "smtpd_sasl_type = dovecot with another path":
      try tree.edit("/etc/postfix/master.cf") {
        $0.replacingOccurrences(
          of: "  -o smtpd_sasl_auth_enable=yes",
          with: "  -o smtpd_sasl_auth_enable=yes\n  -o smtpd_sasl_type=dovecot\n  -o smtpd_sasl_path=private/auth")
      }
    default:
      try tree.edit("/etc/default/swiftsql-authd") {
        $0.replacingOccurrences(of: "OPTIONS=\"", with: "OPTIONS=\"--bogus ")
      }
    }
    let report = try tree.doctor(["--serve"])
    #expect(report.failures == [check], "\(report.dump)")
    let found = try #require(report.checks.first { $0.name == check && $0.status == "failure" })
    #expect(found.fix.contains(fix), "\(found.fix)")
    #expect(report.result.status == 1)
  }
}
