// The doctor's PAM checks, for the service Postfix uses (smtpd_sasl_service,
// default "smtp"; --service to name another, e.g. dovecot): the file
// /etc/pam.d/<service> exists (else libpam silently uses /etc/pam.d/other)
// and the user saslauthd runs as can read it; its auth and account stacks
// (includes expanded) both use pam_swiftsql — saslauthd calls
// pam_authenticate and then pam_acct_mgmt — and no module that needs a
// system account (pam_unix via common-auth, …) stands in the way of users
// that exist only in SQL; and the module file is where the line points and
// loads as libpam loads it.

extension Doctor {
  func runPAMChecks() {
    for service in pamServices {
      run("pam-service") { [checkPAMService(service)] }
      run("pam-auth-line", needs: ["pam-service"]) { [checkStackLines(service, type: "auth")] }
      run("pam-account-line", needs: ["pam-service"]) { [checkStackLines(service, type: "account")] }
      run("pam-module", needs: ["pam-service"]) { checkModuleFile(service) }
    }
  }

  /// "smtp (Postfix's smtpd_sasl_service)" or "dovecot (--service)".
  func serviceOrigin(_ service: String) -> String {
    if options.service != nil { return "\(service) (--service)" }
    guard let postfix, !postfix.cyrusServices.isEmpty else { return "\(service) (the default)" }
    let setBy = postfix.cyrusServices.contains {
      postfix.main.isSet("smtpd_sasl_service", overrides: $0.overrides)
    }
    return setBy
      ? "\(service) (Postfix's smtpd_sasl_service)" : "\(service) (Postfix's default smtpd_sasl_service)"
  }

  func checkPAMService(_ service: String) -> DoctorCheck {
    let name = "pam-service"
    let stack = stack(service)
    guard stack.exists, let status = stack.status else {
      var hint = ""
      if service == "smtp" && tree.exists("/etc/pam.d/smtpd") {
        hint = "; /etc/pam.d/smtpd exists, but the SASL file is named smtpd.conf while the PAM service is smtp"
      }
      let uses =
        stack.lines.contains { $0.moduleName == DoctorPaths.moduleFileName } ? "" : ", which does not use pam_swiftsql"
      return .failure(
        name,
        "there is no \(stack.path) for the service \(serviceOrigin(service)): libpam uses /etc/pam.d/other"
          + uses + hint,
        fix: hint.isEmpty
          ? "printf 'auth required pam_swiftsql.so\\naccount required pam_swiftsql.so\\n' > \(stack.path)"
          : "mv /etc/pam.d/smtpd \(stack.path)")
    }
    let reader = instance?.principal ?? .root
    if !reader.canRead(status) {
      return .failure(
        name,
        "saslauthd runs as \(reader.description), which cannot read \(stack.path) (\(accounts.ownership(status)) "
          + "\(octalMode(status.mode)))",
        fix: "chmod 0644 \(stack.path)")
    }
    if !stack.missingIncludes.isEmpty {
      return .failure(
        name, "\(stack.path) includes files that do not exist: " + stack.missingIncludes.joined(separator: ", "),
        fix: "remove the @include lines for the missing files from \(stack.path)")
    }
    return .ok(
      name,
      "\(stack.path) is the file for \(serviceOrigin(service)) (\(accounts.ownership(status)) "
        + "\(octalMode(status.mode)))")
  }

  /// Modules that only know system accounts: they fail for a user who
  /// exists only in SQL.
  static let systemAccountModules: Set<String> = [
    "pam_unix.so", "pam_sss.so", "pam_ldap.so", "pam_winbind.so", "pam_userdb.so", "pam_krb5.so",
  ]

  func checkStackLines(_ service: String, type: String) -> DoctorCheck {
    let name = "pam-\(type)-line"
    let stack = stack(service)
    let lines = stack.lines(type)
    let call = type == "auth" ? "pam_authenticate" : "pam_acct_mgmt"
    guard let index = lines.firstIndex(where: { $0.moduleName == DoctorPaths.moduleFileName }) else {
      let why =
        type == "account"
        ? "saslauthd calls pam_acct_mgmt after pam_authenticate, so every login fails with 'PAM acct error'"
        : "saslauthd's pam_authenticate never reaches pam_swiftsql"
      let others = lines.map { "\($0.moduleName) (\($0.origin))" }
      return .failure(
        name,
        "\(stack.path) has no \(type) line for pam_swiftsql.so"
          + (others.isEmpty ? "" : "; its \(type) stack: " + others.joined(separator: ", ")) + ": \(why)",
        fix: "\(type == "auth" ? "auth   " : "account") required pam_swiftsql.so  (a line in \(stack.path))")
    }
    let ours = lines[index]
    let before = lines[..<index].filter {
      Doctor.systemAccountModules.contains($0.moduleName) || $0.moduleName == "pam_deny.so"
    }
    let finishes = ours.control == "sufficient" || ours.control.contains("success=done")
    // After a required pam_swiftsql, a required pam_unix (or a pam_deny
    // that a failing pam_unix falls through to) fails the stack.
    let after = lines[(index + 1)...].filter {
      (Doctor.systemAccountModules.contains($0.moduleName) || $0.moduleName == "pam_deny.so")
        && ($0.control == "required" || $0.control == "requisite")
    }
    let blocking = Array(before) + (finishes ? [] : Array(after))
    if let first = blocking.first {
      return .failure(
        name,
        "the \(type) stack of \(stack.path) also runs \(first.moduleName) (\(first.control), \(first.origin)) "
          + "\(before.contains(first) ? "before" : "after") pam_swiftsql: it refuses users that exist only in SQL, "
          + "so \(call) fails",
        fix: "remove that line (or the @include that brings it) from \(stack.path); pam_swiftsql alone decides")
    }
    return .ok(name, "\(ours.origin): \(ours.type) \(ours.control) \(ours.module)")
  }

  func checkModuleFile(_ service: String) -> [DoctorCheck] {
    let name = "pam-module"
    let stack = stack(service)
    var seen: [String] = []
    var checks: [DoctorCheck] = []
    for line in stack.lines where line.moduleName == DoctorPaths.moduleFileName {
      let path = DoctorPaths.modulePath(line.module)
      if seen.contains(path) { continue }
      seen.append(path)
      let install = "install -m 0644 build/pam_swiftsql.so \(path)"
      switch tree.resolve(path) {
      case .failure(let reason):
        checks.append(
          .failure(
            name, "\(line.origin) loads \(line.module), but \(reason.message): libpam cannot load the module",
            fix: install))
      case .success(let resolved) where resolved.status.type != .regular:
        checks.append(
          .failure(
            name, "\(path) (from \(line.origin)) is a \(resolved.status.type.rawValue), not a module", fix: install))
      case .success(let resolved):
        if let problem = DoctorSystem.loadModule(
          tree.hostPath(resolved.path), symbols: ["pam_sm_authenticate", "pam_sm_acct_mgmt"])
        {
          checks.append(
            .failure(name, "\(path) (from \(line.origin)) does not load: \(problem)", fix: install))
        } else if resolved.status.mode & 0o022 != 0 {
          checks.append(
            .failure(
              name,
              "\(path) is writable by others (\(accounts.ownership(resolved.status)) "
                + "\(octalMode(resolved.status.mode))): anyone who can write it runs code inside saslauthd",
              fix: "chmod 0644 \(path); chown root:root \(path)"))
        } else {
          checks.append(
            .ok(name, "\(path) (from \(line.origin)) loads and defines pam_sm_authenticate and pam_sm_acct_mgmt"))
        }
      }
    }
    return checks
  }
}
