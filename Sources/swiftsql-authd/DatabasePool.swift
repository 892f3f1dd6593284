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

  /// Runs a batch on the database `settings` names, as
  /// `Database.rows(batch:)` does: the first statement's failure is
  /// thrown; a later statement's rows are nil when it was not run with it.
  func rows(settings: Settings, batch: [Database.Statement], until deadline: Deadline, log: Log)
    throws(AuthFailure) -> [[Row]?]
  {
    let key = Database.Key(settings)
    let (slot, database) = try checkOut(key, until: deadline, timeouts: settings)
    let outcome = Result { () throws(AuthFailure) -> [[Row]?] in
      try database.rows(batch: batch, until: deadline, log: log)
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
///
/// A login's two steps share a `Prefetch`: where the driver sends batches
/// (PostgreSQL), the authentication step sends account_query along with
/// password_query, in one round trip instead of two, and the account step
/// takes its rows from there. So account_query runs for every login whose
/// password_query runs, refused ones included; its rows are looked at only
/// once the password matched, as before.
struct PoolDirectory: UserDirectory {
  let pool: DatabasePool
  let settings: Settings
  let deadline: Deadline
  let log: Log
  let prefetch: Prefetch?

  init(pool: DatabasePool, settings: Settings, log: Log, prefetch: Prefetch? = nil) {
    self.pool = pool
    self.settings = settings
    self.deadline = .after(seconds: settings.connectTimeout + settings.queryTimeout)
    self.log = log
    self.prefetch = prefetch
  }

  func rows(of query: CompiledQuery, for context: QueryContext, limit: Int) throws(AuthFailure) -> [Row] {
    let statement = try query.statement(for: context)
    let first = Database.Statement(sql: statement.sql, values: statement.values, limit: limit)
    if let kept = prefetch?.take(first) { return kept }
    var batch = [first]
    if let prefetch, let companion = prefetch.companion(for: query, context: context) {
      batch.append(companion)
    }
    let answers = try pool.rows(settings: settings, batch: batch, until: deadline, log: log)
    if batch.count > 1, answers.count > 1, let rows = answers[1] { prefetch?.keep(batch[1], rows) }
    return answers.first.flatMap { $0 } ?? []
  }
}

/// What one login's authentication step fetched for its account step:
/// account_query's rows, read in the same round trip as password_query's.
/// Used once, by a statement with the same SQL, values and row limit;
/// anything else runs on its own.
final class Prefetch {
  private let lead: CompiledQuery
  private let follower: CompiledQuery
  private var sent = false
  private var kept: (statement: Database.Statement, rows: [Row])? = nil

  /// A prefetch of `follower` with `lead`, or nil when there is nothing to
  /// gain: no account_query, or a driver that runs statements one by one.
  init?(_ configuration: Configuration, database: Database.Key) {
    guard let accountQuery = configuration.accountQuery, database.sendsBatches else { return nil }
    lead = configuration.passwordQuery
    follower = accountQuery
  }

  /// The statement to send along with `query`: the follower, the first
  /// time the lead runs. Nil when it cannot be made for this request (then
  /// the account step meets the reason itself).
  func companion(for query: CompiledQuery, context: QueryContext) -> Database.Statement? {
    guard !sent, query == lead, let statement = try? follower.statement(for: context) else { return nil }
    sent = true
    return Database.Statement(sql: statement.sql, values: statement.values, limit: loginRowLimit)
  }

  func keep(_ statement: Database.Statement, _ rows: [Row]) {
    kept = (statement, rows)
  }

  /// The rows kept for `statement`, given once.
  func take(_ statement: Database.Statement) -> [Row]? {
    guard let entry = kept, entry.statement == statement else { return nil }
    kept = nil
    return entry.rows
  }
}
