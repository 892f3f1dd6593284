// pam_pgsql's options (/etc/pam_pgsql.conf and module arguments) translated
// into pam_swiftsql's settings, with pam_pgsql 0.7's semantics: `connect`
// or database/host/port/user/password/timeout/sslmode for the connection,
// auth_query (or the query made from table, user_column and pwd_column),
// acct_query's first two columns (expired, new password required) or the
// one made from expired_column and newtok_column, pw_type as the scheme,
// auth_succ_query/auth_fail_query as audit statements, and pwd_query as the
// password change's update. Its variables become bound parameters: %u the
// login, %s the service, %h and %i the remote host; %p is the new stored
// value in pwd_query and refused anywhere else: pam_swiftsql never sends a
// password to the database.

public enum PamPgsqlOptions {
  /// pw_type values and the scheme stored values are read as. pam_pgsql
  /// defaults to sha1 (its README says clear; its code decides), and
  /// compares md5 and sha1 as lower-case hex.
  static let pwTypes: [String: String] = [
    "clear": "PLAIN", "md5": "MD5-HEX", "sha1": "SHA1-HEX", "crypt": "CRYPT", "crypt_md5": "CRYPT",
    "crypt_sha512": "CRYPT", "md5_postgres": "MD5_POSTGRES", "salted_hash": "SSHA",
  ]

  /// pw_type values whose new passwords pam_swiftsql can make, and the
  /// scheme it makes them in (pam_pgsql's password_encrypt).
  static let changeSchemes: [String: String] = [
    "clear": "PLAIN", "crypt": "CRYPT", "crypt_md5": "MD5-CRYPT", "crypt_sha512": "SHA512-CRYPT",
  ]

  static let known: Set<String> = [
    "connect", "database", "host", "port", "user", "password", "table", "user_column", "pwd_column",
    "expired_column", "newtok_column", "pw_type", "auth_query", "acct_query", "auth_succ_query", "auth_fail_query",
    "debug", "timeout", "sslmode", "config_file", "fileconf", "force", "salt_size", "pwd_query",
    "session_open_query", "session_close_query", "echo_pass", "authtok", "use_authtok", "use_first_pass",
    "try_first_pass", "use_mapped_pass", "no_warn",
  ]

  /// Translates pam_pgsql's options (file first, then arguments, later
  /// ones winning) into pam_swiftsql module arguments.
  public static func translate(_ options: [(key: String, value: String)]) throws(ConfigurationError) -> Translation {
    var values: [String: String] = [:]
    for (key, value) in options { values[key] = value }
    var notes: [String] = []
    var arguments = ["driver=pgsql", "allow_bare_logins=yes"]

    if let connect = values["connect"] {
      arguments.append("connect=" + connect)
    } else {
      var pairs: [String] = []
      for (ours, theirs) in [
        ("dbname", "database"), ("host", "host"), ("port", "port"), ("user", "user"), ("password", "password"),
        ("sslmode", "sslmode"),
      ] {
        if let value = values[theirs], !value.isEmpty { pairs.append("\(ours)=" + ConnectionString.quoted(value)) }
      }
      arguments.append("connect=" + pairs.joined(separator: " "))
    }
    if let timeout = values["timeout"] { arguments.append("connect_timeout=" + timeout) }

    let authQuery: String
    if let query = values["auth_query"] {
      authQuery = try variables(query, "auth_query")
    } else {
      guard let table = values["table"], let user = values["user_column"], let password = values["pwd_column"] else {
        throw ConfigurationError(
          "pam_pgsql options: give auth_query, or table, user_column and pwd_column, as pam_pgsql needs")
      }
      authQuery =
        "SELECT \(Translation.literal(password)) FROM \(Translation.literal(table)) "
        + "WHERE \(Translation.literal(user)) = %u"
    }
    arguments.append("password_query=" + authQuery)

    if let account = try accountQuery(values) {
      // pam_pgsql reads acct_query's columns by position, and a flag is set
      // only when libpq gives its text as "t", i.e. it is a true boolean or
      // the text 't' (a boolean cast to text reads 'true'): expired, then
      // new password required. A third, "password is null", only counts
      // when the caller disallows empty passwords, which saslauthd and
      // Dovecot do not.
      arguments.append(
        "account_query=SELECT pam_pgsql.expired::text IN ('t', 'true') AS expired, "
          + "pam_pgsql.password_expired::text IN ('t', 'true') AS password_expired "
          + "FROM (\(account)) AS pam_pgsql(expired, password_expired)")
    }

    let pwType = values["pw_type"] ?? "sha1"
    if pwType == "function" {
      throw ConfigurationError(
        "pam_pgsql option pw_type=function checks the password inside the database; pam_swiftsql never sends "
          + "a password to the database: store hashes and set pw_type (or default_pass_scheme) to their scheme")
    }
    guard let scheme = pwTypes[pwType] else {
      // pam_pgsql silently compares such values as plaintext.
      throw ConfigurationError(
        "pam_pgsql option pw_type=\(pwType) is not one of " + pwTypes.keys.sorted().joined(separator: ", "))
    }
    arguments.append("default_pass_scheme=" + scheme)
    if scheme == "PLAIN" {
      notes.append("pam_pgsql pw_type=clear: passwords are stored in plaintext; consider storing hashes")
    }
    if pwType == "salted_hash" {
      notes.append(
        "pam_pgsql pw_type=salted_hash: each value must start with its {SSHA}, {SSHA256}, {SSHA512} or {SMD5} "
          + "prefix; the spellings {SSHA-256}, {SSHA-512} and the 224/384 variants are not read")
    }

    if let query = values["auth_succ_query"] {
      arguments.append("auth_success_query=" + (try variables(query, "auth_succ_query")))
    }
    if let query = values["auth_fail_query"] {
      arguments.append("auth_failure_query=" + (try variables(query, "auth_fail_query")))
    }
    // pam_pgsql: `debug` in the file, or debug=N (atoi) as an argument.
    if let debug = values["debug"], debug != "0" { arguments.append("debug=yes") }
    // pwd_query stores %p, the new password made in pw_type's scheme.
    if let query = values["pwd_query"] {
      if let changeScheme = changeSchemes[pwType] {
        arguments.append("password_update_query=" + (try variables(query, "pwd_query", newValue: "%w")))
        arguments.append("password_scheme=" + changeScheme)
      } else {
        notes.append(
          "pam_pgsql option pwd_query is ignored: pam_swiftsql cannot make new pw_type=\(pwType) values; "
            + "set password_update_query and password_scheme to change passwords")
      }
    }
    for key in ["session_open_query", "session_close_query"] where values[key] != nil {
      notes.append("pam_pgsql option \(key) is ignored: pam_swiftsql's sessions do nothing")
    }
    if values["echo_pass"] != nil {
      notes.append("pam_pgsql option echo_pass is ignored: pam_swiftsql never echoes a password")
    }
    for key in values.keys.sorted() where !known.contains(key) {
      notes.append("unknown pam_pgsql option '\(key)' is ignored")
    }
    return Translation(arguments: arguments, notes: notes)
  }

  /// acct_query, or the query pam_pgsql makes from the legacy columns.
  static func accountQuery(_ values: [String: String]) throws(ConfigurationError) -> String? {
    if let query = values["acct_query"] { return try variables(query, "acct_query") }
    let expired = values["expired_column"].map { Translation.literal($0) }
    let newtok = values["newtok_column"].map { Translation.literal($0) }
    guard expired != nil || newtok != nil, let table = values["table"], let user = values["user_column"] else {
      return nil
    }
    func flag(_ column: String?) -> String { column.map { "(\($0) = 'y' OR \($0) = '1')" } ?? "false" }
    return "SELECT \(flag(expired)), \(flag(newtok)) FROM \(Translation.literal(table)) "
      + "WHERE \(Translation.literal(user)) = %u"
  }

  /// pam_pgsql's variables in our spelling: %u %s stay, %h and %i become
  /// %r, %% stays; %p is refused (in pwd_query it is `newValue`, the new
  /// stored value); any other %x is x, as pam_pgsql does.
  static func variables(_ query: String, _ key: String, newValue: String? = nil) throws(ConfigurationError) -> String {
    var result = ""
    var iterator = query.makeIterator()
    while let character = iterator.next() {
      guard character == "%" else {
        result.append(character)
        continue
      }
      guard let next = iterator.next() else {
        result.append("%%")
        break
      }
      switch next {
      case "u", "s": result += "%" + String(next)
      case "h", "i": result += "%r"
      case "%": result += "%%"
      case "p" where newValue != nil:
        result += newValue ?? ""
      case "p":
        throw ConfigurationError(
          "pam_pgsql option \(key) uses %p, the password: pam_swiftsql never sends a password to the database")
      default: result.append(next)
      }
    }
    return result
  }
}
