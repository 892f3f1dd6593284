// The options several subcommands share, declared once so that a flag means
// one thing everywhere: -u/--user is the login, -p/--password its password,
// --timeout the seconds to wait for an answer. Two tools users already know
// keep their own letters where they differ: `hash` follows `doveadm pw`
// (-s is the scheme, -r the rounds), `test` follows testsaslauthd (-r is the
// realm). ToolOptionsTests reads every subcommand's --help and holds this.

import ArgumentParser

/// The login and its password, for the commands that send one login
/// somewhere (`test`, `pam`).
struct LoginOptions: ParsableArguments {
  @Option(name: [.customShort("u"), .customLong("user")], help: "The login, e.g. alice@example.org.")
  var user: String

  @Option(name: [.customShort("p"), .customLong("password")], help: "The password (else stdin or a prompt).")
  var password: String?
}

/// --timeout, for the commands that wait for a daemon's answer.
struct TimeoutOption: ParsableArguments {
  @Option(name: .customLong("timeout"), help: "Seconds to wait for the answer.")
  var timeout: Int = 10

  func validate() throws {
    guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second") }
  }
}
