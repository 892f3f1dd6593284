-- A users table for pam_swiftsql in SQLite, with the columns of
-- schema-pgsql.sql, so that the queries of /etc/pam_swiftsql.conf work
-- unchanged. saslauthd and Dovecot's auth workers run as root, so the file
-- may be readable by root alone:
--   install -d -m 0700 /var/lib/pam-swiftsql
--   sqlite3 /var/lib/pam-swiftsql/users.db < schema-sqlite.sql
-- then in /etc/pam_swiftsql.conf: driver = sqlite and
-- connect = /var/lib/pam-swiftsql/users.db. Domains are stored lower-case
-- (%d is). A user, with a hash from "pam-swiftsql hash -s SHA512-CRYPT":
--   INSERT INTO users (username, domain, password)
--     VALUES ('alice', 'example.org', '$6$...');
CREATE TABLE users (
  username TEXT NOT NULL,
  domain TEXT NOT NULL,
  password TEXT,
  active BOOLEAN NOT NULL DEFAULT 1,
  PRIMARY KEY (username, domain)
);
