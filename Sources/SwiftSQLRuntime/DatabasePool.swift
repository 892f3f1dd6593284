// The database connections of a process, one per connection setting (a
// process whose services use two configuration files keeps two
// connections, instead of reconnecting at every alternation), each with its
// own record of whether the database answered last time. A few are kept;
// the least recently used is closed when another is needed. Runs under the
// runtime's lock.

import SwiftSQLBackends
import SwiftSQLCore
import SwiftSQLSystem

struct DatabasePool {
  /// At most this many connections are kept.
  static let capacity = 8

  struct Slot {
    let key: Database.Key
    let database: Database
    var availability = Availability()
    var lastUse: UInt64 = 0
  }

  private var slots: [Slot] = []
  private var uses: UInt64 = 0

  /// Runs `sql` on the database `settings` name, opening a connection when
  /// there is none for these connection settings, and logs the database's
  /// transitions between unavailable and answering.
  mutating func rows(
    settings: Settings, sql: String, values: [String], limit: Int, until deadline: Deadline, log: Log
  ) throws(AuthFailure) -> [Row] {
    let index = slot(for: Database.Key(settings), log: log)
    let database = slots[index].database
    let outcome = Result { () throws(AuthFailure) -> [Row] in
      try database.rows(sql: sql, values: values, limit: limit, until: deadline, log: log)
    }
    slots[index].availability.record(outcome, log)
    return try outcome.get()
  }

  /// The index of the slot for `key`, made (and the least used one closed)
  /// when there is none.
  private mutating func slot(for key: Database.Key, log: Log) -> Int {
    uses += 1
    if let found = slots.firstIndex(where: { $0.key == key }) {
      slots[found].lastUse = uses
      return found
    }
    if slots.count >= DatabasePool.capacity,
      let oldest = slots.indices.min(by: { slots[$0].lastUse < slots[$1].lastUse })
    {
      slots[oldest].database.discard(log: log)
      slots.remove(at: oldest)
    }
    slots.append(Slot(key: key, database: Database(key), lastUse: uses))
    return slots.count - 1
  }
}
