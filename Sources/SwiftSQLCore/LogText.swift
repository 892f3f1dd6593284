// Makes text from outside (a login as PAM passed it, a database message)
// safe for one log line: control characters become '?', invalid UTF-8 is
// replaced, and overlong text is cut, so a hostile login cannot forge or
// flood log lines. `field` writes one `key=value` field so that a value
// with spaces, '=' or quotes cannot look like a second field; text a
// database server wrote has its quoted parts masked, because servers quote
// the values they refused, and a value may be a stored hash.

public enum LogText {
  public static let maximumBytes = 400

  public static func printable(_ bytes: [UInt8]) -> String {
    let text = String(decoding: bytes.prefix(maximumBytes), as: UTF8.self)
    var result = ""
    for scalar in text.unicodeScalars {
      result.unicodeScalars.append(Login.isControl(scalar) ? "?" : scalar)
    }
    return bytes.count > maximumBytes ? result + "…" : result
  }

  public static func printable(_ text: String) -> String { printable(Array(text.utf8)) }

  /// The value of one `key=value` field: as it is when it is made only of
  /// letters, digits and `@ . _ - + : / [ ] %` (logins, host names,
  /// addresses, service names); otherwise in double quotes, with `"` and `\`
  /// escaped by a backslash and control characters as `\xNN`. Cut to
  /// `maximumBytes`; an empty value stays empty. So `user=a rhost=b` inside
  /// a login stays inside its field, and fail2ban's `rhost=<HOST>` finds
  /// only the real remote host.
  public static func field(_ bytes: [UInt8], limit: Int = maximumBytes) -> String {
    let cut = bytes.count > limit
    let text = String(decoding: bytes.prefix(limit), as: UTF8.self)
    if !cut && text.utf8.allSatisfy(isBareFieldByte) { return text }
    var result = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      default:
        if Login.isControl(scalar) || scalar == "\u{2028}" || scalar == "\u{2029}" {
          result += "\\x" + hexByte(UInt8(truncatingIfNeeded: scalar.value))
        } else {
          result.unicodeScalars.append(scalar)
        }
      }
    }
    return result + (cut ? "…\"" : "\"")
  }

  public static func field(_ text: String, limit: Int = maximumBytes) -> String {
    field(Array(text.utf8), limit: limit)
  }

  static func isBareFieldByte(_ byte: UInt8) -> Bool {
    isLetter(byte) || isDigit(byte) || "@._-+:/[]%".utf8.contains(byte)
  }

  static func hexByte(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef".utf8)
    return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
  }

  /// A database server's message with the inside of every '…' and "…" span
  /// replaced by `…`, unless `isKnown` says the quoted text is the
  /// administrator's own (a column name from the query, a user name from
  /// the connection string): servers quote the value they refused
  /// (`invalid input syntax for type integer: "{SSHA256}…"`), and that
  /// value may be a stored hash. Made printable as well. An unclosed quote
  /// masks the rest of the text.
  public static func maskingQuotedText(_ message: String, keeping isKnown: (String) -> Bool = { _ in false })
    -> String
  {
    var result: [UInt8] = []
    var quoted: [UInt8] = []
    var quote: UInt8? = nil
    for byte in message.utf8 {
      if let open = quote {
        if byte == open {
          let text = String(decoding: quoted, as: UTF8.self)
          result.append(contentsOf: !quoted.isEmpty && isKnown(text) ? quoted : Array("…".utf8))
          result.append(byte)
          quoted = []
          quote = nil
        } else {
          quoted.append(byte)
        }
        continue
      }
      result.append(byte)
      if byte == ascii("'") || byte == ascii("\"") { quote = byte }
    }
    if quote != nil { result.append(contentsOf: "…".utf8) }
    return printable(result)
  }

  /// Whether `text` occurs in `sql`, byte for byte: quoted text in a server
  /// message that the query itself holds is the administrator's, not a
  /// value.
  public static func occurs(_ text: String, in sql: String) -> Bool {
    let needle = Array(text.utf8)
    let haystack = Array(sql.utf8)
    guard !needle.isEmpty, needle.count <= haystack.count else { return false }
    for start in 0...(haystack.count - needle.count)
    where haystack[start..<(start + needle.count)].elementsEqual(needle) {
      return true
    }
    return false
  }

  /// `text` with every run of `minimum` or more bytes that also occurs in
  /// `secret` replaced by `…`: so that no fragment of a value the module
  /// made (a new stored hash) survives in a line about it.
  public static func removingFragments(of secret: [UInt8], from text: String, minimum: Int = 8) -> String {
    let bytes = Array(text.utf8)
    guard secret.count >= minimum, bytes.count >= minimum else { return text }
    var result: [UInt8] = []
    var index = 0
    while index < bytes.count {
      let length = longestCommonRun(bytes, from: index, in: secret)
      if length >= minimum {
        result.append(contentsOf: "…".utf8)
        index += length
      } else {
        result.append(bytes[index])
        index += 1
      }
    }
    return String(decoding: result, as: UTF8.self)
  }

  /// The length of the longest prefix of `text[start...]` that occurs
  /// anywhere in `secret`.
  static func longestCommonRun(_ text: [UInt8], from start: Int, in secret: [UInt8]) -> Int {
    var best = 0
    for origin in secret.indices {
      var length = 0
      while start + length < text.count && origin + length < secret.count
        && text[start + length] == secret[origin + length]
      {
        length += 1
      }
      best = max(best, length)
    }
    return best
  }
}

extension String {
  /// The text with every occurrence of `target` replaced (byte-wise, so it
  /// needs neither Foundation nor _StringProcessing).
  func replacingAll(_ target: String, with replacement: String) -> String {
    let needle = Array(target.utf8)
    let haystack = Array(utf8)
    guard !needle.isEmpty, haystack.count >= needle.count else { return self }
    var result: [UInt8] = []
    var index = 0
    while index < haystack.count {
      if index + needle.count <= haystack.count && haystack[index..<(index + needle.count)].elementsEqual(needle) {
        result.append(contentsOf: replacement.utf8)
        index += needle.count
      } else {
        result.append(haystack[index])
        index += 1
      }
    }
    return String(decoding: result, as: UTF8.self)
  }
}
