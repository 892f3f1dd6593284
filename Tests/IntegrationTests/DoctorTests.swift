// `pam-swiftsql doctor` on system trees (--root): the correct setup
// reports every check ok but the expected -c warning, and each fault of the
// battery — one mistake from the how-tos made on purpose — makes the doctor
// fail exactly the checks that name it (checks that depend on a failed one
// are listed as not run) with a fix that says what to do. The tool runs as a
// separate process, as an administrator runs it.

import Foundation
import Testing

/// One mistake, made on a correct tree.
struct DoctorFault: Sendable, CustomTestStringConvertible {
  let name: String
  /// The checks that must fail, and only those.
  let failures: Set<String>
  /// Text the failing check's fix (the first one in `failures` order given
  /// by `fixOf`) must contain.
  let fixOf: String
  let fixContains: [String]
  /// Text the evidence of that check must contain.
  let evidenceContains: [String]
  /// Extra arguments for the doctor (e.g. --login).
  let login: Bool
  let make: @Sendable (DoctorTree) throws -> Void

  init(
    _ name: String, fails failures: Set<String>, fixOf: String? = nil, fix: [String], evidence: [String] = [],
    login: Bool = false, _ make: @escaping @Sendable (DoctorTree) throws -> Void
  ) {
    self.name = name
    self.failures = failures
    self.fixOf = fixOf ?? failures.sorted()[0]
    self.fixContains = fix
    self.evidenceContains = evidence
    self.login = login
    self.make = make
  }

  var testDescription: String { name }
}

@Suite("Doctor: system trees")
struct DoctorTests {
  /// Every check the doctor runs on a Postfix + saslauthd tree.
  static let allChecks: Set<String> = [
    "saslauthd-running", "saslauthd-defaults", "saslauthd-mechanism", "saslauthd-realm", "saslauthd-cache",
    "saslauthd-workers", "socket-exists", "socket-permissions", "postfix-sasl-group", "socket-connect",
    "postfix-sasl-services", "socket-in-chroot", "smtpd-conf", "sasl-pwcheck-method", "sasl-mech-list",
    "saslauthd-path", "smtpd-sasl-security", "smtpd-sasl-local-domain", "pam-service", "pam-auth-line",
    "pam-account-line", "pam-module", "config-file", "config-permissions", "database", "saslauthd-unit", "pg-hba",
  ]

  @Test("the correct setup: every check ok, only -c's warning, exit 0")
  func correctSetup() throws {
    let tree = try DoctorTree()
    defer { tree.tearDown() }
    let report = try tree.doctor(["--login", tree.login])
    #expect(report.result.status == 0, "\(report.dump)")
    #expect(report.failures.isEmpty, "\(report.dump)")
    #expect(report.warnings == ["saslauthd-cache"], "\(report.dump)")
    #expect(report.notRun.isEmpty, "\(report.dump)")
    #expect(report.names == DoctorTests.allChecks.union(["password-query"]), "\(report.dump)")
    #expect(report.summary["failures"] == 0)
    #expect(report.summary["checks"] == report.checks.count)
    // The probe names the scheme of the mkpasswd hash, never the hash.
    let probe = try #require(report.check("password-query"))
    #expect(probe.evidence.contains("SHA512-CRYPT"), "\(probe.evidence)")
    #expect(!report.result.stdout.contains("$6$"))
    // The master.cf entry's continuation lines, its comment line and its -o
    // overrides were read: submission is the SASL service, smtp is not.
    let services = try #require(report.check("postfix-sasl-services"))
    #expect(services.evidence.contains("submission"))
    #expect(!services.evidence.contains("smtp (master.cf"))
  }

  @Test("text output: one block per check, the summary line, exit 1 on a failure")
  func textOutput() throws {
    let tree = try DoctorTree()
    defer { tree.tearDown() }
    let good = try tree.doctorText()
    #expect(good.status == 0, "\(good.stdout)")
    #expect(good.stdout.contains("[ ok ] saslauthd-running: "))
    #expect(good.stdout.contains("[warn] saslauthd-cache: "))
    let lines = good.lines
    let summary = try #require(lines.last)
    #expect(
      summary == "\(DoctorTests.allChecks.count) checks: \(DoctorTests.allChecks.count - 1) ok, 1 warning, 0 failures")

    try tree.edit("/etc/postfix/sasl/smtpd.conf") { $0.replacingOccurrences(of: "PLAIN LOGIN", with: "CRAM-MD5") }
    let bad = try tree.doctorText()
    #expect(bad.status == 1)
    let block = try #require(bad.lines.firstIndex { $0.hasPrefix("[FAIL] sasl-mech-list: ") })
    #expect(bad.lines[block + 1].trimmingCharacters(in: .whitespaces).hasPrefix("fix: mech_list: PLAIN LOGIN"))
    #expect(bad.lines.last?.hasSuffix("1 failure") == true, "\(bad.stdout)")
  }

  @Test("-c is a warning that the old password keeps working; without -c it is ok")
  func credentialCache() throws {
    let tree = try DoctorTree()
    defer { tree.tearDown() }
    let cached = try #require(try tree.doctor().check("saslauthd-cache"))
    #expect(cached.status == "warning")
    #expect(cached.evidence.contains("old one keeps working"), "\(cached.evidence)")
    #expect(cached.evidence.contains("8 hours"), "\(cached.evidence)")
    #expect(cached.fix.contains("restart saslauthd"))

    try tree.edit("/etc/default/saslauthd") { $0.replacingOccurrences(of: "-c -r", with: "-r") }
    try tree.setProcesses(DoctorTree.saslauthdCommand.filter { $0 != "-c" }, pids: [4242, 4243])
    let report = try tree.doctor()
    #expect(report.check("saslauthd-cache")?.status == "ok", "\(report.dump)")
    #expect(report.failures.isEmpty && report.warnings.isEmpty, "\(report.dump)")
  }

  @Test("unusual but valid syntax in every file reads as the plain one does")
  func syntaxVariants() throws {
    let tree = try DoctorTree()
    defer { tree.tearDown() }
    // Shell: export, single quotes, a trailing comment.
    try tree.edit("/etc/default/saslauthd") {
      $0.replacingOccurrences(
        of: "OPTIONS=\"-c -r -m /var/spool/postfix/var/run/saslauthd\"",
        with: "export OPTIONS='-c -r -m /var/spool/postfix/var/run/saslauthd'  # inside the chroot")
    }
    // getopt: grouped flags and attached values.
    try tree.setProcesses(
      ["/usr/sbin/saslauthd", "-a", "pam", "-cr", "-m/var/spool/postfix/var/run/saslauthd", "-n5"], pids: [4242])
    // master.cf: Postfix 3's -o { name = value }.
    try tree.edit("/etc/postfix/master.cf") {
      $0.replacingOccurrences(of: "-o smtpd_sasl_auth_enable=yes", with: "-o { smtpd_sasl_auth_enable = yes }")
    }
    // main.cf: $name and ${name} references, a continued value.
    try tree.edit("/etc/postfix/main.cf") {
      $0.replacingOccurrences(
        of: "smtpd_tls_auth_only = yes", with: "mua_auth_only = yes\nsmtpd_tls_auth_only = ${mua_auth_only}"
      )
      .replacingOccurrences(
        of: "smtpd_tls_security_level=may", with: "tls_level = may\nsmtpd_tls_security_level =\n    $tls_level")
    }
    // libsasl2: comments, blank lines, lower case, no blank after ':'.
    try tree.write(
      "/etc/postfix/sasl/smtpd.conf",
      "# SASL for Postfix\n\n  pwcheck_method: saslauthd   \nmech_list:plain login\n"
        + "saslauthd_path:/var/run/saslauthd/mux\n")
    // PAM: a bracketed control, and a bracketed argument naming a
    // configuration elsewhere (the default one is gone).
    try tree.write("/etc/mail/swiftsql.conf", tree.configText(), mode: 0o640, group: DoctorTree.saslGID)
    try tree.remove("/etc/pam_swiftsql.conf")
    try tree.write(
      "/etc/pam.d/smtp",
      "auth [success=done default=die] pam_swiftsql.so [config=/etc/mail/swiftsql.conf]\n"
        + "account required \(DoctorTree.modulePath) config=/etc/mail/swiftsql.conf\n")
    let report = try tree.doctor(["--login", tree.login])
    #expect(report.failures.isEmpty, "\(report.dump)")
    #expect(report.warnings == ["saslauthd-cache"], "\(report.dump)")
    #expect(report.names == DoctorTests.allChecks.union(["password-query"]), "\(report.dump)")
    let config = try #require(report.check("config-file"))
    #expect(config.evidence.hasPrefix("/etc/mail/swiftsql.conf (config= in /etc/pam.d/smtp line 1)"), "\(config)")
    #expect(report.check("saslauthd-realm")?.status == "ok")
  }

  @Test("two instances (Debian's /etc/default/saslauthd-<name>): the one in Postfix's chroot is checked")
  func twoInstances() throws {
    let tree = try DoctorTree()
    defer { tree.tearDown() }
    try tree.write("/etc/default/saslauthd-postfix", DoctorTree.defaults)
    try tree.edit("/etc/default/saslauthd") {
      $0.replacingOccurrences(of: "-c -r -m /var/spool/postfix/var/run/saslauthd", with: "-c -m /var/run/saslauthd")
    }
    try tree.remove("/var/run/saslauthd")
    try tree.makeDirectory("/var/run/saslauthd", mode: 0o710, group: DoctorTree.saslGID)
    let other = try ListeningSocket(path: tree.path("/var/run/saslauthd/mux"))
    defer { _ = other }
    try tree.setProcesses(
      ["/usr/sbin/saslauthd", "-a", "pam", "-c", "-m", "/var/run/saslauthd", "-n", "5"], pids: [100, 101])
    let chrooted = DoctorTree.saslauthdCommand.map { Array($0.utf8) + [UInt8(0)] }.flatMap { $0 }
    for pid in [4242, 4243] {
      try tree.makeDirectory("/proc/\(pid)", mode: 0o755)
      try Data(chrooted).write(to: URL(fileURLWithPath: tree.path("/proc/\(pid)/cmdline")))
    }
    let report = try tree.doctor()
    #expect(report.failures.isEmpty, "\(report.dump)")
    #expect(report.warnings == ["saslauthd-cache"], "\(report.dump)")
    #expect(report.check("saslauthd-running")?.evidence.contains("pid 4242") == true, "\(report.dump)")
    #expect(report.check("saslauthd-running")?.evidence.contains("also running: -m /var/run/saslauthd") == true)
    #expect(report.check("saslauthd-defaults")?.evidence.contains("/etc/default/saslauthd-postfix") == true)
  }

  @Test("a tree without a process list: what runs is not judged, the files are")
  func treeWithoutProcesses() throws {
    let tree = try DoctorTree()
    defer { tree.tearDown() }
    try tree.setProcesses([], pids: [])  // an empty /proc
    try tree.remove(DoctorTree.runDirectory + "/mux")
    let report = try tree.doctor(["--login", tree.login])
    #expect(report.failures.isEmpty, "\(report.dump)")
    for name in ["saslauthd-running", "socket-exists", "socket-connect"] {
      let check = try #require(report.check(name), "\(report.dump)")
      #expect(check.status == "warning" && check.evidence.contains("not judged"), "\(name): \(check.evidence)")
    }
    // The files are still read: the module's configuration and the query.
    #expect(report.check("config-file")?.status == "ok", "\(report.dump)")
    #expect(report.check("password-query")?.status == "ok", "\(report.dump)")
  }

  @Test("a tree whose /proc is this machine's: this machine's daemons are not the tree's")
  func treeWithLiveProc() throws {
    let tree = try DoctorTree()
    defer { tree.tearDown() }
    try tree.setProcesses([], pids: [])
    try run(["mount", "--bind", "/proc", tree.path("/proc")], check: true)
    // Detached before the tree is removed (defers run last first).
    defer { _ = try? run(["umount", "--lazy", tree.path("/proc")]) }
    // A saslauthd of this machine, whatever the tree says, with flags the
    // tree's configuration does not have.
    let live = try Saslauthd(keepRealm: false)
    defer { live.stop() }
    let report = try tree.doctor()
    let running = try #require(report.check("saslauthd-running"), "\(report.dump)")
    #expect(running.status == "warning" && running.evidence.contains("this machine's /proc"), "\(running.evidence)")
    #expect(!report.result.stdout.contains(live.runDirectory), "\(report.dump)")
  }

  @Test("usage: -p without --login is a usage error (exit 2)")
  func usage() throws {
    let result = try run([Project.tool, "doctor", "-p", "x"], timeout: 60)
    #expect(result.status == 2)
  }

  static let faults: [DoctorFault] = [
    DoctorFault("saslauthd is not running (a stale socket is left)", fails: ["saslauthd-running"], fix: ["START=yes"]) {
      // A running system: other processes, none of them saslauthd.
      try $0.setProcesses(["/usr/sbin/cron", "-f"], pids: [17])
      try $0.edit("/etc/default/saslauthd") { $0.replacingOccurrences(of: "START=yes", with: "START=no") }
      $0.leaveSocketStale()
    },
    DoctorFault(
      "saslauthd without -r", fails: ["saslauthd-realm"], fix: ["-r", "/etc/default/saslauthd", "restart"],
      evidence: ["only 'alice'"]
    ) {
      try $0.edit("/etc/default/saslauthd") { $0.replacingOccurrences(of: "-c -r", with: "-c") }
      try $0.setProcesses(DoctorTree.saslauthdCommand.filter { $0 != "-r" }, pids: [4242, 4243])
    },
    DoctorFault(
      "the socket is gone (its directory was emptied)", fails: ["socket-exists"], fix: ["restart saslauthd"],
      evidence: ["there is no socket at /var/spool/postfix/var/run/saslauthd/mux"]
    ) {
      try $0.remove(DoctorTree.runDirectory + "/mux")
    },
    DoctorFault(
      "nothing listens on the socket", fails: ["socket-connect"], fix: ["restart saslauthd"], evidence: ["refused"]
    ) {
      $0.leaveSocketStale()
    },
    DoctorFault("saslauthd -a shadow", fails: ["saslauthd-mechanism"], fix: ["MECHANISMS=\"pam\""]) {
      try $0.edit("/etc/default/saslauthd") {
        $0.replacingOccurrences(of: "MECHANISMS=\"pam\"", with: "MECHANISMS=\"shadow\"")
      }
      try $0.setProcesses(
        DoctorTree.saslauthdCommand.map { $0 == "pam" ? "shadow" : $0 }, pids: [4242])
    },
    DoctorFault(
      "/etc/default/saslauthd lacks the -r that runs", fails: ["saslauthd-defaults"], fix: ["OPTIONS=", "-r"],
      evidence: ["-r running but not in the file"]
    ) {
      try $0.edit("/etc/default/saslauthd") { $0.replacingOccurrences(of: "-c -r", with: "-c") }
    },
    DoctorFault(
      "PARAMS instead of OPTIONS (old how-tos)", fails: ["saslauthd-defaults"], fix: ["OPTIONS=\"-c -r -m"],
      evidence: ["PARAMS"]
    ) {
      try $0.edit("/etc/default/saslauthd") { $0.replacingOccurrences(of: "OPTIONS=", with: "PARAMS=") }
    },
    DoctorFault(
      "the socket outside Postfix's chroot", fails: ["socket-in-chroot"],
      fix: ["-m /var/spool/postfix/var/run/saslauthd"], evidence: ["outside"]
    ) {
      try $0.moveSocketOutOfChroot()
    },
    DoctorFault(
      "saslauthd_path repeats the chroot", fails: ["saslauthd-path"], fix: ["saslauthd_path: /var/run/saslauthd/mux"],
      evidence: ["relative to the chroot"]
    ) {
      try $0.edit("/etc/postfix/sasl/smtpd.conf") {
        $0.replacingOccurrences(of: "saslauthd_path: /var", with: "saslauthd_path: /var/spool/postfix/var")
      }
    },
    DoctorFault(
      "saslauthd_path names the directory", fails: ["saslauthd-path"], fix: ["saslauthd_path: /var/run/saslauthd/mux"],
      evidence: ["directory"]
    ) {
      try $0.edit("/etc/postfix/sasl/smtpd.conf") { $0.replacingOccurrences(of: "saslauthd/mux", with: "saslauthd") }
    },
    DoctorFault("pwcheck_method auxprop", fails: ["sasl-pwcheck-method"], fix: ["pwcheck_method: saslauthd"]) {
      try $0.edit("/etc/postfix/sasl/smtpd.conf") {
        $0.replacingOccurrences(of: "method: saslauthd", with: "method: auxprop")
      }
    },
    DoctorFault(
      "mech_list without PLAIN or LOGIN", fails: ["sasl-mech-list"], fix: ["mech_list: PLAIN LOGIN"],
      evidence: ["neither PLAIN nor LOGIN"]
    ) {
      try $0.edit("/etc/postfix/sasl/smtpd.conf") {
        $0.replacingOccurrences(of: "PLAIN LOGIN", with: "CRAM-MD5 DIGEST-MD5")
      }
    },
    DoctorFault(
      "smtpd.conf written as key = value", fails: ["smtpd-conf"], fix: ["key: value"], evidence: ["line 1"]
    ) {
      try $0.edit("/etc/postfix/sasl/smtpd.conf") {
        $0.replacingOccurrences(of: "pwcheck_method:", with: "pwcheck_method =")
      }
    },
    DoctorFault(
      "no smtpd.conf", fails: ["smtpd-conf"], fix: ["pwcheck_method: saslauthd", "/etc/postfix/sasl/smtpd.conf"]
    ) {
      try $0.remove("/etc/postfix/sasl/smtpd.conf")
    },
    DoctorFault("postfix not in group sasl", fails: ["postfix-sasl-group"], fix: ["adduser postfix sasl"]) {
      try $0.edit("/etc/group") { $0.replacingOccurrences(of: ":postfix\n", with: ":\n") }
    },
    DoctorFault(
      "the run directory shut to group sasl", fails: ["socket-permissions"], fix: ["root sasl 710"],
      evidence: ["0700"]
    ) {
      chmod($0.path(DoctorTree.runDirectory), 0o700)
    },
    DoctorFault(
      "no service enables SASL", fails: ["postfix-sasl-services"], fix: ["smtpd_sasl_auth_enable=yes"]
    ) {
      try $0.edit("/etc/postfix/master.cf") {
        $0.replacingOccurrences(of: "  -o smtpd_sasl_auth_enable=yes\n", with: "")
      }
    },
    DoctorFault(
      "smtpd_tls_auth_only without a certificate", fails: ["smtpd-sasl-security"], fix: ["smtpd_tls_cert_file"],
      evidence: ["AUTH can never succeed"]
    ) {
      try $0.edit("/etc/postfix/main.cf") {
        $0.replacingOccurrences(of: "smtpd_tls_cert_file=", with: "#smtpd_tls_cert_file=")
      }
    },
    DoctorFault(
      "noplaintext also over TLS", fails: ["smtpd-sasl-security"], fix: ["smtpd_sasl_tls_security_options=noanonymous"],
      evidence: ["noplaintext"]
    ) {
      try $0.edit("/etc/postfix/master.cf") {
        $0.replacingOccurrences(
          of: "  -o smtpd_sasl_auth_enable=yes\n",
          with: "  -o smtpd_sasl_auth_enable=yes\n  -o smtpd_sasl_security_options=noanonymous,noplaintext\n")
      }
      try $0.edit("/etc/postfix/main.cf") { $0.replacingOccurrences(of: "smtpd_tls_auth_only = yes\n", with: "") }
    },
    DoctorFault(
      "the PAM file named after smtpd.conf", fails: ["pam-service"], fix: ["mv /etc/pam.d/smtpd /etc/pam.d/smtp"],
      evidence: ["/etc/pam.d/other"]
    ) { tree in
      try FileManager.default.moveItem(atPath: tree.path("/etc/pam.d/smtp"), toPath: tree.path("/etc/pam.d/smtpd"))
    },
    DoctorFault(
      "no account line", fails: ["pam-account-line"], fix: ["account required pam_swiftsql.so"],
      evidence: ["pam_acct_mgmt"]
    ) {
      try $0.edit("/etc/pam.d/smtp") { $0.replacingOccurrences(of: "account  required  pam_swiftsql.so\n", with: "") }
    },
    DoctorFault(
      "@include common-auth before pam_swiftsql", fails: ["pam-auth-line"], fix: ["@include"],
      evidence: ["pam_unix.so", "/etc/pam.d/common-auth line 1"]
    ) {
      try $0.edit("/etc/pam.d/smtp") {
        $0.replacingOccurrences(of: "auth     required", with: "@include common-auth\nauth     required")
      }
    },
    DoctorFault(
      "@include common-auth after a required pam_swiftsql", fails: ["pam-auth-line"], fix: ["@include"],
      evidence: ["pam_deny.so", "after"]
    ) {
      try $0.edit("/etc/pam.d/smtp") {
        $0.replacingOccurrences(
          of: "auth     required  pam_swiftsql.so\n", with: "auth     required  pam_swiftsql.so\n@include common-auth\n"
        )
      }
    },
    DoctorFault("the module is not installed", fails: ["pam-module"], fix: ["install -m 0644", DoctorTree.modulePath]) {
      try $0.remove(DoctorTree.modulePath)
    },
    DoctorFault(
      "the module file is not a library", fails: ["pam-module"], fix: ["install -m 0644"], evidence: ["does not load"]
    ) {
      try $0.remove(DoctorTree.modulePath)
      try $0.write(DoctorTree.modulePath, "not an ELF file\n")
    },
    DoctorFault(
      "the configuration is world-readable", fails: ["config-permissions"],
      fix: ["chmod 0640 /etc/pam_swiftsql.conf; chgrp sasl /etc/pam_swiftsql.conf"], evidence: ["world-readable"]
    ) {
      chmod($0.path("/etc/pam_swiftsql.conf"), 0o644)
    },
    DoctorFault(
      "a pam_mysql line with passwd= in the world-readable PAM file", fails: ["pam-line-password", "config-file"],
      fixOf: "pam-line-password", fix: ["config_file=", "remove passwd= from /etc/pam.d/smtp"],
      evidence: ["world-readable", "passwd="]
    ) {
      try $0.edit("/etc/pam.d/smtp") {
        $0.replacingOccurrences(of: "pam_swiftsql.so\n", with: "pam_swiftsql.so user=mail passwd=s3cret db=mail\n")
      }
    },
    DoctorFault(
      "the configuration does not parse", fails: ["config-file"], fix: ["/etc/pam_swiftsql.conf"], evidence: ["driver"]
    ) {
      try $0.edit("/etc/pam_swiftsql.conf") { $0.replacingOccurrences(of: "driver = sqlite", with: "driver = oracle") }
    },
    DoctorFault(
      "Dovecot's scheme-conversion query, which passes the plaintext password as %w", fails: ["config-file"],
      fix: [
        "line 4", "upgrade_scheme",
        "write it as: password_query = SELECT password FROM users WHERE username = '%n' AND domain = '%d'",
      ],
      evidence: ["%w"]
    ) {
      try $0.edit("/etc/pam_swiftsql.conf") {
        $0.replacingOccurrences(of: "SELECT password FROM", with: "SELECT password, '%w' as userdb_plain_pass FROM")
      }
    },
    DoctorFault(
      "a pam_pgsql file with its query wrapped onto a second line", fails: ["config-file"],
      fix: [
        "line 3", "pam_pgsql reads a value from one line",
        "write it as: auth_query = select user_password from account where user_name = %u",
      ],
      evidence: ["does not use the login", "continuation of auth_query"]
    ) { tree in
      try tree.write(
        "/etc/pam_pgsql.conf",
        try Corpus.text("pam_pgsql-readme-options.conf"), mode: 0o640, group: DoctorTree.saslGID)
      try tree.edit("/etc/pam.d/smtp") {
        $0.replacingOccurrences(of: "pam_swiftsql.so\n", with: "pam_swiftsql.so config_file=/etc/pam_pgsql.conf\n")
      }
    },
    DoctorFault("the database is missing", fails: ["database"], fix: ["connect"]) {
      try $0.edit("/etc/pam_swiftsql.conf") {
        $0.replacingOccurrences(of: "connect = /", with: "connect = /nonexistent/")
      }
    },
    DoctorFault(
      "MariaDB is not running (driver mysql)", fails: ["database"],
      fix: ["MariaDB (or MySQL) runs", "socket= or host="]
    ) { tree in
      try tree.write(
        "/etc/pam_swiftsql.conf",
        tree.configText(connect: "socket=\(tree.directory)/no-mysqld.sock user=mailauth dbname=mail")
          .replacingOccurrences(of: "driver = sqlite", with: "driver = mysql"),
        mode: 0o640, group: DoctorTree.saslGID)
    },
    DoctorFault(
      "saslauthd's user cannot read the PAM file", fails: ["pam-service"], fix: ["chmod 0644 /etc/pam.d/smtp"],
      evidence: ["uid 1001"]
    ) { tree in
      try tree.setProcesses(
        DoctorTree.saslauthdCommand, pids: [4242],
        status: "Name:\tsaslauthd\nUid:\t1001\t1001\t1001\t1001\n"
          + "Gid:\t1001\t1001\t1001\t1001\nGroups:\t\(DoctorTree.saslGID) \n")
      chmod(tree.path("/etc/pam.d/smtp"), 0o600)
    },
    DoctorFault(
      "a stored value of a scheme the module does not know", fails: ["password-query"], fix: ["scheme"],
      evidence: ["NO-SUCH-SCHEME"], login: true
    ) { tree in
      try run(
        ["sqlite3", tree.database, "UPDATE users SET password = '{NO-SUCH-SCHEME}abc'"], check: true)
    },
    DoctorFault(
      "the password query finds no row", fails: ["password-query"], fix: ["WHERE"], evidence: ["no row"], login: true
    ) { tree in
      try tree.edit("/etc/pam_swiftsql.conf") {
        $0.replacingOccurrences(of: "username = '%n'", with: "username = upper('%n')")
      }
    },
  ]

  @Test("each fault of the battery fails exactly its checks, with the fix", arguments: DoctorTests.faults)
  func fault(_ fault: DoctorFault) throws {
    let tree = try DoctorTree()
    defer { tree.tearDown() }
    // The unbroken tree is clean, so what fails below is the fault's doing.
    let before = try tree.doctor(fault.login ? ["--login", tree.login] : [])
    #expect(before.failures.isEmpty, "\(before.dump)")

    try fault.make(tree)
    let report = try tree.doctor(fault.login ? ["--login", tree.login] : [])
    #expect(report.result.status == 1, "\(report.dump)")
    #expect(report.failures == fault.failures, "\(report.dump)")
    let check = try #require(report.checks.first { $0.name == fault.fixOf && $0.status == "failure" })
    for text in fault.fixContains {
      #expect(check.fix.contains(text), "fix of \(check.name): \(check.fix)")
    }
    for text in fault.evidenceContains {
      #expect(check.evidence.contains(text), "evidence of \(check.name): \(check.evidence)")
    }
  }

  @Test("the battery has at least 15 distinct faults, each naming a check")
  func batterySize() {
    #expect(DoctorTests.faults.count >= 15)
    #expect(Set(DoctorTests.faults.map { $0.name }).count == DoctorTests.faults.count)
    #expect(Set(DoctorTests.faults.flatMap { $0.failures }).count >= 15)
  }
}
