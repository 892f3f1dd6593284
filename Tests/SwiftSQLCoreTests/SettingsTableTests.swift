// Covers the options table of Settings.swift as the one place a key is
// declared: every row's documented default is what a fresh `Settings` holds
// (writing the default, or nothing for a key unset by default, changes
// nothing), every type refuses what it must with a message, and
// pam_swiftsql.conf(5) documents every key of the table under KEYS with the
// same default and, for seconds, the same bounds. The man page is read from
// the source tree; the expected values are the page's words, not the code's.

import SwiftSQLCore
import Testing

/// man/pam_swiftsql.conf.5's KEYS section: for each `.TP` / `.B key` entry,
/// its text with the font macros removed and the lines joined.
private func manPageKeys() throws -> [String: String] {
  var path = #filePath
  for _ in 0..<3 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
  let page = try String(contentsOfFile: path + "/man/pam_swiftsql.conf.5", encoding: .utf8)
  var entries: [String: String] = [:]
  var inKeys = false
  var key: String? = nil
  var previous = ""
  for line in page.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
    if line.hasPrefix(".SH ") {
      inKeys = line == ".SH KEYS"
      key = nil
    } else if inKeys && previous == ".TP" && (line.hasPrefix(".B ") || line.hasPrefix(".BR ")) {
      let name = line.split(separator: " ").dropFirst().first.map(String.init) ?? ""
      key = name
      entries[name] = ""
    } else if inKeys, let key, line != ".TP" {
      var text = line
      for macro in [".BR ", ".BI ", ".B ", ".IR ", ".I ", ".RB "] where text.hasPrefix(macro) {
        text = String(text.dropFirst(macro.count))
      }
      text = text.filter { $0 != "\"" }.replacing("\\-", with: "-")
      entries[key, default: ""] += " " + text
    }
    previous = line
  }
  return entries.mapValues { $0.split(separator: " ").joined(separator: " ") }
}

@Suite("The settings table")
struct SettingsTableTests {
  @Test("each row's default is what a fresh Settings holds")
  func defaultsAgree() throws {
    #expect(Settings.options.count == 18)
    for option in Settings.options {
      var settings = Settings()
      let known = try settings.set(option.key, to: option.defaultValue ?? "")
      #expect(known, "\(option.key)")
      #expect(settings == Settings(), "writing \(option.key)'s default changes a fresh Settings")
    }
  }

  @Test("a value other than the default changes a fresh Settings")
  func nonDefaultsChange() throws {
    let other: [String: String] = [
      "allow_bare_logins": "yes", "debug": "yes", "nullok": "yes", "connect_timeout": "7", "query_timeout": "9",
      "default_pass_scheme": "sha512-crypt", "driver": "pgsql", "default_domain": "Example.ORG",
      "password_scheme": "argon2id", "upgrade_scheme": "argon2id",
    ]
    for option in Settings.options {
      var settings = Settings()
      _ = try settings.set(option.key, to: other[option.key] ?? "SELECT 1")
      #expect(settings != Settings(), "setting \(option.key) changed nothing")
    }
  }

  @Test("keys are sorted, unique and spelled as pam_swiftsql.conf writes them")
  func keysAreSorted() {
    let keys = Settings.options.map(\.key)
    #expect(keys == keys.sorted())
    #expect(Set(keys).count == keys.count)
    #expect(keys.allSatisfy { $0.allSatisfy { $0 == "_" || ("a"..."z").contains($0) } })
  }

  @Test(
    "each type refuses what it must, naming what it expects",
    arguments: [
      ("debug", "maybe", "expected yes or no"),
      ("connect_timeout", "0", "expected a whole number of seconds from 1 to 300"),
      ("query_timeout", "301", "expected a whole number of seconds from 1 to 300"),
      ("query_timeout", "5s", "expected a whole number of seconds from 1 to 300"),
      ("default_pass_scheme", "", "it is empty; give a scheme name such as CRYPT"),
      ("driver", "oracle", "expected one of: pgsql, sqlite, mysql"),
    ])
  func refusals(key: String, value: String, message: String) {
    var settings = Settings()
    #expect(throws: SettingProblem(message)) { _ = try settings.set(key, to: value) }
    #expect(settings == Settings())
  }

  @Test("pam_swiftsql.conf(5) documents every row under KEYS, with its default and bounds")
  func manPage() throws {
    let entries = try manPageKeys()
    #expect(entries.count >= 18)
    for option in Settings.options {
      guard let text = entries[option.key] else {
        Issue.record("pam_swiftsql.conf(5) has no .TP/.B \(option.key) entry under KEYS")
        continue
      }
      if let value = option.defaultValue {
        let said = text.lowercased()
        let forms = ["default \(value)", "default: \(value)", "default \(value.lowercased())"].map { $0.lowercased() }
        #expect(forms.contains { said.contains($0) }, "\(option.key): the page does not say its default \(value)")
      }
      if case .seconds(let range) = option.type {
        #expect(text.contains("\(range.lowerBound) to \(range.upperBound)"), "\(option.key): bounds not given")
      }
    }
    let extra = Set(entries.keys).subtracting(Settings.options.map(\.key))
    #expect(extra.isEmpty, "documented under KEYS but not in the table: \(extra.sorted())")
  }
}
