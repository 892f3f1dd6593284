// What every fuzz target shares: a reader that takes typed values off the
// front of libFuzzer's input, and `invariant`, which stops the run (so that
// libFuzzer saves the input as a crash) when a property does not hold.
// Compiled into each target's executable; see fuzz/run.sh and README
// "Fuzzing and sanitizers".

import Glibc

/// Reads libFuzzer's bytes from the front: flags, lengths, segments.
struct FuzzInput {
  private let bytes: [UInt8]
  private(set) var position = 0

  init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
    if let data, size > 0 {
      bytes = Array(UnsafeBufferPointer(start: data, count: size))
    } else {
      bytes = []
    }
  }

  init(bytes: [UInt8]) { self.bytes = bytes }

  var isAtEnd: Bool { position >= bytes.count }

  /// One byte, or 0 past the end.
  mutating func byte() -> UInt8 {
    guard position < bytes.count else { return 0 }
    defer { position += 1 }
    return bytes[position]
  }

  /// Up to `count` bytes.
  mutating func take(_ count: Int) -> [UInt8] {
    let end = min(bytes.count, position + max(count, 0))
    defer { position = end }
    return Array(bytes[position..<end])
  }

  /// The bytes up to the next `separator` (consumed) or the end.
  mutating func segment(until separator: UInt8 = 0) -> [UInt8] {
    let rest = bytes[position...]
    if let end = rest.firstIndex(of: separator) {
      defer { position = end + 1 }
      return Array(bytes[position..<end])
    }
    defer { position = bytes.count }
    return Array(rest)
  }

  /// Everything that is left.
  mutating func rest() -> [UInt8] { take(bytes.count) }
}

/// Stops the run with `message` when `condition` is false. abort() raises
/// SIGABRT, which libFuzzer reports as a crash and saves the input for.
func invariant(
  _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID,
  line: UInt = #line
) {
  if condition() { return }
  let text = "INVARIANT FAILED at \(file):\(line): \(message())\n"
  var bytes = Array(text.utf8)
  var written = 0
  while written < bytes.count {
    let count = bytes[written...].withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    if count <= 0 { break }
    written += count
  }
  bytes.removeAll()
  abort()
}

/// `bytes` as text, invalid UTF-8 repaired (what String(decoding:) makes).
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// Whether `haystack` contains `needle` as a run of bytes.
func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
  if needle.isEmpty { return true }
  if needle.count > haystack.count { return false }
  for start in 0...(haystack.count - needle.count)
  where haystack[start] == needle[0] && haystack[start..<(start + needle.count)].elementsEqual(needle) {
    return true
  }
  return false
}

func contains(_ haystack: String, _ needle: String) -> Bool { contains(Array(haystack.utf8), Array(needle.utf8)) }

/// A printable form of bytes for invariant messages.
func shown(_ bytes: [UInt8]) -> String {
  var result = "\""
  for byte in bytes {
    if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
      result.append(Character(Unicode.Scalar(byte)))
    } else {
      let hex = Array("0123456789abcdef")
      result += "\\x" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0xF)])
    }
  }
  return result + "\""
}

func shown(_ string: String) -> String { shown(Array(string.utf8)) }
