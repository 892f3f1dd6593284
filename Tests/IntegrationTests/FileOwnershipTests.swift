// Whoever can write the configuration can make every login succeed, so the
// module refuses, as sshd's StrictModes does, a configuration that root
// does not own or that group or others may write, and anything on the way
// to it (a directory, a symbolic link); a MariaDB option file likewise; and
// an SQLite database everyone may write. Through the real module: each
// answers PAM_SERVICE_ERR with one line naming the file and the fix, even
// when its queries would accept the login; the doctor says the same.

import Foundation
import Testing

@Suite("Files the module trusts: owner and mode")
struct FileOwnershipTests {
  static let nobody: uid_t = 65534

  /// alice's database, and a configuration whose password query would
  /// accept any password if it were used.
  static func setUp() throws -> (database: String, config: String) {
    let directory = try makeTemporaryDirectory("swiftsql-owner")
    let hash = try Accounts.mkpasswd("md5crypt")
    let account = Account(
      localPart: "alice", domain: "example.org", storedSQL: Accounts.quoted(hash), active: true, expired: false,
      passwordExpired: false)
    let database = try Accounts.sqliteDatabase(in: directory, [account])
    let config =
      "driver = sqlite\nconnect = \(database)\n"
      + "password_query = SELECT '{PLAIN}pwned' AS password FROM users WHERE username = '%n' AND domain = '%d'\n"
    return (database, config)
  }

  static func expectRefused(_ service: PAMService, naming texts: [String]) throws {
    let sink = try SyslogSink.shared()
    #expect(try service.result("alice@example.org", "pwned") == "auth=PAM_SERVICE_ERR acct=-", sink.recap(of: service))
    try sink.waitForLine(containing: [service.name, "configuration error"] + texts)
  }

  @Test("root's file, 0600 or 0640 to a group: trusted")
  func trusted() throws {
    let (_, config) = try Self.setUp()
    let service = try PAMService(config: config)
    defer { service.remove() }
    chown(service.configPath, 0, 65534)
    chmod(service.configPath, 0o640)
    #expect(try service.result("alice@example.org", "pwned") == BatteryTests.ok)
  }

  @Test("a file owned by another user: refused, naming it and the fix")
  func foreignOwner() throws {
    let service = try PAMService(config: try Self.setUp().config)
    defer { service.remove() }
    chown(service.configPath, Self.nobody, 65534)
    chmod(service.configPath, 0o640)
    try Self.expectRefused(service, naming: [service.configPath, "uid 65534", "chown root \(service.configPath)"])
  }

  @Test("writable by group or others: refused", arguments: [0o660, 0o666, 0o620])
  func writable(_ mode: Int) throws {
    let service = try PAMService(config: try Self.setUp().config)
    defer { service.remove() }
    chmod(service.configPath, mode_t(mode))
    try Self.expectRefused(service, naming: [service.configPath, "chmod go-w \(service.configPath)"])
  }

  @Test("a directory on the way that others may change: refused")
  func openDirectory() throws {
    let service = try PAMService(config: try Self.setUp().config)
    defer { service.remove() }
    chmod(service.directory, 0o777)
    try Self.expectRefused(service, naming: ["chmod go-w \(service.directory)"])
  }

  @Test("a symbolic link to a file in another user's directory: refused")
  func linkToForeignDirectory() throws {
    let service = try PAMService(config: nil)
    defer { service.remove() }
    let theirs = try makeTemporaryDirectory("swiftsql-theirs")
    try writeFile("\(theirs)/real.conf", try Self.setUp().config, mode: 0o644)
    chown(theirs, Self.nobody, 65534)
    symlink("\(theirs)/real.conf", service.configPath)
    try Self.expectRefused(service, naming: ["chown root \(theirs)"])
  }

  @Test("an SQLite database anyone may write: refused; one a web application owns: used")
  func database() throws {
    let (database, _) = try Self.setUp()
    let config = ConfigurationTests.config(database)
    let service = try PAMService(config: config)
    defer { service.remove() }
    let directory = String(database[..<(database.lastIndex(of: "/") ?? database.endIndex)])
    chown(directory, 33, 33)
    chown(database, 33, 33)
    chmod(database, 0o640)
    #expect(try service.result("alice@example.org", Accounts.password) == BatteryTests.ok)
    chmod(database, 0o666)
    try Self.expectRefused(service, naming: [database, "chmod o-w \(database)"])
  }

  @Test("a MariaDB option file others may write: refused")
  func optionFile() throws {
    let server = try MariaDBServer.shared()
    let directory = try makeTemporaryDirectory("swiftsql-optfile")
    let optionFile = "\(directory)/client.cnf"
    try writeFile(optionFile, "[client]\nuser = mailauth\npassword = \(MariaDBServer.password)\n", mode: 0o666)
    let service = try PAMService(
      config:
        "driver = mysql\nconnect = socket=\(server.socket) option_file=\(optionFile) dbname=mail\n\(Accounts.queries)\n"
    )
    defer { service.remove() }
    try Self.expectRefused(service, naming: [optionFile, "chmod go-w \(optionFile)"])
  }

  @Test("the doctor applies the same rule", arguments: [(65534, 0o640), (0, 0o660)])
  func doctor(_ owner: Int, _ mode: Int) throws {
    let tree = try DoctorTree()
    defer { tree.tearDown() }
    chown(tree.path("/etc/pam_swiftsql.conf"), uid_t(owner), 65534)
    chmod(tree.path("/etc/pam_swiftsql.conf"), mode_t(mode))
    let output = try tree.doctor()
    let check = output.check("config-permissions")
    #expect(check?.status == "failure", "\(output.result.stdout)")
    #expect(check?.evidence.contains("the module refuses it") == true, "\(output.result.stdout)")
  }
}
