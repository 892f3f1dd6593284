// A unix socket that is bound and listening but never answers, for the
// doctor's system trees: connect(2) succeeds (the kernel queues the
// connection), as it does on a live saslauthd's socket. `leaveStale()`
// closes it but leaves the file behind, as a saslauthd that died does, so a
// connection is refused.

import Foundation
import Testing

final class ListeningSocket {
  let path: String
  private var descriptor: Int32

  init(path: String) throws {
    self.path = path
    unlink(path)
    descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { throw RunError(description: "socket: \(String(cString: strerror(errno)))") }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
      close(descriptor)
      throw RunError(description: "socket path too long: \(path)")
    }
    withUnsafeMutableBytes(of: &address.sun_path) { buffer in
      for (index, byte) in bytes.enumerated() { buffer[index] = byte }
    }
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    guard bound == 0, listen(descriptor, 128) == 0 else {
      let message = String(cString: strerror(errno))
      close(descriptor)
      throw RunError(description: "bind/listen \(path): \(message)")
    }
    // saslauthd makes its socket 0777; the directory guards it.
    chmod(path, 0o777)
  }

  /// Stops listening but keeps the file: connections are refused.
  func leaveStale() {
    if descriptor >= 0 { close(descriptor) }
    descriptor = -1
  }

  deinit {
    if descriptor >= 0 { close(descriptor) }
  }
}
