// The daemon's database connections: per database (driver, connection
// string, timeouts), up to --db-connections of them, each used by one
// worker at a time for one query and handed back before the password is
// hashed. (The module's runtime keeps one connection per database under
// one lock, which is right for a process that checks one login at a time;
// a daemon whose workers check logins at once needs several.) A worker that finds them all busy waits, within the deadline of
// its login, then answers the login as an outage. The drivers keep the
// module's timeouts, failover and outage semantics: a database that does
// not answer is `AuthFailure.unavailable`, never a wrong password; the log
// says once when a database becomes unavailable and once when it is back.

import SwiftSQLBackends
import SwiftSQLCore
import SwiftSQLRuntime
import SwiftSQLSystem

final class DatabasePool: @unchecked Sendable {
  let perDatabase: Int
  private let monitor = ServeSystem.Monitor()

  private final class Slot {
    let key: Database.Key
    var idle: [Database] = []
    var open = 0
    var availability = Availability()
    /// Set when no configuration names this database any more.
    var retired = false
    init(_ key: Database.Key) { self.key = key }
  }

  private var slots: [Slot] = []

  init(perDatabase: Int) {
    self.perDatabase = perDatabase
  }

  /// Connections open now, in all.
  var openConnections: Int { monitor.withLock { slots.reduce(0) { $0 + $1.open } } }

  /// Runs `sql` on the database `settings` names.
  func rows(settings: Settings, sql: String, values: [String], limit: Int, until deadline: Deadline, log: Log)
    throws(AuthFailure) -> [Row]
  {
    let key = Database.Key(settings)
    let (slot, database) = try checkOut(key, until: deadline, timeouts: settings)
    let outcome = Result { () throws(AuthFailure) -> [Row] in
      try database.rows(sql: sql, values: values, limit: limit, until: deadline, log: log)
    }
    monitor.withLock {
      slot.availability.record(outcome, log)
      if slot.retired {
        slot.open -= 1
        if slot.open == 0 { slots.removeAll { $0 === slot } }
      } else {
        slot.idle.append(database)
      }
      monitor.signal()
    }
    return try outcome.get()
  }

  private func checkOut(_ key: Database.Key, until deadline: Deadline, timeouts settings: Settings)
    throws(AuthFailure) -> (Slot, Database)
  {
    monitor.lock()
    defer { monitor.unlock() }
    let slot: Slot
    if let existing = slots.first(where: { $0.key == key && !$0.retired }) {
      slot = existing
    } else {
      slot = Slot(key)
      slots.append(slot)
    }
    while true {
      if let database = slot.idle.popLast() { return (slot, database) }
      if slot.open < perDatabase {
        slot.open += 1
        return (slot, Database(key))
      }
      if !monitor.wait(until: deadline) || deadline.hasPassed {
        throw .unavailable(
          "all \(perDatabase) database connections stayed busy for connect_timeout + query_timeout "
            + "(\(settings.connectTimeout + settings.queryTimeout) s)")
      }
    }
  }

  /// Closes the connections of databases no configuration names any more
  /// (after a reload changed `connect` or a timeout); busy ones close when
  /// they are handed back.
  func keep(only keys: [Database.Key]) {
    monitor.withLock {
      for slot in slots where !keys.contains(slot.key) {
        slot.retired = true
        slot.open -= slot.idle.count
        slot.idle = []
      }
      slots.removeAll { $0.retired && $0.open == 0 }
    }
  }
}

/// The core's view of the pool for one step of one login: all its
/// statements share one deadline, connect_timeout + query_timeout, as the
/// module's steps do.
struct PoolDirectory: UserDirectory {
  let pool: DatabasePool
  let settings: Settings
  let deadline: Deadline
  let log: Log

  init(pool: DatabasePool, settings: Settings, log: Log) {
    self.pool = pool
    self.settings = settings
    self.deadline = .after(seconds: settings.connectTimeout + settings.queryTimeout)
    self.log = log
  }

  func rows(of query: CompiledQuery, for context: QueryContext, limit: Int) throws(AuthFailure) -> [Row] {
    // The SQL as sent: a service spliced into a column name is the one
    // the client gave.
    let statement = try query.statement(for: context)
    return try pool.rows(
      settings: settings, sql: statement.sql, values: statement.values, limit: limit, until: deadline, log: log)
  }
}
