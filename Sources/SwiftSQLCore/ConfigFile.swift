// The syntax of /etc/pam_swiftsql.conf, which follows Dovecot's
// dovecot-sql.conf.ext so that its lines can be copied across:
//
//     # a comment
//     driver = pgsql
//     password_query = SELECT password FROM users \
//                      WHERE username = '%n' AND domain = '%d'
//
// One `key = value` per line, `#` starts a comment line, a trailing `\`
// continues the value on the next line (the lines stay separate lines of the
// value, so an SQL `--` comment ends where it appears to), and a value wholly
// inside double quotes has them removed. This file knows only the syntax; what the keys
// mean is `Settings`.

/// One `key = value` line, with the number of the line it started on.
public struct ConfigEntry: Equatable, Sendable {
  public let key: String
  public let value: String
  public let line: Int
}

/// A syntax error: the line and what is wrong with it.
public struct ConfigSyntaxError: Error, Equatable, Sendable {
  public let line: Int
  public let message: String
}

public enum ConfigFile {
  /// - Parameter dottedKeys: also accept `.` in keys (pam_mysql's
  ///   `users.host = …` files).
  public static func parse(_ text: String, dottedKeys: Bool = false) throws(ConfigSyntaxError) -> [ConfigEntry] {
    var entries: [ConfigEntry] = []
    var pending: (text: String, line: Int)? = nil
    var number = 0
    // Lines end at the "\n" byte: split by Character, a CRLF ("\r\n" is one
    // Character) would end no line at all.
    for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
      number += 1
      var line = trimmed(Substring(rawLine))
      if pending == nil && (line.isEmpty || line.hasPrefix("#")) { continue }
      let continues = line.hasSuffix("\\")
      if continues { line = trimmed(line.dropLast()) }
      if let started = pending {
        pending = (started.text + (line.isEmpty ? "" : "\n" + line), started.line)
      } else {
        pending = (line, number)
      }
      if continues { continue }
      if let complete = pending {
        entries.append(try entry(complete.text, line: complete.line, dottedKeys: dottedKeys))
      }
      pending = nil
    }
    if let complete = pending {
      entries.append(try entry(complete.text, line: complete.line, dottedKeys: dottedKeys))
    }
    return entries
  }

  static func entry(_ text: String, line: Int, dottedKeys: Bool) throws(ConfigSyntaxError) -> ConfigEntry {
    guard let equals = text.firstIndex(of: "=") else {
      throw ConfigSyntaxError(line: line, message: "expected 'key = value'")
    }
    let key = trimmed(text[..<equals])
    guard !key.isEmpty, key.utf8.allSatisfy({ isKeyByte($0) || (dottedKeys && $0 == ascii(".")) }) else {
      throw ConfigSyntaxError(
        line: line, message: "'\(key)' is not a key: keys are lower-case letters, digits and '_'")
    }
    var value = trimmed(text[text.index(after: equals)...])
    if value.utf8.count >= 2 && value.hasPrefix("\"") && value.hasSuffix("\"") {
      value = String(value.dropFirst().dropLast())
    }
    return ConfigEntry(key: key, value: value, line: line)
  }

  static func isKeyByte(_ byte: UInt8) -> Bool {
    (byte >= ascii("a") && byte <= ascii("z")) || isDigit(byte) || byte == ascii("_")
  }
}

/// The text without leading and trailing spaces, tabs and carriage returns.
func trimmed(_ text: Substring) -> String {
  let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
  guard let first = text.firstIndex(where: { !isBlank($0) }),
    let last = text.lastIndex(where: { !isBlank($0) })
  else { return "" }
  return String(text[first...last])
}

func trimmed(_ text: String) -> String { trimmed(text[...]) }
