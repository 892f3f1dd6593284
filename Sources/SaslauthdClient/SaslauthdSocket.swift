// Talks to a running saslauthd over its unix socket: connect, write one
// request, read one reply, all within a deadline. Each way it can fail is a
// case of `SaslauthdError` with a sentence that says what to check, since
// "authentication failed" is all testsaslauthd ever says.

import Glibc

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
    defer { encoded.withUnsafeMutableBytes { if let base = $0.baseAddress { explicit_bzero(base, $0.count) } } }

    let descriptor: Int32
    switch connect(path: path) {
    case .success(let connected): descriptor = connected
    case .failure(let error): return .failure(error)
    }
    defer { close(descriptor) }

    let deadline = timespecNow() + Double(timeoutSeconds)
    var sent = 0
    while sent < encoded.count {
      guard waitFor(descriptor, events: Int16(POLLOUT), until: deadline) else {
        return .failure(.timedOut(path, seconds: timeoutSeconds))
      }
      let count = encoded[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      if count < 0 {
        if errno == EINTR || errno == EAGAIN { continue }
        return .failure(.dropped(path))
      }
      sent += count
    }

    var received: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1024)
    while true {
      switch SaslauthdReply.decode(received) {
      case .complete(let reply): return .success(reply)
      case .failed(let error): return .failure(.protocolError(error))
      case .incomplete: break
      }
      guard waitFor(descriptor, events: Int16(POLLIN), until: deadline) else {
        return .failure(.timedOut(path, seconds: timeoutSeconds))
      }
      let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
      if count < 0 {
        if errno == EINTR || errno == EAGAIN { continue }
        return .failure(.dropped(path))
      }
      if count == 0 { return .failure(.dropped(path)) }
      received.append(contentsOf: chunk[0..<count])
    }
  }

  /// A connected unix stream socket at `path` (close-on-exec), or why
  /// there is none. The caller closes it.
  public static func connect(path: String) -> Result<Int32, SaslauthdError> {
    let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { return .failure(.system("socket: " + String(cString: strerror(errno)))) }

    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let pathBytes = Array(path.utf8)
    let capacity = MemoryLayout.size(ofValue: address.sun_path)
    guard pathBytes.count < capacity else {
      close(descriptor)
      return .failure(.pathTooLong(path))
    }
    withUnsafeMutableBytes(of: &address.sun_path) { buffer in
      for (index, byte) in pathBytes.enumerated() { buffer[index] = byte }
    }
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    guard connected != 0 else { return .success(descriptor) }
    let code = errno
    close(descriptor)
    switch code {
    case ENOENT: return .failure(.socketMissing(path))
    case EACCES, EPERM: return .failure(.permissionDenied(path))
    case ECONNREFUSED:
      var info = stat()
      if stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFSOCK { return .failure(.notASocket(path)) }
      return .failure(.connectionRefused(path))
    case ENOTSOCK: return .failure(.notASocket(path))
    default: return .failure(.system("connect \(path): " + String(cString: strerror(code))))
    }
  }

  /// Reads until the peer closes, at most `limit` bytes, within
  /// `timeoutSeconds`; nil when the time or the limit runs out first.
  public static func readToEnd(_ descriptor: Int32, limit: Int, timeoutSeconds: Int) -> [UInt8]? {
    let deadline = timespecNow() + Double(timeoutSeconds)
    var received: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while received.count <= limit {
      guard waitFor(descriptor, events: Int16(POLLIN), until: deadline) else { return nil }
      let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
      if count < 0 {
        if errno == EINTR || errno == EAGAIN { continue }
        return nil
      }
      if count == 0 { return received }
      received.append(contentsOf: chunk[0..<count])
    }
    return nil
  }

  private static func timespecNow() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
  }

  private static func waitFor(_ descriptor: Int32, events: Int16, until deadline: Double) -> Bool {
    while true {
      let remaining = deadline - timespecNow()
      if remaining <= 0 { return false }
      var entry = pollfd(fd: descriptor, events: events, revents: 0)
      let result = poll(&entry, 1, Int32(min(remaining * 1000, Double(Int32.max))) + 1)
      if result > 0 { return true }
      if result < 0 && errno != EINTR { return true }  // let send/recv report the error
    }
  }
}
