"""The measurements of make bench, on the servers of servers.py: the load
generators of bench/loadgen for the rows of the table, the first login in
a fresh process, the memory of saslauthd's workers and of swiftsql-authd,
unknown login vs wrong password, instructions per login (callgrind) and
the size of the .so."""

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import time

from .common import PASSWORD, SCHEMES, TIMING_TABLES, TIMING_USERS, USERS, BenchError, log, run, wait_until

PAM_MYSQL = "/lib/x86_64-linux-gnu/security/pam_mysql.so"
# A wrong password as long as the right one (crypt(3)'s cost depends on it).
WRONG_PASSWORD = PASSWORD[:-1] + ("x" if PASSWORD[-1] != "x" else "y")


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


class Measure:
    """The measurements of one run on `servers` (a servers.Servers with
    everything started); the figures of the table's rows in `results`,
    each other measurement returned by its method."""

    def __init__(self, servers, args):
        self.servers = servers
        self.args = args
        self.module = servers.module
        self.work = servers.work
        self.loadgen = os.path.abspath(args.loadgen)
        self.results = {}  # (row, variant, scheme, clients) -> figures
        self.duration = args.duration
        self.serve = None  # swiftsql-authd of rows h, i and j, once started

    def serve_rss_kb(self, daemon):
        with open(f"/proc/{daemon['process'].pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

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
                        m("raw_libpq", ["-C", self.servers.pg_conninfo] + login_password))
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
                        m("dovecot_auth", ["-f", self.servers.dovecot_socket] + login_password, warmup_count=4,
                          server=self.servers.dovecot_members))
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
        daemon = self.servers.start_serve("serve-memory")
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
        the medians, per scheme (as pam_loop -T does in-process).

        The pairs swap their order every other time. The daemon's idle
        workers take logins in turn, so with a fixed order every wrong
        password went to one worker and every unknown login to the other:
        on a shared machine whose two CPUs hashed at different speeds, the
        medians then compared the CPUs (0.62 and 1.52 for SHA512-CRYPT in
        single runs), not the logins."""
        timing = {}
        for scheme in SCHEMES:
            pairs = {"ARGON2ID": 12, "SHA512-CRYPT": 150}.get(scheme.name, 400)
            if self.args.quick:
                pairs = max(pairs // 10, 3)
            wrong, unknown = [], []
            service = f"bench-swiftsql-{scheme.slug}"
            for index in range(pairs):
                user = "u%05d" % (index % USERS)
                pair = [(user, wrong), ("nosuch%05d" % index, unknown)]
                for login, results in (pair if index % 2 == 0 else pair[::-1]):
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
            probes[f"libpq {scheme.name}"] = ["libpq", self.servers.pg_conninfo, user, scheme.domain, PASSWORD]
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
        daemon = self.servers.start_saslauthd(5, "memory")
        drive(daemon, "bench-permit", cheap, 40)
        base = snapshot(daemon)
        drive(daemon, f"bench-swiftsql-{cheap.slug}", cheap, 200)
        report["pam_swiftsql (SSHA256)"] = deltas(base, snapshot(daemon), "module")
        for scheme in SCHEMES[1:]:
            drive(daemon, f"bench-swiftsql-{scheme.slug}", scheme, 10 if scheme.name == "ARGON2ID" else 50)
        drive(daemon, f"bench-swiftsql-{cheap.slug}", cheap, 50)
        report["pam_swiftsql (after every scheme)"] = deltas(base, snapshot(daemon), "module")
        daemon_mysql = self.servers.start_saslauthd(5, "memory-mysql")
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
        self.servers.stop_latest(2)
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
            "a": ("raw_libpq", ["-C", self.servers.pg_conninfo, "-p", PASSWORD]),
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
            "a-real": ("raw_libpq", ["-C", self.servers.pg_conninfo, "-p", PASSWORD]),
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
            "first libpq": ["libpq", self.servers.pg_conninfo, "u00042", scheme.domain, PASSWORD],
        }
        for key, arguments in first.items():
            path = os.path.join(directory, key.replace(" ", "-"))
            run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={path}", self.tool("first_login")]
                + arguments, timeout=600)
            files[key] = path
        # Through saslauthd (rows b and e): one saslauthd -n 1 -d under
        # callgrind per service and count, the same subtraction.
        sasl_few, sasl_many = (5, 25) if self.args.quick else (10, 60)
        def sasl_profile(key, service, count, attempt):
            """One saslauthd -n 1 -d under callgrind for `count` logins; False
            when it hung (valgrind has been seen, once, to sit in a futex
            with SIGTERM blocked: 2026-12-05), killed then."""
            folder = os.path.join(directory, f"saslauthd-{key}-{count}-{attempt}")
            os.mkdir(folder)
            path = os.path.join(directory, f"{key}.{count}")
            with open(os.path.join(folder, "log"), "wb") as output:
                # A session of its own: saslauthd signals its process group on exit.
                daemon = subprocess.Popen(
                    ["valgrind", "--tool=callgrind", f"--callgrind-out-file={path}", "saslauthd", "-a", "pam",
                     "-r", "-n", "1", "-d", "-m", folder], stdout=output, stderr=output, start_new_session=True)
            finished = False
            try:
                wait_until("saslauthd under callgrind", lambda: os.path.exists(os.path.join(folder, "mux")), 60)
                run([self.tool("sasl_client"), "-f", os.path.join(folder, "mux"), "-s", service, "-p", PASSWORD,
                     "-D", scheme.domain, "-d", "0", "-w", "0", "-W", "2", "-m", str(count), "-M", "600"],
                    timeout=900)
                finished = True
            except (BenchError, subprocess.SubprocessError) as error:
                log(f"  saslauthd under callgrind ({key}, {count} logins, attempt {attempt}): {error}")
            finally:
                daemon.terminate()
                try:
                    daemon.wait(60)
                except subprocess.TimeoutExpired:
                    log(f"  saslauthd under callgrind ({key}, {count} logins) did not stop: killed")
                    os.killpg(daemon.pid, signal.SIGKILL)
                    daemon.wait(60)
                    finished = False
            files[key, count] = path
            return finished

        for key, service in [("b-sasl", "bench-permit"), ("e-sasl", f"bench-swiftsql-{scheme.slug}")]:
            for count in (sasl_few, sasl_many):
                if not any(sasl_profile(key, service, count, attempt) for attempt in (1, 2, 3)):
                    raise BenchError(f"saslauthd under callgrind ({key}, {count} logins) failed three times")

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

