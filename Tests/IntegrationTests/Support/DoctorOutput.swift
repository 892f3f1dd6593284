// The JSON document `pam-swiftsql doctor --json` prints, read with
// Foundation's JSONSerialization (the tests do not share the tool's types):
// the checks with their name, status, evidence and fix, the checks that were
// not run, the summary, and the exit status and raw output of the run.

import Foundation
import Testing

struct DoctorOutput {
  struct Check: Equatable {
    let name: String
    let status: String
    let evidence: String
    let fix: String
  }

  let result: RunResult
  let checks: [Check]
  let notRun: [String]
  let summary: [String: Int]

  init(_ result: RunResult) throws {
    self.result = result
    guard let data = result.stdout.data(using: .utf8),
      let document = try JSONSerialization.jsonObject(with: data) as? [String: Any],
      let checks = document["checks"] as? [[String: Any]],
      let notRun = document["not_run"] as? [[String: Any]],
      let summary = document["summary"] as? [String: Int]
    else {
      throw RunError(
        description: "doctor printed no JSON report (exit \(result.status)): \(result.stdout)\n\(result.stderr)")
    }
    self.checks = checks.map {
      Check(
        name: $0["name"] as? String ?? "", status: $0["status"] as? String ?? "",
        evidence: $0["evidence"] as? String ?? "", fix: $0["fix"] as? String ?? "")
    }
    self.notRun = notRun.compactMap { $0["name"] as? String }
    self.summary = summary
  }

  var failures: Set<String> { Set(checks.filter { $0.status == "failure" }.map { $0.name }) }
  var warnings: Set<String> { Set(checks.filter { $0.status == "warning" }.map { $0.name }) }
  var names: Set<String> { Set(checks.map { $0.name }) }

  func check(_ name: String) -> Check? { checks.first { $0.name == name } }

  /// Everything about the run, for failure messages.
  var dump: String {
    checks.map { "\($0.status) \($0.name): \($0.evidence) | fix: \($0.fix)" }.joined(separator: "\n")
      + "\nnot run: \(notRun)\nstderr: \(result.stderr)"
  }
}
