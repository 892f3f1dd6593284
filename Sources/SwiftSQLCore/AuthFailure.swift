// Every way a login can fail, as one enum. The PAM glue maps it to PAM_*
// codes in exactly one exhaustive switch (SwiftSQLPAM/PAMResult.swift); the
// text of `reason` is what the one failure log line says, so it never holds a
// password or a hash, only scheme names and what went wrong.

public enum AuthFailure: Error, Equatable, Sendable {
  /// The login was refused before any query (see LoginRejection).
  case loginRejected(LoginRejection)
  /// The password query (or account query) returned no row.
  case unknownUser
  /// The password does not match the stored hash.
  case wrongPassword
  /// The password is empty and `nullok` is not set.
  case emptyPassword
  /// The stored value can never match: NULL, empty, truncated, malformed,
  /// or an unknown scheme. A data problem, reported by scheme name only.
  case unusableHash(scheme: String, problem: String)
  /// account_query: `active` is false.
  case accountDisabled
  /// account_query: `expired` is true.
  case accountExpired
  /// account_query: `password_expired` is true.
  case passwordExpired
  /// The database cannot be reached, or did not answer in time.
  case unavailable(String)
  /// A password change (pam_sm_chauthtok) did not store the new password:
  /// it was refused (empty), or the update did not take.
  case newPasswordRefused(String)
  /// The configuration is wrong; the text says what to fix.
  case misconfigured(String)
  /// Something that should not happen, e.g. PAM refused to give the login.
  case internalError(String)

  public var reason: String {
    switch self {
    case .loginRejected(let rejection): rejection.reason
    case .unknownUser: "no such login"
    case .wrongPassword: "wrong password"
    case .emptyPassword: "empty password refused (set nullok to allow empty passwords)"
    case .unusableHash(let scheme, let problem): "stored password (scheme \(scheme)) is unusable: \(problem)"
    case .accountDisabled: "account disabled (account_query: active is false)"
    case .accountExpired: "account expired (account_query: expired is true)"
    case .passwordExpired: "password must be changed (account_query: password_expired is true)"
    case .unavailable(let detail): "database unavailable: \(detail)"
    case .newPasswordRefused(let detail): "password not changed: \(detail)"
    case .misconfigured(let detail): "configuration error: \(detail)"
    case .internalError(let detail): "internal error: \(detail)"
    }
  }
}

extension AuthFailure {
  /// A query meant to find one row per login found more: a configuration
  /// error (a missing unique key, a WHERE clause without the domain).
  public static func moreThanOneRow(_ setting: String, for login: Login) -> AuthFailure {
    .misconfigured("\(setting) returned more than one row for \(login.full); it must return at most one")
  }

  /// Whether this is `moreThanOneRow(setting, …)`: for the doctor, which
  /// words that case for administrators.
  public func isMoreThanOneRow(_ setting: String) -> Bool {
    guard case .misconfigured(let detail) = self else { return false }
    return detail.hasPrefix("\(setting) returned more than one row for ")
  }
}
