// The file pam_mysql's `config_file=` names, read as pam_mysql 0.8.2's own
// scanner and parser read it (pam_mysql.c: pam_mysql_config_scanner_* and
// pam_mysql_config_parser_parse), so that a file pam_mysql accepted is
// accepted unchanged, e.g. the Cyrus IMAP documentation's
//
//     users.host = localhost;
//     users.where_clause = active = 1;
//
// A line is `name = value`, optionally ended by `;`, then only blanks. The
// name runs to a blank, `=` or `;`; the value starts after the blanks that
// follow `=` and runs to `;` or the end of the line (so it may hold `=`,
// and blanks before the `;` are part of it); nothing is unquoted. `#` starts
// a comment only in the first column. A line pam_mysql refuses (a name
// without `=`, text after `;`, an indented `#`) is a syntax error here too.

public enum PamMySQLConfigFile {
  public static func parse(_ text: String) throws(ConfigSyntaxError) -> [ConfigEntry] {
    var entries: [ConfigEntry] = []
    var number = 0
    for rawLine in lines(Array(text.utf8)) {
      number += 1
      let line = rawLine
      if line.first == ascii("#") { continue }
      var index = 0
      func skipBlanks() {
        while index < line.count && (line[index] == ascii(" ") || line[index] == ascii("\t")) { index += 1 }
      }
      skipBlanks()
      if index == line.count { continue }
      let nameStart = index
      while index < line.count, ![ascii("="), ascii(";"), ascii(" "), ascii("\t")].contains(line[index]) {
        index += 1
      }
      guard index > nameStart else {
        throw ConfigSyntaxError(line: number, message: "expected 'name = value;' (pam_mysql's syntax)")
      }
      let name = String(decoding: line[nameStart..<index], as: UTF8.self)
      skipBlanks()
      guard index < line.count, line[index] == ascii("=") else {
        throw ConfigSyntaxError(
          line: number, message: "'\(name)' is not followed by '=' (pam_mysql's syntax: name = value;)")
      }
      index += 1
      skipBlanks()
      let valueStart = index
      while index < line.count && line[index] != ascii(";") { index += 1 }
      let value = String(decoding: line[valueStart..<index], as: UTF8.self)
      if index < line.count {
        // After the ';' only blanks.
        index += 1
        skipBlanks()
        guard index == line.count else {
          throw ConfigSyntaxError(
            line: number, message: "text after the ';' that ends \(name) (pam_mysql allows nothing there)")
        }
      }
      entries.append(ConfigEntry(key: name, value: value, line: number))
    }
    return entries
  }

  /// Lines end at "\n", "\r\n" or a lone "\r", as pam_mysql's scanner reads.
  static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
    var result: [[UInt8]] = []
    var current: [UInt8] = []
    var index = 0
    while index < bytes.count {
      let byte = bytes[index]
      if byte == ascii("\n") || byte == ascii("\r") {
        result.append(current)
        current = []
        if byte == ascii("\r") && index + 1 < bytes.count && bytes[index + 1] == ascii("\n") { index += 1 }
      } else {
        current.append(byte)
      }
      index += 1
    }
    if !current.isEmpty { result.append(current) }
    return result
  }
}
