// The phases of an outage test, each with the time it began and whether some
// server answers during it, and the judgement of the logins recorded
// meanwhile: no wrong password accepted, every answer within the time
// budget, a right password refused only by a login that overlapped a phase
// when no server answered; and the answer times per phase for the report.

import Foundation
import Testing

final class OutageTimeline: @unchecked Sendable {
  struct Phase: Sendable {
    let name: String
    let started: Double
    let someServerAnswers: Bool
  }

  private let lock = NSLock()
  private var phases: [Phase] = []

  /// Starts a new phase now; it lasts until the next one begins.
  func begin(_ name: String, someServerAnswers: Bool) {
    let phase = Phase(name: name, started: monotonicSeconds(), someServerAnswers: someServerAnswers)
    lock.withLock { phases.append(phase) }
  }

  var allPhases: [Phase] { lock.withLock { phases } }

  /// The phases a login running from `start` to `end` overlapped.
  func phases(from start: Double, to end: Double) -> [Phase] {
    let all = allPhases
    return all.enumerated().filter { index, phase in
      let phaseEnd = index + 1 < all.count ? all[index + 1].started : Double.infinity
      return phase.started <= end && start < phaseEnd
    }.map { $0.element }
  }

  /// Whether some server answered during the whole of a login.
  func someServerAnswered(throughout record: LoginRecord) -> Bool {
    phases(from: record.started, to: record.ended).allSatisfy { $0.someServerAnswers }
  }

  /// The logins that overlapped the phase `name`. A login that saw an
  /// outage may have begun in the phase before it, while a server still
  /// answered: on a loaded machine a short outage can hold no login that
  /// also began in it.
  func records(_ records: [LoginRecord], overlapping name: String) -> [LoginRecord] {
    records.filter { record in phases(from: record.started, to: record.ended).contains { $0.name == name } }
  }

  /// The phase a login began in.
  func phase(of record: LoginRecord) -> Phase? {
    allPhases.last { $0.started <= record.started }
  }

  /// One line per phase: logins begun in it, how many were accepted, and
  /// the median and longest answer time.
  func report(_ records: [LoginRecord]) -> String {
    allPhases.map { phase in
      let inPhase = records.filter { self.phase(of: $0)?.name == phase.name }
      let times = inPhase.map { $0.seconds }.sorted()
      let median = times.isEmpty ? 0 : times[times.count / 2]
      let longest = times.last ?? 0
      let right = inPhase.filter { $0.rightPassword }
      let wrong = inPhase.filter { !$0.rightPassword }
      let name = phase.name.padding(toLength: 36, withPad: " ", startingAt: 0)
      return name
        + String(
          format: "logins %4d  right accepted %4d/%-4d  wrong accepted %d/%-4d  median %5.0f ms  max %5.0f ms",
          inPhase.count, right.filter { $0.accepted }.count, right.count,
          wrong.filter { $0.accepted }.count, wrong.count, median * 1000, longest * 1000)
    }.joined(separator: "\n")
  }

  /// What must hold for every login, whatever the channel: no wrong password
  /// accepted, no answer later than `answerBound` seconds, no right password
  /// refused unless the login overlapped a phase when no server answered;
  /// every phase had logins, and the last phase's were all answered right.
  func judge(_ records: [LoginRecord], answerBound: Double) {
    #expect(records.count > 50, "the load went on: \(records.count) logins")
    let falseAccepts = records.filter { !$0.rightPassword && $0.accepted }
    #expect(falseAccepts.isEmpty, "a wrong password was accepted: \(falseAccepts)")
    let slow = records.filter { $0.seconds > answerBound }
    #expect(slow.isEmpty, "answers later than connect_timeout + query_timeout + slack: \(slow)")
    let refused = records.filter { $0.rightPassword && !$0.accepted && someServerAnswered(throughout: $0) }
    #expect(refused.isEmpty, "refused while a server answered: \(refused)")
    let phases = allPhases
    for phase in phases {
      #expect(records.contains { self.phase(of: $0)?.name == phase.name }, "no login in \(phase.name)")
    }
    let last = records.filter { self.phase(of: $0)?.name == phases.last?.name }
    #expect(last.allSatisfy { $0.accepted == $0.rightPassword }, "after recovery: \(last)")
  }
}
