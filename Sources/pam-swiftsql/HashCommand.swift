// `pam-swiftsql hash`: makes a stored value for a password, like Dovecot's
// `doveadm pw`, to paste into the users table. The default scheme is
// ARGON2ID: memory-hard, and verified by Dovecot 2.3 itself, so a table
// keeps working if the site later moves to Dovecot's own SQL passdb
// (yescrypt is at least as strong but is not a Dovecot scheme name).

import ArgumentParser
import SwiftSQLCore
import SwiftSQLSchemes

struct HashCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hash",
    abstract: "Print a stored value ({SCHEME}…) for a password, like doveadm pw.",
    discussion: """
      Without -p the password is asked for twice on the terminal, or read as one line from
      standard input. The output verifies with pam_swiftsql and with doveadm pw -t.
      """)

  @Option(name: [.customShort("s"), .customLong("scheme")], help: "The scheme (see --list).")
  var scheme: String = "ARGON2ID"

  @Option(name: [.customShort("p"), .customLong("password")], help: "The password (else asked twice).")
  var password: String?

  @Option(
    name: [.customShort("r"), .customLong("rounds")],
    help: "The cost: rounds, iterations, bcrypt cost or Argon2 time cost (the scheme's default otherwise).")
  var rounds: Int?

  @Option(name: [.customShort("u"), .customLong("user")], help: "The login, for schemes that hash it (DIGEST-MD5).")
  var user: String?

  @Flag(name: .customLong("list"), help: "List the schemes and whether hash can make them.")
  var list = false

  func run() throws {
    if list {
      for (name, canGenerate) in SchemeRegistry.names {
        print(name.padding(to: 24) + (canGenerate ? "verify, make" : "verify"))
      }
      return
    }
    let name = scheme.uppercased()
    guard SchemeRegistry.knows(name) else {
      printToStandardError("pam-swiftsql hash: unknown scheme \(scheme); see pam-swiftsql hash --list")
      throw ExitStatus.usage.code
    }
    guard SchemeRegistry.canGenerate(name) else {
      printToStandardError("pam-swiftsql hash: \(name) values can be verified but not made; see --list")
      throw ExitStatus.usage.code
    }
    var login: Login? = nil
    if let user {
      do throws(LoginRejection) {
        login = try Login.parse(Array(user.utf8), defaultDomain: nil, keepsBareLogin: true)
      } catch {
        printToStandardError("pam-swiftsql hash: -u: \(error.reason)")
        throw ExitStatus.usage.code
      }
    }
    guard let secret = PasswordInput.readNew(option: password) else {
      printToStandardError("pam-swiftsql hash: no password given, or the two entries differ")
      throw ExitStatus.usage.code
    }
    let made = secret.withCString { cString in
      SchemeRegistry.generate(
        Password(cString: cString, count: secret.count), scheme: name,
        options: GenerateOptions(cost: rounds, login: login))
    }
    switch made {
    case .success(let value): print(value.nonSecretText)
    case .failure(let problem):
      printToStandardError("pam-swiftsql hash: \(problem.message)")
      throw ExitStatus.usage.code
    }
  }
}

extension String {
  /// The string followed by spaces up to `width` characters.
  func padding(to width: Int) -> String {
    count >= width ? self + " " : self + String(repeating: " ", count: width - count)
  }
}
