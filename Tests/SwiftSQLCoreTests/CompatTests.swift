// Covers the drop-in compatibility with pam_mysql and pam_pgsql, in the
// pure core: which language a PAM line speaks (ConfigurationDialect.plan),
// and the translation of each one's options into our configuration, checked
// on what it compiles to (the SQL with placeholders, which values are bound,
// the scheme, the connection string, the audit statements), with the
// expected SQL written out by hand from pam_mysql 0.8's and pam_pgsql 0.7's
// documented queries. Also the options both refuse (crypt=5/6, %p,
// pw_type=function) and the one-time notes for what pam_mysql did unsafely.

import SwiftSQLCore
import Testing

private let schemes: Set<String> = [
  "PLAIN", "CRYPT", "MYSQL41", "MD5-HEX", "SHA1-HEX", "SSHA", "SHA512-HEX", "SHA256-HEX", "MD5", "SHA1",
  "MD5_POSTGRES", "ARGON2ID",
]

/// Resolves a PAM line as the module does, with `files` the files that exist.
private func resolveLine(_ arguments: [String], files: [String: String] = [:]) throws(ConfigurationError)
  -> Configuration
{
  let loader = ConfigurationLoader(isKnownScheme: { schemes.contains($0) }, canGenerateScheme: { $0 == "ARGON2ID" })
  var reader = MemoryFiles(texts: files)
  do {
    return try loader.load(
      plan: loader.plan(arguments: arguments, files: reader), arguments: arguments, files: &reader)
  } catch {
    switch error {
    case .invalid(let error): throw error
    case .unreadable(let failure): throw ConfigurationError(failure.message)
    }
  }
}

private func context(_ login: String, service: String = "smtp", remoteHost: String = "192.0.2.7") throws
  -> QueryContext
{
  let login = try Login.parse(Array(login.utf8), defaultDomain: nil, keepsBareLogin: true)
  var context = QueryContext(login: login, service: service, remoteHost: remoteHost)
  context.pid = "4242"
  context.hostname = "mx1"
  return context
}

/// A connection string's pairs, "key=value" each, as libpq and our mysql
/// driver read them.
private func pairs(_ connect: String?) -> [String] {
  guard let connect, case .success(let parsed) = ConnectionString.parse(connect) else { return ["unparsable"] }
  return parsed.map { "\($0.key)=\($0.value)" }
}

/// The classic Debian how-to's line.
private let howTo = [
  "user=mail", "passwd=s3cret", "host=localhost", "db=mail", "table=users", "usercolumn=email",
  "passwdcolumn=password", "crypt=1",
]

@Suite("Compatibility: which configuration a PAM line means")
struct DialectPlanTests {
  @Test("pam_mysql's arguments are pam_mysql's, with no file")
  func pamMySQLArguments() {
    let plan = ConfigurationDialect.plan(arguments: howTo) { _ in true }
    #expect(plan == ConfigurationPlan(dialect: .pamMySQL, file: nil, decidedByFile: false))
  }

  @Test("pam_pgsql's arguments read /etc/pam_pgsql.conf too")
  func pamPgsqlArguments() {
    let plan = ConfigurationDialect.plan(arguments: ["database=mail", "pw_type=md5"]) { _ in false }
    #expect(plan == ConfigurationPlan(dialect: .pamPgsql, file: "/etc/pam_pgsql.conf", decidedByFile: false))
  }

  @Test("only the module name changed: /etc/pam_pgsql.conf is read when ours is missing")
  func fallbackToPamPgsqlFile() {
    let plan = ConfigurationDialect.plan(arguments: []) { $0 == "/etc/pam_pgsql.conf" }
    #expect(plan.dialect == .pamPgsql)
    #expect(plan.file == "/etc/pam_pgsql.conf")
  }

  @Test("our own file wins over /etc/pam_pgsql.conf")
  func ownFileWins() {
    let plan = ConfigurationDialect.plan(arguments: []) { _ in true }
    #expect(plan == ConfigurationPlan(dialect: .native, file: "/etc/pam_swiftsql.conf", decidedByFile: false))
  }

  @Test("config= is always ours, even when the file is missing")
  func explicitConfig() {
    let plan = ConfigurationDialect.plan(arguments: ["config=/etc/mail/auth.conf"]) { _ in false }
    #expect(plan == ConfigurationPlan(dialect: .native, file: "/etc/mail/auth.conf", decidedByFile: false))
  }

  @Test("config_file= alone is decided by the file's keys")
  func configFileAlone() {
    let plan = ConfigurationDialect.plan(arguments: ["config_file=/etc/pam-mysql.conf"]) { _ in true }
    #expect(plan.decidedByFile)
    #expect(ConfigurationDialect.of(fileText: "# x\nusers.host = localhost\n") == .pamMySQL)
    #expect(ConfigurationDialect.of(fileText: "database = mail\nhost = db\n") == .pamPgsql)
  }
}

@Suite("Compatibility: pam_mysql's options")
struct PamMySQLTests {
  @Test("the Debian how-to's line: same query, the login bound, crypt(3) values")
  func howToLine() throws {
    let configuration = try resolveLine(howTo)
    #expect(configuration.settings.driver == .mysql)
    #expect(pairs(configuration.settings.connect) == ["host=localhost", "user=mail", "password=s3cret", "dbname=mail"])
    #expect(configuration.settings.defaultPassScheme == "CRYPT")
    #expect(configuration.settings.allowBareLogins)
    #expect(configuration.passwordQuery.sql == "SELECT password FROM users WHERE email = ?")
    #expect(configuration.passwordQuery.values(for: try context("alice@example.org")) == ["alice@example.org"])
    #expect(configuration.accountQuery == nil)
    #expect(configuration.warnings.isEmpty, "\(configuration.warnings)")
  }

  @Test("a login that looks like SQL is a bound value, never SQL")
  func injectionIsBound() throws {
    let configuration = try resolveLine(howTo)
    let hostile = "x' OR '1'='1"
    #expect(configuration.passwordQuery.sql == "SELECT password FROM users WHERE email = ?")
    #expect(configuration.passwordQuery.values(for: try context(hostile)) == [hostile])
  }

  @Test(
    "crypt= modes, by number and by name, read the stored values as pam_mysql does",
    arguments: [
      ("0", "PLAIN"), ("plain", "PLAIN"), ("1", "CRYPT"), ("Y", "CRYPT"), ("2", "MYSQL41"), ("mysql", "MYSQL41"),
      ("3", "MD5-HEX"), ("md5", "MD5-HEX"), ("4", "SHA1-HEX"), ("sha1", "SHA1-HEX"), ("7", "SSHA"),
      ("8", "SHA512-HEX"), ("sha512", "SHA512-HEX"), ("9", "SHA256-HEX"), ("SHA256", "SHA256-HEX"),
    ])
  func cryptModes(_ crypt: String, _ scheme: String) throws {
    let configuration = try resolveLine(howTo.filter { !$0.hasPrefix("crypt=") } + ["crypt=" + crypt])
    #expect(configuration.settings.defaultPassScheme == scheme)
  }

  @Test("without crypt= the values are plaintext, as in pam_mysql, and a note says so")
  func defaultPlain() throws {
    let configuration = try resolveLine(howTo.filter { !$0.hasPrefix("crypt=") })
    #expect(configuration.settings.defaultPassScheme == "PLAIN")
    #expect(configuration.warnings.contains { $0.contains("crypt=0") && $0.contains("plaintext") })
  }

  @Test("crypt= modes pam_swiftsql does not read are refused with the reason", arguments: ["5", "drupal7", "6", "10"])
  func unsupportedCrypt(_ crypt: String) {
    #expect {
      try resolveLine(howTo.filter { !$0.hasPrefix("crypt=") } + ["crypt=" + crypt])
    } throws: { error in
      (error as? ConfigurationError)?.message.contains("crypt=") == true
    }
  }

  @Test("use_323_passwd with crypt=2 is refused: MySQL 3.23 hashes are not read")
  func old323() {
    #expect(throws: ConfigurationError.self) {
      try resolveLine(howTo.filter { !$0.hasPrefix("crypt=") } + ["crypt=2", "use_323_passwd=1"])
    }
  }

  @Test("host: a socket path, or name:port")
  func hosts() throws {
    let socket = try resolveLine(howTo.map { $0 == "host=localhost" ? "host=/run/mysqld/mysqld.sock" : $0 })
    #expect(
      pairs(socket.settings.connect) == [
        "socket=/run/mysqld/mysqld.sock", "user=mail", "password=s3cret", "dbname=mail",
      ])
    let port = try resolveLine(howTo.map { $0 == "host=localhost" ? "host=db.example.org:3307" : $0 })
    #expect(
      pairs(port.settings.connect) == [
        "host=db.example.org", "port=3307", "user=mail", "password=s3cret", "dbname=mail",
      ])
  }

  @Test("a database password with a space or a quote stays one value")
  func quotedPassword() throws {
    let configuration = try resolveLine(howTo.map { $0 == "passwd=s3cret" ? "passwd=it's a secret" : $0 })
    #expect(
      pairs(configuration.settings.connect) == ["host=localhost", "user=mail", "password=it's a secret", "dbname=mail"])
  }

  @Test("where= is the administrator's SQL, used as written; % in it stays a %")
  func whereClause() throws {
    let configuration = try resolveLine(howTo + ["where=active = 1 AND email LIKE '%@example.org'"])
    #expect(
      configuration.passwordQuery.sql
        == "SELECT password FROM users WHERE email = ? AND (active = 1 AND email LIKE '%@example.org')")
    #expect(configuration.passwordQuery.parameters.count == 1)
  }

  @Test("statcolumn's bits become expired (bit 0, NULL too) and password_expired (bit 1)")
  func statcolumn() throws {
    let configuration = try resolveLine(howTo + ["statcolumn=status"])
    #expect(
      configuration.accountQuery?.sql
        == "SELECT COALESCE((status) & 1, 1) <> 0 AS expired, COALESCE((status) & 2, 0) <> 0 AS password_expired "
        + "FROM users WHERE email = ?")
  }

  @Test("sqllog writes pam_mysql's rows: message, login, host, remote host, pid, time")
  func sqllog() throws {
    let configuration = try resolveLine(
      howTo + [
        "sqllog=1", "logtable=log", "logmsgcolumn=msg", "logusercolumn=usr", "loghostcolumn=host",
        "logrhostcolumn=rhost", "logpidcolumn=pid", "logtimecolumn=ts",
      ])
    let columns = "INSERT INTO log (msg, usr, host, rhost, pid, ts) VALUES ("
    #expect(configuration.audit.authSuccess?.sql == columns + "'AUTHENTICATION SUCCESS', ?, ?, ?, ?, NOW())")
    #expect(configuration.audit.authFailure?.sql == columns + "'AUTHENTICATION FAILURE', ?, ?, ?, ?, NOW())")
    #expect(configuration.audit.accountSuccess?.sql == columns + "'QUERYING SUCCESS', ?, ?, ?, ?, NOW())")
    #expect(configuration.audit.accountFailure?.sql == columns + "'QUERYING FAILURE', ?, ?, ?, ?, NOW())")
    #expect(
      configuration.audit.authFailure?.values(for: try context("bob@example.org"))
        == ["bob@example.org", "mx1", "192.0.2.7", "4242"])
  }

  @Test("sqllog without its columns is an error naming the missing one")
  func sqllogIncomplete() {
    #expect {
      try resolveLine(howTo + ["sqllog=1", "logtable=log"])
    } throws: { error in
      (error as? ConfigurationError)?.message.contains("logmsgcolumn") == true
    }
  }

  @Test("a missing table, usercolumn or passwdcolumn is an error naming it", arguments: ["table", "usercolumn"])
  func missingRequired(_ key: String) {
    #expect {
      try resolveLine(howTo.filter { !$0.hasPrefix(key + "=") })
    } throws: { error in
      (error as? ConfigurationError)?.message.contains(key) == true
    }
  }

  @Test("verbose turns on our debug log, with a note that passwords are never logged")
  func verbose() throws {
    let configuration = try resolveLine(howTo + ["verbose=1"])
    #expect(configuration.settings.debug)
    #expect(configuration.warnings.contains { $0.contains("verbose") && $0.contains("never logs passwords") })
  }

  @Test("options for changing passwords are accepted and noted; unknown ones noted for debug, as pam_mysql does")
  func ignoredAndUnknown() throws {
    let configuration = try resolveLine(howTo + ["md5=1", "disconnect_every_op=1", "frobnicate=2"])
    #expect(configuration.warnings.contains { $0.contains("md5") })
    #expect(configuration.warnings.contains { $0.contains("disconnect_every_op") })
    #expect(!configuration.warnings.contains { $0.contains("'frobnicate'") })
    #expect(configuration.notes.contains { $0.contains("'frobnicate'") })
  }

  @Test("our own keys on the same line are used, e.g. default_domain")
  func ownKeysPassThrough() throws {
    let configuration = try resolveLine(howTo + ["default_domain=example.org", "connect_timeout=2"])
    #expect(configuration.settings.defaultDomain == "example.org")
    #expect(configuration.settings.connectTimeout == 2)
  }

  @Test("config_file= with pam_mysql's dotted keys; arguments win over the file")
  func configFile() throws {
    let file = """
      users.host = /run/mysqld/mysqld.sock
      users.database = mail
      users.db_user = mail
      users.db_passwd = s3cret
      users.table = users
      users.user_column = email
      users.password_column = password
      users.password_crypt = 3
      users.where_clause = active=1
      users.status_column = status
      """
    let configuration = try resolveLine(
      ["config_file=/etc/pam-mysql.conf", "crypt=4"], files: ["/etc/pam-mysql.conf": file])
    #expect(configuration.settings.driver == .mysql)
    #expect(
      pairs(configuration.settings.connect) == [
        "socket=/run/mysqld/mysqld.sock", "user=mail", "password=s3cret", "dbname=mail",
      ])
    #expect(configuration.passwordQuery.sql == "SELECT password FROM users WHERE email = ? AND (active=1)")
    #expect(configuration.settings.defaultPassScheme == "SHA1-HEX")
    #expect(configuration.accountQuery != nil)
  }

  @Test("a config_file= that does not exist is an error naming it")
  func missingConfigFile() {
    #expect {
      try resolveLine(["config_file=/etc/nope.conf", "table=users"])
    } throws: { error in
      (error as? ConfigurationError)?.message.contains("/etc/nope.conf") == true
    }
  }
}

@Suite("Compatibility: pam_pgsql's /etc/pam_pgsql.conf")
struct PamPgsqlTests {
  private func resolveFile(_ text: String, arguments: [String] = []) throws(ConfigurationError) -> Configuration {
    try resolveLine(arguments, files: ["/etc/pam_pgsql.conf": text])
  }

  @Test("connect and auth_query: %u bound, numbered placeholders")
  func connectAndAuthQuery() throws {
    let configuration = try resolveFile(
      """
      connect = dbname=mail user=pam host=/run/postgresql
      auth_query = select password from accounts where login = %u and active
      pw_type = crypt
      """)
    #expect(configuration.settings.driver == .pgsql)
    #expect(pairs(configuration.settings.connect) == ["dbname=mail", "user=pam", "host=/run/postgresql"])
    #expect(configuration.passwordQuery.sql == "select password from accounts where login = $1 and active")
    #expect(configuration.passwordQuery.values(for: try context("alice")) == ["alice"])
    #expect(configuration.settings.defaultPassScheme == "CRYPT")
  }

  @Test("database, host, port, user, password and timeout make the connection")
  func connectionKeys() throws {
    let configuration = try resolveFile(
      """
      database = mail
      host = db.example.org
      port = 5433
      user = pam
      password = a b
      timeout = 3
      table = accounts
      user_column = login
      pwd_column = pw
      """)
    #expect(
      pairs(configuration.settings.connect) == [
        "dbname=mail", "host=db.example.org", "port=5433", "user=pam", "password=a b",
      ])
    #expect(configuration.settings.connectTimeout == 3)
    #expect(configuration.passwordQuery.sql == "SELECT pw FROM accounts WHERE login = $1")
  }

  /// The wrapper that reads acct_query's first two columns as pam_pgsql does.
  static func wrapped(_ query: String) -> String {
    "SELECT pam_pgsql.expired::text IN ('t', 'true') AS expired, pam_pgsql.password_expired::text IN ('t', 'true') AS password_expired "
      + "FROM (\(query)) AS pam_pgsql(expired, password_expired)"
  }

  @Test("expired_column and newtok_column: 'y' or '1' means set")
  func legacyAccountColumns() throws {
    let configuration = try resolveFile(
      """
      database = mail
      table = accounts
      user_column = login
      pwd_column = pw
      expired_column = acc_expired
      newtok_column = acc_new_pwreq
      """)
    #expect(
      configuration.accountQuery?.sql
        == Self.wrapped(
          "SELECT (acc_expired = 'y' OR acc_expired = '1'), (acc_new_pwreq = 'y' OR acc_new_pwreq = '1') "
            + "FROM accounts WHERE login = $1"))
  }

  @Test("acct_query's columns are read by position: expired, new password required")
  func acctQuery() throws {
    let configuration = try resolveFile(
      """
      database = mail
      auth_query = select pw from accounts where login = %u
      acct_query = select expired, must_change from accounts where login = %u
      """)
    #expect(
      configuration.accountQuery?.sql
        == Self.wrapped("select expired, must_change from accounts where login = $1"))
  }

  @Test(
    "pw_type names the scheme; without it, sha1 (pam_pgsql's code)",
    arguments: [
      ("", "SHA1-HEX"), ("clear", "PLAIN"), ("md5", "MD5-HEX"), ("sha1", "SHA1-HEX"), ("crypt", "CRYPT"),
      ("crypt_md5", "CRYPT"), ("crypt_sha512", "CRYPT"), ("md5_postgres", "MD5_POSTGRES"), ("salted_hash", "SSHA"),
    ])
  func pwType(_ pwType: String, _ scheme: String) throws {
    var text = "database = mail\nauth_query = select pw from accounts where login = %u\n"
    if !pwType.isEmpty { text += "pw_type = \(pwType)\n" }
    #expect(try resolveFile(text).settings.defaultPassScheme == scheme)
  }

  @Test("%p and pw_type=function are refused: the password never goes to the database")
  func passwordToDatabase() {
    #expect(throws: ConfigurationError.self) {
      try resolveFile("database = mail\nauth_query = select pw from accounts where login = %u and pw = %p\n")
    }
    #expect(throws: ConfigurationError.self) {
      try resolveFile("database = mail\nauth_query = select check_pw(%u)\npw_type = function\n")
    }
  }

  @Test("%h and %i are the remote host, %s the service; auth_succ_query and auth_fail_query audit")
  func variablesAndAudit() throws {
    let configuration = try resolveFile(
      """
      database = mail
      auth_query = select pw from accounts where login = %u
      auth_succ_query = insert into authlog (login, service, host, ok) values (%u, %s, %h, true)
      auth_fail_query = insert into authlog (login, service, host, ok) values (%u, %s, %i, false)
      """)
    #expect(
      configuration.audit.authSuccess?.sql
        == "insert into authlog (login, service, host, ok) values ($1, $2, $3, true)")
    #expect(
      configuration.audit.authFailure?.values(for: try context("alice", service: "imap"))
        == ["alice", "imap", "192.0.2.7"])
  }

  @Test("password= as a module argument is refused unless force is given, as pam_pgsql drops it")
  func passwordArgument() throws {
    let file = "database = mail\nauth_query = select pw from accounts where login = %u\n"
    #expect {
      try resolveFile(file, arguments: ["password=s3cret"])
    } throws: { error in
      (error as? ConfigurationError)?.message.contains("force") == true
    }
    let forced = try resolveFile(file, arguments: ["password=s3cret", "force"])
    #expect(pairs(forced.settings.connect) == ["dbname=mail", "password=s3cret"])
  }

  @Test("debug in the file, or debug=1 as an argument, turns on the debug log; debug=0 does not")
  func debug() throws {
    let file = "database = mail\nauth_query = select pw from accounts where login = %u\n"
    #expect(try resolveFile(file + "debug = 1\n").settings.debug)
    #expect(try resolveFile(file, arguments: ["debug=1"]).settings.debug)
    #expect(try resolveFile(file, arguments: ["debug=0"]).settings.debug == false)
  }

  @Test("module arguments win over the file")
  func argumentsWin() throws {
    let configuration = try resolveFile(
      "database = mail\nauth_query = select pw from accounts where login = %u\npw_type = md5\n",
      arguments: ["pw_type=crypt"])
    #expect(configuration.settings.defaultPassScheme == "CRYPT")
  }

  @Test("neither auth_query nor table, user_column, pwd_column: an error saying so")
  func noQuery() {
    #expect {
      try resolveFile("database = mail\n")
    } throws: { error in
      (error as? ConfigurationError)?.message.contains("auth_query") == true
    }
  }
}
