// `pam-swiftsql doctor --serve`: the checks of the swiftsql-authd chain
// instead of saslauthd's. The daemon's options come from its running
// process (its command line) or else /etc/default/swiftsql-authd; then: it
// is installed and runs, never as root; its user exists and is in no group
// it does not need; it can read each configuration file, which nobody but
// root can write; Postfix's smtpd can reach its sockets (the directories'
// group, the postfix user in it); each SASL smtpd service points at them
// (libsasl2's saslauthd_path for smtpd_sasl_type = cyrus, smtpd_sasl_path
// for smtpd_sasl_type = dovecot, inside the chroot when it is chrooted);
// and, on a live system, its status answer and, with --login and a
// password, one login through its saslauthd socket.

import SaslauthdClient
import SwiftSQLCore
import SwiftSQLServe
import SwiftSQLSystem

extension Doctor {
  static let serveDefaultsPath = "/etc/default/swiftsql-authd"
  static let serveBinary = "/usr/sbin/swiftsql-authd"
  static let restartServe = "systemctl restart swiftsql-authd.socket swiftsql-authd.service"

  /// A running swiftsql-authd: its pid, command line and identity.
  struct ServeProcess {
    let processID: Int
    let commandLine: [String]
    let identity: DoctorSystem.Identity?
  }

  func findServeProcess() -> ServeProcess? {
    guard runtimeNotJudged == nil else { return nil }
    for entry in tree.list("/proc") {
      guard let pid = Int(entry),
        case .success(let bytes) = DoctorSystem.readFile(tree.hostPath("/proc/\(entry)/cmdline"))
      else { continue }
      let arguments = bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
      guard let program = arguments.first, SystemTree.lastComponent(program) == "swiftsql-authd" else { continue }
      return ServeProcess(
        processID: pid, commandLine: arguments,
        identity: tree.text("/proc/\(entry)/status").flatMap(SaslauthdInstance.parseStatus))
    }
    return nil
  }

  /// The daemon's options and where they were read.
  func serveOptions(_ process: ServeProcess?) -> Result<(ServeOptions, String), ServeUsageError> {
    let arguments: [String]
    let source: String
    if let process {
      arguments = Array(process.commandLine.dropFirst())
      source = "the running swiftsql-authd (pid \(process.processID))"
    } else {
      // A backslash-newline continues a line (the shell and systemd agree).
      let text = (tree.text(Doctor.serveDefaultsPath) ?? "").split(separator: "\\\n", omittingEmptySubsequences: false)
        .joined()
      arguments = SaslauthdDefaults.parse(text).options?.words ?? []
      source = tree.exists(Doctor.serveDefaultsPath) ? Doctor.serveDefaultsPath : "the daemon's defaults"
    }
    do {
      switch try ServeOptions.parse(arguments) {
      case .serve(let options), .check(let options): return .success((options, source))
      case .help, .version: return .success((ServeOptions(), source))
      }
    } catch {
      return .failure(ServeUsageError("\(source): \(error.message)"))
    }
  }

  /// Every check of the swiftsql-authd chain.
  func runServe() -> DoctorReport {
    let process = findServeProcess()
    run("serve-installed") {
      tree.exists(Doctor.serveBinary)
        ? [.ok("serve-installed", "\(Doctor.serveBinary) is installed")]
        : [
          .failure(
            "serve-installed", "\(Doctor.serveBinary) does not exist", fix: "apt-get install swiftsql-authd")
        ]
    }
    var serve = ServeOptions()
    var source = ""
    run("serve-options") {
      switch serveOptions(process) {
      case .success(let (found, from)):
        serve = found
        source = from
        let sockets = [found.saslauthdSocket, found.dovecotSocket].compactMap { $0 }.joined(separator: ", ")
        return [.ok("serve-options", "from \(from): configuration \(found.config), sockets \(sockets)")]
      case .failure(let problem):
        return [
          .failure(
            "serve-options", problem.message,
            fix: "correct OPTIONS in \(Doctor.serveDefaultsPath) (swiftsql-authd --help lists them)")
        ]
      }
    }
    run("serve-running") { [checkServeRunning(process)] }
    let user = serveUser(process, serve)
    run("serve-user", needs: ["serve-options"]) { checkServeUser(user, serve) }
    run("serve-config", needs: ["serve-options"]) { checkServeConfig(user, serve) }
    run("serve-socket", needs: ["serve-options"]) { checkServeSockets(serve) }
    run("serve-postfix", needs: ["serve-options"]) { checkServePostfix(serve) }
    if tree.root.isEmpty {
      run("serve-status", needs: ["serve-options"]) { checkServeStatus(serve) }
      if let login = options.login, let password = options.password {
        run("serve-login", needs: ["serve-socket"]) { [checkServeLogin(serve, login, password)] }
      }
    }
    note("checked the swiftsql-authd chain (options from \(source.isEmpty ? "nowhere" : source))")
    return report
  }

  func checkServeRunning(_ process: ServeProcess?) -> DoctorCheck {
    if let unjudged = notJudged("serve-running") { return unjudged }
    guard let process else {
      return .warning(
        "serve-running",
        "no swiftsql-authd process: with socket activation it starts at the first connection",
        fix: "systemctl enable --now swiftsql-authd.socket (without systemd: /etc/init.d/swiftsql-authd start)")
    }
    if let identity = process.identity, identity.uid == 0 {
      return .failure(
        "serve-running", "swiftsql-authd (pid \(process.processID)) runs as root",
        fix: "start it as root only to open its sockets, with --user (it switches), or from its unit")
    }
    let who = process.identity.map { accounts.user(id: $0.uid)?.name ?? "uid \($0.uid)" } ?? "an unknown user"
    return .ok("serve-running", "swiftsql-authd runs (pid \(process.processID)) as \(who)")
  }

  /// The daemon's user: the running process's, else --user.
  func serveUser(_ process: ServeProcess?, _ options: ServeOptions) -> SystemAccounts.User? {
    if let uid = process?.identity?.uid, uid != 0, let user = accounts.user(id: uid) { return user }
    return accounts.user(options.user)
  }

  func checkServeUser(_ user: SystemAccounts.User?, _ options: ServeOptions) -> [DoctorCheck] {
    let name = "serve-user"
    guard let user else {
      return [
        .failure(
          name, "there is no user \(options.user) in /etc/passwd",
          fix: "apt-get install swiftsql-authd (its postinst makes \(ServeOptions.defaultUser)), or give --user")
      ]
    }
    if user.uid == 0 {
      return [.failure(name, "--user \(user.name) is root", fix: "use the package's \(ServeOptions.defaultUser)")]
    }
    let others = accounts.groups.filter { $0.members.contains(user.name) && $0.gid != user.gid }
    if !others.isEmpty {
      return [
        .warning(
          name,
          "\(user.name) is also in group \(others.map { $0.name }.joined(separator: ", ")); it needs none "
            + "(it drops supplementary groups when it switches, but a unit's User= keeps them)",
          fix: others.map { "gpasswd -d \(user.name) \($0.name)" }.joined(separator: "; "))
      ]
    }
    return [.ok(name, "\(user.name) (uid \(user.uid)) is in its own group only")]
  }

  func checkServeConfig(_ user: SystemAccounts.User?, _ options: ServeOptions) -> [DoctorCheck] {
    let name = "serve-config"
    let principal = user.map { accounts.principal(for: $0) }
    var files = [options.config]
    for file in options.services.values.sorted() where !files.contains(file) { files.append(file) }
    var checks: [DoctorCheck] = []
    for file in files {
      guard case .success(let resolved) = tree.resolve(file) else {
        checks.append(.failure(name, "\(file) does not exist", fix: "write it (pam_swiftsql.conf(5))"))
        continue
      }
      let status = resolved.status
      let modeText = "\(accounts.ownership(status)) \(octalMode(status.mode))"
      if status.owner != 0 || status.mode & 0o002 != 0 || (status.mode & 0o020 != 0 && status.group != 0) {
        checks.append(
          .failure(
            name, "\(file) is \(modeText): someone other than root may change it, so the daemon refuses it",
            fix: "chown root \(file); chmod go-w \(file)"))
        continue
      }
      if let principal, let user {
        let blocked = tree.ancestors(of: resolved.path).first { !principal.canSearch($0.status) }
        if let blocked {
          checks.append(
            .failure(
              name, "\(user.name) cannot enter \(describe(blocked)) to read \(file)", fix: "chmod o+x \(blocked.path)"))
          continue
        }
        if !principal.canRead(status) {
          let group = accounts.group(id: user.gid)?.name ?? String(user.gid)
          checks.append(
            .failure(
              name, "\(file) is \(modeText): \(user.name) cannot read it",
              fix: "chgrp \(group) \(file); chmod 0640 \(file) (it may hold the database password)"))
          continue
        }
      }
      if status.mode & 0o004 != 0 {
        checks.append(
          .warning(
            name, "\(file) is \(modeText): everyone can read it (and the database password in it, if any)",
            fix: "chmod o-r \(file)"))
        continue
      }
      checks.append(
        .ok(name, "\(file) is \(modeText): \(user?.name ?? "the daemon") can read it, only root can change it"))
    }
    return checks
  }

  /// The daemon's sockets, with the protocol each speaks.
  func serveSockets(_ options: ServeOptions) -> [(protocolName: String, path: String)] {
    var sockets: [(String, String)] = []
    if let path = options.saslauthdSocket { sockets.append(("saslauthd", path)) }
    if let path = options.dovecotSocket { sockets.append(("Dovecot auth-client", path)) }
    return sockets
  }

  func checkServeSockets(_ options: ServeOptions) -> [DoctorCheck] {
    let name = "serve-socket"
    var checks: [DoctorCheck] = []
    let postfix = postfixUser.map { accounts.principal(for: $0) }
    for (protocolName, path) in serveSockets(options) {
      guard case .success(let resolved) = tree.resolve(path) else {
        checks.append(
          .failure(
            name, "there is no \(protocolName) socket at \(path)",
            fix: "systemctl start swiftsql-authd.socket (its ListenStream= must name \(path)), or start the daemon"))
        continue
      }
      guard resolved.status.type == .socket else {
        checks.append(
          .failure(
            name, "\(path) is a \(resolved.status.type.rawValue), not a socket",
            fix: "rm \(path); \(Doctor.restartServe)"))
        continue
      }
      guard let postfix, let postfixUser else {
        checks.append(.ok(name, "\(path) (\(protocolName)) exists; there is no postfix user to check it for"))
        continue
      }
      if let blocked = tree.ancestors(of: resolved.path).first(where: { !postfix.canSearch($0.status) }) {
        let group = accounts.group(id: blocked.status.group)?.name ?? String(blocked.status.group)
        checks.append(
          .failure(
            name, "\(describe(blocked)) lets neither postfix's groups nor others in: Postfix cannot reach \(path)",
            fix: blocked.status.mode & 0o010 != 0
              ? "adduser \(postfixUser.name) \(group), then: systemctl restart postfix" : "chmod g+x \(blocked.path)"))
        continue
      }
      if !postfix.canWrite(resolved.status) {
        checks.append(
          .failure(
            name, "\(path) is \(octalMode(resolved.status.mode)): postfix may not connect (it needs write permission)",
            fix: "SocketMode=0777 in swiftsql-authd.socket (the directory guards it)"))
        continue
      }
      let directory = tree.ancestors(of: resolved.path).last.map(describe) ?? "?"
      checks.append(.ok(name, "postfix can reach \(path) (\(protocolName)); its directory is \(directory)"))
    }
    return checks
  }

  func checkServePostfix(_ options: ServeOptions) -> [DoctorCheck] {
    let name = "serve-postfix"
    guard let postfix else {
      return [.warning(name, "Postfix's configuration was not found", fix: "apt-get install postfix")]
    }
    if postfix.saslServices.isEmpty {
      return [
        .warning(
          name, "no smtpd service of master.cf enables SASL (smtpd_sasl_auth_enable)",
          fix: "add a submission service: /usr/share/doc/swiftsql-authd/examples/postfix-master-swiftsql-authd.cf")
      ]
    }
    var checks: [DoctorCheck] = []
    for service in postfix.saslServices {
      let describedService = PostfixSetup.describe(service)
      let chroot = postfix.isChrooted(service) ? postfix.queueDirectory : "/"
      switch postfix.value("smtpd_sasl_type", for: service).lowercased() {
      case "dovecot":
        let written = postfix.value("smtpd_sasl_path", for: service)
        // A relative path is relative to the queue directory, chrooted or not.
        let outside =
          written.hasPrefix("/")
          ? (chroot == "/" ? written : chroot + SystemTree.normalized(written))
          : SystemTree.join(postfix.queueDirectory, written)
        guard let socket = options.dovecotSocket else {
          checks.append(
            .failure(
              name,
              "\(describedService) uses smtpd_sasl_type = dovecot, and the daemon runs with --dovecot-socket none",
              fix: "give the daemon --dovecot-socket \(outside)"))
          continue
        }
        if sameFile(outside, socket) {
          checks.append(.ok(name, "\(describedService): smtpd_sasl_path = \(written) is swiftsql-authd's \(socket)"))
        } else {
          checks.append(
            .failure(
              name,
              "\(describedService): smtpd_sasl_path = \(written) is \(outside), but swiftsql-authd listens on \(socket)",
              fix: SystemTree.isInside(socket, postfix.queueDirectory)
                ? "-o smtpd_sasl_path=\(socket.dropFirst(postfix.queueDirectory.count + 1)) on that service"
                : "put the socket inside \(postfix.queueDirectory) (--dovecot-socket and the socket unit)"))
        }
      case "cyrus":
        let target = postfixTarget(service)
        let file = saslConfig(postfix.saslApplicationName(for: service))
        guard let socket = options.saslauthdSocket else {
          checks.append(
            .failure(
              name, "\(describedService) uses libsasl2, and the daemon runs with --socket none",
              fix: "give the daemon --socket \(target.outside)"))
          continue
        }
        let method = file.file?.options["pwcheck_method"] ?? ""
        if !method.split(separator: " ").contains("saslauthd") {
          checks.append(
            .failure(
              name, "\(describedService): pwcheck_method is '\(method)' in \(file.path ?? "no smtpd.conf")",
              fix: "pwcheck_method: saslauthd in \(file.path ?? "/etc/postfix/sasl/smtpd.conf")"))
        } else if sameFile(target.outside, socket) {
          checks.append(
            .ok(name, "\(describedService): saslauthd_path \(target.written) is swiftsql-authd's \(socket)"))
        } else {
          let inside =
            target.chroot != "/" && SystemTree.isInside(socket, target.chroot)
            ? String(socket.dropFirst(target.chroot.count)) : socket
          checks.append(
            .failure(
              name,
              "\(describedService): saslauthd_path \(target.written)\(target.isDefault ? " (the default)" : "") is "
                + "\(target.outside), but swiftsql-authd listens on \(socket)",
              fix: target.chroot != "/" && !SystemTree.isInside(socket, target.chroot)
                ? "put the socket inside \(target.chroot) (--socket and the socket unit)"
                : "saslauthd_path: \(inside) in \(file.path ?? "/etc/postfix/sasl/smtpd.conf")"))
        }
      default:
        checks.append(
          .warning(
            name, "\(describedService): smtpd_sasl_type = \(postfix.value("smtpd_sasl_type", for: service))",
            fix: "smtpd_sasl_type = dovecot (or cyrus with pwcheck_method: saslauthd)"))
      }
    }
    return checks
  }

  func checkServeStatus(_ serve: ServeOptions) -> [DoctorCheck] {
    let name = "serve-status"
    guard let path = serve.statusSocket else { return [] }
    guard case .success(let descriptor) = SaslauthdSocket.connect(path: path) else {
      return [
        .warning(
          name, "no answer on the status socket \(path) (the daemon starts at the first connection)",
          fix: "pam-swiftsql status -f \(path) once it runs")
      ]
    }
    defer { System.closeDescriptor(descriptor) }
    guard let bytes = SaslauthdSocket.readToEnd(descriptor, limit: 1 << 16, timeoutSeconds: self.options.timeout)
    else {
      return [.warning(name, "the status socket \(path) did not answer", fix: Doctor.restartServe)]
    }
    var values: [String: String] = [:]
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
      let parts = line.split(separator: " ", maxSplits: 1)
      if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
    }
    let summary = ["logins", "accepted", "failures", "outages", "errors", "latency_p99_ms"].map {
      "\($0) \(values[$0] ?? "?")"
    }.joined(separator: ", ")
    if let outages = values["outages"], outages != "0" {
      return [
        .warning(
          name, "\(summary): the database was unavailable for some logins",
          fix: "grep 'database unavailable' /var/log/auth.log")
      ]
    }
    return [.ok(name, summary)]
  }

  func checkServeLogin(_ serve: ServeOptions, _ login: String, _ password: SecretBytes) -> DoctorCheck {
    let name = "serve-login"
    guard let socket = serve.saslauthdSocket else {
      return .warning(name, "the daemon has no saslauthd socket to try the login on", fix: "")
    }
    let request = password.withBytes {
      SaslauthdRequest(
        login: Array(login.utf8), password: Array($0), service: Array((options.service ?? "smtp").utf8), realm: [])
    }
    switch SaslauthdSocket.exchange(request, path: socket, timeoutSeconds: options.timeout) {
    case .success(let reply) where reply.isOK:
      return .ok(name, "\(login) logs in through \(socket)")
    case .success(let reply):
      return .failure(
        name, "\(login) is refused through \(socket): \(reply.text)",
        fix: "grep swiftsql-authd /var/log/auth.log (its failure line says why)")
    case .failure(let error):
      return .failure(name, error.message, fix: Doctor.restartServe)
    }
  }
}
