// `pam-swiftsql test`: a testsaslauthd-compatible client of the saslauthd
// socket. Same flags (-u -p -r -s -f -R) and output ("0: OK \"Success.\""),
// but it prints saslauthd's real reply ("0: NO \"PAM acct error\"") where
// testsaslauthd hides it, says clearly when the socket is missing, refuses
// the connection or is dropped, and defaults to the service "smtp" (what
// Postfix uses), not "imap". With --explain, a refusal is followed by the
// doctor's checks for that request and the likely cause.

import ArgumentParser
import SaslauthdClient
import SwiftSQLCore

struct TestCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "test",
    abstract: "Send one login to saslauthd's socket and print its answer, like testsaslauthd.",
    discussion: """
      Prints one line per request: "N: OK \\"Success.\\"" or "N: NO \\"<saslauthd's reason>\\"",
      or "N: ERROR \\"<what is wrong with the socket>\\"". Without -p the password is read
      from standard input, or asked for on the terminal.
      """)

  @OptionGroup var credentials: LoginOptions
  var user: String { credentials.user }
  var password: String? { credentials.password }

  @Option(
    name: [.customShort("r"), .customLong("realm")], help: "The realm (libsasl2 sends the part after the last @).")
  var realm: String = ""

  @Option(name: [.customShort("s"), .customLong("service")], help: "The service name saslauthd passes to PAM.")
  var service: String = "smtp"

  @Option(name: [.customShort("f"), .customLong("socket")], help: "The saslauthd socket.")
  var socket: String = SaslauthdSocket.defaultPath

  @Option(name: [.customShort("R"), .customLong("repeat")], help: "Send the request this many times.")
  var repeatCount: Int = 1

  @Option(name: .customLong("client-address"), help: "Send the fifth field of saslauthd after 2.1.28.")
  var clientAddress: String?

  @OptionGroup var wait: TimeoutOption
  var timeout: Int { wait.timeout }

  @Flag(name: .customLong("explain"), help: "On refusal, run the doctor's checks for this request and name the cause.")
  var explain = false

  func validate() throws {
    guard repeatCount >= 1 else { throw ValidationError("-R must be at least 1") }
  }

  func run() throws {
    guard let secret = PasswordInput.read(option: password) else {
      printToStandardError("pam-swiftsql test: no password given (use -p, standard input or the prompt)")
      throw ExitStatus.usage.code
    }
    var request = secret.withBytes { passwordBytes in
      SaslauthdRequest(
        login: Array(user.utf8), password: Array(passwordBytes), service: Array(service.utf8),
        realm: Array(realm.utf8), clientAddress: clientAddress.map { Array($0.utf8) })
    }
    // The request's copy of the password is overwritten when the command ends.
    defer { request.password.withUnsafeMutableBytes { wipe($0) } }
    var worst = ExitStatus.success
    var lastAnswer: Result<SaslauthdReply, SaslauthdError>? = nil
    for index in 0..<repeatCount {
      let status: ExitStatus
      let answer = SaslauthdSocket.exchange(request, path: socket, timeoutSeconds: timeout)
      if case .success(let reply) = answer, reply.isOK {} else { lastAnswer = answer }
      switch answer {
      case .success(let reply) where reply.isOK:
        print("\(index): OK \"Success.\"")
        status = .success
      case .success(let reply):
        let reason = reply.reason.isEmpty ? "authentication failed" : reply.reason
        print("\(index): NO \"\(reason)\"")
        if reply.reason.isEmpty, !request.fieldsOverSaslauthdLimit.isEmpty {
          printToStandardError(
            "note: saslauthd 2.1.28 refuses fields over \(SaslauthdRequest.saslauthdFieldLimit) bytes; too long: "
              + request.fieldsOverSaslauthdLimit.joined(separator: ", "))
        }
        status = .refused
      case .failure(let error):
        print("\(index): ERROR \"\(error.message)\"")
        status = .unavailable
      }
      worst = max(worst, status)
    }
    if explain, let lastAnswer {
      explainRefusal(lastAnswer, password: secret)
    }
    if worst != .success { throw worst.code }
  }

  /// Prints the doctor's checks for this request and the likely cause.
  private func explainRefusal(_ answer: Result<SaslauthdReply, SaslauthdError>, password: SecretBytes) {
    var options = Doctor.Options()
    options.socket = socket
    options.service = service
    options.timeout = timeout
    let doctor = Doctor(tree: SystemTree(root: nil), options: options)
    doctor.options.login = doctor.loginPAMSees(login: user, realm: realm)
    let request = Doctor.Request(login: user, realm: realm, service: service, socket: socket, answer: answer)
    let (report, cause) = doctor.explain(request, password: password)
    print("\nexplain: the checks for this request (service \(service), socket \(socket))")
    print(DoctorReport.blocks(report.checks), terminator: "")
    for entry in report.notRun {
      print("       not run: \(entry.name) (needs \(entry.needs.joined(separator: ", ")))")
    }
    if let cause {
      print("likely cause: \(cause.name): \(cause.evidence)")
      print("fix: \(cause.fix)")
    } else {
      print("likely cause: none of these checks failed; pam_swiftsql's log line says why")
      print("fix: grep pam_swiftsql /var/log/auth.log")
    }
  }
}
