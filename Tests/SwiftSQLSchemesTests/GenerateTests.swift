// Covers making new stored values: every scheme the registry says it can
// make produces a `{SCHEME}` value that verifies with the password and not
// with another, costs are honoured and limited, DIGEST-MD5 needs the login,
// and schemes rank as the upgrade expects (plaintext < unsalted digests <
// salted < iterated < memory-hard).

import SwiftSQLCore
import SwiftSQLSchemes
import Testing

@Suite("Making stored values")
struct GenerateTests {
  static let login = (try? Login.parse(Array("alice@example.org".utf8), defaultDomain: nil))

  static func make(_ scheme: String, _ password: String, cost: Int? = nil) -> Result<String, SchemeProblem> {
    withPassword(Array(password.utf8)) { pw in
      SchemeRegistry.generate(pw, scheme: scheme, options: GenerateOptions(cost: cost, login: login))
        .map { $0.nonSecretText }
    }
  }

  static let makeable = SchemeRegistry.names.filter { $0.canGenerate }.map { $0.name }

  @Test("each makeable scheme's value verifies with its password only", arguments: makeable)
  func roundTrip(_ scheme: String) throws {
    let password = "gën-\(scheme)-pw"
    let stored = try GenerateTests.make(scheme, password).get()
    #expect(stored.hasPrefix("{"))
    #expect(check(stored, password) == .match)
    // A changed first character: PLAIN-TRUNC accepts a longer password whose
    // prefix matches, by design, so appending would not do for every scheme.
    #expect(check(stored, "X" + password.dropFirst()) == .mismatch)
  }

  @Test("a cost is honoured, and refused beyond the limit")
  func costs() throws {
    #expect(try GenerateTests.make("SHA512-CRYPT", "pw", cost: 6000).get().hasPrefix("{SHA512-CRYPT}$6$rounds=6000$"))
    #expect(try GenerateTests.make("BLF-CRYPT", "pw", cost: 6).get().hasPrefix("{BLF-CRYPT}$2y$06$"))
    #expect(try GenerateTests.make("ARGON2ID", "pw", cost: 2).get().contains("t=2,"))
    #expect(try GenerateTests.make("SCRAM-SHA-1", "pw", cost: 5000).get().hasPrefix("{SCRAM-SHA-1}5000,"))
    for (scheme, cost) in [("BLF-CRYPT", 31), ("SHA512-CRYPT", 999_999_999), ("ARGON2ID", 1000), ("SCRAM-SHA-1", 10)] {
      guard case .failure = GenerateTests.make(scheme, "pw", cost: cost) else {
        Issue.record("\(scheme) accepted cost \(cost)")
        continue
      }
    }
  }

  @Test("values only verified cannot be made; DIGEST-MD5 needs the login")
  func refusals() {
    if case .success = GenerateTests.make("MYSQL41", "pw") { Issue.record("MYSQL41 was made") }
    let noLogin = withPassword(Array("pw".utf8)) {
      SchemeRegistry.generate($0, scheme: "DIGEST-MD5", options: GenerateOptions())
    }
    guard case .failure(let problem) = noLogin else {
      Issue.record("DIGEST-MD5 without a login")
      return
    }
    #expect(problem.message.contains("login"))
  }

  @Test("schemes rank as the upgrade expects")
  func ranks() {
    let registry = SchemeRegistry()
    func rank(_ name: String) -> Int { registry.strength(of: name) ?? -1 }
    #expect(rank("PLAIN") < rank("SHA"))
    #expect(rank("SHA512") < rank("SSHA512"))
    #expect(rank("MD5-CRYPT") < rank("SHA512-CRYPT"))
    #expect(rank("SHA512-CRYPT") < rank("ARGON2ID"))
    #expect(rank("PBKDF2") < rank("BLF-CRYPT"))
    #expect(rank("ARGON2ID") == rank("YESCRYPT"))
    #expect(registry.strength(of: "NO-SUCH") == nil)
  }
}
