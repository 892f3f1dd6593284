// libsasl2's application configuration file (Postfix: /etc/postfix/sasl/
// smtpd.conf), read exactly as Cyrus SASL 2.1.28's lib/config.c reads it:
// blank lines and lines starting with '#' are skipped; a key is letters,
// digits, '-' and '_' (lower-cased) and must be followed at once by ':';
// the value must not be empty; trailing blanks are cut. Anything else makes
// libsasl2 refuse the whole file (SASL_CONFIGERR). When a key is repeated,
// the first one counts.

struct SaslConfigFile {
  /// Each key's first value.
  let options: [String: String]
  /// The line of each key's first value.
  let lines: [String: Int]
  /// The first line libsasl2 would refuse, and why.
  let error: (line: Int, message: String)?

  static func parse(_ text: String) -> SaslConfigFile {
    var options: [String: String] = [:]
    var lines: [String: Int] = [:]
    var number = 0
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      number += 1
      let line = Substring(raw)
      let start = line.drop { $0 == " " || $0 == "\t" || $0 == "\r" }
      if start.isEmpty || start.hasPrefix("#") { continue }
      let key = start.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
      let rest = start.dropFirst(key.count)
      guard !key.isEmpty, rest.first == ":" else {
        let message =
          key.isEmpty
          ? "'\(start.prefix(40))' is not 'key: value'"
          : "'\(key)' is not followed at once by ':' (write '\(key.lowercased()): value')"
        return SaslConfigFile(options: options, lines: lines, error: (number, message))
      }
      let value = String(rest.dropFirst()).trimmedBlanks()
      guard !value.isEmpty else {
        return SaslConfigFile(options: options, lines: lines, error: (number, "'\(key)' has no value"))
      }
      let name = key.lowercased()
      if options[name] == nil {
        options[name] = value
        lines[name] = number
      }
    }
    return SaslConfigFile(options: options, lines: lines, error: nil)
  }
}
