// A password change, for pam_sm_chauthtok: libpam calls it twice, first to
// check (PAM_PRELIM_CHECK: the old password must verify, exactly as a login),
// then to change (PAM_UPDATE_AUTHTOK: the old password is verified again, the
// new one hashed in password_scheme, or upgrade_scheme, and stored with
// password_update_query, which binds it as %w). The change is checked by
// reading it back: password_query must then return a value the new password
// verifies, or the change is reported as not made (an UPDATE whose WHERE
// matched nothing changes nothing, and says nothing). Neither password nor
// the new stored value is ever logged.

extension Authenticator {
  /// PAM_PRELIM_CHECK: a change is configured and `old` is the password.
  public func checkOldPassword(
    login raw: [UInt8], old: Password, service: String, remoteHost: String
  ) throws(AuthFailure) -> Login {
    guard configuration.passwordChange != nil else { throw .misconfigured(Configuration.passwordChangeNotConfigured) }
    return try authenticate(
      login: raw, password: old, service: service, remoteHost: remoteHost, emptyPasswordAllowed: settings.nullok)
  }

  /// PAM_UPDATE_AUTHTOK: verifies `old` again, stores `new`, and checks it
  /// was stored.
  public func changePassword(
    login raw: [UInt8], old: Password, new: Password, service: String, remoteHost: String
  ) throws(AuthFailure) -> Login {
    guard let change = configuration.passwordChange else {
      throw .misconfigured(Configuration.passwordChangeNotConfigured)
    }
    let login = try checkOldPassword(login: raw, old: old, service: service, remoteHost: remoteHost)
    if new.isEmpty { throw .newPasswordRefused("the new password is empty") }
    let stored: SecretBytes
    switch checker.makeStoredValue(for: new, scheme: change.scheme, login: login) {
    case .success(let made): stored = made
    case .failure(let problem):
      throw .misconfigured("cannot make a new \(change.scheme) value: \(problem.message)")
    }
    var context = QueryContext(login: login, service: service, remoteHost: remoteHost)
    context.newHash = stored.nonSecretText
    do {
      _ = try directory.rows(of: change.query, for: context, limit: 0)
    } catch {
      // A database message may quote the value it refused: the drivers mask
      // quoted text, and no fragment of the new value may remain either.
      var secret = stored.withBytes { Array($0) }
      defer { secret.withUnsafeMutableBytes { wipe($0) } }
      throw error.removingFragments(of: secret)
    }
    do {
      _ = try authenticate(
        login: raw, password: new, service: service, remoteHost: remoteHost, emptyPasswordAllowed: false)
    } catch {
      switch error {
      case .wrongPassword, .unknownUser, .unusableHash:
        throw .newPasswordRefused(
          "password_update_query ran, but password_query does not return the new value; check that its WHERE "
            + "clause selects the same row")
      default:
        throw error
      }
    }
    log.notice("password of \(login.full) changed (stored as \(change.scheme))")
    return login
  }
}

extension AuthFailure {
  /// The same failure with every run of eight or more bytes of `secret` in
  /// its text removed (LogText.removingFragments): a database message may
  /// quote all or part of the value it refused.
  func removingFragments(of secret: [UInt8]) -> AuthFailure {
    func scrub(_ text: String) -> String { LogText.removingFragments(of: secret, from: text) }
    switch self {
    case .unavailable(let detail): return .unavailable(scrub(detail))
    case .misconfigured(let detail): return .misconfigured(scrub(detail))
    case .internalError(let detail): return .internalError(scrub(detail))
    case .newPasswordRefused(let detail): return .newPasswordRefused(scrub(detail))
    case .unusableHash(let scheme, let problem): return .unusableHash(scheme: scheme, problem: scrub(problem))
    default: return self
    }
  }
}
