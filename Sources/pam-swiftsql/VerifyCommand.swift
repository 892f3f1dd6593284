// `pam-swiftsql verify`: checks one stored value against a password without
// a database, printing the scheme the module reads it as and the outcome,
// for an administrator debugging one row. Exit 0 when it matches, 1 when it
// does not or cannot (the reason is printed: never the value itself).

import ArgumentParser
import SwiftSQLCore
import SwiftSQLSchemes

struct VerifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "verify",
    abstract: "Check a stored value against a password, without a database.",
    discussion: """
      The stored value is the argument, or one line of standard input. Without -p the password
      is asked for on the terminal. Prints "scheme: …" and "result: match", "result: mismatch"
      or "result: unusable: <why>".
      """)

  @Argument(help: "The stored value, e.g. '{SHA512-CRYPT}$6$…' (else read from standard input).")
  var stored: String?

  @Option(name: [.customShort("p"), .customLong("password")], help: "The password (else asked for).")
  var password: String?

  @Option(
    name: [.customShort("u"), .customLong("user")],
    help: "The login, for schemes that hash it: user@domain, or a bare name (a PostgreSQL role for MD5_POSTGRES).")
  var user: String = "user@example.org"

  @Option(
    name: .customLong("default-scheme"),
    help: "The default_pass_scheme for a value without a {SCHEME} prefix.")
  var defaultScheme: String = "CRYPT"

  func run() throws {
    var storedText = stored
    if storedText == nil {
      storedText = PasswordInput.readLine(from: 0)?.nonSecretText
    }
    guard let storedText, !storedText.isEmpty else {
      printToStandardError("pam-swiftsql verify: give the stored value as the argument or on standard input")
      throw ExitStatus.usage.code
    }
    // A bare name too: schemes keyed on the login (MD5_POSTGRES and its
    // role names, DIGEST-MD5 with an empty realm) are checked against the
    // login as it is stored.
    let login: Login
    do throws(LoginRejection) {
      login = try Login.parse(Array(user.utf8), defaultDomain: nil, keepsBareLogin: true)
    } catch {
      printToStandardError("pam-swiftsql verify: -u: \(error.reason)")
      throw ExitStatus.usage.code
    }
    guard let secret = PasswordInput.read(option: password) else {
      printToStandardError("pam-swiftsql verify: no password given")
      throw ExitStatus.usage.code
    }
    let storedBytes = Array(storedText.utf8)
    let format = HashFormat.detect(storedBytes, defaultScheme: defaultScheme.uppercased())
    let source =
      format.hasPrefix
      ? "its {\(format.scheme)} prefix"
      : (format.scheme == defaultScheme.uppercased()
        ? "default_pass_scheme \(format.scheme)" : "how it starts")
    print("scheme: \(format.algorithm) (from \(source))")
    let context = QueryContext(login: login, service: "verify", remoteHost: "")
    let outcome = secret.withCString { cString in
      SchemeRegistry().check(
        Password(cString: cString, count: secret.count), stored: SecretBytes(storedBytes), format: format,
        context: context)
    }
    switch outcome {
    case .match:
      print("result: match")
    case .mismatch:
      print("result: mismatch")
      throw ExitStatus.refused.code
    case .unusable(let problem), .unusableAfterHashing(let problem):
      print("result: unusable: \(problem)")
      throw ExitStatus.refused.code
    }
  }
}
