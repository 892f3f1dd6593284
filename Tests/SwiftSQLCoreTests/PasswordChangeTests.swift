// The password change of pam_sm_chauthtok in the core, with the fakes: the
// old password is checked as a login is; the new one is made in
// password_scheme (else upgrade_scheme) and stored with password_update_query
// (%w bound to it), then read back; anything short of that changes nothing
// and says why, never quoting the new value. And the configuration rules of
// password_scheme.

import SwiftSQLCore
import Testing

private let changeFile = """
  connect = /x.db
  password_query = SELECT password FROM users WHERE login = '%u'
  password_update_query = UPDATE users SET password = '%w' WHERE login = '%u'
  password_scheme = strong
  """

private func changeConfiguration(_ text: String = changeFile) throws -> Configuration {
  try Configuration.resolve(
    fileText: text, arguments: ModuleArguments(["config=/etc/x.conf"]), isKnownScheme: { _ in true },
    canGenerateScheme: { $0 == "STRONG" })
}

/// A directory whose stored value is what the last UPDATE stored.
private final class StoringDirectory: UserDirectory {
  var stored: String
  var updates: [[String]] = []
  var failUpdate: AuthFailure? = nil
  var ignoreUpdate = false

  init(_ stored: String) { self.stored = stored }

  func rows(of query: CompiledQuery, for context: QueryContext, limit: Int) throws(AuthFailure) -> [Row] {
    let statement = try query.statement(for: context)
    if statement.sql.hasPrefix("UPDATE") {
      updates.append(statement.values)
      if let failUpdate { throw failUpdate }
      if !ignoreUpdate { stored = context.newHash }
      return []
    }
    return [row(["password"], [stored])]
  }
}

private func change(
  _ authenticator: Authenticator<StoringDirectory, FakeChecker, LocalDecoys>, old: String, new: String
) -> Result<Login, AuthFailure> {
  withPassword(old) { oldPassword in
    withPassword(new) { newPassword in
      Result { () throws(AuthFailure) -> Login in
        try authenticator.changePassword(
          login: Array("alice@example.org".utf8), old: oldPassword, new: newPassword, service: "passwd",
          remoteHost: "")
      }
    }
  }
}

@Suite("Authenticator: password change")
struct PasswordChangeCoreTests {
  @Test("the old password verifies, the new value is stored as %w and read back")
  func changes() throws {
    let directory = StoringDirectory("{FAKE}old")
    let logs = LogLines()
    let authenticator = Authenticator(
      configuration: try changeConfiguration(), directory: directory, checker: FakeChecker(), log: logs.log)
    let result = change(authenticator, old: "old", new: "new")
    #expect(try result.get() == parsedLogin("alice@example.org"))
    #expect(directory.updates == [["{STRONG}new", "alice@example.org"]])
    #expect(directory.stored == "{STRONG}new")
    #expect(logs.lines.contains { $0.0 == .notice && $0.1.contains("password of alice@example.org changed") })
    #expect(!logs.lines.contains { $0.1.contains("{STRONG}new") })
  }

  @Test("a wrong old password, or an empty new one, changes nothing")
  func refused() throws {
    let directory = StoringDirectory("{FAKE}old")
    let authenticator = Authenticator(
      configuration: try changeConfiguration(), directory: directory, checker: FakeChecker())
    #expect(change(authenticator, old: "wrong", new: "new") == .failure(.wrongPassword))
    #expect(change(authenticator, old: "old", new: "") == .failure(.newPasswordRefused("the new password is empty")))
    #expect(directory.updates.isEmpty)
    #expect(directory.stored == "{FAKE}old")
  }

  @Test("an update that stored nothing is reported, not taken for a change")
  func updateMissed() throws {
    let directory = StoringDirectory("{FAKE}old")
    directory.ignoreUpdate = true
    let authenticator = Authenticator(
      configuration: try changeConfiguration(), directory: directory, checker: FakeChecker())
    guard case .failure(.newPasswordRefused(let why)) = change(authenticator, old: "old", new: "new") else {
      Issue.record("expected newPasswordRefused")
      return
    }
    #expect(why.contains("password_query does not return the new value"))
  }

  @Test("a failed update says why without the new value")
  func updateFailed() throws {
    let directory = StoringDirectory("{FAKE}old")
    directory.failUpdate = .unavailable("ERROR: value \"{STRONG}new\" too long for type character varying(8)")
    let authenticator = Authenticator(
      configuration: try changeConfiguration(), directory: directory, checker: FakeChecker())
    #expect(
      change(authenticator, old: "old", new: "new")
        == .failure(.unavailable("ERROR: value \"…\" too long for type character varying(8)")))
    // Nor a fragment of it.
    directory.failUpdate = .unavailable("ERROR: invalid input: \"TRONG}ne\"")
    #expect(change(authenticator, old: "old", new: "new") == .failure(.unavailable("ERROR: invalid input: \"…\"")))
  }

  @Test("without password_update_query nothing can change, and the message says what to set")
  func notConfigured() throws {
    let configuration = try testConfiguration()
    #expect(configuration.passwordChange == nil)
    let authenticator = Authenticator(
      configuration: configuration, directory: StoringDirectory("{FAKE}old"), checker: FakeChecker())
    #expect(
      change(authenticator, old: "old", new: "new")
        == .failure(.misconfigured(Configuration.passwordChangeNotConfigured)))
  }

  @Test("password_scheme needs the update query; the query needs one of the two schemes; both must be made")
  func configurationRules() throws {
    let upgradeOnly = try changeConfiguration(
      changeFile.replacingAll("password_scheme = strong", with: "upgrade_scheme = strong"))
    #expect(upgradeOnly.upgrade?.scheme == "STRONG" && upgradeOnly.passwordChange?.scheme == "STRONG")
    let changeOnly = try changeConfiguration()
    #expect(changeOnly.upgrade == nil && changeOnly.passwordChange?.scheme == "STRONG")
    for (text, said) in [
      (
        changeFile.replacingAll("password_update_query", with: "# password_update_query"), "needs password_update_query"
      ),
      (changeFile.replacingAll("password_scheme = strong", with: ""), "needs upgrade_scheme"),
      (changeFile.replacingAll("password_scheme = strong", with: "password_scheme = weak"), "cannot make new 'WEAK'"),
    ] {
      #expect {
        try changeConfiguration(text)
      } throws: { error in
        (error as? ConfigurationError)?.message.contains(said) == true
      }
    }
  }
}

extension String {
  /// The text with every `target` replaced (no Foundation in these tests).
  func replacingAll(_ target: String, with replacement: String) -> String {
    split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
  }
}
