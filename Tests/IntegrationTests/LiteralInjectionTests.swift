// The injection battery for the new ways a query holds variables: logins
// whose parts look like SQL (quotes, backslashes, %, $1, ?, ||, comment
// markers) inside quoted literals with other text, and PAM service names
// like that where the service chooses a column. On each database the
// literal's value is compared with a stored copy of what it must be, so a
// login succeeds only if the literal was bound exactly, never parsed as
// SQL; a service name that is not a-z, 0-9 and _ never reaches the database.

import Foundation
import Testing

@Suite("Injection battery: literals with variables, service names", .serialized)
struct LiteralInjectionTests {
  static let localParts = [
    "o'brien", "back\\slash", "100%", "$1", "q?mark", "a||b", "x--y", "c/*d", "e*/f", "h#i", "j;k",
  ]

  /// The values the literals must have for `local` at example.org.
  static func home(_ local: String) -> String { "/var/vmail/example.org/\(local)" }
  static func note(_ local: String) -> String { "-- \(local) /* ? $1 || 100% */" }

  /// The query; the column name is quoted as each database quotes names.
  static func query(_ backend: Backend) -> String {
    let quote = backend == .mysql ? "`" : "\""
    return "password_query = SELECT password, '/var/vmail/%d/%n' AS userdb_home FROM users "
      + "WHERE username = '%n' AND domain = '%d' AND home = '/var/vmail/%d/%n' "
      + "AND note = '-- %n /* ? $1 || 100%% */' AND \(quote)enable%Ls\(quote) = 1"
  }

  /// The table and its rows (the MariaDB helper turns backslash escapes
  /// off, so one quoting serves all three).
  static func schemaAndRows(_ backend: Backend, tag: String) throws -> String {
    let hash = try Accounts.mkpasswd("sha512crypt")
    var sql = """
      CREATE TABLE users (username VARCHAR(255) NOT NULL, domain VARCHAR(255) NOT NULL, password VARCHAR(255),
        home VARCHAR(255) NOT NULL, note VARCHAR(255) NOT NULL, enablesmtp SMALLINT NOT NULL DEFAULT 1);

      """
    for local in localParts.map({ $0 + tag }) {
      sql +=
        "INSERT INTO users (username, domain, password, home, note) VALUES (\(Accounts.quoted(local)), "
        + "'example.org', '\(hash)', \(Accounts.quoted(home(local))), \(Accounts.quoted(note(local))));\n"
    }
    return sql
  }

  /// The configuration for `backend` with the rows in place.
  static func configuration(_ backend: Backend, tag: String) throws -> (
    config: String, fingerprint: () throws -> String
  ) {
    let schema = try schemaAndRows(backend, tag: tag)
    switch backend {
    case .sqlite:
      let directory = try makeTemporaryDirectory("swiftsql-literal")
      let path = "\(directory)/users.db"
      try run(["sqlite3", path], input: schema, check: true)
      return (
        "driver = sqlite\nconnect = \(path)\n\(query(backend))\n",
        { try run(["sqlite3", path, "SELECT * FROM users ORDER BY 1"], check: true).stdout }
      )
    case .pgsql:
      let (cluster, database) = try Corpus.postgresDatabase(schema, tables: ["users"])
      return (
        "driver = pgsql\nconnect = host=\(cluster.socketDirectory) port=\(cluster.port) dbname=\(database) "
          + "user=mailauth\n\(query(backend))\n",
        { try cluster.sql("SELECT * FROM users ORDER BY 1", database: database) }
      )
    case .mysql:
      let (server, database) = try Corpus.mariaDBDatabase(schema)
      return (
        "driver = mysql\nconnect = socket=\(server.socket) dbname=\(database) user=mailauth "
          + "password=\(MariaDBServer.password)\n\(query(backend))\n",
        { try server.sql("SELECT * FROM users ORDER BY 1", database: database) }
      )
    }
  }

  @Test(
    "logins that look like SQL are bound whole inside literals: each logs in, nothing changes",
    arguments: Backend.allCases)
  func literals(_ backend: Backend) throws {
    let tag = uniqueTag()
    let (config, fingerprint) = try Self.configuration(backend, tag: tag)
    let before = try fingerprint()
    let service = try PAMService(config: config, name: "smtp")
    defer { service.remove() }
    for local in Self.localParts.map({ $0 + tag }) {
      #expect(try service.result("\(local)@example.org", Accounts.password) == BatteryTests.ok, "\(backend) \(local)")
      #expect(try service.result("\(local)@example.org", "wrong") == "auth=PAM_AUTH_ERR acct=-", "\(backend) \(local)")
    }
    #expect(try fingerprint() == before)
    switch backend {
    case .pgsql: try Corpus.expectBoundOnly(try Corpus.postgres(), tag: tag, values: [Self.home("100%" + tag)])
    case .mysql: try Corpus.expectBoundOnly(try MariaDBServer.shared(), tag: tag, values: [Self.home("100%" + tag)])
    case .sqlite: break
    }
  }

  /// (libpam lower-cases every service name, so there is no upper case.)
  static let serviceNames = ["sm'tp", "back\\slash", "100%", "$1", "q?", "a||b", "x--y", "c*", "h#i", "a b", "é"]

  @Test(
    "a service name that is not a-z, 0-9 and _ never chooses a column: PAM_SERVICE_ERR, nothing sent",
    arguments: Backend.allCases)
  func serviceNames(_ backend: Backend) throws {
    let tag = uniqueTag()
    let (config, fingerprint) = try Self.configuration(backend, tag: tag)
    let before = try fingerprint()
    let sink = try SyslogSink.shared()
    for name in Self.serviceNames {
      let service = try PAMService(config: config, name: name)
      defer { service.remove() }
      #expect(
        try service.result("o'brien\(tag)@example.org", Accounts.password) == "auth=PAM_SERVICE_ERR acct=-",
        "\(backend) service \(name)")
    }
    try sink.waitForLine(containing: ["puts the PAM service name into a column name", "the service is 'x--y'"])
    #expect(try fingerprint() == before)
    switch backend {
    case .pgsql:
      #expect(try Corpus.postgres().moduleStatements().filter { $0.parameters.contains(tag) }.isEmpty)
    case .mysql:
      #expect(try MariaDBServer.shared().generalLogRecords("Execute").filter { $0.contains(tag) }.isEmpty)
    case .sqlite: break
    }
  }
}
