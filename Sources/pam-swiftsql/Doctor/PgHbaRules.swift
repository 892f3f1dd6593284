// PostgreSQL's pg_hba.conf, as far as the doctor needs it: the `local`
// lines (connections over the unix socket, which the module's connect string
// uses with host=/var/run/postgresql), in order, each with its databases,
// users, method and options. PostgreSQL uses the first line whose type,
// database and user match (pg_hba.conf(5)); Debian's file ends with
// `local all all peer`, which admits a user only as the system user of the
// same name, while saslauthd and Dovecot's auth workers run as root.

struct PgHbaRules: Equatable {
  struct Rule: Equatable {
    let line: Int
    let text: String
    let databases: [String]
    let users: [String]
    let method: String
    let options: [String]
  }

  let rules: [Rule]

  static func parse(_ text: String) -> PgHbaRules {
    var rules: [Rule] = []
    var number = 0
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      number += 1
      var line = String(raw)
      if let hash = line.firstIndex(of: "#") { line = String(line[..<hash]) }
      let fields = line.words
      guard fields.count >= 4, fields[0] == "local" else { continue }
      rules.append(
        Rule(
          line: number, text: fields.joined(separator: " "),
          databases: fields[1].split(separator: ",").map(String.init),
          users: fields[2].split(separator: ",").map(String.init), method: fields[3],
          options: Array(fields.dropFirst(4))))
    }
    return PgHbaRules(rules: rules)
  }

  /// Whether a line matches, or nil when that depends on what the file
  /// cannot show (a role's groups, an @file).
  static func matches(_ rule: Rule, database: String, user: String) -> Bool? {
    var databaseMatch: Bool? = false
    for entry in rule.databases {
      switch entry {
      case "all", database: databaseMatch = true
      case "sameuser": if database == user { databaseMatch = true }
      case "samerole", "samegroup": if databaseMatch == false { databaseMatch = nil }
      case let other where other.hasPrefix("@"): if databaseMatch == false { databaseMatch = nil }
      default: break
      }
      if databaseMatch == true { break }
    }
    var userMatch: Bool? = false
    for entry in rule.users {
      if entry == "all" || entry == user {
        userMatch = true
        break
      }
      if (entry.hasPrefix("+") || entry.hasPrefix("@")) && userMatch == false { userMatch = nil }
    }
    switch (databaseMatch, userMatch) {
    case (false, _), (_, false): return false
    case (true, true): return true
    default: return nil
    }
  }

  /// The first line that matches, or why none can be named.
  enum Decision: Equatable {
    case rule(Rule)
    case undecided(Rule)
    case none
  }

  func decide(database: String, user: String) -> Decision {
    for rule in rules {
      switch PgHbaRules.matches(rule, database: database, user: user) {
      case .some(true): return .rule(rule)
      case .none: return .undecided(rule)
      case .some(false): continue
      }
    }
    return .none
  }
}
