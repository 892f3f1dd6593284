// The configuration files pam_swiftsql reads besides its own: a Dovecot 2.4
// dovecot.conf (doveconf's syntax: src/config/config-parser.c), pam_mysql
// 0.8.2's file (its scanner and parser in pam_mysql.c) and pam_pgsql 0.7.3's
// (read_config_file in pam_pgsql_options.c). Each rule is checked on a small
// text written from those parsers; the real files of Tests/Corpus are read
// here too, for what they resolve to.

import Foundation
import SwiftSQLCore
import Testing

private let schemes: Set<String> = ["PLAIN", "CRYPT", "SHA1-HEX", "MD5_POSTGRES", "MD5-CRYPT", "SHA512-CRYPT"]

private func resolve(_ text: String, path: String = "/etc/dovecot/dovecot.conf") throws(ConfigurationError)
  -> Configuration
{
  try Configuration.resolve(
    fileText: text, arguments: ModuleArguments(["config=\(path)"]), isKnownScheme: { schemes.contains($0) },
    canGenerateScheme: { $0 == "SHA512-CRYPT" })
}

private func resolveForeign(_ file: String, arguments: [String] = []) throws(ConfigurationError) -> Configuration {
  let all = ["config_file=/etc/x.conf"] + arguments
  let plan = ConfigurationDialect.plan(arguments: all) { _ in true }
  return try Configuration.resolve(
    plan: plan, fileText: file, arguments: all, isKnownScheme: { schemes.contains($0) },
    canGenerateScheme: { $0 == "SHA512-CRYPT" || $0 == "CRYPT" })
}

/// A file of Tests/Corpus.
private func corpus(_ name: String) throws -> String {
  var path = #filePath
  for _ in 0..<2 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
  return try String(contentsOfFile: path + "/Corpus/" + name, encoding: .utf8)
}

private func pairs(_ connect: String?) -> [String] {
  guard let connect, case .success(let parsed) = ConnectionString.parse(connect) else { return ["unparsable"] }
  return parsed.map { "\($0.key)=\($0.value)" }
}

@Suite("Dovecot 2.4 dovecot.conf")
struct DovecotConfigTests {
  @Test("a pasted passdb sql block with its pgsql section: driver, connect, query in Dovecot 2.4's syntax")
  func pgsql() throws {
    let configuration = try resolve(
      """
      sql_driver = pgsql
      pgsql db.example.org {
        parameters {
          dbname = mails
          user = "dovecot"   # a comment
          password = 'pa#ss'
        }
      }
      passdb sql {
        query = SELECT password FROM users \\
          WHERE userid = '%{user | username}' AND domain = '%{user | domain}'
        default_password_scheme = SHA512-CRYPT
      }
      """)
    #expect(configuration.settings.driver == .pgsql)
    #expect(
      pairs(configuration.settings.connect) == [
        "host=db.example.org", "dbname=mails", "user=dovecot", "password=pa#ss",
      ])
    #expect(configuration.passwordQuery.sql == "SELECT password FROM users WHERE userid = $1 AND domain = $2")
    #expect(configuration.settings.defaultPassScheme == "SHA512-CRYPT")
    #expect(configuration.querySyntax == .dovecot24)
    #expect(configuration.warnings.isEmpty)
  }

  @Test("a mysql section named by its socket, and sqlite_path")
  func mysqlAndSQLite() throws {
    let mysql = try resolve(
      """
      sql_driver = mysql
      mysql /run/mysqld/mysqld.sock {
        user = admin
        password = pass
        dbname = mails
        port = 3306
      }
      passdb sql {
        query = SELECT password FROM users WHERE userid = '%{user}'
      }
      """)
    #expect(
      pairs(mysql.settings.connect) == [
        "socket=/run/mysqld/mysqld.sock", "port=3306", "user=admin", "password=pass", "dbname=mails",
      ])
    #expect(mysql.passwordQuery.sql == "SELECT password FROM users WHERE userid = ?")
    let sqlite = try resolve(
      "sql_driver = sqlite\nsqlite_path = /var/lib/mail.db\npassdb sql {\n  query = SELECT password FROM u WHERE n = '%{user}'\n}\n"
    )
    #expect(sqlite.settings.connect == "/var/lib/mail.db")
  }

  @Test("doveconf's lines: # outside quotes ends a line, \\ joins the next with one space, \"…\" is unquoted")
  func lineSyntax() throws {
    let configuration = try resolve(
      """
      sql_driver = sqlite
      sqlite_path = "/var/lib/my mail.db" # the file
      passdb other {
        driver = sql
        query = SELECT password FROM users WHERE note <> '#x' AND userid = '%{user}' \\
        AND active = 1
      }
      """)
    #expect(configuration.settings.connect == "/var/lib/my mail.db")
    #expect(
      configuration.passwordQuery.sql == "SELECT password FROM users WHERE note <> '#x' AND userid = ? AND active = 1")
  }

  @Test("only %{…} is a variable: %u is Dovecot 2.4's text %u, and a warning says so")
  func legacyVariables() throws {
    let configuration = try resolve(
      "sql_driver = sqlite\nsqlite_path = /x.db\npassdb sql {\n  query = SELECT password FROM u WHERE n = '%{user}' AND x = '%u'\n}\n"
    )
    #expect(configuration.passwordQuery.sql == "SELECT password FROM u WHERE n = ? AND x = '%u'")
    #expect(configuration.warnings.contains { $0.contains("%u") && $0.contains("%{user}") })
  }

  @Test("master and deny passdbs, the userdb, services and namespaces are none of the module's business")
  func whatIsIgnored() throws {
    let configuration = try resolve(
      """
      dovecot_config_version = 2.4.0
      protocols = imap pop3
      passdb passwd-file {
        master = yes
        passwd_file_path = /etc/dovecot/master-users
      }
      passdb deny {
        driver = sql
        deny = yes
        query = SELECT 1 FROM banned WHERE u = '%{user}'
      }
      sql_driver = sqlite
      sqlite_path = /x.db
      userdb sql {
        query = SELECT home FROM u WHERE n = '%{user}'
        iterate_query = SELECT n AS user FROM u
      }
      passdb sql {
        query = SELECT password FROM u WHERE n = '%{user}'
      }
      namespace inbox {
        mailbox "Sent Messages" {
          special_use = \\Sent
        }
      }
      dict_map shared/shared-boxes/user/$to/$from {
        value = $from
      }
      """)
    #expect(configuration.passwordQuery.sql == "SELECT password FROM u WHERE n = ?")
    #expect(configuration.warnings.isEmpty)
    #expect(configuration.notes.count == 1)
    #expect(configuration.notes.first?.contains("userdb sql") == true)
  }

  @Test(
    "what pam_swiftsql cannot follow is said: <file, $ENV:, an unclosed section, ssl without a CA",
    arguments: [
      ("sql_driver = sqlite\nsqlite_path = </etc/path\n", "does not follow"),
      ("sql_driver = sqlite\nsqlite_path = $ENV:DB\n", "$ENV:DB"),
      ("passdb sql {\n  query = SELECT 1\n", "never closed"),
      ("sql_driver = mysql\nmysql h {\n  ssl = yes\n}\npassdb sql {\n  query = x\n}\n", "ssl_client_ca_file"),
      ("sql_driver = pgsql\npassdb sql {\n  query = SELECT p FROM u WHERE n = '%{user}'\n}\n", "'pgsql HOST { … }'"),
      ("sql_driver = sqlite\nsqlite_path = /x\nuserdb sql {\n  query = x\n}\n", "no SQL passdb query"),
    ])
  func refused(_ text: String, _ said: String) {
    #expect {
      try resolve(text)
    } throws: { error in
      (error as? ConfigurationError)?.message.contains(said) == true
    }
  }

  @Test("!include is not followed, and a warning says where to point config=")
  func include() throws {
    let configuration = try resolve(
      "!include conf.d/*.conf\nsql_driver = sqlite\nsqlite_path = /x\npassdb sql {\n  query = SELECT p FROM u WHERE n = '%{user}'\n}\n"
    )
    #expect(configuration.warnings.contains { $0.contains("!include") && $0.contains("config=") })
  }

  @Test("iRedMail's whole dovecot.conf (corpus): the pgsql section and the SQL passdb, no warning")
  func iRedMail() throws {
    let configuration = try resolve(try corpus("iredmail-dovecot-2.4-pgsql.conf"))
    #expect(
      pairs(configuration.settings.connect) == [
        "host=PH_SQL_SERVER_ADDRESS", "port=PH_SQL_SERVER_PORT", "dbname=PH_VMAIL_DB_NAME",
        "user=PH_VMAIL_DB_ADMIN_USER", "password=PH_VMAIL_DB_ADMIN_PASSWD",
      ])
    #expect(configuration.passwordQuery.splicesServiceName)
    #expect(configuration.warnings.isEmpty, "\(configuration.warnings)")
  }

  @Test("a pam_swiftsql.conf of key = value lines is not read as a dovecot.conf")
  func nativeStaysNative() {
    #expect(!DovecotConfig.isDovecotConf("driver = pgsql\npassword_query = SELECT a FROM b WHERE c = '{'\n"))
    #expect(DovecotConfig.isDovecotConf("passdb sql {\n}\n"))
  }
}

@Suite("pam_mysql 0.8.2's file")
struct PamMySQLFileTests {
  @Test("the Cyrus IMAP documentation's file: ';' ends a value, '=' may stand in one, config_file= is no warning")
  func cyrus() throws {
    let configuration = try resolveForeign(try corpus("cyrus-mail-pam-mysql.conf"))
    #expect(configuration.settings.driver == .mysql)
    #expect(configuration.passwordQuery.sql == "SELECT password FROM mail_users WHERE username = ? AND (active = 1)")
    #expect(configuration.settings.defaultPassScheme == "CRYPT")
    #expect(!configuration.warnings.contains { $0.contains("config_file") })
    // users.md5 is not a key of 0.8.2 (users.use_md5 is); pam_mysql ignores it silently.
    #expect(!configuration.warnings.contains { $0.contains("users.md5") })
    #expect(configuration.notes.contains { $0.contains("users.md5") })
  }

  @Test("values as the scanner reads them: blanks before ';' stay, nothing is unquoted, CRLF ends a line")
  func values() throws {
    let entries = try PamMySQLConfigFile.parse(
      "users.table = mail_users ;\r\nusers.where_clause = \"a\" = 'b'\nverbose=0\n   \n# c\nusers.host =;\n")
    #expect(entries.map { $0.key } == ["users.table", "users.where_clause", "verbose", "users.host"])
    #expect(entries.map { $0.value } == ["mail_users ", "\"a\" = 'b'", "0", ""])
    #expect(entries.map { $0.line } == [1, 2, 3, 6])
  }

  @Test(
    "lines pam_mysql refuses are refused, with the line",
    arguments: [("verbose = 0; # off\n", 1), ("a = 1;\n  # indented\n", 2), ("verbose\n", 1), ("= 1;\n", 1)])
  func refused(_ text: String, _ line: Int) {
    #expect(throws: ConfigSyntaxError.self) { try PamMySQLConfigFile.parse(text) }
    #expect {
      try PamMySQLConfigFile.parse(text)
    } throws: { error in
      (error as? ConfigSyntaxError)?.line == line
    }
  }
}

@Suite("pam_pgsql 0.7.3's file")
struct PamPgsqlFileTests {
  @Test("the README's file: every key read, debug = 1 turns debug on")
  func readme() throws {
    let reading = PamPgsqlConfigFile.read(try corpus("pam_pgsql-readme-legacy.conf"), path: "/etc/pam_pgsql.conf")
    #expect(
      reading.entries.map { $0.key } == [
        "database", "user", "table", "user_column", "pwd_column", "expired_column", "newtok_column", "debug",
      ])
    #expect(reading.warnings.isEmpty && reading.notes.isEmpty)
    let configuration = try resolveForeign(try corpus("pam_pgsql-readme-legacy.conf"))
    #expect(configuration.settings.debug)
  }

  @Test("key = value as read_config_file cuts it: a key keeps leading blanks, a value its trailing ones")
  func cutting() {
    let reading = PamPgsqlConfigFile.read(
      "host = db \nport=5433\r\n  table = indented\n#auth_query = x\ndebug = 0\n", path: "/p")
    #expect(reading.entries.map { $0.key } == ["host", "port", "debug"])
    #expect(reading.entries.map { $0.value } == ["db ", "5433\r", "1"])
    // An indented key is no key of pam_pgsql's; it is noted, never used.
    #expect(reading.warnings.count == 1 && reading.warnings[0].contains("continuation of port"))
  }

  @Test("a bare debug counts only as the last line without a newline, as fgets leaves it")
  func bareDebug() {
    #expect(PamPgsqlConfigFile.read("host = db\ndebug", path: "/p").entries.map { $0.key } == ["host", "debug"])
    let withNewline = PamPgsqlConfigFile.read("debug\nhost = db\n", path: "/p")
    #expect(withNewline.entries.map { $0.key } == ["host"])
    #expect(withNewline.warnings.contains { $0.contains("bare 'debug'") })
  }

  @Test("a value wrapped onto the next line ends at the first: the next line is ignored, with a warning")
  func wrapped() throws {
    let text = try corpus("pam_pgsql-readme-options.conf")
    let reading = PamPgsqlConfigFile.read(text, path: "/etc/pam_pgsql.conf")
    #expect(reading.entries.first { $0.key == "auth_query" }?.value == "select user_password from account")
    #expect(reading.warnings.contains { $0.contains("line 4 looks like the continuation of auth_query (line 3)") })
    #expect {
      try resolveForeign(text)
    } throws: { error in
      let message = (error as? ConfigurationError)?.message ?? ""
      return message.contains("does not use the login") && message.contains("continuation of auth_query")
    }
  }

  @Test("a line longer than fgets's 1023 bytes goes on as a line of its own")
  func longLine() {
    let long = "auth_query = select p from t where u = %u and x in (" + String(repeating: "'a',", count: 300) + "'a')"
    let reading = PamPgsqlConfigFile.read(long + "\n", path: "/p")
    #expect(reading.entries.first?.value.utf8.count == 1023 - "auth_query = ".utf8.count)
    #expect(reading.warnings.contains { $0.contains("1023-byte") })
  }

  @Test("pwd_query becomes the password change when pw_type's values can be made")
  func pwdQuery() throws {
    let file = try corpus("pam_pgsql-readme-connect.conf") + "pw_type = crypt_sha512\n"
    let configuration = try resolveForeign(file)
    #expect(configuration.passwordChange?.scheme == "SHA512-CRYPT")
    #expect(configuration.passwordChange?.query.sql == "update account set user_password = $1 where user_name = $2")
    // With pw_type sha1 (the default) new values cannot be made: a note.
    let sha1 = try resolveForeign(try corpus("pam_pgsql-readme-connect.conf"))
    #expect(sha1.passwordChange == nil)
    #expect(sha1.warnings.contains { $0.contains("pwd_query is ignored") })
  }
}

@Suite("ConfigAdvisor: the rewritten line for a file that cannot work unchanged")
struct ConfigAdviceTests {
  @Test("pam_pgsql: a wrapped value on one line")
  func wrapped() throws {
    let advice = ConfigAdvisor.advise(try corpus("pam_pgsql-readme-options.conf"), dialect: .pamPgsql)
    #expect(
      advice == [
        ConfigAdvice(
          line: 3,
          why: "pam_pgsql reads a value from one line: lines 4–4 are ignored and the value is cut short",
          written: "auth_query = select user_password from account\n    where user_name = %u",
          rewritten: "auth_query = select user_password from account where user_name = %u")
      ])
  }

  @Test("pam_mysql: nothing after ';', '#' in the first column")
  func pamMySQL() {
    let advice = ConfigAdvisor.advise(
      "users.password_crypt = 1; # crypt(3)\n  # the table\nusers.table = t;\n", dialect: .pamMySQL)
    #expect(advice.map { $0.rewritten } == ["users.password_crypt = 1;", "# the table"])
    #expect(advice.map { $0.line } == [1, 2])
  }

  @Test("Dovecot 2.4: Dovecot 2.3's variables in their 2.4 spelling")
  func dovecot24() {
    let advice = ConfigAdvisor.advise(
      "sql_driver = sqlite\nsqlite_path = /x\npassdb sql {\n  query = SELECT password FROM u WHERE n = '%Lu' AND s = '%s' AND p = 100%%\n}\n",
      dialect: .native)
    #expect(
      advice.map { $0.rewritten } == [
        "query = SELECT password FROM u WHERE n = '%{user | lower}' AND s = '%{protocol}' AND p = 100%%"
      ])
    #expect(advice.first?.line == 4)
  }

  @Test("the plaintext %w of Dovecot's conversion recipe: the query without that column")
  func plaintextColumn() {
    // Dovecot 2.3 documentation, "Converting Password Schemes".
    let text = """
      driver = mysql
      password_query = SELECT username AS user, password, CONCAT('/var/mail/vdomains/', maildir) as userdb_home, \\
        '%w' as userdb_plain_pass FROM mailbox WHERE username = '%u'
      """
    let advice = ConfigAdvisor.advise(text, dialect: .native)
    #expect(
      advice.map { $0.rewritten } == [
        "password_query = SELECT username AS user, password, CONCAT('/var/mail/vdomains/', maildir) as userdb_home "
          + "FROM mailbox WHERE username = '%u'"
      ])
  }

  @Test("\"%u\" on PostgreSQL or SQLite: '%u'")
  func doubleQuotes() {
    let advice = ConfigAdvisor.advise(
      "driver = pgsql\npassword_query = SELECT password FROM users WHERE email = \"%u\"\n", dialect: .native)
    #expect(advice.map { $0.rewritten } == ["password_query = SELECT password FROM users WHERE email = '%u'"])
    // MariaDB reads it as a string: nothing to change.
    #expect(
      ConfigAdvisor.advise(
        "driver = mysql\npassword_query = SELECT password FROM users WHERE email = \"%u\"\n", dialect: .native
      )
      .isEmpty)
  }

  @Test("a file that works gets no advice")
  func none() throws {
    #expect(ConfigAdvisor.advise(try corpus("iredmail-dovecot-sql.conf"), dialect: .native).isEmpty)
    #expect(ConfigAdvisor.advise(try corpus("cyrus-mail-pam-mysql.conf"), dialect: .pamMySQL).isEmpty)
    #expect(ConfigAdvisor.advise(try corpus("pam_pgsql-readme-connect.conf"), dialect: .pamPgsql).isEmpty)
  }
}

@Suite("Dovecot 2.4 files read as doveconf 2.4 reads them")
struct DoveconfAgreementTests {
  /// Tests/Corpus/dovecot24-queries.tsv: each Dovecot 2.4 file of the
  /// corpus and its SQL passdb query as `doveconf -P` of Dovecot 2.4.1
  /// prints it (`make doveconf24-check` checks the same lines against the
  /// real doveconf in a Debian 13 root).
  @Test("the passdb query pam_swiftsql reads is the one doveconf prints")
  func sameQuery() throws {
    let table = try corpus("dovecot24-queries.tsv")
    let rows = table.split(separator: "\n").map { $0.split(separator: "\t", maxSplits: 1).map(String.init) }
    #expect(rows.count == 5)
    for row in rows {
      try #require(row.count == 2, "\(row)")
      let dovecot = try DovecotConfig.read(try corpus(row[0]), path: row[0])
      let query = dovecot.settings.first { $0.key == "password_query" }?.value
      #expect(query == row[1], "\(row[0])")
    }
  }
}
