// The Dovecot examples, read by the real doveconf of this machine (Debian
// 12: Dovecot 2.3): the 2.3 example gives a passdb pam and a static userdb
// that asks no system user, and the 2.4 example is refused, as a 2.3
// configuration is by Dovecot 2.4 (make e2e-trixie reads both with Debian
// 13's doveconf). The PAM service file's comment shows both syntaxes.

import Foundation
import Testing

@Suite("Dovecot examples: the real doveconf")
struct DovecotExampleTests {
  static let doveconf = "/usr/bin/doveconf"

  /// `doveconf -n` of a configuration that only includes `example`.
  func doveconf(including example: String) throws -> RunResult {
    let directory = try makeTemporaryDirectory("swiftsql-doveconf")
    defer { removeTemporaryDirectory(directory) }
    try writeFile("\(directory)/dovecot.conf", "!include \(Project.root)/examples/\(example)\n")
    return try run([DovecotExampleTests.doveconf, "-c", "\(directory)/dovecot.conf", "-n"], timeout: 60)
  }

  /// The major.minor of this machine's Dovecot.
  func dovecotVersion() throws -> String {
    let result = try run([DovecotExampleTests.doveconf, "-c", "/dev/null", "-n"], timeout: 60)
    let first = result.stdout.split(separator: "\n").first.map(String.init) ?? ""
    // "# 2.3.19.1 (9b53102964): /dev/null"
    return first.dropFirst(2).split(separator: ".").prefix(2).joined(separator: ".")
  }

  @Test("Dovecot 2.3's doveconf reads the 2.3 example: passdb pam, userdb static with vmail's Maildir")
  func example23() throws {
    try #require(FileManager.default.isExecutableFile(atPath: DovecotExampleTests.doveconf), "dovecot-core")
    try #require(try dovecotVersion() == "2.3", "this test reads the 2.3 example with Dovecot 2.3")
    let result = try doveconf(including: "dovecot-2.3-auth-swiftsql.conf.ext")
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr.isEmpty, "\(result.stderr)")
    let text = result.stdout
    #expect(text.contains("passdb {\n  driver = pam\n}"), "\(text)")
    #expect(text.contains("driver = static"), "\(text)")
    #expect(text.contains("args = uid=vmail gid=vmail home=/var/vmail/%d/%n mail=maildir:~/Maildir"), "\(text)")
    #expect(!text.contains("passwd"), "no userdb of the system's users: \(text)")
  }

  @Test("Dovecot 2.3's doveconf refuses the 2.4 example: the two are not interchangeable")
  func example24Refused() throws {
    try #require(try dovecotVersion() == "2.3", "this test reads the 2.4 example with Dovecot 2.3")
    let result = try doveconf(including: "dovecot-2.4-auth-swiftsql.conf.ext")
    #expect((result.stdout + result.stderr).contains("Fatal"), "\(result.stdout)\(result.stderr)")
  }

  @Test("pam.d/dovecot shows the passdb of both generations")
  func serviceFileComment() throws {
    let text = try String(contentsOfFile: "\(Project.root)/pam.d/dovecot", encoding: .utf8)
    #expect(text.contains("passdb pam {"))
    #expect(text.contains("driver = pam"))
    #expect(text.contains("dovecot-2.4-auth-swiftsql.conf.ext"))
    #expect(text.contains("dovecot-2.3-auth-swiftsql.conf.ext"))
  }
}
