// The doctor's saslauthd checks: is it running (the process list), does
// /etc/default/saslauthd agree with what runs, and its options — `-a pam`
// (else PAM is never asked), `-r` (else the domain of `alice@example.org`
// is dropped before PAM sees it), `-c` (a changed password keeps working
// from the cache) and `-n` (processes; each keeps its own database
// connection).

extension Doctor {
  func runSaslauthdChecks() {
    run("saslauthd-running") { [checkRunning()] }
    run("saslauthd-defaults") { checkDefaults() }
    run("saslauthd-unit") { checkUnit() }
    run("saslauthd-mechanism") { checkMechanism() }
    run("saslauthd-realm") { checkRealm() }
    run("saslauthd-cache") { checkCache() }
    run("saslauthd-workers") { checkWorkers() }
  }

  func checkRunning() -> DoctorCheck {
    let name = "saslauthd-running"
    if let unjudged = notJudged(name) { return unjudged }
    guard let instance else {
      if let socket = options.socket, !instances.isEmpty {
        let others = instances.map { "-m \($0.options.runPath ?? SaslauthdOptions.defaultRunPath)" }
        return .failure(
          name, "no running saslauthd listens on \(socket); running: " + others.joined(separator: "; "),
          fix: "start saslauthd with -m \(SystemTree.parent(of: socket)), or check --socket")
      }
      let start = defaultsFile?.start ?? ""
      let fix: String
      if let unit {
        fix =
          (unit.enabled ? Doctor.restartSaslauthd : "systemctl enable --now saslauthd")
          + "; if it does not start: systemctl status saslauthd, journalctl -u saslauthd"
      } else {
        fix =
          start == "yes"
          ? "\(Doctor.restartSaslauthd); if it exits at once, run it by hand to see why: saslauthd -d -a pam -m DIR"
          : "START=yes in \(defaultsPath), then: \(Doctor.restartSaslauthd)"
      }
      return .failure(name, "no saslauthd process is running (read /proc/*/cmdline)", fix: fix)
    }
    var evidence =
      "saslauthd runs as \(instance.principal.name), pid \(instance.processIDs.first ?? 0) "
      + "(\(DoctorReport.plural(instance.processIDs.count, "process"))): \(instance.commandText)"
    let others = instances.filter { $0 != instance }
    if !others.isEmpty {
      evidence +=
        "; also running: "
        + others.map { "-m \($0.options.runPath ?? SaslauthdOptions.defaultRunPath)" }.joined(separator: ", ")
    }
    return .ok(name, evidence)
  }

  func checkDefaults() -> [DoctorCheck] {
    let name = "saslauthd-defaults"
    guard let defaultsFile else {
      return [
        .warning(
          name, "there is no \(defaultsPath): Debian's init script cannot start saslauthd",
          fix: "apt-get install sasl2-bin (it installs \(defaultsPath))")
      ]
    }
    if let params = defaultsFile.params, (defaultsFile.options ?? "").isEmpty {
      let reader =
        unit == nil
        ? "Debian's init script does not read: it starts saslauthd with OPTIONS' default \""
          + SaslauthdDefaults.defaultOptions + "\""
        : "\(SaslauthdUnit.name) does not read: its ExecStart passes $OPTIONS, which is empty"
      return [
        .failure(
          name, "\(defaultsPath) sets PARAMS=\"\(params)\", which \(reader)",
          fix: "rename PARAMS to OPTIONS in \(defaultsPath): OPTIONS=\"\(params)\", then: "
            + Doctor.restartSaslauthd)
      ]
    }
    var notes: [String] = []
    if unit != nil {
      let ignored = allDefaultsFiles.map { $0.path }.filter { path in !defaultsFiles.contains { $0.path == path } }
      if !ignored.isEmpty {
        notes.append(
          "\(ignored.joined(separator: ", ")) \(ignored.count == 1 ? "is" : "are") ignored: \(SaslauthdUnit.name) "
            + "reads only \(defaultsPath) (Debian bug #1110485)")
      }
    }
    let file = startOptions(defaultsFile)
    guard let instance else {
      return [.ok(name, "\(defaultsPath) gives: \(file.summary), started by \(starter)")]
    }
    let running = instance.options
    var major: [String] = []
    if running.mechanism != file.mechanism {
      major.append("-a \(running.mechanism ?? "(none)") running, -a \(file.mechanism ?? "(none)") in the file")
    }
    if running.realm != file.realm {
      major.append(running.realm ? "-r running but not in the file" : "-r in the file but not running")
    }
    let runningPath = running.runPath ?? SaslauthdOptions.defaultRunPath
    let filePath = file.runPath ?? SaslauthdOptions.defaultRunPath
    if !sameFile(runningPath, filePath) { major.append("-m \(runningPath) running, -m \(filePath) in the file") }
    var minor: [String] = []
    if running.cache != file.cache { minor.append(running.cache ? "-c running only" : "-c in the file only") }
    if running.effectiveWorkers != file.effectiveWorkers {
      minor.append("-n \(running.effectiveWorkers) running, -n \(file.effectiveWorkers) in the file")
    }
    if running.effectiveCacheTimeout != file.effectiveCacheTimeout {
      minor.append("-t \(running.effectiveCacheTimeout) running, -t \(file.effectiveCacheTimeout) in the file")
    }
    let disagreement = (major + minor).joined(separator: "; ")
    if !major.isEmpty {
      // The running daemon is the better guide when it has what the chain
      // needs and the file does not: then the file must change.
      let runningIsBetter =
        (running.realm && !file.realm) || (running.mechanism == "pam" && file.mechanism != "pam")
        || (postfixNeedsChroot && isInsideChroot(runningPath) && !isInsideChroot(filePath))
      let fix =
        runningIsBetter
        ? "make \(defaultsPath) say what runs: OPTIONS=\"\(optionsText(running))\""
          + (running.mechanism.map { " and MECHANISMS=\"\($0)\"" } ?? "")
        : "\(Doctor.restartSaslauthd) (to start it with what \(defaultsPath) says)"
      return [
        .failure(
          name,
          "the running saslauthd and \(defaultsPath) disagree: \(disagreement); "
            + (runningIsBetter ? "the next restart loses what works now" : "the file's settings are not in effect"),
          fix: fix)
      ]
    }
    if !minor.isEmpty {
      return [
        .warning(
          name, "the running saslauthd and \(defaultsPath) differ: \(disagreement)",
          fix: "\(Doctor.restartSaslauthd), or change \(defaultsPath) to what should run")
      ]
    }
    if let unit, !unit.enabled {
      return [
        .warning(
          name,
          "\(defaultsPath) agrees with the running saslauthd, but \(SaslauthdUnit.name) is not enabled "
            + "(sasl2-bin installs it disabled): nothing starts saslauthd at boot",
          fix: "systemctl enable saslauthd")
      ]
    }
    if unit == nil, defaultsFile.start != "yes" {
      return [
        .warning(
          name,
          "\(defaultsPath) agrees with the running saslauthd, but START is "
            + "\(defaultsFile.start.map { "\"\($0)\"" } ?? "not set"): the init script will not start it at boot",
          fix: "START=yes in \(defaultsPath)")
      ]
    }
    if !notes.isEmpty {
      return [
        .warning(
          name, "\(defaultsPath) agrees with the running saslauthd (\(file.summary)); " + notes.joined(separator: "; "),
          fix: "put the settings of the saslauthd Postfix uses into \(defaultsPath), and remove the others")
      ]
    }
    return [.ok(name, "\(defaultsPath) agrees with the running saslauthd (\(file.summary)), started by \(starter)")]
  }

  /// OPTIONS for a daemon's command line: everything but -a, -O and -n.
  func optionsText(_ options: SaslauthdOptions) -> String {
    var words: [String] = []
    if options.cache { words.append("-c") }
    if options.realm { words.append("-r") }
    words += ["-m", options.runPath ?? SaslauthdOptions.defaultRunPath]
    if let timeout = options.cacheTimeout { words += ["-t", String(timeout)] }
    return words.joined(separator: " ")
  }

  /// Whether some Postfix service that uses saslauthd is chrooted.
  var postfixNeedsChroot: Bool {
    guard let postfix else { return false }
    return postfix.cyrusServices.contains { postfix.isChrooted($0) }
  }

  func isInsideChroot(_ directory: String) -> Bool {
    guard let queue = postfix?.queueDirectory else { return false }
    let resolved: String
    if case .success(let found) = tree.resolve(directory) { resolved = found.path } else { resolved = directory }
    return SystemTree.isInside(SystemTree.normalized(resolved), queue)
  }

  func checkMechanism() -> [DoctorCheck] {
    guard let saslauthd else { return [] }
    let name = "saslauthd-mechanism"
    guard let mechanism = saslauthd.options.mechanism else {
      return [
        .failure(
          name, "\(saslauthd.source) has no -a: saslauthd refuses to start without a mechanism",
          fix: "MECHANISMS=\"pam\" in \(defaultsPath), then: \(Doctor.restartSaslauthd)")
      ]
    }
    if mechanism == "pam" {
      return [.ok(name, "-a pam in \(saslauthd.source): saslauthd asks PAM, which loads pam_swiftsql")]
    }
    return [
      .failure(
        name,
        "-a \(mechanism) in \(saslauthd.source): saslauthd never calls PAM, so pam_swiftsql is never asked",
        fix: "MECHANISMS=\"pam\" in \(defaultsPath), then: \(Doctor.restartSaslauthd)")
    ]
  }

  func checkRealm() -> [DoctorCheck] {
    guard let saslauthd else { return [] }
    let name = "saslauthd-realm"
    if saslauthd.options.realm {
      return [
        .ok(
          name,
          "-r in \(saslauthd.source): libsasl2 sends alice@example.org as 'alice' + realm 'example.org', "
            + "and saslauthd joins them again, so PAM sees the whole address")
      ]
    }
    let evidence =
      "no -r in \(saslauthd.source): Postfix's libsasl2 sends alice@example.org as 'alice' + realm "
      + "'example.org', and saslauthd passes only 'alice' to PAM"
    if let domain = configuration?.settings.defaultDomain {
      return [
        .warning(
          name,
          evidence + "; default_domain = \(domain) turns every login into …@\(domain), whatever domain was typed",
          fix: fixAdding("-r"))
      ]
    }
    return [
      .failure(
        name, evidence + ", which pam_swiftsql refuses (the login has no '@domain')", fix: fixAdding("-r"))
    ]
  }

  func checkCache() -> [DoctorCheck] {
    guard let saslauthd else { return [] }
    let name = "saslauthd-cache"
    let options = saslauthd.options
    guard options.cache else {
      return [.ok(name, "no -c in \(saslauthd.source): a password changed in SQL takes effect at once")]
    }
    let seconds = options.effectiveCacheTimeout
    let hours = seconds % 3600 == 0 ? " = \(seconds / 3600) hours" : ""
    return [
      .warning(
        name,
        "-c in \(saslauthd.source): saslauthd caches successful logins, so after a password is changed in SQL "
          + "the old one keeps working until its cache entry expires (-t \(seconds) s\(hours)"
          + (options.cacheTimeout == nil ? ", the default" : "") + ")",
        fix: "\(Doctor.restartSaslauthd) after changing passwords (it empties the cache), "
          + "or remove -c from OPTIONS in \(defaultsPath)")
    ]
  }

  func checkWorkers() -> [DoctorCheck] {
    guard let saslauthd else { return [] }
    let name = "saslauthd-workers"
    let workers = saslauthd.options.effectiveWorkers
    let running = instance.map { ", \(DoctorReport.plural($0.processIDs.count, "process")) running" } ?? ""
    if workers == 0 {
      return [
        .warning(
          name,
          "-n 0 in \(saslauthd.source): saslauthd forks a new process for every login, so pam_swiftsql "
            + "opens a new database connection each time",
          fix: "THREADS=5 in \(defaultsPath) (or -n 5), then: \(Doctor.restartSaslauthd)")
      ]
    }
    return [
      .ok(
        name,
        "-n \(workers)\(saslauthd.options.workers == nil ? " (the default)" : "") in \(saslauthd.source)\(running): "
          + "each process keeps its own database connection")
    ]
  }
}
