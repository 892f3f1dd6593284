// The doctor's Postfix checks: which smtpd services of master.cf offer SASL
// and through what (Cyrus SASL, i.e. saslauthd, or Dovecot); whether a
// chrooted one can see saslauthd's socket; libsasl2's smtpd.conf (its
// syntax, pwcheck_method, mech_list, and saslauthd_path, which is relative
// to the chroot); whether the security options leave PLAIN or LOGIN
// possible at all; and what smtpd_sasl_local_domain does to a bare login.
//
// Postfix passes smtpd_sasl_service (default "smtp", Postfix ≥ 2.11; before,
// the constant "smtp") to sasl_server_new as the service, which saslauthd
// hands to pam_start — so the PAM file is /etc/pam.d/smtp — while
// smtpd_sasl_path (default "smtpd"; smtpd_sasl_application_name before
// Postfix 2.3) names libsasl2's configuration file, smtpd.conf
// (postfix/src/smtpd/smtpd_sasl_glue.c: xsasl_server_init(var_smtpd_sasl_type,
// var_smtpd_sasl_path) and XSASL_SERVER_CREATE(…, service =
// var_smtpd_sasl_service, user_realm = var_smtpd_sasl_realm …); Postfix's
// sample-auth.cf: "the PAM service name for SASL authentication is smtp").
// libsasl2 (lib/checkpw.c, saslauthd_verify_password) splits the login at
// its last '@' into login and realm before writing to the socket, and for a
// bare login adds smtpd_sasl_local_domain as the realm.

extension Doctor {
  func runPostfixChecks() {
    run("postfix-sasl-services") { [checkSASLServices()] }
    run("socket-in-chroot", needs: ["postfix-sasl-services"]) { checkSocketInChroot() }
    run("smtpd-conf", needs: ["postfix-sasl-services"]) { checkSaslConfigFiles() }
    run("sasl-pwcheck-method", needs: ["smtpd-conf"]) { checkPwcheckMethod() }
    run("sasl-mech-list", needs: ["smtpd-conf"]) { checkMechList() }
    run("saslauthd-path", needs: ["smtpd-conf", "socket-in-chroot", "socket-exists"]) { checkSaslauthdPath() }
    run("smtpd-sasl-security", needs: ["postfix-sasl-services"]) { checkSecurityOptions() }
    run("smtpd-sasl-local-domain", needs: ["postfix-sasl-services"]) { checkLocalDomain() }
  }

  func checkSASLServices() -> DoctorCheck {
    let name = "postfix-sasl-services"
    let postfix: PostfixSetup
    switch postfixLoad {
    case .failure(let reason):
      return .failure(
        name, "Postfix's configuration cannot be read: \(reason.message)",
        fix: "apt-get install postfix (the doctor reads \(PostfixSetup.mainPath) and \(PostfixSetup.masterPath))")
    case .success(let setup):
      postfix = setup
    }
    let sasl = postfix.saslServices
    guard !sasl.isEmpty else {
      let smtpd = postfix.smtpdServices.map { $0.name }.joined(separator: ", ")
      return .failure(
        name,
        "no smtpd service enables SASL (smtpd_sasl_auth_enable is not yes for: \(smtpd.isEmpty ? "none" : smtpd)): "
          + "Postfix offers no AUTH",
        fix: "-o smtpd_sasl_auth_enable=yes under submission in \(PostfixSetup.masterPath) "
          + "(or smtpd_sasl_auth_enable = yes in \(PostfixSetup.mainPath)), then: postfix reload")
    }
    func describe(_ service: MasterService) -> String {
      let chroot = postfix.isChrooted(service) ? "chrooted in \(postfix.queueDirectory)" : "not chrooted"
      return "\(PostfixSetup.describe(service)): \(postfix.value("smtpd_sasl_type", for: service)), \(chroot)"
    }
    let cyrus = postfix.cyrusServices
    if cyrus.isEmpty {
      return .warning(
        name,
        "SASL through Dovecot, not saslauthd: " + sasl.map(describe).joined(separator: "; ")
          + "; the saslauthd checks do not apply to Postfix",
        fix: "smtpd_sasl_type = cyrus to authenticate through saslauthd (and pam_swiftsql), or point "
          + "Dovecot's passdb at PAM")
    }
    return .ok(name, "SASL through saslauthd: " + cyrus.map(describe).joined(separator: "; "))
  }

  func checkSocketInChroot() -> [DoctorCheck] {
    let name = "socket-in-chroot"
    guard let postfix else { return [] }
    let chrooted = postfix.cyrusServices.filter { postfix.isChrooted($0) }
    guard !chrooted.isEmpty else {
      return [
        .ok(
          name,
          "no smtpd service that uses saslauthd is chrooted (master.cf chroot column): the socket need not be "
            + "inside \(postfix.queueDirectory)")
      ]
    }
    let queue = postfix.queueDirectory
    let resolvedPath: String
    if case .success(let resolved) = resolvedSocket { resolvedPath = resolved.path } else { resolvedPath = socketPath }
    let runs = "\(PostfixSetup.describe(chrooted)) \(chrooted.count == 1 ? "runs" : "run") chrooted in \(queue)"
    if SystemTree.isInside(resolvedPath, queue) {
      return [.ok(name, "\(runs), and saslauthd's socket \(resolvedPath) is inside it")]
    }
    let directory = queue + SystemTree.normalized(SaslauthdOptions.defaultRunPath)
    let fix: String
    if unit != nil {
      fix =
        "OPTIONS=\"\(optionsWords(runPath: directory))\" in \(defaultsPath), and \(dropInFix(directory)) "
        + "(the drop-in also links /run/saslauthd/mux to the socket for the tools)"
    } else {
      fix =
        optionsLine(runPath: directory) + "; before that: dpkg-statoverride --add root sasl 710 \(directory) "
        + "(the init script makes the directory so); for the tools, a link that survives a reboot: "
        + "L+ /run/saslauthd - - - - \(directory) in /etc/tmpfiles.d/saslauthd-postfix-chroot.conf"
    }
    return [
      .failure(
        name,
        "\(runs) (master.cf chroot column), but saslauthd's socket \(resolvedPath) is outside it: smtpd cannot "
          + "see it",
        fix: fix)
    ]
  }

  /// The distinct libsasl2 application names of the Cyrus SASL services.
  var saslApplications: [(name: String, services: [MasterService])] {
    guard let postfix else { return [] }
    var result: [(name: String, services: [MasterService])] = []
    for service in postfix.cyrusServices {
      let name = postfix.saslApplicationName(for: service)
      if let index = result.firstIndex(where: { $0.name == name }) {
        result[index].services.append(service)
      } else {
        result.append((name, [service]))
      }
    }
    return result
  }

  func checkSaslConfigFiles() -> [DoctorCheck] {
    let name = "smtpd-conf"
    return saslApplications.map { application in
      let found = saslConfig(application.name)
      guard let path = found.path, let file = found.file else {
        let wanted = found.searched.first ?? "/etc/postfix/sasl/\(application.name).conf"
        return .failure(
          name,
          "no \(application.name).conf for \(PostfixSetup.describe(application.services)) (looked in "
            + found.searched.joined(separator: ", ")
            + "): libsasl2 then checks passwords with auxprop (sasldb), not saslauthd",
          fix: "printf 'pwcheck_method: saslauthd\\nmech_list: PLAIN LOGIN\\n' > \(wanted)")
      }
      if let error = file.error {
        return .failure(
          name,
          "\(path) line \(error.line): \(error.message); libsasl2 refuses the whole file, and Postfix's smtpd "
            + "cannot start SASL",
          fix: "write each option as 'key: value' in \(path), e.g. pwcheck_method: saslauthd")
      }
      // Values only for the options the doctor reads: others (an auxprop
      // plugin's sql_passwd, say) may hold secrets.
      let shown: Set<String> = ["pwcheck_method", "mech_list", "saslauthd_path"]
      let keys = file.options.keys.sorted().map { shown.contains($0) ? "\($0): \(file.options[$0] ?? "")" : $0 }
      return .ok(name, "\(path) for \(PostfixSetup.describe(application.services)): " + keys.joined(separator: ", "))
    }
  }

  func checkPwcheckMethod() -> [DoctorCheck] {
    let name = "sasl-pwcheck-method"
    return saslApplications.compactMap { application in
      let found = saslConfig(application.name)
      guard let path = found.path, let file = found.file else { return nil }
      let fix = "pwcheck_method: saslauthd in \(path), then: postfix reload"
      guard let method = file.options["pwcheck_method"] else {
        return .failure(
          name, "\(path) sets no pwcheck_method: libsasl2 uses auxprop (sasldb), so saslauthd is never asked",
          fix: fix)
      }
      if method.lowercased().words.contains("saslauthd") {
        return .ok(name, "\(path) line \(file.lines["pwcheck_method"] ?? 0): pwcheck_method: \(method)")
      }
      return .failure(
        name, "\(path) line \(file.lines["pwcheck_method"] ?? 0): pwcheck_method: \(method), not saslauthd", fix: fix)
    }
  }

  func checkMechList() -> [DoctorCheck] {
    let name = "sasl-mech-list"
    return saslApplications.compactMap { application in
      let found = saslConfig(application.name)
      guard let path = found.path, let file = found.file else { return nil }
      let fix = "mech_list: PLAIN LOGIN in \(path), then: postfix reload"
      guard let list = file.options["mech_list"] else {
        return .warning(
          name,
          "\(path) sets no mech_list: Postfix offers every installed mechanism, and CRAM-MD5 or DIGEST-MD5 "
            + "always fail through saslauthd (they need the plaintext password)",
          fix: fix)
      }
      let mechanisms = list.uppercased().words
      let served = mechanisms.filter { $0 == "PLAIN" || $0 == "LOGIN" }
      let line = file.lines["mech_list"] ?? 0
      if served.isEmpty {
        return .failure(
          name,
          "\(path) line \(line): mech_list: \(list) has neither PLAIN nor LOGIN, the only mechanisms saslauthd "
            + "can serve",
          fix: fix)
      }
      let others = mechanisms.filter { $0 != "PLAIN" && $0 != "LOGIN" }
      if !others.isEmpty {
        return .warning(
          name,
          "\(path) line \(line): mech_list: \(list) also offers \(others.joined(separator: " ")), which saslauthd "
            + "cannot serve; clients that choose it fail",
          fix: fix)
      }
      return .ok(name, "\(path) line \(line): mech_list: \(list)")
    }
  }

  func checkSaslauthdPath() -> [DoctorCheck] {
    let name = "saslauthd-path"
    guard let postfix, case .success(let socket) = resolvedSocket else { return [] }
    var seen: [String] = []
    var checks: [DoctorCheck] = []
    for service in postfix.cyrusServices {
      let target = postfixTarget(service)
      if seen.contains(target.outside) { continue }
      seen.append(target.outside)
      let application = postfix.saslApplicationName(for: service)
      let file = saslConfig(application).path ?? "/etc/postfix/sasl/\(application).conf"
      let written =
        target.isDefault
        ? "no saslauthd_path in \(file), so libsasl2's default \(target.written)"
        : "saslauthd_path: \(target.written) in \(file)"
      let inChroot = target.chroot == "/" ? "" : " inside the chroot \(target.chroot)"
      let wanted =
        target.chroot == "/" || !SystemTree.isInside(socket.path, target.chroot)
        ? socket.path
        : "/" + SystemTree.components(String(socket.path.dropFirst(target.chroot.count))).joined(separator: "/")
      let fix = "saslauthd_path: \(wanted) in \(file), then: postfix reload"
      switch tree.resolve(target.written, chroot: target.chroot) {
      case .success(let found)
      where found.path == socket.path
        || (found.status.device == socket.status.device && found.status.inode == socket.status.inode):
        checks.append(
          .ok(name, "\(written): \(PostfixSetup.describe(service)) connects to \(target.outside), saslauthd's socket"))
      case .success(let found) where found.status.type == .directory:
        checks.append(
          .failure(
            name, "\(written) names the directory \(target.outside); it must name the socket in it",
            fix: "saslauthd_path: \(SystemTree.join(SystemTree.normalized(target.written), "mux")) in \(file), then: "
              + "postfix reload"))
      case .success(let found):
        checks.append(
          .failure(
            name,
            "\(written): \(PostfixSetup.describe(service)) connects to \(target.outside)\(inChroot), which is a "
              + "\(found.status.type.rawValue) but not saslauthd's socket \(socket.path)",
            fix: fix))
      case .failure(let reason):
        let prefixed =
          target.chroot != "/" && SystemTree.isInside(SystemTree.normalized(target.written), target.chroot)
          ? " (saslauthd_path is relative to the chroot: do not repeat \(target.chroot) in it)" : ""
        checks.append(
          .failure(
            name,
            "\(written): \(PostfixSetup.describe(service)) connects to \(target.outside)\(inChroot), but "
              + "\(reason.message)\(prefixed); saslauthd listens on \(socket.path)",
            fix: fix))
      }
    }
    return checks
  }

  func checkSecurityOptions() -> [DoctorCheck] {
    let name = "smtpd-sasl-security"
    guard let postfix else { return [] }
    return postfix.cyrusServices.map { service in
      let label = PostfixSetup.describe(service)
      let value = { (parameter: String) in postfix.value(parameter, for: service) }
      let security = PostfixMainConfig.items(value("smtpd_sasl_security_options"))
      let tlsSecurity = PostfixMainConfig.items(value("smtpd_sasl_tls_security_options"))
      let authOnly = postfix.flag("smtpd_tls_auth_only", for: service)
      let level = value("smtpd_tls_security_level").lowercased()
      let wrapper = postfix.flag("smtpd_tls_wrappermode", for: service)
      let tlsWanted =
        wrapper || level == "may" || level == "encrypt"
        || (level.isEmpty
          && (postfix.flag("smtpd_use_tls", for: service) || postfix.flag("smtpd_enforce_tls", for: service)))
      let certificate = ["smtpd_tls_cert_file", "smtpd_tls_eccert_file", "smtpd_tls_chain_files"].contains {
        let file = value($0)
        return !file.isEmpty && file.lowercased() != "none"
      }
      let tls = tlsWanted && certificate
      // With wrapper mode or smtpd_tls_security_level = encrypt, nothing but
      // EHLO and STARTTLS is accepted before TLS.
      let mandatory =
        wrapper || level == "encrypt" || (level.isEmpty && postfix.flag("smtpd_enforce_tls", for: service))
      let withoutTLS = !mandatory && !authOnly && !security.contains("noplaintext")
      let withTLS = tls && !tlsSecurity.contains("noplaintext")
      if !withoutTLS && !withTLS {
        var reasons: [String] = []
        var fix = ""
        if !tls {
          reasons.append(
            tlsWanted
              ? "TLS is asked for but no certificate is set (smtpd_tls_cert_file), so there is no TLS"
              : "there is no TLS (smtpd_tls_security_level = \(level.isEmpty ? "none" : level))")
          fix =
            "smtpd_tls_security_level = may with smtpd_tls_cert_file and smtpd_tls_key_file in "
            + "\(PostfixSetup.mainPath), then: postfix reload"
        }
        if authOnly { reasons.append("smtpd_tls_auth_only = yes offers AUTH only after STARTTLS") }
        if security.contains("noplaintext") {
          reasons.append("smtpd_sasl_security_options has noplaintext, which forbids PLAIN and LOGIN")
        }
        if tls && tlsSecurity.contains("noplaintext") {
          reasons.append(
            postfix.main.isSet("smtpd_sasl_tls_security_options", overrides: service.overrides)
              ? "smtpd_sasl_tls_security_options has noplaintext too"
              : "smtpd_sasl_tls_security_options defaults to $smtpd_sasl_security_options, so noplaintext holds "
                + "over TLS too")
          fix = "-o smtpd_sasl_tls_security_options=noanonymous for \(service.name) (keep noplaintext without TLS)"
        }
        return .failure(
          name,
          "\(label): AUTH can never succeed: " + reasons.joined(separator: "; ")
            + "; saslauthd serves only PLAIN and LOGIN",
          fix: fix.isEmpty ? "smtpd_sasl_security_options = noanonymous for \(service.name)" : fix)
      }
      if withoutTLS {
        return .warning(
          name,
          "\(label): PLAIN and LOGIN are allowed without TLS, so passwords can cross the network unencrypted"
            + (tls ? "" : " (there is no TLS at all)"),
          fix: tls
            ? "-o smtpd_tls_auth_only=yes for \(service.name) (or smtpd_tls_auth_only = yes in main.cf)"
            : "configure TLS (smtpd_tls_cert_file, smtpd_tls_security_level = may), then smtpd_tls_auth_only = yes")
      }
      return .ok(
        name,
        "\(label): PLAIN and LOGIN are offered over TLS only"
          + (mandatory
            ? " (TLS is mandatory)" : authOnly ? " (smtpd_tls_auth_only = yes)" : " (noplaintext without TLS)"))
    }
  }

  func checkLocalDomain() -> [DoctorCheck] {
    let name = "smtpd-sasl-local-domain"
    guard let postfix else { return [] }
    var seen: [String] = []
    var checks: [DoctorCheck] = []
    for service in postfix.cyrusServices {
      let domain = postfix.value("smtpd_sasl_local_domain", for: service)
      if seen.contains(domain) { continue }
      seen.append(domain)
      let realm = saslauthd?.options.realm ?? false
      if domain.isEmpty {
        if let defaultDomain = configuration?.settings.defaultDomain {
          checks.append(
            .ok(
              name,
              "smtpd_sasl_local_domain is empty: a bare login (alice) reaches PAM as 'alice', and the module's "
                + "default_domain makes it alice@\(defaultDomain)"))
        } else {
          checks.append(
            .ok(
              name,
              "smtpd_sasl_local_domain is empty: users log in with their whole address; a bare login (alice) "
                + "reaches PAM without a domain and the module refuses it"))
        }
        continue
      }
      let hostname = postfix.main.value("myhostname")
      let joined =
        realm
        ? "a bare login alice becomes alice@\(domain) (libsasl2 sends \(domain) as the realm, -r joins it)"
        : "libsasl2 sends it as the realm of a bare login, but without -r saslauthd drops it"
      if !hostname.isEmpty && domain == hostname {
        checks.append(
          .warning(
            name,
            "smtpd_sasl_local_domain = \(domain), the host name (myhostname): \(joined); unless \(domain) is a "
              + "mail domain in your table, bare logins are refused",
            fix: "smtpd_sasl_local_domain = <your mail domain> in \(PostfixSetup.mainPath), or leave it empty"))
      } else {
        checks.append(.ok(name, "smtpd_sasl_local_domain = \(domain): \(joined)"))
      }
    }
    return checks
  }
}
