// The doctor's socket checks: saslauthd's socket exists and is a socket;
// every directory on its way lets group sasl (or everyone) in, and the
// socket itself is writable (saslauthd makes it 0777; the directory decides
// who may connect); the postfix user is in group sasl when that is what lets
// it in; and a connection succeeds — as root, and as the postfix user, in a
// child process that takes postfix's uid and groups.

import SwiftSQLSystem

extension Doctor {
  func runSocketChecks() {
    run("socket-exists") { [checkSocketExists()] }
    run("socket-permissions", needs: ["socket-exists"]) { checkSocketPermissions() }
    run("postfix-sasl-group") { checkPostfixGroup() }
    run("socket-connect", needs: ["saslauthd-running", "socket-exists", "socket-permissions", "postfix-sasl-group"]) {
      [checkSocketConnect()]
    }
  }

  var socketSource: String {
    options.socket != nil ? "--socket" : (saslauthd.map { "-m in \($0.source)" } ?? "saslauthd's default")
  }

  func checkSocketExists() -> DoctorCheck {
    let name = "socket-exists"
    switch resolvedSocket {
    case .failure(let reason):
      // A tree without a running saslauthd has no socket to show.
      if let unjudged = notJudged(name) { return unjudged }
      let fix =
        instance == nil
        ? "start saslauthd (see saslauthd-running); it creates \(socketPath)"
        : "mkdir -p \(SystemTree.parent(of: socketPath)), then: \(Doctor.restartSaslauthd)"
      return .failure(name, "there is no socket at \(socketPath) (from \(socketSource)): \(reason.message)", fix: fix)
    case .success(let resolved) where resolved.status.type != .socket:
      return .failure(
        name, "\(socketPath) is a \(resolved.status.type.rawValue), not a socket",
        fix: "rm \(socketPath), then: \(Doctor.restartSaslauthd)")
    case .success(let resolved):
      let via = resolved.path == SystemTree.normalized(socketPath) ? "" : " (it resolves to \(resolved.path))"
      return .ok(name, "\(socketPath) is a socket\(via), from \(socketSource)")
    }
  }

  /// A member of group sasl who is neither root nor an owner: what the
  /// directories must let through.
  var saslMember: Principal {
    Principal(
      name: "group sasl", uid: UInt32.max - 1,
      groups: saslGroup.map { [$0.gid] } ?? [])
  }

  /// The directories on the way to the socket that `principal` cannot enter.
  func blockingDirectories(for principal: Principal) -> [SystemTree.Resolved] {
    guard case .success(let resolved) = resolvedSocket else { return [] }
    return tree.ancestors(of: resolved.path).filter { !principal.canSearch($0.status) }
  }

  func describe(_ entry: SystemTree.Resolved) -> String {
    "\(entry.path) (\(accounts.ownership(entry.status)) \(octalMode(entry.status.mode)))"
  }

  func checkSocketPermissions() -> [DoctorCheck] {
    let name = "socket-permissions"
    guard case .success(let socket) = resolvedSocket else { return [] }
    let runDirectory = SystemTree.parent(of: socket.path)
    if let blocked = blockingDirectories(for: saslMember).first {
      let fix: String
      if blocked.path != runDirectory {
        fix = "chmod o+x \(blocked.path)"
      } else if unit != nil {
        fix =
          "chgrp sasl \(blocked.path); chmod 0710 \(blocked.path) (\(Doctor.dropInPath)'s ExecStartPre keeps it so: "
          + "see saslauthd-unit)"
      } else {
        fix =
          "dpkg-statoverride --update --add root sasl 710 \(blocked.path) (or: chgrp sasl \(blocked.path); "
          + "chmod 0710 \(blocked.path))"
      }
      return [
        .failure(
          name,
          "\(describe(blocked)) lets neither group sasl nor others enter it: Postfix cannot reach \(socketPath)",
          fix: fix)
      ]
    }
    if !saslMember.canWrite(socket.status) {
      return [
        .failure(
          name,
          "the socket \(socketPath) is \(octalMode(socket.status.mode)) \(accounts.ownership(socket.status)): "
            + "connecting needs write permission",
          fix: "\(Doctor.restartSaslauthd) (saslauthd creates its socket 0777; the directory guards it)")
      ]
    }
    guard let directory = tree.ancestors(of: socket.path).last else { return [] }
    return [.ok(name, "group sasl can reach \(socketPath): its directory is \(describe(directory))")]
  }

  func checkPostfixGroup() -> [DoctorCheck] {
    let name = "postfix-sasl-group"
    guard let postfixUser else {
      return [
        .failure(
          name, "there is no user postfix in /etc/passwd: is Postfix installed?", fix: "apt-get install postfix")
      ]
    }
    guard let saslGroup else {
      return [
        .failure(
          name, "there is no group sasl in /etc/group", fix: "addgroup --system sasl (sasl2-bin's postinst makes it)")
      ]
    }
    if accounts.isMember(postfixUser, of: saslGroup) {
      return [.ok(name, "postfix is in group sasl (/etc/group: \(saslGroup.line))")]
    }
    let blocked = blockingDirectories(for: accounts.principal(for: postfixUser))
    if let first = blocked.first {
      return [
        .failure(
          name,
          "postfix is not in group sasl (/etc/group: \(saslGroup.line)), and \(describe(first)) lets only "
            + "its group in: Postfix's smtpd cannot reach the socket",
          fix: "adduser postfix sasl, then: systemctl restart postfix")
      ]
    }
    return [
      .warning(
        name,
        "postfix is not in group sasl (/etc/group: \(saslGroup.line)); it can reach the socket today only "
          + "because its directories are open to everyone, and Debian's init script makes the run directory "
          + "root:sasl 0710",
        fix: "adduser postfix sasl, then: systemctl restart postfix")
    ]
  }

  /// - Parameter asPostfix: also connect as the postfix user (off for
  ///   `test --explain`, whose request came from this user).
  func checkSocketConnect(asPostfix: Bool = true) -> DoctorCheck {
    let name = "socket-connect"
    if let unjudged = notJudged(name) { return unjudged }
    guard case .success(let socket) = resolvedSocket else {
      return .failure(name, "\(socketPath) does not resolve", fix: "see socket-exists")
    }
    let host = tree.hostPath(socket.path)
    if let asRoot = DoctorSystem.connectUnix(host) {
      let reason = asRoot.message
      if asRoot == .connectionRefused {
        return .failure(
          name,
          "connecting to \(socketPath) is refused (\(reason)): the socket was left by a saslauthd that no "
            + "longer runs, or by another instance",
          fix: Doctor.restartSaslauthd)
      }
      return .failure(name, "connecting to \(socketPath) failed: \(reason)", fix: Doctor.restartSaslauthd)
    }
    guard asPostfix, let postfixUser, DoctorSystem.userID == 0 else {
      return .ok(name, "connected to \(socketPath)")
    }
    let principal = accounts.principal(for: postfixUser)
    let identity = DoctorSystem.Identity(
      uid: principal.uid, gid: postfixUser.gid, groups: principal.groups.sorted())
    if let asPostfix = DoctorSystem.connectUnix(host, as: identity) {
      return .failure(
        name,
        "root can connect to \(socketPath), but \(principal.description) cannot: " + asPostfix.message,
        fix: "check ACLs and mount options on the directories above \(socketPath) (getfacl), and "
          + "that postfix is in group sasl")
    }
    return .ok(name, "connected to \(socketPath) as root and as \(principal.description)")
  }
}
