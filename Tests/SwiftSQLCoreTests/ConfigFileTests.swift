// Covers the syntax layer of the configuration: `ConfigFile.parse` (key =
// value lines, # comment lines, blank lines, trailing-backslash continuation
// joined with one space, a value wholly in double quotes unquoted, the line
// number each entry started on, and syntax errors for a line without `=` or
// with a key that is not lower-case letters, digits and `_`, each with its
// line number) and `ModuleArguments` (config=PATH and its default, key=value
// and bare-flag settings in order, PAM's own flags accepted silently, other
// words collected as unknown).

import SwiftSQLCore
import Testing

/// A `ConfigEntry` in a form the tests can build.
private struct Entry: Equatable, CustomStringConvertible {
  let key: String
  let value: String
  let line: Int
  init(_ key: String, _ value: String, _ line: Int) {
    self.key = key
    self.value = value
    self.line = line
  }
  init(_ entry: ConfigEntry) { self.init(entry.key, entry.value, entry.line) }
  var description: String { "\(key)=\(value)@\(line)" }
}

private func parse(_ text: String) throws(ConfigSyntaxError) -> [Entry] {
  try ConfigFile.parse(text).map(Entry.init)
}

@Suite("ConfigFile.parse")
struct ConfigFileParseTests {
  @Test("key = value lines, comments and blank lines")
  func simpleLines() throws {
    let text = """
      # pam_swiftsql configuration
      driver = pgsql

      # the database
      connect = host=db user=mail dbname=mail
      nullok=no
      \tdebug   =   yes\t
      """
    #expect(
      try parse(text) == [
        Entry("driver", "pgsql", 2),
        Entry("connect", "host=db user=mail dbname=mail", 5),
        Entry("nullok", "no", 6),
        Entry("debug", "yes", 7),
      ])
  }

  @Test("a trailing backslash continues the value on a new line of it")
  func continuation() throws {
    let text = """
      driver = sqlite
      password_query = SELECT password FROM users \\
                       WHERE username = '%n' \\
          AND domain = '%d'
      connect = /var/lib/mail/users.db
      """
    #expect(
      try parse(text) == [
        Entry("driver", "sqlite", 1),
        Entry("password_query", "SELECT password FROM users\nWHERE username = '%n'\nAND domain = '%d'", 2),
        Entry("connect", "/var/lib/mail/users.db", 5),
      ])
  }

  @Test("a backslash directly after the text still separates the lines")
  func continuationWithoutSpace() throws {
    #expect(
      try parse("password_query = SELECT password\\\nFROM users") == [
        Entry("password_query", "SELECT password\nFROM users", 1)
      ])
  }

  @Test("an SQL comment on a continued line ends with that line")
  func commentInContinuation() throws {
    let text = "password_query = SELECT password \\\n  -- the login column \\\n  FROM users WHERE login = '%u'"
    #expect(
      try parse(text) == [
        Entry("password_query", "SELECT password\n-- the login column\nFROM users WHERE login = '%u'", 1)
      ])
  }

  @Test("a value wholly in double quotes has them removed")
  func quotedValue() throws {
    #expect(
      try parse("default_domain = \"example.org\"\nconnect = \"host=db user=mail\"\nempty = \"\"") == [
        Entry("default_domain", "example.org", 1),
        Entry("connect", "host=db user=mail", 2),
        Entry("empty", "", 3),
      ])
  }

  @Test("double quotes inside a value are kept")
  func innerQuotesKept() throws {
    #expect(
      try parse("password_query = SELECT \"password\" FROM users") == [
        Entry("password_query", "SELECT \"password\" FROM users", 1)
      ])
  }

  @Test("keys may hold lower-case letters, digits and underscores")
  func keyAlphabet() throws {
    #expect(try parse("a_1 = x\nkey2=y") == [Entry("a_1", "x", 1), Entry("key2", "y", 2)])
  }

  @Test("an empty file and a file of comments have no entries")
  func noEntries() throws {
    #expect(try parse("") == [])
    #expect(try parse("# only a comment\n\n   \n# another\n") == [])
  }

  @Test(
    "syntax errors name the line",
    arguments: [
      ("driver = pgsql\njust some words\n", 2),
      ("no equals sign", 1),
      ("# comment\n\nDriver = pgsql", 3),
      ("driver = pgsql\nmy-key = x", 2),
      ("key.name = x", 1),
      ("= value", 1),
      ("# c\n   = value", 2),
      ("pass word = x", 1),
      ("driver = pgsql\npassword_query SELECT 1 \\\nFROM users", 2),
    ])
  func syntaxError(text: String, line: Int) {
    #expect {
      try ConfigFile.parse(text)
    } throws: { error in
      (error as? ConfigSyntaxError)?.line == line
    }
  }

  @Test("a syntax error has a message")
  func syntaxErrorMessage() {
    #expect {
      try ConfigFile.parse("bad line")
    } throws: { error in
      guard let error = error as? ConfigSyntaxError else { return false }
      return !error.message.isEmpty
    }
  }
}

@Suite("ModuleArguments")
struct ModuleArgumentsTests {
  @Test("config, flags, settings, PAM flags and unknown words")
  func mixedArguments() {
    let arguments = ModuleArguments(["config=/x", "debug", "nullok", "driver=pgsql", "try_first_pass", "bogus"])
    #expect(arguments.configPath == "/x")
    #expect(arguments.settings.map(\.key) == ["debug", "nullok", "driver"])
    #expect(arguments.settings.map(\.value) == ["yes", "yes", "pgsql"])
    #expect(arguments.unknown == ["bogus"])
  }

  @Test("the default configuration path")
  func defaultPath() {
    #expect(ModuleArguments([]).configPath == "/etc/pam_swiftsql.conf")
    #expect(ModuleArguments(["debug"]).configPath == "/etc/pam_swiftsql.conf")
    #expect(ModuleArguments.defaultConfigPath == "/etc/pam_swiftsql.conf")
  }

  @Test("PAM's own flags are accepted silently", arguments: ["try_first_pass", "use_first_pass", "use_authtok"])
  func pamFlags(_ flag: String) {
    let arguments = ModuleArguments([flag])
    #expect(arguments.unknown.isEmpty)
    #expect(arguments.settings.isEmpty)
  }

  @Test("a value keeps everything after the first =")
  func valueWithEquals() {
    let arguments = ModuleArguments(["connect=host=db user=mail"])
    #expect(arguments.settings.map(\.key) == ["connect"])
    #expect(arguments.settings.map(\.value) == ["host=db user=mail"])
  }

  @Test("several unknown words keep their order")
  func unknownOrder() {
    #expect(ModuleArguments(["zeta", "alpha", "debug"]).unknown == ["zeta", "alpha"])
  }
}
