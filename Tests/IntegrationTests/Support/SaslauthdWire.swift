// A minimal client of saslauthd's socket for the load tests, written here
// rather than borrowed from the code under test: one connection per request,
// the four length-prefixed fields (login, password, service, realm), one
// length-prefixed reply ("OK…" or "NO…"), and how long the daemon took. A
// thread of the test process can send thousands of these without starting
// a process per login, so the time measured is the daemon's.

import Foundation
import Testing

enum SaslauthdWire {
  /// Sends one request to the daemon at `socket` and returns its reply.
  static func ask(
    socket path: String, login: String, password: String, service: String, realm: String = "",
    timeoutSeconds: Int = 60
  ) throws -> LoginAnswer {
    let started = monotonicSeconds()
    let descriptor = try connect(path, timeoutSeconds: timeoutSeconds)
    defer { close(descriptor) }
    try sendAll(descriptor, request([login, password, service, realm]))
    let text = try reply(descriptor)
    return LoginAnswer(text: text, accepted: text.hasPrefix("OK"), seconds: monotonicSeconds() - started)
  }

  /// The request's bytes: each field behind its big-endian length.
  static func request(_ fields: [String]) -> [UInt8] {
    var request: [UInt8] = []
    for field in fields {
      let bytes = Array(field.utf8)
      request += [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
    }
    return request
  }

  /// A connected socket whose reads and writes give up after the timeout.
  static func connect(_ path: String, timeoutSeconds: Int) throws -> Int32 {
    let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { throw RunError(description: "socket: \(String(cString: strerror(errno)))") }
    var limit = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
    setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))

    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { buffer in
      for (index, byte) in path.utf8.prefix(buffer.count - 1).enumerated() { buffer[index] = byte }
    }
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    guard connected == 0 else {
      let message = String(cString: strerror(errno))
      close(descriptor)
      throw RunError(description: "connect \(path): \(message)")
    }
    return descriptor
  }

  /// Reads one counted reply.
  static func reply(_ descriptor: Int32) throws -> String {
    let header = try receive(descriptor, count: 2)
    let reply = try receive(descriptor, count: Int(header[0]) << 8 | Int(header[1]))
    return String(decoding: reply, as: UTF8.self)
  }

  static func sendAll(_ descriptor: Int32, _ bytes: [UInt8]) throws {
    var offset = 0
    while offset < bytes.count {
      let sent = bytes[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      if sent < 0 && errno == EINTR { continue }
      guard sent > 0 else { throw RunError(description: "send to saslauthd: \(String(cString: strerror(errno)))") }
      offset += sent
    }
  }

  static func receive(_ descriptor: Int32, count: Int) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    var offset = 0
    while offset < count {
      let received = bytes[offset...].withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
      if received < 0 && errno == EINTR { continue }
      guard received > 0 else {
        throw RunError(description: "saslauthd sent no (complete) reply: \(String(cString: strerror(errno)))")
      }
      offset += received
    }
    return bytes
  }
}
