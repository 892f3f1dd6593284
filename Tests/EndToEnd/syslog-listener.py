#!/usr/bin/python3
"""Collects syslog lines from /dev/log into a file while the e2e runs.

    syslog-listener.py OUTPUT_FILE

The e2e reads what pam_swiftsql logs from inside saslauthd and Dovecot, as
an administrator would in /var/log/auth.log, but with no syslog daemon on
the machine (the integration tests bind /dev/log themselves). It refuses to
start when something already listens on /dev/log, removes a stale socket
file, writes "ready" on standard output once bound, appends every datagram
as one line to OUTPUT_FILE, and removes /dev/log when it gets SIGTERM or
SIGINT.
"""

import os
import signal
import socket
import sys

PATH = "/dev/log"


def someone_listens():
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        probe.connect(PATH)
        return True
    except OSError:
        return False
    finally:
        probe.close()


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: syslog-listener.py OUTPUT_FILE")
    if os.path.exists(PATH) or os.path.islink(PATH):
        if someone_listens():
            sys.exit("syslog-listener: %s belongs to a running syslog daemon or test; "
                     "the e2e reads syslog itself, so stop that first" % PATH)
        os.unlink(PATH)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(PATH)
    os.chmod(PATH, 0o666)

    def stop(signum, frame):
        try:
            os.unlink(PATH)
        finally:
            os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("ready", flush=True)
    with open(sys.argv[1], "ab", buffering=0) as output:
        while True:
            data = server.recv(65536)
            output.write(data.rstrip(b"\0\n").replace(b"\n", b" ") + b"\n")


if __name__ == "__main__":
    main()
