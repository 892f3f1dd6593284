"""What every part of make bench shares: the password, the schemes and the
timing tables of the users' table, the error, the log line, running a
command and waiting for a condition."""

import subprocess
import sys
import time

PASSWORD = "Bench-Secret-42"
USERS = 10000


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


def wait_until(what, predicate, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise BenchError(f"timed out waiting for {what}")

