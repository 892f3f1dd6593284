// Postfix's main.cf as postconf(5) defines it: `name = value`; a line that
// starts with whitespace continues the previous one; empty lines and lines
// whose first non-blank character is '#' are ignored; the last assignment of
// a name wins. Values may refer to other parameters as $name, ${name} or
// $(name), and ${name?text} / ${name:text} give text when name is set /
// empty. A service's `-o name=value` overrides from master.cf are layered on
// top. Only the defaults of the parameters the doctor reads are known.

struct PostfixMainConfig {
  /// Each name's value as written (last assignment wins), and its line.
  private(set) var values: [String: (value: String, line: Int)] = [:]

  /// Postfix's defaults for the parameters the doctor looks at.
  static let defaults: [String: String] = [
    "queue_directory": "/var/spool/postfix",
    "compatibility_level": "0",
    "smtpd_sasl_auth_enable": "no",
    "smtpd_sasl_type": "cyrus",
    "smtpd_sasl_path": "smtpd",
    "smtpd_sasl_service": "smtp",
    "smtpd_sasl_local_domain": "",
    "smtpd_sasl_security_options": "noanonymous",
    "smtpd_sasl_tls_security_options": "$smtpd_sasl_security_options",
    "smtpd_tls_auth_only": "no",
    "smtpd_tls_security_level": "",
    "smtpd_use_tls": "no",
    "smtpd_enforce_tls": "no",
    "smtpd_tls_wrappermode": "no",
    "smtpd_tls_cert_file": "",
    "smtpd_tls_eccert_file": "",
    "smtpd_tls_chain_files": "",
    "cyrus_sasl_config_path": "",
    "myhostname": "",
  ]

  static func parse(_ text: String) -> PostfixMainConfig {
    var config = PostfixMainConfig()
    for logical in postfixLogicalLines(text) {
      guard let equals = logical.text.firstIndex(of: "=") else { continue }
      let name = String(logical.text[..<equals]).trimmedBlanks()
      let value = String(logical.text[logical.text.index(after: equals)...]).trimmedBlanks()
      if !name.isEmpty { config.values[name] = (value, logical.line) }
    }
    return config
  }

  /// The value of `name`: from `overrides` (master.cf `-o`), else main.cf,
  /// else Postfix's default; with $references expanded.
  func value(_ name: String, overrides: [String: String] = [:]) -> String {
    expand(raw(name, overrides: overrides), overrides: overrides, depth: 0)
  }

  /// Whether `name` was written in main.cf or in the overrides.
  func isSet(_ name: String, overrides: [String: String] = [:]) -> Bool {
    overrides[name] != nil || values[name] != nil
  }

  /// A Postfix boolean.
  func flag(_ name: String, overrides: [String: String] = [:]) -> Bool {
    value(name, overrides: overrides).lowercased() == "yes"
  }

  private func raw(_ name: String, overrides: [String: String]) -> String {
    overrides[name] ?? values[name]?.value ?? PostfixMainConfig.defaults[name] ?? ""
  }

  /// Expands $name, ${name}, $(name), ${name?text}, ${name:text}; `$$` is a
  /// literal '$'.
  func expand(_ text: String, overrides: [String: String] = [:], depth: Int = 0) -> String {
    guard depth < 20, text.contains("$") else { return text }
    var result = ""
    var index = text.startIndex
    while index < text.endIndex {
      let character = text[index]
      guard character == "$" else {
        result.append(character)
        index = text.index(after: index)
        continue
      }
      let next = text.index(after: index)
      guard next < text.endIndex else {
        result.append("$")
        break
      }
      if text[next] == "$" {
        result.append("$")
        index = text.index(after: next)
        continue
      }
      if text[next] == "{" || text[next] == "(" {
        let close: Character = text[next] == "{" ? "}" : ")"
        guard let end = PostfixMainConfig.matching(text, from: next, close: close) else {
          result.append(contentsOf: text[index...])
          break
        }
        let inside = String(text[text.index(after: next)..<end])
        result += expandReference(inside, overrides: overrides, depth: depth)
        index = text.index(after: end)
        continue
      }
      var end = next
      while end < text.endIndex, text[end].isLetter || text[end].isNumber || text[end] == "_" {
        end = text.index(after: end)
      }
      if end == next {
        result.append("$")
        index = next
        continue
      }
      result += expand(raw(String(text[next..<end]), overrides: overrides), overrides: overrides, depth: depth + 1)
      index = end
    }
    return result
  }

  private func expandReference(_ inside: String, overrides: [String: String], depth: Int) -> String {
    if let operatorIndex = inside.firstIndex(where: { $0 == "?" || $0 == ":" }) {
      let name = String(inside[..<operatorIndex])
      var text = String(inside[inside.index(after: operatorIndex)...])
      if text.hasPrefix("{") && text.hasSuffix("}") { text = String(text.dropFirst().dropLast()) }
      let current = value(name, overrides: overrides)
      let wanted = inside[operatorIndex] == "?" ? !current.isEmpty : current.isEmpty
      return wanted ? expand(text, overrides: overrides, depth: depth + 1) : ""
    }
    return expand(raw(inside, overrides: overrides), overrides: overrides, depth: depth + 1)
  }

  /// The index of the bracket that closes the one at `open`.
  private static func matching(_ text: String, from open: String.Index, close: Character) -> String.Index? {
    let opening = text[open]
    var depth = 0
    var index = open
    while index < text.endIndex {
      if text[index] == opening { depth += 1 }
      if text[index] == close {
        depth -= 1
        if depth == 0 { return index }
      }
      index = text.index(after: index)
    }
    return nil
  }

  /// A list parameter's items (separated by commas and whitespace).
  static func items(_ value: String) -> [String] {
    value.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).map { String($0).lowercased() }
  }
}
