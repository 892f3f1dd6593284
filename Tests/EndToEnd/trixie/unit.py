#!/usr/bin/python3
"""A systemd unit as systemd reads it, for a test in a root where systemd
does not run (a chroot): the unit file by systemd's search path, its drop-ins,
and the command lines with the variables of its EnvironmentFile.

    unit.py cat NAME               the unit and its drop-ins (systemctl cat)
    unit.py get NAME KEY           the effective value(s) of [Service] KEY, one a line
    unit.py argv NAME KEY [N]      command N (default 0) of KEY, e.g. ExecStart, with
                                   $VAR and ${VAR} from EnvironmentFile=, as NUL-separated words

The rules are systemd's (systemd.unit(5), systemd.service(5),
systemd.exec(5)): a file in /etc hides one of the same name in /run and
/usr/lib; drop-ins (NAME.d/*.conf) apply in the order of their file names,
after the unit; for a list setting such as ExecStartPre an empty assignment
empties the list; in a command, "$VAR" standing alone is split into words at
blanks and "${VAR}" is one word; the prefixes "-", "@", "+", "!", ":" are
removed. Only what the tests need: [Service] keys, no specifiers.
"""

import os
import re
import shlex
import sys

SEARCH_PATH = [
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
]
LIST_KEYS = {"ExecStartPre", "ExecStart", "ExecStartPost", "ExecStop", "ExecStopPost", "ExecReload",
             "EnvironmentFile", "Environment", "RuntimeDirectory"}


def files(name):
    """The unit file and its drop-ins, in the order systemd applies them."""
    unit = next((os.path.join(d, name) for d in SEARCH_PATH if os.path.isfile(os.path.join(d, name))), None)
    if unit is None:
        sys.exit("unit.py: no unit %s in %s" % (name, " ".join(SEARCH_PATH)))
    dropins = {}
    for directory in reversed(SEARCH_PATH):
        folder = os.path.join(directory, name + ".d")
        if os.path.isdir(folder):
            for entry in os.listdir(folder):
                if entry.endswith(".conf"):
                    dropins[entry] = os.path.join(folder, entry)
    return [unit] + [dropins[key] for key in sorted(dropins)]


def assignments(path):
    """(section, key, value) of one file, with continuation lines joined."""
    section = None
    pending = ""
    with open(path, encoding="utf-8") as handle:
        for raw in handle:
            line = raw.rstrip("\n")
            if pending:
                line = pending + line
                pending = ""
            if line.endswith("\\"):
                pending = line[:-1] + " "
                continue
            stripped = line.strip()
            if not stripped or stripped[0] in "#;":
                continue
            if stripped.startswith("[") and stripped.endswith("]"):
                section = stripped[1:-1]
                continue
            if "=" in stripped:
                key, value = stripped.split("=", 1)
                yield section, key.strip(), value.strip()


def settings(name):
    result = {}
    for path in files(name):
        for section, key, value in assignments(path):
            if section != "Service":
                continue
            if key in LIST_KEYS:
                if value == "":
                    result[key] = []
                else:
                    result.setdefault(key, []).append(value)
            else:
                result[key] = [value]
    return result


def environment(paths):
    """The variables of EnvironmentFile= files ("-" before a path: optional)."""
    variables = {}
    for entry in paths:
        for path in entry.split():
            optional = path.startswith("-")
            path = path.lstrip("-")
            if not os.path.exists(path):
                if optional:
                    continue
                sys.exit("unit.py: EnvironmentFile %s does not exist (systemd would not start the unit)" % path)
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    line = line.strip()
                    if not line or line[0] in "#;" or "=" not in line:
                        continue
                    key, value = line.split("=", 1)
                    key = key.strip()
                    if key.startswith("export "):
                        key = key[len("export "):].strip()
                    words = shlex.split(value, comments=True)
                    variables[key] = " ".join(words)
    return variables


def command(name, key, index):
    values = settings(name)
    lines = values.get(key, [])
    if index >= len(lines):
        sys.exit("unit.py: %s has no %s number %d" % (name, key, index))
    line = lines[index].lstrip("-@+!:")
    variables = environment(values.get("EnvironmentFile", []))
    for assignment in values.get("Environment", []):
        for word in shlex.split(assignment):
            if "=" in word:
                k, v = word.split("=", 1)
                variables[k] = v
    words = []
    for word in shlex.split(line):
        alone = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if alone:
            words += variables.get(alone.group(1), "").split()
            continue
        words.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)",
                            lambda m: variables.get(m.group(1) or m.group(2), ""), word))
    return words


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    verb, name = sys.argv[1], sys.argv[2]
    if verb == "cat":
        for path in files(name):
            print("# " + path)
            with open(path, encoding="utf-8") as handle:
                sys.stdout.write(handle.read())
            print()
    elif verb == "get":
        for value in settings(name).get(sys.argv[3], []):
            print(value)
    elif verb == "argv":
        index = int(sys.argv[4]) if len(sys.argv) > 4 else 0
        sys.stdout.write("".join(word + "\0" for word in command(name, sys.argv[3], index)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
