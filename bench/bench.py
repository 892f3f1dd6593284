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

The work is in benchkit/, one module per job: mounts.py (the private
namespace), servers.py (the servers, the users' table, the PAM services),
measure.py (the load generators and the other measurements) and report.py
(the targets, the table, the files); common.py has what they share.
"""

import argparse
import datetime
import os
import platform
import signal
import subprocess
import sys
import time

from benchkit import report
from benchkit.common import PASSWORD, SCHEMES, USERS, BenchError, log
from benchkit.measure import Measure
from benchkit.mounts import private_mounts
from benchkit.servers import Servers


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
    servers = Servers(os.path.abspath(args.module), os.path.abspath(args.daemon) if args.daemon else None)
    bench = Measure(servers, args)
    out = os.path.abspath(args.out)

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    status = 0
    try:
        log(f"work folder {servers.work}; module {servers.module}")
        pamd = private_mounts(servers.work)
        servers.start_postgres()
        servers.start_mariadb()
        servers.fill_tables()
        servers.write_services(pamd)
        servers.start_dovecot()
        if args.shell:
            sasl = [servers.start_saslauthd(2, "n2")]
            environment = os.environ | {
                "BENCH_CONNINFO": servers.pg_conninfo, "BENCH_LOADGEN": bench.loadgen, "BENCH_MODULE": servers.module,
                "BENCH_PASSWORD": PASSWORD, "BENCH_WORK": servers.work, "BENCH_SASLAUTHD": sasl[0]["socket"],
                "BENCH_DOVECOT": servers.dovecot_socket, "BENCH_MARIADB": servers.maria_socket}
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
            print("\n".join(report.profile_lines(bench.measure_profile())))
            raise SystemExit(0)
        log("memory of a saslauthd worker")
        memory = bench.measure_memory()
        sasl = [servers.start_saslauthd(2, "n2"), servers.start_saslauthd(5, "n5")]
        serve_memory = serve_timing = None
        if servers.daemon:
            log(f"swiftsql-authd: resident set over {args.serve_logins:,} logins")
            serve_memory = bench.measure_serve_memory(args.serve_logins)
            bench.serve = servers.start_serve()
        log("first login in a fresh process")
        first_login = bench.measure_first_login()
        for round_number in range(args.rounds):
            for scheme in SCHEMES:
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
        servers.cleanup()
        return status
    except BenchError as error:
        log(f"failed: {error}")
        status = 1
    except Exception:
        import traceback

        traceback.print_exc()
        status = 1
    finally:
        servers.cleanup()
    if status:
        return status

    results = bench.results
    targets = report.evaluate(results, first_login, memory, size, timing, profile, serve_memory, serve_timing)
    meta = {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.node()} ({platform.system()} {platform.release()}, "
                   f"{open('/etc/debian_version').read().strip() if os.path.exists('/etc/debian_version') else '?'})",
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "users_per_scheme": USERS,
        "distinct_values": {s.name: s.distinct for s in SCHEMES},
        "hash_tools": servers.hash_tools,
        "rounds": args.rounds,
        "duration_s": args.duration,
        "run_time_s": round(time.monotonic() - started, 1),
    }
    os.makedirs(out, exist_ok=True)
    report.print_report(out, meta, results, first_login, size, profile, targets)
    measured = {"first_login": first_login, "memory_kB": memory, "size": size, "timing": timing, "profile": profile,
                "serve_memory": serve_memory, "serve_timing": serve_timing}
    report.write_files(out, meta, results, measured, targets, profile)
    if args.results and not args.quick:
        report.copy_latest(out, args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
