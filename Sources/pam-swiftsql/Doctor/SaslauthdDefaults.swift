// Debian's /etc/default/saslauthd: shell assignments (`NAME=value`,
// `NAME="value"`, `NAME='value'`, an optional `export`, `#` comments, and
// $NAME / ${NAME} inside double quotes and bare words) that Debian's init
// script sources. It starts saslauthd only with START=yes, and builds the
// command line as `-a $MECHANISMS [-O $MECH_OPTIONS] $OPTIONS [-n $THREADS]`
// with OPTIONS defaulting to "-c -m /var/run/saslauthd". Older how-tos set
// PARAMS, which this init script does not read.

struct SaslauthdDefaults: Equatable {
  static let path = "/etc/default/saslauthd"
  static let defaultOptions = "-c -m /var/run/saslauthd"

  /// Every assignment, the last one winning.
  let variables: [String: String]

  var start: String? { variables["START"] }
  var mechanisms: String? { variables["MECHANISMS"] }
  var mechanismOptions: String? { variables["MECH_OPTIONS"] }
  var threads: String? { variables["THREADS"] }
  var options: String? { variables["OPTIONS"] }
  var params: String? { variables["PARAMS"] }

  /// The arguments the init script passes to saslauthd.
  var arguments: [String] {
    var result: [String] = []
    if let mechanisms, !mechanisms.isEmpty { result += ["-a"] + mechanisms.words }
    if let mechanismOptions, !mechanismOptions.isEmpty { result += ["-O"] + mechanismOptions.words }
    let options = (self.options ?? "").isEmpty ? SaslauthdDefaults.defaultOptions : (self.options ?? "")
    result += options.words
    if let threads, !threads.isEmpty { result += ["-n", threads] }
    return result
  }

  var saslauthdOptions: SaslauthdOptions { SaslauthdOptions.parse(arguments) }

  static func parse(_ text: String) -> SaslauthdDefaults {
    var variables: [String: String] = [:]
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      var line = Substring(String(raw).trimmedBlanks())
      if line.isEmpty || line.hasPrefix("#") { continue }
      if line.hasPrefix("export ") { line = line.dropFirst("export ".count).drop { $0 == " " || $0 == "\t" } }
      guard let equals = line.firstIndex(of: "=") else { continue }
      let name = line[..<equals]
      guard let first = name.first, first.isLetter || first == "_",
        name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
      else { continue }
      variables[String(name)] = shellWord(line[line.index(after: equals)...], variables: variables)
    }
    return SaslauthdDefaults(variables: variables)
  }

  /// The value of one shell word: quotes removed, variables expanded, up to
  /// the first unquoted blank (what follows is another command or a comment).
  static func shellWord(_ text: Substring, variables: [String: String]) -> String {
    var result = ""
    var index = text.startIndex
    var quote: Character? = nil
    while index < text.endIndex {
      let character = text[index]
      index = text.index(after: index)
      switch (quote, character) {
      case (nil, " "), (nil, "\t"), (nil, ";"):
        return result
      case (nil, "'"), (nil, "\""):
        quote = character
      case ("'", "'"), ("\"", "\""):
        quote = nil
      case ("'", _):
        result.append(character)
      case (_, "\\"):
        if index < text.endIndex {
          result.append(text[index])
          index = text.index(after: index)
        }
      case (_, "$"):
        var name = ""
        if index < text.endIndex, text[index] == "{" {
          index = text.index(after: index)
          while index < text.endIndex, text[index] != "}" {
            name.append(text[index])
            index = text.index(after: index)
          }
          if index < text.endIndex { index = text.index(after: index) }
        } else {
          while index < text.endIndex, text[index].isLetter || text[index].isNumber || text[index] == "_" {
            name.append(text[index])
            index = text.index(after: index)
          }
        }
        result += name.isEmpty ? "$" : (variables[name] ?? "")
      default:
        result.append(character)
      }
    }
    return result
  }
}
