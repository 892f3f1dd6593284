// One line of a Linux-PAM service file (/etc/pam.d/<service>), and the
// parser for such files as libpam reads them: `#` starts a comment, a
// trailing '\' continues the line, fields are `type control module
// [arguments]` where a leading '-' on the type means "skip silently when the
// module is missing", the control may be `[value=action …]`, an argument may
// be `[text with spaces]`; `@include file` and the controls `include` and
// `substack` pull in another file of the same directory.

struct PAMStackLine: Equatable {
  /// auth, account, password or session (lower-cased, without '-').
  let type: String
  /// required, requisite, sufficient, optional, include, substack, or [...].
  let control: String
  /// The module path or name as written (for include/substack: a file).
  let module: String
  let arguments: [String]
  /// The file and line it came from, e.g. "/etc/pam.d/smtp line 3".
  let origin: String
  /// The file alone, e.g. "/etc/pam.d/smtp".
  let file: String

  /// An `@include` (type "@include", module the file) or a stack line.
  var isInclude: Bool { type == "@include" || control == "include" || control == "substack" }

  /// The module file's name without directories, e.g. "pam_unix.so".
  var moduleName: String { SystemTree.lastComponent(module) }

  static func parse(_ text: String, file: String) -> [PAMStackLine] {
    var result: [PAMStackLine] = []
    var logical = ""
    var startLine = 0
    var number = 0
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      number += 1
      var line = String(raw)
      if let hash = line.firstIndex(of: "#") { line = String(line[..<hash]) }
      if logical.isEmpty { startLine = number }
      let trimmed = line.trimmedBlanks()
      if trimmed.hasSuffix("\\") {
        logical += String(trimmed.dropLast()) + " "
        continue
      }
      logical += trimmed
      defer { logical = "" }
      let tokens = tokenize(logical)
      guard let first = tokens.first else { continue }
      let origin = "\(file) line \(startLine)"
      if first == "@include" {
        if tokens.count > 1 {
          result.append(
            PAMStackLine(
              type: "@include", control: "", module: tokens[1], arguments: [], origin: origin, file: file))
        }
        continue
      }
      guard tokens.count >= 3 else { continue }
      var type = first.lowercased()
      if type.hasPrefix("-") { type.removeFirst() }
      result.append(
        PAMStackLine(
          type: type, control: tokens[1], module: tokens[2], arguments: Array(tokens.dropFirst(3)), origin: origin,
          file: file))
    }
    return result
  }

  /// Splits at blanks; `[ … ]` is one token (brackets kept for controls,
  /// removed for arguments, as libpam does for arguments).
  static func tokenize(_ text: String) -> [String] {
    var tokens: [String] = []
    var current = ""
    var inBrackets = false
    for character in text {
      if inBrackets {
        current.append(character)
        if character == "]" { inBrackets = false }
        continue
      }
      if character == "[" {
        inBrackets = true
        current.append(character)
        continue
      }
      if character == " " || character == "\t" {
        if !current.isEmpty { tokens.append(current) }
        current = ""
        continue
      }
      current.append(character)
    }
    if !current.isEmpty { tokens.append(current) }
    // Arguments (from the fourth token on) lose their brackets.
    return tokens.enumerated().map { index, token in
      index >= 3 && token.hasPrefix("[") && token.hasSuffix("]") ? String(token.dropFirst().dropLast()) : token
    }
  }
}
