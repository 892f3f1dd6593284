// What the hash-string fuzz target (fuzz/Targets/hash-string.swift, README
// "Fuzzing and sanitizers") found in the schemes: crypt settings that
// libxcrypt runs but whose cost CryptCost did not read, so that one stored
// value could hold a worker for seconds (a BSDi setting shorter than a whole
// value) or for good ($2x$ bcrypt, $sha1$ with a signed round count,
// $md5$rounds=). The failing inputs themselves are in
// fuzz/regressions/hash-string.

import SwiftSQLCore
import SwiftSQLSchemes
import Testing

@Suite("Fuzz findings: crypt costs")
struct FuzzCryptCostFindingsTests {
  static let salt22 = "abcdefghijklmnopqrstuu"
  static let hash31 = "abcdefghijklmnopqrstuvwxyzABCDE"

  static let overLimit: [Malformed] = [
    // What the fuzzer found: _ + 13,621,177 rounds + salt, 14 characters.
    Malformed("_tSxn1rcQc/Y/s", "13621177 rounds are over the limit"),
    Malformed("{CRYPT}_zzzzsalt", "rounds are over the limit"),
    Malformed("$2x$31$" + salt22 + hash31, "bcrypt cost 31 is over the limit"),
    Malformed("$sha1$-1$saltsalt$" + hash31, "its rounds are not a decimal number"),
    Malformed("$sha1$+1000$saltsalt$" + hash31, "its rounds are not a decimal number"),
    Malformed("$sha1$4294967296$saltsalt$" + hash31, "4294967296 rounds are over the limit"),
    Malformed("$md5$rounds=4000000000$salt$$" + salt22, "rounds=4000000000 is over the limit"),
  ]

  @Test("a crypt setting over the limits is refused by its prefix, whatever its length", arguments: overLimit)
  func refused(_ value: Malformed) {
    let clock = ContinuousClock()
    let start = clock.now
    let (outcome, _) = check(value.stored, password: Array("password".utf8), defaultScheme: value.defaultScheme)
    guard let problem = outcome.problem else {
      Issue.record("expected unusable, got \(outcome)")
      return
    }
    #expect(problem.contains(value.problem), "problem: \(problem)")
    #expect(clock.now - start < .seconds(2))
  }

  @Test(
    "the same forms within the limits still verify",
    arguments: [
      "_..0.salt0950MIzbxhM", "$2x$04$abcdefghijklmnopqrstuufznL8bkzdtHwLhca4To/v9Lo9bA7fR6",
      "$sha1$1000$saltsalt$E0if02MamgoxbxJReWRq/jzCiuUs", "$md5$rounds=1000$salt$$AEMjuPCb0Kwq3TCJa2.Jg.",
    ])
  func withinLimits(_ stored: String) {
    #expect(check(stored, "pass") == .match)
    #expect(check(stored, "wrong") == .mismatch)
  }
}
