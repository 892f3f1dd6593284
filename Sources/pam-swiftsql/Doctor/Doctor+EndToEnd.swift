// The doctor's end-to-end check (with --login and a password): one request
// through saslauthd's socket, written as Postfix's libsasl2 writes it (the
// login split at its last '@' into login and realm, a bare login given
// smtpd_sasl_local_domain as its realm, Postfix's PAM service), and one
// direct PAM transaction (pam_authenticate, then pam_acct_mgmt) for the
// whole address and the same service. When the two disagree, a few more
// requests tell which of realm, service or cache makes the difference.
//
// Both talk to the live system: saslauthd's socket (under --root, the
// socket inside the tree), and libpam with the real /etc/pam.d, which is
// what saslauthd reads.

import CPAM
import SaslauthdClient
import SwiftSQLCore
import SwiftSQLPAMCodes
import SwiftSQLSchemes

extension Doctor {
  func runEndToEnd() {
    guard let login = options.login else { return }
    guard let password = options.password else {
      note("no password was given for \(login): the end-to-end check was not run (give -p, or type it at the prompt)")
      return
    }
    run("end-to-end") { [checkEndToEnd(login: login, password: password)] }
  }

  /// One PAM transaction's outcome.
  struct PAMOutcome {
    /// "pam_authenticate" or "pam_acct_mgmt" (the step that decided), or "pam_start".
    let step: String
    let code: Int32

    var succeeded: Bool { code == PAM_SUCCESS }
    var text: String { "\(step): \(PAMCodes.name(of: code))\(meaning.isEmpty ? "" : " (\(meaning))")" }

    /// What pam_swiftsql means by the code (README: What the module answers).
    var meaning: String {
      switch code {
      case PAM_AUTH_ERR: "a wrong password, or a stored value that can never match"
      case PAM_USER_UNKNOWN: "no such login, or one refused before any query"
      case PAM_AUTHINFO_UNAVAIL: "the database is unavailable"
      case PAM_SERVICE_ERR: "a configuration error"
      case PAM_PERM_DENIED, PAM_ACCT_EXPIRED, PAM_NEW_AUTHTOK_REQD: "the account is refused"
      default: ""
      }
    }
  }

  /// pam_start (real /etc/pam.d), pam_authenticate, pam_acct_mgmt.
  func askPAM(service: String, user: String, password: SecretBytes) -> PAMOutcome {
    switch PAMTransaction.start(service: service, user: user, password: password, confdir: nil) {
    case .failure(let error):
      return PAMOutcome(step: "pam_start", code: error.code)
    case .success(let transaction):
      let authentication = transaction.authenticate()
      guard authentication == PAM_SUCCESS else { return PAMOutcome(step: "pam_authenticate", code: authentication) }
      return PAMOutcome(step: "pam_acct_mgmt", code: transaction.accountManagement())
    }
  }

  /// One request on saslauthd's socket; the request's copy of the password
  /// is wiped afterwards.
  func askSaslauthd(
    login: String, realm: String, service: String, password: SecretBytes, socket: String? = nil
  ) -> Result<SaslauthdReply, SaslauthdError> {
    let path: String
    if let socket {
      path = socket
    } else if case .success(let resolved) = resolvedSocket {
      path = tree.hostPath(resolved.path)
    } else {
      path = tree.hostPath(socketPath)
    }
    return password.withBytes { bytes in
      var request = SaslauthdRequest(
        login: Array(login.utf8), password: Array(bytes), service: Array(service.utf8), realm: Array(realm.utf8))
      defer { request.password.withUnsafeMutableBytes { wipe($0) } }
      return SaslauthdSocket.exchange(request, path: path, timeoutSeconds: options.timeout)
    }
  }

  /// What libsasl2 inside Postfix writes to the socket for `login`.
  func postfixRequest(_ login: String) -> (login: String, realm: String) {
    if let at = login.lastIndex(of: "@") {
      return (String(login[..<at]), String(login[login.index(after: at)...]))
    }
    let domain =
      postfix.flatMap { setup in setup.cyrusServices.first.map { setup.value("smtpd_sasl_local_domain", for: $0) } }
      ?? ""
    return (login, domain)
  }

  /// PAM services other than `service` that might accept the login: the
  /// files of the real /etc/pam.d (the ones saslauthd reads) whose module
  /// line reads a configuration with the same text as the one examined,
  /// the usual mail service names first. A name without a file would only
  /// reach /etc/pam.d/other. Services of other configurations are not
  /// asked: they cannot explain this login, and each would be one more
  /// PAM stack (and database) the password is sent through.
  func otherServices(than service: String) -> [String] {
    let real = SystemTree(root: nil)
    let usual = ["imap", "smtp", "smtpd", "dovecot", "pop3", "submission"]
    let files = real.list(DoctorPaths.pamDirectory)
    let names = usual.filter { files.contains($0) } + files.filter { !usual.contains($0) }
    return Array(
      names.filter { name in
        guard name != service, let text = real.text(SystemTree.join(DoctorPaths.pamDirectory, name)) else {
          return false
        }
        return PAMStackLine.parse(text, file: name).contains { line in
          line.moduleName == DoctorPaths.moduleFileName && usesExaminedConfiguration(line.arguments, on: real)
        }
      }.prefix(64))
  }

  /// Whether module arguments read a configuration file with the text of
  /// the one this report examines.
  func usesExaminedConfiguration(_ arguments: [String], on real: SystemTree) -> Bool {
    guard let examined = module.text else { return false }
    let plan = SchemeRegistry.loader.plan(arguments: arguments, files: ModuleSetup.TreeFiles(tree: real))
    let path = plan.file ?? ModuleArguments(arguments).configPath
    return real.text(path) == examined
  }

  /// The first other service through which saslauthd accepts the login.
  func acceptingService(login: String, than service: String, password: SecretBytes) -> String? {
    for candidate in otherServices(than: service) {
      if case .success(let reply) = askSaslauthd(login: login, realm: "", service: candidate, password: password),
        reply.isOK
      {
        return candidate
      }
    }
    return nil
  }

  static func describe(_ reply: Result<SaslauthdReply, SaslauthdError>) -> String {
    switch reply {
    case .success(let answer) where answer.isOK: "OK"
    case .success(let answer): "NO \"\(answer.reason.isEmpty ? "authentication failed" : answer.reason)\""
    case .failure(let error): "error: \(error.message)"
    }
  }

  func checkEndToEnd(login: String, password: SecretBytes) -> DoctorCheck {
    let name = "end-to-end"
    let service = pamServices[0]
    let request = postfixRequest(login)
    let whole = request.realm.isEmpty ? request.login : "\(request.login)@\(request.realm)"
    let asked = "login '\(request.login)', realm '\(request.realm)', service '\(service)'"
    let viaSocket = askSaslauthd(login: request.login, realm: request.realm, service: service, password: password)
    let pam = askPAM(service: service, user: whole, password: password)
    let socketText = "saslauthd, asked as Postfix asks (\(asked)), answers \(Doctor.describe(viaSocket))"
    let pamText = "PAM (service \(service), user \(whole)) answers \(pam.text)"

    if case .failure(let error) = viaSocket {
      return .failure(
        name, "\(pamText), but saslauthd's socket cannot be used: \(error.message)",
        fix: "see socket-exists, socket-permissions and socket-connect; then: \(Doctor.restartSaslauthd)")
    }
    let accepted = (try? viaSocket.get())?.isOK ?? false
    switch (accepted, pam.succeeded) {
    case (true, true):
      return .ok(name, "\(socketText); \(pamText): Postfix's logins work")
    case (true, false):
      if saslauthd?.options.cache ?? false {
        return .failure(
          name,
          "\(socketText), but \(pamText): saslauthd's -c cache still accepts a password that SQL no longer does",
          fix: "\(Doctor.restartSaslauthd) (it empties the cache); remove -c from OPTIONS in "
            + "\(defaultsPath) to stop it happening")
      }
      return .failure(
        name,
        "\(socketText), but \(pamText): saslauthd does not use this machine's /etc/pam.d/\(service) "
          + "(another saslauthd instance? a container?)",
        fix: "make the socket Postfix uses belong to the saslauthd of this system (see saslauthd-running)")
    case (false, true):
      if !request.realm.isEmpty,
        case .success(let joined) = askSaslauthd(login: whole, realm: "", service: service, password: password),
        joined.isOK
      {
        return .failure(
          name,
          "\(socketText), while \(pamText), and saslauthd accepts '\(whole)' sent as one login: it drops the "
            + "realm (it runs without -r), so PAM sees only '\(request.login)' — the realm differs",
          fix: fixAdding("-r"))
      }
      if let other = acceptingService(login: whole, than: service, password: password) {
        return .failure(
          name,
          "\(socketText), while \(pamText); saslauthd accepts the login for service '\(other)': the service differs",
          fix: "make /etc/pam.d/\(service) the same as /etc/pam.d/\(other) (cp /etc/pam.d/\(other) "
            + "/etc/pam.d/\(service)), or smtpd_sasl_service = \(other)")
      }
      let runner = instance?.principal ?? .root
      return .failure(
        name,
        "\(socketText), while \(pamText): saslauthd runs as \(runner.description) and may not read what this "
          + "check (as root) can, or it uses other PAM files — the permission differs",
        fix: "see pam-service and config-permissions; run saslauthd as root (Debian's default)")
    case (false, false):
      if let other = acceptingService(login: whole, than: service, password: password) {
        return .failure(
          name,
          "\(socketText), and \(pamText); but saslauthd accepts the login for service '\(other)' (testsaslauthd's "
            + "default is imap): Postfix uses '\(service)' — the service differs",
          fix: "cp /etc/pam.d/\(other) /etc/pam.d/\(service), or smtpd_sasl_service = \(other)")
      }
      return .failure(
        name,
        "\(socketText), and \(pamText): the refusal comes from PAM or SQL, below saslauthd",
        fix: "see the pam-*, config-*, database and password-query checks, and pam_swiftsql's log line "
          + "(grep pam_swiftsql /var/log/auth.log)")
    }
  }
}
