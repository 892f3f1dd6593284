// The doctor: gathers the facts once (the process list, /etc/default/
// saslauthd, saslauthd.service and its drop-ins where systemd starts it,
// Postfix's main.cf, master.cf and SASL file, /etc/passwd and /etc/group,
// the PAM service files, the module's configuration) from the
// real system or a --root tree, then runs the named checks in order. A check
// that needs another one (the socket's permissions need the socket) is not
// run when that one failed: the report lists it as waiting, so the first
// thing to fix comes first. The checks themselves live in the Doctor+*.swift
// extensions, one file per part of the chain.

import SwiftSQLCore

final class Doctor {
  struct Options {
    /// A login to probe the password query with (and, with a password,
    /// to try end to end).
    var login: String? = nil
    var password: SecretBytes? = nil
    /// The PAM service to check instead of the one Postfix uses.
    var service: String? = nil
    /// The saslauthd socket to check instead of the running daemon's.
    var socket: String? = nil
    /// Seconds to wait for saslauthd.
    var timeout: Int = 10
  }

  let tree: SystemTree
  var options: Options
  private(set) var report = DoctorReport()

  init(tree: SystemTree, options: Options) {
    self.tree = tree
    self.options = options
  }

  // MARK: Facts

  lazy var accounts = SystemAccounts(
    passwd: tree.text("/etc/passwd") ?? "", group: tree.text("/etc/group") ?? "")

  /// saslauthd.service (Debian 13), or nil where the init script starts
  /// saslauthd (Debian 12).
  lazy var unit: SaslauthdUnit? = SaslauthdUnit.load(tree)

  /// Every /etc/default/saslauthd* file: Debian's init script starts one
  /// instance per file (`saslauthd[_a-zA-Z0-9-]*`).
  lazy var allDefaultsFiles: [(path: String, file: SaslauthdDefaults)] = tree.list("/etc/default").compactMap {
    name in
    guard name.hasPrefix("saslauthd"),
      name.dropFirst("saslauthd".count).allSatisfy({
        $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-")
      })
    else { return nil }
    let path = "/etc/default/" + name
    return tree.text(path).map { (path, SaslauthdDefaults.parse($0)) }
  }

  /// The defaults files that start a saslauthd: under systemd only the
  /// unit's EnvironmentFile (saslauthd.service ignores the init script's
  /// instance files, Debian bug #1110485), else every one.
  var defaultsFiles: [(path: String, file: SaslauthdDefaults)] {
    guard let unit else { return allDefaultsFiles }
    let read = Set(unit.environmentFiles.map { SystemTree.normalized($0.path) })
    return allDefaultsFiles.filter { read.contains($0.path) }
  }

  /// The saslauthd options a defaults file gives at the next start: through
  /// saslauthd.service's ExecStart, or through the init script.
  func startOptions(_ file: SaslauthdDefaults) -> SaslauthdOptions {
    guard let unit else { return file.saslauthdOptions }
    return SaslauthdOptions.parse(unit.arguments(variables: file.variables))
  }

  /// How saslauthd is started at boot, for evidence.
  var starter: String {
    guard let unit else { return "Debian's init script (/etc/init.d/saslauthd)" }
    let dropIns = unit.dropIns.isEmpty ? "no drop-in" : "drop-in " + unit.dropIns.joined(separator: ", ")
    return "\(SaslauthdUnit.name) (\(unit.files[0]); \(dropIns))"
  }

  /// The defaults file of the instance the checks are about: the one whose
  /// -m matches it, else /etc/default/saslauthd.
  lazy var selectedDefaults: (path: String, file: SaslauthdDefaults)? = {
    if let instance,
      let match = defaultsFiles.first(where: {
        sameFile(startOptions($0.file).socketPath, instance.options.socketPath)
      })
    {
      return match
    }
    return defaultsFiles.first { $0.path == SaslauthdDefaults.path } ?? defaultsFiles.first
  }()

  var defaultsFile: SaslauthdDefaults? { selectedDefaults?.file }
  /// Where the defaults came from, for evidence and fixes.
  var defaultsPath: String { selectedDefaults?.path ?? SaslauthdDefaults.path }

  /// Why processes and sockets are not judged under this tree (read once:
  /// several checks ask), or nil.
  lazy var runtimeNotJudged: String? = tree.runtimeNotJudged

  /// The check as a warning when what runs is not judged under this tree.
  func notJudged(_ name: String) -> DoctorCheck? {
    runtimeNotJudged.map { why in
      .warning(
        name, "not judged: \(why)",
        fix: "run pam-swiftsql doctor on the mail server itself (without --root) to check what runs there")
    }
  }

  /// The running saslauthds; none where what runs is not judged.
  lazy var instances: [SaslauthdInstance] = runtimeNotJudged == nil ? SaslauthdInstance.scan(tree) : []

  lazy var postfixLoad: Result<PostfixSetup, SystemTree.Unresolved> = PostfixSetup.load(tree)

  var postfix: PostfixSetup? {
    if case .success(let setup) = postfixLoad { return setup }
    return nil
  }

  /// The daemon the checks are about: the one on --socket, else the one
  /// Postfix's configuration points at, else the one the defaults file
  /// describes, else the first.
  lazy var instance: SaslauthdInstance? = selectInstance()

  /// saslauthd's options, from the running daemon or else the defaults file.
  lazy var saslauthd: (options: SaslauthdOptions, source: String)? = {
    if let instance {
      return (instance.options, "the running saslauthd (pid \(instance.processIDs.first ?? 0))")
    }
    if let defaultsFile {
      return (startOptions(defaultsFile), "\(defaultsPath) (saslauthd is not running)")
    }
    return nil
  }()

  /// The socket the checks look at (a system path).
  lazy var socketPath: String = options.socket ?? saslauthd?.options.socketPath ?? SaslauthdOptions().socketPath

  /// The PAM services to check: --service, else what Postfix's Cyrus SASL
  /// services use (smtpd_sasl_service, default "smtp").
  lazy var pamServices: [String] = {
    if let service = options.service { return [service] }
    var names: [String] = []
    for service in postfix?.cyrusServices ?? [] {
      let name = postfix?.value("smtpd_sasl_service", for: service) ?? "smtp"
      if !names.contains(name) { names.append(name) }
    }
    return names.isEmpty ? ["smtp"] : names
  }()

  private var stacks: [String: PAMStack] = [:]

  func stack(_ service: String) -> PAMStack {
    if let known = stacks[service] { return known }
    let loaded = PAMStack.load(service, tree: tree)
    stacks[service] = loaded
    return loaded
  }

  /// The module's configuration, from the first PAM service's module line.
  lazy var module: ModuleSetup = ModuleSetup.load(stack: stack(pamServices[0]), tree: tree)

  var configuration: Configuration? {
    if case .success(let configuration) = module.configuration { return configuration }
    return nil
  }

  lazy var postfixUser: SystemAccounts.User? = accounts.user("postfix")
  lazy var saslGroup: SystemAccounts.Group? = accounts.group("sasl")

  /// The resolved socket saslauthd listens on.
  lazy var resolvedSocket: Result<SystemTree.Resolved, SystemTree.Unresolved> = tree.resolve(socketPath)

  private var saslFiles: [String: (path: String?, file: SaslConfigFile?, searched: [String])] = [:]

  /// libsasl2's configuration file `<name>.conf` for an application name.
  func saslConfig(_ name: String) -> (path: String?, file: SaslConfigFile?, searched: [String]) {
    if let known = saslFiles[name] { return known }
    let directories = postfix?.saslConfigDirectories ?? []
    var found: (path: String?, file: SaslConfigFile?, searched: [String]) = (nil, nil, [])
    for directory in directories {
      let path = SystemTree.join(directory, name + ".conf")
      found.searched.append(path)
      if let text = tree.text(path) {
        found = (path, SaslConfigFile.parse(text), found.searched)
        break
      }
    }
    saslFiles[name] = found
    return found
  }

  /// libsasl2's saslauthd_path default (Debian: /var/run/saslauthd/mux).
  static let defaultSaslauthdPath = "/var/run/saslauthd/mux"

  /// Where a Postfix service connects to: saslauthd_path (or the default),
  /// inside the queue directory when the service is chrooted.
  func postfixTarget(_ service: MasterService) -> (written: String, isDefault: Bool, outside: String, chroot: String) {
    let name = postfix?.saslApplicationName(for: service) ?? "smtpd"
    let configured = saslConfig(name).file?.options["saslauthd_path"]
    let written = configured ?? Doctor.defaultSaslauthdPath
    let chroot = (postfix.map { $0.isChrooted(service) } ?? false) ? (postfix?.queueDirectory ?? "/") : "/"
    let outside = chroot == "/" ? written : chroot + SystemTree.normalized(written)
    return (written, configured == nil, outside, chroot)
  }

  /// Whether two system paths name the same socket.
  func sameFile(_ first: String, _ second: String) -> Bool {
    switch (tree.resolve(first), tree.resolve(second)) {
    case (.success(let a), .success(let b)):
      return a.path == b.path || (a.status.device == b.status.device && a.status.inode == b.status.inode)
    default:
      return SystemTree.normalized(first) == SystemTree.normalized(second)
    }
  }

  private func selectInstance() -> SaslauthdInstance? {
    guard !instances.isEmpty else { return nil }
    var wanted: [String] = []
    if let socket = options.socket {
      wanted = [socket]
    } else {
      for service in postfix?.cyrusServices ?? [] {
        let target = postfixTarget(service)
        if case .success(let resolved) = tree.resolve(target.written, chroot: target.chroot) {
          wanted.append(resolved.path)
        }
      }
      wanted += defaultsFiles.map { startOptions($0.file).socketPath }
    }
    for path in wanted {
      if let match = instances.first(where: { sameFile($0.options.socketPath, path) }) { return match }
    }
    return options.socket == nil ? instances.first : nil
  }

  // MARK: Running checks

  /// Runs `body` unless a check in `needs` failed or was not run.
  func run(_ name: String, needs: [String] = [], _ body: () -> [DoctorCheck]) {
    let blocking = needs.filter { needed in
      report.notRun.contains { $0.name == needed }
        || report.checks.contains { $0.name == needed && $0.status == .failure }
    }
    if !blocking.isEmpty {
      if !report.notRun.contains(where: { $0.name == name }) {
        report.notRun.append(DoctorReport.NotRun(name: name, needs: blocking))
      }
      return
    }
    report.checks += body()
  }

  func note(_ text: String) { report.notes.append(text) }

  /// Every check, in the order of the chain.
  func runAll() -> DoctorReport {
    runSaslauthdChecks()
    runSocketChecks()
    runPostfixChecks()
    runPAMChecks()
    runConfigChecks()
    run("pg-hba", needs: ["config-file"]) { checkPgHba() }
    runEndToEnd()
    return report
  }

  /// `systemctl restart saslauthd`, the step after changing its options.
  static let restartSaslauthd = "systemctl restart saslauthd"

  /// OPTIONS as the defaults file gives it, or what an empty one means: the
  /// init script's default, or nothing under saslauthd.service.
  var currentOptions: String {
    if let options = defaultsFile?.options, !options.isEmpty { return options }
    return unit == nil ? SaslauthdDefaults.defaultOptions : ""
  }

  /// The OPTIONS line that adds `flag` (e.g. "-r") to the defaults file's.
  func optionsLine(adding flag: String) -> String {
    var words = currentOptions.words
    if !words.contains(flag) {
      // Before the first option that takes a value, so "-m DIR" stays a pair.
      let takesValue: Set<String> = ["-a", "-O", "-m", "-n", "-s", "-t"]
      words.insert(flag, at: words.firstIndex { takesValue.contains($0) } ?? words.count)
    }
    return "OPTIONS=\"\(words.joined(separator: " "))\" in \(defaultsPath), then: \(Doctor.restartSaslauthd)"
  }

  /// How to add `flag` to the daemon the checks are about: in the defaults
  /// file when that file describes it, else on its own command line.
  func fixAdding(_ flag: String) -> String {
    guard let instance else { return optionsLine(adding: flag) }
    if let defaultsFile, sameFile(instance.options.socketPath, startOptions(defaultsFile).socketPath) {
      return optionsLine(adding: flag)
    }
    var words = instance.commandLine
    if !words.contains(flag) { words.insert(flag, at: min(1, words.count)) }
    return "restart that saslauthd (it is not the one \(defaultsPath) starts) as: "
      + words.joined(separator: " ")
  }

  /// The OPTIONS line with `-m` set to `directory`.
  func optionsLine(runPath directory: String) -> String {
    "OPTIONS=\"\(optionsWords(runPath: directory))\" in \(defaultsPath), then: \(Doctor.restartSaslauthd)"
  }

  /// OPTIONS' value with `-m` set to `directory`.
  func optionsWords(runPath directory: String) -> String {
    var words = currentOptions.words
    if let index = words.firstIndex(of: "-m"), index + 1 < words.count {
      words[index + 1] = directory
    } else {
      words += ["-m", directory]
    }
    return words.joined(separator: " ")
  }
}
