// Makes text from outside (a login as PAM passed it, a database message)
// safe for one log line: control characters become '?', invalid UTF-8 is
// replaced, and overlong text is cut, so a hostile login cannot forge or
// flood log lines.

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
