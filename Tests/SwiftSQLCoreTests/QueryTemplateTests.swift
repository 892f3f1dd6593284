// Covers `QueryTemplate.compile` and `CompiledQuery.values(for:)`: every
// Dovecot variable in its short and long form in both placeholder styles,
// quoted and unquoted, the `L` (lower-case) modifier, `%%`, number reuse in
// the numbered (PostgreSQL) style and one value per occurrence in the
// positional (SQLite) style, the Dovecot example query, SQL quoting ('' in
// literals, E'…' and backslash-escape literals, comments copied verbatim),
// every compile error (unknown or unterminated variables, variables inside
// text or identifiers, unterminated quotes and comments, literal placeholders,
// empty templates), and the values bound for a request in placeholder order.

import SwiftSQLCore
import Testing

private func login(_ text: String) throws -> Login {
  try Login.parse(Array(text.utf8), defaultDomain: nil)
}

/// One way of writing a variable, and the variable it means.
struct VariableSpelling: Sendable, CustomTestStringConvertible {
  let text: String
  let variable: QueryVariable
  var testDescription: String { text }
}

@Suite("QueryTemplate: variables")
struct QueryTemplateVariableTests {
  static let spellings: [VariableSpelling] = [
    VariableSpelling(text: "%u", variable: .user),
    VariableSpelling(text: "%{user}", variable: .user),
    VariableSpelling(text: "%n", variable: .username),
    VariableSpelling(text: "%{username}", variable: .username),
    VariableSpelling(text: "%d", variable: .domain),
    VariableSpelling(text: "%{domain}", variable: .domain),
    VariableSpelling(text: "%s", variable: .service),
    VariableSpelling(text: "%{service}", variable: .service),
    VariableSpelling(text: "%r", variable: .remoteHost),
    VariableSpelling(text: "%{rip}", variable: .remoteHost),
  ]

  @Test("an unquoted variable becomes $1 (numbered)", arguments: spellings)
  func unquotedNumbered(_ spelling: VariableSpelling) throws {
    let query = try QueryTemplate.compile("SELECT password FROM users WHERE v = \(spelling.text)", style: .numbered)
    #expect(query.sql == "SELECT password FROM users WHERE v = $1")
    #expect(query.parameters == [QueryParameter(spelling.variable)])
  }

  @Test("an unquoted variable becomes ? (positional)", arguments: spellings)
  func unquotedPositional(_ spelling: VariableSpelling) throws {
    let query = try QueryTemplate.compile(
      "SELECT password FROM users WHERE v = \(spelling.text)", style: .positional)
    #expect(query.sql == "SELECT password FROM users WHERE v = ?")
    #expect(query.parameters == [QueryParameter(spelling.variable)])
  }

  @Test("a quoted lone variable loses its quotes (numbered)", arguments: spellings)
  func quotedNumbered(_ spelling: VariableSpelling) throws {
    let query = try QueryTemplate.compile(
      "SELECT password FROM users WHERE v = '\(spelling.text)'", style: .numbered)
    #expect(query.sql == "SELECT password FROM users WHERE v = $1")
    #expect(query.parameters == [QueryParameter(spelling.variable)])
  }

  @Test("a quoted lone variable loses its quotes (positional)", arguments: spellings)
  func quotedPositional(_ spelling: VariableSpelling) throws {
    let query = try QueryTemplate.compile(
      "SELECT password FROM users WHERE v = '\(spelling.text)'", style: .positional)
    #expect(query.sql == "SELECT password FROM users WHERE v = ?")
    #expect(query.parameters == [QueryParameter(spelling.variable)])
  }

  @Test(
    "the L modifier asks for a lower-cased value",
    arguments: [
      ("WHERE v = %Lu", QueryVariable.user),
      ("WHERE v = %L{user}", .user),
      ("WHERE v = '%Lu'", .user),
      ("WHERE v = '%L{user}'", .user),
      ("WHERE v = %Ln", .username),
      ("WHERE v = %L{username}", .username),
      ("WHERE v = '%Ld'", .domain),
      ("WHERE v = %Ls", .service),
      ("WHERE v = %L{rip}", .remoteHost),
    ])
  func lowerCaseModifier(template: String, variable: QueryVariable) throws {
    let numbered = try QueryTemplate.compile(template, style: .numbered)
    #expect(numbered.sql == "WHERE v = $1")
    #expect(numbered.parameters == [QueryParameter(variable, lowercased: true)])
    let positional = try QueryTemplate.compile(template, style: .positional)
    #expect(positional.sql == "WHERE v = ?")
    #expect(positional.parameters == [QueryParameter(variable, lowercased: true)])
  }

  @Test("the Dovecot example query compiles with its quotes dropped (numbered)")
  func dovecotExampleNumbered() throws {
    let query = try QueryTemplate.compile(
      "SELECT password FROM users WHERE username = '%n' AND domain = '%d'", style: .numbered)
    #expect(query.sql == "SELECT password FROM users WHERE username = $1 AND domain = $2")
    #expect(query.parameters == [QueryParameter(.username), QueryParameter(.domain)])
  }

  @Test("the Dovecot example query compiles with its quotes dropped (positional)")
  func dovecotExamplePositional() throws {
    let query = try QueryTemplate.compile(
      "SELECT password FROM users WHERE username = '%n' AND domain = '%d'", style: .positional)
    #expect(query.sql == "SELECT password FROM users WHERE username = ? AND domain = ?")
    #expect(query.parameters == [QueryParameter(.username), QueryParameter(.domain)])
  }

  @Test("unquoted %u works")
  func unquotedUser() throws {
    let query = try QueryTemplate.compile("WHERE u = %u", style: .numbered)
    #expect(query.sql == "WHERE u = $1")
    #expect(query.parameters == [QueryParameter(.user)])
  }

  @Test("numbered style reuses the number of a parameter used twice")
  func numberedReuse() throws {
    let query = try QueryTemplate.compile(
      "SELECT password FROM users WHERE login = %u OR alias = '%{user}' AND domain = %d OR backup = %u",
      style: .numbered)
    #expect(query.sql == "SELECT password FROM users WHERE login = $1 OR alias = $1 AND domain = $2 OR backup = $1")
    #expect(query.parameters == [QueryParameter(.user), QueryParameter(.domain)])
  }

  @Test("positional style lists one parameter per occurrence")
  func positionalPerOccurrence() throws {
    let query = try QueryTemplate.compile(
      "SELECT password FROM users WHERE login = %u OR alias = '%{user}' AND domain = %d OR backup = %u",
      style: .positional)
    #expect(query.sql == "SELECT password FROM users WHERE login = ? OR alias = ? AND domain = ? OR backup = ?")
    #expect(
      query.parameters == [
        QueryParameter(.user), QueryParameter(.user), QueryParameter(.domain), QueryParameter(.user),
      ])
  }

  @Test("all five variables in one query are numbered in order of first use")
  func allFiveNumbered() throws {
    let query = try QueryTemplate.compile(
      "SELECT 1 WHERE r = %r AND s = %s AND d = %d AND n = %n AND u = %u", style: .numbered)
    #expect(query.sql == "SELECT 1 WHERE r = $1 AND s = $2 AND d = $3 AND n = $4 AND u = $5")
    #expect(
      query.parameters == [
        QueryParameter(.remoteHost), QueryParameter(.service), QueryParameter(.domain),
        QueryParameter(.username), QueryParameter(.user),
      ])
  }
}

@Suite("QueryTemplate: SQL text around variables")
struct QueryTemplateTextTests {
  @Test("%% outside quotes is a literal %")
  func percentOutsideQuotes() throws {
    let query = try QueryTemplate.compile("SELECT id %% 2 FROM users WHERE u = %u", style: .numbered)
    #expect(query.sql == "SELECT id % 2 FROM users WHERE u = $1")
    #expect(query.parameters == [QueryParameter(.user)])
  }

  @Test("%% inside quotes is a literal %")
  func percentInsideQuotes() throws {
    let query = try QueryTemplate.compile(
      "SELECT password FROM users WHERE u = %u AND n LIKE 'a%%'", style: .positional)
    #expect(query.sql == "SELECT password FROM users WHERE u = ? AND n LIKE 'a%'")
    #expect(query.parameters == [QueryParameter(.user)])
  }

  @Test("'%%' alone is a literal, not a variable")
  func percentAloneInQuotes() throws {
    let query = try QueryTemplate.compile("SELECT '%%' FROM users WHERE u = %u", style: .numbered)
    #expect(query.sql == "SELECT '%' FROM users WHERE u = $1")
    #expect(query.parameters == [QueryParameter(.user)])
  }

  @Test("'' inside a literal is preserved")
  func doubledQuotePreserved() throws {
    let query = try QueryTemplate.compile(
      "SELECT password FROM users WHERE u = '%u' AND note <> 'it''s' AND x = ''", style: .numbered)
    #expect(query.sql == "SELECT password FROM users WHERE u = $1 AND note <> 'it''s' AND x = ''")
    #expect(query.parameters == [QueryParameter(.user)])
  }

  @Test("a variable in a -- comment is copied verbatim and is no parameter")
  func lineComment() throws {
    let query = try QueryTemplate.compile(
      "SELECT password FROM users -- was: login = '%u'\nWHERE username = '%n'", style: .numbered)
    #expect(query.sql == "SELECT password FROM users -- was: login = '%u'\nWHERE username = $1")
    #expect(query.parameters == [QueryParameter(.username)])
  }

  @Test("a variable in a /* */ comment is copied verbatim and is no parameter")
  func blockComment() throws {
    let query = try QueryTemplate.compile(
      "SELECT password /* %u */ FROM users WHERE username = '%n'", style: .positional)
    #expect(query.sql == "SELECT password /* %u */ FROM users WHERE username = ?")
    #expect(query.parameters == [QueryParameter(.username)])
  }

  @Test("a ? inside a quoted literal is fine in positional style")
  func questionMarkInLiteral() throws {
    let query = try QueryTemplate.compile("SELECT password FROM users WHERE u = %u AND q <> '?'", style: .positional)
    #expect(query.sql == "SELECT password FROM users WHERE u = ? AND q <> '?'")
    #expect(query.parameters == [QueryParameter(.user)])
  }

  @Test("a $1 inside a quoted literal is fine in numbered style")
  func dollarInLiteral() throws {
    let query = try QueryTemplate.compile("SELECT password FROM users WHERE u = %u AND q <> '$1'", style: .numbered)
    #expect(query.sql == "SELECT password FROM users WHERE u = $1 AND q <> '$1'")
    #expect(query.parameters == [QueryParameter(.user)])
  }

  @Test("a double-quoted identifier without a variable is copied")
  func doubleQuotedIdentifier() throws {
    let query = try QueryTemplate.compile("SELECT \"password\" FROM \"users\" WHERE u = %u", style: .numbered)
    #expect(query.sql == "SELECT \"password\" FROM \"users\" WHERE u = $1")
  }

  @Test("E'%u' becomes one placeholder, without the E (PostgreSQL)")
  func escapeStringVariable() throws {
    let query = try QueryTemplate.compile("SELECT password FROM users WHERE u = E'%u'", style: .numbered)
    #expect(query.sql == "SELECT password FROM users WHERE u = $1")
    #expect(query.parameters == [QueryParameter(.user)])
  }

  @Test("E'…' allows \\' inside (PostgreSQL)")
  func escapeString() throws {
    let query = try QueryTemplate.compile(
      "SELECT password FROM users WHERE u = %u AND note <> E'it\\'s'", style: .numbered)
    #expect(query.sql == "SELECT password FROM users WHERE u = $1 AND note <> E'it\\'s'")
    #expect(query.parameters == [QueryParameter(.user)])
  }

  @Test("e'…' (lower-case prefix) allows \\' inside too")
  func escapeStringLowerCase() throws {
    let query = try QueryTemplate.compile(
      "SELECT password FROM users WHERE note <> e'it\\'s' AND u = %u", style: .numbered)
    #expect(query.sql == "SELECT password FROM users WHERE note <> e'it\\'s' AND u = $1")
    #expect(query.parameters == [QueryParameter(.user)])
  }

  @Test("without E and without backslash escapes, \\' ends the literal")
  func standardStringBackslash() {
    // 'it\' is one complete literal; the quote after s opens one that never closes.
    #expect(throws: TemplateError.unterminatedQuote(offset: 16)) {
      try QueryTemplate.compile("WHERE x = 'it\\'s'", style: .numbered)
    }
  }

  @Test("with backslashEscapes, 'it\\'s' is one literal")
  func backslashEscapes() throws {
    let query = try QueryTemplate.compile(
      "SELECT password FROM users WHERE u = %u AND note <> 'it\\'s'", style: .positional, backslashEscapes: true)
    #expect(query.sql == "SELECT password FROM users WHERE u = ? AND note <> 'it\\'s'")
    #expect(query.parameters == [QueryParameter(.user)])
  }

  @Test("non-ASCII text passes through unchanged")
  func unicodeText() throws {
    let query = try QueryTemplate.compile(
      "SELECT mot_de_passe FROM utilisateurs WHERE nom = %u AND pays = 'Österreich'", style: .numbered)
    #expect(query.sql == "SELECT mot_de_passe FROM utilisateurs WHERE nom = $1 AND pays = 'Österreich'")
  }
}

/// One template that must not compile.
struct BadTemplate: Sendable, CustomTestStringConvertible {
  let template: String
  let style: PlaceholderStyle
  let expected: TemplateError
  var testDescription: String { "\(template) (\(style))" }

  init(_ template: String, _ style: PlaceholderStyle, _ expected: TemplateError) {
    self.template = template
    self.style = style
    self.expected = expected
  }
}

@Suite("QueryTemplate: errors")
struct QueryTemplateErrorTests {
  // Offsets count bytes from the start of the template; in "WHERE x = …" the
  // first byte after "= " is byte 10.
  static let cases: [BadTemplate] = [
    BadTemplate("WHERE x = \"%u\"", .numbered, .variableInsideIdentifier(offset: 11)),
    BadTemplate("SELECT \"%u\" FROM users", .positional, .variableInsideIdentifier(offset: 8)),
    BadTemplate("WHERE x = %x", .numbered, .unknownVariable("%x", offset: 10)),
    BadTemplate("WHERE x = %x", .positional, .unknownVariable("%x", offset: 10)),
    BadTemplate("WHERE x = %{foo}", .numbered, .unknownVariable("%{foo}", offset: 10)),
    BadTemplate("WHERE x = %", .numbered, .unknownVariable("%", offset: 10)),
    BadTemplate("WHERE x = 'abc", .numbered, .unterminatedQuote(offset: 10)),
    BadTemplate("WHERE x = 'it''s", .positional, .unterminatedQuote(offset: 10)),
    BadTemplate("SELECT \"password FROM users", .numbered, .unterminatedQuote(offset: 7)),
    BadTemplate("WHERE x = %{user", .numbered, .unterminatedVariable(offset: 10)),
    BadTemplate("WHERE x = %u /* note", .numbered, .unterminatedComment(offset: 13)),
    BadTemplate("", .numbered, .empty),
    BadTemplate("", .positional, .empty),
    BadTemplate("   \n\t  \r\n", .numbered, .empty),
    BadTemplate("WHERE x = ?", .positional, .literalPlaceholder("?", offset: 10)),
    BadTemplate("WHERE x = %u AND y = ?", .positional, .literalPlaceholder("?", offset: 21)),
    BadTemplate("WHERE x = $1", .numbered, .literalPlaceholder("$1", offset: 10)),
  ]

  @Test("templates that must not compile", arguments: cases)
  func refused(_ row: BadTemplate) {
    #expect(throws: row.expected) {
      try QueryTemplate.compile(row.template, style: row.style)
    }
  }

  // Dovecot queries quote their variables, so an unknown variable is most
  // often written '%x'; it is still an unknown variable, not "other text".
  @Test(
    "an unknown variable alone in quotes is reported as unknown",
    arguments: [
      ("WHERE x = '%x'", "%x"),
      ("WHERE x = '%{foo}'", "%{foo}"),
    ])
  func unknownVariableInQuotes(template: String, name: String) {
    #expect(throws: TemplateError.unknownVariable(name, offset: 11)) {
      try QueryTemplate.compile(template, style: .numbered)
    }
  }
}

@Suite("CompiledQuery.values(for:)")
struct CompiledQueryValuesTests {
  @Test("values come in placeholder order, positional")
  func positionalValues() throws {
    let query = try QueryTemplate.compile(
      "SELECT password FROM users WHERE u = %u AND n = '%n' AND d = %{domain} AND s = %s AND r = %r "
        + "AND lu = %Lu AND ln = %Ln AND again = %u",
      style: .positional)
    let context = QueryContext(login: try login("Alice@Example.ORG"), service: "SMTP", remoteHost: "")
    #expect(
      query.values(for: context) == [
        "Alice@example.org", "Alice", "example.org", "SMTP", "", "alice@example.org", "alice", "Alice@example.org",
      ])
  }

  @Test("values come in placeholder order, numbered, once per parameter")
  func numberedValues() throws {
    let query = try QueryTemplate.compile(
      "SELECT password FROM users WHERE d = '%d' AND n = '%n' AND (u = '%u' OR alias = '%u') AND ip = %{rip} "
        + "AND svc = %Ls",
      style: .numbered)
    #expect(
      query.sql
        == "SELECT password FROM users WHERE d = $1 AND n = $2 AND (u = $3 OR alias = $3) AND ip = $4 AND svc = $5")
    let context = QueryContext(login: try login("bob@mail.example"), service: "IMAP", remoteHost: "192.0.2.7")
    #expect(query.values(for: context) == ["mail.example", "bob", "bob@mail.example", "192.0.2.7", "imap"])
  }

  @Test("%Lu lower-cases the local part too, %u keeps it")
  func lowerCasedUser() throws {
    let query = try QueryTemplate.compile("WHERE a = %u AND b = %Lu", style: .numbered)
    #expect(query.sql == "WHERE a = $1 AND b = $2")
    let context = QueryContext(login: try login("MiXeD@Example.Org"), service: "smtp", remoteHost: "")
    #expect(query.values(for: context) == ["MiXeD@example.org", "mixed@example.org"])
  }

  @Test("%r is empty when there is no remote host")
  func emptyRemoteHost() throws {
    let query = try QueryTemplate.compile("WHERE r = '%r'", style: .positional)
    let context = QueryContext(login: try login("alice@example.org"), service: "smtp", remoteHost: "")
    #expect(query.values(for: context) == [""])
  }
}
