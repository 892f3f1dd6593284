// The decoy for unknown logins: a stored value in the configuration's
// default scheme for a password nobody types, checked when a login has no
// usable stored value, so that an unknown login takes as long as a wrong
// password (the module makes its own the same way, in ModuleRuntime). Made
// once per loaded configuration.

import SwiftSQLCore
import SwiftSQLSchemes

enum Decoy {
  static func make(for configuration: Configuration, log: Log) -> SecretBytes? {
    guard let scheme = configuration.decoyScheme(canGenerate: SchemeRegistry.canGenerate) else {
      log.debug("no decoy hash: \(configuration.settings.defaultPassScheme) values cannot be made")
      return nil
    }
    let secret = SecretBytes(Array("swiftsql-authd decoy".utf8))
    let made = secret.withCString { cString in
      SchemeRegistry.generate(
        Password(cString: cString, count: secret.count), scheme: scheme,
        options: GenerateOptions(login: try? Login.parse(Array("decoy@invalid".utf8), defaultDomain: nil)))
    }
    switch made {
    case .success(let value): return value
    case .failure(let problem):
      log.warning("cannot make a decoy \(scheme) hash (unknown logins answer faster): \(problem.message)")
      return nil
    }
  }
}
