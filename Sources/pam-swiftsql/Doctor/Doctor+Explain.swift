// `pam-swiftsql test --explain`: after saslauthd refused one request (or
// its socket failed), the doctor's checks that bear on that request — the
// socket it was sent to, the daemon behind it and its -r against the login
// and realm sent, the PAM service file named with -s, the module's
// configuration and the password query for the login PAM sees, and one
// direct PAM transaction compared with saslauthd's answer — then the likely
// cause: the first failure in that order.

import SaslauthdClient
import SwiftSQLCore

extension Doctor {
  /// One request as `pam-swiftsql test` sent it.
  struct Request {
    let login: String
    let realm: String
    let service: String
    let socket: String
    let answer: Result<SaslauthdReply, SaslauthdError>
  }

  /// The checks for `request`, and the likely cause.
  func explain(_ request: Request, password: SecretBytes) -> (report: DoctorReport, cause: DoctorCheck?) {
    run("socket-exists") { [checkSocketExists()] }
    run("saslauthd-running") { [checkRunning()] }
    run("socket-connect", needs: ["socket-exists", "saslauthd-running"]) { [checkSocketConnect(asPostfix: false)] }
    run("saslauthd-realm", needs: ["saslauthd-running"]) { checkRequestRealm(request) }
    let service = request.service
    run("pam-service") { [checkPAMService(service)] }
    run("pam-auth-line", needs: ["pam-service"]) { [checkStackLines(service, type: "auth")] }
    run("pam-account-line", needs: ["pam-service"]) { [checkStackLines(service, type: "account")] }
    run("pam-module", needs: ["pam-service"]) { checkModuleFile(service) }
    run("config-file") { [checkConfigFile()] }
    run("config-permissions") { checkConfigPermissions() }
    run("database", needs: ["config-file"]) { checkDatabase() }
    run("password-query", needs: ["config-file", "database"]) { checkPasswordQuery() }
    run("end-to-end") { [checkRequestAgainstPAM(request, password: password)] }
    let cause = report.checks.first { $0.status == .failure }
    return (report, cause)
  }

  /// The login saslauthd passes to PAM for this request.
  func loginPAMSees(login: String, realm: String) -> String {
    let joins = instance?.options.realm ?? true
    return joins && !realm.isEmpty ? "\(login)@\(realm)" : login
  }

  func checkRequestRealm(_ request: Request) -> [DoctorCheck] {
    guard let instance else { return [] }
    let name = "saslauthd-realm"
    let sees = loginPAMSees(login: request.login, realm: request.realm)
    if instance.options.realm {
      return [.ok(name, "saslauthd runs with -r: PAM sees '\(sees)'")]
    }
    if !request.realm.isEmpty {
      return [
        .failure(
          name,
          "saslauthd (\(instance.commandText)) runs without -r: it drops the realm '\(request.realm)' of this "
            + "request, so PAM sees only '\(request.login)'",
          fix: fixAdding("-r"))
      ]
    }
    if request.login.contains("@") {
      return [
        .warning(
          name,
          "saslauthd runs without -r; this request carries the domain in the login, so PAM sees '\(sees)', but "
            + "Postfix sends '\(request.login.split(separator: "@").first ?? "")' + a realm, which saslauthd drops",
          fix: fixAdding("-r"))
      ]
    }
    return [.ok(name, "saslauthd runs without -r and this request has no realm: PAM sees '\(sees)'")]
  }

  func checkRequestAgainstPAM(_ request: Request, password: SecretBytes) -> DoctorCheck {
    let name = "end-to-end"
    let sees = loginPAMSees(login: request.login, realm: request.realm)
    let pam = askPAM(service: request.service, user: sees, password: password)
    let answer = Doctor.describe(request.answer)
    let pamText = "PAM (service \(request.service), user \(sees)) answers \(pam.text)"
    if pam.succeeded {
      if case .failure = request.answer {
        return .failure(
          name, "\(pamText), but saslauthd's socket failed (\(answer))",
          fix: "see socket-exists and socket-connect")
      }
      return .failure(
        name,
        "\(pamText), but saslauthd answered \(answer): saslauthd does not reach the same PAM files or "
          + "configuration (another instance on this socket, or it runs as another user)",
        fix: "see saslauthd-running, pam-service and config-permissions")
    }
    let whole = request.realm.isEmpty ? request.login : "\(request.login)@\(request.realm)"
    if whole != sees, askPAM(service: request.service, user: whole, password: password).succeeded {
      return .failure(
        name,
        "\(pamText), but accepts '\(whole)': the realm is lost on the way (saslauthd without -r)",
        fix: fixAdding("-r"))
    }
    return .failure(
      name, "\(pamText), as saslauthd did (\(answer)): the refusal comes from PAM or SQL",
      fix: "see the checks above, and pam_swiftsql's log line (grep pam_swiftsql /var/log/auth.log)")
  }
}
