// A PAM service as libpam assembles it: /etc/pam.d/<service> (or, when
// that file is missing, /etc/pam.d/other, which libpam uses instead), with
// every `@include`, `include` and `substack` expanded from the same
// directory, so the doctor sees the whole auth and account stacks and where
// each line came from.

struct PAMStack {
  let service: String
  /// The service's own file.
  let path: String
  /// Whether that file exists (else the lines are /etc/pam.d/other's).
  let exists: Bool
  let status: DoctorSystem.Status?
  /// Every line, includes expanded, in order.
  let lines: [PAMStackLine]
  /// Files that an include names but that do not exist.
  let missingIncludes: [String]

  static func load(_ service: String, tree: SystemTree) -> PAMStack {
    let path = SystemTree.join(DoctorPaths.pamDirectory, service)
    let status = tree.status(path)
    var missing: [String] = []
    let file = status == nil ? SystemTree.join(DoctorPaths.pamDirectory, "other") : path
    let lines = expand(file, type: nil, tree: tree, depth: 0, missing: &missing)
    return PAMStack(
      service: service, path: path, exists: status != nil, status: status, lines: lines, missingIncludes: missing)
  }

  private static func expand(
    _ file: String, type: String?, tree: SystemTree, depth: Int, missing: inout [String]
  ) -> [PAMStackLine] {
    guard depth < 10, let text = tree.text(file) else {
      if depth > 0 { missing.append(file) }
      return []
    }
    var result: [PAMStackLine] = []
    for line in PAMStackLine.parse(text, file: file) {
      if let type, line.type != "@include", line.type != type { continue }
      if line.isInclude {
        let target = line.module.hasPrefix("/") ? line.module : SystemTree.join(DoctorPaths.pamDirectory, line.module)
        let only = line.type == "@include" ? type : line.type
        result += expand(target, type: only, tree: tree, depth: depth + 1, missing: &missing)
      } else {
        result.append(line)
      }
    }
    return result
  }

  /// The lines of one type (auth, account, …).
  func lines(_ type: String) -> [PAMStackLine] { lines.filter { $0.type == type } }

  /// The lines of one type that load pam_swiftsql.
  func moduleLines(_ type: String) -> [PAMStackLine] {
    lines(type).filter { $0.moduleName == DoctorPaths.moduleFileName }
  }
}
