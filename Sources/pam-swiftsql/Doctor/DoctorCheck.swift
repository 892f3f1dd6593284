// One finding of `pam-swiftsql doctor`: a stable kebab-case name (scripts
// and the README's troubleshooting table refer to it), ok / warning /
// failure, one line of evidence (what was read or tried) and one line of fix
// (the exact command or configuration line). Evidence and fix never hold a
// password or a stored hash: at most a scheme name.

struct DoctorCheck: Encodable, Equatable {
  enum Status: String, Encodable {
    case ok
    case warning
    case failure
  }

  let name: String
  let status: Status
  let evidence: String
  /// Empty when the check is ok.
  let fix: String

  static func ok(_ name: String, _ evidence: String) -> DoctorCheck {
    DoctorCheck(name: name, status: .ok, evidence: evidence, fix: "")
  }

  static func warning(_ name: String, _ evidence: String, fix: String) -> DoctorCheck {
    DoctorCheck(name: name, status: .warning, evidence: evidence, fix: fix)
  }

  static func failure(_ name: String, _ evidence: String, fix: String) -> DoctorCheck {
    DoctorCheck(name: name, status: .failure, evidence: evidence, fix: fix)
  }
}
