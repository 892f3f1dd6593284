// The configuration: ConfigFile.parse (with and without pam_mysql's dotted
// keys), the readers of Dovecot 2.4's dovecot.conf and of pam_mysql's and
// pam_pgsql's own files, the doctor's ConfigAdvisor, Configuration.resolve
// for our own file (or a dovecot.conf) and module arguments, and the drop-in
// path ConfigurationDialect.plan + Configuration.resolve(plan:…) that reads
// pam_mysql's and pam_pgsql's options.
//
// Input: a flag byte (bit 0: dotted keys; bit 1: the file exists; bits 2, 3:
// /etc/pam_swiftsql.conf, /etc/pam_pgsql.conf exist; bit 4: the drop-in
// path rather than ours), a byte that says where the harness adds a
// database password of its own (none, a pam_mysql or pam_pgsql module
// argument, a line of their files, our connect), the file's text up to a
// NUL, then the module arguments, one per NUL-separated segment.
//
// Invariants: nothing traps and everything is deterministic; the parser's
// entries have valid keys on increasing lines inside the text; entries
// written back as `key = value` lines parse to the same entries; a file
// with CRLF line ends reads as the same file with LF; a configuration that
// resolves has a password_query and account_query that bind the login and
// neither %w nor %{reason}, an upgrade and a password change that bind %w
// in a scheme the module can make, audit statements without %w, timeouts in range, a known
// default scheme and a valid default domain; the connection string the
// pam_mysql translation writes parses back to its own pairs (each once) and
// keeps the password whole; the database password appears in no warning,
// no error, no note and no SQL; the other readers answer the same twice and
// place what they find on lines of the text.

import SwiftSQLCore
import SwiftSQLSchemes

let databasePassword = "Fz9-s3cr3t-k7Q"

func sameEntries(_ lhs: [ConfigEntry], _ rhs: [ConfigEntry], lines: Bool) -> Bool {
  lhs.count == rhs.count
    && zip(lhs, rhs).allSatisfy {
      Array($0.key.utf8) == Array($1.key.utf8) && Array($0.value.utf8) == Array($1.value.utf8)
        && (!lines || $0.line == $1.line)
    }
}

func describe(_ entries: [ConfigEntry]) -> String {
  entries.map { "\($0.line):\(shown($0.key))=\(shown($0.value))" }.joined(separator: " ")
}

func checkParser(_ fileText: String, dottedKeys: Bool) {
  let parsed: [ConfigEntry]
  do {
    parsed = try ConfigFile.parse(fileText, dottedKeys: dottedKeys)
  } catch {
    invariant(!error.message.isEmpty, "a syntax error without a message")
    invariant(error.line >= 1, "a syntax error on line \(error.line)")
    return
  }
  let bytes = Array(fileText.utf8)
  let lineCount = bytes.filter { $0 == UInt8(ascii: "\n") }.count + 1
  var previous = 0
  for entry in parsed {
    invariant(entry.line > previous && entry.line <= lineCount, "entry on line \(entry.line) of \(lineCount)")
    previous = entry.line
    invariant(
      !entry.key.isEmpty
        && entry.key.utf8.allSatisfy {
          ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "_")
            || (dottedKeys && $0 == UInt8(ascii: "."))
        },
      "the key \(shown(entry.key))")
  }

  // Written back one per line, the single-line entries read the same.
  let simple = parsed.filter {
    !$0.value.utf8.contains(UInt8(ascii: "\n")) && !$0.value.utf8.contains(UInt8(ascii: "\r"))
  }
  var written = ""
  for entry in simple {
    let value = Array(entry.value.utf8)
    let blank: (UInt8?) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
    let quoteBoth = value.count >= 2 && value.first == UInt8(ascii: "\"") && value.last == UInt8(ascii: "\"")
    let needsQuotes = blank(value.first) || blank(value.last) || quoteBoth || value.last == UInt8(ascii: "\\")
    written += entry.key + " = " + (needsQuotes ? "\"" + entry.value + "\"" : entry.value) + "\n"
  }
  do {
    let back = try ConfigFile.parse(written, dottedKeys: dottedKeys)
    invariant(
      sameEntries(back, simple, lines: false),
      "\(describe(simple)) written as \(shown(written)) reads back as \(describe(back))")
  } catch {
    invariant(false, "\(describe(simple)) written as \(shown(written)) does not parse: \(error.message)")
  }

  // CRLF line ends: the same file.
  var crlf: [UInt8] = []
  for byte in bytes {
    if byte == UInt8(ascii: "\n") { crlf.append(UInt8(ascii: "\r")) }
    crlf.append(byte)
  }
  do {
    let windows = try ConfigFile.parse(text(crlf), dottedKeys: dottedKeys)
    invariant(
      sameEntries(windows, parsed, lines: true),
      "with CRLF line ends \(shown(fileText)) reads as \(describe(windows)), with LF as \(describe(parsed))")
  } catch {
    invariant(false, "with CRLF line ends \(shown(fileText)) does not parse: line \(error.line): \(error.message)")
  }
}

func checkQueries(_ configuration: Configuration) {
  func bindsLogin(_ query: CompiledQuery) -> Bool {
    query.variables.contains { $0 == .user || $0 == .username }
  }
  let lookups = [configuration.passwordQuery] + (configuration.accountQuery.map { [$0] } ?? [])
  for query in lookups {
    invariant(bindsLogin(query), "the lookup \(shown(query.sql)) does not bind the login")
    invariant(
      !query.variables.contains { $0 == .newHash || $0 == .reason },
      "the lookup \(shown(query.sql)) binds %w or %{reason}")
  }
  if let upgrade = configuration.upgrade {
    invariant(SchemeRegistry.canGenerate(upgrade.scheme), "upgrade to \(upgrade.scheme), which cannot be made")
    invariant(upgrade.query.variables.contains(.newHash), "the upgrade does not store %w")
    invariant(bindsLogin(upgrade.query), "the upgrade does not bind the login")
  }
  if let change = configuration.passwordChange {
    invariant(SchemeRegistry.canGenerate(change.scheme), "password changes in \(change.scheme), which cannot be made")
    invariant(change.query.variables.contains(.newHash), "the password change does not store %w")
    invariant(bindsLogin(change.query), "the password change does not bind the login")
  }
  let audit = configuration.audit
  for query in [audit.authSuccess, audit.authFailure, audit.accountSuccess, audit.accountFailure] {
    if let query { invariant(!query.variables.contains(.newHash), "an audit statement binds %w") }
  }
  let settings = configuration.settings
  invariant(Settings.timeoutRange.contains(settings.connectTimeout), "connect_timeout \(settings.connectTimeout)")
  invariant(Settings.timeoutRange.contains(settings.queryTimeout), "query_timeout \(settings.queryTimeout)")
  invariant(SchemeRegistry.knows(settings.defaultPassScheme), "default_pass_scheme \(settings.defaultPassScheme)")
  if let domain = settings.defaultDomain { invariant(Login.validateDomain(domain) == nil, "default_domain \(domain)") }
  invariant(!(settings.connect ?? "").isEmpty, "no connect")
  // The query compiles the same way again for the driver's style.
  if let template = settings.passwordQuery {
    let again = try? QueryTemplate.compile(
      template, style: settings.driver.placeholderStyle, syntax: configuration.querySyntax,
      backslashEscapes: settings.driver.backslashEscapes, doubleQuotedStrings: settings.driver.doubleQuotedStrings)
    invariant(again == configuration.passwordQuery, "password_query compiles differently the second time")
  }
}

/// The other readers of a file (Dovecot 2.4's dovecot.conf, pam_mysql's and
/// pam_pgsql's own parsers, the doctor's advice) never trap, answer the same
/// twice, and place what they find on lines of the text.
func checkOtherReaders(_ fileText: String) {
  let lineCount = Array(fileText.utf8).filter { $0 == UInt8(ascii: "\n") }.count + 1
  // pam_mysql's scanner also ends a line at a lone CR.
  let bytes = Array(fileText.utf8)
  let mysqlLineCount =
    lineCount
    + bytes.indices.filter { bytes[$0] == UInt8(ascii: "\r") && ($0 + 1 == bytes.count || bytes[$0 + 1] != 0x0A) }
    .count
  let mysql = Result { () throws(ConfigSyntaxError) -> [ConfigEntry] in try PamMySQLConfigFile.parse(fileText) }
  switch mysql {
  case .success(let entries):
    invariant(entries.allSatisfy { $0.line >= 1 && $0.line <= mysqlLineCount }, "a pam_mysql entry off the text")
  case .failure(let error):
    invariant(error.line >= 1 && error.line <= mysqlLineCount, "a pam_mysql syntax error on line \(error.line)")
  }
  let pgsql = PamPgsqlConfigFile.read(fileText, path: "/p")
  invariant(pgsql == PamPgsqlConfigFile.read(fileText, path: "/p"), "pam_pgsql's file reads differently twice")
  invariant(pgsql.entries.allSatisfy { $0.line >= 1 && $0.line <= lineCount }, "a pam_pgsql entry off the text")
  if DovecotConfig.isDovecotConf(fileText) {
    let first = Result { () throws(ConfigurationError) -> DovecotConfig in try DovecotConfig.read(fileText, path: "/p") }
    let second = Result { () throws(ConfigurationError) -> DovecotConfig in try DovecotConfig.read(fileText, path: "/p") }
    invariant(first == second, "a dovecot.conf reads differently twice")
    if case .success(let dovecot) = first {
      invariant(dovecot.settings.allSatisfy { $0.line >= 1 && $0.line <= lineCount }, "a setting off the text")
    }
  }
  for dialect in [ConfigurationDialect.native, .pamMySQL, .pamPgsql] {
    let advice = ConfigAdvisor.advise(fileText, dialect: dialect)
    invariant(advice == ConfigAdvisor.advise(fileText, dialect: dialect), "the advice differs twice")
    invariant(advice.allSatisfy { $0.line >= 1 && $0.line <= lineCount && !$0.why.isEmpty }, "advice off the text")
  }
}

func sqlTexts(_ configuration: Configuration) -> [String] {
  let audit = configuration.audit
  return
    ([configuration.passwordQuery, configuration.accountQuery, configuration.upgrade?.query]
    + [audit.authSuccess, audit.authFailure, audit.accountSuccess, audit.accountFailure]).compactMap { $0?.sql }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  var input = FuzzInput(data, size)
  let flags = input.byte()
  let passwordPlace = input.byte() % 8
  var fileText = text(input.segment(until: 0))
  var arguments: [String] = []
  while !input.isAtEnd { arguments.append(text(input.segment(until: 0))) }
  // The harness's password must be news to the input.
  let watchesPassword = !contains(fileText + arguments.joined(), String(databasePassword.prefix(6)))
  var fileExists = flags & 2 != 0
  switch passwordPlace {
  case 1: arguments.append("passwd=" + databasePassword)
  case 2: arguments.append("password=" + databasePassword)
  case 3:
    fileText = "users.db_passwd = " + databasePassword + "\n" + fileText
    fileExists = true
  case 4:
    fileText = "password = " + databasePassword + "\n" + fileText
    fileExists = true
  case 5:
    fileText = "connect = host=db password=" + databasePassword + "\n" + fileText
    fileExists = true
  case 6: arguments.append("connect=dbname=mail password=" + databasePassword)
  case 7: arguments += ["force", "password=" + databasePassword]
  default: break
  }

  checkParser(fileText, dottedKeys: flags & 1 != 0)
  checkOtherReaders(fileText)
  _ = ConfigurationDialect.of(fileText: fileText)

  func resolve() -> (Result<Configuration, ConfigurationError>, ConfigurationDialect) {
    if flags & 16 == 0 {
      let result = Result { () throws(ConfigurationError) -> Configuration in
        try Configuration.resolve(
          fileText: fileExists ? fileText : nil, arguments: ModuleArguments(arguments),
          isKnownScheme: SchemeRegistry.knows, canGenerateScheme: SchemeRegistry.canGenerate)
      }
      return (result, .native)
    }
    let plan = ConfigurationDialect.plan(arguments: arguments) { path in
      switch path {
      case ModuleArguments.defaultConfigPath: flags & 4 != 0
      case ConfigurationDialect.pamPgsqlDefaultFile: flags & 8 != 0
      default: fileExists
      }
    }
    let exists: Bool
    switch plan.file {
    case ModuleArguments.defaultConfigPath: exists = flags & 4 != 0
    case ConfigurationDialect.pamPgsqlDefaultFile: exists = flags & 8 != 0
    case nil: exists = false
    default: exists = fileExists
    }
    var dialect = plan.dialect
    if plan.decidedByFile && exists { dialect = ConfigurationDialect.of(fileText: fileText) }
    let result = Result { () throws(ConfigurationError) -> Configuration in
      try Configuration.resolve(
        plan: plan, fileText: exists ? fileText : nil, arguments: arguments, isKnownScheme: SchemeRegistry.knows,
        canGenerateScheme: SchemeRegistry.canGenerate)
    }
    return (result, dialect)
  }

  let (result, dialect) = resolve()
  let (again, _) = resolve()
  switch (result, again) {
  case (.failure(let error), .failure(let second)):
    invariant(error == second, "resolving twice fails differently")
    invariant(!error.message.isEmpty, "an error without a message")
    if watchesPassword {
      invariant(!contains(error.message, databasePassword), "the error \(shown(error.message)) holds the password")
    }
  case (.success(let configuration), .success(let second)):
    invariant(
      configuration.passwordQuery == second.passwordQuery && configuration.warnings == second.warnings
        && configuration.settings == second.settings, "resolving twice differs")
    checkQueries(configuration)
    if watchesPassword {
      for warning in configuration.warnings + configuration.notes {
        invariant(!contains(warning, databasePassword), "the warning \(shown(warning)) holds the password")
      }
      for sql in sqlTexts(configuration) {
        invariant(!contains(sql, databasePassword), "the SQL \(shown(sql)) holds the password")
      }
      let settings = configuration.settings
      for other in [settings.passwordQuery, settings.accountQuery, settings.defaultDomain, settings.upgradeScheme] {
        invariant(!contains(other ?? "", databasePassword), "a setting other than connect holds the password")
      }
    }
    if dialect == .pamMySQL && !arguments.contains(where: { $0.hasPrefix("connect=") }) {
      // The translation quotes every value it writes into the connection
      // string (our own connect= on the PAM line replaces it).
      let connect = configuration.settings.connect ?? ""
      switch ConnectionString.parse(connect) {
      case .failure(let error):
        invariant(false, "the pam_mysql connection string \(shown(connect)) does not parse: \(error.message)")
      case .success(let pairs):
        let keys = pairs.map { $0.key }
        invariant(
          Set(keys).count == keys.count
            && Set(keys).isSubset(of: ["socket", "host", "port", "user", "password", "dbname"]),
          "the pam_mysql connection string \(shown(connect)) has the keys \(keys)")
        if passwordPlace == 1 && watchesPassword {
          invariant(
            pairs.contains { $0.key == "password" && $0.value == databasePassword },
            "the pam_mysql connection string \(shown(connect)) lost the password")
        }
      }
    }
  default:
    invariant(false, "resolving twice succeeds once")
  }
  return 0
}
