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
