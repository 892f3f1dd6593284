// `pam-swiftsql serve`: runs swiftsql-authd, the daemon that checks logins
// with this configuration on saslauthd's socket and on Dovecot's
// auth-client socket (package swiftsql-authd). Every argument is the
// daemon's; the daemon is a program of its own so that it carries neither
// this tool's argument parser nor Foundation, and so that its system user,
// unit and init script come only with the package that needs them.

import ArgumentParser
import Glibc
import SwiftSQLSystem

struct ServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Run swiftsql-authd: this configuration on saslauthd's and Dovecot's sockets, without PAM or root.",
    discussion: """
      Every option is the daemon's (swiftsql-authd(8), or pam-swiftsql serve -- --help), e.g.
      pam-swiftsql serve --config /etc/pam_swiftsql.conf --socket /run/swiftsql-authd/mux
      --user _swiftsql-authd --foreground. The daemon is looked for beside this program, then
      as /usr/sbin/swiftsql-authd (package swiftsql-authd).
      """)

  @Argument(
    parsing: .captureForPassthrough,
    help: "The daemon's options: --config FILE --socket PATH --user NAME --foreground …")
  var options: [String] = []

  /// Where the daemon is looked for.
  static var candidates: [String] {
    var paths: [String] = []
    if case .success(let own) = System.linkTarget(of: "/proc/self/exe"), let slash = own.lastIndex(of: "/") {
      paths.append(String(own[..<slash]) + "/swiftsql-authd")
    }
    paths.append("/usr/sbin/swiftsql-authd")
    return paths
  }

  func run() throws {
    guard let daemon = ServeCommand.candidates.first(where: { access($0, X_OK) == 0 }) else {
      printToStandardError(
        "pam-swiftsql serve: swiftsql-authd is not installed (looked for "
          + ServeCommand.candidates.joined(separator: ", ") + "): apt install swiftsql-authd")
      throw ExitStatus.failure.code
    }
    let arguments = ["swiftsql-authd"] + (options.first == "--" ? Array(options.dropFirst()) : options)
    var pointers = arguments.map { strdup($0) } + [nil]
    execv(daemon, &pointers)
    printToStandardError("pam-swiftsql serve: " + SystemError(call: "cannot run \(daemon)", errno: errno).message)
    throw ExitStatus.failure.code
  }
}
