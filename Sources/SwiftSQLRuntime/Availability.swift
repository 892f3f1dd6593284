// Remembers whether the database answered last time, so that the process
// logs one line when it becomes unavailable and one when it answers again,
// rather than a line per login (each failed login still gets its own
// failure line from the PAM glue).

import SwiftSQLCore

public struct Availability {
  private var failure: String? = nil

  public init() {}

  /// Records the outcome of one database request.
  public mutating func record<T>(_ outcome: Result<T, AuthFailure>, _ log: Log) {
    switch outcome {
    case .success: answered(log)
    case .failure(.unavailable(let reason)): failed(reason, log)
    case .failure: break
    }
  }

  public mutating func answered(_ log: Log) {
    if failure != nil {
      log.notice("database answers again")
      failure = nil
    }
  }

  public mutating func failed(_ reason: String, _ log: Log) {
    if failure == nil { log.error("database unavailable: \(reason)") }
    failure = reason
  }
}
