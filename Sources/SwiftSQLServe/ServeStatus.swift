// What the status socket answers (read by `pam-swiftsql status`): counters
// since the daemon started and what it is doing now, one "name value" line
// each. Names and meanings are stable (scripts read them); nothing in it is
// a login, a password or a hash.

public struct ServeStatus: Sendable {
  public var version = ""
  public var processID: Int32 = 0
  public var uptimeSeconds: UInt64 = 0
  public var workers = 0
  public var databaseConnections = 0
  public var databaseConnectionsOpen = 0
  public var queueCapacity = 0
  /// Logins waiting for a worker, now and at most.
  public var queueDepth = 0
  public var queuePeak = 0
  /// Logins a worker is checking now.
  public var inFlight = 0
  public var connections = 0
  public var connectionsTotal: UInt64 = 0
  /// Logins answered, and how.
  public var tally = LoginTally()
  /// Requests refused before a login was read (too long, protocol errors,
  /// deadlines passed).
  public var protocolErrors: UInt64 = 0
  public var timeouts: UInt64 = 0
  public var reloads: UInt64 = 0
  public var reloadFailures: UInt64 = 0
  public init() {}

  /// The lines of the status answer.
  public var text: String {
    func milliseconds(_ microseconds: UInt64) -> String {
      let whole = microseconds / 1000
      let fraction = microseconds % 1000
      let digits = String(fraction)
      return "\(whole)." + String(repeating: "0", count: 3 - digits.count) + digits
    }
    let lines: [(String, String)] = [
      ("version", version),
      ("pid", String(processID)),
      ("uptime_seconds", String(uptimeSeconds)),
      ("workers", String(workers)),
      ("db_connections", String(databaseConnections)),
      ("db_connections_open", String(databaseConnectionsOpen)),
      ("queue_capacity", String(queueCapacity)),
      ("queue_depth", String(queueDepth)),
      ("queue_peak", String(queuePeak)),
      ("in_flight", String(inFlight)),
      ("connections", String(connections)),
      ("connections_total", String(connectionsTotal)),
      ("logins", String(tally.logins)),
      ("accepted", String(tally.accepted)),
      ("failures", String(tally.failures)),
      ("outages", String(tally.outages)),
      ("errors", String(tally.errors)),
      ("protocol_errors", String(protocolErrors)),
      ("timeouts", String(timeouts)),
      ("reloads", String(reloads)),
      ("reload_failures", String(reloadFailures)),
      ("latency_p50_ms", milliseconds(tally.latency.percentile(0.50))),
      ("latency_p90_ms", milliseconds(tally.latency.percentile(0.90))),
      ("latency_p99_ms", milliseconds(tally.latency.percentile(0.99))),
      ("latency_max_ms", milliseconds(tally.latency.maximum)),
    ]
    return lines.map { "\($0.0) \($0.1)\n" }.joined()
  }

  /// The names of the lines, in order (the tool and the docs list them).
  public static let names = [
    "version", "pid", "uptime_seconds", "workers", "db_connections", "db_connections_open", "queue_capacity",
    "queue_depth", "queue_peak", "in_flight", "connections", "connections_total", "logins", "accepted", "failures",
    "outages", "errors", "protocol_errors", "timeouts", "reloads", "reload_failures", "latency_p50_ms",
    "latency_p90_ms", "latency_p99_ms", "latency_max_ms",
  ]
}

/// The logins answered, by verdict, and how long each took (from a
/// complete request to its answer, the failure delay not counted).
public struct LoginTally: Sendable {
  public private(set) var logins: UInt64 = 0
  public private(set) var accepted: UInt64 = 0
  public private(set) var failures: UInt64 = 0
  public private(set) var outages: UInt64 = 0
  public private(set) var errors: UInt64 = 0
  public private(set) var latency = LatencyHistogram()

  public init() {}

  public mutating func record(_ verdict: ServeVerdict, microseconds: UInt64) {
    logins += 1
    switch verdict {
    case .accepted: accepted += 1
    case .refused: failures += 1
    case .outage: outages += 1
    case .error: errors += 1
    }
    latency.record(microseconds: microseconds)
  }
}
