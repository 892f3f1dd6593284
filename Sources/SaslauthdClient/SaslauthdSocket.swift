// Talks to a running saslauthd over its unix socket: connect, write one
// request, read one reply, all within a deadline. Each way it can fail is a
// case of `SaslauthdError` with a sentence that says what to check, since
// "authentication failed" is all testsaslauthd ever says. The socket, the
// clock and the wipe are SwiftSQLSystem's.

import SwiftSQLSystem

public enum SaslauthdError: Error, Equatable, Sendable {
  case pathTooLong(String)
  case socketMissing(String)
  case permissionDenied(String)
  case notASocket(String)
  case connectionRefused(String)
  case dropped(String)
  case timedOut(String, seconds: Int)
  case protocolError(SaslauthdProtocolError)
  case system(String)

  public var message: String {
    switch self {
    case .pathTooLong(let path): "the socket path \(path) is too long for a unix socket"
    case .socketMissing(let path):
      "there is no socket at \(path): is saslauthd running, and with -m pointing at that directory?"
    case .permissionDenied(let path):
      "permission denied on \(path): the directories leading to it must let this user "
        + "(or its group, e.g. sasl) search them"
    case .notASocket(let path): "\(path) exists but is not a socket"
    case .connectionRefused(let path):
      "connection refused on \(path): the socket is left over from a saslauthd that is no longer running"
    case .dropped(let path):
      "saslauthd closed the connection on \(path) without answering: see its log (e.g. a field over 256 bytes, "
        + "or a worker that crashed)"
    case .timedOut(let path, let seconds): "saslauthd did not answer on \(path) within \(seconds) s"
    case .protocolError(let error): "unexpected reply from saslauthd: \(error.message)"
    case .system(let detail): detail
    }
  }
}

public enum SaslauthdSocket {
  /// The socket Debian's saslauthd uses by default.
  public static let defaultPath = "/var/run/saslauthd/mux"

  /// Sends `request` to the daemon at `path` and reads its reply.
  public static func exchange(
    _ request: SaslauthdRequest, path: String, timeoutSeconds: Int
  ) -> Result<SaslauthdReply, SaslauthdError> {
    var encoded: [UInt8]
    switch request.encoded() {
    case .success(let bytes): encoded = bytes
    case .failure(let error): return .failure(.protocolError(error))
    }
    // The request holds the password: overwrite this copy once it is sent.
    defer { System.wipe(&encoded, count: encoded.count) }

    let descriptor: Int32
    switch connect(path: path) {
    case .success(let connected): descriptor = connected
    case .failure(let error): return .failure(error)
    }
    defer { System.closeDescriptor(descriptor) }

    let deadline = Deadline.after(seconds: timeoutSeconds)
    var sent = 0
    while sent < encoded.count {
      guard ready(descriptor, writable: true, until: deadline) else {
        return .failure(.timedOut(path, seconds: timeoutSeconds))
      }
      switch encoded[sent...].withUnsafeBytes({ System.send(descriptor, $0) }) {
      case .bytes(let count): sent += count
      case .wouldBlock: continue
      case .closed, .failed: return .failure(.dropped(path))
      }
    }

    var received: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1024)
    while true {
      switch SaslauthdReply.decode(received) {
      case .complete(let reply): return .success(reply)
      case .failed(let error): return .failure(.protocolError(error))
      case .incomplete: break
      }
      guard ready(descriptor, writable: false, until: deadline) else {
        return .failure(.timedOut(path, seconds: timeoutSeconds))
      }
      switch chunk.withUnsafeMutableBytes({ System.receive(descriptor, into: $0) }) {
      case .bytes(let count): received.append(contentsOf: chunk[0..<count])
      case .wouldBlock: continue
      case .closed, .failed: return .failure(.dropped(path))
      }
    }
  }

  /// A connected unix stream socket at `path` (close-on-exec), or why
  /// there is none. The caller closes it.
  public static func connect(path: String) -> Result<Int32, SaslauthdError> {
    guard let address = UnixSocketAddress(path) else { return .failure(.pathTooLong(path)) }
    let error: SystemError
    switch address.connect() {
    case .success(let descriptor): return .success(descriptor)
    case .failure(let failed) where failed.call == "socket": return .failure(.system(failed.message))
    case .failure(let failed): error = failed
    }
    switch error.code {
    case .noSuchFileOrDirectory: return .failure(.socketMissing(path))
    case .permissionDenied, .notPermitted: return .failure(.permissionDenied(path))
    case .connectionRefused:
      if case .success(let identity) = System.identity(of: path), !identity.isSocket {
        return .failure(.notASocket(path))
      }
      return .failure(.connectionRefused(path))
    case .notSocket: return .failure(.notASocket(path))
    default: return .failure(.system("connect \(path): " + error.code.message))
    }
  }

  /// Reads until the peer closes, at most `limit` bytes, within
  /// `timeoutSeconds`; nil when the time or the limit runs out first.
  public static func readToEnd(_ descriptor: Int32, limit: Int, timeoutSeconds: Int) -> [UInt8]? {
    let deadline = Deadline.after(seconds: timeoutSeconds)
    var received: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while received.count <= limit {
      guard ready(descriptor, writable: false, until: deadline) else { return nil }
      switch chunk.withUnsafeMutableBytes({ System.receive(descriptor, into: $0) }) {
      case .bytes(let count): received.append(contentsOf: chunk[0..<count])
      case .wouldBlock: continue
      case .closed: return received
      case .failed: return nil
      }
    }
    return nil
  }

  /// Waits until the descriptor is ready or the deadline passes; false
  /// only for the deadline (a failed poll lets send or recv report).
  private static func ready(_ descriptor: Int32, writable: Bool, until deadline: Deadline) -> Bool {
    System.wait(descriptor, readable: !writable, writable: writable, until: deadline) != .timedOut
  }
}
