// For a configuration file that cannot work unchanged, what to change, why,
// and the line rewritten: what `pam-swiftsql doctor` shows. Each rewrite is
// mechanical and keeps the meaning the file's author had:
//
// - pam_pgsql: a value wrapped onto the next line (pam_pgsql reads one line;
//   the rest is ignored, so the query is cut short) → the value on one line;
// - pam_mysql: text after a value's `;`, or a `#` that is not in the first
//   column (pam_mysql refuses both) → without it;
// - Dovecot 2.4: a Dovecot 2.3 variable (`%u`, which 2.4 reads as text) →
//   its 2.4 spelling (`%{user}`);
// - any query: the plaintext password as a value (`'%w' AS userdb_plain_pass`
//   in Dovecot's scheme-conversion recipe) → the query without that column,
//   with password_update_query and upgrade_scheme doing the conversion;
//   a variable in "…" on PostgreSQL or SQLite, where "…" is a name → '…'.

/// One suggested change.
public struct ConfigAdvice: Equatable, Sendable {
  /// The line it starts on.
  public let line: Int
  public let why: String
  /// The line (or the logical line: a key and its value) as written and as
  /// it should be.
  public let written: String
  public let rewritten: String

  public init(line: Int, why: String, written: String, rewritten: String) {
    self.line = line
    self.why = why
    self.written = written
    self.rewritten = rewritten
  }
}

public enum ConfigAdvisor {
  /// The suggestions for `text`, a file in `dialect`'s language.
  public static func advise(_ text: String, dialect: ConfigurationDialect) -> [ConfigAdvice] {
    switch dialect {
    case .pamPgsql: return pamPgsql(text)
    case .pamMySQL: return pamMySQL(text)
    case .native:
      return DovecotConfig.isDovecotConf(text) ? dovecot24(text) : native(text)
    }
  }

  /// The file's physical lines (no line end).
  static func lines(_ text: String) -> [String] {
    text.utf8.split(separator: ascii("\n"), omittingEmptySubsequences: false).map {
      var line = Array($0)
      if line.last == ascii("\r") { line.removeLast() }
      return String(decoding: line, as: UTF8.self)
    }
  }

  static func isBlank(_ character: Character) -> Bool { character == " " || character == "\t" }

  /// pam_pgsql: a key line followed by indented lines that pam_pgsql
  /// ignores.
  static func pamPgsql(_ text: String) -> [ConfigAdvice] {
    let all = lines(text)
    var advice: [ConfigAdvice] = []
    var index = 0
    while index < all.count {
      let line = all[index]
      guard let first = line.first, !isBlank(first), first != "#", line.contains("=") else {
        index += 1
        continue
      }
      var end = index + 1
      while end < all.count, let next = all[end].first, isBlank(next),
        !all[end].allSatisfy({ isBlank($0) })
      {
        end += 1
      }
      if end > index + 1 {
        let joined = ([trimmed(line)] + all[(index + 1)..<end].map { trimmed($0) }).joined(separator: " ")
        advice.append(
          ConfigAdvice(
            line: index + 1,
            why: "pam_pgsql reads a value from one line: lines \(index + 2)–\(end) are ignored and the value is cut "
              + "short",
            written: all[index..<end].joined(separator: "\n"), rewritten: joined))
      }
      index = end
    }
    return advice
  }

  /// pam_mysql: lines its parser refuses, where the fix is mechanical.
  static func pamMySQL(_ text: String) -> [ConfigAdvice] {
    var advice: [ConfigAdvice] = []
    for (index, line) in lines(text).enumerated() {
      let stripped = trimmed(line)
      if stripped.hasPrefix("#") && !line.hasPrefix("#") {
        advice.append(
          ConfigAdvice(
            line: index + 1, why: "pam_mysql reads '#' as a comment only in the first column", written: line,
            rewritten: stripped))
        continue
      }
      guard !line.hasPrefix("#"), let semicolon = line.firstIndex(of: ";") else { continue }
      let after = trimmed(line[line.index(after: semicolon)...])
      if !after.isEmpty {
        advice.append(
          ConfigAdvice(
            line: index + 1, why: "pam_mysql allows nothing after the ';' that ends a value", written: line,
            rewritten: String(line[...semicolon])))
      }
    }
    return advice
  }

  /// Dovecot 2.4: Dovecot 2.3 variables in the SQL passdb query.
  static func dovecot24(_ text: String) -> [ConfigAdvice] {
    guard let dovecot = try? DovecotConfig.read(text, path: ""),
      let query = dovecot.settings.first(where: { $0.key == "password_query" })
    else { return [] }
    let rewritten = dovecot24Spelling(query.value)
    guard rewritten != query.value else { return [] }
    return [
      ConfigAdvice(
        line: query.line, why: "Dovecot 2.4 reads %u, %n, %d, … as text, not as variables",
        written: "query = " + query.value, rewritten: "query = " + rewritten)
    ]
  }

  /// Dovecot 2.3's short variables in Dovecot 2.4's spelling.
  static let spellings: [String: String] = [
    "%u": "%{user}", "%n": "%{user | username}", "%d": "%{user | domain}", "%s": "%{protocol}",
    "%r": "%{remote_ip}", "%l": "%{local_ip}", "%c": "%{secured}", "%Lu": "%{user | lower}",
    "%Ln": "%{user | username | lower}", "%Ld": "%{user | domain | lower}", "%Ls": "%{protocol | lower}",
    "%Lc": "%{secured | lower}",
  ]

  static func dovecot24Spelling(_ query: String) -> String {
    var result = ""
    var rest = Substring(query)
    while let percent = rest.firstIndex(of: "%") {
      result += rest[..<percent]
      let candidate = rest[percent...]
      if let (written, spelled) = spellings.sorted(by: { $0.key.count > $1.key.count }).first(where: {
        candidate.hasPrefix($0.key)
      }) {
        result += spelled
        rest = candidate.dropFirst(written.count)
      } else {
        result += "%"
        rest = candidate.dropFirst()
      }
    }
    return result + rest
  }

  /// pam_swiftsql.conf / dovecot-sql.conf.ext: the queries that do not compile
  /// for a reason with a mechanical fix.
  static func native(_ text: String) -> [ConfigAdvice] {
    guard let entries = try? ConfigFile.parse(text) else { return [] }
    let driver = entries.last(where: { $0.key == "driver" }).flatMap { Driver(rawValue: $0.value) } ?? .sqlite
    var advice: [ConfigAdvice] = []
    for entry in entries where entry.key.hasSuffix("query") && entry.key != "password_update_query" {
      do {
        _ = try QueryTemplate.compile(
          entry.value, style: driver.placeholderStyle, backslashEscapes: driver.backslashEscapes,
          doubleQuotedStrings: driver.doubleQuotedStrings,
          allowsReason: entry.key.hasPrefix("auth_")
            || entry.key.hasPrefix("account_su") || entry.key.hasPrefix("account_fa"))
      } catch {
        let value = entry.value
        switch error {
        case .newHashNotAllowed(let offset):
          if let fixed = removingColumn(at: offset, in: value) {
            advice.append(
              ConfigAdvice(
                line: entry.line,
                why: "%w is the plaintext password in Dovecot; pam_swiftsql never sends a password to the database. "
                  + "To convert stored values, set password_update_query (with %w, the new hash) and upgrade_scheme",
                written: "\(entry.key) = \(value)", rewritten: "\(entry.key) = \(fixed)"))
          }
        case .variableInsideIdentifier(let offset) where driver != .mysql:
          if let fixed = singleQuoted(at: offset, in: value) {
            advice.append(
              ConfigAdvice(
                line: entry.line,
                why: "\"…\" is a name (a column) in \(driver.rawValue); a value is written in '…'",
                written: "\(entry.key) = \(value)", rewritten: "\(entry.key) = \(fixed)"))
          }
        default:
          break
        }
      }
    }
    return advice
  }

  /// `value` without the select-list item that holds the variable at
  /// `offset`: `, '%w' AS name` (or the item and its comma, when first).
  static func removingColumn(at offset: Int, in value: String) -> String? {
    // The value's lines (a continued value keeps them) as one.
    let bytes = Array(value.utf8).map { $0 == ascii("\n") ? ascii(" ") : $0 }
    guard offset > 0, offset < bytes.count, bytes[offset - 1] == ascii("'") else { return nil }
    guard let close = bytes[(offset + 1)...].firstIndex(of: ascii("'")) else { return nil }
    var end = close + 1
    // " AS name" or " name"
    var probe = end
    while probe < bytes.count && bytes[probe] == ascii(" ") { probe += 1 }
    let word = bytes[probe...].prefix { isLetter($0) || isDigit($0) || $0 == ascii("_") }
    if String(decoding: word, as: UTF8.self).lowercased() == "as" {
      probe += word.count
      while probe < bytes.count && bytes[probe] == ascii(" ") { probe += 1 }
      let name = bytes[probe...].prefix { isLetter($0) || isDigit($0) || $0 == ascii("_") }
      end = probe + name.count
    }
    var start = offset - 1
    var before = start
    while before > 0 && bytes[before - 1] == ascii(" ") { before -= 1 }
    if before > 0 && bytes[before - 1] == ascii(",") {
      start = before - 1
    } else {
      // The first item: take the comma after it.
      var after = end
      while after < bytes.count && bytes[after] == ascii(" ") { after += 1 }
      guard after < bytes.count && bytes[after] == ascii(",") else { return nil }
      end = after + 1
      while end < bytes.count && bytes[end] == ascii(" ") { end += 1 }
    }
    return String(decoding: bytes[..<start] + bytes[end...], as: UTF8.self)
  }

  /// `value` with the "…" around the variable at `offset` made '…', when
  /// the quotes hold nothing but variables and text without quotes.
  static func singleQuoted(at offset: Int, in value: String) -> String? {
    var bytes = Array(value.utf8)
    guard let open = bytes[..<offset].lastIndex(of: ascii("\"")),
      let close = bytes[offset...].firstIndex(of: ascii("\"")),
      !bytes[(open + 1)..<close].contains(ascii("'"))
    else { return nil }
    bytes[open] = ascii("'")
    bytes[close] = ascii("'")
    return String(decoding: bytes, as: UTF8.self)
  }
}
