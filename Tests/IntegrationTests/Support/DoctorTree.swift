// A small system tree for `pam-swiftsql doctor --root`: a Debian system set
// up correctly for Postfix (chrooted submission with SASL) + saslauthd (-a
// pam -c -r -m inside the chroot, five processes in a fake /proc) + PAM
// (/etc/pam.d/smtp) + pam_swiftsql (a hard link of the built module, a
// 0640 root:sasl configuration, a real SQLite database holding one login
// whose hash comes from mkpasswd). The socket is a real listening unix
// socket, or a live saslauthd's (TreeSaslauthd). Tests break one thing and
// run the built tool on the tree.

import Foundation
import Testing

final class DoctorTree: @unchecked Sendable {
  static let postfixUID: UInt32 = 107
  static let postfixGID: UInt32 = 113
  static let saslGID: UInt32 = 45
  static let runDirectory = "/var/spool/postfix/var/run/saslauthd"
  static var multiarch: String {
    #if arch(arm64)
      "aarch64-linux-gnu"
    #else
      "x86_64-linux-gnu"
    #endif
  }
  static var modulePath: String { "/lib/\(multiarch)/security/pam_swiftsql.so" }

  /// The folder holding the tree and the database.
  let directory: String
  let root: String
  let database: String
  let localPart: String
  let domain = "example.net"
  var login: String { "\(localPart)@\(domain)" }
  let password: String
  private(set) var listener: ListeningSocket?

  /// The standard files, for tests to edit.
  static let defaults = """
    # Settings for saslauthd daemon
    START=yes
    DESC="SASL Authentication Daemon"
    NAME="saslauthd"
    MECHANISMS="pam"
    MECH_OPTIONS=""
    THREADS=5
    OPTIONS="-c -r -m /var/spool/postfix/var/run/saslauthd"

    """

  static let saslauthdCommand = [
    "/usr/sbin/saslauthd", "-a", "pam", "-c", "-r", "-m", "/var/spool/postfix/var/run/saslauthd", "-n", "5",
  ]

  static let mainCF = """
    # See /usr/share/postfix/main.cf.dist for a commented, more complete version
    smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)
    myhostname = mail.example.net
    compatibility_level = 3.6

    # TLS parameters
    smtpd_tls_cert_file=/etc/ssl/certs/ssl-cert-snakeoil.pem
    smtpd_tls_key_file=/etc/ssl/private/ssl-cert-snakeoil.key
    smtpd_tls_security_level=may
    smtpd_tls_auth_only = yes

    smtpd_sasl_security_options = noanonymous
    smtpd_relay_restrictions = permit_mynetworks
        permit_sasl_authenticated
        defer_unauth_destination

    """

  static let masterCF = """
    # service type  private unpriv  chroot  wakeup  maxproc command + args
    #               (yes)   (yes)   (no)    (never) (100)
    # ==========================================================================
    smtp      inet  n       -       y       -       -       smtpd
    submission inet n       -       y       -       -       smtpd
      -o syslog_name=postfix/submission
      -o smtpd_tls_security_level=encrypt
       # enable SASL auth, for submission only
      -o smtpd_sasl_auth_enable=yes
      -o smtpd_client_restrictions=permit_sasl_authenticated,reject
    pickup    unix  n       -       y       60      1       pickup
    cleanup   unix  n       -       y       -       0       cleanup

    """

  static let smtpdConf = """
    pwcheck_method: saslauthd
    mech_list: PLAIN LOGIN
    saslauthd_path: /var/run/saslauthd/mux

    """

  static let pamService = """
    # pam_swiftsql for Postfix's SMTP AUTH through saslauthd
    auth     required  pam_swiftsql.so
    account  required  pam_swiftsql.so

    """

  init(listening: Bool = true) throws {
    try Project.requireRoot()
    try Project.requireBuild()
    directory = try makeTemporaryDirectory("swiftsql-doctor")
    // The postfix user of the tree must get through to the socket when the
    // doctor connects as it.
    chmod(directory, 0o755)
    root = "\(directory)/root"
    database = "\(directory)/users.db"
    let tag = uniqueTag()
    localPart = "doctor\(tag)"
    password = "pw-\(tag)-\(uniqueTag())"
    do {
      try build(listening: listening)
    } catch {
      tearDown()
      throw error
    }
  }

  private func build(listening: Bool) throws {
    try makeDirectory("/", mode: 0o755)
    try write(
      "/etc/passwd",
      """
      root:x:0:0:root:/root:/bin/bash
      daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
      postfix:x:\(DoctorTree.postfixUID):\(DoctorTree.postfixGID)::/var/spool/postfix:/usr/sbin/nologin

      """)
    try write(
      "/etc/group",
      """
      root:x:0:
      daemon:x:1:
      sasl:x:\(DoctorTree.saslGID):postfix
      postfix:x:\(DoctorTree.postfixGID):

      """)
    try write("/etc/default/saslauthd", DoctorTree.defaults)
    try setProcesses(DoctorTree.saslauthdCommand, pids: [4242, 4243, 4244, 4245, 4246])
    try makeDirectory("/var/spool/postfix/var/run", mode: 0o755)
    try makeDirectory(DoctorTree.runDirectory, mode: 0o710, group: DoctorTree.saslGID)
    try makeDirectory("/var/run", mode: 0o755)
    try FileManager.default.createSymbolicLink(
      atPath: path("/var/run/saslauthd"), withDestinationPath: DoctorTree.runDirectory)
    if listening { try listen(at: DoctorTree.runDirectory + "/mux") }
    try write("/etc/postfix/main.cf", DoctorTree.mainCF)
    try write("/etc/postfix/master.cf", DoctorTree.masterCF)
    try write("/etc/postfix/sasl/smtpd.conf", DoctorTree.smtpdConf)
    try write("/etc/pam.d/smtp", DoctorTree.pamService)
    try write("/etc/pam.d/other", "@include common-auth\n@include common-account\n")
    try write(
      "/etc/pam.d/common-auth",
      "auth [success=1 default=ignore] pam_unix.so nullok\nauth requisite pam_deny.so\nauth required pam_permit.so\n")
    try write(
      "/etc/pam.d/common-account",
      "account [success=1 new_authtok_reqd=done default=ignore] pam_unix.so\naccount requisite pam_deny.so\n")
    try makeDirectory("/lib/\(DoctorTree.multiarch)/security", mode: 0o755)
    if link(Project.module, path(DoctorTree.modulePath)) != 0 {
      try FileManager.default.copyItem(atPath: Project.module, toPath: path(DoctorTree.modulePath))
    }
    let hash = try Accounts.mkpasswd("sha512crypt", password)
    try run(
      ["sqlite3", database],
      input: """
        CREATE TABLE users (username TEXT NOT NULL, domain TEXT NOT NULL, password TEXT,
                            PRIMARY KEY (username, domain));
        INSERT INTO users VALUES (\(Accounts.quoted(localPart)), \(Accounts.quoted(domain)), \(Accounts.quoted(hash)));

        """, check: true)
    try write("/etc/pam_swiftsql.conf", configText(), mode: 0o640, group: DoctorTree.saslGID)
  }

  /// The mistake of the how-tos that forget Postfix's chroot: saslauthd
  /// (the defaults file and the running one) on /var/run/saslauthd, a
  /// directory outside the chroot, and no socket inside it.
  func moveSocketOutOfChroot() throws {
    try edit("/etc/default/saslauthd") {
      $0.replacingOccurrences(of: "/var/spool/postfix/var/run/saslauthd", with: "/var/run/saslauthd")
    }
    try setProcesses(
      DoctorTree.saslauthdCommand.map { $0 == DoctorTree.runDirectory ? "/var/run/saslauthd" : $0 }, pids: [4242])
    try remove("/var/run/saslauthd")
    try makeDirectory("/var/run/saslauthd", mode: 0o710, group: DoctorTree.saslGID)
    try listen(at: "/var/run/saslauthd/mux")
    try remove(DoctorTree.runDirectory + "/mux")
  }

  /// Debian 13's saslauthd.service, as sasl2-bin 2.1.28+dfsg1-9 ships it.
  static let saslauthdUnit = """
    [Unit]
    Description=SASL Authentication Daemon
    Documentation=man:saslauthd(8)

    [Service]
    Type=forking
    Group=sasl
    PIDFile=/var/run/saslauthd/saslauthd.pid
    EnvironmentFile=/etc/default/saslauthd
    ExecStart=/usr/sbin/saslauthd -a $MECHANISMS $MECH_OPTIONS $OPTIONS -n $THREADS
    RuntimeDirectory=saslauthd

    [Install]
    WantedBy=multi-user.target

    """

  /// Makes the tree a Debian 13 one: saslauthd started by saslauthd.service
  /// (no START in the defaults file), with the package's example drop-in
  /// (read from examples/) and enabled, unless told otherwise.
  func useSystemd(dropIn: Bool = true, enabled: Bool = true) throws {
    try write("/usr/lib/systemd/system/saslauthd.service", DoctorTree.saslauthdUnit)
    try edit("/etc/default/saslauthd") { $0.replacingOccurrences(of: "START=yes\n", with: "") }
    if dropIn {
      let example = try String(
        contentsOfFile: Project.root + "/examples/saslauthd-postfix-chroot.service.conf", encoding: .utf8)
      try write("/etc/systemd/system/saslauthd.service.d/postfix-chroot.conf", example)
    }
    if enabled {
      try makeDirectory("/etc/systemd/system/multi-user.target.wants", mode: 0o755)
      try FileManager.default.createSymbolicLink(
        atPath: path("/etc/systemd/system/multi-user.target.wants/saslauthd.service"),
        withDestinationPath: "/usr/lib/systemd/system/saslauthd.service")
    }
  }

  /// The module's configuration for this tree's database.
  func configText(connect: String? = nil) -> String {
    """
    # pam_swiftsql for the doctor's tree
    driver = sqlite
    connect = \(connect ?? database)
    password_query = SELECT password FROM users WHERE username = '%n' AND domain = '%d'

    """
  }

  /// Where a system path of the tree is on disk.
  func path(_ system: String) -> String { root + system }

  func makeDirectory(_ system: String, mode: Int, group: UInt32 = 0) throws {
    try FileManager.default.createDirectory(atPath: path(system), withIntermediateDirectories: true)
    chown(path(system), 0, group)
    chmod(path(system), mode_t(mode))
  }

  func write(_ system: String, _ text: String, mode: Int = 0o644, owner: UInt32 = 0, group: UInt32 = 0) throws {
    try FileManager.default.createDirectory(
      atPath: SystemPath.parent(path(system)), withIntermediateDirectories: true)
    try writeFile(path(system), text, mode: mode)
    chown(path(system), owner, group)
  }

  /// Rewrites a file of the tree with `change` applied to its text; fails
  /// the test when the change does nothing (the fixture and the test drifted).
  func edit(_ system: String, _ change: (String) -> String) throws {
    let before = try String(contentsOfFile: path(system), encoding: .utf8)
    let after = change(before)
    if after == before { throw RunError(description: "editing \(system) changed nothing") }
    var info = stat()
    stat(path(system), &info)
    try writeFile(path(system), after, mode: Int(info.st_mode & 0o7777))
    chown(path(system), info.st_uid, info.st_gid)
  }

  func remove(_ system: String) throws {
    try FileManager.default.removeItem(atPath: path(system))
  }

  /// Replaces the fake process list with one saslauthd of these processes.
  func setProcesses(_ commandLine: [String], pids: [Int], status: String? = nil) throws {
    try? FileManager.default.removeItem(atPath: path("/proc"))
    try makeDirectory("/proc", mode: 0o755)
    for pid in pids {
      try makeDirectory("/proc/\(pid)", mode: 0o755)
      let bytes: [UInt8] = commandLine.flatMap { Array($0.utf8) + [UInt8(0)] }
      try Data(bytes).write(to: URL(fileURLWithPath: path("/proc/\(pid)/cmdline")))
      if let status { try write("/proc/\(pid)/status", status) }
    }
  }

  /// A listening socket at `system` (replacing the tree's current one).
  func listen(at system: String) throws {
    listener = nil
    listener = try ListeningSocket(path: path(system))
  }

  /// The socket stops listening but stays, like a dead saslauthd's.
  func leaveSocketStale() { listener?.leaveStale() }

  /// `pam-swiftsql doctor --root <tree> --json …`, parsed.
  func doctor(_ arguments: [String] = [], input: String? = nil) throws -> DoctorOutput {
    let result = try run([Project.tool, "doctor", "--root", root, "--json"] + arguments, input: input, timeout: 120)
    return try DoctorOutput(result)
  }

  /// `pam-swiftsql doctor --root <tree> …` as text.
  func doctorText(_ arguments: [String] = [], input: String? = nil) throws -> RunResult {
    try run([Project.tool, "doctor", "--root", root] + arguments, input: input, timeout: 120)
  }

  func tearDown() {
    listener = nil
    removeTemporaryDirectory(directory)
  }
}
