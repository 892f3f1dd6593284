// The `pam-swiftsql` command: a root that only lists its subcommands. Exit
// codes are the same for every subcommand (see ExitStatus); a usage error
// exits 2, as the README and the man page document.

import ArgumentParser

@main
struct PamSwiftSQL: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pam-swiftsql",
    abstract: "Test and debug pam_swiftsql, saslauthd and the PAM services that use them.",
    discussion: """
      Exit status: 0 success, 1 authentication refused, 2 usage error,
      3 unavailable (saslauthd socket or database), 4 configuration or system error.
      """,
    subcommands: [
      TestCommand.self, PAMCommand.self, DoctorCommand.self, HashCommand.self, VerifyCommand.self, ServeCommand.self,
      StatusCommand.self,
    ])

  static func main() {
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch let status as ExitCode {
      Self.exit(withError: status)
    } catch {
      let code = exitCode(for: error)
      if code == .success {
        Self.exit(withError: error)
      }
      // Argument errors: ArgumentParser's message, then the documented 2.
      if code == .validationFailure {
        printToStandardError(fullMessage(for: error))
        Self.exit(withError: ExitStatus.usage.code)
      }
      Self.exit(withError: error)
    }
  }
}
