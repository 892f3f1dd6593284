-- A users table for pam_swiftsql in PostgreSQL, and a role that may only
-- read it. Run as the database owner, e.g.
--   createdb mail && psql -d mail -f schema-pgsql.sql
-- then give mailauth a password (ALTER ROLE mailauth PASSWORD '...') and put
-- it in connect= of /etc/pam_swiftsql.conf, or allow it by peer/trust in
-- pg_hba.conf. Hashes may carry a {SCHEME} prefix: doveadm pw -s SHA512-CRYPT
CREATE TABLE users (
  username text NOT NULL,
  domain text NOT NULL,
  password text,
  active boolean NOT NULL DEFAULT true,
  PRIMARY KEY (username, domain)
);
CREATE ROLE mailauth LOGIN;
GRANT SELECT ON users TO mailauth;
