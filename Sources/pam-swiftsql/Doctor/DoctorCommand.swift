// `pam-swiftsql doctor`: runs the named checks of the Postfix + saslauthd +
// PAM + SQL chain on this system (or on a tree given with --root that stands
// in for /) and prints one block per check with its evidence and fix, and a
// summary; --json prints the same as one JSON document. Exit status 0 when
// no check failed, 1 when one did, 2 for a usage error.

import ArgumentParser

struct DoctorCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "doctor",
    abstract: "Find the socket, chroot, permission, realm and configuration mistakes between Postfix and SQL.",
    discussion: """
      Checks saslauthd (running, -a pam, -r, -m, -c, -n, /etc/default/saslauthd, and on Debian 13 \
      saslauthd.service with its drop-ins, as systemctl cat shows them), its socket (inside Postfix's \
      chroot, reachable by group sasl), Postfix (master.cf, main.cf, sasl/smtpd.conf), the PAM service \
      Postfix uses (smtpd_sasl_service, default smtp), and pam_swiftsql's configuration and database \
      (for PostgreSQL over its socket, the pg_hba.conf line that lets the module's user in). Each fix is \
      the one for the init system in use: a systemd drop-in on Debian 13, the init script's \
      /etc/default/saslauthd and dpkg-statoverride on Debian 12.

      With --login it also runs the password query for that login (printing only the scheme name); with a \
      password (-p, or the prompt) it sends one login through saslauthd and one through PAM and compares them.

      With --serve it checks swiftsql-authd (pam-swiftsql serve) instead: its options, user, configuration \
      files, sockets, Postfix's saslauthd_path or smtpd_sasl_path, its status, and with -p one login.

      Exit status: 0 no failure, 1 a check failed, 2 usage error.
      """)

  @Option(name: .customLong("root"), help: "Read the system from this directory instead of / (for tests).")
  var root: String?

  @Flag(name: .customLong("json"), help: "Print one JSON document instead of text.")
  var json = false

  // -u is the login in every subcommand; --login is this one's first name.
  @Option(
    name: [.customShort("u"), .customLong("user"), .customLong("login")],
    help: "A login to probe, e.g. alice@example.org.")
  var login: String?

  @Option(name: [.customShort("p"), .customLong("password")], help: "Its password, for the end-to-end check.")
  var password: String?

  @Option(name: [.customShort("s"), .customLong("service")], help: "Check this PAM service instead of Postfix's.")
  var service: String?

  @Option(name: [.customShort("f"), .customLong("socket")], help: "Check this saslauthd socket instead.")
  var socket: String?

  @OptionGroup var wait: TimeoutOption
  var timeout: Int { wait.timeout }

  @Flag(name: .customLong("serve"), help: "Check swiftsql-authd (pam-swiftsql serve) instead of saslauthd.")
  var serve = false

  func validate() throws {
    if password != nil && login == nil { throw ValidationError("-p needs -u (--user)") }
    if let socket, !socket.hasPrefix("/") { throw ValidationError("--socket must be an absolute path") }
  }

  func run() throws {
    var options = Doctor.Options()
    options.login = login
    options.service = service
    options.socket = socket
    options.timeout = timeout
    if login != nil {
      options.password = PasswordInput.read(option: password, prompt: "Password for \(login ?? ""): ")
    }
    let doctor = Doctor(tree: SystemTree(root: root), options: options)
    let report = serve ? doctor.runServe() : doctor.runAll()
    print(json ? report.jsonText : report.humanText, terminator: "")
    if report.hasFailure { throw ExitStatus.refused.code }
  }
}
