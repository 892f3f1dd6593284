// Dovecot 2.4's dovecot.conf, read for what a PAM module needs, so that
// `config=` can name a Dovecot 2.4 file (or a file holding a pasted
// `passdb sql { … }` block and its connection sections) unchanged:
//
//     sql_driver = pgsql
//     pgsql localhost {
//       parameters {
//         dbname = mails
//       }
//     }
//     passdb sql {
//       query = SELECT password FROM users WHERE userid = '%{user | username}'
//     }
//
// The syntax is doveconf's (src/config/config-parser.c of 2.4): `#` starts a
// comment outside quotes, a trailing `\` joins the next line with one space,
// `key = value` (a value wholly in "…" or '…' is unquoted and unescaped),
// `name [title] {` opens a section and `}` closes it. `!include`, `<file`
// values and `$ENV:`/`$SET:` references are not followed. Of the settings,
// sql_driver, the pgsql / mysql sections and sqlite_path become `driver`
// and `connect`, the first SQL passdb's query `password_query`, its
// default_password_scheme `default_pass_scheme`; pam_swiftsql's own keys may
// stand at the top level; everything else Dovecot has (userdb, protocols,
// services, …) is none of the module's business and only noted for debug.

/// A setting read from a Dovecot 2.4 file, under pam_swiftsql's key.
public struct DovecotSetting: Equatable, Sendable {
  public let key: String
  public let value: String
  public let line: Int
  /// How the file calls it, for messages (`passdb sql query`).
  public let label: String
}

/// What a Dovecot 2.4 file gives.
public struct DovecotConfig: Equatable, Sendable {
  public var settings: [DovecotSetting] = []
  /// Worth a warning at every load (a setting that cannot be followed).
  public var warnings: [String] = []
  /// Debug notes: what was ignored and why.
  public var notes: [String] = []
}

extension DovecotConfig {
  /// Whether `text` is written in dovecot.conf's syntax (it has a section:
  /// a line `name … {` without `=`, or a line `}`; or a setting only
  /// Dovecot 2.4 has: sql_driver, sqlite_path, dovecot_config_version), not
  /// as pam_swiftsql's key = value lines.
  public static func isDovecotConf(_ text: String) -> Bool {
    for line in logicalLines(text) {
      let content = line.text
      if content == "}" { return true }
      if content.hasSuffix("{") && !content.utf8.contains(ascii("=")) { return true }
      let key = content.prefix { $0 != "=" && $0 != " " && $0 != "\t" }
      if key == "sql_driver" || key == "sqlite_path" || key == "dovecot_config_version" { return true }
    }
    return false
  }

  /// One line after comments are stripped and continuations joined, with
  /// the number of the line it started on.
  struct LogicalLine {
    let text: String
    let line: Int
  }

  /// The file's lines as doveconf reads them.
  static func logicalLines(_ text: String) -> [LogicalLine] {
    var result: [LogicalLine] = []
    var pending: [UInt8] = []
    var pendingLine = 0
    var number = 0
    for raw in text.utf8.split(separator: ascii("\n"), omittingEmptySubsequences: false) {
      number += 1
      var bytes = Array(raw)
      var start = 0
      while start < bytes.count && isBlank(bytes[start]) { start += 1 }
      bytes = Array(bytes[start...])
      if bytes.isEmpty || bytes[0] == ascii("#") { continue }
      // A comment starts at '#' outside '…' and "…".
      var index = 0
      while index < bytes.count {
        let byte = bytes[index]
        if byte == ascii("'") || byte == ascii("\"") {
          index += 1
          while index < bytes.count && bytes[index] != byte {
            index += bytes[index] == ascii("\\") && index + 1 < bytes.count ? 2 : 1
          }
          if index >= bytes.count { break }
        } else if byte == ascii("#") {
          bytes = Array(bytes[..<index])
          break
        }
        index += 1
      }
      while let last = bytes.last, isBlank(last) { bytes.removeLast() }
      if pending.isEmpty { pendingLine = number }
      if bytes.last == ascii("\\") {
        bytes.removeLast()
        while let last = bytes.last, isBlank(last) { bytes.removeLast() }
        if !bytes.isEmpty {
          pending.append(contentsOf: bytes)
          pending.append(ascii(" "))
        }
        continue
      }
      let whole = pending + bytes
      pending = []
      if !whole.isEmpty { result.append(LogicalLine(text: String(decoding: whole, as: UTF8.self), line: pendingLine)) }
    }
    if !pending.isEmpty {
      result.append(LogicalLine(text: String(decoding: pending, as: UTF8.self), line: pendingLine))
    }
    return result
  }

  static func isBlank(_ byte: UInt8) -> Bool {
    byte == ascii(" ") || byte == ascii("\t") || byte == ascii("\r") || byte == 0x0B || byte == 0x0C
  }

  /// A parsed line.
  enum Statement {
    case setting(key: String, value: String)
    case sectionBegin(type: String, name: String)
    case sectionEnd
    case include(String)
  }

  /// One logical line as doveconf's config_parse_line reads it.
  static func statement(_ line: LogicalLine, path: String) throws(ConfigurationError) -> Statement {
    let bytes = Array(line.text.utf8)
    var index = 0
    while index < bytes.count && !isBlank(bytes[index]) && bytes[index] != ascii("=") { index += 1 }
    let key = String(decoding: bytes[..<index], as: UTF8.self)
    while index < bytes.count && isBlank(bytes[index]) { index += 1 }
    let rest = Array(bytes[index...])
    if key == "!include" || key == "!include_try" {
      return .include(String(decoding: rest, as: UTF8.self))
    }
    if rest.first == ascii("=") {
      var value = Array(rest.dropFirst())
      while let first = value.first, isBlank(first) { value.removeFirst() }
      if value.first == ascii("<") {
        throw ConfigurationError(
          "\(path) line \(line.line): \(key) reads its value from a file ('<…'), which pam_swiftsql does not "
            + "follow; write the value itself")
      }
      if let first = value.first, value.count >= 2, first == ascii("\"") || first == ascii("'"), value.last == first {
        return .setting(key: key, value: unescaped(Array(value[1..<(value.count - 1)])))
      }
      if value.contains(ascii("$")) {
        // doveconf expands $ENV:name and $SET:name tokens, and joins the
        // value's words with single spaces.
        let words = value.split(whereSeparator: { isBlank($0) }).map { String(decoding: $0, as: UTF8.self) }
        if let reference = words.first(where: { $0.hasPrefix("$ENV:") || $0.hasPrefix("$SET:") }) {
          throw ConfigurationError(
            "\(path) line \(line.line): \(key) uses \(reference), which pam_swiftsql does not expand; "
              + "write the value itself")
        }
        return .setting(key: key, value: words.joined(separator: " "))
      }
      return .setting(key: key, value: String(decoding: value, as: UTF8.self))
    }
    if key == "}" && rest.isEmpty { return .sectionEnd }
    // name [title] {
    var title: [UInt8] = []
    var after = rest
    if after.first == ascii("\"") {
      var end = 1
      while end < after.count && after[end] != ascii("\"") { end += 1 }
      title = Array(unescaped(Array(after[1..<min(end, after.count)])).utf8)
      after = end < after.count ? Array(after[(end + 1)...]) : []
      while let first = after.first, isBlank(first) { after.removeFirst() }
    } else if after.first != ascii("{") {
      var end = 0
      while end < after.count && !isBlank(after[end]) { end += 1 }
      title = Array(after[..<end])
      after = Array(after[end...])
      while let first = after.first, isBlank(first) { after.removeFirst() }
    }
    guard after == [ascii("{")], !key.isEmpty else {
      throw ConfigurationError(
        "\(path) line \(line.line): expected 'key = value', 'section [name] {' or '}' (Dovecot 2.4 syntax)")
    }
    return .sectionBegin(type: key, name: String(decoding: title, as: UTF8.self))
  }

  /// doveconf's str_unescape: a backslash keeps the byte after it.
  static func unescaped(_ bytes: [UInt8]) -> String {
    var result: [UInt8] = []
    var index = 0
    while index < bytes.count {
      if bytes[index] == ascii("\\") && index + 1 < bytes.count { index += 1 }
      result.append(bytes[index])
      index += 1
    }
    return String(decoding: result, as: UTF8.self)
  }

  /// A section and what was written in it.
  final class Section {
    let type: String
    let name: String
    let line: Int
    var settings: [(key: String, value: String, line: Int)] = []
    var sections: [Section] = []

    init(type: String, name: String, line: Int) {
      self.type = type
      self.name = name
      self.line = line
    }

    func value(_ keys: [String]) -> (value: String, line: Int)? {
      guard let found = settings.last(where: { keys.contains($0.key) }) else { return nil }
      return (found.value, found.line)
    }
  }

  /// The file as a tree of sections.
  static func tree(_ text: String, path: String) throws(ConfigurationError) -> (root: Section, includes: [Int]) {
    let root = Section(type: "", name: "", line: 0)
    var stack = [root]
    var includes: [Int] = []
    for line in logicalLines(text) {
      switch try statement(line, path: path) {
      case .setting(let key, let value):
        stack.last?.settings.append((key, value, line.line))
      case .sectionBegin(let type, let name):
        let section = Section(type: type, name: name, line: line.line)
        stack.last?.sections.append(section)
        stack.append(section)
      case .sectionEnd:
        guard stack.count > 1 else {
          throw ConfigurationError("\(path) line \(line.line): '}' without a section to close")
        }
        stack.removeLast()
      case .include:
        includes.append(line.line)
      }
    }
    if stack.count > 1, let open = stack.last {
      throw ConfigurationError("\(path) line \(open.line): the section '\(open.type) \(open.name)' is never closed")
    }
    return (root, includes)
  }

  /// Reads a Dovecot 2.4 file into pam_swiftsql's settings.
  public static func read(_ text: String, path: String) throws(ConfigurationError) -> DovecotConfig {
    let (root, includes) = try tree(text, path: path)
    var result = DovecotConfig()
    for line in includes {
      result.warnings.append(
        "\(path) line \(line): !include is not followed; if the SQL passdb is in the included file, "
          + "point config= at that file")
    }
    var ignored: [String] = []

    // The SQL passdbs, in order; deny and master passdbs do not verify logins.
    let passdbs = root.sections.filter { section in
      section.type == "passdb" && (section.value(["driver", "passdb_driver"])?.value ?? section.name) == "sql"
        && section.value(["deny", "passdb_deny"])?.value != "yes"
        && section.value(["master", "passdb_master"])?.value != "yes"
    }
    if passdbs.count > 1 {
      result.warnings.append(
        "\(path) has \(passdbs.count) SQL passdbs; pam_swiftsql uses the first (line \(passdbs[0].line))")
    }
    let passdb = passdbs.first
    let query = passdb?.value(["query", "sql_query", "passdb_sql_query"]) ?? root.value(["passdb_sql_query"])
    if let query {
      result.settings.append(
        DovecotSetting(key: "password_query", value: query.value, line: query.line, label: "the passdb sql query"))
      for variable in legacyVariables(in: query.value) {
        result.warnings.append(
          "\(path) line \(query.line): the passdb sql query contains \(variable), which Dovecot 2.4 reads as "
            + "the text \(variable), not a variable; write %{…}, e.g. %{user} for %u")
      }
    }
    if let scheme = passdb?.value(["default_password_scheme", "passdb_default_password_scheme"])
      ?? root.value(["passdb_default_password_scheme"])
    {
      result.settings.append(
        DovecotSetting(
          key: "default_pass_scheme", value: scheme.value, line: scheme.line, label: "default_password_scheme"))
    }

    // The driver and its connection, in the passdb or at the top level.
    let scopes = [passdb, root].compactMap { $0 }
    let driver = scopes.lazy.compactMap { $0.value(["sql_driver"]) }.first
    if let driver {
      result.settings.append(
        DovecotSetting(key: "driver", value: driver.value, line: driver.line, label: "sql_driver"))
      if let connect = try connection(driver: driver.value, scopes: scopes, path: path, into: &result) {
        result.settings.append(connect)
      }
    }

    // pam_swiftsql's own keys at the top level; everything else is Dovecot's.
    for (key, value, line) in root.settings {
      if Settings.option(named: key) != nil {
        result.settings.append(DovecotSetting(key: key, value: value, line: line, label: key))
      } else if !["sql_driver", "sqlite_path", "passdb_sql_query", "passdb_default_password_scheme"].contains(key) {
        ignored.append(key)
      }
    }
    for section in root.sections where section !== passdb && !["pgsql", "mysql"].contains(section.type) {
      ignored.append(section.name.isEmpty ? section.type + " { }" : "\(section.type) \(section.name) { }")
    }
    if !ignored.isEmpty {
      result.notes.append(
        "\(path): Dovecot settings pam_swiftsql does not use are ignored: " + ignored.joined(separator: ", "))
    }
    return result
  }

  /// `%u`-style variables (Dovecot 2.3) in a Dovecot 2.4 query: `%` and a
  /// letter of the 2.3 table, not `%{` or `%%`.
  static func legacyVariables(in query: String) -> [String] {
    let bytes = Array(query.utf8)
    var found: [String] = []
    var index = 0
    while index + 1 < bytes.count {
      if bytes[index] == ascii("%") {
        var next = index + 1
        while next < bytes.count && (bytes[next] == ascii("L") || bytes[next] == ascii("U")) { next += 1 }
        if next < bytes.count, QueryVariable.shortNames.contains(where: { $0.letter == bytes[next] }) {
          let spelling = String(decoding: bytes[index...next], as: UTF8.self)
          if !found.contains(spelling) { found.append(spelling) }
        }
        if bytes[index + 1] == ascii("%") { index += 1 }
      }
      index += 1
    }
    return found
  }

  /// The `connect` value from the driver's sections.
  static func connection(
    driver: String, scopes: [Section], path: String, into result: inout DovecotConfig
  ) throws(ConfigurationError) -> DovecotSetting? {
    switch driver {
    case "sqlite":
      guard let file = scopes.lazy.compactMap({ $0.value(["sqlite_path"]) }).first else {
        throw ConfigurationError("\(path): sql_driver = sqlite needs sqlite_path, the database file")
      }
      return DovecotSetting(key: "connect", value: file.value, line: file.line, label: "sqlite_path")
    case "pgsql", "mysql":
      let hosts = scopes.flatMap { $0.sections.filter { $0.type == driver } }
      guard let host = hosts.first else {
        throw ConfigurationError(
          "\(path): sql_driver = \(driver) needs a '\(driver) HOST { … }' section that says where the database is")
      }
      if hosts.count > 1 {
        result.warnings.append(
          "\(path) has \(hosts.count) \(driver) sections; pam_swiftsql connects to the first, \(host.name) "
            + "(line \(host.line))")
      }
      let pairs = driver == "pgsql" ? try pgsqlPairs(host, path: path) : try mysqlPairs(host, path: path)
      let value = pairs.map { "\($0.key)=" + ConnectionString.quoted($0.value) }.joined(separator: " ")
      return DovecotSetting(key: "connect", value: value, line: host.line, label: "the \(driver) \(host.name) section")
    default:
      // The settings check names the drivers there are.
      return nil
    }
  }

  /// `pgsql HOST { parameters { key = value } }`: libpq's keywords.
  static func pgsqlPairs(_ host: Section, path: String) throws(ConfigurationError) -> [(key: String, value: String)] {
    var pairs: [(key: String, value: String)] = [("host", host.value(["host", "pgsql_host"])?.value ?? host.name)]
    for parameters in host.sections where parameters.type == "parameters" {
      for (key, value, _) in parameters.settings where key != "host" { pairs.append((key, value)) }
    }
    return pairs
  }

  /// `mysql HOST { user = … password = … dbname = … port = … ssl = … }`: our
  /// mysql connect keys (a host that is a path is the socket).
  static func mysqlPairs(_ host: Section, path: String) throws(ConfigurationError) -> [(key: String, value: String)] {
    let name = host.value(["host", "mysql_host"])?.value ?? host.name
    var pairs: [(key: String, value: String)] = [(name.hasPrefix("/") ? "socket" : "host", name)]
    let names = [
      ("port", "port"), ("user", "user"), ("password", "password"), ("dbname", "dbname"),
      ("option_file", "option_file"), ("option_group", "option_group"), ("ssl_client_ca_file", "ssl_ca"),
      ("ssl_client_cert_file", "ssl_cert"), ("ssl_client_key_file", "ssl_key"),
    ]
    for (theirs, ours) in names {
      if let value = host.value([theirs, "mysql_" + theirs])?.value, !value.isEmpty { pairs.append((ours, value)) }
    }
    if let ssl = host.value(["ssl", "mysql_ssl"]), ssl.value == "yes" {
      guard pairs.contains(where: { $0.key == "ssl_ca" }) else {
        throw ConfigurationError(
          "\(path) line \(ssl.line): ssl = yes in the mysql section needs ssl_client_ca_file there, the CA "
            + "that signed the server's certificate (pam_swiftsql does not connect with TLS it cannot verify)")
      }
      pairs.append(("ssl_verify_server_cert", "yes"))
    }
    return pairs
  }
}
