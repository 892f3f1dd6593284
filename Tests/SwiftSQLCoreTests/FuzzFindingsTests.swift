// What the fuzz targets (fuzz/Targets, README "Fuzzing and sanitizers")
// found in the core, each kept as the smallest case that failed before its
// fix: text split or escaped by Swift Character where the other side reads
// bytes. An '@', a quote or a backslash followed by a combining mark is one
// Character, and so is "\r\n". The failing inputs themselves are in fuzz/regressions.

import SwiftSQLCore
import Testing

@Suite("Fuzz findings: logins")
struct FuzzLoginFindingsTests {
  @Test("an '@' followed by a combining mark still splits the login, at the byte, as libsasl2 does")
  func atBeforeCombiningMark() throws {
    let login = try Login.parse(Array("alice@\u{301}example.org".utf8), defaultDomain: "default.example")
    #expect(Array(login.localPart.utf8) == Array("alice".utf8))
    #expect(Array(login.domain.utf8) == Array("\u{301}example.org".utf8))
  }

  @Test("a login made with a default domain that starts with a combining mark parses back to itself")
  func defaultDomainRoundTrip() throws {
    let login = try Login.parse(Array("niazmod(".utf8), defaultDomain: "\u{325}unsafe.example")
    let again = try Login.parse(Array(login.full.utf8), defaultDomain: nil)
    #expect(Array(again.localPart.utf8) == Array(login.localPart.utf8))
    #expect(Array(again.domain.utf8) == Array(login.domain.utf8))
  }

  @Test("a default_domain with an '@' byte is refused, also before a combining mark")
  func defaultDomainWithAt() {
    #expect(Login.validateDomain("ex@\u{301}ample.org") != nil)
    var settings = Settings()
    #expect(throws: SettingProblem.self) { _ = try settings.set("default_domain", to: "ex@\u{301}ample.org") }
  }
}

@Suite("Fuzz findings: connection strings")
struct FuzzConnectionStringFindingsTests {
  @Test(
    "a quoted value reads back whole, whatever follows its quotes and backslashes",
    arguments: ["\\\\\u{7F2}", "x'\u{301} host=evil.example", "'\u{301}", "\\\u{301}'", "p'a\\ss w"])
  func quotedRoundTrip(_ value: String) throws {
    let pairs = try ConnectionString.parse("password=" + ConnectionString.quoted(value) + " host=db").get()
    #expect(pairs.map { $0.key } == ["password", "host"])
    #expect(Array(pairs.first?.value.utf8 ?? "".utf8) == Array(value.utf8))
  }
}

@Suite("Fuzz findings: query templates")
struct FuzzQueryTemplateFindingsTests {
  @Test("a variable followed by a digit is refused: $1 then 2 would be $12, ? then 2 SQLite's ?2")
  func digitAfterVariable() {
    #expect(throws: TemplateError.digitAfterVariable(offset: 2)) {
      try QueryTemplate.compile("o %u2", style: .numbered)
    }
    // Joined to a word before it, it is part of a name.
    #expect(throws: TemplateError.variableInsideIdentifier(offset: 1)) {
      try QueryTemplate.compile("o%u2", style: .numbered)
    }
    #expect(throws: TemplateError.digitAfterVariable(offset: 10)) {
      try QueryTemplate.compile("WHERE x = %{user}1", style: .positional)
    }
    #expect(throws: TemplateError.digitAfterVariable(offset: 10)) {
      try QueryTemplate.compile("WHERE x = '%u'0", style: .numbered)
    }
  }

  @Test("an E right after a variable joins it to a name, which only the service may do")
  func escapeStringAfterVariable() throws {
    #expect(throws: TemplateError.variableInsideIdentifier(offset: 15)) {
      try QueryTemplate.compile("SELECT 1 WHERE %nE'it\\'s' = x", style: .numbered)
    }
    #expect(throws: TemplateError.variableInsideIdentifier(offset: 7)) {
      try QueryTemplate.compile("SELECT %nE'\\' AND x = %u --'", style: .numbered)
    }
    // After a quoted parameter the database starts a new token: E'…' there
    // is an escape string.
    let query = try QueryTemplate.compile("SELECT 1 WHERE '%n'E'it\\'s' = x", style: .numbered)
    #expect(query.sql == "SELECT 1 WHERE $1E'it\\'s' = x")
  }

  @Test("a digit after a space, an operator or %% is fine")
  func digitAfterSeparator() throws {
    #expect(try QueryTemplate.compile("WHERE x = %u || 2", style: .numbered).sql == "WHERE x = $1 || 2")
    #expect(try QueryTemplate.compile("WHERE x = %u+1", style: .positional).sql == "WHERE x = ?+1")
    #expect(
      try QueryTemplate.compile("WHERE x LIKE '%%1' AND y = %u", style: .numbered).sql == "WHERE x LIKE '%1' AND y = $1"
    )
  }
}

@Suite("Fuzz findings: configuration files")
struct FuzzConfigFileFindingsTests {
  @Test("CRLF line ends read as LF")
  func crlf() throws {
    let entries = try ConfigFile.parse("# comment\r\ndriver = pgsql\r\npassword_query = SELECT 1 \\\r\n  FROM t\r\n")
    #expect(entries.map { $0.key } == ["driver", "password_query"])
    #expect(entries.map { $0.value } == ["pgsql", "SELECT 1\nFROM t"])
    #expect(entries.map { $0.line } == [2, 3])
  }

  @Test("a pam_mysql file with CRLF line ends is still pam_mysql's")
  func crlfDialect() {
    #expect(ConfigurationDialect.of(fileText: "# pam_mysql\r\nusers.host = localhost\r\n") == .pamMySQL)
  }
}
