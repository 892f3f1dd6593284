#!/usr/bin/env python3
"""Writes the hand-made seed inputs of the fuzz targets into
fuzz/corpus/<target>/seed-*, in each target's input format (see the comment
at the top of fuzz/Targets/<target>.swift): real logins, the README's and the
tests' queries, the example configuration files and pam_mysql/pam_pgsql
lines, connection strings, one stored value per generator of
Tests/SchemeVectors/vectors.tsv (with its password and login), low-cost
crypt(3) and Argon2 values, and saslauthd replies and requests.

Run it once when the formats change (`python3 fuzz/make-seeds.py`), then
`make fuzz` and `make fuzz-merge` to fold the seeds and what the fuzzer found
into a minimal corpus. Needs mkpasswd (whois) for the crypt(3) values; the
Argon2 values come from libargon2 (libargon2-1), through ctypes.
"""

import ctypes
import ctypes.util
import hashlib
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    digest = hashlib.sha1(data).hexdigest()[:12]
    with open(os.path.join(folder, f"seed-{name}-{digest}"), "wb") as handle:
        handle.write(data)


def login_seeds():
    cases = [
        (0, b"", b"alice@example.org"),
        (0, b"", b"Alice.Smith+tag@Example.ORG"),
        (1, b"example.org", b"alice"),
        (1, b"Example.ORG", b"bob"),
        (2, b"", b"alice"),
        (3, b"example.org", b"carol@other.example"),
        (0, b"", b"a@b@c.example"),
        (0, b"", "jörg@bücher.example".encode()),
        (0, b"", "user@\u0130STANBUL.example".encode()),
        (0, b"", "user@\u0301example.org".encode()),
        (0, b"", b"alice@"),
        (0, b"", b"@example.org"),
        (0, b"", b"x" * 64 + b"@" + b"d" * 63 + b"." + b"e" * 63 + b"." + b"f" * 60),
        (0, b"", b"x" * 65 + b"@example.org"),
        (0, b"", b"al\x01ice@example.org"),
        (0, b"", b"alice\xc2\x85@example.org"),
        (0, b"", b"\xff\xfe@example.org"),
    ]
    for index, (flags, domain, raw) in enumerate(cases):
        prefix = bytes([flags]) + (domain + b"\0" if flags & 1 else b"")
        write("login", f"{index:02d}", prefix + raw)


QUERIES = [
    "SELECT password FROM users WHERE username = '%n' AND domain = '%d'",
    "SELECT password FROM users WHERE email = '%u'",
    "SELECT password FROM users WHERE email = %u AND active",
    "SELECT password FROM users WHERE username = %{username} AND domain = %{domain}",
    "SELECT password FROM users WHERE email = %Lu OR email = '%L{user}'",
    "SELECT NOT enabled AS active, expires < now() AS expired FROM users WHERE email = '%u' -- it's %d\n",
    "SELECT password FROM users /* '%u' */ WHERE email = %u",
    "SELECT password FROM \"user table\" WHERE \"e%%mail\" = %u AND note LIKE '100%%'",
    "SELECT password FROM users WHERE email = E'%u' AND x <> E'it\\'s'",
    "SELECT password FROM users WHERE email = %u AND note <> 'it''s'",
    "UPDATE users SET password = '%w' WHERE username = '%n' AND domain = '%d'",
    "INSERT INTO log (what, login, host, pid, why) VALUES ('fail', %u, %{hostname}, %{pid}, %{reason})",
    "SELECT password FROM users WHERE email = %u AND service = %s AND rip = %r",
    "SELECT password FROM users WHERE email = %u AND x = $1",
    "SELECT password FROM users WHERE email = ? OR %u",
    "SELECT password FROM users WHERE email = '%u",
    "SELECT password FROM users WHERE email = %{user",
    "SELECT password FROM users WHERE email = %x",
]


def query_seeds():
    for index, query in enumerate(QUERIES):
        for flags in (0x0C, 0x0D, 0x0E):  # positional, numbered, backslash escapes; %w and %{reason} allowed
            write("query-template", f"{index:02d}-{flags:02x}", bytes([flags]) + query.encode() + b"\0alice@example.org")
    write("query-template", "mariadb", b"\x02SELECT password FROM users WHERE email = '%u' AND n <> 'a\\'b'\0Bob@Example.ORG")
    dovecot_query_seeds()


# Dovecot 2.3 modifiers and variables, literals with variables (prefetch),
# the service choosing a column (iRedMail, ISPConfig), Dovecot 2.4 (flag 0x10)
# and MariaDB's "…" strings (flag 0x20).
DOVECOT_QUERIES = [
    (0x0C, "SELECT password, '/var/vmail/%d/%n' AS userdb_home, 'maildir:/var/vmail/%d/%n' AS userdb_mail "
           "FROM mailbox WHERE username = '%u' AND active = '1'"),
    (0x0D, "SELECT password, CONCAT('/srv/%d/', maildir) AS home FROM users WHERE email = '%n@%d' AND note = 'it''s'"),
    (0x0E, "SELECT '/var/vmail/%Ld/%Ln' AS userdb_home, m.password AS password FROM mailboxes AS m "
           "WHERE m.local_part = '%Ln' AND d.name = '%Ld'"),
    (0x0C, "SELECT password FROM t WHERE a = '%Lu' AND b = '%Ud' AND c = '%Tn' AND d = '%L{user}' AND e = '%Lc'"),
    (0x0D, "SELECT password FROM t WHERE u = %u AND l = %l AND a = %a AND k = %k AND p = %p AND x = %{domain_first}"),
    (0x0C, "SELECT password FROM t WHERE u = %u AND x = %Mu AND y = %1n AND z = %h AND m = %m"),
    (0x0E, "SELECT mailbox.password FROM mailbox,domain WHERE mailbox.username='%u' AND mailbox.enable%Ls%Lc=1"),
    (0x0E, "SELECT email AS user, password FROM mail_user WHERE (login = '%u' OR email = '%u') AND `disable%Ls` = 'n'"),
    (0x0D, "SELECT password FROM t WHERE username = '%u' AND \"enable%Ls\" = 1 AND %s_ok AND x%u = 1"),
    (0x1D, "SELECT password FROM users WHERE userid = '%{user | username}' AND domain = '%{user | domain}'"),
    (0x1C, "SELECT password FROM t WHERE u = '%{user | lower}' AND n = %{user | username | lower} "
           "AND p = %{protocol} AND r = '%{remote_ip | default('none')}' AND l = %{local_ip} AND s LIKE 'a%' "
           "AND q = '%%{user}' AND m = 7 % 2"),
    (0x1C, "SELECT mailbox.password FROM mailbox WHERE mailbox.username='%{user | lower}' "
           "AND mailbox.`enable%{protocol | lower}%{secured | lower}`=1"),
    (0x1D, "SELECT password FROM t WHERE u = %{user | md5} AND v = %{user + 1} AND w = %{passdb:x} "
           "AND y = %{user | default(\"it\\'s\")}"),
    (0x2E, "SELECT password, \"/home/%n\" AS userdb_home FROM users WHERE email = \"%u\" AND n <> \"a\\\"b\""),
    (0x0D, "SELECT password FROM t WHERE h = '/var/%n\\x' AND e = E'%n-%d'"),
]


def dovecot_query_seeds():
    for index, (flags, query) in enumerate(DOVECOT_QUERIES):
        for login in (b"alice@example.org", b"Bob.O'Brien@Example.ORG"):
            write("query-template", f"dovecot-{index:02d}", bytes([flags]) + query.encode() + b"\0" + login)


def config_seeds():
    example = open(os.path.join(ROOT, "examples", "pam_swiftsql.conf"), "rb").read()
    native = (
        "driver = pgsql\n"
        "connect = host=/run/postgresql dbname=mail user=mail\n"
        "password_query = SELECT password FROM users \\\n"
        "                 WHERE username = '%n' AND domain = '%d'\n"
        "account_query = SELECT active, expired FROM users WHERE email = '%u'\n"
        "default_pass_scheme = SHA512-CRYPT\n"
        "default_domain = Example.ORG\n"
        "password_update_query = UPDATE users SET password = '%w' WHERE email = '%u'\n"
        "upgrade_scheme = ARGON2ID\n"
        "auth_failure_query = INSERT INTO log VALUES (%u, %{reason})\n"
        "connect_timeout = 3\n"
        "debug = yes\n"
    )
    mysql_file = (
        "users.host = /run/mysqld/mysqld.sock\nusers.database = mail\nusers.db_user = mail\n"
        "users.db_passwd = s3cret\nusers.table = users\nusers.user_column = email\n"
        "users.password_column = password\nusers.password_crypt = 3\nusers.where_clause = active=1\n"
        "users.status_column = status\nlog.enabled = yes\nlog.table = log\nlog.message_column = msg\n"
        "log.user_column = user\nlog.host_column = host\nlog.time_column = t\n"
    )
    pgsql_file = (
        "connect = dbname=mail user=mail\nauth_query = select password from accounts where login = %u and active\n"
        "acct_query = select expired, newtok from accounts where login = %u\npw_type = crypt_sha512\n"
        "auth_succ_query = insert into log values (%u, %h)\n"
    )
    seeds = [
        ("example", 0x02, example, []),
        ("native", 0x02, native.encode(), []),
        ("native-args", 0x00, b"", ["driver=sqlite", "connect=/var/lib/mail.db",
                                    "password_query=SELECT password FROM users WHERE email = %u", "debug"]),
        ("native-config", 0x06, native.encode(), ["config=/etc/pam_swiftsql.conf", "use_first_pass", "nullok"]),
        ("mysql-args", 0x10, b"", ["user=mail", "passwd=x", "host=db:3306", "db=mail", "table=users",
                                   "usercolumn=email", "passwdcolumn=password", "crypt=1", "statcolumn=status"]),
        ("mysql-file", 0x13, mysql_file.encode(), ["config_file=/etc/pam-mysql.conf", "crypt=4"]),
        ("pgsql-file", 0x1A, pgsql_file.encode(), ["config_file=/etc/pam_pgsql.conf"]),
        ("pgsql-default", 0x18, b"database = mail\ntable = users\nuser_column = email\npwd_column = pw\n"
                                b"expired_column = exp\nnewtok_column = nt\npw_type = md5\n", ["debug"]),
        ("pgsql-args", 0x10, b"", ["database=mail", "table=users", "user_column=email", "pwd_column=pw",
                                   "force", "password=x", "timeout=5", "pw_type=salted_hash"]),
    ]
    for name, flags, text, arguments in seeds:
        for place in (0, 1, 3, 5):
            data = bytes([flags, place]) + text + b"\0" + b"\0".join(a.encode() for a in arguments)
            write("config", f"{name}-{place}", data)
    corpus_config_seeds()


def corpus_config_seeds():
    """The real files of Tests/Corpus, each read as it is meant to be."""
    folder = os.path.join(ROOT, "Tests", "Corpus")
    for name in sorted(os.listdir(folder)):
        if name.endswith(".md") or name.endswith("pam.d") or name.endswith("-imap"):
            continue
        text = open(os.path.join(folder, name), "rb").read()
        if name.startswith("pam_pgsql") or name.startswith("cyrus"):
            flags, arguments = 0x1A, [b"config_file=/etc/" + name.encode()]
        else:
            flags, arguments = 0x02, []
        write("config", f"corpus-{name}", bytes([flags, 0]) + text + b"\0" + b"\0".join(arguments))


def connection_seeds():
    strings = [
        "host=localhost port=3306 user=mail password='p a s s' dbname=mail",
        "socket=/run/mysqld/mysqld.sock user=mail password=s3cret dbname=mail",
        "host = db.example  ssl_ca=/etc/ssl/ca.pem ssl_mode=VERIFY_IDENTITY",
        "password='it\\'s \\\\ here' option_file=/etc/mysql/my.cnf option_group=pam",
        "user=a\\ b dbname='unterminated",
        "=value",
    ]
    for index, text in enumerate(strings):
        write("connection-string", f"{index:02d}", b"\0" + text.encode())
    for index, value in enumerate(["p'a\\ss w", "", "'", "\\", "x'\u0301 host=evil", "\\\u07f2"]):
        write("connection-string", f"value-{index:02d}", b"\1" + value.encode())


def stored_values():
    """(default scheme, login, password, stored) per vectors.tsv generator, and cheap crypt values."""
    seen = set()
    values = []
    with open(os.path.join(ROOT, "Tests", "SchemeVectors", "vectors.tsv"), encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 5 or fields[0] in seen:
                continue
            seen.add(fields[0])
            generator, default, login, password_hex, stored = fields
            values.append((default, login, bytes.fromhex(password_hex), stored))
    cheap = [
        ("yescrypt", "1"), ("gost-yescrypt", "1"), ("bcrypt", "4"), ("bcrypt-a", "4"), ("sha512crypt", "1000"),
        ("sha256crypt", "1000"), ("md5crypt", None), ("bsdicrypt", "7"), ("descrypt", None), ("nt", None),
        ("sunmd5", None),
    ]
    for method, rounds in cheap:
        command = ["mkpasswd", "-m", method] + (["-R", rounds] if rounds else []) + ["password"]
        try:
            made = subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError) as error:
            print(f"mkpasswd -m {method}: {error}", file=sys.stderr)
            continue
        values.append(("CRYPT", "alice@example.org", b"password", made))
    # libargon2 with a small m=, within the fuzz build's limits.
    for function, prefix, memory, passes in (("argon2id_hash_encoded", "", 64, 1),
                                             ("argon2i_hash_encoded", "{ARGON2I}", 256, 2)):
        made = argon2(function, memory, passes)
        if made:
            values.append(("CRYPT", "alice@example.org", b"password", prefix + made))
    values += [
        ("PLAIN-TRUNC", "alice@example.org", b"password", "8-password"),
        ("PLAIN-TRUNC", "alice@example.org", b"passwordlonger", "{PLAIN-TRUNC}8-password"),
    ]
    return values


def argon2(function, memory, passes):
    """An encoded Argon2 value of b"password" made by libargon2, or None."""
    try:
        library = ctypes.CDLL(ctypes.util.find_library("argon2") or "libargon2.so.1")
    except OSError as error:
        print(f"libargon2: {error}", file=sys.stderr)
        return None
    make = getattr(library, function)
    make.argtypes = [ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_char_p, ctypes.c_size_t,
                     ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
    encoded = ctypes.create_string_buffer(256)
    salt = os.urandom(16)
    if make(passes, memory, 1, b"password", 8, salt, len(salt), 32, encoded, len(encoded)) != 0:
        return None
    return encoded.value.decode()


def hash_seeds():
    for index, (default, login, password, stored) in enumerate(stored_values()):
        if not stored.startswith("{") and default != "CRYPT":
            stored = "{" + default + "}" + stored
        login_bytes = login.encode()
        data = bytes([0, 8, len(password)]) + password + bytes([len(login_bytes)]) + login_bytes + stored.encode()
        write("hash-string", f"{index:03d}", data)


def payload_seeds():
    for index, text in enumerate(["SGVsbG8=", "SGVsbG8", "48656c6c6F", "QQ==", "QR==", "a.b/", "====", "abc", ""]):
        write("payload-decoding", f"{index:02d}", text.encode())


def saslauthd_seeds():
    def counted(text):
        return len(text).to_bytes(2, "big") + text

    replies = [b"OK", b"OK \"Success.\"", b"NO \"authentication failed\"", b"NO PAM acct error", b"MAYBE", b""]
    for index, reply in enumerate(replies):
        write("saslauthd", f"reply-{index:02d}", b"\x00\x03" + counted(reply))
    write("saslauthd", "reply-trailing", b"\x00\x10" + counted(b"OK") + b"x")
    write("saslauthd", "reply-short", b"\x00\x01\x00\x09NO")
    write("saslauthd", "request", b"\x01alice\0secret\0smtp\0example.org\0")
    write("saslauthd", "request-address", b"\x03alice@example.org\0s3cret\0imap\0\0192.0.2.1")
    write("saslauthd", "request-long", b"\x05alice\0" + b"p" * 300 + b"\0smtp\0example.org\0")


def serve_seeds():
    def counted(text):
        return len(text).to_bytes(2, "big") + text

    four = counted(b"alice") + counted(b"secret") + counted(b"smtp") + counted(b"example.org")
    write("serve-saslauthd", "four", b"\x00" + four)
    write("serve-saslauthd", "four-pieces", b"\x03" + four)
    write("serve-saslauthd", "five", b"\x00" + four + counted(b"192.0.2.1;587"))
    write("serve-saslauthd", "five-pieces", b"\x05" + four + counted(b"192.0.2.1;587"))
    write("serve-saslauthd", "long", b"\x00" + counted(b"alice") + counted(b"p" * 300) + counted(b"smtp"))
    write("serve-saslauthd", "empty", b"\x00" + counted(b"") * 4)

    def b64(data):
        import base64
        return base64.b64encode(data)

    hello = b"VERSION\t1\t0\nCPID\t4242\n"
    plain = b"AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=127.0.0.1\trip=192.0.2.9\tsecured\tresp=" + \
        b64(b"\0alice@example.org\0pw") + b"\n"
    login = b"AUTH\t2\tLOGIN\tservice=smtp\tnologin\nCONT\t2\t" + b64(b"bob@example.org") + b"\nCONT\t2\t" + \
        b64(b"pw") + b"\n"
    write("serve-dovecot", "postfix-plain", b"\x00" + hello + plain)
    write("serve-dovecot", "postfix-login", b"\x07" + hello + login)
    write("serve-dovecot", "plain-cont", b"\x00" + hello + b"AUTH\t3\tPLAIN\tservice=imap\nCONT\t3\t" +
          b64(b"a@b.c\0a@b.c\0pw") + b"\n")
    write("serve-dovecot", "cancel", b"\x00" + hello + plain + b"CANCEL\t1\nAUTH\t1\tCRAM-MD5\tservice=smtp\n")
    write("serve-dovecot", "escapes", b"\x02" + hello + b"AUTH\t4\tPLAIN\tservice=sm\x01ttp\tresp==\n")
    write("serve-dovecot", "no-version", b"\x00" + plain)


if __name__ == "__main__":
    login_seeds()
    query_seeds()
    config_seeds()
    connection_seeds()
    hash_seeds()
    payload_seeds()
    saslauthd_seeds()
    serve_seeds()
