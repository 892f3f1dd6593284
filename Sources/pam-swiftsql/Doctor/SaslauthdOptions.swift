// saslauthd's command line (Cyrus SASL 2.1.28, getopt string
// "a:cdhO:lm:n:rs:t:vV"), as read from the process list or composed from
// /etc/default/saslauthd: the mechanism (-a), -r (join login and realm),
// the run directory (-m, the socket is <dir>/mux), the credential cache (-c)
// and its timeout (-t), and the number of processes (-n).

struct SaslauthdOptions: Equatable {
  static let defaultRunPath = "/var/run/saslauthd"
  static let defaultWorkers = 5
  static let defaultCacheTimeout = 28800

  var mechanism: String? = nil
  var mechanismOptions: [String] = []
  var cache = false
  var realm = false
  var runPath: String? = nil
  var workers: Int? = nil
  var cacheTimeout: Int? = nil
  var debug = false

  /// Where the socket is.
  var socketPath: String { SystemTree.join(runPath ?? SaslauthdOptions.defaultRunPath, "mux") }
  var effectiveWorkers: Int { workers ?? SaslauthdOptions.defaultWorkers }
  var effectiveCacheTimeout: Int { cacheTimeout ?? SaslauthdOptions.defaultCacheTimeout }

  /// Options that take an argument.
  private static let withArgument: Set<Character> = ["a", "O", "m", "n", "s", "t"]

  /// Parses the arguments after the program name, as getopt(3) would.
  static func parse(_ arguments: [String]) -> SaslauthdOptions {
    var options = SaslauthdOptions()
    var index = 0
    while index < arguments.count {
      let argument = arguments[index]
      index += 1
      if argument == "--" { break }
      guard argument.hasPrefix("-"), argument.count > 1 else { continue }
      var letters = Substring(argument.dropFirst())
      while let letter = letters.first {
        letters = letters.dropFirst()
        var value: String? = nil
        if withArgument.contains(letter) {
          if !letters.isEmpty {
            value = String(letters)
            letters = ""
          } else if index < arguments.count {
            value = arguments[index]
            index += 1
          }
        }
        switch letter {
        case "a": options.mechanism = value
        case "O": options.mechanismOptions.append(value ?? "")
        case "c": options.cache = true
        case "r": options.realm = true
        case "d": options.debug = true
        case "m": options.runPath = value
        case "n": options.workers = value.flatMap { Int($0) }
        case "t": options.cacheTimeout = value.flatMap { Int($0) }
        default: break
        }
      }
    }
    return options
  }

  /// The options as a command line fragment, for evidence.
  var summary: String {
    var parts: [String] = []
    if let mechanism { parts.append("-a \(mechanism)") }
    if cache { parts.append("-c") }
    if realm { parts.append("-r") }
    parts.append("-m \(runPath ?? SaslauthdOptions.defaultRunPath)")
    parts.append("-n \(effectiveWorkers)")
    if let cacheTimeout { parts.append("-t \(cacheTimeout)") }
    return parts.joined(separator: " ")
  }
}
