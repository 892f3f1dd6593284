#!/usr/bin/python3
"""Runs swiftsql-authd the way its systemd units do, where there is no
systemd (a container, a chroot): what the socket unit and the service unit
say, read from the installed unit files and their drop-ins, not restated.

    unit-emulator.py SOCKET_UNIT SERVICE_UNIT STATE_DIR [DROP_IN...]

From the socket unit: ListenStream= (an empty one clears the list, as in a
drop-in), SocketMode=, DirectoryMode=. The sockets are made here and held
for the whole run, so a connection made while the service restarts waits
in the listen queue, as with systemd. From the service unit:
EnvironmentFile=, ExecStart= ($VAR expanded and split as systemd does for
an unquoted $VAR), ExecReload= (only `kill -HUP $MAINPID`), User=, Group=,
Restart= (on-failure, always, no) and RestartSec=. The service starts at the
first connection (socket activation) with LISTEN_FDS, LISTEN_PID and
LISTEN_FDNAMES; after it dies by a signal or a non-zero status it is
started again after RestartSec=, as Restart=on-failure does, until it
has started 5 times within 10 s (systemd's default start limit): then the
sockets are closed and removed, as systemd fails the socket unit, so that
clients are refused instead of waiting for a service that cannot start.
The sandboxing
directives (ProtectSystem=, SystemCallFilter=, …) are not emulated:
systemd-analyze security checks those.

STATE_DIR gets main.pid (the service's pid while it runs) and starts (one
line per start). SIGTERM: the service gets SIGTERM, then this exits with
its status. SIGHUP: ExecReload= (SIGHUP to the service).
"""

import fcntl
import grp
import os
import pwd
import re
import select
import shlex
import signal
import socket
import sys
import time

# systemd's defaults: DefaultStartLimitBurst=5, DefaultStartLimitIntervalSec=10s.
START_LIMIT_BURST = 5
START_LIMIT_SECONDS = 10


def parse(paths):
    """[Section] key=value lines of a unit and its drop-ins, in order."""
    entries = []
    for path in paths:
        section = None
        with open(path) as handle:
            for line in handle:
                line = line.strip()
                if not line or line[0] in "#;":
                    continue
                if line.startswith("["):
                    section = line.strip("[]")
                    continue
                key, _, value = line.partition("=")
                entries.append((section, key.strip(), value.strip()))
    return entries


def values(entries, section, key, list_reset=False):
    result = []
    for entry_section, entry_key, value in entries:
        if entry_section == section and entry_key == key:
            if list_reset and value == "":
                result = []
            else:
                result.append(value)
    return result


def seconds(text):
    match = re.fullmatch(r"([0-9.]+)(ms|s|min)?", text or "0")
    if not match:
        return 0.1
    number = float(match.group(1))
    return {"ms": number / 1000, "min": number * 60}.get(match.group(2), number)


def environment_file(path):
    variables = {}
    optional = path.startswith("-")
    path = path.lstrip("-")
    if not os.path.exists(path):
        if optional:
            return variables
        sys.exit("unit-emulator: EnvironmentFile %s does not exist" % path)
    with open(path) as handle:
        text = handle.read().replace("\\\n", " ")
    for line in text.split("\n"):
        line = line.strip()
        if not line or line[0] in "#;" or "=" not in line:
            continue
        key, _, value = line.partition("=")
        parts = shlex.split(value) if value else [""]
        variables[key.strip()] = " ".join(parts)
    return variables


def command_line(exec_start, variables):
    words = []
    for word in shlex.split(exec_start.lstrip("-@:+!")):
        match = re.fullmatch(r"\$(\w+)|\$\{(\w+)\}", word)
        if match:
            name = match.group(1) or match.group(2)
            if word.startswith("${"):
                words.append(variables.get(name, ""))
            else:
                words.extend(variables.get(name, "").split())
        else:
            words.append(re.sub(r"\$\{(\w+)\}", lambda m: variables.get(m.group(1), ""), word))
    return words


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    socket_unit, service_unit, state = sys.argv[1:4]
    drop_ins = sys.argv[4:]
    socket_entries = parse([socket_unit] + [d for d in drop_ins if d.endswith(".socket.conf") or "socket" in d])
    service_entries = parse([service_unit] + [d for d in drop_ins if "service" in d])

    paths = values(socket_entries, "Socket", "ListenStream", list_reset=True)
    socket_mode = int((values(socket_entries, "Socket", "SocketMode") or ["0666"])[-1], 8)
    directory_mode = int((values(socket_entries, "Socket", "DirectoryMode") or ["0755"])[-1], 8)
    listeners = []
    for path in paths:
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            os.makedirs(directory, mode=directory_mode)
        if os.path.exists(path):
            os.unlink(path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(4096)
        os.chmod(path, socket_mode)
        listeners.append(listener)

    variables = {}
    for path in values(service_entries, "Service", "EnvironmentFile"):
        variables.update(environment_file(path))
    argv = command_line(values(service_entries, "Service", "ExecStart")[-1], variables)
    user = (values(service_entries, "Service", "User") or ["root"])[-1]
    group = (values(service_entries, "Service", "Group") or [""])[-1]
    restart = (values(service_entries, "Service", "Restart") or ["no"])[-1]
    restart_seconds = seconds((values(service_entries, "Service", "RestartSec") or ["0.1"])[-1])
    uid = pwd.getpwnam(user).pw_uid
    gid = grp.getgrnam(group).gr_gid if group else pwd.getpwnam(user).pw_gid
    os.makedirs(state, exist_ok=True)
    print("unit-emulator: %s as %s, sockets %s, Restart=%s" % (" ".join(argv), user, " ".join(paths), restart),
          flush=True)

    stopping = False
    child = None

    def on_term(number, frame):
        nonlocal stopping
        stopping = True
        if child:
            os.kill(child, signal.SIGTERM)

    def on_hup(number, frame):
        if child:
            os.kill(child, signal.SIGHUP)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.signal(signal.SIGHUP, on_hup)

    def start():
        descriptors = [listener.fileno() for listener in listeners]
        pid = os.fork()
        if pid == 0:
            try:
                # sd_listen_fds(3): descriptors 3, 4, … in ListenStream= order,
                # inheritable. Each listener first goes above the range, so
                # that placing one cannot close another; and dup2() onto the
                # same number is a no-op that would leave Python's
                # close-on-exec flag set, so the flag is cleared explicitly
                # (the daemon then found no sockets and the first client
                # waited forever).
                moved = [fcntl.fcntl(descriptor, fcntl.F_DUPFD, 3 + len(descriptors)) for descriptor in descriptors]
                for index, descriptor in enumerate(moved):
                    os.dup2(descriptor, 3 + index)
                    os.set_inheritable(3 + index, True)
                for descriptor in range(3 + len(descriptors), 1024):
                    try:
                        os.close(descriptor)
                    except OSError:
                        pass
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)
                environment = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LISTEN_PID": str(os.getpid()),
                               "LISTEN_FDS": str(len(descriptors)),
                               "LISTEN_FDNAMES": ":".join(os.path.basename(p) for p in paths)}
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGHUP, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                os.execve(argv[0], argv, environment)
            finally:
                os._exit(127)
        with open(os.path.join(state, "main.pid"), "w") as handle:
            handle.write("%d\n" % pid)
        with open(os.path.join(state, "starts"), "a") as handle:
            handle.write("%d %.3f\n" % (pid, time.time()))
        return pid

    # Socket activation: the first connection starts the service.
    while not stopping:
        try:
            ready, _, _ = select.select(listeners, [], [], 0.5)
        except InterruptedError:
            continue
        if ready:
            break
    status = 0
    starts = []
    while not stopping:
        starts = [started for started in starts if time.monotonic() - started < START_LIMIT_SECONDS]
        if len(starts) >= START_LIMIT_BURST:
            print("unit-emulator: start limit hit (%d starts within %d s): the sockets are closed"
                  % (START_LIMIT_BURST, START_LIMIT_SECONDS), flush=True)
            break
        starts.append(time.monotonic())
        child = start()
        while True:
            try:
                _, wait_status = os.waitpid(child, 0)
                break
            except ChildProcessError:
                wait_status = 0
                break
            except InterruptedError:
                continue
        child = None
        try:
            os.unlink(os.path.join(state, "main.pid"))
        except FileNotFoundError:
            pass
        failed = os.WIFSIGNALED(wait_status) or os.WEXITSTATUS(wait_status) != 0
        status = os.WEXITSTATUS(wait_status) if os.WIFEXITED(wait_status) else 128 + os.WTERMSIG(wait_status)
        print("unit-emulator: the service ended with status %d" % status, flush=True)
        if stopping or restart == "no" or (restart == "on-failure" and not failed):
            break
        time.sleep(restart_seconds)
    for listener, path in zip(listeners, paths):
        listener.close()
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
    sys.exit(status)


if __name__ == "__main__":
    main()
