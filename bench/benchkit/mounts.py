"""The private mount namespace of make bench (bench/README.md): a /dev
without /dev/log, and a private copy of /etc/pam.d."""

import os
import shutil

from .common import BenchError, run


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

