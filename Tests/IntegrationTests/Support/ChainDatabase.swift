// The database servers a PrivateChain can keep its account in: what the
// chain needs of PostgresCluster and MariaDBServer, which is the same for
// both, so that one chain type serves the tests of each driver.

/// A database server of the tests, started privately for one chain.
protocol ChainDatabase: AnyObject {
  /// The module's `driver` for this server.
  static var driver: String { get }

  /// A new server of this kind, not the shared one.
  static func started() throws -> Self

  /// Creates the database `mail` with its `users` table and the module's
  /// read-only user `mailauth`.
  func createMailDatabase() throws

  /// Runs SQL as the superuser and returns the rows as text.
  @discardableResult
  func sql(_ statements: String, database: String) throws -> String

  /// The module's `connect` value for `database` on this server.
  func connectionString(database: String) -> String

  /// Stops the server and removes its files.
  func destroy()
}

extension PostgresCluster: ChainDatabase {
  static var driver: String { "pgsql" }

  static func started() throws -> PostgresCluster { try PostgresCluster() }
}

extension MariaDBServer: ChainDatabase {
  static var driver: String { "mysql" }

  static func started() throws -> MariaDBServer { try MariaDBServer() }
}
