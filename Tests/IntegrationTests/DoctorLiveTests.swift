// `pam-swiftsql doctor` and `test --explain` against a live saslauthd: a
// real daemon whose socket is inside a doctor tree's Postfix chroot, and a
// PAM service installed in /etc/pam.d (saslauthd reads only that
// directory) with the tree's database. Without -r, Postfix's logins
// (alice@example.org sent as 'alice' + realm) fail and the doctor names the
// missing -r, from the process list and from trying both ways; with -r
// everything is ok. Also: a password changed under -c, a service Postfix
// does not use, and that no output ever holds a password or a hash.

import Foundation
import Testing

@Suite("Doctor: live saslauthd", .serialized)
struct DoctorLiveTests {
  /// A tree with a live daemon and an installed PAM service that Postfix's
  /// main.cf names as smtpd_sasl_service.
  final class Setup {
    let tree: DoctorTree
    let service: PAMService
    let daemon: TreeSaslauthd

    init(keepRealm: Bool, extra: [String] = [], postfixService: String? = nil) throws {
      tree = try DoctorTree(listening: false)
      do {
        service = try PAMService(config: tree.configText(), installInEtc: true)
      } catch {
        tree.tearDown()
        throw error
      }
      do {
        let name = postfixService ?? service.name
        try tree.write("/etc/pam.d/\(name)", DoctorTree.pamService)
        try tree.edit("/etc/postfix/main.cf") { $0 + "smtpd_sasl_service = \(name)\n" }
        let options = (extra.contains("-c") ? "-c " : "") + (keepRealm ? "-r " : "") + "-m " + DoctorTree.runDirectory
        try tree.edit("/etc/default/saslauthd") {
          $0.replacingOccurrences(of: "OPTIONS=\"-c -r -m \(DoctorTree.runDirectory)\"", with: "OPTIONS=\"\(options)\"")
            .replacingOccurrences(of: "THREADS=5", with: "THREADS=2")
        }
        daemon = try TreeSaslauthd(tree: tree, keepRealm: keepRealm, extra: extra)
      } catch {
        service.remove()
        tree.tearDown()
        throw error
      }
    }

    func tearDown() {
      daemon.stop()
      service.remove()
      tree.tearDown()
    }

    func doctor(password: String? = nil, json: Bool = true, login: String? = nil) throws -> RunResult {
      var arguments = [Project.tool, "doctor", "--root", tree.root, "--login", login ?? tree.login]
      if json { arguments.append("--json") }
      if let password { arguments += ["-p", password] }
      return try run(arguments, timeout: 120)
    }
  }

  @Test("saslauthd without -r: the doctor names the missing -r; with -r every check is ok")
  func realm() throws {
    let bare = try Setup(keepRealm: false)
    defer { bare.tearDown() }
    // Debian's testsaslauthd succeeds with the whole address and fails the
    // way Postfix asks (login + realm): the trap itself.
    let local = ["-u", bare.tree.localPart, "-r", bare.tree.domain]
    let asPostfix = try run(
      ["testsaslauthd", "-f", bare.daemon.socket, "-s", bare.service.name, "-p", bare.tree.password] + local)
    #expect(asPostfix.stdout.contains("NO"), "\(asPostfix.stdout)")

    let report = try DoctorOutput(try bare.doctor(password: bare.tree.password))
    #expect(report.result.status == 1)
    #expect(report.failures == ["saslauthd-realm", "end-to-end"], "\(report.dump)")
    let realm = try #require(report.check("saslauthd-realm"))
    #expect(realm.evidence.contains("no -r"), "\(realm.evidence)")
    #expect(realm.fix.contains("-r -m \(DoctorTree.runDirectory)"), "\(realm.fix)")
    let endToEnd = try #require(report.check("end-to-end"))
    #expect(endToEnd.evidence.contains("the realm differs"), "\(endToEnd.evidence)")
    #expect(
      endToEnd.evidence.contains(
        "PAM (service \(bare.service.name), user \(bare.tree.login)) answers pam_acct_mgmt: PAM_SUCCESS"),
      "\(endToEnd.evidence)")
    #expect(endToEnd.fix.contains("-r"))

    let joined = try Setup(keepRealm: true)
    defer { joined.tearDown() }
    let good = try DoctorOutput(try joined.doctor(password: joined.tree.password))
    #expect(good.result.status == 0, "\(good.dump)")
    #expect(good.failures.isEmpty && good.warnings.isEmpty, "\(good.dump)")
    #expect(good.notRun.isEmpty, "\(good.dump)")
    #expect(good.names == DoctorTests.allChecks.union(["password-query", "end-to-end"]), "\(good.dump)")
  }

  @Test("-c: a password changed in SQL still works through saslauthd; the doctor says it is the cache")
  func cache() throws {
    let setup = try Setup(keepRealm: true, extra: ["-c"])
    defer { setup.tearDown() }
    let old = setup.tree.password
    // Cached the way Postfix asks: login and realm apart (the cache key).
    let first = try run(
      [
        Project.tool, "test", "-f", setup.daemon.socket, "-s", setup.service.name, "-u", setup.tree.localPart,
        "-r", setup.tree.domain, "-p", old,
      ])
    #expect(first.status == 0, "\(first.stdout) \(first.stderr)")
    let newHash = try Accounts.mkpasswd("sha512crypt", "a new password \(uniqueTag())")
    try run(["sqlite3", setup.tree.database, "UPDATE users SET password = \(Accounts.quoted(newHash))"], check: true)

    let report = try DoctorOutput(try setup.doctor(password: old))
    #expect(report.failures == ["end-to-end"], "\(report.dump)")
    #expect(report.warnings == ["saslauthd-cache"], "\(report.dump)")
    let endToEnd = try #require(report.check("end-to-end"))
    #expect(endToEnd.evidence.contains("-c cache"), "\(endToEnd.evidence)")
    #expect(endToEnd.evidence.contains("PAM_AUTH_ERR"), "\(endToEnd.evidence)")
    #expect(endToEnd.fix.contains("restart saslauthd"))
  }

  @Test("a service Postfix does not use: saslauthd accepts another service, the doctor says the service differs")
  func serviceDiffers() throws {
    let missing = "swiftsql-notinstalled-\(uniqueTag())"
    let setup = try Setup(keepRealm: true, postfixService: missing)
    defer { setup.tearDown() }
    // testsaslauthd with the installed service succeeds: what misleads.
    let misleading = try run(
      [
        "testsaslauthd", "-f", setup.daemon.socket, "-s", setup.service.name, "-u", setup.tree.login, "-p",
        setup.tree.password,
      ])
    #expect(misleading.stdout.contains("OK"), "\(misleading.stdout)")

    let report = try DoctorOutput(try setup.doctor(password: setup.tree.password))
    #expect(report.failures == ["end-to-end"], "\(report.dump)")
    let endToEnd = try #require(report.check("end-to-end"))
    #expect(endToEnd.evidence.contains("the service differs"), "\(endToEnd.evidence)")
    #expect(endToEnd.evidence.contains("'\(setup.service.name)'"), "\(endToEnd.evidence)")
    #expect(endToEnd.fix.contains("/etc/pam.d/\(missing)"), "\(endToEnd.fix)")
  }

  @Test("test --explain names the missing -r as the likely cause of a refusal")
  func explain() throws {
    let setup = try Setup(keepRealm: false)
    defer { setup.tearDown() }
    let result = try run(
      [
        Project.tool, "test", "-f", setup.daemon.socket, "-s", setup.service.name, "-u", setup.tree.localPart,
        "-r", setup.tree.domain, "-p", setup.tree.password, "--explain",
      ], timeout: 120)
    #expect(result.status == 1)
    #expect(result.lines.first?.hasPrefix("0: NO ") == true, "\(result.stdout)")
    let cause = try #require(result.lines.firstIndex { $0.hasPrefix("likely cause: ") }, "\(result.stdout)")
    #expect(result.lines[cause].hasPrefix("likely cause: saslauthd-realm: "), "\(result.stdout)")
    #expect(result.lines[cause].contains("'\(setup.tree.domain)'"), "\(result.stdout)")
    #expect(result.lines[cause + 1].hasPrefix("fix: ") && result.lines[cause + 1].contains("-r"), "\(result.stdout)")
    #expect(result.stdout.contains("[ ok ] pam-service: "), "\(result.stdout)")

    // A wrong password: saslauthd and PAM agree, the cause is below them.
    let wrong = try run(
      [
        Project.tool, "test", "-f", setup.daemon.socket, "-s", setup.service.name, "-u", setup.tree.login,
        "-p", "wrong-\(uniqueTag())", "--explain",
      ], timeout: 120)
    #expect(wrong.status == 1)
    #expect(wrong.stdout.contains("PAM_AUTH_ERR"), "\(wrong.stdout)")
    #expect(wrong.stdout.contains("[warn] saslauthd-realm: "), "\(wrong.stdout)")
  }

  @Test("no output of doctor or test --explain holds a password or a hash")
  func noSecrets() throws {
    let setup = try Setup(keepRealm: true)
    defer { setup.tearDown() }
    let password = setup.tree.password
    // Three more logins, with the other hash families.
    var hashes: [String] = []
    var logins: [String] = [setup.tree.login]
    for method in ["yescrypt", "bcrypt", "sha512crypt"] {
      let hash = try Accounts.mkpasswd(method, password)
      hashes.append(hash)
      let local = "\(method)\(uniqueTag())"
      try run(
        [
          "sqlite3", setup.tree.database,
          "INSERT INTO users VALUES (\(Accounts.quoted(local)), '\(setup.tree.domain)', \(Accounts.quoted(hash)))",
        ],
        check: true)
      logins.append("\(local)@\(setup.tree.domain)")
    }
    hashes.append(
      try run(
        ["sqlite3", setup.tree.database, "SELECT password FROM users WHERE username = '\(setup.tree.localPart)'"],
        check: true
      )
      .stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    var outputs: [RunResult] = []
    for login in logins {
      for json in [true, false] {
        outputs.append(try setup.doctor(password: password, json: json, login: login))
        outputs.append(try setup.doctor(password: "wrong \(password)", json: json, login: login))
      }
    }
    // The password typed at standard input instead of -p.
    outputs.append(
      try run(
        [Project.tool, "doctor", "--root", setup.tree.root, "--login", setup.tree.login], input: password + "\n",
        timeout: 120))
    outputs.append(
      try run(
        [
          Project.tool, "test", "-f", setup.daemon.socket, "-s", setup.service.name, "-u", setup.tree.login, "-p",
          "wrong \(password)", "--explain",
        ], timeout: 120))
    #expect(outputs[0].stdout.contains("\"end-to-end\""))
    for output in outputs {
      let text = output.stdout + output.stderr
      #expect(!text.contains(password), "a password in: \(text)")
      for hash in hashes { #expect(!text.contains(hash), "a hash in: \(text)") }
      for marker in ["$6$", "$y$", "$2b$"] { #expect(!text.contains(marker), "\(marker) in: \(text)") }
    }
  }
}
