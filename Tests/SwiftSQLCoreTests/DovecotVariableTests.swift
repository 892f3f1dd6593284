// The query variables administrators paste from Dovecot configurations:
// quoted literals with variables among their text (prefetch columns), Dovecot
// 2.3's modifiers and the rest of its passdb variable table, Dovecot 2.4's
// %{…} expressions in both syntaxes, and the PAM service choosing a column.
// Expected SQL and values are written by hand from Dovecot's documentation
// and source (var-expand.c of 2.3, lib-var-expand of 2.4), not taken from
// the code under test.

import SwiftSQLCore
import Testing

private func login(_ text: String) throws -> Login {
  try Login.parse(Array(text.utf8), defaultDomain: nil, keepsBareLogin: true)
}

private func context(_ user: String, service: String = "smtp", remoteHost: String = "192.0.2.7") throws
  -> QueryContext
{
  var context = QueryContext(login: try login(user), service: service, remoteHost: remoteHost)
  context.pid = "4242"
  context.hostname = "mx.example.org"
  return context
}

@Suite("Query templates: literals that hold variables")
struct LiteralWithVariablesTests {
  @Test("a prefetch query: each literal with variables is one parameter with the literal's text")
  func prefetch() throws {
    let query = try QueryTemplate.compile(
      "SELECT password, '/var/vmail/%d/%n' AS userdb_home, 'maildir:/var/vmail/%d/%n/Maildir' AS userdb_mail, "
        + "'*:bytes=' || quota AS userdb_quota_rule FROM mailbox WHERE username = '%u' AND active = '1'",
      style: .numbered)
    #expect(
      query.sql
        == "SELECT password, $1 AS userdb_home, $2 AS userdb_mail, '*:bytes=' || quota AS userdb_quota_rule "
        + "FROM mailbox WHERE username = $3 AND active = '1'")
    #expect(
      query.values(for: try context("alice@example.org")) == [
        "/var/vmail/example.org/alice", "maildir:/var/vmail/example.org/alice/Maildir", "alice@example.org",
      ])
  }

  @Test("CONCAT('/srv/%d/', …) and '%n@%d', positional")
  func concatAndAddress() throws {
    let query = try QueryTemplate.compile(
      "SELECT password, CONCAT('/srv/%d/', maildir) AS home FROM users WHERE email = '%n@%d'", style: .positional)
    #expect(query.sql == "SELECT password, CONCAT(?, maildir) AS home FROM users WHERE email = ?")
    #expect(query.values(for: try context("Bob@Mail.Example")) == ["/srv/mail.example/", "Bob@mail.example"])
  }

  @Test("the literal's own text is read as SQL reads it: '' is one quote, %% one percent sign")
  func literalText() throws {
    let query = try QueryTemplate.compile("SELECT password FROM t WHERE note = 'it''s 100%% %n'", style: .numbered)
    #expect(query.sql == "SELECT password FROM t WHERE note = $1")
    #expect(query.values(for: try context("alice@example.org")) == ["it's 100% alice"])
  }

  @Test("the same literal twice is one numbered parameter")
  func sameLiteralTwice() throws {
    let query = try QueryTemplate.compile(
      "SELECT password FROM t WHERE a = '%n@%d' OR b = '%n@%d' OR c = '%u'", style: .numbered)
    #expect(query.sql == "SELECT password FROM t WHERE a = $1 OR b = $1 OR c = $2")
    #expect(query.parameters.count == 2)
  }

  @Test("values that look like SQL stay inside the bound value")
  func hostileValues() throws {
    let query = try QueryTemplate.compile("SELECT password FROM t WHERE home = '/var/%d/%n'", style: .positional)
    for local in ["x'; DROP TABLE t; --", "a\\'b", "$1", "?", "a||b", "/*c*/", "100%"] {
      let values = query.values(for: try context(local + "@example.org"))
      #expect(values == ["/var/example.org/" + local])
      #expect(query.sql == "SELECT password FROM t WHERE home = ?")
    }
  }

  @Test("MariaDB reads \"…\" as a string: \"%u\" and \"/home/%n\" are bound, `…` stays a name")
  func mariaDBDoubleQuotes() throws {
    let query = try QueryTemplate.compile(
      "SELECT password, \"/home/%n\" AS userdb_home FROM users WHERE email = \"%u\" AND `x` = \"it\"\"s\"",
      style: .positional, backslashEscapes: true, doubleQuotedStrings: true)
    #expect(query.sql == "SELECT password, ? AS userdb_home FROM users WHERE email = ? AND `x` = \"it\"\"s\"")
    #expect(query.values(for: try context("alice@example.org")) == ["/home/alice", "alice@example.org"])
    // Elsewhere "…" is a name, and a variable in it stays refused.
    #expect(throws: TemplateError.variableInsideIdentifier(offset: 42)) {
      try QueryTemplate.compile("SELECT password FROM users WHERE email = \"%u\"", style: .numbered)
    }
  }

  @Test("E'…' with variables loses its E with its quotes; a backslash escape beside variables is refused")
  func escapeStrings() throws {
    let query = try QueryTemplate.compile("SELECT password FROM t WHERE a = E'%n-%d'", style: .numbered)
    #expect(query.sql == "SELECT password FROM t WHERE a = $1")
    #expect(query.values(for: try context("alice@example.org")) == ["alice-example.org"])
    #expect(throws: TemplateError.escapeInsideTextWithVariables(offset: 30)) {
      try QueryTemplate.compile("SELECT 1 FROM t WHERE a = E'%n\\n'", style: .numbered)
    }
    // MariaDB reads backslashes in every '…'.
    #expect(throws: TemplateError.escapeInsideTextWithVariables(offset: 29)) {
      try QueryTemplate.compile("SELECT 1 FROM t WHERE a = '%n\\'x'", style: .positional, backslashEscapes: true)
    }
    // Without variables such a literal is copied as it is.
    let plain = try QueryTemplate.compile(
      "SELECT 1 FROM t WHERE a = 'x\\'y' AND b = '%u'", style: .positional, backslashEscapes: true)
    #expect(plain.sql == "SELECT 1 FROM t WHERE a = 'x\\'y' AND b = ?")
  }
}

@Suite("Query templates: Dovecot 2.3 modifiers and variables")
struct Dovecot23VariableTests {
  @Test("L, U and T, before a letter or a {name}, applied to ASCII letters only as Dovecot's str_lcase does")
  func modifiers() throws {
    let query = try QueryTemplate.compile(
      "SELECT password FROM t WHERE a = '%Lu' AND b = '%Ln' AND c = '%Ld' AND d = '%Ud' AND e = '%Us' "
        + "AND f = '%L{user}' AND g = '%U{domain}' AND h = '%Lc' AND i = '%LUn'",
      style: .positional)
    let values = query.values(for: try context("ÄLice@Example.ORG", service: "imap"))
    #expect(
      values == [
        "Älice@example.org", "Älice", "example.org", "EXAMPLE.ORG", "IMAP", "Älice@example.org", "EXAMPLE.ORG", "",
        "ÄLICE",
      ])
  }

  @Test(
    "a modifier pam_swiftsql does not apply is named",
    arguments: [
      ("%Mu", "%M (MD5)"), ("%Eu", "%E (backslash escaping)"), ("%Xn", "%X (hexadecimal)"),
      ("%Rn", "%R (reverse)"), ("%LHu", "%H (hash)"), ("%Du", "%D (LDAP DN)"), ("%N{user}", "%N (new hash)"),
    ])
  func unsupportedModifier(_ written: String, _ named: String) throws {
    let error = #expect(throws: TemplateError.self) {
      try QueryTemplate.compile("WHERE x = \(written)", style: .numbered)
    }
    #expect(error == .unsupportedModifier(named, offset: 10))
    #expect(error?.reason.contains(named) == true)
    #expect(throws: TemplateError.unsupportedModifier(named, offset: 11)) {
      try QueryTemplate.compile("WHERE x = '\(written)'", style: .numbered)
    }
  }

  @Test("a width or offset is refused by name")
  func widthOffset() {
    #expect(throws: TemplateError.unsupportedModifier("width/offset in '%2.1n'", offset: 10)) {
      try QueryTemplate.compile("WHERE x = %2.1n", style: .numbered)
    }
    #expect(throws: TemplateError.unsupportedModifier("width/offset in '%1n'", offset: 11)) {
      try QueryTemplate.compile("WHERE x = '%1n'", style: .numbered)
    }
  }

  @Test("Dovecot 2.3's other passdb variables: PAM's values, or Dovecot's for a request that lacks them")
  func otherVariables() throws {
    let names = [
      "%l", "%{lip}", "%c", "%{secured}", "%a", "%{lport}", "%b", "%{rport}", "%k", "%{cert}", "%p", "%{pid}",
      "%{real_rip}", "%{real_lip}", "%{domain_first}", "%{domain_last}", "%{orig_user}", "%{orig_username}",
      "%{orig_domain}", "%{auth_user}", "%{login_user}", "%{master_user}", "%{session}", "%{hostname}",
    ]
    let query = try QueryTemplate.compile(
      "SELECT password FROM t WHERE u = '%u' AND x IN (" + names.map { "'\($0)'" }.joined(separator: ", ") + ")",
      style: .positional)
    let values = query.values(for: try context("a@b@Example.org", remoteHost: "198.51.100.9"))
    #expect(
      values == [
        "a@b@example.org", "", "", "", "", "0", "0", "0", "0", "", "", "4242", "4242", "198.51.100.9", "", "b",
        "example.org", "a@b@example.org", "a@b", "example.org", "a@b@example.org", "", "", "", "mx.example.org",
      ])
  }

  @Test(
    "variables a PAM module cannot bind are refused with the reason",
    arguments: [
      ("%h", "home"), ("%{home}", "home"), ("%m", "mechanism"), ("%{mech}", "mechanism"),
      ("%{password}", "plaintext password"), ("%!", "passdb"), ("%{uid}", "uid"), ("%{passdb:x}", "passdb:"),
      ("%{env:HOME}", "env:"),
    ])
  func refusedVariables(_ written: String, _ because: String) {
    let error = #expect(throws: TemplateError.self) {
      try QueryTemplate.compile("SELECT password FROM t WHERE u = '%u' AND x = '\(written)'", style: .numbered)
    }
    guard case .variableNotAvailable(let name, let why, let offset) = error else {
      Issue.record("\(written): \(String(describing: error))")
      return
    }
    #expect(name == written)
    #expect(why.contains(because))
    #expect(offset == 47)
  }
}

@Suite("Query templates: Dovecot 2.4 expressions")
struct Dovecot24ExpressionTests {
  static let expressions: [(String, String)] = [
    ("%{user}", "Alice@example.org"),
    ("%{user | username}", "Alice"),
    ("%{user | domain}", "example.org"),
    ("%{user | lower}", "alice@example.org"),
    ("%{user | username | lower}", "alice"),
    ("%{user|username|upper}", "ALICE"),
    ("%{protocol}", "smtp"),
    ("%{remote_ip}", ""),
    ("%{local_ip}", ""),
    ("%{remote_ip | default('none')}", "none"),
    ("%{remote_ip | default(\"n}o\")}", "n}o"),
    ("%{remote_ip | default(0)}", "0"),
    ("%{remote_ip | default('it\\'s \\x41')}", "it's A"),
    ("%{user | default('x')}", "Alice@example.org"),
    ("%{original_user | domain}", "example.org"),
    ("%{client_pid}", "4242"),
    ("%{local_port}", "0"),
  ]

  @Test("in both syntaxes, each expression binds its value", arguments: [QuerySyntax.dovecot23, .dovecot24])
  func expressions(_ syntax: QuerySyntax) throws {
    var context = QueryContext(login: try login("Alice@Example.org"), service: "smtp", remoteHost: "")
    context.pid = "4242"
    for (expression, value) in Dovecot24ExpressionTests.expressions {
      for template in [
        "SELECT password FROM t WHERE x = '\(expression)'", "SELECT password FROM t WHERE x = \(expression)",
      ] {
        let query = try QueryTemplate.compile(template, style: .numbered, syntax: syntax)
        #expect(query.sql == "SELECT password FROM t WHERE x = $1", "\(template)")
        #expect(query.values(for: context) == [value], "\(template)")
      }
    }
  }

  @Test("%{user | username} is %n and %{user | domain} is %d: one parameter each")
  func sameAsShortNames() throws {
    let query = try QueryTemplate.compile(
      "SELECT password FROM t WHERE a = '%n' AND b = '%{user | username}' AND c = '%d' AND d = %{user|domain}",
      style: .numbered)
    #expect(query.sql == "SELECT password FROM t WHERE a = $1 AND b = $1 AND c = $2 AND d = $2")
  }

  @Test("Dovecot 2.4's syntax: only %{…} is a variable, %%{ is a literal %{, other % stay")
  func onlyBraces() throws {
    let query = try QueryTemplate.compile(
      "SELECT password FROM t WHERE u = '%{user}' AND note LIKE '%u 100%% %%{user}' AND x = 7 % 2",
      style: .numbered, syntax: .dovecot24)
    #expect(query.sql == "SELECT password FROM t WHERE u = $1 AND note LIKE '%u 100%% %{user}' AND x = 7 % 2")
    #expect(query.parameters == [QueryParameter(.user)])
  }

  @Test(
    "filters and forms pam_swiftsql does not read are refused by name",
    arguments: [
      ("%{user | md5}", TemplateError.unsupportedFilter("md5", offset: 10)),
      ("%{user | sha256}", .unsupportedFilter("sha256", offset: 10)),
      ("%{user | substr(0, 1)}", .unsupportedFilter("substr", offset: 10)),
      ("%{user | lower(1)}", .badExpression("lower takes no arguments", offset: 10)),
      ("%{user + 1}", .badExpression("'+' after user; filters are written '| name'", offset: 10)),
      ("%{}", .badExpression("it must start with a variable name, e.g. %{user}", offset: 10)),
      ("%{user | }", .badExpression("a '|' must be followed by a filter name", offset: 10)),
      (
        "%{user | default(user)}",
        .badExpression("default(…) takes a quoted text or a number, e.g. default('none')", offset: 10)
      ),
      ("%{nosuch}", .unknownVariable("%{nosuch}", offset: 10)),
    ])
  func refused(_ expression: String, _ expected: TemplateError) {
    for syntax in [QuerySyntax.dovecot23, .dovecot24] {
      #expect(throws: expected) {
        try QueryTemplate.compile("WHERE x = \(expression)", style: .numbered, syntax: syntax)
      }
    }
  }
}

@Suite("Query templates: the PAM service chooses a column")
struct ServiceColumnTests {
  @Test(
    "the service is spliced into a quoted or bare name, lower-cased as written, once per service",
    arguments: [
      ("\"enable%Ls\" = 1", "\"enableimap\" = 1"), ("enable%Ls = 1", "enableimap = 1"),
      ("\"enable%{protocol | lower}\" = 1", "\"enableimap\" = 1"),
      ("%Ls_enabled = 1", "imap_enabled = 1"),
    ])
  func spliced(_ condition: String, _ expected: String) throws {
    for style in [PlaceholderStyle.numbered, .positional] {
      let query = try QueryTemplate.compile(
        "SELECT password FROM mailbox WHERE username = '%u' AND \(condition)", style: style)
      #expect(query.splicesServiceName)
      #expect(query.parameters == [QueryParameter(.user)])
      let placeholder = style == .numbered ? "$1" : "?"
      let statement = try query.statement(for: try context("alice@example.org", service: "IMAP"))
      #expect(statement.sql == "SELECT password FROM mailbox WHERE username = \(placeholder) AND \(expected)")
      #expect(statement.values == ["alice@example.org"])
    }
  }

  @Test("iRedMail's Dovecot query, as it ships: the service and %Lc (empty under PAM) choose the column")
  func iRedMail() throws {
    // iRedMail samples/dovecot/dovecot-sql.conf (password_query).
    let query = try QueryTemplate.compile(
      "SELECT mailbox.password, mailbox.allow_nets FROM mailbox,domain WHERE mailbox.username='%u' "
        + "AND mailbox.enable%Ls%Lc=1 AND mailbox.active=1 AND mailbox.domain=domain.domain "
        + "AND domain.backupmx=0 AND domain.active=1",
      style: .positional)
    let statement = try query.statement(for: try context("postmaster@example.com", service: "smtp"))
    #expect(
      statement.sql
        == "SELECT mailbox.password, mailbox.allow_nets FROM mailbox,domain WHERE mailbox.username=? "
        + "AND mailbox.enablesmtp=1 AND mailbox.active=1 AND mailbox.domain=domain.domain "
        + "AND domain.backupmx=0 AND domain.active=1")
    #expect(statement.values == ["postmaster@example.com"])
  }

  @Test("iRedMail's Dovecot 2.4 queries: the service and %{secured} inside \"…\" (PostgreSQL) and `…` (MariaDB)")
  func iRedMail24() throws {
    // iRedMail samples/dovecot/dovecot-2.4-pgsql.conf and dovecot-2.4-mariadb.conf (passdb sql).
    for (quote, style) in [("\"", PlaceholderStyle.numbered), ("`", .positional)] {
      let query = try QueryTemplate.compile(
        "SELECT mailbox.password, mailbox.allow_nets FROM mailbox,domain WHERE mailbox.username='%{user | lower}' "
          + "AND mailbox.\(quote)enable%{protocol | lower}%{secured | lower}\(quote)=1 AND mailbox.active=1",
        style: style, syntax: .dovecot24)
      let statement = try query.statement(for: try context("Postmaster@Example.com", service: "imap"))
      let placeholder = style == .numbered ? "$1" : "?"
      #expect(
        statement.sql
          == "SELECT mailbox.password, mailbox.allow_nets FROM mailbox,domain WHERE mailbox.username=\(placeholder) "
          + "AND mailbox.\(quote)enableimap\(quote)=1 AND mailbox.active=1")
      #expect(statement.values == ["postmaster@example.com"])
    }
    // Bare, the second variable follows the first splice.
    let bare = try QueryTemplate.compile(
      "SELECT password FROM mailbox WHERE username = %{user} AND enable%{protocol}%{secured} = 1", style: .numbered,
      syntax: .dovecot24)
    #expect(try bare.statement(for: try context("a@b.example", service: "pop3")).sql.hasSuffix("AND enablepop3 = 1"))
  }

  @Test(
    "a service name that is not a-z, 0-9 and _ (filters applied) is never spliced",
    arguments: [
      "smtp-submission", "smtp'; DROP TABLE mailbox; --", "imap\"", "a b", "", "$1", "?", "sm||tp", "/*",
      "IMAP",
    ])
  func refusedService(_ service: String) throws {
    let query = try QueryTemplate.compile("SELECT password FROM t WHERE u = %u AND \"enable%s\" = 1", style: .numbered)
    #expect(throws: AuthFailure.self) { try query.statement(for: try context("alice@example.org", service: service)) }
  }

  @Test(
    "any other variable inside a name, or the service right after a placeholder, is refused",
    arguments: [
      ("WHERE \"x%u\" = 1", 8), ("WHERE x%u = 1", 7), ("WHERE %n_home = 1", 6), ("WHERE %u%s = 1", 8),
      ("WHERE \"%{user | lower}\" = 1", 7), ("WHERE enable%Ld = 1", 12), ("WHERE $%u = 1", 7),
    ])
  func refusedInNames(_ template: String, _ offset: Int) {
    #expect(throws: TemplateError.variableInsideIdentifier(offset: offset)) {
      try QueryTemplate.compile(template, style: .numbered)
    }
  }

  @Test("a service variable that stands alone is a bound value, as before")
  func serviceAsValue() throws {
    let query = try QueryTemplate.compile("SELECT password FROM t WHERE svc = %s AND u = '%u'", style: .numbered)
    #expect(!query.splicesServiceName)
    #expect(query.sql == "SELECT password FROM t WHERE svc = $1 AND u = $2")
  }
}
