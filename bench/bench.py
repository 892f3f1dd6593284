#!/usr/bin/python3
"""make bench: pam_swiftsql side by side with the floors it stands on and
with the modules and daemons it replaces, in one run (bench/README.md).

    bench/run MODULE LOADGEN_DIR OUT_DIR [--results DIR] [--quick] [--rounds N] [--duration S]
                                         [--no-profile]

It is started by bench/run inside a private mount namespace whose /dev has
no /dev/log (syslog messages of the daemons and modules go nowhere, and a
test that holds the real /dev/log sees none of them) and whose /etc/pam.d
is a private copy with the benchmark's services added. It sets up, on unix
sockets only: a PostgreSQL cluster (initdb in a temporary folder), a
MariaDB server (for pam_mysql), saslauthd -a pam -r with -n 2 and -n 5,
and Dovecot's auth with dovecot-pgsql; fills a table of 10,000 users per
password scheme with hashes made by passlib and doveadm; runs the load
generators of bench/loadgen; tears everything down (also on an error or a
signal); prints the table and writes bench.json, bench.csv, targets.csv,
bench.md and bench.png into OUT_DIR.
"""

import argparse
import csv
import datetime
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

PASSWORD = "Bench-Secret-42"
USERS = 10000
PG_BIN = "/usr/lib/postgresql/15/bin"
PAM_MYSQL = "/lib/x86_64-linux-gnu/security/pam_mysql.so"


class Scheme:
    def __init__(self, name, slug, distinct, crypt, pam_mysql):
        self.name = name  # Dovecot's scheme name
        self.slug = slug  # in domains and service names
        self.distinct = distinct  # distinct stored values among the 10,000 rows
        self.crypt = crypt  # a crypt(3) string pam_mysql's crypt=1 can check
        self.pam_mysql = pam_mysql

    @property
    def domain(self):
        return f"{self.slug}.example"


SCHEMES = [
    Scheme("SSHA256", "ssha256", USERS, crypt=False, pam_mysql=False),
    Scheme("MD5-CRYPT", "md5-crypt", USERS, crypt=True, pam_mysql=True),
    Scheme("SHA512-CRYPT", "sha512-crypt", 1000, crypt=True, pam_mysql=True),
    Scheme("ARGON2ID", "argon2id", 24, crypt=False, pam_mysql=False),
]


class TimingTable:
    """A small table for the unknown-vs-wrong study: one scheme at the cost
    its tool writes by default (or two schemes mixed), read by two
    services, one with default_pass_scheme set to it and one without."""

    def __init__(self, name, slug, makers, default_scheme):
        self.name = name
        self.slug = slug
        self.makers = makers  # [(share of the rows, command making one value)]
        self.default_scheme = default_scheme

    @property
    def domain(self):
        return f"timing-{self.slug}.example"


TIMING_USERS = 50
TIMING_TABLES = [
    TimingTable("MD5-CRYPT", "md5", [(1.0, ["mkpasswd", "-m", "md5crypt", "-s"])], "MD5-CRYPT"),
    TimingTable("SHA512-CRYPT", "sha512", [(1.0, ["mkpasswd", "-m", "sha512crypt", "-R", "5000", "-s"])],
                "SHA512-CRYPT"),
    TimingTable("BLF-CRYPT", "bcrypt", [(1.0, ["mkpasswd", "-m", "bcrypt", "-R", "10", "-s"])], "BLF-CRYPT"),
    TimingTable("yescrypt", "yescrypt", [(1.0, ["mkpasswd", "-m", "yescrypt", "-s"])], "CRYPT"),
    TimingTable("ARGON2ID", "argon2id", [(1.0, ["doveadm", "pw", "-s", "ARGON2ID", "-p", PASSWORD])], "ARGON2ID"),
    TimingTable("SHA512-CRYPT 72% + BLF-CRYPT 28%", "mixed",
                [(0.72, ["mkpasswd", "-m", "sha512crypt", "-R", "5000", "-s"]),
                 (0.28, ["mkpasswd", "-m", "bcrypt", "-R", "5", "-s"])], "SHA512-CRYPT"),
]


def make_timing_values(table):
    """TIMING_USERS stored values for `table`, made by mkpasswd or doveadm
    (8 distinct ones per scheme, repeated)."""
    values = []
    for share, command in table.makers:
        distinct = []
        for _ in range(8):
            made = run(command, input=PASSWORD + "\n").stdout.strip()
            distinct.append(made.split("}", 1)[1] if made.startswith("{") else made)
        count = round(share * TIMING_USERS)
        values += [distinct[index % len(distinct)] for index in range(count)]
    return values[:TIMING_USERS]


class BenchError(Exception):
    pass


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def run(command, check=True, input=None, timeout=600, **kwargs):
    try:
        result = subprocess.run(
            command, input=input, capture_output=True, text=True, timeout=timeout, **kwargs
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"{' '.join(command[:6])}… did not finish within {timeout} s")
    if check and result.returncode != 0:
        raise BenchError(
            f"{' '.join(command[:6])}… exited {result.returncode}: {result.stderr.strip()[-800:]}"
        )
    return result


def start_daemon(command, log_path):
    """Runs a command that detaches itself (saslauthd, dovecot), with its
    output in a file: its daemon child keeps the descriptors it inherited,
    so a pipe would never close."""
    with open(log_path, "ab") as output:
        result = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=output, stderr=output, timeout=60,
                                start_new_session=True)
    if result.returncode != 0:
        with open(log_path, errors="replace") as f:
            raise BenchError(f"{command[0]} exited {result.returncode}: {f.read()[-500:]}")


def cpu_seconds(pids):
    """User + system CPU time of these processes so far."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_until(what, predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise BenchError(f"timed out waiting for {what}")


def processes():
    """(pid, parent pid, command line) of every process."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read().split(b"\0")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        found.append((int(entry), int(fields[1]), [c.decode(errors="replace") for c in command if c]))
    return found


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        return stat[stat.rindex(")") + 2] != "Z"
    except OSError:
        return False


def stop_processes(what, members, asked=None):
    """SIGTERM to `asked` (by default every member), then SIGKILL to the
    members still alive after 10 s."""
    def send(pids, number):
        for pid in pids:
            try:
                os.kill(pid, number)
            except ProcessLookupError:
                pass

    send(members if asked is None else asked, signal.SIGTERM)
    try:
        wait_until(f"{what} to exit", lambda: not any(alive(p) for p in members), 10)
    except BenchError:
        send(members, signal.SIGKILL)


# ---------------------------------------------------------------------------
# The private namespace: /dev without log, a private /etc/pam.d.


def private_mounts(work):
    """Called inside `unshare --mount --propagation private`."""
    original = os.path.join(work, "dev-original")
    os.mkdir(original)
    run(["mount", "--rbind", "/dev", original])
    run(["mount", "-t", "tmpfs", "-o", "mode=0755,size=1m", "bench-dev", "/dev"])
    for name in ["null", "zero", "full", "random", "urandom", "tty", "ptmx"]:
        source = os.path.join(original, name)
        if os.path.exists(source):
            open(f"/dev/{name}", "w").close()
            run(["mount", "--bind", source, f"/dev/{name}"])
    # glibc's syslog writes to the console when it cannot reach /dev/log
    # (pam_syslog opens the log with LOG_CONS): that goes nowhere too.
    open("/dev/console", "w").close()
    run(["mount", "--bind", os.path.join(original, "null"), "/dev/console"])
    for name in ["shm", "pts", "mqueue", "hugepages"]:
        source = os.path.join(original, name)
        if os.path.isdir(source):
            os.mkdir(f"/dev/{name}")
            run(["mount", "--rbind", source, f"/dev/{name}"])
    for name, target in [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")]:
        os.symlink(target, f"/dev/{name}")
    run(["umount", "-l", original])
    if os.path.exists("/dev/log"):
        raise BenchError("/dev/log exists in the private /dev")
    # /etc/pam.d: a copy of the real one (so libpam reads what it always
    # reads, /etc/pam.d/other included) plus our services.
    pamd = os.path.join(work, "pam.d")
    shutil.copytree("/etc/pam.d", pamd, symlinks=True)
    run(["mount", "--bind", pamd, "/etc/pam.d"])
    return pamd


# ---------------------------------------------------------------------------
# Stored values, made by real tools: passlib and doveadm.


def make_hashes(scheme):
    """`scheme.distinct` stored values of PASSWORD, in Dovecot's {SCHEME} form."""
    if scheme.name == "ARGON2ID":
        # doveadm pw at Dovecot's defaults (m=65536, t=3, p=1), two at a time.
        values = []
        while len(values) < scheme.distinct:
            batch = [
                subprocess.Popen(["doveadm", "pw", "-s", "ARGON2ID", "-p", PASSWORD], stdout=subprocess.PIPE, text=True)
                for _ in range(min(2, scheme.distinct - len(values)))
            ]
            for child in batch:
                out, _ = child.communicate()
                if child.returncode != 0:
                    raise BenchError("doveadm pw -s ARGON2ID failed")
                values.append(out.strip())
        return values
    script = {
        "SSHA256": "h.ldap_salted_sha256",
        "MD5-CRYPT": "h.md5_crypt",
        "SHA512-CRYPT": "h.sha512_crypt.using(rounds=5000)",
    }[scheme.name]
    prefix = "" if scheme.name == "SSHA256" else "{%s}" % scheme.name
    code = (
        "import sys, passlib.hash as h\n"
        f"scheme = {script}\n"
        f"for _ in range({scheme.distinct}): print({prefix!r} + scheme.hash(sys.argv[1]))\n"
    )
    out = run(["/usr/bin/python3", "-c", code, PASSWORD]).stdout.split()
    if len(out) != scheme.distinct:
        raise BenchError(f"passlib made {len(out)} {scheme.name} values")
    return out


def check_with_doveadm(value):
    run(["doveadm", "pw", "-t", value, "-p", PASSWORD])


# ---------------------------------------------------------------------------
# The servers.


class Bench:
    def __init__(self, args):
        self.args = args
        self.module = os.path.abspath(args.module)
        self.loadgen = os.path.abspath(args.loadgen)
        self.out = os.path.abspath(args.out)
        self.cleanups = []
        self.work = tempfile.mkdtemp(prefix="swiftsql-bench.")
        os.chmod(self.work, 0o755)
        self.results = {}  # (row, variant, scheme, clients) -> figures
        self.duration = args.duration
        self.configs = {}  # scheme slug -> pam_swiftsql configuration file
        self.daemon = os.path.abspath(args.daemon) if args.daemon else None
        self.serve = None

    def cleanup(self):
        while self.cleanups:
            what, action = self.cleanups.pop()
            try:
                action()
            except Exception as error:  # keep tearing down
                log(f"teardown of {what}: {error}")
        shutil.rmtree(self.work, ignore_errors=True)

    # -- PostgreSQL --------------------------------------------------------
    def start_postgres(self):
        self.pg_dir = os.path.join(self.work, "pg")
        os.mkdir(self.pg_dir)
        shutil.chown(self.pg_dir, "postgres", "postgres")
        os.chmod(self.pg_dir, 0o755)
        self.pg_port = 5432 + (os.getpid() % 20000) + 20000
        data = os.path.join(self.pg_dir, "data")
        run(["runuser", "-u", "postgres", "--", f"{PG_BIN}/initdb", "-D", data, "-A", "trust", "-U", "postgres",
             "-E", "UTF8", "--no-sync", "--locale=C.UTF-8"])
        options = (f"-c listen_addresses='' -c unix_socket_directories='{self.pg_dir}' -p {self.pg_port} "
                   "-c fsync=off -c synchronous_commit=off -c max_connections=200")
        self.cleanups.append(("PostgreSQL", lambda: run(
            ["runuser", "-u", "postgres", "--", f"{PG_BIN}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"],
            check=False)))
        run(["runuser", "-u", "postgres", "--", f"{PG_BIN}/pg_ctl", "-D", data, "-l",
             os.path.join(self.pg_dir, "server.log"), "-o", options, "-w", "-t", "60", "start"])
        self.psql("CREATE DATABASE bench", database="postgres")
        self.psql(
            "CREATE ROLE mailauth LOGIN;"
            "CREATE TABLE users (username text NOT NULL, domain text NOT NULL, password text,"
            " active boolean NOT NULL DEFAULT true, PRIMARY KEY (username, domain));"
            "GRANT SELECT ON users TO mailauth;")
        self.pg_conninfo = f"host={self.pg_dir} port={self.pg_port} dbname=bench user=mailauth"

    def psql(self, sql, database="bench", input=None):
        command = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.pg_dir, "-p",
                   str(self.pg_port), "-U", "postgres", "-d", database, "-c", sql]
        return run(command, input=input).stdout.strip()

    # -- MariaDB -----------------------------------------------------------
    def start_mariadb(self):
        self.maria_dir = os.path.join(self.work, "maria")
        os.mkdir(self.maria_dir)
        self.maria_socket = os.path.join(self.maria_dir, "mysqld.sock")
        self.maria_password = "bench-" + os.urandom(6).hex()
        data = os.path.join(self.maria_dir, "data")
        run(["mariadb-install-db", "--no-defaults", "--user=root", f"--datadir={data}",
             "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve",
             "--innodb-log-file-size=4M", f"--tmpdir={self.maria_dir}"], timeout=300)
        log_file = open(os.path.join(self.maria_dir, "error.log"), "w")
        server = subprocess.Popen(
            ["mariadbd", "--no-defaults", "--user=root", f"--datadir={data}", f"--socket={self.maria_socket}",
             f"--pid-file={self.maria_dir}/mysqld.pid", "--skip-networking", "--skip-name-resolve",
             f"--tmpdir={self.maria_dir}", "--innodb-log-file-size=4M", "--innodb-buffer-pool-size=64M",
             "--skip-log-bin", "--innodb-flush-log-at-trx-commit=0", "--max-connections=300"],
            stdout=log_file, stderr=log_file, start_new_session=True)

        def stop():
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

        self.cleanups.append(("MariaDB", stop))
        wait_until("mariadbd", lambda: server.poll() is not None or run(
            ["mariadb-admin", "--no-defaults", "-S", self.maria_socket, "-u", "root", "ping"],
            check=False).returncode == 0, 60)
        if server.poll() is not None:
            raise BenchError("mariadbd exited while starting: see its error log")
        self.mysql(
            f"CREATE USER 'mailauth'@'localhost' IDENTIFIED BY '{self.maria_password}';"
            "CREATE DATABASE bench CHARACTER SET utf8mb4;"
            "CREATE TABLE bench.users (email VARCHAR(255) NOT NULL PRIMARY KEY, password VARCHAR(255))"
            " CHARACTER SET utf8mb4;"
            "GRANT SELECT ON bench.users TO 'mailauth'@'localhost';", database="mysql")

    def mysql(self, statements, database="bench"):
        return run(["mariadb", "--no-defaults", "-S", self.maria_socket, "-u", "root", "-N", "-B", database],
                   input=statements).stdout.strip()

    # -- the table ---------------------------------------------------------
    def fill_tables(self):
        pg_rows, maria_rows = [], []
        self.hash_tools = {}
        for scheme in SCHEMES:
            started = time.monotonic()
            values = make_hashes(scheme)
            check_with_doveadm(values[0])
            self.hash_tools[scheme.name] = "doveadm pw" if scheme.name == "ARGON2ID" else "passlib"
            log(f"{scheme.distinct} {scheme.name} values made in {time.monotonic() - started:.1f} s")
            for index in range(USERS):
                value = values[index % len(values)]
                pg_rows.append(f"u{index:05d}\t{scheme.domain}\t{value}\n")
                if scheme.pam_mysql:
                    # pam_mysql (crypt=1) hands the value to crypt(3): no {SCHEME}.
                    raw = value.split("}", 1)[1]
                    maria_rows.append(f"('u{index:05d}@{scheme.domain}','{raw}')")
        self.psql("COPY users (username, domain, password) FROM STDIN", input="".join(pg_rows))
        self.psql("ANALYZE users")
        for start in range(0, len(maria_rows), 2000):
            self.mysql("INSERT INTO users (email, password) VALUES " + ",".join(maria_rows[start:start + 2000]) + ";")
        self.mysql("ANALYZE TABLE users;")
        timing_rows = []
        for table in TIMING_TABLES:
            started = time.monotonic()
            values = make_timing_values(table)
            log(f"{len(values)} values for the timing table {table.name} in {time.monotonic() - started:.1f} s")
            # Shuffled, so that pam_loop's random draws meet the schemes of a mixed table in proportion.
            random.Random(table.slug).shuffle(values)
            timing_rows += [f"u{index:05d}\t{table.domain}\t{value}\n" for index, value in enumerate(values)]
        self.psql("COPY users (username, domain, password) FROM STDIN", input="".join(timing_rows))
        counts = self.psql("SELECT domain || ' ' || count(*) FROM users GROUP BY domain ORDER BY 1")
        log("PostgreSQL users: " + counts.replace("\n", ", "))

    # -- PAM services ------------------------------------------------------
    def write_services(self, pamd):
        def service(name, line):
            with open(os.path.join(pamd, name), "w") as f:
                f.write(f"auth required {line}\naccount required {line}\n")

        service("bench-permit", "pam_permit.so")
        for scheme in SCHEMES:
            config = os.path.join(self.work, f"swiftsql-{scheme.slug}.conf")
            with open(config, "w") as f:
                f.write(
                    "driver = pgsql\n"
                    f"connect = {self.pg_conninfo}\n"
                    "password_query = SELECT password FROM users WHERE username = '%n' AND domain = '%d'\n"
                    "account_query = SELECT active FROM users WHERE username = '%n' AND domain = '%d'\n"
                    f"default_pass_scheme = {scheme.name}\n")
            # 0644, root's: swiftsql-authd reads it as nobody (it holds no
            # password: the role logs in over the socket with trust).
            os.chmod(config, 0o644)
            self.configs[scheme.slug] = config
            service(f"bench-swiftsql-{scheme.slug}", f"{self.module} config={config}")
            # Row j: swiftsql-authd doing what row g's Dovecot does, one
            # query a login (no account_query).
            single = os.path.join(self.work, f"swiftsql-{scheme.slug}-1q.conf")
            with open(single, "w") as f:
                f.write(
                    "driver = pgsql\n"
                    f"connect = {self.pg_conninfo}\n"
                    "password_query = SELECT password FROM users WHERE username = '%n' AND domain = '%d'\n"
                    f"default_pass_scheme = {scheme.name}\n")
            os.chmod(single, 0o644)
            self.configs[scheme.slug + "-1q"] = single
            if scheme.pam_mysql:
                service(f"bench-mysql-{scheme.slug}",
                        f"pam_mysql.so user=mailauth passwd={self.maria_password} host={self.maria_socket} "
                        "db=bench table=users usercolumn=email passwdcolumn=password crypt=1")
        for table in TIMING_TABLES:
            for variant in ("set", "unset"):
                config = os.path.join(self.work, f"timing-{table.slug}-{variant}.conf")
                with open(config, "w") as f:
                    f.write(
                        "driver = pgsql\n"
                        f"connect = {self.pg_conninfo}\n"
                        "password_query = SELECT password FROM users WHERE username = '%n' AND domain = '%d'\n"
                        + (f"default_pass_scheme = {table.default_scheme}\n" if variant == "set" else ""))
                os.chmod(config, 0o640)
                service(f"bench-timing-{table.slug}-{variant}", f"{self.module} config={config}")

    # -- saslauthd ---------------------------------------------------------
    def start_saslauthd(self, workers, name):
        directory = os.path.join(self.work, f"saslauthd-{name}")
        os.mkdir(directory)
        pid_file = os.path.join(directory, "saslauthd.pid")

        def stop():
            stop_processes("saslauthd", [p for p, _, command in processes() if directory in command])

        self.cleanups.append((f"saslauthd {name}", stop))
        # It detaches itself, in a session of its own (start_daemon), because
        # on exit it signals its whole process group.
        start_daemon(["saslauthd", "-a", "pam", "-r", "-m", directory, "-n", str(workers)],
                     os.path.join(self.work, f"saslauthd-{name}.log"))
        socket = os.path.join(directory, "mux")
        wait_until("saslauthd's socket", lambda: os.path.exists(socket) and os.path.exists(pid_file))

        def members():
            return [p for p, _, command in processes() if directory in command and alive(p)]

        wait_until(f"{workers} saslauthd processes", lambda: len(members()) >= workers)
        return {"socket": socket, "workers": workers, "members": members}

    # -- Dovecot -----------------------------------------------------------
    def start_dovecot(self):
        directory = os.path.join(self.work, "dovecot")
        base = os.path.join(directory, "run")
        os.makedirs(os.path.join(directory, "state"))
        sql_conf = os.path.join(directory, "dovecot-sql.conf.ext")
        with open(sql_conf, "w") as f:
            f.write(
                "driver = pgsql\n"
                f"connect = {self.pg_conninfo}\n"
                "default_pass_scheme = SHA512-CRYPT\n"
                "password_query = SELECT username || '@' || domain AS user, password FROM users "
                "WHERE username = '%n' AND domain = '%d'\n")
        conf = os.path.join(directory, "dovecot.conf")
        with open(conf, "w") as f:
            f.write(
                "# make bench: a private Dovecot that serves no protocol, only auth\n"
                "protocols = none\n"
                f"base_dir = {base}\n"
                f"state_dir = {directory}/state\n"
                f"log_path = {directory}/dovecot.log\n"
                "ssl = no\n"
                "disable_plaintext_auth = no\n"
                "auth_mechanisms = plain\n"
                "passdb {\n  driver = sql\n"
                f"  args = {sql_conf}\n}}\n"
                "userdb {\n  driver = static\n  args = uid=65534 gid=65534 home=/nonexistent\n}\n")
        master_pid_file = os.path.join(base, "master.pid")

        def stop():
            try:
                pid = int(open(master_pid_file).read().split()[0])
            except (OSError, ValueError, IndexError):
                return
            members = [p for p, parent, _ in processes() if p == pid or parent == pid]
            stop_processes("Dovecot", members, asked=[pid])

        self.cleanups.append(("Dovecot", stop))
        start_daemon(["dovecot", "-c", conf], os.path.join(directory, "start.log"))
        wait_until("Dovecot's pid file", lambda: os.path.exists(master_pid_file))
        master = int(open(master_pid_file).read().split()[0])
        self.dovecot_members = lambda: [p for p, parent, _ in processes() if p == master or parent == master]
        self.dovecot_socket = os.path.join(base, "auth-client")
        wait_until("Dovecot's auth-client socket", lambda: os.path.exists(self.dovecot_socket))

    # -- swiftsql-authd ----------------------------------------------------
    def start_serve(self, name="serve"):
        """swiftsql-authd as the package runs it (started as root, serving as
        nobody), one --service per scheme with the same configuration file as
        the module's rows, both sockets; refused logins answered at once."""
        directory = os.path.join(self.work, name)
        os.mkdir(directory)
        os.chmod(directory, 0o755)
        arguments = [self.daemon, "--config", self.configs[SCHEMES[0].slug]]
        for scheme in SCHEMES:
            arguments += ["--service", f"bench-swiftsql-{scheme.slug}={self.configs[scheme.slug]}",
                          "--service", f"bench-serve-1q-{scheme.slug}={self.configs[scheme.slug + '-1q']}"]
        arguments += ["--socket", os.path.join(directory, "mux"), "--dovecot-socket",
                      os.path.join(directory, "auth-client"), "--status-socket", os.path.join(directory, "status"),
                      "--user", "nobody", "--socket-group", "nogroup", "--foreground", "--failure-delay", "0",
                      "--log-stderr"]
        log_file = open(os.path.join(self.work, f"{name}.log"), "w")
        process = subprocess.Popen(arguments, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)

        def stop():
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=40)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

        self.cleanups.append((f"swiftsql-authd {name}", stop))
        mux = os.path.join(directory, "mux")
        wait_until("swiftsql-authd's sockets", lambda: os.path.exists(os.path.join(directory, "status")))
        return {"socket": mux, "dovecot": os.path.join(directory, "auth-client"),
                "status": os.path.join(directory, "status"), "process": process,
                "members": lambda: [process.pid] if process.poll() is None else []}

    def serve_rss_kb(self, daemon):
        with open(f"/proc/{daemon['process'].pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    # -- measuring ---------------------------------------------------------
    def tool(self, name):
        return os.path.join(self.loadgen, name)

    def generate(self, program, arguments, domain, clients, duration=None, min_count=20, warmup_count=1,
                 user_format="u%05d", server=None):
        """Runs a load generator and returns its figures; with `server` (a
        function that lists the daemon's processes), also the CPU time those
        processes spent per login, which waiting for a busy machine does not
        inflate the way it inflates wall-clock times."""
        duration = duration or self.duration
        before = cpu_seconds(server()) if server else None
        command = [self.tool(program)] + arguments + [
            "-D", domain, "-U", user_format, "-N", str(USERS), "-c", str(clients), "-d", str(duration),
            "-w", str(min(0.5, duration / 2)), "-W", str(warmup_count), "-m", str(min_count),
            "-M", str(max(4 * duration, 30))]
        result = run(command, check=False, timeout=600)
        if result.returncode != 0 or not result.stdout.strip():
            raise BenchError(f"{program} {' '.join(arguments[:2])} ({domain}, {clients} clients): "
                             f"{result.stderr.strip()[-500:]}")
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        if server:
            # The warm-up is counted too: a few logins among hundreds.
            figures["server_cpu_ms"] = (cpu_seconds(server()) - before) * 1e3 / max(figures["count"], 1)
        return figures

    def record(self, row, variant, scheme, clients, figures):
        key = (row, variant, scheme.name, clients)
        previous = self.results.get(key)
        # Over rounds, keep the best (fastest) run: interference from other
        # work on the machine only ever slows a run down.
        if previous is None or figures["rate"] > previous["rate"]:
            figures["rounds"] = (previous or {}).get("rounds", 0) + 1
            self.results[key] = figures
        else:
            previous["rounds"] += 1
        log(f"  {row} {variant:<18} {scheme.name:<12} {clients} client(s): {figures['rate']:9.1f}/s "
            f"p50 {figures['p50_ms']:.3f} ms p99 {figures['p99_ms']:.3f} ms")

    def measure_scheme(self, scheme, sasl):
        login_password = ["-p", PASSWORD]
        slow = scheme.name == "ARGON2ID"
        min_count = 10 if slow else 50
        for clients in (1, 2):
            m = lambda program, arguments, **kw: self.generate(program, arguments, scheme.domain, clients,
                                                              min_count=min_count, **kw)
            self.record("a", "raw libpq", scheme, clients,
                        m("raw_libpq", ["-C", self.pg_conninfo] + login_password))
            self.record("b", "in-process", scheme, clients,
                        m("pam_loop", ["-s", "bench-permit"] + login_password))
            self.record("c", "in-process", scheme, clients,
                        m("pam_loop", ["-s", f"bench-swiftsql-{scheme.slug}"] + login_password))
            if scheme.pam_mysql:
                self.record("d", "in-process", scheme, clients,
                            m("pam_loop", ["-s", f"bench-mysql-{scheme.slug}"] + login_password))
            for daemon in sasl:
                variant = f"saslauthd -n {daemon['workers']}"
                # Every worker's first login opens its connection (and, once
                # per configuration, makes the decoy hash): keep it out.
                warm = daemon["workers"] + 1 if slow else 3 * daemon["workers"]
                sock = ["-f", daemon["socket"]]
                members = daemon["members"]
                self.record("b", variant, scheme, clients,
                            m("sasl_client", sock + ["-s", "bench-permit"] + login_password, warmup_count=warm,
                              server=members))
                self.record("e", variant, scheme, clients,
                            m("sasl_client", sock + ["-s", f"bench-swiftsql-{scheme.slug}"] + login_password,
                              warmup_count=warm, server=members))
                if scheme.pam_mysql:
                    self.record("f", variant, scheme, clients,
                                m("sasl_client", sock + ["-s", f"bench-mysql-{scheme.slug}"] + login_password,
                                  warmup_count=warm, server=members))
            self.record("g", "Dovecot auth", scheme, clients,
                        m("dovecot_auth", ["-f", self.dovecot_socket] + login_password, warmup_count=4,
                          server=self.dovecot_members))
            if self.serve:
                service = ["-s", f"bench-swiftsql-{scheme.slug}"]
                self.record("h", "swiftsql-authd", scheme, clients,
                            m("sasl_client", ["-f", self.serve["socket"]] + service + login_password,
                              warmup_count=4, server=self.serve["members"]))
                self.record("i", "swiftsql-authd", scheme, clients,
                            m("dovecot_auth", ["-f", self.serve["dovecot"]] + service + login_password,
                              warmup_count=4, server=self.serve["members"]))
                self.record("j", "swiftsql-authd", scheme, clients,
                            m("dovecot_auth", ["-f", self.serve["dovecot"], "-s", f"bench-serve-1q-{scheme.slug}"]
                              + login_password, warmup_count=4, server=self.serve["members"]))

    # -- swiftsql-authd: memory over many logins, unknown-login timing -------
    def measure_serve_memory(self, logins):
        """A fresh daemon; its resident set after every tenth of `logins`
        (SSHA256, two clients, the two protocols in turn)."""
        daemon = self.start_serve("serve-memory")
        scheme = SCHEMES[0]
        chunk = max(logins // 10, 2)
        samples = [(0, self.serve_rss_kb(daemon))]
        done = 0
        for index in range(10):
            program, socket = (("sasl_client", daemon["socket"]) if index % 2 == 0
                               else ("dovecot_auth", daemon["dovecot"]))
            figures = self.generate(program, ["-f", socket, "-s", f"bench-swiftsql-{scheme.slug}", "-p", PASSWORD],
                                    scheme.domain, 2, duration=0.01, min_count=chunk // 2 + chunk // 50,
                                    warmup_count=1)
            done += figures["count"]
            samples.append((done, self.serve_rss_kb(daemon)))
            log(f"  swiftsql-authd after {done:,} logins: RSS {samples[-1][1] / 1024:.2f} MB")
        daemon["process"].terminate()
        daemon["process"].wait(timeout=40)
        return {"logins": done, "samples": samples}

    def measure_serve_timing(self):
        """Through swiftsql-authd's saslauthd socket, alternating: a wrong
        password for a login that exists, and a login that does not exist;
        the medians, per scheme (as pam_loop -T does in-process)."""
        timing = {}
        for scheme in SCHEMES:
            pairs = {"ARGON2ID": 12, "SHA512-CRYPT": 150}.get(scheme.name, 400)
            if self.args.quick:
                pairs = max(pairs // 10, 3)
            wrong, unknown = [], []
            service = f"bench-swiftsql-{scheme.slug}"
            for index in range(pairs):
                user = "u%05d" % (index % USERS)
                for login, results in ((user, wrong), ("nosuch%05d" % index, unknown)):
                    started = time.monotonic()
                    answer = mux_ask(self.serve["socket"], login, WRONG_PASSWORD, service, scheme.domain)
                    results.append((time.monotonic() - started) * 1e3)
                    if answer != "NO authentication failed":
                        raise BenchError(f"swiftsql-authd timing: {login}@{scheme.domain} answered {answer!r}")
            figures = {"wrong_p50_ms": statistics.median(wrong), "unknown_p50_ms": statistics.median(unknown),
                       "pairs": pairs}
            figures["unknown_over_wrong"] = figures["unknown_p50_ms"] / figures["wrong_p50_ms"]
            timing[scheme.name] = figures
            log(f"  serve timing {scheme.name:<12} wrong password {figures['wrong_p50_ms']:.3f} ms, unknown login "
                f"{figures['unknown_p50_ms']:.3f} ms ({figures['unknown_over_wrong']:.3f}; {pairs} pairs)")
        return timing

    # -- unknown login vs wrong password -----------------------------------
    def measure_timing(self):
        """pam_loop -T: a wrong password for a login that exists and a login
        that does not exist, alternating in one fresh process, so that both
        meet the same machine; the medians, per timing table, with
        default_pass_scheme set to its scheme and without it."""
        timing = {}
        for table in TIMING_TABLES:
            pairs = 30 if self.args.quick else 300
            for variant in ("set", "unset"):
                result = run([self.tool("pam_loop"), "-s", f"bench-timing-{table.slug}-{variant}", "-p", PASSWORD,
                              "-D", table.domain, "-N", str(TIMING_USERS), "-T", str(pairs)], check=False,
                             timeout=1800)
                if result.returncode != 0:
                    raise BenchError(f"pam_loop -T ({table.name}, {variant}): {result.stderr.strip()[-500:]}")
                figures = json.loads(result.stdout)
                figures["unknown_over_wrong"] = figures["unknown_p50_ms"] / figures["wrong_p50_ms"]
                key = f"{table.name}, default_pass_scheme {variant}"
                timing[key] = figures
                log(f"  timing {key:<52} wrong {figures['wrong_p50_ms']:8.3f} ms, unknown "
                    f"{figures['unknown_p50_ms']:8.3f} ms ({figures['unknown_over_wrong']:.3f}; {pairs} pairs)")
        return timing

    # -- first login in a fresh process -------------------------------------
    def measure_first_login(self):
        repeats = 5 if self.args.quick else 15
        user = "u00042"
        probes = {"permit": ["pam", "bench-permit", f"{user}@{SCHEMES[0].domain}", PASSWORD],
                  "dlopen module": ["dlopen", self.module],
                  "dlopen libpq, then module": ["dlopen", "libpq.so.5", self.module]}
        for scheme in SCHEMES:
            login = f"{user}@{scheme.domain}"
            probes[f"swiftsql {scheme.name}"] = ["pam", f"bench-swiftsql-{scheme.slug}", login, PASSWORD]
            probes[f"libpq {scheme.name}"] = ["libpq", self.pg_conninfo, user, scheme.domain, PASSWORD]
            if scheme.pam_mysql and "pam_mysql" not in " ".join(probes):
                probes[f"pam_mysql {scheme.name}"] = ["pam", f"bench-mysql-{scheme.slug}", login, PASSWORD]
        samples = {name: [] for name in probes}
        for _ in range(repeats):
            for name, arguments in probes.items():
                result = run([self.tool("first_login")] + arguments, check=False, timeout=120)
                if result.returncode != 0:
                    raise BenchError(f"first_login {name}: {result.stderr.strip()}")
                samples[name].append(json.loads(result.stdout))
        medians = {}
        for name, values in samples.items():
            medians[name] = {key: statistics.median(v[key] for v in values) for key in values[0]}
        for name, figures in medians.items():
            log(f"  first login {name:<22} " + ", ".join(f"{k} {v:.2f}" for k, v in figures.items()))
        return {"repeats": repeats, "medians": medians}

    # -- memory of a saslauthd worker --------------------------------------
    def measure_memory(self):
        def snapshot(daemon):
            figures = {}
            for pid in daemon["members"]():
                values = {}
                try:
                    with open(f"/proc/{pid}/smaps_rollup") as f:
                        for line in f:
                            parts = line.split()
                            if len(parts) >= 3 and parts[2] == "kB":
                                values[parts[0].rstrip(":")] = int(parts[1])
                    with open(f"/proc/{pid}/maps") as f:
                        maps = f.read()
                except OSError:
                    continue
                values["private"] = values.get("Private_Clean", 0) + values.get("Private_Dirty", 0)
                values["module"] = self.module in maps
                values["libraries"] = sorted({line.split()[-1] for line in maps.splitlines() if ".so" in line})
                figures[pid] = values
            return figures

        def drive(daemon, service, scheme, count):
            self.generate("sasl_client", ["-f", daemon["socket"], "-s", service, "-p", PASSWORD], scheme.domain,
                          daemon["workers"], duration=0.01, min_count=count, warmup_count=1)

        def deltas(before, after, flag):
            rows = []
            for pid, values in after.items():
                # pam_mysql is not linked -z nodelete: libpam unloads it at
                # pam_end, so what it adds is what stays behind (flag None).
                if pid in before and (flag is None or values[flag]):
                    rows.append({key: values[key] - before[pid][key] for key in ("Rss", "Pss", "private")})
            if not rows:
                raise BenchError(f"no saslauthd worker loaded the module: {[v['libraries'] for v in after.values()]}")
            return {key: statistics.mean(r[key] for r in rows) for key in ("Rss", "Pss", "private")} | {
                "workers": len(rows)}

        report = {}
        cheap = SCHEMES[0]
        daemon = self.start_saslauthd(5, "memory")
        drive(daemon, "bench-permit", cheap, 40)
        base = snapshot(daemon)
        drive(daemon, f"bench-swiftsql-{cheap.slug}", cheap, 200)
        report["pam_swiftsql (SSHA256)"] = deltas(base, snapshot(daemon), "module")
        for scheme in SCHEMES[1:]:
            drive(daemon, f"bench-swiftsql-{scheme.slug}", scheme, 10 if scheme.name == "ARGON2ID" else 50)
        drive(daemon, f"bench-swiftsql-{cheap.slug}", cheap, 50)
        report["pam_swiftsql (after every scheme)"] = deltas(base, snapshot(daemon), "module")
        daemon_mysql = self.start_saslauthd(5, "memory-mysql")
        drive(daemon_mysql, "bench-permit", cheap, 40)
        base = snapshot(daemon_mysql)
        md5 = SCHEMES[1]
        drive(daemon_mysql, f"bench-mysql-{md5.slug}", md5, 200)
        report["pam_mysql (MD5-CRYPT)"] = deltas(base, snapshot(daemon_mysql), None)
        for name, figures in report.items():
            log(f"  memory {name:<34} per worker: RSS {figures['Rss']:+.0f} kB, PSS {figures['Pss']:+.0f} kB, "
                f"private {figures['private']:+.0f} kB ({figures['workers']} workers)")
        # Stop both now, so that their workers' mappings do not share the
        # module's pages with the daemons measured next.
        for _ in range(2):
            what, action = self.cleanups.pop()
            action()
        return report

    # -- instructions per login (callgrind) ---------------------------------
    def measure_profile(self):
        """Instructions per login, counted by valgrind's callgrind (the same
        on a busy machine as on an idle one), for a, b and c with the cheap
        scheme: each run twice with different login counts, and the
        difference divided by the difference in logins, so that start-up
        and the first login drop out. For c, which functions of the module
        and which shared objects the extra instructions are spent in."""
        if not shutil.which("valgrind"):
            log("  no valgrind: instruction counts left out")
            return None
        scheme = SCHEMES[0]
        few, many = (5, 25) if self.args.quick else (20, 120)
        runs = {
            "a": ("raw_libpq", ["-C", self.pg_conninfo, "-p", PASSWORD]),
            "b": ("pam_loop", ["-s", "bench-permit", "-p", PASSWORD]),
            "c": ("pam_loop", ["-s", f"bench-swiftsql-{scheme.slug}", "-p", PASSWORD]),
        }
        directory = os.path.join(self.work, "callgrind")
        os.makedirs(directory, exist_ok=True)
        files = {}

        def count_run(key, program, arguments, domain, count):
            prefix = os.path.join(directory, f"{key}.{count}")
            run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={prefix}.%p", self.tool(program)]
                + arguments + ["-D", domain, "-d", "0", "-w", "0", "-W", "1", "-m", str(count), "-M", "3600"],
                timeout=1800)
            # The harness's client process (the larger file) ran the logins.
            candidates = [os.path.join(directory, f) for f in os.listdir(directory) if f.startswith(f"{key}.{count}.")]
            files[key, count] = max(candidates, key=os.path.getsize)

        for key, (program, arguments) in runs.items():
            for count in (few, many):
                count_run(key, program, arguments, scheme.domain, count)
        # The real scheme too: does the module run the C library's hash, and
        # only once per login? (a and c; b does not depend on the scheme.)
        real = SCHEMES[2]
        real_few, real_many = (2, 6) if self.args.quick else (5, 25)
        real_runs = {
            "a-real": ("raw_libpq", ["-C", self.pg_conninfo, "-p", PASSWORD]),
            "c-real": ("pam_loop", ["-s", f"bench-swiftsql-{real.slug}", "-p", PASSWORD]),
        }
        for key, (program, arguments) in real_runs.items():
            for count in (real_few, real_many):
                count_run(key, program, arguments, real.domain, count)
        # The first login in a fresh process, one transaction: where its
        # instructions go, by shared object, against libpq alone.
        first = {
            "first permit": ["pam", "bench-permit", f"u00042@{scheme.domain}", PASSWORD, "once"],
            "first swiftsql": ["pam", f"bench-swiftsql-{scheme.slug}", f"u00042@{scheme.domain}", PASSWORD, "once"],
            "first libpq": ["libpq", self.pg_conninfo, "u00042", scheme.domain, PASSWORD],
        }
        for key, arguments in first.items():
            path = os.path.join(directory, key.replace(" ", "-"))
            run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={path}", self.tool("first_login")]
                + arguments, timeout=600)
            files[key] = path
        # Through saslauthd (rows b and e): one saslauthd -n 1 -d under
        # callgrind per service and count, the same subtraction.
        sasl_few, sasl_many = (5, 25) if self.args.quick else (10, 60)
        for key, service in [("b-sasl", "bench-permit"), ("e-sasl", f"bench-swiftsql-{scheme.slug}")]:
            for count in (sasl_few, sasl_many):
                folder = os.path.join(directory, f"saslauthd-{key}-{count}")
                os.mkdir(folder)
                path = os.path.join(directory, f"{key}.{count}")
                with open(os.path.join(folder, "log"), "wb") as output:
                    # A session of its own: saslauthd signals its process group on exit.
                    daemon = subprocess.Popen(
                        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={path}", "saslauthd", "-a", "pam",
                         "-r", "-n", "1", "-d", "-m", folder], stdout=output, stderr=output, start_new_session=True)
                try:
                    wait_until("saslauthd under callgrind", lambda: os.path.exists(os.path.join(folder, "mux")), 60)
                    run([self.tool("sasl_client"), "-f", os.path.join(folder, "mux"), "-s", service, "-p", PASSWORD,
                         "-D", scheme.domain, "-d", "0", "-w", "0", "-W", "2", "-m", str(count), "-M", "600"],
                        timeout=900)
                finally:
                    daemon.terminate()
                    daemon.wait(60)
                files[key, count] = path

        def annotate(path, inclusive):
            command = ["callgrind_annotate", "--threshold=100", "--auto=no"] + (
                ["--inclusive=yes"] if inclusive else []) + [path]
            costs = {}
            for line in run(command).stdout.splitlines():
                parts = line.strip().split(" ", 1)
                if len(parts) == 2 and parts[0].replace(",", "").isdigit() and "(" in parts[1]:
                    name = parts[1].split(")", 1)[1].strip()
                    costs[name] = costs.get(name, 0) + int(parts[0].replace(",", ""))
            return costs

        def per_login(key, inclusive, counts=(few, many)):
            a, b = annotate(files[key, counts[1]], inclusive), annotate(files[key, counts[0]], inclusive)
            return {name: (a.get(name, 0) - b.get(name, 0)) / (counts[1] - counts[0]) for name in set(a) | set(b)}

        totals = {key: per_login(key, False).get("PROGRAM TOTALS", 0) for key in runs}
        inclusive = per_login("c", True)

        def function(*symbols):
            # A function is listed once per source file it has code from;
            # the largest of those inclusive figures is the function's.
            return sum(max([v for k, v in inclusive.items() if symbol in k] or [0]) for symbol in symbols)

        module = function("pam_sm_authenticate", "pam_sm_acct_mgmt")
        groups = [
            ("configuration look-up (file identity, argument plan; twice)",
             function("13ModuleRuntimeC13configuration")),
            ("the two queries (PostgresDatabase.rows, libpq)", function("16PostgresDatabaseC4rows")),
            ("login parsing (Login.parse; twice)", function("5LoginV5parse_")),
            ("the user as log text (LogText.printable; twice)", function("7LogTextO9printable")),
            ("the hash check (SchemeRegistry.check)", function("14SchemeRegistryV5check_")),
            ("audit preparation (PAMModule.audit)", function("9PAMModuleO5audit")),
        ]
        groups.append(("the rest: Swift strings, ARC, allocation, PAM items", module - sum(v for _, v in groups)))

        def by_object(key):
            objects = {}
            for name, value in per_login(key, False).items():
                if name.endswith("]") and "[" in name:
                    library = os.path.basename(name.rsplit("[", 1)[1][:-1])
                    objects[library] = objects.get(library, 0) + value
            return objects

        # The real scheme: all of a login, and crypt_rn's part (inclusive).
        real_counts = (real_few, real_many)
        real_figures = {}
        for key in real_runs:
            exclusive, inclusive_real = per_login(key, False, real_counts), per_login(key, True, real_counts)
            real_figures[key[0]] = {
                "total": exclusive.get("PROGRAM TOTALS", 0),
                "crypt_rn": max([v for k, v in inclusive_real.items()
                                 if k.split(" ")[0].split(":")[-1] == "crypt_rn"] or [0])}

        def objects_of(path):
            objects = {}
            costs = annotate(path, False)
            for name, value in costs.items():
                if name.endswith("]") and "[" in name:
                    library = os.path.basename(name.rsplit("[", 1)[1][:-1])
                    objects[library] = objects.get(library, 0) + value
            return objects, costs.get("PROGRAM TOTALS", 0)

        first_figures = {}
        for key in first:
            objects, total = objects_of(files[key])
            first_figures[key.split(" ", 1)[1]] = {"total": total, "by_object": dict(
                sorted(((o, v) for o, v in objects.items() if v >= 20000), key=lambda item: -item[1]))}

        sasl_counts = (sasl_few, sasl_many)
        sasl_totals = {key: per_login(key, False, sasl_counts).get("PROGRAM TOTALS", 0) for key in ("b-sasl", "e-sasl")}

        def sasl_objects(key):
            objects = {}
            for name, value in per_login(key, False, sasl_counts).items():
                if name.endswith("]") and "[" in name:
                    library = os.path.basename(name.rsplit("[", 1)[1][:-1])
                    objects[library] = objects.get(library, 0) + value
            return objects

        sasl_b, sasl_e = sasl_objects("b-sasl"), sasl_objects("e-sasl")
        sasl_by_object = {o: sasl_e.get(o, 0) - sasl_b.get(o, 0) for o in set(sasl_b) | set(sasl_e)}

        objects_b, objects_c = by_object("b"), by_object("c")
        objects = sorted(((objects_c.get(o, 0) - objects_b.get(o, 0), o) for o in set(objects_b) | set(objects_c)),
                         reverse=True)
        profile = {"scheme": scheme.name, "logins": [few, many], "instructions_per_login": totals,
                   "module": module, "module_functions": dict(groups),
                   "outside_module": totals["c"] - totals["b"] - module,
                   "by_object_c_minus_b": {o: d for d, o in objects if abs(d) >= 500},
                   "real": {"scheme": real.name, "logins": list(real_counts), "a": real_figures["a"],
                            "c": real_figures["c"], "b": totals["b"]},
                   "first_login": first_figures,
                   "saslauthd": {"logins": list(sasl_counts), "b": sasl_totals["b-sasl"], "e": sasl_totals["e-sasl"],
                                 "by_object_e_minus_b": dict(sorted(((o, v) for o, v in sasl_by_object.items()
                                                                     if abs(v) >= 500), key=lambda item: -item[1]))}}
        log(f"  instructions per login: a {totals['a']:,.0f}, b {totals['b']:,.0f}, c {totals['c']:,.0f}")
        return profile

    # -- the .so -------------------------------------------------------------
    def measure_size(self):
        stripped = os.path.join(self.work, "pam_swiftsql.stripped.so")
        run(["strip", "--strip-all", "-o", stripped, self.module])
        sections = {}
        for line in run(["size", "-A", self.module]).stdout.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0].startswith(".") and parts[1].isdigit():
                sections[parts[0]] = int(parts[1])
        return {"unstripped": os.path.getsize(self.module), "stripped": os.path.getsize(stripped),
                "sections": sections, "pam_mysql": os.path.getsize(PAM_MYSQL)}


# ---------------------------------------------------------------------------
# Targets (issue 7, points 2 and 6), the table, and the files.


# A wrong password as long as the right one (crypt(3)'s cost depends on it).
WRONG_PASSWORD = PASSWORD[:-1] + ("x" if PASSWORD[-1] != "x" else "y")


def mux_ask(path, login, password, service, realm):
    """One login on a saslauthd-protocol socket: the reply text."""
    fields = [login, password, service, realm]
    request = b"".join(len(f.encode()).to_bytes(2, "big") + f.encode() for f in fields)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(60)
        client.connect(path)
        client.sendall(request)
        data = b""
        while len(data) < 2 or len(data) < 2 + int.from_bytes(data[:2], "big"):
            chunk = client.recv(4096)
            if not chunk:
                break
            data += chunk
        return data[2:].decode("utf-8", "replace")


def figures(results, row, variant, scheme, clients):
    return results.get((row, variant, scheme, clients))


def cpu_of(f):
    """CPU ms per login of the process that did the PAM work."""
    if not f:
        return None
    return f.get("server_cpu_ms", f.get("client_cpu_ms"))


def evaluate(bench, results, first_login, memory, size, timing, profile, serve_memory=None, serve_timing=None):
    """Each target of point 2 and 6, measured within this run."""
    targets = []

    def add(name, scheme, measured, limit, met, detail):
        targets.append({"target": name, "scheme": scheme, "measured": measured, "limit": limit, "met": met,
                        "detail": detail})

    for scheme in SCHEMES:
        a = figures(results, "a", "raw libpq", scheme.name, 1)
        b = figures(results, "b", "in-process", scheme.name, 1)
        c = figures(results, "c", "in-process", scheme.name, 1)
        if not (a and b and c):
            continue
        lookup = a["part_p50_ms"]
        hash_time = max(a["p50_ms"] - lookup, 0.0)
        over = c["p50_ms"] - b["p50_ms"]
        allowed = 2 * lookup + hash_time
        detail = (f"c {c['p50_ms']:.3f} - b {b['p50_ms']:.3f}; lookup {lookup:.3f}, hash {hash_time:.3f}; "
                  f"CPU per login c - b {cpu_of(c) - cpu_of(b):+.3f} ms (a: {cpu_of(a):.3f})")
        if profile and scheme.name == profile["scheme"]:
            n = profile["instructions_per_login"]
            detail += (f"; instructions c - b {n['c'] - n['b']:,.0f} vs a (lookup + verify) {n['a']:,.0f}")
        add("c - b <= 2 x lookup + hash (p50, 1 client)", scheme.name, f"{over:.3f} ms", f"{allowed:.3f} ms",
            over <= allowed, detail)
        if scheme.name in ("SHA512-CRYPT", "ARGON2ID"):
            ratio = c["p50_ms"] / (a["p50_ms"] + b["p50_ms"])
            detail = (f"c {c['p50_ms']:.3f} vs a {a['p50_ms']:.3f} + b {b['p50_ms']:.3f}; CPU per login c / (a + b) "
                      f"{cpu_of(c) / max(cpu_of(a) + cpu_of(b), 1e-9):.3f}")
            real = (profile or {}).get("real")
            if real and real["scheme"] == scheme.name:
                detail += (f"; instructions per login c / (a + b) "
                           f"{real['c']['total'] / max(real['a']['total'] + real['b'], 1):.3f}, crypt_rn "
                           f"{real['c']['crypt_rn']:,.0f} in c vs {real['a']['crypt_rn']:,.0f} in a")
            add("c <= 1.02 x (a + b) (p50, 1 client)", scheme.name, f"{ratio:.3f}", "1.020", ratio <= 1.02, detail)
    for scheme in SCHEMES:
        if scheme.name not in ("SSHA256", "MD5-CRYPT"):
            continue
        for variant in ("saslauthd -n 2", "saslauthd -n 5"):
            for clients in (1, 2):
                b = figures(results, "b", variant, scheme.name, clients)
                e = figures(results, "e", variant, scheme.name, clients)
                if not (b and e):
                    continue
                ratio = e["rate"] / b["rate"]
                f = figures(results, "f", variant, scheme.name, clients)
                detail = (f"e {e['rate']:.0f}/s vs floor {b['rate']:.0f}/s; saslauthd CPU per login "
                          f"e {cpu_of(e):.3f} vs b {cpu_of(b):.3f} ms (b/e {cpu_of(b) / max(cpu_of(e), 1e-9):.2f})")
                if f:
                    detail += f"; e/f (pam_mysql) {e['rate'] / f['rate']:.2f}x"
                sasl = (profile or {}).get("saslauthd")
                if sasl and scheme.name == profile["scheme"]:
                    detail += f"; saslauthd instructions per login b / e {sasl['b'] / max(sasl['e'], 1):.3f}"
                add(f"e >= 0.90 x saslauthd floor ({variant}, {clients} client{'s' if clients > 1 else ''})",
                    scheme.name, f"{ratio:.3f}", "0.900", ratio >= 0.90, detail)
    medians = first_login["medians"]
    for scheme in SCHEMES:
        ours = medians.get(f"swiftsql {scheme.name}")
        alone = medians.get(f"libpq {scheme.name}")
        if not (ours and alone):
            continue
        above = ours["first_ms"] - medians["permit"]["first_ms"]
        gap = above - alone["total_ms"]
        add("first login - PAM floor <= libpq alone + 1 ms (fresh process)", scheme.name, f"{gap:+.2f} ms",
            "+1.00 ms", gap <= 1.0,
            f"first login {ours['first_ms']:.2f} - permit {medians['permit']['first_ms']:.2f} = {above:.2f} ms; "
            f"libpq alone: load+connect {alone['connect_ms']:.2f}, +lookup+verify {alone['total_ms']:.2f} ms; "
            f"dlopen of the module alone {medians['dlopen module']['dlopen_ms']:.2f} ms, of libpq alone "
            f"{medians['dlopen libpq, then module']['first_ms']:.2f} ms and then of the module "
            f"{medians['dlopen libpq, then module']['rest_ms']:.2f} ms; shared objects mapped: "
            f"{ours.get('libraries', 0):.0f} vs {alone.get('libraries', 0):.0f} for libpq alone")
    for name, values in memory.items():
        if name.startswith("pam_swiftsql"):
            add(f"PSS added per saslauthd worker <= 2 MB ({name[14:-1]})", "-", f"{values['Pss'] / 1024:.2f} MB",
                "2.00 MB", values["Pss"] <= 2048,
                f"RSS {values['Rss'] / 1024:+.2f} MB, private {values['private'] / 1024:+.2f} MB, "
                f"{values['workers']} workers of saslauthd -n 5")
    add(".so < 1 MB stripped", "-", f"{size['stripped'] / 1e6:.2f} MB", "1.00 MB", size["stripped"] < 1e6,
        f"unstripped {size['unstripped'] / 1e6:.2f} MB (pam_mysql.so: {size['pam_mysql'] / 1e3:.0f} kB)")
    for table, values in timing.items():
        ratio = values["unknown_over_wrong"]
        add("unknown login / wrong password, medians 0.80-1.25", table, f"{ratio:.3f}", "0.80-1.25",
            0.8 <= ratio <= 1.25,
            f"unknown {values['unknown_p50_ms']:.3f} ms, wrong {values['wrong_p50_ms']:.3f} ms, "
            f"{values['pairs']} pairs")
    serve_targets(add, results, serve_memory, serve_timing)
    return targets


def serve_targets(add, results, serve_memory, serve_timing):
    """Issue 15's targets for swiftsql-authd (rows h and i), as ratios
    within this run."""
    protocols = (("h", "saslauthd protocol"), ("i", "Dovecot protocol"), ("j", "Dovecot protocol, 1 query as g"))
    for scheme in SCHEMES:
        g2 = figures(results, "g", "Dovecot auth", scheme.name, 2)
        for row, protocol in protocols:
            one = figures(results, row, "swiftsql-authd", scheme.name, 1)
            two = figures(results, row, "swiftsql-authd", scheme.name, 2)
            if not (one and two):
                continue
            cpu = f"; CPU per login {cpu_of(two):.3f} ms (g: {cpu_of(g2):.3f})" if g2 else ""
            if scheme.name == "SSHA256" and row != "j":
                # "With a cheap scheme": the cheapest, where the daemon's own
                # cost shows (MD5-CRYPT's hash is most of a login).
                e5 = figures(results, "e", "saslauthd -n 5", scheme.name, 2)
                if e5:
                    ratio = two["rate"] / e5["rate"]
                    add(f"{row} >= 5 x saslauthd -n 5 + pam_swiftsql (2 clients, {protocol})", scheme.name,
                        f"{ratio:.2f}", "5.00", ratio >= 5.0, f"{row} {two['rate']:.0f}/s vs e {e5['rate']:.0f}/s")
                ratio = two["p99_ms"] / two["p50_ms"]
                add(f"{row} p99 <= 2 x p50 (2 clients, {protocol})", scheme.name, f"{ratio:.2f}", "2.00", ratio <= 2.0,
                    f"p50 {two['p50_ms']:.3f} ms, p99 {two['p99_ms']:.3f} ms")
            elif scheme.name in ("SHA512-CRYPT", "ARGON2ID") and row != "j":
                ratio = two["rate"] / one["rate"]
                add(f"{row} 2 clients >= 1.8 x 1 client (both cores, {protocol})", scheme.name, f"{ratio:.2f}",
                    "1.80", ratio >= 1.8, f"{two['rate']:.1f}/s vs {one['rate']:.1f}/s")
            if g2:
                ratio = two["rate"] / g2["rate"]
                add(f"{row} >= Dovecot's auth, row g (2 clients, {protocol})", scheme.name, f"{ratio:.2f}", "1.00",
                    ratio >= 1.0, f"{row} {two['rate']:.0f}/s vs g {g2['rate']:.0f}/s{cpu}")
    if serve_memory:
        samples = serve_memory["samples"]
        final = samples[-1][1]
        tenth = samples[1][1] if len(samples) > 1 else final
        add("swiftsql-authd RSS <= 16 MB after all logins", "SSHA256", f"{final / 1024:.2f} MB", "16.00 MB",
            final <= 16 * 1024, f"{serve_memory['logins']:,} logins; RSS by logins: " + ", ".join(
                f"{count // 1000:,}k {rss / 1024:.1f}" for count, rss in samples))
        growth = final - tenth
        add("swiftsql-authd RSS flat after the first tenth of the logins (within 1 MB)", "SSHA256",
            f"{growth / 1024:+.2f} MB", "1.00 MB", growth <= 1024,
            f"{samples[1][0]:,} logins: {tenth / 1024:.2f} MB; {samples[-1][0]:,}: {final / 1024:.2f} MB")
    for scheme, values in (serve_timing or {}).items():
        ratio = values["unknown_over_wrong"]
        add("swiftsql-authd: unknown login vs wrong password, medians within 10%", scheme, f"{ratio:.3f}",
            "0.90-1.10", 0.9 <= ratio <= 1.1,
            f"unknown {values['unknown_p50_ms']:.3f} ms, wrong {values['wrong_p50_ms']:.3f} ms ({values['pairs']} pairs)")


ROWS = [
    ("a", "raw libpq", "raw libpq lookup + C verify"),
    ("b", "in-process", "PAM floor (pam_permit), in-process"),
    ("c", "in-process", "pam_swiftsql, in-process"),
    ("d", "in-process", "pam_mysql, in-process"),
    ("b", "saslauthd -n 2", "PAM floor, saslauthd -n 2"),
    ("e", "saslauthd -n 2", "pam_swiftsql, saslauthd -n 2"),
    ("f", "saslauthd -n 2", "pam_mysql, saslauthd -n 2"),
    ("b", "saslauthd -n 5", "PAM floor, saslauthd -n 5"),
    ("e", "saslauthd -n 5", "pam_swiftsql, saslauthd -n 5"),
    ("f", "saslauthd -n 5", "pam_mysql, saslauthd -n 5"),
    ("g", "Dovecot auth", "Dovecot auth + dovecot-pgsql"),
    ("h", "swiftsql-authd", "swiftsql-authd, saslauthd protocol"),
    ("i", "swiftsql-authd", "swiftsql-authd, Dovecot protocol"),
    ("j", "swiftsql-authd", "swiftsql-authd, Dovecot protocol, 1 query as g"),
]


def compared(results, row, variant, scheme):
    """The side-by-side figure for one line of the table."""
    one = lambda r, v: figures(results, r, v, scheme, 1)
    two = lambda r, v: figures(results, r, v, scheme, 2)
    if row == "a" and one("a", variant):
        a = one("a", variant)
        return f"lookup {a['part_p50_ms']:.3f} + hash {max(a['p50_ms'] - a['part_p50_ms'], 0):.3f} ms"
    if row == "c" and one("c", variant) and one("b", variant) and one("a", "raw libpq"):
        a, b, c = one("a", "raw libpq"), one("b", variant), one("c", variant)
        return f"c-b {c['p50_ms'] - b['p50_ms']:.3f} ms; c/(a+b) {c['p50_ms'] / (a['p50_ms'] + b['p50_ms']):.2f}"
    if row == "d" and one("d", variant) and one("c", variant):
        return f"c/d {one('c', variant)['rate'] / one('d', variant)['rate']:.2f}x (1 client)"
    if row in ("e", "f") and one(row, variant) and one("b", variant):
        text = f"/floor {one(row, variant)['rate'] / one('b', variant)['rate']:.2f}"
        if two(row, variant) and two("b", variant):
            text += f", {two(row, variant)['rate'] / two('b', variant)['rate']:.2f}"
        if row == "e" and one("f", variant):
            text += f"; e/f {one('e', variant)['rate'] / one('f', variant)['rate']:.2f}x"
            if two("e", variant) and two("f", variant):
                text += f", {two('e', variant)['rate'] / two('f', variant)['rate']:.2f}x"
        return text
    if row == "g" and one("g", variant) and one("e", "saslauthd -n 2"):
        return f"e(-n 2)/g {one('e', 'saslauthd -n 2')['rate'] / one('g', variant)['rate']:.2f}x (1 client)"
    if row in ("h", "i", "j") and two(row, variant) and two("e", "saslauthd -n 5") and two("g", "Dovecot auth"):
        return (f"/e(-n 5) {two(row, variant)['rate'] / two('e', 'saslauthd -n 5')['rate']:.2f}x, "
                f"/g {two(row, variant)['rate'] / two('g', 'Dovecot auth')['rate']:.2f}x (2 clients)")
    return ""


def table_lines(results):
    header = (f"{'':2}{'':36}{'scheme':13}|{'1 client':>8}{'p50':>9}{'p99':>9}{'CPU':>9} |{'2 clients':>9}"
              f"{'p50':>9}{'p99':>9} | side by side (1 client, 2 clients)")
    lines = [header, f"{'':2}{'':36}{'':13}|{'logins/s':>8}{'ms':>9}{'ms':>9}{'ms':>9} |{'logins/s':>9}{'ms':>9}"
                     f"{'ms':>9} |", "-" * 156]

    def cells(f, width):
        if not f:
            return f"{'-':>{width}}{'-':>9}{'-':>9}"
        rate = f"{f['rate']:>{width}.0f}" if f["rate"] >= 10 else f"{f['rate']:>{width}.1f}"
        return f"{rate}{f['p50_ms']:>9.2f}{f['p99_ms']:>9.2f}"

    for scheme_rows in table_rows(results):
        for row, label, scheme, one, two, side_by_side in scheme_rows:
            cpu = f"{cpu_of(one):>9.3f}" if one else f"{'-':>9}"
            lines.append(f"{row:2}{label:36}{scheme:13}|{cells(one, 8)}{cpu} |{cells(two, 9)} | {side_by_side}")
        lines.append("")
    return lines


def table_rows(results):
    """The rows both tables show, a list per scheme: (row, label, scheme, the
    1-client figures, the 2-client figures, the side-by-side comparison),
    leaving out the rows measured with neither."""
    for scheme in SCHEMES:
        rows = []
        for row, variant, label in ROWS:
            one = figures(results, row, variant, scheme.name, 1)
            two = figures(results, row, variant, scheme.name, 2)
            if one or two:
                rows.append((row, label, scheme.name, one, two, compared(results, row, variant, scheme.name)))
        yield rows


def target_lines(targets):
    lines = [f"{'target (issue 7)':64}{'scheme':14}{'measured':>12}{'limit':>12}  met", "-" * 108]
    for t in targets:
        lines.append(f"{t['target'][:63]:64}{t['scheme']:14}{t['measured']:>12}{t['limit']:>12}  "
                     f"{'yes' if t['met'] else 'NO'}")
        lines.append(f"    {t['detail']}")
    return lines


def profile_lines(profile):
    if not profile:
        return []
    n = profile["instructions_per_login"]
    lines = [f"instructions per login (callgrind, {profile['scheme']}, in-process, logins {profile['logins'][0]} "
             f"and {profile['logins'][1]}): a raw libpq lookup + verify {n['a']:,.0f}; b PAM floor {n['b']:,.0f}; "
             f"c pam_swiftsql {n['c']:,.0f} (c - b {n['c'] - n['b']:,.0f})",
             f"  in pam_sm_authenticate + pam_sm_acct_mgmt: {profile['module']:,.0f}"]
    for name, value in profile["module_functions"].items():
        lines.append(f"    {value:>9,.0f}  {name}")
    lines.append(f"  outside them (libpam, dynamic linker, libc): {profile['outside_module']:,.0f}")
    lines.append("  c - b by shared object: " + ", ".join(
        f"{name} {value:+,.0f}" for name, value in profile["by_object_c_minus_b"].items()))
    real = profile.get("real")
    if real:
        a, c = real["a"], real["c"]
        lines.append(f"{real['scheme']} (logins {real['logins'][0]} and {real['logins'][1]}): a {a['total']:,.0f} "
                     f"(crypt_rn {a['crypt_rn']:,.0f}); c {c['total']:,.0f} (crypt_rn {c['crypt_rn']:,.0f}); "
                     f"c / (a + b) {c['total'] / max(a['total'] + real['b'], 1):.3f}")
    sasl = profile.get("saslauthd")
    if sasl:
        lines.append(f"through saslauthd -n 1 ({profile['scheme']}, logins {sasl['logins'][0]} and "
                     f"{sasl['logins'][1]}): b PAM floor {sasl['b']:,.0f}, e pam_swiftsql {sasl['e']:,.0f} "
                     f"(b / e {sasl['b'] / max(sasl['e'], 1):.3f}); e - b by shared object: " + ", ".join(
                         f"{name} {value:+,.0f}" for name, value in sasl["by_object_e_minus_b"].items()))
    first = profile.get("first_login")
    if first:
        lines.append("first login in a fresh process, one transaction: " + "; ".join(
            f"{name} {values['total']:,.0f}" for name, values in first.items()))
        for name, values in first.items():
            lines.append(f"  {name}: " + ", ".join(f"{o} {v:,.0f}" for o, v in list(values["by_object"].items())[:8]))
    return lines


def markdown(results, targets, meta, profile):
    out = [f"Measured {meta['date']} on {meta['machine']} ({meta['cpus']} CPUs, shared; load average "
           f"{meta['load_average_at_end'][0]:.1f} at the end), {USERS:,} users per scheme, best of "
           f"{meta['rounds']} runs of {meta['duration_s']:g} s; logins/s, p50 and p99 in ms; CPU: ms of CPU "
           "per login in the process that ran PAM (1 client).", "",
           "| row | what | scheme | 1 client /s | p50 | p99 | CPU | 2 clients /s | p50 | p99 "
           "| side by side (1 client, 2 clients) |",
           "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    cell = lambda f: (f"{f['rate']:.{0 if f['rate'] >= 10 else 1}f} | {f['p50_ms']:.2f} | {f['p99_ms']:.2f}"
                      if f else "- | - | -")
    for scheme_rows in table_rows(results):
        for row, label, scheme, one, two, side_by_side in scheme_rows:
            cpu = f"{cpu_of(one):.3f}" if one else "-"
            out.append(f"| {row} | {label} | {scheme} | {cell(one)} | {cpu} | {cell(two)} | {side_by_side} |")
    out += ["", "| target | scheme | measured | limit | met | detail |", "|---|---|---:|---:|---|---|"]
    for t in targets:
        out.append(f"| {t['target']} | {t['scheme']} | {t['measured']} | {t['limit']} | "
                   f"{'yes' if t['met'] else '**no**'} | {t['detail']} |")
    if profile:
        out += ["", "```"] + profile_lines(profile) + ["```"]
    return "\n".join(out) + "\n"


def chart(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Every panel has every row (a row a scheme lacks, such as pam_mysql
    # with SSHA256, stays empty), so that the shared labels are right.
    labels = [f"{row}: {label}" for row, _, label in ROWS]
    positions = list(range(len(ROWS)))
    fig, axes = plt.subplots(1, len(SCHEMES), figsize=(18, 6), sharey=True)
    for axis, scheme in zip(axes, SCHEMES):
        ones, twos = [], []
        for row, variant, _ in ROWS:
            one = figures(results, row, variant, scheme.name, 1)
            two = figures(results, row, variant, scheme.name, 2)
            ones.append(one["rate"] if one else float("nan"))
            twos.append(two["rate"] if two else float("nan"))
        axis.barh([p - 0.2 for p in positions], ones, height=0.4, label="1 client")
        axis.barh([p + 0.2 for p in positions], twos, height=0.4, label="2 clients")
        axis.set_xscale("log")
        axis.set_title(scheme.name)
        axis.set_xlabel("logins/s (log scale)")
        axis.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(positions)
    axes[0].set_yticklabels(labels, fontsize=8)
    axes[0].invert_yaxis()  # once: the panels share the axis
    axes[0].legend(loc="lower right", fontsize=8)
    fig.suptitle("make bench: logins per second, side by side in one run")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("module")
    parser.add_argument("loadgen")
    parser.add_argument("out")
    parser.add_argument("--quick", action="store_true", help="short runs, to try the set-up")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each measurement; the best is kept")
    parser.add_argument("--duration", type=float, default=2.0, help="seconds per measurement")
    parser.add_argument("--no-profile", action="store_true", help="leave out the callgrind instruction counts")
    parser.add_argument("--results", help="also write latest.md, .csv, .json and .png here (not with --quick)")
    parser.add_argument("--shell", metavar="COMMAND",
                        help="set up, run COMMAND with sh in the namespace (the servers up; BENCH_* variables), "
                             "tear down: for profiling by hand; measures nothing")
    parser.add_argument("--timing-only", action="store_true",
                        help="set up, print the unknown-vs-wrong study, nothing else timed")
    parser.add_argument("--profile-only", action="store_true",
                        help="set up, count instructions (callgrind) and print them; no timed measurement")
    parser.add_argument("--daemon", help="swiftsql-authd, for rows h and i and its targets")
    parser.add_argument("--serve-logins", type=int, default=1_000_000,
                        help="logins of swiftsql-authd's memory run (its RSS after each tenth)")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.duration = 1, 0.5
        args.serve_logins = min(args.serve_logins, 20_000)
    if os.geteuid() != 0:
        sys.exit("bench: run as root (it starts PostgreSQL, MariaDB, saslauthd and Dovecot)")
    if not args.inside:
        sys.exit("bench: start it with bench/run, which gives it a private mount namespace")
    started = time.monotonic()
    bench = Bench(args)

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    status = 0
    try:
        log(f"work folder {bench.work}; module {bench.module}")
        pamd = private_mounts(bench.work)
        bench.start_postgres()
        bench.start_mariadb()
        bench.fill_tables()
        bench.write_services(pamd)
        bench.start_dovecot()
        if args.shell:
            sasl = [bench.start_saslauthd(2, "n2")]
            environment = os.environ | {
                "BENCH_CONNINFO": bench.pg_conninfo, "BENCH_LOADGEN": bench.loadgen, "BENCH_MODULE": bench.module,
                "BENCH_PASSWORD": PASSWORD, "BENCH_WORK": bench.work, "BENCH_SASLAUTHD": sasl[0]["socket"],
                "BENCH_DOVECOT": bench.dovecot_socket, "BENCH_MARIADB": bench.maria_socket}
            log(f"running {args.shell!r}; services bench-permit, bench-swiftsql-SCHEME, bench-mysql-SCHEME")
            status = subprocess.run(["/bin/sh", "-c", args.shell], env=environment).returncode
            raise SystemExit(status)
        if args.timing_only:
            for table, values in bench.measure_timing().items():
                print(f"{table:<52} unknown/wrong {values['unknown_over_wrong']:.3f} "
                      f"(unknown {values['unknown_p50_ms']:.3f} ms, wrong {values['wrong_p50_ms']:.3f} ms, "
                      f"{values['pairs']} pairs)")
            raise SystemExit(0)
        if args.profile_only:
            print("\n".join(profile_lines(bench.measure_profile())))
            raise SystemExit(0)
        log("memory of a saslauthd worker")
        memory = bench.measure_memory()
        sasl = [bench.start_saslauthd(2, "n2"), bench.start_saslauthd(5, "n5")]
        serve_memory = serve_timing = None
        if bench.daemon:
            log(f"swiftsql-authd: resident set over {args.serve_logins:,} logins")
            serve_memory = bench.measure_serve_memory(args.serve_logins)
            bench.serve = bench.start_serve()
        log("first login in a fresh process")
        first_login = bench.measure_first_login()
        for round_number in range(args.rounds):
            for scheme in SCHEMES:
                if round_number > 0 and scheme.name == "ARGON2ID":
                    continue  # the hash dominates; one round is enough
                log(f"round {round_number + 1}/{args.rounds}: {scheme.name}")
                bench.measure_scheme(scheme, sasl)
        log("unknown login vs wrong password")
        timing = bench.measure_timing()
        if bench.serve:
            serve_timing = bench.measure_serve_timing()
        profile = None
        if not args.no_profile:
            log("instructions per login (callgrind)")
            try:
                profile = bench.measure_profile()
            except (BenchError, KeyError, ValueError, OSError) as error:
                log(f"  instruction counts left out: {error!r}")
        size = bench.measure_size()
    except KeyboardInterrupt:
        log("interrupted; tearing down")
        status = 130
    except SystemExit as done:  # --shell, --timing-only, --profile-only
        status = done.code or 0
        bench.cleanup()
        return status
    except BenchError as error:
        log(f"failed: {error}")
        status = 1
    except Exception:
        import traceback

        traceback.print_exc()
        status = 1
    finally:
        bench.cleanup()
    if status:
        return status

    results = bench.results
    targets = evaluate(bench, results, first_login, memory, size, timing, profile, serve_memory, serve_timing)
    meta = {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.node()} ({platform.system()} {platform.release()}, "
                   f"{open('/etc/debian_version').read().strip() if os.path.exists('/etc/debian_version') else '?'})",
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "users_per_scheme": USERS,
        "distinct_values": {s.name: s.distinct for s in SCHEMES},
        "hash_tools": bench.hash_tools,
        "rounds": args.rounds,
        "duration_s": args.duration,
        "run_time_s": round(time.monotonic() - started, 1),
    }
    os.makedirs(bench.out, exist_ok=True)
    lines = table_lines(results)
    print()
    print(f"make bench — {meta['date']}, {meta['cpus']} CPUs (load average at the end "
          f"{meta['load_average_at_end'][0]:.2f}), {USERS:,} users per scheme, best of {args.rounds} "
          f"run(s) of {args.duration:g} s")
    print("\n".join(lines))
    medians = first_login["medians"]
    print("first login in a fresh process (median ms): " + "; ".join(
        f"{name} {v.get('total_ms', v.get('dlopen_ms', v.get('first_ms'))):.2f}" for name, v in medians.items()))
    print(f".so: {size['unstripped'] / 1e6:.2f} MB, {size['stripped'] / 1e6:.2f} MB stripped")
    print("\n".join(profile_lines(profile)))
    print()
    print("\n".join(target_lines(targets)))
    print(f"\nrun time {meta['run_time_s']:.0f} s; files in {bench.out}: bench.json bench.csv targets.csv bench.md "
          "bench.png")

    rows = []
    for (row, variant, scheme, clients), f in sorted(results.items()):
        rows.append({"row": row, "variant": variant, "scheme": scheme, "clients": clients} | f)
    with open(os.path.join(bench.out, "bench.json"), "w") as f:
        json.dump({"meta": meta, "rows": rows, "first_login": first_login, "memory_kB": memory, "size": size,
                   "timing": timing, "profile": profile, "serve_memory": serve_memory, "serve_timing": serve_timing,
                   "targets": targets}, f, indent=1)
    with open(os.path.join(bench.out, "bench.csv"), "w", newline="") as f:
        fields = ["row", "variant", "scheme", "clients", "rate", "p50_ms", "p90_ms", "p99_ms", "mean_ms", "max_ms",
                  "client_cpu_ms", "server_cpu_ms", "part_p50_ms", "part_p99_ms", "count", "errors", "rounds"]
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    with open(os.path.join(bench.out, "targets.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["target", "scheme", "measured", "limit", "met", "detail"])
        writer.writeheader()
        writer.writerows(targets)
    with open(os.path.join(bench.out, "bench.md"), "w") as f:
        f.write(markdown(results, targets, meta, profile))
    chart(results, os.path.join(bench.out, "bench.png"))
    if args.results and not args.quick:
        # What the README shows: a full run only, never a --quick one.
        os.makedirs(args.results, exist_ok=True)
        for source, target in [("bench.md", "latest.md"), ("bench.csv", "latest.csv"), ("bench.json", "latest.json"),
                               ("targets.csv", "latest-targets.csv"), ("bench.png", "latest.png")]:
            shutil.copyfile(os.path.join(bench.out, source), os.path.join(args.results, target))
        print(f"and in {args.results}: latest.md latest.csv latest-targets.csv latest.json latest.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
