// Logins under load for the outage tests: a few threads, each logging in
// again and again through its own channel (a PAM driver process, or one
// client of saslauthd), three right passwords then one wrong, and recording
// when each login began and ended, how long the answer took and what it
// was, while the test breaks and mends the servers.

import Foundation
import Testing

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
  var spec = timespec()
  clock_gettime(CLOCK_MONOTONIC, &spec)
  return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// One login as a load worker saw it.
struct LoginRecord: Sendable {
  let worker: Int
  let rightPassword: Bool
  /// Monotonic seconds, on the test's clock.
  let started: Double
  let ended: Double
  /// The channel's own answer ("auth=PAM_X acct=PAM_Y", or saslauthd's reply).
  let answer: String
  let accepted: Bool
  /// How long the answer took, as the channel measured it.
  let seconds: Double
}

/// What one login attempt through a channel answered.
struct LoginAnswer: Sendable {
  let text: String
  let accepted: Bool
  let seconds: Double
}

final class LoginLoad: @unchecked Sendable {
  typealias Attempt = @Sendable (_ worker: Int, _ rightPassword: Bool) throws -> LoginAnswer

  private let workers: Int
  private let attempt: Attempt
  private let lock = NSLock()
  private var stopping = false
  private var started = false
  private var records: [LoginRecord] = []
  private var failures: [String] = []
  private let finished = DispatchSemaphore(value: 0)

  init(workers: Int, attempt: @escaping Attempt) {
    self.workers = workers
    self.attempt = attempt
  }

  /// Starts the workers; each runs until `stop`.
  func start() {
    lock.withLock { started = true }
    for worker in 0..<workers {
      let thread = Thread { [self] in
        var count = 0
        while !isStopping {
          count += 1
          let right = count % 4 != 0
          let started = monotonicSeconds()
          do {
            let answer = try attempt(worker, right)
            let record = LoginRecord(
              worker: worker, rightPassword: right, started: started, ended: monotonicSeconds(), answer: answer.text,
              accepted: answer.accepted, seconds: answer.seconds)
            lock.withLock { records.append(record) }
          } catch {
            lock.withLock { failures.append("worker \(worker): \(error)") }
            break
          }
        }
        finished.signal()
      }
      thread.start()
    }
  }

  private var isStopping: Bool { lock.withLock { stopping } }

  /// Stops the workers after their current login; returns every record, or
  /// throws what a worker's channel failed with. May be called again (a
  /// test's `defer`, for when it throws before its own call: workers left
  /// running would log in until the whole run ends).
  func stop() throws -> [LoginRecord] {
    let first = lock.withLock {
      defer { stopping = true }
      return !stopping
    }
    if first && started { for _ in 0..<workers { finished.wait() } }
    return try lock.withLock {
      if let failure = failures.first { throw RunError(description: failure) }
      return records.sorted { $0.started < $1.started }
    }
  }

  /// The records so far (the load goes on).
  var recordsSoFar: [LoginRecord] { lock.withLock { records } }
}
