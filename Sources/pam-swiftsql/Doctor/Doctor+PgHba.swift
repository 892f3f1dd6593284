// The doctor's pg-hba check: with driver = pgsql over the unix socket, does
// the pg_hba.conf of the cluster that listens on connect's port let the
// module's database user in? Debian's `local all all peer` does not
// ("Peer authentication failed for user "mailauth""): the module runs inside
// saslauthd and Dovecot's auth workers, as root. The fix names the line to
// add above it. The clusters are Debian's (/etc/postgresql/<version>/<name>/,
// port from postgresql.conf, 5432 by default).

import SwiftSQLBackends
import SwiftSQLCore

extension Doctor {
  /// The line README.Debian and the fix add for a database and a user.
  static func pgHbaLine(database: String, user: String) -> String {
    "local   \(database)   \(user)   scram-sha-256"
  }

  func checkPgHba() -> [DoctorCheck] {
    guard let settings = configuration?.settings else { return [] }
    let name = "pg-hba"
    guard settings.driver == .pgsql else {
      return [.ok(name, "driver is \(settings.driver.rawValue): pg_hba.conf does not apply")]
    }
    guard case .success(let pairs) = ConnectionString.parse(settings.connect ?? "") else {
      return [.ok(name, "connect is not key=value pairs (a URI?): pg_hba.conf not checked")]
    }
    var values: [String: String] = [:]
    for pair in pairs { values[pair.key] = pair.value }
    let host = values["host"] ?? ""
    guard values["hostaddr"] == nil, host.isEmpty || (host.hasPrefix("/") && !host.contains(",")) else {
      return [.ok(name, "connect names host=\(host): only the unix socket's local lines are checked")]
    }
    let user = values["user"] ?? "(none)"
    let database = values["dbname"] ?? user
    let port = Int(values["port"] ?? "") ?? 5432
    let clusters = postgresClusters().filter { $0.port == port }
    guard let cluster = clusters.first else {
      return [
        .ok(
          name,
          "no cluster in /etc/postgresql listens on port \(port) (postgresql.conf): pg_hba.conf not checked")
      ]
    }
    guard let text = tree.text(cluster.hba) else {
      return [.warning(name, "\(cluster.hba) cannot be read", fix: "run the doctor as root")]
    }
    let hasPassword =
      values["password"] != nil || values["passfile"] != nil || tree.exists(PostgresDatabase.defaultPassfile)
    let addLine =
      "add above it in \(cluster.hba): \(Doctor.pgHbaLine(database: database, user: user)), then: "
      + "systemctl reload postgresql"
    switch PgHbaRules.parse(text).decide(database: database, user: user) {
    case .none:
      return [
        .failure(
          name, "no local line of \(cluster.hba) admits \(user) to \(database): PostgreSQL refuses the module",
          fix: "add to \(cluster.hba): \(Doctor.pgHbaLine(database: database, user: user)), then: "
            + "systemctl reload postgresql")
      ]
    case .undecided(let rule):
      return [
        .ok(
          name,
          "\(cluster.hba) line \(rule.line) (\(rule.text)) may match \(user) and \(database), depending on groups "
            + "or files the doctor does not read")
      ]
    case .rule(let rule):
      let at = "\(cluster.hba) line \(rule.line) (\(rule.text))"
      switch rule.method {
      case "peer", "ident":
        if user == "root" || rule.options.contains(where: { $0.hasPrefix("map=") }) {
          return [.ok(name, "\(at) admits \(user) by \(rule.method) (root, or through a user name map)")]
        }
        return [
          .failure(
            name,
            "\(at) admits \(user) only as the system user \(user), but saslauthd and Dovecot's auth workers "
              + "run as root: \"Peer authentication failed for user \"\(user)\"\"",
            fix: addLine
              + (hasPassword
                ? ""
                : "; and give the password in connect's password= or "
                  + PostgresDatabase.defaultPassfile))
        ]
      case "reject":
        return [.failure(name, "\(at) rejects \(user)", fix: addLine)]
      case "trust":
        return [.ok(name, "\(at) admits \(user) without a password")]
      default:
        if !hasPassword {
          return [
            .failure(
              name, "\(at) asks \(user) for a password (\(rule.method)), and connect gives none",
              fix: "password= in connect, or the password in \(PostgresDatabase.defaultPassfile) (mode 0600)")
          ]
        }
        return [.ok(name, "\(at) admits \(user) to \(database) by password (\(rule.method))")]
      }
    }
  }

  /// Debian's clusters: /etc/postgresql/<version>/<name>/, with their port.
  func postgresClusters() -> [(hba: String, port: Int)] {
    var result: [(hba: String, port: Int)] = []
    for version in tree.list("/etc/postgresql").sorted() {
      let base = SystemTree.join("/etc/postgresql", version)
      for cluster in tree.list(base).sorted() {
        let folder = SystemTree.join(base, cluster)
        guard tree.exists(SystemTree.join(folder, "pg_hba.conf")) else { continue }
        var port = 5432
        for line in (tree.text(SystemTree.join(folder, "postgresql.conf")) ?? "").split(separator: "\n") {
          let words = String(line).replacingEquals().words
          if words.count >= 2, words[0] == "port", let number = Int(words[1]) { port = number }
        }
        result.append((SystemTree.join(folder, "pg_hba.conf"), port))
      }
    }
    return result
  }
}

extension String {
  /// `port = 5433  # comment` as words: "=" as a blank, the comment gone.
  fileprivate func replacingEquals() -> String {
    var text = self
    if let hash = text.firstIndex(of: "#") { text = String(text[..<hash]) }
    return String(text.map { $0 == "=" ? " " : $0 })
  }
}
