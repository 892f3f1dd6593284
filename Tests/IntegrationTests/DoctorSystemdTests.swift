// `pam-swiftsql doctor` on Debian 13 trees, where saslauthd.service starts
// saslauthd (its unit file, drop-ins and the enable link are read as
// `systemctl cat` shows them), beside the Debian 12 trees of DoctorTests,
// where the init script does; and its pg-hba check of PostgreSQL's
// pg_hba.conf. Each fix is the one for the init system the tree has.

import Foundation
import Testing

@Suite("Doctor: saslauthd.service, pg_hba.conf")
struct DoctorSystemdTests {
  @Test("Debian 13 with the example drop-in, enabled: no failure, saslauthd-unit names the unit and the drop-in")
  func correctSystemdSetup() throws {
    let tree = try DoctorTree()
    defer { tree.tearDown() }
    try tree.useSystemd()
    let report = try tree.doctor(["--login", tree.login])
    #expect(report.result.status == 0, "\(report.dump)")
    #expect(report.failures.isEmpty, "\(report.dump)")
    #expect(report.warnings == ["saslauthd-cache"], "\(report.dump)")
    #expect(report.names == DoctorTests.allChecks.union(["password-query"]), "\(report.dump)")
    let unit = try #require(report.check("saslauthd-unit"))
    #expect(unit.evidence.contains("/usr/lib/systemd/system/saslauthd.service"), "\(unit.evidence)")
    #expect(unit.evidence.contains("/etc/systemd/system/saslauthd.service.d/postfix-chroot.conf"), "\(unit.evidence)")
    #expect(unit.evidence.contains("enabled"), "\(unit.evidence)")
    // No START=yes is asked for: saslauthd.service does not read it.
    #expect(!report.result.stdout.contains("START"), "\(report.dump)")
  }

  @Test("Debian 12 (no unit): saslauthd-unit says the init script starts saslauthd")
  func initScriptTree() throws {
    let tree = try DoctorTree()
    defer { tree.tearDown() }
    let report = try tree.doctor()
    let unit = try #require(report.check("saslauthd-unit"))
    #expect(unit.status == "ok")
    #expect(unit.evidence.contains("init script"), "\(unit.evidence)")
  }

  @Test("Debian 13 without the drop-in: saslauthd.service would wait for a pid file that never comes")
  func missingDropIn() throws {
    let tree = try DoctorTree()
    defer { tree.tearDown() }
    try tree.useSystemd(dropIn: false)
    let report = try tree.doctor()
    #expect(report.result.status == 1, "\(report.dump)")
    #expect(report.failures == ["saslauthd-unit"], "\(report.dump)")
    let unit = try #require(report.check("saslauthd-unit"))
    #expect(unit.evidence.contains("PIDFile=/var/run/saslauthd/saslauthd.pid"), "\(unit.evidence)")
    #expect(unit.evidence.contains("/var/spool/postfix/var/run/saslauthd/saslauthd.pid"), "\(unit.evidence)")
    #expect(unit.fix.contains("saslauthd-postfix-chroot.service.conf"), "\(unit.fix)")
    #expect(unit.fix.contains("/etc/systemd/system/saslauthd.service.d/postfix-chroot.conf"), "\(unit.fix)")
    #expect(unit.fix.contains("systemctl daemon-reload"), "\(unit.fix)")
  }

  @Test("Debian 13 without the drop-in and without the directory: both are said")
  func missingDirectory() throws {
    let tree = try DoctorTree()
    defer { tree.tearDown() }
    try tree.useSystemd(dropIn: false)
    tree.leaveSocketStale()
    try tree.remove("/var/spool/postfix/var/run")
    let report = try tree.doctor()
    let unit = try #require(report.check("saslauthd-unit"))
    #expect(unit.status == "failure")
    #expect(unit.evidence.contains("does not exist"), "\(unit.evidence)")
  }

  @Test("Debian 13, saslauthd.service not enabled: a warning with systemctl enable, no START")
  func notEnabled() throws {
    let tree = try DoctorTree()
    defer { tree.tearDown() }
    try tree.useSystemd(enabled: false)
    let report = try tree.doctor()
    #expect(report.failures.isEmpty, "\(report.dump)")
    let defaults = try #require(report.check("saslauthd-defaults"))
    #expect(defaults.status == "warning", "\(report.dump)")
    #expect(defaults.fix == "systemctl enable saslauthd", "\(defaults.fix)")
  }

  @Test("Debian 12 without START=yes: the init script's warning")
  func initScriptWithoutStart() throws {
    let tree = try DoctorTree()
    defer { tree.tearDown() }
    try tree.edit("/etc/default/saslauthd") { $0.replacingOccurrences(of: "START=yes\n", with: "") }
    let report = try tree.doctor()
    let defaults = try #require(report.check("saslauthd-defaults"))
    #expect(defaults.status == "warning", "\(report.dump)")
    #expect(defaults.fix.contains("START=yes"), "\(defaults.fix)")
  }

  @Test("Debian 13 ignores /etc/default/saslauthd-<name> (Debian bug #1110485), and the doctor says so")
  func instanceFileIgnored() throws {
    let tree = try DoctorTree()
    defer { tree.tearDown() }
    try tree.useSystemd()
    try tree.write(
      "/etc/default/saslauthd-postfix",
      DoctorTree.defaults.replacingOccurrences(of: "-c -r -m", with: "-c -m"))
    let report = try tree.doctor()
    #expect(report.failures.isEmpty, "\(report.dump)")
    let defaults = try #require(report.check("saslauthd-defaults"))
    #expect(defaults.status == "warning", "\(report.dump)")
    #expect(defaults.evidence.contains("/etc/default/saslauthd-postfix"), "\(defaults.evidence)")
    #expect(defaults.evidence.contains("1110485"), "\(defaults.evidence)")
    // On Debian 12 the same file is an instance of the init script's.
    let old = try DoctorTree()
    defer { old.tearDown() }
    try old.write(
      "/etc/default/saslauthd-postfix",
      DoctorTree.defaults.replacingOccurrences(of: "-c -r -m", with: "-c -m"))
    let oldReport = try old.doctor()
    #expect(!(oldReport.check("saslauthd-defaults")?.evidence.contains("1110485") ?? true), "\(oldReport.dump)")
  }

  /// The socket outside Postfix's chroot, in a tree of either release.
  func socketOutsideChroot(systemd: Bool) throws -> DoctorOutput.Check {
    let tree = try DoctorTree()
    defer { tree.tearDown() }
    if systemd { try tree.useSystemd(dropIn: false) }
    try tree.moveSocketOutOfChroot()
    let report = try tree.doctor()
    #expect(report.failures.contains("socket-in-chroot"), "\(report.dump)")
    return try #require(report.check("socket-in-chroot"))
  }

  @Test("the socket outside the chroot: on Debian 13 the fix is the drop-in, on Debian 12 the init script's way")
  func chrootFixPerInitSystem() throws {
    let systemd = try socketOutsideChroot(systemd: true)
    #expect(systemd.fix.contains("-m /var/spool/postfix/var/run/saslauthd"), "\(systemd.fix)")
    #expect(systemd.fix.contains("/etc/systemd/system/saslauthd.service.d/postfix-chroot.conf"), "\(systemd.fix)")
    #expect(!systemd.fix.contains("dpkg-statoverride"), "\(systemd.fix)")
    #expect(!systemd.fix.contains("ln -s"), "\(systemd.fix)")
    let initScript = try socketOutsideChroot(systemd: false)
    #expect(initScript.fix.contains("-m /var/spool/postfix/var/run/saslauthd"), "\(initScript.fix)")
    #expect(initScript.fix.contains("dpkg-statoverride --add root sasl 710"), "\(initScript.fix)")
    #expect(initScript.fix.contains("/etc/tmpfiles.d/"), "\(initScript.fix)")
    #expect(!initScript.fix.contains("ln -s"), "\(initScript.fix)")
  }

  /// Debian's pg_hba.conf as PostgreSQL 17 installs it (comments left out).
  static let debianPgHba = """
    local   all             postgres                                peer
    local   all             all                                     peer
    host    all             all             127.0.0.1/32            scram-sha-256
    host    all             all             ::1/128                 scram-sha-256

    """

  /// A tree whose module uses PostgreSQL over the unix socket, on a port
  /// nothing listens on, and Debian's cluster files for that port.
  func pgsqlTree(hba: String) throws -> DoctorTree {
    let tree = try DoctorTree()
    try tree.write(
      "/etc/pam_swiftsql.conf",
      tree.configText(connect: "host=/nonexistent port=54999 dbname=mail user=mailauth password=secret")
        .replacingOccurrences(of: "driver = sqlite", with: "driver = pgsql"),
      mode: 0o640, group: DoctorTree.saslGID)
    try tree.write("/etc/postgresql/17/main/postgresql.conf", "port = 54999\t\t# (change requires restart)\n")
    try tree.write("/etc/postgresql/17/main/pg_hba.conf", hba)
    // Another cluster on another port, whose file must not count.
    try tree.write("/etc/postgresql/15/main/postgresql.conf", "port = 5432\n")
    try tree.write("/etc/postgresql/15/main/pg_hba.conf", "local all all trust\n")
    return tree
  }

  @Test("pg-hba: Debian's local all all peer refuses the module's user; the fix is the line to add above it")
  func peerRefuses() throws {
    let tree = try pgsqlTree(hba: DoctorSystemdTests.debianPgHba)
    defer { tree.tearDown() }
    let report = try tree.doctor()
    // The database check fails too: nothing listens on the port.
    #expect(report.failures == ["pg-hba", "database"], "\(report.dump)")
    let check = try #require(report.check("pg-hba"))
    #expect(check.evidence.contains("/etc/postgresql/17/main/pg_hba.conf line 2"), "\(check.evidence)")
    #expect(check.evidence.contains("peer"), "\(check.evidence)")
    #expect(check.fix.contains("local   mail   mailauth   scram-sha-256"), "\(check.fix)")
    #expect(check.fix.contains("systemctl reload postgresql"), "\(check.fix)")
  }

  @Test("pg-hba: with README.Debian's line above the peer line, ok; a password line without a password fails")
  func passwordLine() throws {
    let hba = "local   mail   mailauth   scram-sha-256\n" + DoctorSystemdTests.debianPgHba
    let tree = try pgsqlTree(hba: hba)
    defer { tree.tearDown() }
    let report = try tree.doctor()
    #expect(report.failures == ["database"], "\(report.dump)")
    #expect(report.check("pg-hba")?.evidence.contains("line 1") ?? false, "\(report.dump)")
    try tree.edit("/etc/pam_swiftsql.conf") { $0.replacingOccurrences(of: " password=secret", with: "") }
    let without = try tree.doctor()
    let check = try #require(without.check("pg-hba"))
    #expect(check.status == "failure", "\(without.dump)")
    #expect(check.fix.contains("/etc/pam_swiftsql.pgpass"), "\(check.fix)")
  }

  @Test("pg-hba: no local line admits the user at all")
  func noLine() throws {
    let tree = try pgsqlTree(hba: "local all postgres peer\n")
    defer { tree.tearDown() }
    let report = try tree.doctor()
    let check = try #require(report.check("pg-hba"))
    #expect(check.status == "failure", "\(report.dump)")
    #expect(check.fix.contains("local   mail   mailauth   scram-sha-256"), "\(check.fix)")
  }
}
