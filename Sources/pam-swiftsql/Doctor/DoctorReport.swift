// The doctor's result and its two renderings: blocks for people
// ("[FAIL] saslauthd-realm: …" then "       fix: …", a list of the checks
// that waited for a failed one, and the summary line "N checks: a ok,
// b warnings, c failures"), and one JSON document for machines with the same
// content. Exit status: 0 without a failure, 1 with one.

import FoundationEssentials

struct DoctorReport: Encodable {
  /// A check that was not run because one it needs failed (or was not run).
  struct NotRun: Encodable, Equatable {
    let name: String
    let needs: [String]
  }

  struct Summary: Encodable, Equatable {
    let checks: Int
    let ok: Int
    let warnings: Int
    let failures: Int
  }

  var checks: [DoctorCheck] = []
  var notRun: [NotRun] = []
  /// Things the reader should know that are not checks, e.g. "give --login".
  var notes: [String] = []

  var summary: Summary {
    Summary(
      checks: checks.count, ok: checks.filter { $0.status == .ok }.count,
      warnings: checks.filter { $0.status == .warning }.count,
      failures: checks.filter { $0.status == .failure }.count)
  }

  var hasFailure: Bool { checks.contains { $0.status == .failure } }

  enum CodingKeys: String, CodingKey {
    case checks
    case notRun = "not_run"
    case notes
    case summary
  }

  func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(checks, forKey: .checks)
    try container.encode(notRun, forKey: .notRun)
    try container.encode(notes, forKey: .notes)
    try container.encode(summary, forKey: .summary)
  }

  /// The label in front of a block.
  static func label(_ status: DoctorCheck.Status) -> String {
    switch status {
    case .ok: "[ ok ]"
    case .warning: "[warn]"
    case .failure: "[FAIL]"
    }
  }

  /// One block per check.
  static func blocks(_ checks: [DoctorCheck]) -> String {
    var text = ""
    for check in checks {
      text += "\(label(check.status)) \(check.name): \(check.evidence)\n"
      if check.status != .ok && !check.fix.isEmpty { text += "       fix: \(check.fix)\n" }
    }
    return text
  }

  static func plural(_ count: Int, _ word: String) -> String {
    if count == 1 { return "1 \(word)" }
    return "\(count) \(word)\(word.hasSuffix("s") ? "es" : "s")"
  }

  /// The summary line.
  var summaryLine: String {
    let counts = summary
    return "\(DoctorReport.plural(counts.checks, "check")): \(counts.ok) ok, "
      + "\(DoctorReport.plural(counts.warnings, "warning")), \(DoctorReport.plural(counts.failures, "failure"))"
  }

  /// The report for people.
  var humanText: String {
    var text = DoctorReport.blocks(checks)
    if !notRun.isEmpty {
      text += "\nnot run until the failures above are fixed:\n"
      for entry in notRun {
        text += "       \(entry.name) (needs \(entry.needs.joined(separator: ", ")))\n"
      }
    }
    if !notes.isEmpty {
      text += "\n"
      for note in notes { text += "note: \(note)\n" }
    }
    text += "\n\(summaryLine)\n"
    return text
  }

  /// The report for machines: one JSON document.
  var jsonText: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(self) else { return "{}\n" }
    return String(decoding: data, as: UTF8.self) + "\n"
  }
}
