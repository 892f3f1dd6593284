// The threads that check logins: one per CPU by default, so hashing uses
// every core. They take jobs from a bounded queue (the event loop stops
// reading new requests while it is full: back-pressure, not memory), count
// each answer, and answer a saslauthd request themselves (its connection is
// handed over with the job); what is left for the event loop (Dovecot's
// answers, delayed ones, a reply that did not fit the socket) they put
// where it takes them, waking it through an eventfd.

import SaslauthdClient
import SwiftSQLServe
import SwiftSQLSystem

final class WorkerPool: @unchecked Sendable {
  let capacity: Int
  private let monitor = ServeSystem.Monitor()
  private var queue = RingBuffer<LoginJob>()
  private var results: [LoginResult] = []
  private var busy = 0
  private var stopping = false
  private var threads: [ServeSystem.Thread] = []
  private let wakeup: ServeSystem.Wakeup
  private let checker: LoginChecker
  private let failureDelay: Bool
  private var tally = LoginTally()

  init(capacity: Int, checker: LoginChecker, wakeup: ServeSystem.Wakeup, failureDelay: Bool) {
    self.capacity = capacity
    self.checker = checker
    self.wakeup = wakeup
    self.failureDelay = failureDelay
  }

  func start(workers: Int) throws(SystemError) {
    for _ in 0..<workers {
      threads.append(try ServeSystem.Thread { [self] in run() })
    }
  }

  /// Queues a job; the jobs queued then, with it, or nil when the queue
  /// is full.
  func submit(_ job: LoginJob) -> Int? {
    let queued = monitor.withLock { () -> Int? in
      guard queue.count < capacity else { return nil }
      queue.append(job)
      return queue.count
    }
    // Signalled after the unlock, so that the worker it wakes does not
    // find the lock still held and sleep again on it.
    if queued != nil { monitor.signal() }
    return queued
  }

  /// The results so far (the event loop, after the wakeup).
  func takeResults() -> [LoginResult] {
    monitor.withLock {
      let taken = results
      results = []
      return taken
    }
  }

  /// The logins answered so far.
  var answered: LoginTally { monitor.withLock { tally } }

  /// Jobs waiting, jobs being checked, and results not yet taken.
  var load: (queued: Int, busy: Int, results: Int) { monitor.withLock { (queue.count, busy, results.count) } }

  /// Lets the workers finish the queue, then ends them.
  func stop() {
    monitor.withLock {
      stopping = true
      monitor.broadcast()
    }
    for thread in threads { thread.join() }
    threads = []
  }

  private func run() {
    while true {
      monitor.lock()
      while queue.isEmpty && !stopping { monitor.wait() }
      let wasFull = queue.count >= capacity
      guard let job = queue.removeFirst() else {
        monitor.unlock()
        return
      }
      busy += 1
      monitor.unlock()
      // The loop parks logins while the queue is full: there is room now.
      if wasFull { wakeup.signal() }

      let result = checker.check(job)
      let answer: ServeAnswer?
      switch result.outcome {
      case .success: answer = nil
      case .failure(let failure): answer = ServeAnswer.of(failure)
      }
      let left = finish(result, answer)

      monitor.lock()
      busy -= 1
      tally.record(
        answer?.verdict ?? .accepted, microseconds: (Deadline.now().nanoseconds &- result.received) / 1000)
      let wasEmpty = results.isEmpty
      if let left { results.append(left) }
      monitor.unlock()
      // One wakeup per batch: the loop drains the eventfd before it takes
      // the results, so a result added after that take wakes it again.
      if wasEmpty && left != nil { wakeup.signal() }
    }
  }

  /// Answers the login on its connection (a saslauthd request: its
  /// descriptor, closed then; a Dovecot login: its connection's line);
  /// returns what the event loop still has to do, if anything.
  private func finish(_ result: LoginResult, _ answer: ServeAnswer?) -> LoginResult? {
    if let connection = result.dovecot {
      let outcome: DovecotOutcome
      switch result.outcome {
      case .success(let user): outcome = .ok(user: user)
      case .failure:
        outcome = .fail(user: result.login, code: answer?.dovecotCode, reason: answer?.dovecotReason)
      }
      let delayed = failureDelay && answer?.isDelayed == true
      guard
        let handback = connection.answer(
          result.requestID, outcome, delayed: delayed, now: Deadline.now().nanoseconds)
      else { return nil }
      var left = result
      left.handback = handback
      return left
    }
    guard result.descriptor >= 0 else { return result }
    var left = result
    left.reply = SaslauthdReply.encode(ok: answer == nil, text: answer?.saslauthdText ?? "")
    if let answer, answer.isDelayed, failureDelay {
      left.delayed = true
      return left
    }
    switch left.reply.withUnsafeBytes({ System.send(result.descriptor, $0) }) {
    case .bytes(let count) where count == left.reply.count:
      ServeSystem.close(result.descriptor)
      return nil
    case .bytes(let count):
      left.reply.removeFirst(count)
      return left
    case .wouldBlock:
      return left
    case .closed, .failed:
      ServeSystem.close(result.descriptor)
      return nil
    }
  }
}
