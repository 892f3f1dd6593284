// The command line of `swiftsql-authd` (and of `pam-swiftsql serve`, which
// runs it): declared once in `ServeOptions.table`, each option with its
// help text and the setter that checks its value. A bad value is a usage
// error that names the option; nothing falls back to a default.

/// What the command line asks for.
public enum ServeAction: Equatable, Sendable {
  case serve(ServeOptions)
  /// Load the configuration files, report, exit (0 when all are usable).
  case check(ServeOptions)
  case help
  case version
}

public struct ServeUsageError: Error, Equatable, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
}

public struct ServeOptions: Equatable, Sendable {
  /// The package's system user, and where its sockets go by default.
  public static let defaultUser = "_swiftsql-authd"
  public static let runDirectory = "/run/swiftsql-authd"

  /// The login configuration of every service not named by `--service`.
  public var config = "/etc/pam_swiftsql.conf"
  /// Per-service configuration files, by the service name the client sends
  /// (saslauthd's service field, Dovecot's service=).
  public var services: [String: String] = [:]
  /// The sockets; nil when turned off with "none".
  public var saslauthdSocket: String? = runDirectory + "/mux"
  public var dovecotSocket: String? = runDirectory + "/auth-client"
  public var statusSocket: String? = runDirectory + "/status"
  /// The group of a socket directory the daemon creates (0710): its
  /// members may connect.
  public var socketGroup = "sasl"
  public var user = defaultUser
  public var foreground = false
  /// saslauthd -r: a non-empty realm is joined to the login with "@".
  public var joinRealm = true
  /// nil: one per online CPU.
  public var workers: Int? = nil
  /// nil: one per worker.
  public var databaseConnections: Int? = nil
  /// nil: 64 per worker.
  public var queueSize: Int? = nil
  public var maximumConnections = 4096
  /// Seconds a client may take to send a whole request (or line).
  public var requestTimeout = 10
  /// Seconds a Dovecot connection may stay idle between logins.
  public var idleTimeout = 600
  public var failureDelayMilliseconds = 2000
  public var addressWaitMilliseconds = 20
  public var logToStandardError = false

  public init() {}

  /// One option: its names, the value it takes (nil for a flag), its help.
  public struct Option: Sendable {
    public let name: String
    public let value: String?
    public let help: String
    let apply: @Sendable (inout ServeOptions, String) throws(ServeUsageError) -> Void
  }

  /// The options, in the order --help lists them.
  public static let table: [Option] = [
    Option(name: "--config", value: "FILE", help: "The login configuration (default /etc/pam_swiftsql.conf).") {
      options, value throws(ServeUsageError) in options.config = try path(value, "--config")
    },
    Option(
      name: "--service", value: "NAME=FILE",
      help: "Use FILE for logins of service NAME (the service the client sends); repeatable."
    ) { options, value throws(ServeUsageError) in
      guard let equals = value.firstIndex(of: "="), equals != value.startIndex else {
        throw ServeUsageError("--service expects NAME=FILE, e.g. smtp=/etc/pam_swiftsql-smtp.conf")
      }
      let name = String(value[..<equals])
      options.services[name] = try path(String(value[value.index(after: equals)...]), "--service \(name)")
    },
    Option(
      name: "--socket", value: "PATH",
      help: "saslauthd's mux socket (default /run/swiftsql-authd/mux; none: off)."
    ) { options, value throws(ServeUsageError) in options.saslauthdSocket = try socket(value, "--socket") },
    Option(
      name: "--dovecot-socket", value: "PATH",
      help: "Dovecot's auth-client socket (default /run/swiftsql-authd/auth-client; none: off)."
    ) { options, value throws(ServeUsageError) in options.dovecotSocket = try socket(value, "--dovecot-socket") },
    Option(
      name: "--status-socket", value: "PATH",
      help: "The socket pam-swiftsql status reads (default /run/swiftsql-authd/status; none: off)."
    ) { options, value throws(ServeUsageError) in options.statusSocket = try socket(value, "--status-socket") },
    Option(
      name: "--socket-group", value: "GROUP",
      help: "Group of a socket directory the daemon creates, mode 0710 (default sasl)."
    ) { options, value throws(ServeUsageError) in options.socketGroup = try name(value, "--socket-group") },
    Option(
      name: "--user", value: "NAME",
      help: "Started as root, open the sockets, then serve as this user (default _swiftsql-authd)."
    ) { options, value throws(ServeUsageError) in options.user = try name(value, "--user") },
    Option(name: "--foreground", value: nil, help: "Do not detach (systemd, the init script and tests).") {
      options, _ throws(ServeUsageError) in options.foreground = true
    },
    Option(
      name: "--realm", value: "join|ignore",
      help: "saslauthd's realm: join it to the login with @, as saslauthd -r (default), or ignore it."
    ) { options, value throws(ServeUsageError) in
      switch value {
      case "join": options.joinRealm = true
      case "ignore": options.joinRealm = false
      default: throw ServeUsageError("--realm expects join or ignore")
      }
    },
    Option(name: "--workers", value: "N", help: "Threads that check passwords (default: one per CPU).") {
      options, value throws(ServeUsageError) in options.workers = try number(value, "--workers", 1...256)
    },
    Option(
      name: "--db-connections", value: "N", help: "Database connections per database (default: one per worker)."
    ) { options, value throws(ServeUsageError) in
      options.databaseConnections = try number(value, "--db-connections", 1...256)
    },
    Option(
      name: "--queue", value: "N",
      help: "Logins waiting for a worker before the daemon stops reading more (default 64 per worker)."
    ) { options, value throws(ServeUsageError) in options.queueSize = try number(value, "--queue", 1...1_000_000) },
    Option(
      name: "--max-connections", value: "N",
      help: "Client connections at once; more wait in the listen queue (default 4096)."
    ) { options, value throws(ServeUsageError) in
      options.maximumConnections = try number(value, "--max-connections", 1...1_000_000)
    },
    Option(
      name: "--request-timeout", value: "SECONDS",
      help: "Time a client has to send a whole request or line (default 10)."
    ) { options, value throws(ServeUsageError) in
      options.requestTimeout = try number(value, "--request-timeout", 1...3600)
    },
    Option(
      name: "--idle-timeout", value: "SECONDS",
      help: "Time a Dovecot-protocol connection may stay idle between logins (default 600)."
    ) { options, value throws(ServeUsageError) in
      options.idleTimeout = try number(value, "--idle-timeout", 1...86400)
    },
    Option(
      name: "--failure-delay", value: "MS",
      help: "Milliseconds a refused login waits before its answer, as Dovecot's auth_failure_delay (default 2000)."
    ) { options, value throws(ServeUsageError) in
      options.failureDelayMilliseconds = try number(value, "--failure-delay", 0...60000)
    },
    Option(
      name: "--address-wait", value: "MS",
      help: "Milliseconds to wait for saslauthd's fifth field after four that came in pieces (default 20)."
    ) { options, value throws(ServeUsageError) in
      options.addressWaitMilliseconds = try number(value, "--address-wait", 0...5000)
    },
    Option(name: "--log-stderr", value: nil, help: "Also write the log lines to standard error.") {
      options, _ throws(ServeUsageError) in options.logToStandardError = true
    },
  ]

  /// Parses the arguments after the program name.
  public static func parse(_ arguments: [String]) throws(ServeUsageError) -> ServeAction {
    var options = ServeOptions()
    var check = false
    var index = 0
    while index < arguments.count {
      let argument = arguments[index]
      index += 1
      switch argument {
      case "-h", "--help": return .help
      case "--version": return .version
      case "--check":
        check = true
        continue
      default: break
      }
      var name = argument
      var value: String? = nil
      if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
        name = String(argument[..<equals])
        value = String(argument[argument.index(after: equals)...])
      }
      guard let option = table.first(where: { $0.name == name }) else {
        throw ServeUsageError("unknown option \(argument) (see --help)")
      }
      if option.value == nil {
        if value != nil { throw ServeUsageError("\(name) takes no value") }
        try option.apply(&options, "")
        continue
      }
      if value == nil {
        guard index < arguments.count else { throw ServeUsageError("\(name) needs a value: \(option.value ?? "")") }
        value = arguments[index]
        index += 1
      }
      try option.apply(&options, value ?? "")
    }
    if options.saslauthdSocket == nil && options.dovecotSocket == nil {
      throw ServeUsageError("--socket none and --dovecot-socket none: there is nothing to serve")
    }
    return check ? .check(options) : .serve(options)
  }

  /// The text of --help.
  public static var help: String {
    var text = """
      Usage: swiftsql-authd [options]
             pam-swiftsql serve [options]

      Check mail logins against SQL with pam_swiftsql's configuration, schemes and drivers,
      on saslauthd's socket (libsasl2 pwcheck_method: saslauthd, testsaslauthd) and on
      Dovecot's auth-client socket (Postfix smtpd_sasl_type = dovecot). No PAM, no root:
      started as root it opens its sockets, then serves as --user. A configuration file is
      read again when it changes, as the module reads it (taken only whole, safe and valid;
      an invalid change keeps the last good one); SIGHUP checks them at once. SIGTERM stops
      accepting, answers the logins in progress, and exits.

      Options:

      """
    for option in table {
      let left = "  " + option.name + (option.value.map { " " + $0 } ?? "")
      text += left + String(repeating: " ", count: max(1, 32 - left.count)) + option.help + "\n"
    }
    text +=
      "  --check" + String(repeating: " ", count: 23)
      + "Load the configuration files, say what is wrong, exit (0: all usable).\n"
    text += "  --version" + String(repeating: " ", count: 21) + "Print the version.\n"
    text += "  -h, --help" + String(repeating: " ", count: 20) + "Print this help.\n"
    return text
  }

  /// The number of workers for a machine with `processors` online CPUs.
  public func workerCount(processors: Int) -> Int { workers ?? max(1, processors) }

  static func path(_ value: String, _ option: String) throws(ServeUsageError) -> String {
    guard value.hasPrefix("/") else { throw ServeUsageError("\(option) expects an absolute path, not '\(value)'") }
    return value
  }

  static func socket(_ value: String, _ option: String) throws(ServeUsageError) -> String? {
    if value == "none" { return nil }
    let path = try path(value, option)
    // sockaddr_un.sun_path holds 108 bytes with the NUL.
    guard path.utf8.count < 108 else {
      throw ServeUsageError("\(option): the path is longer than a socket's 107 bytes")
    }
    return path
  }

  static func name(_ value: String, _ option: String) throws(ServeUsageError) -> String {
    guard !value.isEmpty, !value.contains(":"), !value.contains("/") else {
      throw ServeUsageError("\(option) expects a name, not '\(value)'")
    }
    return value
  }

  static func number(_ value: String, _ option: String, _ range: ClosedRange<Int>) throws(ServeUsageError) -> Int {
    guard let number = Int(value), range.contains(number) else {
      throw ServeUsageError("\(option) expects a whole number from \(range.lowerBound) to \(range.upperBound)")
    }
    return number
  }
}
