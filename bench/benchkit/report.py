"""The report of make bench: the targets (issue 7, points 2 and 6; issue
15), computed from the figures of this run, the table as text and as
Markdown, the chart, and the files bench.json, bench.csv, targets.csv,
bench.md and bench.png."""

import csv
import json
import os
import shutil

from .common import SCHEMES, USERS


def figures(results, row, variant, scheme, clients):
    return results.get((row, variant, scheme, clients))


def cpu_of(f):
    """CPU ms per login of the process that did the PAM work."""
    if not f:
        return None
    return f.get("server_cpu_ms", f.get("client_cpu_ms"))


def tail_of(f):
    """p99 over p50: how long the slow logins take against the typical one."""
    return f["p99_ms"] / f["p50_ms"]


def evaluate(results, first_login, memory, size, timing, profile, serve_memory=None, serve_timing=None):
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
                ratio = tail_of(two)
                # Beside it, the same ratio of the anchor (Dovecot's auth, row
                # g) and of this row at 1 client, from this run: on a shared
                # VM they show how much of the tail the machine makes.
                anchor = f"g at 2 clients {tail_of(g2):.2f}, " if g2 else ""
                add(f"{row} p99 <= 2 x p50 (2 clients, {protocol})", scheme.name, f"{ratio:.2f}", "2.00", ratio <= 2.0,
                    f"p50 {two['p50_ms']:.3f} ms, p99 {two['p99_ms']:.3f} ms; p99/p50 of {anchor}"
                    f"{row} at 1 client {tail_of(one):.2f}")
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


def print_report(out, meta, results, first_login, size, profile, targets):
    """The table, the other measurements and the targets, on the terminal."""
    lines = table_lines(results)
    print()
    print(f"make bench — {meta['date']}, {meta['cpus']} CPUs (load average at the end "
          f"{meta['load_average_at_end'][0]:.2f}), {USERS:,} users per scheme, best of {meta['rounds']} "
          f"run(s) of {meta['duration_s']:g} s")
    print("\n".join(lines))
    medians = first_login["medians"]
    print("first login in a fresh process (median ms): " + "; ".join(
        f"{name} {v.get('total_ms', v.get('dlopen_ms', v.get('first_ms'))):.2f}" for name, v in medians.items()))
    print(f".so: {size['unstripped'] / 1e6:.2f} MB, {size['stripped'] / 1e6:.2f} MB stripped")
    print("\n".join(profile_lines(profile)))
    print()
    print("\n".join(target_lines(targets)))
    print(f"\nrun time {meta['run_time_s']:.0f} s; files in {out}: bench.json bench.csv targets.csv bench.md "
          "bench.png")


def write_files(out, meta, results, measured, targets, profile):
    """bench.json (everything: `measured` holds the measurements beside the
    table's rows, by name), bench.csv, targets.csv, bench.md and bench.png,
    into `out`."""
    rows = []
    for (row, variant, scheme, clients), f in sorted(results.items()):
        rows.append({"row": row, "variant": variant, "scheme": scheme, "clients": clients} | f)
    with open(os.path.join(out, "bench.json"), "w") as f:
        json.dump({"meta": meta, "rows": rows} | measured | {"targets": targets}, f, indent=1)
    with open(os.path.join(out, "bench.csv"), "w", newline="") as f:
        fields = ["row", "variant", "scheme", "clients", "rate", "p50_ms", "p90_ms", "p99_ms", "mean_ms", "max_ms",
                  "client_cpu_ms", "server_cpu_ms", "part_p50_ms", "part_p99_ms", "count", "errors", "rounds"]
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    with open(os.path.join(out, "targets.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["target", "scheme", "measured", "limit", "met", "detail"])
        writer.writeheader()
        writer.writerows(targets)
    with open(os.path.join(out, "bench.md"), "w") as f:
        f.write(markdown(results, targets, meta, profile))
    chart(results, os.path.join(out, "bench.png"))


def copy_latest(out, results_dir):
    """What the README shows, from a full run only (never a --quick one):
    the files of `out` as latest.* in `results_dir`."""
    os.makedirs(results_dir, exist_ok=True)
    for source, target in [("bench.md", "latest.md"), ("bench.csv", "latest.csv"), ("bench.json", "latest.json"),
                           ("targets.csv", "latest-targets.csv"), ("bench.png", "latest.png")]:
        shutil.copyfile(os.path.join(out, source), os.path.join(results_dir, target))
    print(f"and in {results_dir}: latest.md latest.csv latest-targets.csv latest.json latest.png")
