// `pam-swiftsql pam`: runs one PAM transaction the way saslauthd and Dovecot
// do — pam_authenticate, then pam_acct_mgmt if that succeeded — for a
// service from /etc/pam.d or from --confdir, and prints each step's PAM code
// and libpam's message.

import ArgumentParser
import CPAM
import SwiftSQLCore
import SwiftSQLPAMCodes

struct PAMCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pam",
    abstract: "Run one PAM transaction (authenticate, then account) and print each result.",
    discussion: """
      Prints "pam_authenticate: PAM_SUCCESS (Success)" and the same for pam_acct_mgmt.
      Without -p the password is read from standard input, or asked for on the terminal.
      """)

  @OptionGroup var credentials: LoginOptions
  var user: String { credentials.user }
  var password: String? { credentials.password }

  @Option(name: [.customShort("s"), .customLong("service")], help: "The PAM service (a file in the PAM directory).")
  var service: String = "smtp"

  @Option(name: .customLong("confdir"), help: "Read the service from this directory instead of /etc/pam.d.")
  var confdir: String?

  @Option(name: .customLong("rhost"), help: "The remote host to set as PAM_RHOST.")
  var remoteHost: String?

  func run() throws {
    guard let secret = PasswordInput.read(option: password) else {
      printToStandardError("pam-swiftsql pam: no password given (use -p, standard input or the prompt)")
      throw ExitStatus.usage.code
    }
    let transaction: PAMTransaction
    switch PAMTransaction.start(service: service, user: user, password: secret, confdir: confdir) {
    case .success(let started): transaction = started
    case .failure(let error):
      print("pam_start: \(PAMCodes.name(of: error.code)) (\(PAMCodes.message(for: error.code)))")
      throw ExitStatus.failure.code
    }
    if let remoteHost { transaction.setRemoteHost(remoteHost) }

    let authentication = transaction.authenticate()
    report("pam_authenticate", authentication)
    guard authentication == PAM_SUCCESS else {
      print("pam_acct_mgmt: not run (authentication did not succeed)")
      throw PAMCommand.status(for: authentication).code
    }
    let account = transaction.accountManagement()
    report("pam_acct_mgmt", account)
    if account != PAM_SUCCESS { throw PAMCommand.status(for: account).code }
  }

  private func report(_ step: String, _ code: Int32) {
    print("\(step): \(PAMCodes.name(of: code)) (\(PAMCodes.message(for: code)))")
  }

  /// The documented exit status for a PAM code.
  static func status(for code: Int32) -> ExitStatus {
    switch code {
    case PAM_SUCCESS: .success
    case PAM_AUTH_ERR, PAM_USER_UNKNOWN, PAM_PERM_DENIED, PAM_ACCT_EXPIRED, PAM_NEW_AUTHTOK_REQD, PAM_MAXTRIES,
      PAM_CRED_INSUFFICIENT:
      .refused
    case PAM_AUTHINFO_UNAVAIL: .unavailable
    default: .failure
    }
  }
}
