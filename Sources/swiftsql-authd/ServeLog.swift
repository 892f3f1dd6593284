// The daemon's log: syslog, facility authpriv, as "swiftsql-authd[pid]",
// with the core's levels; with --log-stderr each line also goes to
// standard error. Callers pass only texts that hold no secret, as the
// module's Log requires.

import SwiftSQLCore

enum ServeLog {
  /// Whether lines are copied to standard error (set once, at start).
  nonisolated(unsafe) static var toStandardError = false

  static func make(debug: Bool) -> Log {
    Log(debugEnabled: debug) { level, message in write(level, message) }
  }

  static func write(_ level: LogLevel, _ message: String) {
    let priority: ServeSystem.Priority
    switch level {
    case .error: priority = .error
    case .warning: priority = .warning
    case .notice: priority = .notice
    case .info: priority = .info
    case .debug: priority = .debug
    }
    ServeSystem.syslog(priority, message)
    if toStandardError { ServeSystem.write("swiftsql-authd: \(message)\n", toStandardError: true) }
  }

  static func error(_ message: String) { write(.error, message) }
  static func warning(_ message: String) { write(.warning, message) }
  static func notice(_ message: String) { write(.notice, message) }
  static func info(_ message: String) { write(.info, message) }
}
