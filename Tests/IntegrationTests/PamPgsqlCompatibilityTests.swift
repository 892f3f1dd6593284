// A pam_pgsql site switched to pam_swiftsql by changing only the module name:
// a pam_pgsql.conf (named by config_file=, as pam_pgsql's own argument)
// against a real PostgreSQL cluster, a table of bare logins with
// pam_pgsql's 'y'/'n' columns, through real libpam. pam_pgsql itself is not
// in Debian 12, so the expected answers are written from its documented
// semantics (README, and backend_pgsql.c / pam_pgsql.c of 0.7.3): auth_query
// returns the stored value, pw_type says how to compare it, no row is
// PAM_USER_UNKNOWN, a NULL value PAM_AUTH_ERR; acct_query's first column
// true is PAM_ACCT_EXPIRED, its second PAM_NEW_AUTHTOK_REQD; auth_succ_query
// and auth_fail_query run after each attempt with %u %s %h bound. The cases
// where pam_swiftsql answers differently on purpose (a database outage) are
// tested here too, with the answer the README gives.

import Foundation
import Testing

@Suite("pam_pgsql compatibility", .serialized)
struct PamPgsqlCompatibilityTests {
  static let password = Accounts.password

  /// A cluster with pam_pgsql's kind of table, filled.
  static func cluster() throws -> PostgresCluster {
    let cluster = try PostgresCluster()
    do {
      try cluster.sql("CREATE DATABASE mail", database: "postgres")
      let sha512 = try Accounts.mkpasswd("sha512crypt", password)
      let md5crypt = try Accounts.mkpasswd("md5crypt", password)
      try cluster.sql(
        """
        CREATE ROLE mailauth LOGIN;
        CREATE TABLE accounts (
          login text PRIMARY KEY, pw text, acc_expired char(1) NOT NULL DEFAULT 'n',
          acc_new_pwreq char(1) NOT NULL DEFAULT 'n', md5pw text);
        CREATE TABLE authlog (login text, service text, host text, ok boolean, at timestamptz DEFAULT now());
        GRANT SELECT ON accounts TO mailauth;
        GRANT INSERT ON authlog TO mailauth;
        INSERT INTO accounts (login, pw, acc_expired, acc_new_pwreq, md5pw) VALUES
          ('alice', \(Accounts.quoted(sha512)), 'n', 'n', md5('\(password)')),
          ('bob', \(Accounts.quoted(md5crypt)), 'y', 'n', NULL),
          ('carol', \(Accounts.quoted(sha512)), 'n', '1', NULL),
          ('dave', NULL, 'n', 'n', NULL);
        """)
    } catch {
      cluster.destroy()
      throw error
    }
    return cluster
  }

  /// A service whose only configuration is a pam_pgsql.conf, named by
  /// pam_pgsql's own argument config_file=.
  static func service(_ conf: String) throws -> PAMService {
    try PAMService(config: conf) { "config_file=\($0)" }
  }

  /// pam_pgsql's legacy keys: the queries are made from table and columns.
  static func legacyConf(_ cluster: PostgresCluster) -> String {
    """
    database = mail
    host = \(cluster.socketDirectory)
    port = \(cluster.port)
    user = mailauth
    table = accounts
    user_column = login
    pwd_column = pw
    expired_column = acc_expired
    newtok_column = acc_new_pwreq
    pw_type = crypt
    timeout = 2
    """
  }

  @Test("legacy keys: the documented answer for every attempt")
  func legacyKeys() throws {
    let cluster = try Self.cluster()
    defer { cluster.destroy() }
    let service = try Self.service(Self.legacyConf(cluster))
    defer { service.remove() }
    let cases: [(login: String, password: String, expected: String)] = [
      ("alice", Self.password, "auth=PAM_SUCCESS acct=PAM_SUCCESS"),
      ("alice", "wrong", "auth=PAM_AUTH_ERR acct=-"),
      ("alice", Self.password + "x", "auth=PAM_AUTH_ERR acct=-"),
      ("bob", Self.password, "auth=PAM_SUCCESS acct=PAM_ACCT_EXPIRED"),
      ("carol", Self.password, "auth=PAM_SUCCESS acct=PAM_NEW_AUTHTOK_REQD"),
      ("dave", Self.password, "auth=PAM_AUTH_ERR acct=-"),
      ("nobody", Self.password, "auth=PAM_USER_UNKNOWN acct=-"),
      ("x' OR '1'='1", Self.password, "auth=PAM_USER_UNKNOWN acct=-"),
      ("alice@example.org", Self.password, "auth=PAM_USER_UNKNOWN acct=-"),
    ]
    for (login, password, expected) in cases {
      #expect(try service.result(login, password) == expected, "\(login)")
    }
  }

  @Test("auth_query, acct_query, pw_type=md5 and the audit queries, with %u %s %h bound")
  func queriesAndAudit() throws {
    let cluster = try Self.cluster()
    defer { cluster.destroy() }
    let conf = """
      connect = \(cluster.connectionString())
      auth_query = select md5pw from accounts where login = %u
      acct_query = select (acc_expired = 'y'), (acc_new_pwreq = 'y' OR acc_new_pwreq = '1'), false \
      from accounts where login = %u
      pw_type = md5
      auth_succ_query = insert into authlog (login, service, host, ok) values (%u, %s, %h, true)
      auth_fail_query = insert into authlog (login, service, host, ok) values (%u, %s, %h, false)
      """
    // pam_pgsql has no continuation lines: keep each query on one line.
    let service = try Self.service(conf.replacingOccurrences(of: "\\\n", with: ""))
    defer { service.remove() }
    #expect(try service.result("alice", Self.password, remoteHost: "192.0.2.7") == BatteryTests.ok)
    #expect(try service.result("alice", "wrong", remoteHost: "192.0.2.8") == "auth=PAM_AUTH_ERR acct=-")
    #expect(try service.result("nobody", "x", remoteHost: "192.0.2.9") == "auth=PAM_USER_UNKNOWN acct=-")
    let rows = try cluster.sql(
      "SELECT login || ' ' || service || ' ' || host || ' ' || ok FROM authlog ORDER BY at, host")
    #expect(
      rows.split(separator: "\n").map(String.init) == [
        "alice \(service.name) 192.0.2.7 true", "alice \(service.name) 192.0.2.8 false",
        "nobody \(service.name) 192.0.2.9 false",
      ])
  }

  @Test("the database is down: PAM_AUTHINFO_UNAVAIL (pam_pgsql says PAM_AUTH_ERR)")
  func outage() throws {
    let cluster = try Self.cluster()
    defer { cluster.destroy() }
    let service = try Self.service(Self.legacyConf(cluster))
    defer { service.remove() }
    #expect(try service.result("alice", Self.password) == BatteryTests.ok)
    try cluster.stop()
    #expect(try service.result("alice", Self.password) == "auth=PAM_AUTHINFO_UNAVAIL acct=-")
  }
}
