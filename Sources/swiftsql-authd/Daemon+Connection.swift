// One client connection of the event loop. The loop alone touches its
// epoll interest, its deadline, its parked logins and its saslauthd
// session. A Dovecot connection is also written to by the worker that
// answers one of its logins (no round trip through the loop for an
// answer): its session, the bytes not yet written, the logins in flight and
// whether it is closed are guarded by `lock`, and its descriptor is closed
// under that lock, so a worker never writes to a number the kernel has
// given out again.

import SwiftSQLServe
import SwiftSQLSystem

extension Daemon {
  final class Connection: @unchecked Sendable {
    let descriptor: Int32
    let role: Role
    let token: UInt64

    // The event loop's own.
    var saslauthd = SaslauthdSession()
    /// Whether epoll watches it (a saslauthd request read whole at once
    /// never is), and the events asked for now.
    var watched = false
    var reading = true
    var writing = false
    var parked = 0
    /// The deadline running now, if any, and when it falls due.
    var timer: TimerKind? = nil
    var deadline: UInt64 = 0
    /// The kinds with an entry of this connection in their queue.
    var queued: Set<TimerKind> = []

    // Shared with the workers, under `lock`.
    let lock = ServeSystem.Monitor()
    var dovecot = DovecotSession()
    var output: [UInt8] = []
    var closeWhenWritten = false
    /// Logins read from this connection and not yet answered (queued,
    /// being checked, or parked).
    var inFlight = 0
    var closed = false
    /// When a worker last answered one of its logins.
    var lastAnswered: UInt64 = 0

    init(descriptor: Int32, role: Role, token: UInt64) {
      self.descriptor = descriptor
      self.role = role
      self.token = token
    }

    var events: UInt32 {
      (reading ? ServeSystem.Poller.readable : 0) | (writing ? ServeSystem.Poller.writable : 0)
    }

    enum Written {
      /// Everything written; the connection stays.
      case drained
      /// Everything written, and it was to be closed then.
      case finished
      /// The socket takes no more now; so many bytes wait.
      case blocked(Int)
      /// The peer is gone.
      case broken
    }

    /// Writes what is pending, as far as the socket takes it. Under `lock`.
    func writePending() -> Written {
      while !output.isEmpty {
        switch output.withUnsafeBytes({ System.send(descriptor, $0) }) {
        case .bytes(let count): output.removeFirst(count)
        case .wouldBlock: return .blocked(output.count)
        case .closed, .failed: return .broken
        }
      }
      return closeWhenWritten && inFlight == 0 ? .finished : .drained
    }

    /// What a worker leaves to the loop after answering a Dovecot login.
    enum Handback {
      /// The line waits for the failure delay.
      case delayed([UInt8])
      /// Bytes the socket did not take at once, or a connection to close.
      case flush
    }

    /// A worker's answer to login `id`: written at once when nothing else
    /// is pending, else left to the loop. nil when nothing is left to do
    /// (or the connection is gone, or the client cancelled the login).
    func answer(_ id: UInt32, _ outcome: DovecotOutcome, delayed: Bool, now: UInt64) -> Handback? {
      lock.withLock { () -> Handback? in
        guard !closed else { return nil }
        inFlight -= 1
        lastAnswered = now
        guard let line = dovecot.answer(id, outcome) else {
          return closeWhenWritten && inFlight == 0 ? .flush : nil
        }
        if delayed { return .delayed(line) }
        let wasEmpty = output.isEmpty
        output += line
        guard wasEmpty else { return .flush }
        switch writePending() {
        case .drained: return nil
        case .finished, .blocked, .broken: return .flush
        }
      }
    }

    /// Closes the descriptor for good, under the lock.
    func closeDescriptor() {
      lock.withLock {
        closed = true
        dovecot.wipe()
        ServeSystem.close(descriptor)
      }
    }
  }
}
