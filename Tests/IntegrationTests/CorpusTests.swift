// Configuration files from the field (Tests/Corpus, SOURCES.md says where
// each comes from), pasted unchanged except for their connection data, with
// the module in place of the original, against the database their origin
// uses, through real libpam: the right password is accepted, a wrong one
// refused, and what reached the server (PostgreSQL's log_statement=all,
// MariaDB's general log) holds the login and every value with variables only
// as bound parameters; the one thing spliced into SQL text is the PAM
// service choosing a column (iRedMail's enable%Ls%Lc, ISPConfig's
// `disable%Ls`). Stored values are made by mkpasswd, sha1sum, PostgreSQL and
// MariaDB, never by the code under test.

import Foundation
import Testing

/// The corpus files and the databases they run against.
enum Corpus {
  static func text(_ name: String) throws -> String {
    try String(contentsOfFile: "\(Project.root)/Tests/Corpus/\(name)", encoding: .utf8)
  }

  /// The file with each `from` replaced by `to`; every `from` must be there,
  /// so a change to the corpus fails the test instead of testing less.
  static func text(_ name: String, replacing pairs: [(String, String)]) throws -> String {
    var text = try self.text(name)
    for (from, to) in pairs {
      guard text.contains(from) else { throw RunError(description: "\(name) no longer contains \(from)") }
      text = text.replacingOccurrences(of: from, with: to)
    }
    return text
  }

  /// A PostgreSQL cluster that logs every statement with its values.
  static func postgres() throws -> PostgresCluster {
    lock.lock()
    defer { lock.unlock() }
    if let cluster { return cluster }
    let made = try PostgresCluster(logsStatements: true)
    try made.sql("CREATE ROLE mailauth LOGIN", database: "postgres")
    cluster = made
    atexit { Corpus.cluster?.destroy() }
    return made
  }

  private static let lock = NSLock()
  nonisolated(unsafe) private static var cluster: PostgresCluster? = nil

  /// A new PostgreSQL database made by `schema`, readable by mailauth.
  static func postgresDatabase(_ schema: String, tables: [String]) throws -> (PostgresCluster, String) {
    let cluster = try postgres()
    let name = "corpus_\(uniqueTag())"
    try cluster.sql("CREATE DATABASE \(name)", database: "postgres")
    try cluster.sql(schema, database: name)
    try cluster.sql("GRANT SELECT ON \(tables.joined(separator: ", ")) TO mailauth", database: name)
    return (cluster, name)
  }

  /// A new MariaDB database made by `schema`, readable by mailauth.
  static func mariaDBDatabase(_ schema: String) throws -> (MariaDBServer, String) {
    let server = try MariaDBServer.shared()
    let name = "corpus_\(uniqueTag())"
    try server.sql("CREATE DATABASE \(name) CHARACTER SET utf8mb4", database: "mysql")
    try server.sql(schema, database: name)
    try server.sql("GRANT SELECT ON \(name).* TO 'mailauth'@'localhost'", database: "mysql")
    return (server, name)
  }

  /// Fails unless the module's statements that bound `tag` (a part of
  /// this test's logins) never had it, nor any of `values`, in their SQL
  /// text, and at least one bound each of `values`.
  static func expectBoundOnly(_ cluster: PostgresCluster, tag: String, values: [String] = []) throws {
    let mine = try cluster.moduleStatements().filter { $0.parameters.contains(tag) }
    #expect(!mine.isEmpty, "no statement of the module bound \(tag)")
    for statement in mine {
      #expect(!statement.sql.contains(tag), "the login is in the SQL text: \(statement)")
      for value in values { #expect(!statement.sql.contains(value), "\(value) is in the SQL text: \(statement)") }
    }
    for value in values {
      #expect(mine.contains { $0.parameters.contains(value) }, "no statement bound \(value): \(mine)")
    }
  }

  /// The same for MariaDB: no prepared statement holds `tag` or a value;
  /// the server's Execute records show them in place.
  static func expectBoundOnly(_ server: MariaDBServer, tag: String, values: [String] = []) throws {
    let prepared = try server.generalLogRecords("Prepare")
    #expect(!prepared.isEmpty)
    for sql in prepared {
      #expect(!sql.contains(tag), "the login is in a prepared statement: \(sql)")
      for value in values { #expect(!sql.contains(value), "\(value) is in a prepared statement: \(sql)") }
    }
    let executed = try server.generalLogRecords("Execute").filter { $0.contains(tag) }
    #expect(!executed.isEmpty, "no Execute bound \(tag)")
    for value in values { #expect(executed.contains { $0.contains(value) }, "no Execute bound \(value)") }
  }

  /// The prepared statements of the module that contain `text`.
  static func prepared(_ server: MariaDBServer, containing text: String) throws -> [String] {
    try server.generalLogRecords("Prepare").filter { $0.contains(text) }
  }

  static let ok = BatteryTests.ok
  static let wrong = "auth=PAM_AUTH_ERR acct=-"

  /// The right password is accepted, a wrong one refused.
  static func expectRightAndWrong(_ service: PAMService, _ login: String) throws {
    #expect(try service.result(login, Accounts.password) == ok, "\(login) with the right password")
    #expect(try service.result(login, "wrong") == wrong, "\(login) with a wrong password")
  }
  static let unknown = "auth=PAM_USER_UNKNOWN acct=-"
}

@Suite("Corpus: Dovecot 2.3 dovecot-sql.conf.ext files", .serialized)
struct CorpusDovecot23Tests {
  static let usersTable = """
    CREATE TABLE users (
      userid VARCHAR(128) NOT NULL, domain VARCHAR(128) NOT NULL, password VARCHAR(255) NOT NULL,
      home VARCHAR(255) NOT NULL, uid INTEGER NOT NULL, gid INTEGER NOT NULL)
    """

  @Test("Dovecot's own PostgreSQL example; its user_query and iterate_query are no warning")
  func dovecotDocsPostgres() throws {
    let tag = uniqueTag()
    let hash = try Accounts.mkpasswd("sha512crypt")
    let (cluster, database) = try Corpus.postgresDatabase(
      Self.usersTable + ";\nINSERT INTO users VALUES ('alice\(tag)', 'example.org', '\(hash)', '/home/a', 1, 1);",
      tables: ["users"])
    let config = try Corpus.text(
      "dovecot23-docs-sql-pgsql.conf.ext",
      replacing: [
        (
          "connect = host=localhost dbname=mails user=admin password=pass",
          "connect = host=\(cluster.socketDirectory) port=\(cluster.port) dbname=\(database) user=mailauth"
        )
      ])
    let service = try PAMService(config: config)
    defer { service.remove() }
    let sink = try SyslogSink.shared()
    try Corpus.expectRightAndWrong(service, "alice\(tag)@example.org")
    #expect(try service.result("bob\(tag)@example.org", Accounts.password) == Corpus.unknown)
    try Corpus.expectBoundOnly(cluster, tag: tag)
    #expect(try cluster.moduleStatements().contains { $0.sql.contains("WHERE userid = $1 AND domain = $2") })
    #expect(sink.lines(containing: service.name).filter { $0.contains("unknown key") }.isEmpty)
  }

  @Test("Dovecot's own SQLite example")
  func dovecotDocsSQLite() throws {
    let tag = uniqueTag()
    let directory = try makeTemporaryDirectory("swiftsql-corpus")
    defer { removeTemporaryDirectory(directory) }
    let path = "\(directory)/users.db"
    let hash = try Accounts.mkpasswd("yescrypt")
    try run(
      ["sqlite3", path],
      input: Self.usersTable + ";\nINSERT INTO users VALUES ('alice\(tag)', 'example.org', '\(hash)', '/h', 1, 1);",
      check: true)
    let config = try Corpus.text(
      "dovecot23-docs-sql-sqlite.conf.ext", replacing: [("connect = /path/to/sqlite.db", "connect = \(path)")])
    let service = try PAMService(config: config)
    defer { service.remove() }
    try Corpus.expectRightAndWrong(service, "alice\(tag)@example.org")
  }

  @Test("PostfixAdmin's dovecot-sql.conf on MariaDB, MD5-CRYPT values")
  func postfixAdmin() throws {
    let tag = uniqueTag()
    let hash = try Accounts.mkpasswd("md5crypt")
    let (server, database) = try Corpus.mariaDBDatabase(
      """
      CREATE TABLE mailbox (username VARCHAR(255) NOT NULL, password VARCHAR(255) NOT NULL,
        maildir VARCHAR(255) NOT NULL, quota BIGINT NOT NULL DEFAULT 0, active TINYINT(1) NOT NULL DEFAULT 1);
      INSERT INTO mailbox VALUES ('alice\(tag)@example.org', '\(hash)', 'example.org/alice/', 0, 1),
        ('off\(tag)@example.org', '\(hash)', 'example.org/off/', 0, 0);
      """)
    let config = try Corpus.text(
      "postfixadmin-dovecot-sql.conf",
      replacing: [
        (
          "connect = host=localhost dbname=postfix user=postfix password=postfix",
          "connect = socket=\(server.socket) dbname=\(database) user=mailauth password=\(MariaDBServer.password)"
        )
      ])
    let service = try PAMService(config: config)
    defer { service.remove() }
    try Corpus.expectRightAndWrong(service, "alice\(tag)@example.org")
    #expect(try service.result("off\(tag)@example.org", Accounts.password) == Corpus.unknown)
    try Corpus.expectBoundOnly(server, tag: tag)
  }

  @Test("VBoxAdm's prefetch query: '/var/vmail/%Ld/%Ln' is one bound value, %Ln and %Ld lower-case")
  func vboxAdm() throws {
    let tag = uniqueTag()
    let (server, database) = try Corpus.mariaDBDatabase(
      """
      CREATE TABLE domains (id INT NOT NULL, name VARCHAR(255) NOT NULL, is_active TINYINT(1) NOT NULL DEFAULT 1);
      CREATE TABLE mailboxes (id INT NOT NULL, domain_id INT NOT NULL, local_part VARCHAR(255) NOT NULL,
        password VARCHAR(255) NOT NULL, quota BIGINT NOT NULL DEFAULT 0, is_active TINYINT(1) NOT NULL DEFAULT 1);
      INSERT INTO domains VALUES (1, 'example.org', 1);
      INSERT INTO mailboxes VALUES (1, 1, 'alice\(tag)', \(Accounts.quoted(Accounts.password)), 1024, 1);
      """)
    let config = try Corpus.text(
      "vboxadm-dovecot-sql.conf",
      replacing: [
        (
          "connect = host=localhost dbname=vboxadm user=dovecot password=MYSQLPW",
          "connect = socket=\(server.socket) dbname=\(database) user=mailauth password=\(MariaDBServer.password)"
        )
      ])
    let service = try PAMService(config: config)
    defer { service.remove() }
    #expect(try service.result("Alice\(tag)@Example.ORG", Accounts.password) == Corpus.ok)
    #expect(try service.result("alice\(tag)@example.org", "wrong") == Corpus.wrong)
    try Corpus.expectBoundOnly(server, tag: tag, values: ["/var/vmail/example.org/alice\(tag)"])
    #expect(try !Corpus.prepared(server, containing: "SELECT ? AS userdb_home, 'mdbox:~/mail' AS userdb_mail").isEmpty)
  }

  /// iRedMail's vmail tables, as far as its Dovecot queries read them.
  static func iRedMailSchema(_ rows: String) -> String {
    """
    CREATE TABLE domain (domain VARCHAR(255) NOT NULL, backupmx SMALLINT NOT NULL DEFAULT 0,
      active SMALLINT NOT NULL DEFAULT 1);
    CREATE TABLE mailbox (username VARCHAR(255) NOT NULL, password VARCHAR(255) NOT NULL,
      domain VARCHAR(255) NOT NULL, allow_nets TEXT, active SMALLINT NOT NULL DEFAULT 1,
      enablesmtp SMALLINT NOT NULL DEFAULT 1, enablesmtpsecured SMALLINT NOT NULL DEFAULT 1,
      enableimap SMALLINT NOT NULL DEFAULT 1, enableimapsecured SMALLINT NOT NULL DEFAULT 1);
    INSERT INTO domain (domain) VALUES ('example.com');
    \(rows)
    """
  }

  /// alice may use SMTP and IMAP, bob only IMAP (enablesmtp = 0).
  static func iRedMailRows(_ tag: String) throws -> String {
    let hash = "{SHA512-CRYPT}" + (try Accounts.mkpasswd("sha512crypt"))
    return """
      INSERT INTO mailbox (username, password, domain) VALUES ('alice\(tag)@example.com', '\(hash)', 'example.com');
      INSERT INTO mailbox (username, password, domain, enablesmtp) VALUES
        ('bob\(tag)@example.com', '\(hash)', 'example.com', 0);
      """
  }

  /// The logins through services smtp and imap, which choose the column.
  static func iRedMailLogins(_ config: String, tag: String) throws {
    for serviceName in ["smtp", "imap"] {
      let service = try PAMService(config: config, name: serviceName)
      defer { service.remove() }
      try Corpus.expectRightAndWrong(service, "alice\(tag)@example.com")
      #expect(
        try service.result("bob\(tag)@example.com", Accounts.password)
          == (serviceName == "smtp" ? Corpus.unknown : Corpus.ok), "\(serviceName)")
    }
  }

  @Test("iRedMail's Dovecot 2.3 file on MariaDB: the service and %Lc choose the column")
  func iRedMailMariaDB() throws {
    let tag = uniqueTag()
    let (server, database) = try Corpus.mariaDBDatabase(Self.iRedMailSchema(try Self.iRedMailRows(tag)))
    let config = try Corpus.text(
      "iredmail-dovecot-sql.conf",
      replacing: [
        ("PH_SQL_DRIVER", "mysql"),
        (
          "host=PH_SQL_SERVER_ADDRESS port=PH_SQL_SERVER_PORT dbname=PH_VMAIL_DB_NAME user=PH_VMAIL_DB_BIND_USER "
            + "password=PH_VMAIL_DB_BIND_PASSWD",
          "socket=\(server.socket) port=3306 dbname=\(database) user=mailauth password=\(MariaDBServer.password)"
        ),
      ])
    try Self.iRedMailLogins(config, tag: tag)
    try Corpus.expectBoundOnly(server, tag: tag)
    #expect(try !Corpus.prepared(server, containing: "AND mailbox.enablesmtp=1").isEmpty)
    #expect(try !Corpus.prepared(server, containing: "AND mailbox.enableimap=1").isEmpty)
  }

  /// The iRedMail database in the PostgreSQL cluster that logs
  /// statements, its name, and iRedMail's file for it.
  static func iRedMailOnPostgres(_ tag: String) throws -> (PostgresCluster, database: String, config: String) {
    let (cluster, database) = try Corpus.postgresDatabase(
      iRedMailSchema(try iRedMailRows(tag)), tables: ["mailbox", "domain"])
    let config = try Corpus.text(
      "iredmail-dovecot-sql.conf",
      replacing: [
        ("PH_SQL_DRIVER", "pgsql"), ("PH_SQL_SERVER_ADDRESS", cluster.socketDirectory),
        ("PH_SQL_SERVER_PORT", String(cluster.port)), ("PH_VMAIL_DB_NAME", database),
        ("PH_VMAIL_DB_BIND_USER", "mailauth"), (" password=PH_VMAIL_DB_BIND_PASSWD", ""),
      ])
    return (cluster, database, config)
  }

  @Test("iRedMail's Dovecot 2.3 file on PostgreSQL")
  func iRedMailPostgres() throws {
    let tag = uniqueTag()
    let (cluster, _, config) = try Self.iRedMailOnPostgres(tag)
    try Self.iRedMailLogins(config, tag: tag)
    try Corpus.expectBoundOnly(cluster, tag: tag)
    let statements = try cluster.moduleStatements().filter { $0.parameters.contains(tag) }
    #expect(statements.contains { $0.sql.contains("mailbox.username=$1") && $0.sql.contains("enablesmtp=1") })
    #expect(statements.contains { $0.sql.contains("enableimap=1") })
  }

  @Test("ISPConfig's file on MariaDB: `disable%Ls` in backquotes, the domain check bound as %d")
  func ispConfig() throws {
    let tag = uniqueTag()
    let hash = try Accounts.mkpasswd("sha512crypt")
    let (server, database) = try Corpus.mariaDBDatabase(
      """
      CREATE TABLE mail_user (email VARCHAR(255) NOT NULL, login VARCHAR(255) NOT NULL, password VARCHAR(255),
        maildir VARCHAR(255), maildir_format VARCHAR(255) NOT NULL DEFAULT 'maildir', uid INT, gid INT,
        quota BIGINT NOT NULL DEFAULT 0, imap_prefix VARCHAR(255), disablesmtp ENUM('n','y') NOT NULL DEFAULT 'n',
        disableimap ENUM('n','y') NOT NULL DEFAULT 'n', server_id INT NOT NULL);
      CREATE TABLE mail_domain (domain_id INT NOT NULL, domain VARCHAR(255) NOT NULL, active ENUM('n','y') NOT NULL,
        server_id INT NOT NULL);
      INSERT INTO mail_domain VALUES (1, 'example.net', 'y', 1), (2, 'off.example', 'n', 1);
      INSERT INTO mail_user (email, login, password, maildir, uid, gid, disablesmtp, server_id) VALUES
        ('alice\(tag)@example.net', 'alice\(tag)@example.net', '\(hash)', '/var/vmail/example.net/alice', 5000, 5000,
         'n', 1),
        ('bob\(tag)@example.net', 'bob\(tag)@example.net', '\(hash)', '/var/vmail/example.net/bob', 5000, 5000, 'y', 1),
        ('carol\(tag)@off.example', 'carol\(tag)@off.example', '\(hash)', '/x', 5000, 5000, 'n', 1);
      """)
    let config = try Corpus.text(
      "ispconfig-dovecot-sql.conf",
      replacing: [
        (
          "host={mysql_server_host} dbname={mysql_server_database} user={mysql_server_ispconfig_user} "
            + "password={mysql_server_ispconfig_password} port={mysql_server_port}",
          "socket=\(server.socket) dbname=\(database) user=mailauth password=\(MariaDBServer.password) port=3306"
        ),
        ("{server_id}", "1"),
      ])
    let service = try PAMService(config: config, name: "smtp")
    defer { service.remove() }
    try Corpus.expectRightAndWrong(service, "alice\(tag)@example.net")
    #expect(try service.result("bob\(tag)@example.net", Accounts.password) == Corpus.unknown)
    #expect(try service.result("carol\(tag)@off.example", Accounts.password) == Corpus.unknown)
    try Corpus.expectBoundOnly(server, tag: tag)
    #expect(try !Corpus.prepared(server, containing: "AND `disablesmtp` = 'n' AND server_id = '1'").isEmpty)
  }
}

@Suite("Corpus: Dovecot 2.4 dovecot.conf files", .serialized)
struct CorpusDovecot24Tests {
  @Test("iRedMail's whole-dovecot.conf for PostgreSQL (excerpt): pgsql section, passdb sql, %{…} filters")
  func iRedMailPostgres() throws {
    let tag = uniqueTag()
    let (cluster, database) = try Corpus.postgresDatabase(
      CorpusDovecot23Tests.iRedMailSchema(try CorpusDovecot23Tests.iRedMailRows(tag)), tables: ["mailbox", "domain"])
    let config = try Corpus.text(
      "iredmail-dovecot-2.4-pgsql.conf",
      replacing: [
        ("PH_SQL_SERVER_ADDRESS", cluster.socketDirectory), ("PH_SQL_SERVER_PORT", String(cluster.port)),
        ("PH_VMAIL_DB_NAME", database), ("PH_VMAIL_DB_ADMIN_USER", "mailauth"),
        ("password = PH_VMAIL_DB_ADMIN_PASSWD", ""),
      ])
    let sink = try SyslogSink.shared()
    try CorpusDovecot23Tests.iRedMailLogins(config, tag: tag)
    try Corpus.expectBoundOnly(cluster, tag: tag)
    let statements = try cluster.moduleStatements().filter { $0.parameters.contains(tag) }
    #expect(statements.contains { $0.sql.contains("mailbox.\"enablesmtp\"=1") })
    #expect(statements.contains { $0.sql.contains("mailbox.\"enableimap\"=1") })
    // A whole dovecot.conf is read without a warning: what the module does
    // not use (userdb, namespaces, services) is only a debug note.
    #expect(sink.lines(containing: "pam_swiftsql(smtp:auth)").filter { $0.contains("ignored") }.isEmpty)
  }

  @Test("iRedMail's whole-dovecot.conf for MariaDB (excerpt): mysql section, `enable%{protocol | lower}…`")
  func iRedMailMariaDB() throws {
    let tag = uniqueTag()
    let (server, database) = try Corpus.mariaDBDatabase(
      CorpusDovecot23Tests.iRedMailSchema(try CorpusDovecot23Tests.iRedMailRows(tag)))
    let config = try Corpus.text(
      "iredmail-dovecot-2.4-mariadb.conf",
      replacing: [
        ("PH_SQL_SERVER_ADDRESS", server.socket), ("PH_SQL_SERVER_PORT", "3306"), ("PH_VMAIL_DB_NAME", database),
        ("PH_VMAIL_DB_ADMIN_USER", "mailauth"), ("PH_VMAIL_DB_ADMIN_PASSWD", MariaDBServer.password),
      ])
    try CorpusDovecot23Tests.iRedMailLogins(config, tag: tag)
    try Corpus.expectBoundOnly(server, tag: tag)
    #expect(try !Corpus.prepared(server, containing: "mailbox.`enablesmtp`=1").isEmpty)
  }

  static func usersRows(_ tag: String, _ hash: String) -> String {
    CorpusDovecot23Tests.usersTable
      + ";\nINSERT INTO users VALUES ('alice\(tag)', 'example.org', '\(hash)', '/home/a', 1, 1);"
  }

  @Test("Dovecot 2.4's own examples: PostgreSQL")
  func docsPostgres() throws {
    let tag = uniqueTag()
    let (cluster, database) = try Corpus.postgresDatabase(
      Self.usersRows(tag, try Accounts.mkpasswd("sha512crypt")), tables: ["users"])
    let config = try Corpus.text(
      "dovecot24-docs-sql-pgsql.conf",
      replacing: [
        ("pgsql localhost {", "pgsql \(cluster.socketDirectory) {"), ("user = admin", "user = mailauth"),
        ("password = pass", "port = \(cluster.port)"), ("dbname = mails", "dbname = \(database)"),
      ])
    let service = try PAMService(config: config)
    defer { service.remove() }
    try Corpus.expectRightAndWrong(service, "alice\(tag)@example.org")
    try Corpus.expectBoundOnly(cluster, tag: tag)
    #expect(try cluster.moduleStatements().contains { $0.sql.contains("WHERE userid = $1 AND domain = $2") })
  }

  @Test("Dovecot 2.4's own examples: MariaDB through its socket")
  func docsMariaDB() throws {
    let tag = uniqueTag()
    let (server, database) = try Corpus.mariaDBDatabase(Self.usersRows(tag, try Accounts.mkpasswd("bcrypt")))
    let config = try Corpus.text(
      "dovecot24-docs-sql-mysql.conf",
      replacing: [
        ("mysql /var/run/mysqld/mysqld.sock {", "mysql \(server.socket) {"), ("user = admin", "user = mailauth"),
        ("password = pass", "password = \(MariaDBServer.password)"), ("dbname = mails", "dbname = \(database)"),
      ])
    let service = try PAMService(config: config)
    defer { service.remove() }
    try Corpus.expectRightAndWrong(service, "alice\(tag)@example.org")
    try Corpus.expectBoundOnly(server, tag: tag)
  }

  @Test("Dovecot 2.4's own examples: SQLite")
  func docsSQLite() throws {
    let tag = uniqueTag()
    let directory = try makeTemporaryDirectory("swiftsql-corpus")
    defer { removeTemporaryDirectory(directory) }
    let path = "\(directory)/users.db"
    try run(["sqlite3", path], input: Self.usersRows(tag, try Accounts.mkpasswd("sha512crypt")), check: true)
    let config = try Corpus.text(
      "dovecot24-docs-sql-sqlite.conf", replacing: [("sqlite_path = /path/to/sqlite.db", "sqlite_path = \(path)")])
    let service = try PAMService(config: config)
    defer { service.remove() }
    try Corpus.expectRightAndWrong(service, "alice\(tag)@example.org")
  }
}

@Suite("Corpus: pam_mysql and pam_pgsql files", .serialized)
struct CorpusPamModuleTests {
  @Test("the Cyrus IMAP documentation's pam_mysql file with ';' terminators, on MariaDB, ENCRYPT() values")
  func cyrusPamMySQL() throws {
    let tag = uniqueTag()
    let (server, database) = try Corpus.mariaDBDatabase(
      """
      CREATE TABLE mail_users (username VARCHAR(200) NOT NULL, password VARCHAR(40) NOT NULL,
        active TINYINT(1) NOT NULL DEFAULT 1, INDEX username_idx(username));
      INSERT INTO mail_users SET username='jane\(tag)@example.org',
        password=ENCRYPT(\(Accounts.quoted(Accounts.password)),'$1$1234abcd'), active=1;
      INSERT INTO mail_users SET username='off\(tag)@example.org',
        password=ENCRYPT(\(Accounts.quoted(Accounts.password)),'$1$1234abcd'), active=0;
      """)
    let file = try Corpus.text(
      "cyrus-mail-pam-mysql.conf",
      replacing: [
        ("users.host = localhost;", "users.host = \(server.socket);"),
        ("users.database = db_mail;", "users.database = \(database);"),
        ("users.db_user = db_mail_user;", "users.db_user = mailauth;"),
        ("users.db_passwd = db_mail_password;", "users.db_passwd = \(MariaDBServer.password);"),
      ])
    let sink = try SyslogSink.shared()
    let service = try PAMService(config: file) { "config_file=\($0)" }
    defer { service.remove() }
    #expect(try service.result("jane\(tag)@example.org", Accounts.password) == Corpus.ok)
    #expect(try service.result("jane\(tag)@example.org", "janepas3") == Corpus.wrong)
    #expect(try service.result("off\(tag)@example.org", Accounts.password) == Corpus.unknown)
    try Corpus.expectBoundOnly(server, tag: tag)
    // config_file= is pam_mysql's own argument, not an unknown one.
    #expect(sink.lines(containing: service.name).filter { $0.contains("config_file") }.isEmpty)
  }

  /// pam_pgsql's README table, with sha1 values (its default pw_type).
  static func accountTable(_ tag: String) throws -> String {
    let sha1 = try run(["sha1sum"], input: Accounts.password, check: true).stdout.prefix(40)
    return """
      CREATE TABLE account (user_name text PRIMARY KEY, user_password text, acc_expired char(1) NOT NULL DEFAULT 'n',
        acc_new_pwreq char(1) NOT NULL DEFAULT 'n');
      INSERT INTO account VALUES ('ljb\(tag)', '\(sha1)', 'n', 'n'), ('old\(tag)', '\(sha1)', 'y', 'n'),
        ('renew\(tag)', '\(sha1)', 'n', '1');
      """
  }

  @Test("pam_pgsql's README file (legacy keys) and its four-type PAM stack")
  func pamPgsqlLegacy() throws {
    let tag = uniqueTag()
    let (cluster, database) = try Corpus.postgresDatabase(try Self.accountTable(tag), tables: ["account"])
    let file =
      try Corpus.text(
        "pam_pgsql-readme-legacy.conf",
        replacing: [("database = sysdb", "database = \(database)"), ("user = ljb", "user = mailauth")])
      + "host = \(cluster.socketDirectory)\nport = \(cluster.port)\n"
    let service = try PAMService(config: file, allTypes: true) { "config_file=\($0)" }
    defer { service.remove() }
    try Corpus.expectRightAndWrong(service, "ljb\(tag)")
    #expect(try service.result("old\(tag)", Accounts.password) == "auth=PAM_SUCCESS acct=PAM_ACCT_EXPIRED")
    #expect(try service.result("renew\(tag)", Accounts.password) == "auth=PAM_SUCCESS acct=PAM_NEW_AUTHTOK_REQD")
    try Corpus.expectBoundOnly(cluster, tag: tag)
  }

  @Test("pam_pgsql's README file (connect, auth_query, acct_query, pwd_query)")
  func pamPgsqlConnect() throws {
    let tag = uniqueTag()
    let (cluster, database) = try Corpus.postgresDatabase(try Self.accountTable(tag), tables: ["account"])
    let file = try Corpus.text(
      "pam_pgsql-readme-connect.conf",
      replacing: [
        (
          "connect = dbname=sysdb user=ljb password=sth connect_timeout=15",
          "connect = host=\(cluster.socketDirectory) port=\(cluster.port) dbname=\(database) user=mailauth "
            + "connect_timeout=15"
        )
      ])
    let service = try PAMService(config: file) { "config_file=\($0)" }
    defer { service.remove() }
    try Corpus.expectRightAndWrong(service, "ljb\(tag)")
    #expect(try service.result("old\(tag)", Accounts.password) == "auth=PAM_SUCCESS acct=PAM_ACCT_EXPIRED")
    try Corpus.expectBoundOnly(cluster, tag: tag)
  }

  @Test("pam_pgsql's README pg_shadow example: PostgreSQL roles with md5_postgres, bare role names")
  func pamPgsqlShadow() throws {
    let tag = uniqueTag()
    let cluster = try Corpus.postgres()
    try cluster.sql(
      "SET password_encryption = 'md5'; CREATE ROLE carol\(tag) LOGIN PASSWORD \(Accounts.quoted(Accounts.password))",
      database: "postgres")
    let file =
      try Corpus.text("pam_pgsql-readme-pg_shadow.conf")
      + "host = \(cluster.socketDirectory)\nport = \(cluster.port)\n"
    let service = try PAMService(config: file) { "config_file=\($0)" }
    defer { service.remove() }
    try Corpus.expectRightAndWrong(service, "carol\(tag)")
    #expect(try service.result("nobody\(tag)", Accounts.password) == Corpus.unknown)
    try Corpus.expectBoundOnly(cluster, tag: tag)
    // The stored value, checked by the tool with the bare role name.
    let stored = try cluster.sql("SELECT passwd FROM pg_shadow WHERE usename = 'carol\(tag)'", database: "postgres")
    let verify = try run(
      [
        Project.tool, "verify", "-u", "carol\(tag)", "--default-scheme", "MD5_POSTGRES", "-p", Accounts.password,
        stored,
      ])
    #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    #expect(verify.stdout.contains("result: match"))
  }

  @Test("a pam_pgsql file read as pam_pgsql reads it: a bare debug and a wrapped query are ignored lines")
  func pamPgsqlWrapped() throws {
    let tag = uniqueTag()
    let (cluster, database) = try Corpus.postgresDatabase(try Self.accountTable(tag), tables: ["account"])
    let file = try Corpus.text(
      "pam_pgsql-readme-options.conf",
      replacing: [
        (
          "connect = dbname=sysdb user=ljb password=sth connect_timeout=15",
          "connect = host=\(cluster.socketDirectory) port=\(cluster.port) dbname=\(database) user=mailauth"
        )
      ])
    let sink = try SyslogSink.shared()
    let service = try PAMService(config: file) { "config_file=\($0)" }
    defer { service.remove() }
    // pam_pgsql would run "select user_password from account" for every
    // login and check the first row: the module refuses the query instead.
    #expect(try service.result("ljb\(tag)", Accounts.password) == "auth=PAM_SERVICE_ERR acct=-")
    try sink.waitForLine(containing: [service.name, "line 4 looks like the continuation of auth_query (line 3)"])
    try sink.waitForLine(containing: [service.name, "line 6: a bare 'debug' line is ignored by pam_pgsql"])
    try sink.waitForLine(containing: [service.name, "does not use the login"])
  }
}
