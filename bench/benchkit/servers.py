"""The servers of make bench, on unix sockets in a temporary folder: a
PostgreSQL cluster and a MariaDB server with the users' table (stored
values made by passlib and doveadm), the PAM services in the private
/etc/pam.d, saslauthd, Dovecot's auth and swiftsql-authd; each stopped
again by `Servers.cleanup`."""

import os
import random
import shutil
import signal
import subprocess
import tempfile
import time

from .common import PASSWORD, SCHEMES, TIMING_TABLES, TIMING_USERS, USERS, BenchError, log, run, wait_until

PG_BIN = "/usr/lib/postgresql/15/bin"


# ---------------------------------------------------------------------------
# Processes: daemons that detach themselves, found again by their command
# line, stopped.


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


# ---------------------------------------------------------------------------
# The servers.


class Servers:
    """The servers of one run and their teardown, in a temporary folder of
    their own; `module` is the pam_swiftsql.so the services name, `daemon`
    swiftsql-authd (or None)."""

    def __init__(self, module, daemon):
        self.module = module
        self.cleanups = []
        self.work = tempfile.mkdtemp(prefix="swiftsql-bench.")
        os.chmod(self.work, 0o755)
        self.configs = {}  # scheme slug -> pam_swiftsql configuration file
        self.daemon = daemon

    def cleanup(self):
        while self.cleanups:
            what, action = self.cleanups.pop()
            try:
                action()
            except Exception as error:  # keep tearing down
                log(f"teardown of {what}: {error}")
        shutil.rmtree(self.work, ignore_errors=True)

    def stop_latest(self, count):
        """Stops the `count` servers started last, now."""
        for _ in range(count):
            what, action = self.cleanups.pop()
            action()

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

        def config(name, mode, more):
            """A pam_swiftsql configuration file in the work folder: the
            password query on the users table, then the lines `more`."""
            path = os.path.join(self.work, name)
            with open(path, "w") as f:
                f.write(
                    "driver = pgsql\n"
                    f"connect = {self.pg_conninfo}\n"
                    "password_query = SELECT password FROM users WHERE username = '%n' AND domain = '%d'\n"
                    + more)
            os.chmod(path, mode)
            return path

        service("bench-permit", "pam_permit.so")
        for scheme in SCHEMES:
            # 0644, root's: swiftsql-authd reads it as nobody (it holds no
            # password: the role logs in over the socket with trust).
            self.configs[scheme.slug] = config(
                f"swiftsql-{scheme.slug}.conf", 0o644,
                "account_query = SELECT active FROM users WHERE username = '%n' AND domain = '%d'\n"
                f"default_pass_scheme = {scheme.name}\n")
            service(f"bench-swiftsql-{scheme.slug}", f"{self.module} config={self.configs[scheme.slug]}")
            # Row j: swiftsql-authd doing what row g's Dovecot does, one
            # query a login (no account_query).
            self.configs[scheme.slug + "-1q"] = config(f"swiftsql-{scheme.slug}-1q.conf", 0o644,
                                                       f"default_pass_scheme = {scheme.name}\n")
            if scheme.pam_mysql:
                service(f"bench-mysql-{scheme.slug}",
                        f"pam_mysql.so user=mailauth passwd={self.maria_password} host={self.maria_socket} "
                        "db=bench table=users usercolumn=email passwdcolumn=password crypt=1")
        for table in TIMING_TABLES:
            for variant in ("set", "unset"):
                path = config(f"timing-{table.slug}-{variant}.conf", 0o640,
                              f"default_pass_scheme = {table.default_scheme}\n" if variant == "set" else "")
                service(f"bench-timing-{table.slug}-{variant}", f"{self.module} config={path}")

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
