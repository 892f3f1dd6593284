// The MariaDB/MySQL driver. (Placeholder until the driver lands: every
// query fails closed as a configuration error.)

import SwiftSQLCore

public final class MariaDBDatabase {
  public init(connectionString: String, connectTimeout: Int, queryTimeout: Int) {}

  public func rows(sql: String, values: [String], limit: Int, log: Log) throws(AuthFailure) -> [Row] {
    throw .misconfigured("driver = mysql is not available in this build")
  }
}
