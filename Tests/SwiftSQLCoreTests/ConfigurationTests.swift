// Covers `Configuration.resolve`: the precedence defaults < file < module
// arguments, a configuration made from module arguments alone (no file),
// unknown file keys and unknown arguments as warnings rather than errors,
// every kind of bad value refused with a message naming the key and the file
// and line it was written on, missing `connect` or `password_query`, a
// password_query that does not compile, placeholders written per driver
// (pgsql `$1`, sqlite `?`), and the normalisation of default_domain
// (lower-cased) and default_pass_scheme (upper-cased).

import SwiftSQLCore
import Testing

private let knownSchemes: Set<String> = ["CRYPT", "PLAIN", "SHA512-CRYPT", "BLF-CRYPT"]

private func resolve(
  _ fileText: String?, _ arguments: [String] = ["config=/etc/x.conf"],
  isKnownScheme: (String) -> Bool = { knownSchemes.contains($0) }
) throws(ConfigurationError) -> Configuration {
  try Configuration.resolve(fileText: fileText, arguments: ModuleArguments(arguments), isKnownScheme: isKnownScheme)
}

/// The two required keys, for tests about something else.
private let required = """
  connect = /var/lib/mail/users.db
  password_query = SELECT password FROM users WHERE username = '%n' AND domain = '%d'
  """

@Suite("Configuration.resolve: precedence and sources")
struct ConfigurationPrecedenceTests {
  @Test("defaults apply when nothing is set")
  func defaults() throws {
    let configuration = try resolve(required)
    #expect(configuration.settings.connectTimeout == 5)
    #expect(configuration.settings.queryTimeout == 5)
    #expect(configuration.settings.nullok == false)
    #expect(configuration.settings.debug == false)
    #expect(configuration.settings.driver == .sqlite)
    #expect(configuration.settings.defaultDomain == nil)
    #expect(configuration.settings.defaultPassScheme == "CRYPT")
    #expect(configuration.accountQuery == nil)
    #expect(configuration.warnings.isEmpty)
  }

  @Test("the file overrides the default")
  func fileOverridesDefault() throws {
    let configuration = try resolve(required + "\nconnect_timeout = 7\nquery_timeout = 11")
    #expect(configuration.settings.connectTimeout == 7)
    #expect(configuration.settings.queryTimeout == 11)
  }

  @Test("a module argument overrides the file")
  func argumentOverridesFile() throws {
    let configuration = try resolve(
      required + "\nconnect_timeout = 7\nquery_timeout = 11\ndebug = yes",
      ["config=/etc/x.conf", "connect_timeout=9", "query_timeout=12", "debug=no"])
    #expect(configuration.settings.connectTimeout == 9)
    #expect(configuration.settings.queryTimeout == 12)
    #expect(configuration.settings.debug == false)
  }

  @Test("a module argument overrides the default")
  func argumentOverridesDefault() throws {
    let configuration = try resolve(required, ["config=/etc/x.conf", "connect_timeout=9", "nullok", "debug"])
    #expect(configuration.settings.connectTimeout == 9)
    #expect(configuration.settings.nullok == true)
    #expect(configuration.settings.debug == true)
  }

  @Test("without a file everything can come from the module arguments")
  func argumentsOnly() throws {
    let configuration = try resolve(
      nil,
      [
        "driver=pgsql", "connect=host=db user=mail",
        "password_query=SELECT password FROM users WHERE login = %u", "default_domain=example.org",
      ])
    #expect(configuration.settings.driver == .pgsql)
    #expect(configuration.settings.connect == "host=db user=mail")
    #expect(configuration.settings.defaultDomain == "example.org")
    #expect(configuration.passwordQuery.sql == "SELECT password FROM users WHERE login = $1")
    #expect(configuration.passwordQuery.parameters == [QueryParameter(.user)])
  }

  @Test("file settings are all read")
  func fileSettings() throws {
    let text = """
      # mail users
      driver = pgsql
      connect = host=db user=mail
      password_query = SELECT password FROM users \\
        WHERE username = '%n' AND domain = '%d'
      account_query = SELECT active, expired FROM users WHERE login = '%u'
      nullok = yes
      debug = true
      default_domain = example.org
      default_pass_scheme = SHA512-CRYPT
      """
    let configuration = try resolve(text)
    #expect(configuration.settings.driver == .pgsql)
    #expect(configuration.settings.connect == "host=db user=mail")
    #expect(configuration.settings.nullok == true)
    #expect(configuration.settings.debug == true)
    #expect(configuration.settings.defaultDomain == "example.org")
    #expect(configuration.settings.defaultPassScheme == "SHA512-CRYPT")
    #expect(configuration.passwordQuery.sql == "SELECT password FROM users\nWHERE username = $1 AND domain = $2")
    #expect(configuration.accountQuery?.sql == "SELECT active, expired FROM users WHERE login = $1")
    #expect(configuration.warnings.isEmpty)
  }
}

@Suite("Configuration.resolve: warnings")
struct ConfigurationWarningTests {
  @Test("an unknown key in the file is a warning, not an error")
  func unknownFileKey() throws {
    let configuration = try resolve(required + "\nfrobnicate = SELECT 1")
    #expect(configuration.warnings.count == 1)
    #expect(configuration.warnings.first?.contains("frobnicate") == true)
  }

  @Test(
    "Dovecot's keys the module does not use are noted for debug, never warned about",
    arguments: [
      "user_query = SELECT home FROM users WHERE u = '%u'", "iterate_query = SELECT username FROM users",
      "update_query = UPDATE users SET x = 1", "userdb_warning_disable = yes",
    ])
  func dovecotKeysNotUsed(_ line: String) throws {
    let configuration = try resolve(required + "\n" + line)
    #expect(configuration.warnings.isEmpty)
    let key = String(line.prefix { $0 != " " })
    #expect(configuration.notes.count == 1)
    #expect(configuration.notes.first?.contains(key) == true)
  }

  @Test("unknown module arguments are warnings, not errors")
  func unknownArguments() throws {
    let configuration = try resolve(required, ["config=/etc/x.conf", "bogus", "colour=red", "use_first_pass"])
    #expect(configuration.warnings.count == 2)
    #expect(configuration.warnings.contains { $0.contains("bogus") })
    #expect(configuration.warnings.contains { $0.contains("colour") })
  }
}

/// A value that `resolve` must refuse, written on line 3 of /etc/x.conf.
struct BadValue: Sendable, CustomTestStringConvertible {
  let key: String
  let value: String
  var testDescription: String { "\(key) = \(value)" }
  init(_ key: String, _ value: String) {
    self.key = key
    self.value = value
  }
}

@Suite("Configuration.resolve: errors")
struct ConfigurationErrorTests {
  static let badValues: [BadValue] = [
    BadValue("connect_timeout", "abc"),
    BadValue("connect_timeout", "0"),
    BadValue("connect_timeout", "301"),
    BadValue("connect_timeout", "-5"),
    BadValue("connect_timeout", "2.5"),
    BadValue("query_timeout", "abc"),
    BadValue("query_timeout", "0"),
    BadValue("query_timeout", "301"),
    BadValue("nullok", "maybe"),
    BadValue("debug", "2"),
    BadValue("driver", "oracle"),
    BadValue("default_domain", "a@b"),
    BadValue("default_domain", "example org"),
    // Not a scheme the module verifies (isKnownScheme says no).
    BadValue("default_pass_scheme", "ROT13"),
  ]

  @Test("a bad value in the file names the key, the file and the line", arguments: badValues)
  func badFileValue(_ row: BadValue) {
    let text = """
      # test
      driver = sqlite
      \(row.key) = \(row.value)
      """ + "\n" + required
    #expect {
      try resolve(text)
    } throws: { error in
      guard let error = error as? ConfigurationError else { return false }
      return error.message.contains(row.key) && error.message.contains("/etc/x.conf line 3")
    }
  }

  @Test("a bad value in a module argument names the key", arguments: badValues)
  func badArgumentValue(_ row: BadValue) {
    #expect {
      try resolve(required, ["config=/etc/x.conf", "\(row.key)=\(row.value)"])
    } throws: { error in
      guard let error = error as? ConfigurationError else { return false }
      return error.message.contains(row.key)
    }
  }

  @Test("timeouts accept both ends of 1…300", arguments: ["1", "300"])
  func timeoutBounds(_ value: String) throws {
    let configuration = try resolve(required + "\nconnect_timeout = \(value)\nquery_timeout = \(value)")
    #expect(configuration.settings.connectTimeout == Int(value))
    #expect(configuration.settings.queryTimeout == Int(value))
  }

  @Test("isKnownScheme decides default_pass_scheme")
  func schemeCheck() throws {
    #expect(throws: ConfigurationError.self) {
      try resolve(required + "\ndefault_pass_scheme = PLAIN", isKnownScheme: { _ in false })
    }
    let configuration = try resolve(required + "\ndefault_pass_scheme = PLAIN", isKnownScheme: { $0 == "PLAIN" })
    #expect(configuration.settings.defaultPassScheme == "PLAIN")
  }

  @Test("missing connect is an error that names connect")
  func missingConnect() {
    let text = "password_query = SELECT password FROM users WHERE login = '%u'"
    #expect {
      try resolve(text)
    } throws: { error in
      (error as? ConfigurationError)?.message.contains("connect") == true
    }
  }

  @Test("missing password_query is an error that names password_query")
  func missingPasswordQuery() {
    #expect {
      try resolve("connect = /var/lib/mail/users.db")
    } throws: { error in
      (error as? ConfigurationError)?.message.contains("password_query") == true
    }
  }

  @Test("no file and no arguments: connect is missing")
  func nothingAtAll() {
    #expect {
      try resolve(nil, [])
    } throws: { error in
      (error as? ConfigurationError)?.message.contains("connect") == true
    }
  }

  @Test(
    "a password_query that does not compile is an error that names password_query",
    arguments: [
      "SELECT password FROM users WHERE login = %x",
      "SELECT password FROM users WHERE login = '%n@%d' AND \"%u\" = 1",
      "SELECT password FROM users WHERE login = 'unterminated",
      "SELECT password FROM users WHERE login = ?",
    ])
  func badPasswordQuery(_ query: String) {
    let text = "connect = /var/lib/mail/users.db\npassword_query = \(query)"
    #expect {
      try resolve(text)
    } throws: { error in
      (error as? ConfigurationError)?.message.contains("password_query") == true
    }
  }

  @Test("a syntax error in the file names the file and the line")
  func syntaxError() {
    #expect {
      try resolve(required + "\nthis line has no equals sign")
    } throws: { error in
      (error as? ConfigurationError)?.message.contains("/etc/x.conf line 3") == true
    }
  }
}

@Suite("Configuration.resolve: drivers and normalisation")
struct ConfigurationDriverTests {
  static let queries = """
    password_query = SELECT password FROM users WHERE username = '%n' AND domain = '%d' OR login = %u
    account_query = SELECT active FROM users WHERE login = '%u' OR login = %u
    connect = x
    """

  @Test("pgsql compiles queries with $1")
  func pgsql() throws {
    let configuration = try resolve("driver = pgsql\n" + Self.queries)
    #expect(configuration.settings.driver == .pgsql)
    #expect(
      configuration.passwordQuery.sql
        == "SELECT password FROM users WHERE username = $1 AND domain = $2 OR login = $3")
    #expect(configuration.accountQuery?.sql == "SELECT active FROM users WHERE login = $1 OR login = $1")
  }

  @Test("sqlite compiles queries with ?")
  func sqlite() throws {
    let configuration = try resolve("driver = sqlite\n" + Self.queries)
    #expect(configuration.settings.driver == .sqlite)
    #expect(
      configuration.passwordQuery.sql == "SELECT password FROM users WHERE username = ? AND domain = ? OR login = ?")
    #expect(configuration.accountQuery?.sql == "SELECT active FROM users WHERE login = ? OR login = ?")
  }

  @Test("a driver given as a module argument decides the placeholders")
  func driverFromArgument() throws {
    let configuration = try resolve("driver = sqlite\n" + Self.queries, ["config=/etc/x.conf", "driver=pgsql"])
    #expect(configuration.passwordQuery.sql.contains("$1"))
    #expect(!configuration.passwordQuery.sql.contains("?"))
  }

  @Test("default_domain is lower-cased")
  func defaultDomainLowerCased() throws {
    let configuration = try resolve(required + "\ndefault_domain = Example.ORG")
    #expect(configuration.settings.defaultDomain == "example.org")
  }

  @Test("default_pass_scheme is upper-cased before isKnownScheme sees it")
  func defaultPassSchemeUpperCased() throws {
    let configuration = try resolve(
      required + "\ndefault_pass_scheme = sha512-crypt", isKnownScheme: { $0 == "SHA512-CRYPT" })
    #expect(configuration.settings.defaultPassScheme == "SHA512-CRYPT")
  }
}

@Suite("Configuration.resolve: queries must look up one login")
struct LoginQueryTests {
  @Test(
    "a query that binds neither %u nor %n is refused, naming the key",
    arguments: [
      ("password_query", "SELECT password FROM users"),
      ("password_query", "SELECT password FROM users WHERE domain = '%d'"),
      ("password_query", "SELECT password FROM users -- WHERE login = '%u'"),
      ("account_query", "SELECT active FROM users WHERE domain = '%d'"),
    ])
  func noLoginVariable(_ key: String, _ query: String) throws {
    let text =
      key == "password_query"
      ? "connect = /x.db\npassword_query = \(query)\n"
      : "\(required)\naccount_query = \(query)\n"
    #expect {
      try resolve(text)
    } throws: { error in
      let message = (error as? ConfigurationError)?.message ?? ""
      return message.contains(key) && message.contains("/etc/x.conf") && message.contains("same row for every login")
    }
  }

  @Test(
    "%u alone, or %n with %d, is enough",
    arguments: [
      "SELECT password FROM users WHERE login = '%u'",
      "SELECT password FROM users WHERE username = '%n' AND domain = '%d'",
      "SELECT password FROM users WHERE username = %Ln",
    ])
  func loginVariable(_ query: String) throws {
    #expect(try resolve("connect = /x.db\npassword_query = \(query)\n").passwordQuery.parameters.isEmpty == false)
  }

  @Test("a bad default_pass_scheme names the file and line, or the module arguments")
  func schemePlace() throws {
    #expect {
      try resolve("\(required)\ndefault_pass_scheme = ROT13\n")
    } throws: { error in
      ((error as? ConfigurationError)?.message ?? "").contains("/etc/x.conf line 3")
    }
    #expect {
      try resolve(required, ["config=/etc/x.conf", "default_pass_scheme=ROT13"])
    } throws: { error in
      ((error as? ConfigurationError)?.message ?? "").contains("module arguments")
    }
  }
}
