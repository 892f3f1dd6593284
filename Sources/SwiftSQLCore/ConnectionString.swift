// `key=value` connection settings, in libpq's conninfo syntax: pairs
// separated by spaces, a value in single quotes may hold spaces, and a
// backslash escapes a quote or a backslash inside it. The mysql driver's
// `connect` setting uses it (host, port, socket, user, password, dbname,
// ssl_*, option_file, option_group); libpq parses its own.

public enum ConnectionString {
  /// The pairs in order, or a message saying what is wrong at which byte.
  public static func parse(_ text: String) -> Result<[(key: String, value: String)], ConfigurationError> {
    let bytes = Array(text.utf8)
    var pairs: [(key: String, value: String)] = []
    var index = 0
    func skipSpaces() {
      while index < bytes.count
        && (bytes[index] == ascii(" ") || bytes[index] == ascii("\t") || bytes[index] == ascii("\n"))
      {
        index += 1
      }
    }
    while true {
      skipSpaces()
      if index >= bytes.count { return .success(pairs) }
      let keyStart = index
      while index < bytes.count && bytes[index] != ascii("=") && bytes[index] != ascii(" ") { index += 1 }
      let key = String(decoding: bytes[keyStart..<index], as: UTF8.self)
      skipSpaces()
      guard index < bytes.count, bytes[index] == ascii("="), !key.isEmpty else {
        return .failure(ConfigurationError("expected key=value at byte \(keyStart)"))
      }
      index += 1
      skipSpaces()
      var value: [UInt8] = []
      if index < bytes.count && bytes[index] == ascii("'") {
        let open = index
        index += 1
        var closed = false
        while index < bytes.count {
          if bytes[index] == ascii("\\") && index + 1 < bytes.count {
            value.append(bytes[index + 1])
            index += 2
            continue
          }
          if bytes[index] == ascii("'") {
            closed = true
            index += 1
            break
          }
          value.append(bytes[index])
          index += 1
        }
        guard closed else { return .failure(ConfigurationError("the quote at byte \(open) is never closed")) }
      } else {
        while index < bytes.count && bytes[index] != ascii(" ") && bytes[index] != ascii("\t")
          && bytes[index] != ascii("\n")
        {
          if bytes[index] == ascii("\\") && index + 1 < bytes.count {
            value.append(bytes[index + 1])
            index += 2
            continue
          }
          value.append(bytes[index])
          index += 1
        }
      }
      pairs.append((key, String(decoding: value, as: UTF8.self)))
    }
  }

  /// `value` written so that `parse` reads it back whole.
  public static func quoted(_ value: String) -> String {
    // By scalar, as `parse` reads bytes: a quote or backslash followed by a
    // combining mark is one Character, which is neither.
    var result = "'"
    for scalar in value.unicodeScalars {
      if scalar == "'" || scalar == "\\" { result.unicodeScalars.append("\\") }
      result.unicodeScalars.append(scalar)
    }
    return result + "'"
  }
}
