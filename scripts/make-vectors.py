#!/usr/bin/python3
"""Regenerates Tests/SchemeVectors/vectors.tsv: known-answer
vectors for every password scheme, each made by the real tool that writes it
in the field, never by the code under test.

Tools (Debian 12 packages): doveadm pw (dovecot-core), mkpasswd (whois),
htpasswd (apache2-utils), openssl, PostgreSQL's pgcrypto (postgresql,
postgresql-contrib; a private cluster is started in a temporary folder, as
root through `runuser -u postgres`), PHP's password_hash (php-cli) and passlib
(python3-passlib) for the web-application formats, MySQL's PASSWORD() and
PostgreSQL's md5 role passwords. `make vectors` installs them and runs this.

Each line: generator, default_pass_scheme to read it with, login, the
password in hex, the stored value. The tests check that every value verifies
with its password and is refused with one character changed, removed or
appended (within what the scheme reads of a password).
"""

import os
import subprocess
import sys
import tempfile
import time

from passlib import hash as passlib_hash

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "SchemeVectors", "vectors.tsv")

PASSWORDS = [
    "password",
    "correct horse battery staple",
    "pässwörd-ÄÖÜ-日本語-🔑",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore "
    "et dolore magna aliqua 0123456789",
    "it's \"quoted\" \\back\\slash; DROP TABLE users; --",
]

DOVEADM_SCHEMES = [
    "ARGON2ID", "ARGON2I", "BLF-CRYPT", "SHA512-CRYPT", "SHA256-CRYPT", "MD5-CRYPT", "CRYPT", "DES-CRYPT",
    "MD5", "PBKDF2", "SSHA512", "SSHA256", "SSHA", "SMD5", "SHA512", "SHA256", "SHA1", "SHA", "PLAIN-MD5",
    "LDAP-MD5", "PLAIN-MD4", "CRAM-MD5", "HMAC-MD5", "DIGEST-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", "PLAIN",
    "CLEAR", "CLEARTEXT", "OTP", "SHA256.HEX", "SSHA.HEX", "SSHA512.B64", "PLAIN.B64", "PLAIN-MD5.B64",
]

MKPASSWD_METHODS = [
    "yescrypt", "gost-yescrypt", "scrypt", "bcrypt", "bcrypt-a", "sha512crypt", "sha256crypt", "sunmd5",
    "md5crypt", "bsdicrypt", "descrypt", "nt",
]


def run(args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, check=True, text=True).stdout.strip()


rows = []


def add(generator, default_scheme, login, password, stored):
    if "\t" in stored or "\n" in stored:
        sys.exit(f"{generator}: unexpected whitespace in its output")
    rows.append((generator, default_scheme, login, password.encode().hex(), stored))


def login_for(index):
    return f"v{len(rows)}-{index}@vectors.example"


def doveadm():
    for scheme in DOVEADM_SCHEMES:
        for index, password in enumerate(PASSWORDS):
            login = login_for(index)
            args = ["doveadm", "pw", "-s", scheme, "-p", password]
            if scheme == "DIGEST-MD5":
                # Dovecot splits the login at its last @ into user and realm.
                args += ["-u", login]
            add(f"doveadm pw -s {scheme}", "CRYPT", login, password, run(args))


def mkpasswd():
    for method in MKPASSWD_METHODS:
        for index, password in enumerate(PASSWORDS):
            stored = run(["mkpasswd", "-m", method, "-s"], stdin=password + "\n")
            add(f"mkpasswd -m {method}", "CRYPT", login_for(index), password, stored)


def htpasswd():
    for flag, name in [("-m", "apr1"), ("-s", "SHA"), ("-B", "bcrypt"), ("-2", "sha256crypt"),
                       ("-5", "sha512crypt"), ("-d", "crypt")]:
        for index, password in enumerate(PASSWORDS):
            if flag == "-d" and not password.isascii():
                continue  # htpasswd -d refuses non-ASCII on some builds; DES reads 8 bytes anyway
            line = run(["htpasswd", "-nb" + flag[1], "user", password])
            add(f"htpasswd {flag} ({name})", "CRYPT", login_for(index), password, line.split(":", 1)[1])


def openssl():
    for flag in ["-1", "-5", "-6", "-apr1"]:
        for index, password in enumerate(PASSWORDS):
            add(f"openssl passwd {flag}", "CRYPT", login_for(index), password,
                run(["openssl", "passwd", flag, "-stdin"], stdin=password + "\n"))


def php():
    for constant in ["PASSWORD_BCRYPT", "PASSWORD_ARGON2I", "PASSWORD_ARGON2ID"]:
        for index, password in enumerate(PASSWORDS):
            code = f"echo password_hash(stream_get_contents(STDIN), {constant});"
            add(f"php password_hash {constant}", "CRYPT", login_for(index), password,
                run(["php", "-r", code], stdin=password))


def passlib():
    for index, password in enumerate(PASSWORDS):
        login = login_for(index)
        add("passlib django_pbkdf2_sha256", "CRYPT", login, password,
            passlib_hash.django_pbkdf2_sha256.using(rounds=30000).hash(password))
        add("passlib django_pbkdf2_sha1", "CRYPT", login, password,
            passlib_hash.django_pbkdf2_sha1.using(rounds=20000).hash(password))
        add("passlib pbkdf2_sha256", "CRYPT", login, password, passlib_hash.pbkdf2_sha256.hash(password))
        add("passlib pbkdf2_sha512", "CRYPT", login, password, passlib_hash.pbkdf2_sha512.hash(password))
        add("passlib pbkdf2_sha1", "CRYPT", login, password, passlib_hash.pbkdf2_sha1.hash(password))
        add("passlib apr_md5_crypt", "CRYPT", login, password, passlib_hash.apr_md5_crypt.hash(password))
        add("passlib mysql41 (MySQL PASSWORD())", "MYSQL41", login, password, passlib_hash.mysql41.hash(password))
        # PostgreSQL's md5 role password of the whole login, as pam_pgsql's md5_postgres.
        add("passlib postgres_md5", "MD5_POSTGRES", login, password,
            passlib_hash.postgres_md5.hash(password, user=login))
        add("passlib ldap_salted_sha1", "CRYPT", login, password, passlib_hash.ldap_salted_sha1.hash(password))
        # A PLAIN-TRUNC row as a system that truncated to 8 bytes stored it.
        truncated = password.encode()[:8].decode(errors="ignore")
        add("manual PLAIN-TRUNC (8)", "CRYPT", login, password,
            f"{{PLAIN-TRUNC}}{len(truncated.encode())}-{truncated}")


def pgcrypto():
    """crypt()/gen_salt() and digest() of pgcrypto, in a private cluster."""
    binaries = "/usr/lib/postgresql/15/bin"
    folder = tempfile.mkdtemp(prefix="swiftsql-vectors-")
    os.chmod(folder, 0o755)
    subprocess.run(["chown", "postgres:postgres", folder], check=True)
    data = os.path.join(folder, "data")
    port = "55431"
    as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run(as_postgres + [f"{binaries}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"],
                   check=True, capture_output=True)
    options = f"-c listen_addresses='' -c unix_socket_directories='{folder}' -p {port}"
    subprocess.run(as_postgres + [f"{binaries}/pg_ctl", "-D", data, "-o", options, "-l", f"{folder}/log", "-w",
                                  "start"], check=True, capture_output=True)
    try:
        def sql(statement, *parameters):
            args = ["psql", "-X", "-q", "-A", "-t", "-h", folder, "-p", port, "-U", "postgres", "-d", "postgres",
                    "-v", "ON_ERROR_STOP=1"]
            for i, value in enumerate(parameters):
                args += ["-v", f"p{i}={value}"]
            return run(args, stdin=statement)
        sql("CREATE EXTENSION pgcrypto;")
        for index, password in enumerate(PASSWORDS):
            login = login_for(index)
            for salt in ["bf", "md5", "des", "xdes"]:
                stored = sql(f"SELECT crypt(:'p0', gen_salt('{salt}'));", password)
                add(f"pgcrypto crypt gen_salt('{salt}')", "CRYPT", login, password, stored)
            add("pgcrypto encode(digest(sha1), 'hex')", "SHA1-HEX", login, password,
                sql("SELECT encode(digest(:'p0', 'sha1'), 'hex');", password))
            add("pgcrypto encode(digest(sha256), 'hex')", "SHA256-HEX", login, password,
                sql("SELECT encode(digest(:'p0', 'sha256'), 'hex');", password))
            add("pgcrypto encode(digest(sha512), 'hex')", "SHA512-HEX", login, password,
                sql("SELECT encode(digest(:'p0', 'sha512'), 'hex');", password))
            add("PostgreSQL md5()", "MD5-HEX", login, password, sql("SELECT md5(:'p0');", password))
    finally:
        subprocess.run(as_postgres + [f"{binaries}/pg_ctl", "-D", data, "-m", "immediate", "stop"],
                       capture_output=True)
        subprocess.run(["rm", "-rf", folder])


def main():
    for generate in [doveadm, mkpasswd, htpasswd, openssl, php, passlib, pgcrypto]:
        generate()
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as out:
        out.write(f"# Made by scripts/make-vectors.py on {time.strftime('%Y-%m-%d')}; regenerate with `make vectors`.\n")
        out.write("# generator\tdefault_pass_scheme\tlogin\tpassword (hex)\tstored value\n")
        for row in rows:
            out.write("\t".join(row) + "\n")
    print(f"{len(rows)} vectors written to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
