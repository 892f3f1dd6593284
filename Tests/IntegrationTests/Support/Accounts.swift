// The accounts the battery tests log in with, and the databases that hold
// them. Hashes are made by Debian's mkpasswd (libxcrypt), never by the code
// under test. Each row exercises one rule of DESIGN.md §4.

import Foundation
import Testing

struct Account {
  let localPart: String
  let domain: String
  /// The stored value as SQL: a quoted literal or NULL.
  let storedSQL: String
  let active: Bool
  let expired: Bool
  let passwordExpired: Bool
}

enum Accounts {
  static let password = "correct horse battery staple"

  /// A crypt(3) string for `password` from mkpasswd.
  static func mkpasswd(_ method: String, _ password: String = Accounts.password) throws -> String {
    try run(["mkpasswd", "-m", method, "-s"], input: password + "\n", check: true)
      .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

  /// The battery's rows, hashes freshly made.
  static func battery() throws -> [Account] {
    let sha512 = try mkpasswd("sha512crypt")
    let yescrypt = try mkpasswd("yescrypt")
    let bcrypt = try mkpasswd("bcrypt")
    func row(_ local: String, _ stored: String, active: Bool = true, expired: Bool = false, mustChange: Bool = false)
      -> Account
    {
      Account(
        localPart: local, domain: "example.org", storedSQL: stored, active: active, expired: expired,
        passwordExpired: mustChange)
    }
    return [
      row("alice", quoted(sha512)),
      row("prefixed", quoted("{SHA512-CRYPT}" + sha512)),
      row("yes", quoted(yescrypt)),
      row("blowfish", quoted("{BLF-CRYPT}" + bcrypt)),
      row("plain", quoted("{PLAIN}" + password)),
      row("disabled", quoted(sha512), active: false),
      row("expired", quoted(sha512), expired: true),
      row("mustchange", quoted(sha512), mustChange: true),
      row("nullhash", "NULL"),
      row("emptyhash", quoted("")),
      // A bcrypt string cut right after its salt: "$2b$05$" + 22 characters.
      row("truncated", quoted(String(bcrypt.prefix(29)))),
      row("garbage", quoted("{SHA512-CRYPT}not a hash at all")),
      row("unknownscheme", quoted("{NO-SUCH-SCHEME}abc")),
    ]
  }

  /// INSERT statements for `accounts`, valid in PostgreSQL, SQLite and
  /// MariaDB (which reads `true`/`false` as 1/0 for its BOOLEAN, a TINYINT).
  static func insertSQL(_ accounts: [Account]) -> String {
    accounts.map { account in
      "INSERT INTO users (username, domain, password, active, expired, password_expired) VALUES ("
        + "\(quoted(account.localPart)), \(quoted(account.domain)), \(account.storedSQL), "
        + "\(account.active), \(account.expired), \(account.passwordExpired));"
    }.joined(separator: "\n")
  }

  static let sqliteSchema = """
    CREATE TABLE users (
      username TEXT NOT NULL, domain TEXT NOT NULL, password TEXT,
      active BOOLEAN NOT NULL DEFAULT 1, expired BOOLEAN NOT NULL DEFAULT 0,
      password_expired BOOLEAN NOT NULL DEFAULT 0, PRIMARY KEY (username, domain));
    """

  /// A new SQLite file in `directory` holding `accounts`.
  static func sqliteDatabase(in directory: String, _ accounts: [Account]) throws -> String {
    let path = "\(directory)/users.db"
    try run(["sqlite3", path], input: sqliteSchema + "\n" + insertSQL(accounts), check: true)
    return path
  }

  /// The queries of the battery configuration.
  static let queries = """
    password_query = SELECT password FROM users WHERE username = '%n' AND domain = '%d'
    account_query = SELECT active, expired, password_expired FROM users \\
                    WHERE username = '%n' AND domain = '%d'
    """
}

/// The databases of the battery; the raw value is the module's `driver`.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
  case sqlite, pgsql, mysql

  var testDescription: String { rawValue }
}

/// One database per backend filled with the battery, and a PAM service for
/// it, made once per test run.
final class BatteryDatabase: @unchecked Sendable {
  let backend: Backend
  let service: PAMService
  let sqlitePath: String?

  private static let lock = NSLock()
  nonisolated(unsafe) private static var made: [Backend: BatteryDatabase] = [:]

  static func shared(_ backend: Backend) throws -> BatteryDatabase {
    lock.lock()
    defer { lock.unlock() }
    if let existing = made[backend] { return existing }
    let database = try BatteryDatabase(backend)
    made[backend] = database
    return database
  }

  private init(_ backend: Backend) throws {
    self.backend = backend
    let accounts = try Accounts.battery()
    let connect: String
    switch backend {
    case .sqlite:
      let directory = try makeTemporaryDirectory("swiftsql-sqlite")
      sqlitePath = try Accounts.sqliteDatabase(in: directory, accounts)
      connect = sqlitePath ?? ""
    case .pgsql:
      let cluster = try PostgresCluster.shared()
      try cluster.sql(Accounts.insertSQL(accounts))
      sqlitePath = nil
      connect = cluster.connectionString()
    case .mysql:
      let server = try MariaDBServer.shared()
      try server.sql(Accounts.insertSQL(accounts))
      sqlitePath = nil
      connect = server.connectionString()
    }
    service = try PAMService(
      config: "driver = \(backend.rawValue)\nconnect = \(connect)\n\(Accounts.queries)\n", arguments: "debug")
  }

  /// A fingerprint of the whole users table, to prove it unchanged.
  func tableFingerprint() throws -> String {
    let query =
      "SELECT username, domain, coalesce(password, '<null>'), active, expired, password_expired "
      + "FROM users ORDER BY username, domain"
    switch backend {
    case .sqlite:
      return try run(["sqlite3", sqlitePath ?? "", query], check: true).stdout
    case .pgsql:
      return try PostgresCluster.shared().sql(query)
    case .mysql:
      return try MariaDBServer.shared().sql(query)
    }
  }
}
