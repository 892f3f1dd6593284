// Small text helpers the doctor's parsers share: trimming blanks (spaces,
// tabs, carriage returns), splitting on whitespace, and an octal file mode.

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

/// "0640".
func octalMode(_ mode: UInt32) -> String {
  let digits = String(mode & 0o7777, radix: 8)
  return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}
