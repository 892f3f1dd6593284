// pam_mysql's options (module arguments, and the NSS-MySQL style file that
// `config_file=` names) translated into pam_swiftsql's settings, with
// pam_mysql 0.8's semantics: the same query on `table`, `usercolumn`,
// `passwdcolumn` and `where` (an administrator's SQL fragment, used as
// such), `crypt` modes as schemes, `statcolumn`'s bits as account flags,
// and `sqllog`'s rows as audit statements. The login is always a bound
// parameter, never spliced. Where pam_mysql was unsafe (plaintext crypt=0,
// verbose logging of queries and passwords) the behaviour stays safe and a
// note says so once.

public enum PamMySQLOptions {
  /// The file's names and the arguments they stand for.
  static let fileNames: [String: String] = [
    "users.host": "host", "users.database": "db", "users.db_user": "user", "users.db_passwd": "passwd",
    "users.table": "table", "users.update_table": "update_table", "users.user_column": "usercolumn",
    "users.password_column": "passwdcolumn", "users.status_column": "statcolumn",
    "users.password_crypt": "crypt", "users.use_323_password": "use_323_passwd", "users.use_md5": "md5",
    "users.use_sha256": "sha256", "users.use_sha512": "sha512", "users.use_blowfish": "blowfish",
    "users.rounds": "rounds", "users.where_clause": "where",
    "users.disconnect_every_operation": "disconnect_every_op", "verbose": "verbose", "log.enabled": "sqllog",
    "log.table": "logtable", "log.message_column": "logmsgcolumn", "log.pid_column": "logpidcolumn",
    "log.user_column": "logusercolumn", "log.host_column": "loghostcolumn", "log.rhost_column": "logrhostcolumn",
    "log.time_column": "logtimecolumn",
  ]

  /// crypt= values (number or name, case-insensitive) and the scheme each
  /// stored value is read as.
  static let cryptModes: [(names: [String], scheme: String?)] = [
    (["0", "plain"], "PLAIN"),
    (["1", "y"], "CRYPT"),
    (["2", "mysql"], "MYSQL41"),
    (["3", "md5"], "MD5-HEX"),
    (["4", "sha1"], "SHA1-HEX"),
    (["5", "drupal7"], nil),
    (["6", "joomla15"], nil),
    (["7", "ssha"], "SSHA"),
    (["8", "sha512"], "SHA512-HEX"),
    (["9", "sha256"], "SHA256-HEX"),
  ]

  /// Options that only matter for changing passwords, or that pam_swiftsql
  /// does differently on purpose; accepted, not used.
  static let ignored: [String: String] = [
    "update_table": "pam_swiftsql changes passwords through password_update_query and password_scheme",
    "md5": "it chooses the crypt(3) method for new passwords, which pam_swiftsql does not set",
    "sha256": "it chooses the crypt(3) method for new passwords, which pam_swiftsql does not set",
    "sha512": "it chooses the crypt(3) method for new passwords, which pam_swiftsql does not set",
    "blowfish": "it chooses the crypt(3) method for new passwords, which pam_swiftsql does not set",
    "rounds": "it sets the cost of new passwords, which pam_swiftsql does not set",
    "disconnect_every_op": "pam_swiftsql keeps one connection per process on purpose",
    "config_file": "",
  ]

  /// pam_mysql's own flags, read by PAM itself or meaning nothing here.
  static let flags: Set<String> = ["use_first_pass", "try_first_pass", "debug"]

  /// The file's entries as argument pairs (unknown names kept, to warn).
  public static func fileOptions(_ entries: [ConfigEntry]) -> [(key: String, value: String)] {
    entries.map { (fileNames[$0.key] ?? $0.key, $0.value) }
  }

  /// Translates pam_mysql's options (file entries first, then the module
  /// arguments, later ones winning) into pam_swiftsql module arguments.
  public static func translate(_ options: [(key: String, value: String)]) throws(ConfigurationError) -> Translation {
    var values: [String: String] = [:]
    var notes: [String] = []
    for (key, value) in options { values[key] = value }
    func required(_ key: String) throws(ConfigurationError) -> String {
      guard let value = values[key], !value.isEmpty else {
        throw ConfigurationError("pam_mysql option \(key) is not set; pam_mysql needs it too")
      }
      return value
    }
    let table = try required("table")
    let userColumn = try required("usercolumn")
    let passwordColumn = try required("passwdcolumn")
    let whereClause = values["where"].map { " AND (" + Translation.literal($0) + ")" } ?? ""
    let from = " FROM \(Translation.literal(table)) WHERE \(Translation.literal(userColumn)) = %u" + whereClause

    var arguments = ["driver=mysql", "allow_bare_logins=yes", "connect=" + connectString(values)]
    arguments.append("password_query=SELECT \(Translation.literal(passwordColumn))" + from)

    let crypt = (values["crypt"] ?? "0").lowercased()
    guard let mode = cryptModes.first(where: { $0.names.contains(crypt) }) else {
      throw ConfigurationError("pam_mysql option crypt=\(crypt) is not one of 0–9 or their names")
    }
    guard let scheme = mode.scheme else {
      throw ConfigurationError(
        "pam_mysql option crypt=\(crypt) (\(mode.names[1])) is not supported; store the hashes in a scheme "
          + "pam_swiftsql reads (see pam-swiftsql hash --list), or keep pam_mysql for this service")
    }
    if scheme == "MYSQL41", let legacy = values["use_323_passwd"], (try? parseBool(legacy)) == true {
      throw ConfigurationError(
        "pam_mysql option use_323_passwd: MySQL 3.23 password hashes are not supported (MySQL itself dropped them)")
    }
    arguments.append("default_pass_scheme=" + scheme)
    if scheme == "PLAIN" {
      notes.append(
        "pam_mysql crypt=0: passwords are stored in plaintext; pam_swiftsql compares them in constant time, "
          + "but consider storing hashes (pam-swiftsql hash, and password_update_query to upgrade as users log in)")
    }

    if let status = values["statcolumn"], status != "0" {
      // Bit 0: account expired (NULL counts as expired, as in pam_mysql);
      // bit 1: the password must be changed.
      let s = Translation.literal(status)
      arguments.append(
        "account_query=SELECT COALESCE((\(s)) & 1, 1) <> 0 AS expired, COALESCE((\(s)) & 2, 0) <> 0 AS password_expired"
          + from)
    }

    if let verbose = values["verbose"], (try? parseBool(verbose)) == true {
      arguments.append("debug=yes")
      notes.append(
        "pam_mysql option verbose: pam_swiftsql's debug log says what it does, but never logs passwords, "
          + "hashes or queries with their values")
    }
    if let sqllog = values["sqllog"], (try? parseBool(sqllog)) == true {
      arguments += try auditArguments(values)
    }
    for (key, reason) in ignored.sorted(by: { $0.key < $1.key }) where values[key] != nil && !reason.isEmpty {
      notes.append("pam_mysql option \(key) is ignored: \(reason)")
    }
    // pam_mysql itself ignores an option it does not know (it says so only
    // with verbose): a debug note, not a warning at every load.
    var debugNotes: [String] = []
    let known = Set(fileNames.values).union(["host", "user", "passwd", "db"]).union(flags).union(ignored.keys)
    for key in values.keys.sorted() where !known.contains(key) {
      debugNotes.append("unknown pam_mysql option '\(key)' is ignored, as pam_mysql ignores it")
    }
    var translation = Translation(arguments: arguments, notes: notes)
    translation.debugNotes = debugNotes
    return translation
  }

  /// host (a socket path, `name` or `name:port`), user, passwd and db as a
  /// mysql connect string.
  static func connectString(_ values: [String: String]) -> String {
    var pairs: [String] = []
    if let host = values["host"], !host.isEmpty {
      if host.hasPrefix("/") {
        pairs.append("socket=" + ConnectionString.quoted(host))
      } else if let colon = host.lastIndex(of: ":") {
        pairs.append("host=" + ConnectionString.quoted(String(host[..<colon])))
        pairs.append("port=" + ConnectionString.quoted(String(host[host.index(after: colon)...])))
      } else {
        pairs.append("host=" + ConnectionString.quoted(host))
      }
    }
    if let user = values["user"] { pairs.append("user=" + ConnectionString.quoted(user)) }
    if let password = values["passwd"] { pairs.append("password=" + ConnectionString.quoted(password)) }
    if let database = values["db"] { pairs.append("dbname=" + ConnectionString.quoted(database)) }
    return pairs.joined(separator: " ")
  }

  /// sqllog's rows as audit statements: pam_mysql's messages, the login,
  /// this host, the remote host, the pid and NOW(), for both steps.
  static func auditArguments(_ values: [String: String]) throws(ConfigurationError) -> [String] {
    var columns: [String] = []
    for key in ["logtable", "logmsgcolumn", "logusercolumn", "loghostcolumn", "logtimecolumn"] {
      guard let value = values[key], !value.isEmpty else {
        throw ConfigurationError("pam_mysql option sqllog is set but \(key) is not")
      }
      columns.append(value)
    }
    let table = Translation.literal(columns[0])
    var names = [columns[1], columns[2], columns[3]].map { Translation.literal($0) }
    var variables = ["%u", "%{hostname}"]
    if let rhost = values["logrhostcolumn"], !rhost.isEmpty {
      names.append(Translation.literal(rhost))
      variables.append("%r")
    }
    if let pid = values["logpidcolumn"], !pid.isEmpty {
      names.append(Translation.literal(pid))
      variables.append("%{pid}")
    }
    names.append(Translation.literal(columns[4]))
    func insert(_ message: String) -> String {
      "INSERT INTO \(table) (\(names.joined(separator: ", "))) VALUES ('\(message)', "
        + variables.joined(separator: ", ") + ", NOW())"
    }
    return [
      "auth_success_query=" + insert("AUTHENTICATION SUCCESS"),
      "auth_failure_query=" + insert("AUTHENTICATION FAILURE"),
      "account_success_query=" + insert("QUERYING SUCCESS"),
      "account_failure_query=" + insert("QUERYING FAILURE"),
    ]
  }
}

/// A compatibility translation: module arguments for pam_swiftsql, and the
/// notes to log once about what differs.
public struct Translation: Equatable, Sendable {
  public let arguments: [String]
  /// Worth a warning when the configuration is (re-)read.
  public let notes: [String]
  /// Only for the debug log: what the original module ignores silently too.
  public var debugNotes: [String] = []

  /// An administrator's SQL fragment, used as it is: only `%` is doubled,
  /// so that our template compiler leaves it alone.
  static func literal(_ fragment: String) -> String {
    var result = ""
    for character in fragment {
      result.append(character)
      if character == "%" { result.append("%") }
    }
    return result
  }
}
