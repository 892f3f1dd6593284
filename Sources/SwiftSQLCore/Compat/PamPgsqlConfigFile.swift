// /etc/pam_pgsql.conf read as pam_pgsql 0.7.3 reads it (pam_pgsql_options.c,
// read_config_file), so that a file pam_pgsql accepted means the same here:
// the file is read with fgets into a 1024-byte buffer, so a line of more
// than 1023 bytes goes on as a line of its own; a line with `=` is a key
// (what comes before the first `=`, blanks removed only at its end) and a
// value (blanks removed at its start, newlines at its end, nothing else:
// no comments, no quotes, no continuation); a line without `=` only counts
// as `debug` when it is exactly that, the last line without a newline. Any
// other line is ignored, as pam_pgsql ignores it: comments, bare words, a
// key it does not know, the second line of a query wrapped onto the next
// line (pam_pgsql reads the query's first line only, and so does this
// module; a warning says so). A key given twice: the last wins.

public enum PamPgsqlConfigFile {
  /// fgets's buffer, less its NUL.
  static let chunkBytes = 1023

  /// The keys read_config_file knows.
  static let keys: Set<String> = [
    "auth_query", "connect", "auth_succ_query", "auth_fail_query", "acct_query", "pwd_query", "session_open_query",
    "session_close_query", "database", "table", "host", "port", "timeout", "user", "sslmode", "password",
    "user_column", "pwd_column", "expired_column", "newtok_column", "pw_type", "debug",
  ]

  /// The entries pam_pgsql reads, and what it ignores (for warnings and
  /// debug notes).
  public struct Reading: Equatable, Sendable {
    public var entries: [ConfigEntry] = []
    /// Lines pam_pgsql ignores that look meant: worth a warning.
    public var warnings: [String] = []
    /// Other ignored lines, for the debug log.
    public var notes: [String] = []
  }

  public static func read(_ text: String, path: String) -> Reading {
    var reading = Reading()
    var number = 0
    var lastKeyLine: (key: String, line: Int)? = nil
    let physicalLines = text.utf8.split(separator: ascii("\n"), omittingEmptySubsequences: false).map(Array.init)
    for physical in physicalLines {
      number += 1
      let isLast = number == physicalLines.count
      // fgets keeps the newline in the buffer; the last line may have none.
      var line = physical
      if !isLast { line.append(ascii("\n")) }
      if line.isEmpty { continue }
      var chunks: [[UInt8]] = []
      var start = 0
      while start < line.count {
        chunks.append(Array(line[start..<min(start + chunkBytes, line.count)]))
        start += chunkBytes
      }
      for (index, chunk) in chunks.enumerated() {
        let place = "\(path) line \(number)"
        guard let equals = chunk.firstIndex(of: ascii("=")) else {
          let word = String(decoding: chunk, as: UTF8.self)
          if word == "debug" {
            reading.entries.append(ConfigEntry(key: "debug", value: "1", line: number))
          } else if index > 0 {
            reading.warnings.append(
              "\(place) is longer than pam_pgsql's 1023-byte line buffer; pam_pgsql, and so pam_swiftsql, ignores "
                + "what follows the first 1023 bytes")
          } else if trimmedBlanks(chunk).isEmpty || chunk.first == ascii("#") {
            continue
          } else if chunk.first == ascii(" ") || chunk.first == ascii("\t"), let lastKeyLine {
            reading.warnings.append(
              "\(place) looks like the continuation of \(lastKeyLine.key) (line \(lastKeyLine.line)); pam_pgsql reads "
                + "a value from one line only and ignores this line, and so does pam_swiftsql: put the whole value "
                + "on one line")
          } else if trimmedBlanks(chunk) == Array("debug".utf8) {
            reading.warnings.append(
              "\(place): a bare 'debug' line is ignored by pam_pgsql (only 'debug = 1' turns debugging on), and "
                + "so by pam_swiftsql")
          } else {
            reading.notes.append("\(place) has no '=' and is ignored, as pam_pgsql ignores it")
          }
          continue
        }
        var keyEnd = equals
        while keyEnd > 1 && isSpace(chunk[keyEnd - 1]) { keyEnd -= 1 }
        let key = String(decoding: chunk[..<keyEnd], as: UTF8.self)
        var value = Array(chunk[(equals + 1)...])
        while let first = value.first, isSpace(first) { value.removeFirst() }
        while value.last == ascii("\n") { value.removeLast() }
        if index > 0 || !keys.contains(key) {
          if index > 0 {
            reading.warnings.append(
              "\(place) is longer than pam_pgsql's 1023-byte line buffer; what follows the first 1023 bytes is "
                + "read as a line of its own, as pam_pgsql reads it")
          } else if key.hasPrefix("#") {
            continue
          } else if key.first == " " || key.first == "\t", let lastKeyLine {
            reading.warnings.append(
              "\(place) looks like the continuation of \(lastKeyLine.key) (line \(lastKeyLine.line)); pam_pgsql reads "
                + "a value from one line only and ignores this line, and so does pam_swiftsql: put the whole value "
                + "on one line")
          } else {
            reading.notes.append("\(place): pam_pgsql does not know the key '\(key)' and ignores it")
          }
          continue
        }
        // `debug = anything` turns debugging on in the file.
        let text = key == "debug" ? "1" : String(decoding: value, as: UTF8.self)
        reading.entries.append(ConfigEntry(key: key, value: text, line: number))
        lastKeyLine = (key, number)
      }
    }
    return reading
  }

  /// C's isspace in the C locale.
  static func isSpace(_ byte: UInt8) -> Bool {
    byte == ascii(" ") || byte == ascii("\t") || byte == ascii("\n") || byte == ascii("\r") || byte == 0x0B
      || byte == 0x0C
  }

  static func trimmedBlanks(_ bytes: [UInt8]) -> [UInt8] {
    var result = bytes
    while let last = result.last, isSpace(last) { result.removeLast() }
    while let first = result.first, isSpace(first) { result.removeFirst() }
    return result
  }
}
