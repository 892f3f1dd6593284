// One meaning per flag across pam-swiftsql's subcommands, read from each
// subcommand's --help as a user reads it: -u is the login and -p its
// password everywhere, -s the PAM service and -f the socket; the letters
// that differ are those of the tools users already know: testsaslauthd's
// (-r realm, -R repeat) on `test` and `doveadm pw`'s (-s scheme, -r rounds)
// on `hash`.

import Foundation
import Testing

@Suite("pam-swiftsql: one meaning per flag")
struct ToolOptionsTests {
  static let subcommands = ["test", "pam", "doctor", "hash", "verify", "status", "serve"]

  /// What every subcommand that has the letter must call it.
  static let meaning: [String: String] = [
    "-u": "--user", "-p": "--password", "-s": "--service", "-f": "--socket",
  ]
  /// Where a letter follows another tool: testsaslauthd(8) and doveadm-pw(1).
  static let borrowed: [String: [String: String]] = [
    "test": ["-r": "--realm", "-R": "--repeat"],
    "hash": ["-s": "--scheme", "-r": "--rounds"],
  ]

  /// The short → long pairs of `pam-swiftsql SUB --help`.
  static func flags(_ subcommand: String) throws -> [String: String] {
    let result = try run([Project.tool, subcommand, "--help"], timeout: 30)
    #expect(result.status == 0, "\(subcommand) --help: exit \(result.status) \(result.stderr)")
    var pairs: [String: String] = [:]
    for line in result.lines {
      let words = line.trimmingCharacters(in: .whitespaces).split(separator: " ").map(String.init)
      guard words.count >= 2, words[0].count == 3, words[0].hasPrefix("-"), words[0].hasSuffix(","),
        words[1].hasPrefix("--")
      else { continue }
      pairs[String(words[0].dropLast())] = words[1].trimmingCharacters(in: CharacterSet(charactersIn: ","))
    }
    return pairs
  }

  @Test("each subcommand's --help answers, and its letters mean what they mean elsewhere", arguments: subcommands)
  func oneMeaning(_ subcommand: String) throws {
    try Project.requireBuild()
    let pairs = try ToolOptionsTests.flags(subcommand)
    if subcommand != "serve" { #expect(pairs["-h"] == "--help", "\(subcommand): \(pairs)") }
    for (short, long) in pairs where short != "-h" {
      let expected = ToolOptionsTests.borrowed[subcommand]?[short] ?? ToolOptionsTests.meaning[short]
      #expect(expected != nil, "\(subcommand): \(short) (\(long)) means nothing the other subcommands agree on")
      if let expected { #expect(long == expected, "\(subcommand): \(short) is \(long), elsewhere \(expected)") }
    }
  }

  @Test("the login is -u in every subcommand that takes one; doctor still takes --login")
  func loginIsU() throws {
    try Project.requireBuild()
    for subcommand in ["test", "pam", "doctor", "hash", "verify"] {
      #expect(try ToolOptionsTests.flags(subcommand)["-u"] == "--user", "\(subcommand)")
    }
    // --login, doctor's first name for it, keeps working: -p without a
    // login is refused either way, and with --login it is not that error.
    let refused = try run([Project.tool, "doctor", "-p", "x", "--root", "/nonexistent"], timeout: 30)
    #expect(refused.status == 2 && refused.stderr.contains("-p needs -u"), "\(refused.stderr)")
    let accepted = try run(
      [Project.tool, "doctor", "--login", "a@example.org", "-p", "x", "--root", "/nonexistent"], timeout: 30)
    #expect(!accepted.stderr.contains("-p needs"), "\(accepted.stderr)")
  }
}
