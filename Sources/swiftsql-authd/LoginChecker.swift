// What a worker does with one login ("authenticate"): the configuration for
// the client's service, then the core's Authenticator over the database
// pool and the scheme registry, in the two steps saslauthd runs through
// PAM (authentication, then account management, each with its own
// deadline), then the audit statements. A failure writes the module's one
// failure line. The password is a SecretBytes, wiped when the job ends.

import SwiftSQLBackends
import SwiftSQLCore
import SwiftSQLRuntime
import SwiftSQLSchemes
import SwiftSQLServe
import SwiftSQLSystem

/// One login to check, as the event loop read it.
struct LoginJob {
  /// The connection (its event-loop token) and, for Dovecot, the id.
  let connection: UInt64
  let requestID: UInt32
  /// saslauthd: the connection's descriptor, handed over with the job (the
  /// worker answers and closes it); -1 for Dovecot.
  let descriptor: Int32
  /// Dovecot: the connection, which the worker answers on.
  let dovecot: Daemon.Connection?
  let login: [UInt8]
  let password: SecretBytes
  let service: String
  let remoteHost: String
  /// When the request was complete (monotonic ns), for the latency.
  let received: UInt64
}

/// The answer to a job.
struct LoginResult {
  let connection: UInt64
  let requestID: UInt32
  let descriptor: Int32
  let dovecot: Daemon.Connection?
  let login: [UInt8]
  /// The verified login (`%u`), or why not.
  let outcome: Result<String, AuthFailure>
  let received: UInt64
  /// saslauthd: the reply bytes not yet written.
  var reply: [UInt8] = []
  /// Whether the answer waits for the failure delay.
  var delayed = false
  /// Dovecot: what the worker left to the event loop.
  var handback: Daemon.Connection.Handback? = nil
}

final class LoginChecker: @unchecked Sendable {
  let store: ServiceConfigurations
  let pool: DatabasePool
  let process: ProcessFacts

  init(store: ServiceConfigurations, pool: DatabasePool) {
    self.store = store
    self.pool = pool
    process = ProcessFacts(pid: String(System.processID()), hostname: System.hostname())
  }

  func check(_ job: LoginJob) -> LoginResult {
    LoginResult(
      connection: job.connection, requestID: job.requestID, descriptor: job.descriptor, dovecot: job.dovecot,
      login: job.login, outcome: outcome(job), received: job.received)
  }

  private func outcome(_ job: LoginJob) -> Result<String, AuthFailure> {
    let loaded: LoadedConfiguration
    switch store.configuration(for: job.service, log: ServeLog.make(debug: false)) {
    case .success(let found): loaded = found
    case .failure(let failure):
      logFailure(step: "authentication", job, failure)
      return .failure(failure)
    }
    let settings = loaded.configuration.settings
    let log = ServeLog.make(debug: settings.debug)
    var step = AuditStep.authentication
    let prefetch = Prefetch(loaded.configuration, database: Database.Key(settings))
    var authenticator = authenticator(loaded, log: log, prefetch: prefetch)
    do throws(AuthFailure) {
      let verified = try job.password.withCString { (cString) throws(AuthFailure) -> Login in
        try authenticator.authenticate(
          login: job.login, password: Password(cString: cString, count: job.password.count), service: job.service,
          remoteHost: job.remoteHost, emptyPasswordAllowed: settings.nullok)
      }
      audit(authenticator, step, job, nil)
      step = .account
      // The account step has a deadline of its own, as pam_acct_mgmt has.
      authenticator = self.authenticator(loaded, log: log, prefetch: prefetch)
      let login = try authenticator.authorize(
        login: job.login, service: job.service, remoteHost: job.remoteHost, verifiedLogin: verified.full)
      audit(authenticator, step, job, nil)
      log.debug(
        "login succeeded; user=\(LogText.field(login.full)) service=\(LogText.field(job.service)) "
          + "rhost=\(LogText.field(job.remoteHost))")
      return .success(login.full)
    } catch {
      logFailure(step: step == .authentication ? "authentication" : "account", job, error)
      audit(authenticator, step, job, error)
      return .failure(error)
    }
  }

  /// The core's Authenticator for one step: the daemon's connection pool
  /// (with the login's prefetch), the scheme registry, and the decoys the
  /// runtime keeps for `loaded`.
  private func authenticator(_ loaded: LoadedConfiguration, log: Log, prefetch: Prefetch?)
    -> Authenticator<PoolDirectory, SchemeRegistry, RuntimeDecoys>
  {
    Authenticator(
      configuration: loaded.configuration,
      directory: PoolDirectory(pool: pool, settings: loaded.configuration.settings, log: log, prefetch: prefetch),
      checker: SchemeRegistry(), decoys: RuntimeDecoys(runtime: store.runtime, loaded: loaded), log: log)
  }

  private func logFailure(step: String, _ job: LoginJob, _ failure: AuthFailure) {
    ServeLog.write(
      ServeAnswer.of(failure).level,
      FailureLine.text(
        step: step, user: job.login, service: job.service, remoteHost: job.remoteHost, reason: failure.reason))
  }

  private func audit(
    _ authenticator: Authenticator<PoolDirectory, SchemeRegistry, RuntimeDecoys>, _ step: AuditStep,
    _ job: LoginJob,
    _ failure: AuthFailure?
  ) {
    guard !authenticator.configuration.audit.isEmpty else { return }
    authenticator.audit(
      step, login: job.login, failure: failure, service: job.service, remoteHost: job.remoteHost, process: process)
  }
}
