#!/usr/bin/python3
"""make package-check: the man pages and the package files agree with the code.

    check-docs.py BUILD_DIR

Needs no root and no servers; BUILD_DIR holds what `make build man` made
(pam-swiftsql and man/). Each check prints "ok" or "not ok" and what is
missing; the last line counts them. A new configuration key, PAM code, module
argument or exit status without documentation fails here, and so does a man
page that groff warns about (lintian runs the same command).
"""

import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
results = []


def check(name, problems):
    problems = list(problems)
    results.append(not problems)
    print(("ok" if not problems else "not ok") + " - " + name)
    for problem in problems:
        print("    " + problem)


def read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as handle:
        return handle.read()


def section(page, title):
    """The text of one .SH section of a roff page."""
    match = re.search(r'^\.SH "?' + re.escape(title) + r'"?\n(.*?)(?=^\.SH |\Z)', page, re.M | re.S)
    return match.group(1) if match else ""


def roff(name):
    return name.replace("-", "\\-")


def tagged(text):
    """The words set by `.TP` then `.B word` (or `.BR word ...`) in a section."""
    return set(re.findall(r"^\.TP\n\.BR? (\S+)", text, re.M))


def settings_keys():
    keys = []
    directory = os.path.join(ROOT, "Sources", "SwiftSQLCore")
    for name in sorted(os.listdir(directory)):
        if name.endswith(".swift"):
            keys += re.findall(r'SettingOption\(\s*"([a-z0-9_]+)"', read("Sources", "SwiftSQLCore", name))
    return keys


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check-docs.py BUILD_DIR")
    build = os.path.abspath(sys.argv[1])
    module_page = read("man", "pam_swiftsql.8")
    conf_page = read("man", "pam_swiftsql.conf.5")
    with open(os.path.join(build, "man", "pam-swiftsql.8"), encoding="utf-8") as handle:
        tool_page = handle.read()

    # Every key of Settings.options: in pam_swiftsql.conf(5) and, commented
    # out, in the shipped /etc/pam_swiftsql.conf.
    keys = settings_keys()
    check("Settings.options has keys (found %d)" % len(keys), [] if keys else ["no SettingOption(\"key\", …) row found"])
    documented = tagged(section(conf_page, "KEYS"))
    check(
        "pam_swiftsql.conf(5) documents every key of Settings.options under KEYS",
        ["key %s has no '.TP/.B %s' entry in man/pam_swiftsql.conf.5" % (k, k) for k in keys if k not in documented])
    # Documentation may run ahead of the code (a key being added elsewhere):
    # a note, not a failure.
    for key in sorted(documented - set(keys)):
        print("    note: '%s' is documented under KEYS but Settings.options has no such key" % key)
    drivers = re.findall(r"^\s*case (\w+)\s*$", re.search(r"enum Driver\b.*?\n}", read(
        "Sources", "SwiftSQLCore", "Settings.swift"), re.S).group(0), re.M)
    driver_entry = re.search(r"^\.TP\n\.B driver\n(.*?)(?=^\.TP|^\.SH)", conf_page, re.M | re.S)
    check(
        "pam_swiftsql.conf(5) names every driver of Settings.swift under driver",
        ["driver %s is not in the driver entry" % d for d in drivers
         if not driver_entry or not re.search(r"^\.B %s\b" % d, driver_entry.group(1), re.M)]
        + ([] if drivers else ["no cases in enum Driver"]))
    # Every name of QueryVariables.swift's tables (bound or refused).
    source = read("Sources", "SwiftSQLCore", "QueryVariables.swift")
    shorts = re.findall(r'\(ascii\("(.)"\), \.(?:variable|refused)\(', source)
    longs = re.findall(r'"([a-z_]+)": \.(?:variable|refused)\(', source)
    for block in re.findall(r"for name in \[(.*?)\]", source, re.S):
        longs += re.findall(r'"([a-z_]+)"', block)
    queries = section(conf_page, "QUERIES")
    check(
        "pam_swiftsql.conf(5) documents every query variable of QueryVariables.swift under QUERIES",
        ["%%{%s} is not under QUERIES" % long for long in longs if "%{" + long + "}" not in queries]
        + ["%%%s is not under QUERIES" % short for short in shorts if "%" + short not in queries]
        + ([] if shorts and longs else ["no variable table found in QueryVariables.swift"]))
    template = read("examples", "pam_swiftsql.conf")
    check(
        "the shipped /etc/pam_swiftsql.conf mentions every key",
        ["examples/pam_swiftsql.conf has no '#%s =' line" % k for k in keys
         if not re.search(r"^#\s*" + k + r"\s*=", template, re.M)])
    check(
        "the shipped /etc/pam_swiftsql.conf sets nothing (the module refuses every login until it is edited)",
        ["examples/pam_swiftsql.conf line %d is not a comment: %s" % (n, line)
         for n, line in enumerate(template.split("\n"), 1) if line.strip() and not line.lstrip().startswith("#")])

    # pam_swiftsql(8): every PAM code the module maps a failure to, and every
    # module argument that is not a key.
    codes = sorted(set(re.findall(r"\bPAM_[A-Z_]+\b", read("Sources", "SwiftSQLPAM", "PAMResult.swift"))))
    returned = tagged(section(module_page, "RETURN VALUES"))
    check(
        "pam_swiftsql(8) documents every PAM code of PAMResult.swift under RETURN VALUES",
        ["%s is not under RETURN VALUES in man/pam_swiftsql.8" % c for c in codes + ["PAM_SUCCESS"]
         if c not in returned])
    configuration = read("Sources", "SwiftSQLCore", "Configuration.swift")
    words = ["config"]
    for name in ("pamFlags", "flagSettings"):
        match = re.search(name + r"[^=]*=\s*\[([^\]]*)\]", configuration)
        words += re.findall(r'"([a-z_]+)"', match.group(1)) if match else ["<%s not found>" % name]
    options = section(module_page, "OPTIONS")
    check(
        "pam_swiftsql(8) documents every module argument (config=, flags) under OPTIONS",
        ["module argument %s is not under OPTIONS in man/pam_swiftsql.8" % w for w in words
         if not re.search(r"^\.(?:B|BR|BI|IB) .*\b" + re.escape(w) + r"\b", options, re.M)])

    # pam-swiftsql(8): every subcommand and option of the built tool, and
    # every exit status.
    tool = os.path.join(build, "pam-swiftsql")
    dump = json.loads(subprocess.run([tool, "--experimental-dump-help"], check=True, capture_output=True,
                                     text=True).stdout)["command"]
    missing = []

    def walk(command, path):
        for sub in command.get("subcommands") or []:
            if not sub.get("shouldDisplay", True):
                continue
            full = path + [sub["commandName"]]
            heading = '.SS "%s"' % roff(" ".join(full))
            if heading not in tool_page:
                missing.append("subcommand '%s' has no %s" % (" ".join(full[1:]), heading))
            for argument in sub.get("arguments") or []:
                # -h/--help is described once for every command.
                names = {n["name"] for n in argument.get("names") or []}
                if not argument.get("shouldDisplay", True) or (argument["kind"] == "flag" and "help" in names):
                    continue
                for name in argument.get("names") or []:
                    flag = ("-" if name["kind"] in ("short", "longWithSingleDash") else "--") + name["name"]
                    if "\\fB" + roff(flag) + "\\fR" not in tool_page:
                        missing.append("%s: option %s is not in the page" % (" ".join(full[1:]), flag))
            walk(sub, full)

    walk(dump, [dump["commandName"]])
    if "\\fB\\-h\\fR" not in tool_page and ".BR \\-h " not in tool_page:
        missing.append("-h/--help is not described")
    check("pam-swiftsql(8) lists every subcommand and option of the built tool", missing)
    statuses = re.findall(r"case \w+ = (\d+)", read("Sources", "pam-swiftsql", "ExitStatus.swift"))
    exits = tagged(section(tool_page, "EXIT STATUS"))
    check(
        "pam-swiftsql(8) documents every exit status of ExitStatus.swift",
        ["exit status %s is not under EXIT STATUS" % s for s in statuses if s not in exits] if statuses
        else ["no 'case x = N' in ExitStatus.swift"])

    # swiftsql-authd(8): every option of ServeOptions.table (and the ones
    # parse handles itself), and every line of the status answer.
    daemon_page = read("man", "swiftsql-authd.8")
    serve_options = re.findall(r'Option\(\s*name: "(--[a-z-]+)"', read("Sources", "SwiftSQLServe", "ServeOptions.swift"))
    serve_options += ["--check", "--version", "--help"]
    daemon_options = section(daemon_page, "OPTIONS")
    check(
        "swiftsql-authd(8) documents every option of ServeOptions.swift under OPTIONS (found %d)" % len(serve_options),
        ["option %s has no '.TP' entry naming %s" % (o, roff(o)) for o in serve_options
         if not re.search(r"^\.TP\n\.B[IR]? .*" + re.escape(roff(o)) + r"(?![\w\\-])", daemon_options, re.M)])
    names = re.findall(r'"([a-z0-9_]+)"', re.search(r"static let names = \[(.*?)\]", read(
        "Sources", "SwiftSQLServe", "ServeStatus.swift"), re.S).group(1))
    status_section = section(daemon_page, "STATUS")
    check(
        "swiftsql-authd(8) documents every line of the status answer under STATUS (found %d)" % len(names),
        ["%s is not under STATUS" % n for n in names if not re.search(r"^\.B %s$" % re.escape(n), status_section, re.M)])

    # Each page renders without a groff warning (lintian: groff-message).
    environment = dict(os.environ, LC_ALL="C.UTF-8", MANROFFSEQ="", MANWIDTH="80")
    for page in ("pam_swiftsql.8", "pam_swiftsql.conf.5", "pam-swiftsql.8", "swiftsql-authd.8"):
        path = os.path.join(build, "man", page)
        result = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", path],
                                capture_output=True, text=True, env=environment)
        check("%s renders without groff warnings" % page,
              [line for line in result.stderr.split("\n") if line.strip()]
              + ([] if result.returncode == 0 else ["man exited %d" % result.returncode]))

    # debian/control builds with what the Makefile builds with.
    makefile = re.sub(r"\\\n", " ", read("Makefile"))
    match = re.search(r"^BUILD_DEPS\s*:?=\s*(.*)$", makefile, re.M)
    build_deps = match.group(1).split() if match else []
    control = read("debian", "control")
    block = re.search(r"^Build-Depends:(.*?)(?=^\S)", control, re.M | re.S)
    declared = {re.split(r"[\s(:]", item.strip())[0] for item in (block.group(1) if block else "").split(",")
                if item.strip() and not item.strip().startswith("#")}
    check(
        "debian/control Build-Depends has every package of the Makefile's BUILD_DEPS",
        ["%s is in BUILD_DEPS but not in Build-Depends" % d for d in build_deps if d not in declared]
        + ([] if build_deps else ["no BUILD_DEPS line in the Makefile"]))
    match = re.search(r"^DEB_DEPS\s*:?=\s*(.*)$", makefile, re.M)
    deb_deps = match.group(1).split() if match else []
    check(
        "make deb installs every package of debian/control's Build-Depends (BUILD_DEPS, DEB_DEPS)",
        ["%s is in Build-Depends but in neither BUILD_DEPS nor DEB_DEPS" % d for d in sorted(declared)
         if d not in build_deps + deb_deps and d != "debhelper-compat"])

    passed = sum(results)
    print("package-check: %d passed, %d failed" % (passed, len(results) - passed))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
