// The threads that check logins: one per CPU by default, so hashing uses
// every core. They take jobs from a bounded queue (the event loop stops
// reading new requests while it is full: back-pressure, not memory) and put
// results where the event loop takes them, waking it through an eventfd.

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

  init(capacity: Int, checker: LoginChecker, wakeup: ServeSystem.Wakeup) {
    self.capacity = capacity
    self.checker = checker
    self.wakeup = wakeup
  }

  func start(workers: Int) throws(SystemFailure) {
    for _ in 0..<workers {
      threads.append(try ServeSystem.Thread { [self] in run() })
    }
  }

  /// Queues a job; false when the queue is full.
  func submit(_ job: LoginJob) -> Bool {
    monitor.withLock {
      guard queue.count < capacity else { return false }
      queue.append(job)
      monitor.signal()
      return true
    }
  }

  /// The results so far (the event loop, after the wakeup).
  func takeResults() -> [LoginResult] {
    monitor.withLock {
      let taken = results
      results = []
      return taken
    }
  }

  /// Jobs waiting, and jobs being checked.
  var load: (queued: Int, busy: Int) { monitor.withLock { (queue.count, busy) } }

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
      guard let job = queue.removeFirst() else {
        monitor.unlock()
        return
      }
      busy += 1
      monitor.unlock()

      let result = checker.check(job)

      monitor.lock()
      busy -= 1
      let wasEmpty = results.isEmpty
      results.append(result)
      monitor.unlock()
      // One wakeup per batch: the loop drains the eventfd before it takes
      // the results, so a result added after that take wakes it again.
      if wasEmpty { wakeup.signal() }
    }
  }
}
