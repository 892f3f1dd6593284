// Runs a program under valgrind's memcheck with a full leak check and reads
// its report: the LEAK SUMMARY's four kinds of lost or kept memory, and the
// error count. The report goes to a file of its own, so the program's own
// output stays apart.

import Foundation
import Testing

struct LeakReport: CustomStringConvertible {
  /// Bytes and blocks per kind: "definitely lost", "indirectly lost",
  /// "possibly lost", "still reachable".
  let bytes: [String: Int]
  let blocks: [String: Int]
  /// memcheck's "ERROR SUMMARY: N errors" (leaks of the kinds it was told
  /// to count included).
  let errors: Int
  /// The whole report, for a failing test's message.
  let text: String

  var definitelyLost: Int { bytes["definitely lost"] ?? -1 }

  /// What memcheck reported before its heap summary: the errors it found
  /// (invalid reads or writes, uninitialised values), with their stacks.
  var errorText: String {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    let end = lines.firstIndex { $0.contains("HEAP SUMMARY:") } ?? lines.endIndex
    return lines[..<end].dropFirst(6).joined(separator: "\n")
  }

  /// The errors (one text each, with its stacks) in whose stacks a frame of
  /// the module runs: a frame in pam_swiftsql.so, or in a Swift source file.
  var errorsInTheModule: [String] {
    var blocks: [[Substring]] = [[]]
    for line in errorText.split(separator: "\n", omittingEmptySubsequences: false) {
      // "==123== " alone ends one error's text.
      if line.hasPrefix("==") && line.drop(while: { $0 != " " }).allSatisfy({ $0 == " " }) {
        blocks.append([])
      } else {
        blocks[blocks.count - 1].append(line)
      }
    }
    return blocks.filter { block in
      block.contains { $0.contains("pam_swiftsql.so") || $0.contains(".swift:") }
    }.map { $0.joined(separator: "\n") }
  }

  var description: String {
    ["definitely lost", "indirectly lost", "possibly lost", "still reachable"].map {
      "\($0) \(bytes[$0] ?? 0) bytes in \(blocks[$0] ?? 0) blocks"
    }.joined(separator: ", ") + "; \(errors) errors"
  }

  /// Reads a memcheck report. "All heap blocks were freed" means no leak of
  /// any kind.
  static func parse(_ text: String) throws -> LeakReport {
    var bytes: [String: Int] = [:]
    var blocks: [String: Int] = [:]
    var errors: Int? = nil
    for line in text.split(separator: "\n") {
      // "==123==    definitely lost: 0 bytes in 0 blocks"
      let body = line.split(separator: "==", maxSplits: 2, omittingEmptySubsequences: true).last.map(String.init) ?? ""
      let trimmed = body.trimmingCharacters(in: .whitespaces)
      if trimmed.hasPrefix("ERROR SUMMARY:") {
        errors = Int(trimmed.dropFirst("ERROR SUMMARY:".count).split(separator: " ").first ?? "")
        continue
      }
      for kind in ["definitely lost", "indirectly lost", "possibly lost", "still reachable"]
      where trimmed.hasPrefix(kind + ":") {
        let words = trimmed.dropFirst(kind.count + 1).split(separator: " ")
        // "1,234 bytes in 5 blocks"
        guard words.count >= 4 else { continue }
        bytes[kind] = Int(words[0].replacingOccurrences(of: ",", with: ""))
        blocks[kind] = Int(words[3].replacingOccurrences(of: ",", with: ""))
      }
    }
    if bytes.isEmpty && text.contains("All heap blocks were freed") {
      for kind in ["definitely lost", "indirectly lost", "possibly lost", "still reachable"] {
        bytes[kind] = 0
        blocks[kind] = 0
      }
    }
    guard let errors, bytes["definitely lost"] != nil else {
      throw RunError(description: "no leak summary in valgrind's report:\n\(text.suffix(3000))")
    }
    return LeakReport(bytes: bytes, blocks: blocks, errors: errors, text: text)
  }
}

enum Valgrind {
  /// Runs `arguments` under memcheck; returns the program's result and the
  /// report.
  static func memcheck(_ arguments: [String], timeout: Double) throws -> (result: RunResult, report: LeakReport) {
    let directory = try makeTemporaryDirectory("swiftsql-valgrind")
    defer { removeTemporaryDirectory(directory) }
    let log = "\(directory)/memcheck.log"
    let result = try run(
      [
        try resolveExecutable("valgrind"), "--tool=memcheck", "--leak-check=full", "--show-leak-kinds=definite",
        "--errors-for-leak-kinds=definite", "--num-callers=40", "--log-file=\(log)",
      ] + arguments, timeout: timeout)
    let report = try LeakReport.parse(try String(contentsOfFile: log, encoding: .utf8))
    return (result, report)
  }
}
