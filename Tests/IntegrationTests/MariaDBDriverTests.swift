// What is particular to the MariaDB driver, through real libpam against a
// real server: values longer than its first fetch buffer are read whole; an
// UPDATE (limit 0) runs; a CALL's extra results are read so the connection
// stays in step; the `connect` forms (option file and group, a socket path
// as host, TLS with a CA); and each misconfiguration is PAM_SERVICE_ERR with
// a log line that names what to fix, while an unreachable server is
// PAM_AUTHINFO_UNAVAIL. Tests that share the server each use a database of
// their own, so the battery's table never changes under it.

import Foundation
import Testing

@Suite("MariaDB driver")
struct MariaDBDriverTests {
  static func account(_ local: String, _ stored: String) -> Account {
    Account(
      localPart: local, domain: "example.org", storedSQL: stored, active: true, expired: false,
      passwordExpired: false)
  }

  /// A database of its own on the shared server, holding `accounts`, then
  /// `setup` run in it as root.
  static func database(_ accounts: [Account], setup: String = "") throws -> (server: MariaDBServer, name: String) {
    let server = try MariaDBServer.shared()
    let name = "t_\(uniqueTag())"
    try server.createMailDatabase(name)
    try server.sql(Accounts.insertSQL(accounts) + "\n" + setup, database: name)
    return (server, name)
  }

  static func config(_ connect: String, queries: String = Accounts.queries, extra: String = "") -> String {
    "driver = mysql\nconnect = \(connect)\n\(queries)\n\(extra)\n"
  }

  @Test("a stored value longer than the first fetch buffer is read whole")
  func longValue() throws {
    // 400 bytes: longer than the driver's first buffer (256), so the value
    // is fetched again at its length; cut at 256, it would never match.
    let password = String((0..<400).map { Character(Unicode.Scalar(UInt8(97 + $0 % 26))) })
    let (server, name) = try MariaDBDriverTests.database([
      MariaDBDriverTests.account("long", Accounts.quoted("{PLAIN}" + password))
    ])
    let service = try PAMService(config: MariaDBDriverTests.config(server.connectionString(database: name)))
    defer { service.remove() }
    #expect(try service.result("long@example.org", password) == BatteryTests.ok)
    #expect(try service.result("long@example.org", String(password.dropLast()) + "!") == "auth=PAM_AUTH_ERR acct=-")
    #expect(try service.result("long@example.org", String(password.prefix(256))) == "auth=PAM_AUTH_ERR acct=-")
  }

  @Test("password_update_query runs: the weaker stored value is replaced")
  func updateRuns() throws {
    let (server, name) = try MariaDBDriverTests.database([
      MariaDBDriverTests.account("plain", Accounts.quoted("{PLAIN}" + Accounts.password))
    ])
    let service = try PAMService(
      config: MariaDBDriverTests.config(
        server.connectionString(database: name),
        extra: "upgrade_scheme = SHA512-CRYPT\n"
          + "password_update_query = UPDATE users SET password = '%w' WHERE username = '%n' AND domain = '%d'"))
    defer { service.remove() }
    #expect(try service.result("plain@example.org", Accounts.password) == BatteryTests.ok)
    let stored = try server.sql("SELECT password FROM users WHERE username = 'plain'", database: name)
    #expect(stored.contains("$6$"), "stored value after the login: \(stored.prefix(20))…")
    #expect(!stored.contains(Accounts.password))
    #expect(try service.result("plain@example.org", Accounts.password) == BatteryTests.ok)
    #expect(try service.result("plain@example.org", "wrong") == "auth=PAM_AUTH_ERR acct=-")
  }

  @Test("a CALL as password_query: its extra results are read, the connection stays in step")
  func storedProcedure() throws {
    let hash = try Accounts.mkpasswd("md5crypt")
    let (server, name) = try MariaDBDriverTests.database(
      [MariaDBDriverTests.account("alice", Accounts.quoted(hash))],
      setup: """
        CREATE PROCEDURE get_password(IN u VARCHAR(255), IN d VARCHAR(255))
          SELECT password FROM users WHERE username = u AND domain = d;
        GRANT EXECUTE ON PROCEDURE get_password TO 'mailauth'@'localhost';
        """)
    let queries = """
      password_query = CALL get_password('%n', '%d')
      account_query = SELECT active, expired, password_expired FROM users WHERE username = '%n' AND domain = '%d'
      """
    let service = try PAMService(
      config: MariaDBDriverTests.config(server.connectionString(database: name), queries: queries))
    defer { service.remove() }
    let lines = try service.login("alice@example.org", Accounts.password, count: 3)
    #expect(lines == [String](repeating: BatteryTests.ok, count: 3))
    // One connection: no query failed out of step and forced a reconnect.
    #expect(try server.moduleConnections().filter { $0.contains(" on \(name) ") }.count == 1)
  }

  @Test("connect forms: an option file, an option group, a socket path as host")
  func connectForms() throws {
    let (server, name) = try MariaDBDriverTests.database([
      MariaDBDriverTests.account("plain", Accounts.quoted("{PLAIN}" + Accounts.password))
    ])
    let directory = try makeTemporaryDirectory("swiftsql-cnf")
    defer { removeTemporaryDirectory(directory) }
    let client = "\(directory)/client.cnf"
    try writeFile(
      client, "[client]\nuser = mailauth\npassword = \(MariaDBServer.password)\nsocket = \(server.socket)\n",
      mode: 0o600)
    // The group is read after [client]: its user wins.
    let grouped = "\(directory)/grouped.cnf"
    try writeFile(
      grouped,
      "[client]\nuser = nobody\nsocket = \(server.socket)\n[pam_swiftsql]\nuser = mailauth\n"
        + "password = \(MariaDBServer.password)\n", mode: 0o600)
    let forms = [
      "option_file=\(client) dbname=\(name)",
      "option_file=\(grouped) option_group=pam_swiftsql dbname=\(name)",
      "host=\(server.socket) user=mailauth password=\(MariaDBServer.password) dbname=\(name)",
    ]
    for connect in forms {
      let service = try PAMService(config: MariaDBDriverTests.config(connect))
      defer { service.remove() }
      #expect(try service.result("plain@example.org", Accounts.password) == BatteryTests.ok, "\(connect)")
    }
    // Without its group, the file's [client] user is used, and refused.
    let service = try PAMService(config: MariaDBDriverTests.config("option_file=\(grouped) dbname=\(name)"))
    defer { service.remove() }
    #expect(try service.result("plain@example.org", Accounts.password) == "auth=PAM_SERVICE_ERR acct=-")
  }

  /// A `connect` (from the shared server's socket, password and a database)
  /// or a query that is wrong, and what the log must then say.
  static let misconfigurations: [(label: String, connect: String, queries: String, says: String)] = [
    (
      "wrong database password", "socket=SOCKET user=mailauth password=wrong dbname=DB", "", "check user= and password="
    ),
    ("no user", "socket=SOCKET password=PASSWORD dbname=DB", "", "names no user="),
    ("unknown key", "socket=SOCKET user=mailauth password=PASSWORD dbname=DB hostname=x", "", "unknown key 'hostname'"),
    ("bad port", "host=localhost port=99999 user=mailauth password=PASSWORD dbname=DB", "", "port='99999'"),
    ("bad flag", "socket=SOCKET user=mailauth password=PASSWORD ssl_verify_server_cert=maybe", "", "must be yes or no"),
    ("group without file", "socket=SOCKET user=mailauth password=PASSWORD option_group=x", "", "needs option_file="),
    ("missing option file", "option_file=/nonexistent/pam_swiftsql.cnf dbname=DB", "", "option_file cannot be read"),
    ("unknown database", "socket=SOCKET user=mailauth password=PASSWORD dbname=no_such_db", "", "check dbname="),
    (
      "unknown column", "socket=SOCKET user=mailauth password=PASSWORD dbname=DB",
      "password_query = SELECT passwd FROM users WHERE username = '%n' AND domain = '%d'", "Unknown column"
    ),
    (
      "table without a grant", "socket=SOCKET user=mailauth password=PASSWORD dbname=DB",
      "password_query = SELECT password FROM mysql.user WHERE user = '%n' AND host = '%d'", "GRANT the database user"
    ),
    (
      // MariaDB runs what is inside /*! … */: a ? there is a parameter the
      // module does not bind.
      "a ? the module cannot see", "socket=SOCKET user=mailauth password=PASSWORD dbname=DB",
      "password_query = SELECT password FROM users WHERE username = '%n' /*! AND domain = ? */", "not ?"
    ),
  ]

  @Test(
    "a misconfiguration is PAM_SERVICE_ERR and the log says what to fix",
    arguments: MariaDBDriverTests.misconfigurations.map { $0.label })
  func misconfigured(_ label: String) throws {
    let entry = try #require(MariaDBDriverTests.misconfigurations.first { $0.label == label })
    let sink = try SyslogSink.shared()
    let (server, name) = try MariaDBDriverTests.database([
      MariaDBDriverTests.account("plain", Accounts.quoted("{PLAIN}" + Accounts.password))
    ])
    let connect = entry.connect.replacingOccurrences(of: "SOCKET", with: server.socket)
      .replacingOccurrences(of: "PASSWORD", with: MariaDBServer.password)
      .replacingOccurrences(of: "DB", with: name)
    let queries =
      entry.queries.isEmpty
      ? Accounts.queries
      : entry.queries + "\naccount_query = SELECT active, expired, password_expired FROM users "
        + "WHERE username = '%n' AND domain = '%d'"
    let service = try PAMService(config: MariaDBDriverTests.config(connect, queries: queries))
    defer { service.remove() }
    let result = try service.result("plain@example.org", Accounts.password)
    #expect(result == "auth=PAM_SERVICE_ERR acct=-", "\(entry.label); \(sink.recap(of: service))")
    try sink.waitForLine(containing: [service.name, "user=plain@example.org", "configuration error", entry.says])
  }

  @Test("no server at the socket: PAM_AUTHINFO_UNAVAIL at once")
  func noServer() throws {
    let directory = try makeTemporaryDirectory("swiftsql-nosocket")
    defer { removeTemporaryDirectory(directory) }
    let service = try PAMService(
      config: MariaDBDriverTests.config("socket=\(directory)/mysqld.sock user=mailauth password=x dbname=mail"))
    defer { service.remove() }
    let driver = try InteractiveDriver(service: service)
    let (result, milliseconds) = try driver.login("alice@example.org", Accounts.password)
    #expect(result == "auth=PAM_AUTHINFO_UNAVAIL acct=-")
    #expect(milliseconds < 1000)
  }

  @Test("TLS: ssl_ca is used and the server's certificate checked")
  func tls() throws {
    let directory = try makeTemporaryDirectory("swiftsql-tls")
    defer { removeTemporaryDirectory(directory) }
    func openssl(_ arguments: [String]) throws {
      try run(["openssl"] + arguments, timeout: 60, check: true)
    }
    // A CA, a server certificate for localhost from it, and an unrelated CA.
    for ca in ["ca", "other"] {
      try openssl([
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(directory)/\(ca).key", "-out",
        "\(directory)/\(ca).pem", "-days", "2", "-subj", "/CN=swiftsql test \(ca)",
      ])
    }
    try openssl([
      "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(directory)/server.key", "-out",
      "\(directory)/server.csr", "-subj", "/CN=localhost",
    ])
    try writeFile("\(directory)/san.ext", "subjectAltName=DNS:localhost\n")
    try openssl([
      "x509", "-req", "-in", "\(directory)/server.csr", "-CA", "\(directory)/ca.pem", "-CAkey",
      "\(directory)/ca.key", "-CAcreateserial", "-out", "\(directory)/server.pem", "-days", "2", "-extfile",
      "\(directory)/san.ext",
    ])
    let server = try MariaDBServer(extraOptions: [
      "--ssl-ca=\(directory)/ca.pem", "--ssl-cert=\(directory)/server.pem", "--ssl-key=\(directory)/server.key",
    ])
    defer { server.destroy() }
    try server.createMailDatabase()
    try server.sql(
      Accounts.insertSQL([MariaDBDriverTests.account("plain", Accounts.quoted("{PLAIN}" + Accounts.password))])
        + "\nALTER USER 'mailauth'@'localhost' REQUIRE SSL;")
    let cases = [
      // The user may only log in over TLS: without it, the login is refused.
      (server.connectionString(), "auth=PAM_SERVICE_ERR acct=-"),
      ("\(server.connectionString()) ssl_ca=\(directory)/ca.pem", BatteryTests.ok),
      ("\(server.connectionString()) ssl_ca=\(directory)/ca.pem ssl_verify_server_cert=yes", BatteryTests.ok),
      // A certificate from another CA is refused.
      ("\(server.connectionString()) ssl_ca=\(directory)/other.pem", "auth=PAM_AUTHINFO_UNAVAIL acct=-"),
    ]
    for (connect, expected) in cases {
      let service = try PAMService(config: MariaDBDriverTests.config(connect))
      defer { service.remove() }
      #expect(try service.result("plain@example.org", Accounts.password) == expected, "\(connect)")
    }
  }
}
