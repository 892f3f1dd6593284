-- A users table for pam_swiftsql in PostgreSQL, and a role that may only
-- read it. Run as the database owner, e.g.
--   runuser -u postgres -- createdb mail
--   runuser -u postgres -- psql -d mail -f schema-pgsql.sql
-- then give mailauth a password (ALTER ROLE mailauth PASSWORD '...'), put
-- it in connect= of /etc/pam_swiftsql.conf, and let mailauth in by password:
-- Debian's pg_hba.conf has "local all all peer", which admits only the
-- system user of the same name, and saslauthd and Dovecot's auth workers
-- run as root. Above that line of /etc/postgresql/<version>/main/pg_hba.conf:
--   local   mail   mailauth   scram-sha-256
-- then: systemctl reload postgresql. Hashes may carry a {SCHEME} prefix:
-- pam-swiftsql hash -s SHA512-CRYPT (or doveadm pw -s SHA512-CRYPT).
CREATE TABLE users (
  username text NOT NULL,
  domain text NOT NULL,
  password text,
  active boolean NOT NULL DEFAULT true,
  PRIMARY KEY (username, domain)
);
CREATE ROLE mailauth LOGIN;
GRANT SELECT ON users TO mailauth;
