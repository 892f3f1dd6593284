// One service of Postfix's master.cf, and the parser for the file, as
// master(5) defines it: empty lines and lines whose first non-blank character
// is '#' are ignored (also between the lines of one entry); a line that
// starts with whitespace continues the entry above; the fields are service,
// type, private, unpriv, chroot, wakeup, maxproc, command + arguments; `-o
// name=value` (also `-oname=value`, and Postfix 3's `-o { name = value with
// spaces }`) overrides a main.cf parameter for that service; when a service
// name and type appear twice, the last entry wins.

struct MasterService: Equatable {
  let name: String
  let type: String
  /// The chroot column as written: "y", "n" or "-".
  let chroot: String
  /// The program, e.g. "smtpd".
  let command: String
  /// The `-o` overrides, in order (a later one wins).
  let overrides: [String: String]
  /// The line the entry starts on.
  let line: Int

  /// Whether the service runs chrooted in the queue directory. "-" means
  /// "y" below compatibility_level 1 (Postfix before 3.0) and "n" from it.
  func isChrooted(compatibilityLevel: String) -> Bool {
    switch chroot.lowercased() {
    case "y", "yes": return true
    case "n", "no": return false
    default:
      let major = Int(compatibilityLevel.split(separator: ".").first ?? "0") ?? 0
      return major < 1
    }
  }

  static func parse(_ text: String) -> [MasterService] {
    var services: [MasterService] = []
    for entry in postfixLogicalLines(text) {
      let tokens = tokenize(entry.text)
      guard tokens.count >= 8 else { continue }
      var overrides: [String: String] = [:]
      var index = 8
      while index < tokens.count {
        var setting: String? = nil
        if tokens[index] == "-o", index + 1 < tokens.count {
          setting = tokens[index + 1]
          index += 2
        } else if tokens[index].hasPrefix("-o") {
          setting = String(tokens[index].dropFirst(2))
          index += 1
        } else {
          index += 1
        }
        if let setting, let equals = setting.firstIndex(of: "=") {
          let key = String(setting[..<equals]).trimmedBlanks()
          overrides[key] = String(setting[setting.index(after: equals)...]).trimmedBlanks()
        }
      }
      let service = MasterService(
        name: tokens[0], type: tokens[1], chroot: tokens[4], command: tokens[7], overrides: overrides,
        line: entry.line)
      services.removeAll { $0.name == service.name && $0.type == service.type }
      services.append(service)
    }
    return services
  }

  /// Splits at whitespace; `{ … }` is one token (without the braces).
  static func tokenize(_ text: String) -> [String] {
    var tokens: [String] = []
    var current = ""
    var depth = 0
    for character in text {
      if depth > 0 {
        if character == "{" { depth += 1 }
        if character == "}" {
          depth -= 1
          if depth == 0 {
            tokens.append(current.trimmedBlanks())
            current = ""
            continue
          }
        }
        current.append(character)
        continue
      }
      if character == "{" && current.isEmpty {
        depth = 1
        continue
      }
      if character == " " || character == "\t" {
        if !current.isEmpty { tokens.append(current) }
        current = ""
        continue
      }
      current.append(character)
    }
    if !current.isEmpty { tokens.append(depth > 0 ? current.trimmedBlanks() : current) }
    return tokens
  }
}
