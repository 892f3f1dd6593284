// The module's availability transitions in captured syslog: the line it
// writes when the database becomes unavailable ("…): database unavailable:
// <why>") and the one when it answers again ("…): database answers again"),
// for one PAM service, per process that wrote them. saslauthd's lines name
// the process (saslauthd[pid]); the PAM driver fixture does not call
// openlog, so its lines name none, and the tests give each driver process a
// service of its own instead.

import Foundation
import Testing

enum AvailabilityLines {
  enum Transition: Equatable, CustomStringConvertible {
    case unavailable, answersAgain

    var description: String { self == .unavailable ? "unavailable" : "answers again" }
  }

  /// The transitions logged for `service`, in order, by process id ("-"
  /// where the line names no process).
  static func transitions(in sink: SyslogSink, service: String) -> [String: [Transition]] {
    var result: [String: [Transition]] = [:]
    for line in sink.lines(containing: "pam_swiftsql(\(service):") {
      let transition: Transition
      if line.contains("): database unavailable: ") {
        transition = .unavailable
      } else if line.contains("): database answers again") {
        transition = .answersAgain
      } else {
        continue
      }
      result[processID(of: line), default: []].append(transition)
    }
    return result
  }

  /// The pid in "ident[pid]: pam_swiftsql(…", or "-".
  static func processID(of line: String) -> String {
    guard let module = line.range(of: "pam_swiftsql(") else { return "-" }
    let before = line[..<module.lowerBound]
    guard before.hasSuffix("]: "), let open = before.lastIndex(of: "[") else { return "-" }
    let digits = before[before.index(after: open)...].prefix { $0.isNumber }
    return digits.isEmpty ? "-" : String(digits)
  }
}
