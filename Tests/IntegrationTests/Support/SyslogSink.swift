// Collects what the module, libpam and saslauthd write to syslog, by
// listening on /dev/log for the length of the test run. The module is not
// changed for the tests: it calls pam_syslog as in production, and the tests
// read the lines it produced.
//
// /dev/log must be free (no syslog daemon); on the CI machines it is. If a
// daemon owns it, the tests that read logs fail and say so.

import Foundation
import Testing

final class SyslogSink: @unchecked Sendable {
  static let path = "/dev/log"

  /// The sink of this test run, started on first use.
  static func shared() throws -> SyslogSink {
    lock.lock()
    defer { lock.unlock() }
    if let instance { return instance }
    let sink = try SyslogSink()
    instance = sink
    return sink
  }

  private static let lock = NSLock()
  nonisolated(unsafe) private static var instance: SyslogSink? = nil

  private let descriptor: Int32
  private let linesLock = NSLock()
  /// Every line of the run (over 170,000 by the end of a full run), in
  /// chunks: a reader's snapshot shares them, so the receiving thread,
  /// appending while a reader scans, copies at most the last chunk, and no
  /// reader holds the lock while it scans.
  private var chunks: [[String]] = []
  private static let chunkSize = 4096

  private init() throws {
    if FileManager.default.fileExists(atPath: SyslogSink.path) {
      if SyslogSink.someoneListens() {
        throw RunError(
          description: "\(SyslogSink.path) belongs to a running syslog daemon; the tests read syslog themselves, "
            + "so run them on a machine (or in a container) without one")
      }
      unlink(SyslogSink.path)
    }
    descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { throw RunError(description: "socket: \(String(cString: strerror(errno)))") }
    var address = SyslogSink.address()
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    guard bound == 0 else { throw RunError(description: "bind /dev/log: \(String(cString: strerror(errno)))") }
    chmod(SyslogSink.path, 0o666)
    let thread = Thread { [self] in self.receive() }
    thread.start()
    atexit { unlink(SyslogSink.path) }
  }

  private static func address() -> sockaddr_un {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { buffer in
      for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
    }
    return address
  }

  private static func someoneListens() -> Bool {
    let probe = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    defer { close(probe) }
    var address = address()
    return withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
      }
    }
  }

  private func receive() {
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
      if count < 0 {
        if errno == EINTR { continue }
        return
      }
      let line = String(decoding: buffer[0..<count], as: UTF8.self)
      linesLock.withLock {
        if chunks.isEmpty || chunks[chunks.count - 1].count == SyslogSink.chunkSize {
          chunks.append([])
          chunks[chunks.count - 1].reserveCapacity(SyslogSink.chunkSize)
        }
        chunks[chunks.count - 1].append(line)
      }
    }
  }

  /// Every line received so far that contains `text`.
  func lines(containing text: String) -> [String] {
    linesLock.withLock { chunks }.flatMap { $0.filter { SyslogSink.line($0, contains: text) } }
  }

  /// Whether `line` contains `text`, by strstr: Foundation's `contains`
  /// takes about 1.3 s over a full run's lines in a debug build, this 0.07 s.
  private static func line(_ line: String, contains text: String) -> Bool {
    line.withCString { line in text.withCString { text in strstr(line, text) != nil } }
  }

  /// The last lines that mention `service`, one per line, as a comment
  /// for an expectation: when a login's result is not the one expected,
  /// the module's own words say why.
  func recap(of service: PAMService, lines count: Int = 8) -> Comment {
    let lines = lines(containing: service.name).suffix(count)
    return Comment(rawValue: "what the module logged for \(service.name):\n" + lines.joined(separator: "\n"))
  }

  /// Every line received so far.
  var allLines: [String] {
    Array(linesLock.withLock { chunks }.joined())
  }

  /// The lines received after the first `seen`.
  private func lines(after seen: Int) -> [String] {
    let snapshot = linesLock.withLock { chunks }
    let total = snapshot.isEmpty ? 0 : (snapshot.count - 1) * SyslogSink.chunkSize + snapshot[snapshot.count - 1].count
    guard seen < total else { return [] }
    let first = seen / SyslogSink.chunkSize
    return Array(snapshot[first...].joined().dropFirst(seen - first * SyslogSink.chunkSize))
  }

  /// Waits for a line containing all of `texts`, and returns it. Each look
  /// reads only the lines that came since the one before, so that many
  /// tests waiting at once on a loaded machine do not rescan the whole run.
  /// The bound is generous because the wait ends as soon as the line is
  /// there: it is for a line that never comes, not a measure of speed.
  @discardableResult
  func waitForLine(containing texts: [String], seconds: Double = 20) throws -> String {
    var seen = 0
    var found: String? = nil
    try waitUntil("a syslog line containing \(texts)", seconds: seconds) {
      let new = lines(after: seen)
      seen += new.count
      found = new.first { line in texts.allSatisfy { SyslogSink.line(line, contains: $0) } }
      return found != nil
    }
    return found ?? ""
  }
}
