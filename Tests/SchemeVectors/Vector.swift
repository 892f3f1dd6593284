// The known-answer vectors scripts/make-vectors.py wrote to vectors.tsv (in
// this folder), read for the scheme unit tests and the integration tests:
// each a stored value made by a real tool for a known password.

import Foundation

public struct Vector: Sendable, CustomStringConvertible {
  public let line: Int
  /// The tool and its options, e.g. "doveadm pw -s SCRAM-SHA-256".
  public let generator: String
  /// The default_pass_scheme to read the value with.
  public let defaultScheme: String
  public let login: String
  public let password: [UInt8]
  public let stored: String

  public var description: String { "\(generator) #\(line)" }

  /// Every vector of vectors.tsv.
  public static let all: [Vector] = {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("vectors.tsv")
    guard let text = try? String(contentsOf: path, encoding: .utf8) else { return [] }
    var vectors: [Vector] = []
    for (number, line) in text.split(separator: "\n").enumerated() where !line.hasPrefix("#") {
      let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
      guard fields.count == 5 else { continue }
      let hex = Array(fields[3].utf8)
      let password = stride(from: 0, to: hex.count, by: 2).compactMap {
        UInt8(String(decoding: hex[$0..<min($0 + 2, hex.count)], as: UTF8.self), radix: 16)
      }
      vectors.append(
        Vector(
          line: number + 1, generator: fields[0], defaultScheme: fields[1], login: fields[2], password: password,
          stored: fields[4]))
    }
    return vectors
  }()
}
