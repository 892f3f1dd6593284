// Covers the transparent upgrade in `Authenticator` with the fakes: a
// verified login whose stored scheme is weaker than upgrade_scheme runs
// password_update_query with %w bound to the new value and the login parts
// bound as usual; a stronger or equal scheme, a wrong password, or no
// upgrade configured runs nothing; a failed update or a value that cannot
// be made is only logged, and never quotes the new value. Also the
// configuration rules: both keys or neither, %w only in the update query
// and required there, and a scheme the module can make.

import SwiftSQLCore
import Testing

private let upgradeFile = """
  connect = /x.db
  password_query = SELECT password FROM users WHERE login = '%u'
  password_update_query = UPDATE users SET password = '%w' WHERE login = '%u'
  upgrade_scheme = strong
  """

private func upgradeConfiguration(_ text: String = upgradeFile) throws -> Configuration {
  try Configuration.resolve(
    fileText: text, arguments: ModuleArguments(["config=/etc/x.conf"]), isKnownScheme: { _ in true },
    canGenerateScheme: { $0 == "STRONG" })
}

/// A log that keeps its lines.
final class LogLines {
  var lines: [(LogLevel, String)] = []
  var log: Log { Log(debugEnabled: false) { self.lines.append(($0, $1)) } }
}

@Suite("Authenticator: transparent upgrade")
struct AuthenticatorUpgradeTests {
  @Test("a weaker scheme is rehashed and stored through password_update_query")
  func upgradesWeaker() throws {
    let directory = FakeDirectory(rows: [row(["password"], ["{FAKE}secret"])])
    let checker = FakeChecker()
    let logs = LogLines()
    let authenticator = Authenticator(
      configuration: try upgradeConfiguration(), directory: directory, checker: checker, log: logs.log)
    #expect(
      authenticator.authenticate("alice@example.org", password: "secret")
        == .success(try parsedLogin("alice@example.org")))
    #expect(directory.calls.count == 2)
    #expect(directory.calls.last?.sql == "UPDATE users SET password = ? WHERE login = ?")
    #expect(directory.calls.last?.values == ["{STRONG}secret", "alice@example.org"])
    #expect(logs.lines.contains { $0.0 == .notice && $0.1.contains("upgraded from FAKE to STRONG") })
  }

  @Test("an equal or stronger scheme, or no upgrade configured, runs no update")
  func noUpgrade() throws {
    let strong = FakeDirectory(rows: [row(["password"], ["{FAKE}secret"])])
    let checker = FakeChecker()
    let plainConfiguration = try testConfiguration()
    let authenticator = Authenticator(configuration: plainConfiguration, directory: strong, checker: checker)
    _ = authenticator.authenticate("alice@example.org", password: "secret")
    #expect(strong.calls.count == 1)
    #expect(checker.made.isEmpty)
  }

  @Test("a wrong password runs no update")
  func wrongPassword() throws {
    let directory = FakeDirectory(rows: [row(["password"], ["{FAKE}secret"])])
    let authenticator = Authenticator(
      configuration: try upgradeConfiguration(), directory: directory, checker: FakeChecker())
    #expect(authenticator.authenticate("alice@example.org", password: "wrong") == .failure(.wrongPassword))
    #expect(directory.calls.count == 1)
  }

  @Test("a failed update keeps the login successful and is logged without the new value")
  func failedUpdate() throws {
    var calls = 0
    let directory = FakeDirectory { _ throws(AuthFailure) in
      calls += 1
      if calls == 1 { return [row(["password"], ["{FAKE}secret"])] }
      throw .misconfigured("the server refused the query: value '{STRONG}secret' too long")
    }
    let logs = LogLines()
    let authenticator = Authenticator(
      configuration: try upgradeConfiguration(), directory: directory, checker: FakeChecker(), log: logs.log)
    #expect(
      authenticator.authenticate("alice@example.org", password: "secret")
        == .success(try parsedLogin("alice@example.org")))
    let errors = logs.lines.filter { $0.0 == .error }.map { $0.1 }
    #expect(errors.count == 1)
    #expect(errors.first?.contains("the login still succeeds") == true)
    #expect(errors.first?.contains("{STRONG}secret") == false)
    #expect(errors.first?.contains("{STRONG}secr") == false, "no fragment of it either")
    #expect(errors.first?.contains("too long") == true, "the rest of the message stays")
  }

  @Test("a value that cannot be made keeps the login successful and is logged")
  func cannotMake() throws {
    let directory = FakeDirectory(rows: [row(["password"], ["{FAKE}secret"])])
    let checker = FakeChecker()
    checker.failsToMake = true
    let logs = LogLines()
    let authenticator = Authenticator(
      configuration: try upgradeConfiguration(), directory: directory, checker: checker, log: logs.log)
    #expect(
      authenticator.authenticate("alice@example.org", password: "secret")
        == .success(try parsedLogin("alice@example.org")))
    #expect(directory.calls.count == 1)
    #expect(logs.lines.contains { $0.0 == .error && $0.1.contains("cannot upgrade") })
  }
}

@Suite("Configuration: upgrade settings")
struct UpgradeConfigurationTests {
  private func message(_ text: String) -> String {
    do throws(ConfigurationError) {
      _ = try Configuration.resolve(
        fileText: text, arguments: ModuleArguments(["config=/etc/x.conf"]), isKnownScheme: { _ in true },
        canGenerateScheme: { $0 == "STRONG" })
      return ""
    } catch {
      return error.message
    }
  }

  @Test("both keys or neither")
  func bothOrNeither() {
    let base = "connect = /x.db\npassword_query = SELECT password FROM users WHERE login = '%u'\n"
    #expect(message(base + "upgrade_scheme = STRONG\n").contains("needs password_update_query"))
    #expect(
      message(base + "password_update_query = UPDATE users SET password = '%w' WHERE login = '%u'\n")
        .contains("needs upgrade_scheme"))
  }

  @Test("%w only in password_update_query, and required there")
  func newHashPlacement() {
    let base = "connect = /x.db\nupgrade_scheme = STRONG\n"
    #expect(
      message(
        base + "password_query = SELECT password FROM users WHERE login = '%u' AND x = '%w'\n"
          + "password_update_query = UPDATE users SET password = '%w' WHERE login = '%u'\n"
      ).contains("%w"))
    #expect(
      message(
        base + "password_query = SELECT password FROM users WHERE login = '%u'\n"
          + "password_update_query = UPDATE users SET password = 'x' WHERE login = '%u'\n"
      ).contains("does not store %w"))
    #expect(
      message(
        base + "password_query = SELECT password FROM users WHERE login = '%u'\n"
          + "password_update_query = UPDATE users SET password = '%w'\n"
      ).contains("does not use the login"))
  }

  @Test("a scheme the module cannot make is refused")
  func unmakeable() {
    let text =
      "connect = /x.db\npassword_query = SELECT password FROM users WHERE login = '%u'\n"
      + "password_update_query = UPDATE users SET password = '%w' WHERE login = '%u'\nupgrade_scheme = MYSQL41\n"
    #expect(message(text).contains("cannot make new 'MYSQL41' values"))
  }
}
