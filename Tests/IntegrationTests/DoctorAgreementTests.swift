// The doctor and the module answer the same question the same way: for each
// case, `pam-swiftsql doctor --login L` on a tree and the built module
// through real libpam, both over the tree's configuration and database, with
// the tree's right password. What each doctor verdict must come with is
// DESIGN.md §4's table, not the code's: a row the module verifies is
// PAM_SUCCESS, no row and a refused login PAM_USER_UNKNOWN, a stored value
// that can never match PAM_AUTH_ERR, a query that returns two rows (a
// configuration error) PAM_SERVICE_ERR.

import Foundation
import Testing

struct AgreementCase: Sendable, CustomTestStringConvertible {
  enum Verdict: String, Sendable {
    case verified, refusedLogin, noRow, neverMatches, twoRows

    /// The doctor's words for it (in the password-query check's evidence).
    var evidence: String {
      switch self {
      case .verified: "which the module verifies"
      case .refusedLogin: "refuses the login"
      case .noRow: "returns no row"
      case .neverMatches: "can never log in"
      case .twoRows: "more than one row"
      }
    }

    /// DESIGN.md §4.
    var pamCode: String {
      switch self {
      case .verified: "PAM_SUCCESS"
      case .refusedLogin, .noRow: "PAM_USER_UNKNOWN"
      case .neverMatches: "PAM_AUTH_ERR"
      case .twoRows: "PAM_SERVICE_ERR"
      }
    }
  }

  let name: String
  /// Lines added to the tree's configuration.
  let settings: String
  /// password_query's WHERE clause, when not the tree's.
  var condition: String? = nil
  /// SQL run on the tree's database, given the tree.
  let sql: @Sendable (DoctorTree) -> String
  /// The login both are asked about, given the tree.
  let login: @Sendable (DoctorTree) -> String
  let expected: Verdict

  var testDescription: String { name }
}

@Suite("Doctor and module agree")
struct DoctorAgreementTests {
  static let cases: [AgreementCase] = [
    AgreementCase(
      name: "the whole address, as stored", settings: "", sql: { _ in "" }, login: { $0.login }, expected: .verified),
    AgreementCase(
      name: "the domain in capitals (the module lower-cases it)", settings: "", sql: { _ in "" },
      login: { "\($0.localPart)@\($0.domain.uppercased())" }, expected: .verified),
    AgreementCase(
      name: "a bare name with allow_bare_logins = yes, stored with an empty domain",
      settings: "allow_bare_logins = yes\n",
      sql: { "INSERT INTO users VALUES (\(Accounts.quoted($0.localPart)), '', (SELECT password FROM users));" },
      login: { $0.localPart }, expected: .verified),
    AgreementCase(
      name: "a bare name with default_domain", settings: "default_domain = example.net\n", sql: { _ in "" },
      login: { $0.localPart }, expected: .verified),
    AgreementCase(
      name: "a bare name, neither allow_bare_logins nor default_domain", settings: "", sql: { _ in "" },
      login: { $0.localPart }, expected: .refusedLogin),
    AgreementCase(
      name: "an address with nothing after @", settings: "", sql: { _ in "" }, login: { "\($0.localPart)@" },
      expected: .refusedLogin),
    AgreementCase(
      name: "an unknown login", settings: "", sql: { _ in "" }, login: { "nobody-\($0.localPart)@\($0.domain)" },
      expected: .noRow),
    AgreementCase(
      name: "a NULL stored value", settings: "", sql: { _ in "UPDATE users SET password = NULL;" },
      login: { $0.login }, expected: .neverMatches),
    AgreementCase(
      name: "an empty stored value", settings: "", sql: { _ in "UPDATE users SET password = '';" },
      login: { $0.login }, expected: .neverMatches),
    AgreementCase(
      name: "a query that finds the name in two domains",
      settings: "", condition: "username = '%n'",
      sql: {
        "INSERT INTO users VALUES (\(Accounts.quoted($0.localPart)), 'example.com', (SELECT password FROM users));"
      },
      login: { $0.login }, expected: .twoRows),
  ]

  @Test("the doctor's verdict and the module's PAM code agree", arguments: DoctorAgreementTests.cases)
  func agree(_ agreement: AgreementCase) throws {
    let tree = try DoctorTree()
    defer { tree.tearDown() }
    var config = tree.configText() + agreement.settings
    if let condition = agreement.condition {
      config = config.replacingOccurrences(of: "username = '%n' AND domain = '%d'", with: condition)
    }
    try tree.write("/etc/pam_swiftsql.conf", config, mode: 0o640, group: DoctorTree.saslGID)
    let sql = agreement.sql(tree)
    if !sql.isEmpty { try run(["sqlite3", tree.database, sql], check: true) }
    let login = agreement.login(tree)

    let report = try tree.doctor(["--login", login])
    let probe = try #require(report.check("password-query"), "\(report.dump)")
    let doctorVerifies = probe.status == "ok"
    #expect(doctorVerifies == (agreement.expected == .verified), "\(report.dump)")
    #expect(probe.evidence.contains(agreement.expected.evidence), "doctor: \(probe.evidence)")

    let service = try PAMService(config: config)
    defer { service.remove() }
    let line = try service.result(login, tree.password)
    #expect(line.hasPrefix("auth=\(agreement.expected.pamCode) "), "module: \(line) (\(service.lastStandardError))")
  }
}
