// Small text helpers the doctor's parsers share: trimming blanks (spaces,
// tabs, carriage returns), splitting on whitespace, Postfix's logical lines,
// and an octal file mode.

extension String {
  /// Without leading and trailing spaces, tabs and carriage returns.
  func trimmedBlanks() -> String {
    let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
    guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
      return ""
    }
    return String(self[first...last])
  }

  /// The words between runs of spaces and tabs.
  var words: [String] {
    split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).map(String.init)
  }
}

/// The logical lines of a Postfix file (main.cf, master.cf), as Postfix
/// reads them: blank lines and lines starting with `#` are skipped, a line
/// starting with a space or a tab continues the one before; each with the
/// number of the line it starts on.
func postfixLogicalLines(_ text: String) -> [(text: String, line: Int)] {
  var lines: [(text: String, line: Int)] = []
  var number = 0
  for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
    number += 1
    let line = String(raw)
    let trimmed = line.trimmedBlanks()
    if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
    if line.first == " " || line.first == "\t" {
      if let last = lines.popLast() { lines.append((last.text + " " + trimmed, last.line)) }
      continue
    }
    lines.append((trimmed, number))
  }
  return lines
}

/// "0640".
func octalMode(_ mode: UInt32) -> String {
  let digits = String(mode & 0o7777, radix: 8)
  return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}
