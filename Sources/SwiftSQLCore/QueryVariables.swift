// The values a query template can ask for, by every name Dovecot gives them,
// and the filters that transform them. Dovecot 2.3's passdb variable table
// (src/auth/auth-request-var-expand.c), its built-ins and modifiers
// (src/lib/var-expand.c), and Dovecot 2.4's variable names and filters
// (src/lib-var-expand/expansion-filter.c) were read and each name decided:
// bound with the value PAM gives, bound with the value Dovecot itself has
// for a request that lacks it (a PAM module never learns the local address,
// the ports, the TLS state or a master user), or refused with the reason.
// The decisions are listed in `QueryVariable.table` and in
// pam_swiftsql.conf(5).

/// A value a query can ask for.
public enum QueryVariable: Equatable, Hashable, Sendable {
  /// `%u`, `%{user}`: the whole login, `user@domain`.
  case user
  /// `%n`, `%{username}`, `%{user | username}`: the part before the last `@`.
  case username
  /// `%d`, `%{domain}`, `%{user | domain}`: the domain, lower-cased.
  case domain
  /// `%{domain_first}`: the domain up to a second `@` (Dovecot's split at
  /// the first `@`), for logins such as `a@b@c`; otherwise `%d`.
  case domainFirst
  /// `%s`, `%{service}`, `%{protocol}`: the PAM service name.
  case service
  /// `%r`, `%{rip}`, `%{remote_ip}`: the remote host PAM_RHOST gives, or empty.
  case remoteHost
  /// `%w`, `%{new_hash}`: the freshly made stored value, in
  /// password_update_query only. (In Dovecot %w is the plaintext password;
  /// the module never binds a plaintext password.)
  case newHash
  /// `%{reason}`: why the login failed (empty on success), in the audit
  /// queries only.
  case reason
  /// `%{pid}`, `%p`, `%{client_pid}`: the process that ran the query (the
  /// PAM application: a saslauthd or Dovecot worker).
  case pid
  /// `%{hostname}`: this machine's name.
  case hostname
  /// A value a PAM module cannot know, bound as Dovecot binds it for a
  /// request that lacks it: `value` is "" (an address, the TLS state, a
  /// master user, a session) or "0" (a port). `name` is Dovecot's.
  case notKnownToPAM(name: String, value: String)
}

/// How a name resolves: a variable, or a refusal that says why.
enum VariableResolution: Sendable {
  case variable(QueryVariable)
  case refused(String)
}

extension QueryVariable {
  /// The one-letter names of Dovecot 2.3 (`%u`), as they resolve here.
  static let shortNames: [(letter: UInt8, resolution: VariableResolution)] = [
    (ascii("u"), .variable(.user)),
    (ascii("n"), .variable(.username)),
    (ascii("d"), .variable(.domain)),
    (ascii("s"), .variable(.service)),
    (ascii("r"), .variable(.remoteHost)),
    (ascii("w"), .variable(.newHash)),
    (ascii("p"), .variable(.pid)),
    (ascii("l"), .variable(.notKnownToPAM(name: "lip", value: ""))),
    (ascii("c"), .variable(.notKnownToPAM(name: "secured", value: ""))),
    (ascii("a"), .variable(.notKnownToPAM(name: "lport", value: "0"))),
    (ascii("b"), .variable(.notKnownToPAM(name: "rport", value: "0"))),
    (ascii("k"), .variable(.notKnownToPAM(name: "cert", value: ""))),
    (ascii("h"), .refused(QueryVariable.homeRefusal)),
    (ascii("m"), .refused(QueryVariable.mechanismRefusal)),
    (ascii("!"), .refused(QueryVariable.idRefusal)),
  ]

  static let homeRefusal = "the home directory is a userdb value: Dovecot itself leaves it empty in a passdb query"
  static let mechanismRefusal = "a PAM module is never told the SASL mechanism the client used"
  static let idRefusal = "it is Dovecot's own number for the passdb, which has no meaning here"
  static let passwordRefusal =
    "it is the plaintext password, and pam_swiftsql never sends a password to the database"

  /// The long names of Dovecot 2.3 and 2.4 (`%{user}`) and pam_swiftsql's
  /// own, as they resolve here.
  static let longNames: [String: VariableResolution] = {
    var table: [String: VariableResolution] = [
      // Dovecot 2.3 and 2.4.
      "user": .variable(.user), "username": .variable(.username), "domain": .variable(.domain),
      "service": .variable(.service), "protocol": .variable(.service),
      "rip": .variable(.remoteHost), "remote_ip": .variable(.remoteHost),
      "real_rip": .variable(.remoteHost), "real_remote_ip": .variable(.remoteHost),
      "pid": .variable(.pid), "client_pid": .variable(.pid),
      "hostname": .variable(.hostname),
      "domain_first": .variable(.domainFirst), "domain_last": .variable(.domain),
      // The login before and after Dovecot's rewriting, and the one that
      // authenticated: without master logins or username_format they are
      // all the login.
      "orig_user": .variable(.user), "orig_username": .variable(.username), "orig_domain": .variable(.domain),
      "original_user": .variable(.user),
      "auth_user": .variable(.user), "auth_username": .variable(.username), "auth_domain": .variable(.domain),
      // pam_swiftsql's own.
      "new_hash": .variable(.newHash), "reason": .variable(.reason),
      // Refused.
      "home": .refused(homeRefusal), "password": .refused(passwordRefusal),
      "mech": .refused(mechanismRefusal), "mechanism": .refused(mechanismRefusal), "id": .refused(idRefusal),
      "uid": .refused("it is the uid of Dovecot's auth process, which has no meaning here"),
      "gid": .refused("it is the gid of Dovecot's auth process, which has no meaning here"),
      "owner_user": .refused("it is a Dovecot storage value, which has no meaning here"),
    ]
    // Values a PAM request does not carry, with Dovecot's value for a
    // request that lacks them.
    for name in [
      "lip", "local_ip", "real_lip", "real_local_ip", "secured", "cert", "login_user", "login_username",
      "login_domain", "master_user", "session", "session_pid", "local_name", "client_id", "ssl_ja3_hash",
      "ssl_client_cert_fp", "ssl_client_cert_pubkey_fp",
    ] {
      table[name] = .variable(.notKnownToPAM(name: name, value: ""))
    }
    for name in [
      "lport", "rport", "local_port", "remote_port", "real_lport", "real_rport", "real_local_port",
      "real_remote_port",
    ] {
      table[name] = .variable(.notKnownToPAM(name: name, value: "0"))
    }
    return table
  }()

  /// Whether the variable may be spliced into a name: the PAM service
  /// (`"enable%Ls"`), checked per request, and Dovecot's %c, which a PAM
  /// module never knows and binds empty, so that iRedMail's
  /// `enable%Ls%Lc` names the column of a connection without TLS.
  public var mayBePartOfAName: Bool {
    switch self {
    case .service: true
    case .notKnownToPAM(let name, _): name == "secured"
    default: false
    }
  }

  /// How the variable is written in a message: its usual spelling.
  public var spelling: String {
    switch self {
    case .user: "%u"
    case .username: "%n"
    case .domain: "%d"
    case .service: "%s"
    case .remoteHost: "%r"
    case .newHash: "%w"
    case .reason: "%{reason}"
    case .pid: "%{pid}"
    case .hostname: "%{hostname}"
    case .domainFirst: "%{domain_first}"
    case .notKnownToPAM(let name, _): "%{\(name)}"
    }
  }
}

/// A transformation of a value: Dovecot 2.3's modifiers (`%Lu`, `%Ud`,
/// `%Tn`) and Dovecot 2.4's filters (`%{user | lower}`).
public enum QueryFilter: Equatable, Hashable, Sendable {
  /// `L`, `| lower`: ASCII letters to lower case (Dovecot's str_lcase; other
  /// characters stay as they are).
  case lower
  /// `U`, `| upper`: ASCII letters to upper case.
  case upper
  /// `T`: trailing white space removed.
  case trim
  /// `| username`: the part before the last `@` (the whole value if none).
  case username
  /// `| domain`: the part after the last `@` (empty if none).
  case domain
  /// `| default(…)`: the given text when the value is empty.
  case defaultValue(String)

  func apply(_ value: String) -> String {
    switch self {
    case .lower: return mapASCII(value, from: ascii("A"), to: ascii("Z"), shift: 32, up: true)
    case .upper: return mapASCII(value, from: ascii("a"), to: ascii("z"), shift: 32, up: false)
    case .trim:
      var bytes = Array(value.utf8)
      while let last = bytes.last,
        last == ascii(" ") || last == ascii("\t") || last == ascii("\n")
          || last == ascii("\r") || last == 0x0B || last == 0x0C
      {
        bytes.removeLast()
      }
      return String(decoding: bytes, as: UTF8.self)
    case .username:
      let bytes = Array(value.utf8)
      guard let at = bytes.lastIndex(of: ascii("@")) else { return value }
      return String(decoding: bytes[..<at], as: UTF8.self)
    case .domain:
      let bytes = Array(value.utf8)
      guard let at = bytes.lastIndex(of: ascii("@")) else { return "" }
      return String(decoding: bytes[(at + 1)...], as: UTF8.self)
    case .defaultValue(let text):
      return value.isEmpty ? text : value
    }
  }

  /// Shifts the bytes in `from...to` by `shift` (up: add, else subtract).
  private func mapASCII(_ value: String, from: UInt8, to: UInt8, shift: UInt8, up: Bool) -> String {
    let bytes = value.utf8.map { byte -> UInt8 in
      guard byte >= from && byte <= to else { return byte }
      return up ? byte + shift : byte - shift
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}

/// One variable and the filters applied to it, in order.
public struct QueryValue: Equatable, Hashable, Sendable {
  public let variable: QueryVariable
  public let filters: [QueryFilter]

  public init(_ variable: QueryVariable, filters: [QueryFilter] = []) {
    // `%{user | username}` is %n and `%{user | domain}` is %d: one parameter
    // each, whichever way it is written.
    if variable == .user, let first = filters.first, first == .username || first == .domain {
      self.variable = first == .username ? .username : .domain
      self.filters = Array(filters.dropFirst())
    } else {
      self.variable = variable
      self.filters = filters
    }
  }
}

/// A piece of a bound parameter: text from the template, or a value.
public enum QueryPiece: Equatable, Hashable, Sendable {
  case text(String)
  case value(QueryValue)
}

/// One bound parameter: a lone variable (`'%u'`, `%u`), or a quoted literal
/// that holds variables among its text (`'/var/vmail/%d/%n'`), bound as the
/// text the literal would have had with the values in place.
public struct QueryParameter: Equatable, Hashable, Sendable {
  public let pieces: [QueryPiece]

  /// A lone variable, lower-cased when written with Dovecot's `L`.
  public init(_ variable: QueryVariable, lowercased: Bool = false) {
    pieces = [.value(QueryValue(variable, filters: lowercased ? [.lower] : []))]
  }

  public init(pieces: [QueryPiece]) {
    self.pieces = pieces
  }

  /// Every variable the parameter uses.
  public var variables: [QueryVariable] {
    pieces.compactMap { piece in
      if case .value(let value) = piece { return value.variable }
      return nil
    }
  }
}
