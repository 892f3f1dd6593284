// What the doctor needs from Postfix's configuration: main.cf, the smtpd
// services of master.cf that offer SASL (smtpd_sasl_auth_enable = yes, in
// main.cf or as a service's `-o` override — typically `submission`), and
// for each of them the effective value of a parameter (its `-o` override,
// else main.cf, else Postfix's default), whether it is chrooted, and whether
// it uses Cyrus SASL (so saslauthd) or Dovecot.

struct PostfixSetup {
  static let mainPath = "/etc/postfix/main.cf"
  static let masterPath = "/etc/postfix/master.cf"

  let main: PostfixMainConfig
  let services: [MasterService]

  /// The smtpd services (any type: inet, or `pass` behind postscreen).
  var smtpdServices: [MasterService] {
    services.filter { SystemTree.lastComponent($0.command) == "smtpd" }
  }

  /// The smtpd services with SASL authentication enabled.
  var saslServices: [MasterService] {
    smtpdServices.filter { main.flag("smtpd_sasl_auth_enable", overrides: $0.overrides) }
  }

  /// The SASL services that use Cyrus SASL, i.e. saslauthd.
  var cyrusServices: [MasterService] {
    saslServices.filter { value("smtpd_sasl_type", for: $0).lowercased() == "cyrus" }
  }

  func value(_ name: String, for service: MasterService) -> String {
    main.value(name, overrides: service.overrides)
  }

  func flag(_ name: String, for service: MasterService) -> Bool {
    main.flag(name, overrides: service.overrides)
  }

  func isChrooted(_ service: MasterService) -> Bool {
    service.isChrooted(compatibilityLevel: main.value("compatibility_level"))
  }

  var queueDirectory: String { SystemTree.normalized(main.value("queue_directory")) }

  /// The name libsasl2 builds the configuration file name from:
  /// smtpd_sasl_path (Postfix ≥ 2.3), or its old name
  /// smtpd_sasl_application_name, default "smtpd".
  func saslApplicationName(for service: MasterService) -> String {
    if !main.isSet("smtpd_sasl_path", overrides: service.overrides),
      main.isSet("smtpd_sasl_application_name", overrides: service.overrides)
    {
      return value("smtpd_sasl_application_name", for: service)
    }
    return value("smtpd_sasl_path", for: service)
  }

  /// The directories searched for `<name>.conf`: cyrus_sasl_config_path
  /// when set, else Debian's /etc/postfix/sasl, then libsasl2's own.
  var saslConfigDirectories: [String] {
    let configured = main.value("cyrus_sasl_config_path")
    if !configured.isEmpty { return configured.split(separator: ":").map(String.init) }
    return ["/etc/postfix/sasl", "/etc/sasl2", "/usr/lib/sasl2", "/usr/lib/\(DoctorPaths.multiarch)/sasl2"]
  }

  /// "submission (master.cf line 17)".
  static func describe(_ service: MasterService) -> String {
    "\(service.name) (master.cf line \(service.line))"
  }

  static func describe(_ services: [MasterService]) -> String {
    services.map { describe($0) }.joined(separator: ", ")
  }

  /// Reads main.cf and master.cf from the tree; nil and why when missing.
  static func load(_ tree: SystemTree) -> Result<PostfixSetup, SystemTree.Unresolved> {
    let main: String
    switch tree.read(mainPath) {
    case .success(let text): main = text
    case .failure(let reason): return .failure(reason)
    }
    let master: String
    switch tree.read(masterPath) {
    case .success(let text): master = text
    case .failure(let reason): return .failure(reason)
    }
    return .success(PostfixSetup(main: PostfixMainConfig.parse(main), services: MasterService.parse(master)))
  }
}
