#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The regression suites of the kernel test, read from the QEMU logs.

Each kernel's "regress" boot (kernel/run-tests.sh) runs TTM's KUnit tests at
boot (kunit.enable=1), the boot self-test of CONFIG_DEBUG_VM_PGTABLE, and
the mm selftests cow, gup_test, gup_longterm and mkdirty (tests/init prefixes
their KTAP output with "hpmm: <run>: "). This reads that log and prints, for
run-tests.sh,

    CHECK <1|0> <name> <figures>    one per suite and kernel
    INFO <text>                     skips with their reasons, differences

A suite passes on a kernel when it ran to its end, has no failure that is
not explained below, and, on the patched and control kernels, every test
has the outcome it has on the unpatched kernel (same number, same test, same
pass/fail/skip). A skip is never a pass. Each kernel's outcomes are saved
as JSON under --results, so a run of the patched kernel alone still
compares with the last unpatched run (whose date is printed).
"""

import argparse
import datetime
import fnmatch
import json
import os
import re
import sys

# The one KUnit test left out, and why (lib/kunit takes one glob only, so
# the glob in run-tests.sh is written to exclude exactly this name; the
# check "kunit-filter" below proves that against the tree's sources).
KUNIT_EXCLUDED = {
    "ttm_bo_validate.ttm_bo_validate_happy_evict":
        "hangs under QEMU TCG on 6.12 (never finishes); excluded by kunit.filter_glob",
}
# The series' own KUnit suite (patch 0009), absent from the unpatched kernel.
SERIES_SUITE = "ttm_bo_vm_huge"
# control/0002 plants two mistakes; exactly these leaves must fail there.
CONTROL_KUNIT_FAILS = {
    "ttm_bo_vm_huge.ttm_bo_vm_huge_offset_outside_bo.PMD",
    "ttm_bo_vm_huge.ttm_bo_vm_huge_offset_outside_bo.PUD",
    "ttm_bo_vm_huge.ttm_bo_vm_huge_pfn_io_hook.PMD",
    "ttm_bo_vm_huge.ttm_bo_vm_huge_pfn_io_hook.PUD",
}
# Failures that are understood, by suite and test key, with the reason; each
# is still reported (INFO) on every kernel where it fails.
EXPLAINED_FAILURES = {
    ("ttm_device", "ttm_device.ttm_device_init_multiple"):
        "counts every TTM device on the global list and expects only its own 3;"
        " the boot's bochs-display is a 4th (fails the same on every kernel)",
}
MM_SUITES = ("cow", "gup_test", "gup_longterm", "mkdirty")
PGTABLE_LINE = "debug_vm_pgtable: [debug_vm_pgtable         ]: Validating architecture page table helpers"
PGTABLE_WARN = re.compile(r"WARNING: .* at mm/debug_vm_pgtable\.c:\d+")


def out(kind, *words):
    print(kind, *words)


# ------------------------------------------------------------------ KUnit
KTAP_RESULT = re.compile(r"^( *)(ok|not ok) (\d+) (.*)$")
KTAP_TOTALS = re.compile(r"^# Totals: pass:(\d+) fail:(\d+) skip:(\d+) total:(\d+)$")
PRINTK_TIME = re.compile(r"^\[ *\d+\.\d+\] ")


def result_of(status, rest):
    """(name, outcome, reason) of a KTAP result line's remainder."""
    name, _, directive = rest.partition(" # ")
    if directive.upper().startswith("SKIP"):
        return name.strip(), "skip", directive[4:].strip()
    return name.strip(), "pass" if status == "ok" else "fail", ""


def parse_kunit(lines):
    """KUnit's KTAP tree from the kernel log: ({leaf: (outcome, reason)},
    {suite: totals line}, [errors]). Leaves are tests without subtests
    (a parameterised case counts once per parameter, as kunit.py does);
    each suite's own "# Totals" line is kept to cross-check them, and the
    per-suite "# <suite>: pass:" line (which counts cases) is not used."""
    pending = {}  # depth -> [(name, outcome, reason, children)]
    totals_seen = None
    suite_totals = {}
    for raw in lines:
        line = PRINTK_TIME.sub("", raw.rstrip("\n"))
        m = KTAP_TOTALS.match(line)
        if m:
            totals_seen = tuple(int(x) for x in m.groups())
            continue
        m = KTAP_RESULT.match(line)
        if not m or len(m.group(1)) % 4:
            continue
        depth = len(m.group(1)) // 4
        name, outcome, reason = result_of(m.group(2), m.group(4))
        children = pending.pop(depth + 1, [])
        pending.setdefault(depth, []).append((name, outcome, reason, children))
        if depth == 0:
            suite_totals[name] = totals_seen
            totals_seen = None
    leaves = {}

    def walk(node, prefix):
        name, outcome, reason, children = node
        full = prefix + name
        if not children:
            leaves[full] = (outcome, reason)
        for c in children:
            walk(c, full + ".")

    for node in pending.get(0, []):
        walk(node, "")
    return leaves, suite_totals


def kunit_suites(leaves):
    suites = {}
    for name, res in leaves.items():
        suites.setdefault(name.split(".", 1)[0], {})[name] = res
    return suites


def source_cases(tree):
    """Every KUnit case name in the tree's TTM tests."""
    d = os.path.join(tree, "drivers/gpu/drm/ttm/tests")
    names = set()
    if not os.path.isdir(d):
        return names
    for f in sorted(os.listdir(d)):
        if f.endswith(".c"):
            with open(os.path.join(d, f), encoding="utf-8", errors="replace") as fh:
                names.update(re.findall(r"KUNIT_CASE(?:_PARAM)?\(\s*(\w+)", fh.read()))
    return names


# ------------------------------------------------------------ mm selftests
MM_LINE = re.compile(r"^hpmm: ([\w:]+): (.*)$")
KSFT_TOTALS = re.compile(r"^# Totals: pass:(\d+) fail:(\d+) xfail:(\d+) xpass:(\d+) skip:(\d+) error:(\d+)$")


def parse_mm(lines):
    """{run: {"tests": {num: (outcome, what, reason)}, "plan", "totals",
    "exit", "bail"}} from the prefixed kselftest output. Only top-level
    KTAP lines count: a nested test's lines and its "# Totals" are
    indented or prefixed with "# " once more and are left alone."""
    runs = {}
    for raw in lines:
        m = MM_LINE.match(raw.rstrip("\n"))
        if not m:
            continue
        run, line = m.groups()
        r = runs.setdefault(run, {"tests": {}, "plan": None, "totals": None,
                                  "exit": None, "bail": None, "context": ""})
        if line.startswith("exit "):
            r["exit"] = int(line.split()[1])
        elif line.startswith("Bail out!"):
            r["bail"] = line
        elif re.match(r"^1\.\.\d+", line):
            r["plan"] = int(line[3:].split()[0])
            if "# SKIP" in line:
                r["plan_skip"] = line.split("# SKIP", 1)[1].strip()
        elif KSFT_TOTALS.match(line):
            r["totals"] = tuple(int(x) for x in KSFT_TOTALS.match(line).groups())
        elif line.startswith("# [RUN] "):
            r["context"] = line[8:].strip()
        else:
            mm = re.match(r"^(ok|not ok) (\d+) ?(.*)$", line)
            if not mm:
                continue
            status, num, rest = mm.groups()
            desc, _, directive = rest.partition("# ")
            d = directive.strip()
            if d.upper().startswith("SKIP"):
                outcome, reason = "skip", d[4:].strip()
            elif d.upper().startswith("XFAIL"):
                outcome, reason = "pass", "xfail: " + d[5:].strip()
            elif d.lower().startswith("error"):
                outcome, reason = "fail", "error: " + d[5:].strip()
            else:
                outcome, reason = ("pass" if status == "ok" else "fail"), ""
            what = " / ".join(x for x in (r["context"], desc.strip()) if x)
            r["tests"][int(num)] = (outcome, what, reason)
    return runs


def mm_suite_results(runs, suite):
    """{key: (outcome, what, reason)} of every run of one suite, and the
    problems that make the suite incomplete."""
    tests, problems = {}, []
    mine = {k: v for k, v in runs.items() if k.split(":")[0] == suite}
    if not mine:
        return tests, ["did not run"]
    for run, r in sorted(mine.items()):
        for num, res in r["tests"].items():
            tests[f"{run}#{num}"] = res
        n = len(r["tests"])
        if r["bail"]:
            problems.append(f"{run}: {r['bail']}")
        if r["plan"] is None:
            problems.append(f"{run}: no plan")
        elif r["plan"] != n:
            problems.append(f"{run}: plan 1..{r['plan']} but {n} results")
        if r["exit"] is None:
            problems.append(f"{run}: no exit status")
        if r["totals"] is None:
            problems.append(f"{run}: no Totals line")
        else:
            p, f, xf, _xp, s, e = r["totals"]
            mine_counts = count(r["tests"].values())
            if (p + xf, f + e, s) != mine_counts:
                problems.append(f"{run}: Totals pass:{p + xf} fail:{f + e} skip:{s}"
                                f" but results {mine_counts}")
        fails = sum(1 for o, _w, _r in r["tests"].values() if o == "fail")
        if r["exit"] not in (None, 0, 4) and not fails and not r["bail"]:
            problems.append(f"{run}: exit {r['exit']} without a failed test")
    return tests, problems


def count(results):
    c = {"pass": 0, "fail": 0, "skip": 0}
    for res in results:
        c[res[0]] += 1
    return c["pass"], c["fail"], c["skip"]


# ------------------------------------------------------------------ checks
def compare(mine, base):
    """Differences of outcome between two {key: (outcome, ...)} maps, over
    the keys of the baseline (tests only one kernel has are listed too)."""
    diffs = []
    for k in sorted(set(mine) | set(base)):
        a, b = mine.get(k), base.get(k)
        if a is None or b is None:
            diffs.append(f"{k}: {'absent' if a is None else a[0]} here, "
                         f"{'absent' if b is None else b[0]} unpatched")
        elif a[0] != b[0] or (len(a) > 2 and a[1] != b[1]):
            diffs.append(f"{k}: {a[0]} here ({a[1]}), {b[0]} unpatched ({b[1]})")
    return diffs


def unexplained(suite, results):
    """The failures of @results not in EXPLAINED_FAILURES; the others are
    reported with their reason."""
    bad = []
    for k, r in sorted(results.items()):
        if r[0] != "fail":
            continue
        why = EXPLAINED_FAILURES.get((suite, k))
        if why:
            out("INFO", f"  explained failure {suite}/{k}: {why}")
        else:
            bad.append(k)
    return bad


def figures(results):
    p, f, s = count(results.values())
    return f"passed={p} failed={f} skipped={s}"


def print_skips(kernel, suite, results):
    reasons = {}
    for k, r in results.items():
        if r[0] == "skip":
            reason = r[-1] or "no reason given"
            reasons.setdefault(reason, []).append(k)
    for reason, keys in sorted(reasons.items(), key=lambda x: -len(x[1])):
        out("INFO", f"  {kernel}/{suite}: {len(keys)} skipped: {reason}"
            f" (e.g. {keys[0]})")


def load_log(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.readlines()
    except OSError:
        return None


def read_kernel(kernel, log, tree):
    lines = load_log(log)
    if lines is None:
        return None
    leaves, totals = parse_kunit(lines)
    return {
        "kernel": kernel,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "pgtable_seen": any(PGTABLE_LINE in ln for ln in lines),
        "pgtable_warnings": sum(1 for ln in lines if PGTABLE_WARN.search(ln)),
        "kunit": {k: list(v) for k, v in leaves.items()},
        "kunit_totals": {k: v for k, v in totals.items()},
        "kunit_cases": sorted(source_cases(tree)),
        "mm": parse_mm(lines),
        "finished": any(ln.startswith("hugepfn-init: done") for ln in lines),
    }


def check_kernel(k, data, base, glob, pgtable_control):
    ok = lambda c: "1" if c else "0"  # noqa: E731
    if not data["finished"]:
        out("CHECK", "0", f"{k}-regress/vm-finished", "(no 'hugepfn-init: done')")
    # CONFIG_DEBUG_VM_PGTABLE: it must have run; warnings only where
    # test-only/0001 breaks pmd_special().
    seen, warns = data["pgtable_seen"], data["pgtable_warnings"]
    want_warn = pgtable_control and k == "control"
    out("CHECK", ok(seen and (warns > 0) == want_warn), f"{k}/debug-vm-pgtable",
        f"ran={'yes' if seen else 'no'} warnings={warns}"
        + (" (expected: pmd_special() broken)" if want_warn else ""))
    table = {}

    # KUnit: the glob leaves out exactly the excluded cases, the rest ran.
    leaves = {n: tuple(v) for n, v in data["kunit"].items()}
    suites = kunit_suites(leaves)
    cases = set(data["kunit_cases"])
    left_out = sorted(c for c in cases if not fnmatch.fnmatchcase(c, glob.split(".", 1)[1]))
    ran_cases = {n.split(".")[1] for n in leaves}
    missing = sorted(cases - ran_cases - set(left_out))
    excluded = sorted(n.split(".")[1] for n in KUNIT_EXCLUDED)
    out("CHECK", ok(left_out == excluded and not missing and cases), f"{k}/kunit-filter",
        f"cases={len(cases)} ran={len(ran_cases)} left-out={','.join(left_out) or '-'}"
        + (f" missing={','.join(missing)}" if missing else ""))
    for name, why in KUNIT_EXCLUDED.items():
        out("INFO", f"  SKIP {k}/kunit/{name}: {why}")
    for suite in sorted(set(suites) | {s for s in (base or {}).get("kunit_suites", [])}):
        res = suites.get(suite, {})
        tot = data["kunit_totals"].get(suite)
        p, f, s = count(res.values())
        problems = []
        if not res:
            problems.append("did not run")
        elif tot is None or tuple(tot[:3]) != (p, f, s):
            problems.append(f"# Totals {tot} but leaves {(p, f, s)}")
        allowed = CONTROL_KUNIT_FAILS if (k == "control" and suite == SERIES_SUITE) else ()
        if allowed:
            failing = {n for n, r in res.items() if r[0] == "fail"}
            name = f"{k}/kunit/{suite}-catches-planted-mistakes"
            good = failing == set(allowed) and not problems
            extra = sorted(failing - set(allowed))
            missed = sorted(set(allowed) - failing)
            out("CHECK", ok(good), name, figures(res)
                + (f" not-caught={','.join(missed)}" if missed else "")
                + (f" unexpected={','.join(extra)}" if extra else "")
                + (" " + "; ".join(problems) if problems else ""))
        else:
            bad = unexplained(suite, res)
            diffs = []
            if base is not None and k != "unpatched" and suite != SERIES_SUITE:
                bsuite = {n: tuple(v) for n, v in base["kunit"].items()
                          if n.split(".", 1)[0] == suite}
                diffs = compare(res, bsuite)
            if base is None and k != "unpatched" and suite != SERIES_SUITE:
                problems.append("no unpatched baseline")
            out("CHECK", ok(not bad and not diffs and not problems), f"{k}/kunit/{suite}",
                figures(res)
                + (" =unpatched" if base is not None and k != "unpatched"
                   and suite != SERIES_SUITE and not diffs else "")
                + (f" failed: {','.join(bad[:3])}" if bad else "")
                + (f" differs from unpatched: {'; '.join(diffs[:3])}" if diffs else "")
                + (" " + "; ".join(problems) if problems else ""))
        print_skips(k, f"kunit/{suite}", res)
        table[f"kunit/{suite}"] = (p, f, s)

    # The mm selftests.
    for suite in MM_SUITES:
        res, problems = mm_suite_results(data["mm"], suite)
        bad = unexplained(suite, res)
        diffs = []
        if base is not None and k != "unpatched":
            bres, _ = mm_suite_results(base["mm"], suite)
            diffs = compare(res, bres)
        elif k != "unpatched":
            problems.append("no unpatched baseline")
        out("CHECK", ok(not bad and not diffs and not problems), f"{k}/mm/{suite}",
            figures(res)
            + (" =unpatched" if base is not None and k != "unpatched" and not diffs else "")
            + (f" failed: {'; '.join(res[b][1] + ' ' + b for b in bad[:3])}" if bad else "")
            + (f" differs from unpatched: {'; '.join(diffs[:3])}" if diffs else "")
            + (" " + "; ".join(problems) if problems else ""))
        for b in bad:
            out("INFO", f"  FAIL {k}/mm/{suite} {b}: {res[b][1]} {res[b][2]}")
        for d in diffs:
            out("INFO", f"  DIFFER {k}/mm/{suite} {d}")
        print_skips(k, f"mm/{suite}", res)
        table[f"mm/{suite}"] = count(res.values())
    return table


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel", action="append", default=[], metavar="NAME=LOG",
                    help="a kernel of this run and the log of its regress boot")
    ap.add_argument("--trees", required=True, help="directory of the build trees")
    ap.add_argument("--results", required=True, help="where each kernel's outcomes are kept")
    ap.add_argument("--glob", required=True, help="the kunit.filter_glob of the boots")
    ap.add_argument("--pgtable-control", action="store_true",
                    help="the control kernel breaks pmd_special() (test-only/0001)")
    args = ap.parse_args()
    os.makedirs(args.results, exist_ok=True)
    data = {}
    for kv in args.kernel:
        k, _, log = kv.partition("=")
        d = read_kernel(k, log, os.path.join(args.trees, k))
        if d is None:
            out("CHECK", "0", f"{k}/regress", f"(no log {log})")
            continue
        d["kunit_suites"] = sorted(kunit_suites(d["kunit"]))
        data[k] = d
        with open(os.path.join(args.results, f"regress-{k}.json"), "w") as f:
            json.dump(d, f, indent=1, sort_keys=True)
    base = data.get("unpatched")
    if base is None:
        try:
            with open(os.path.join(args.results, "regress-unpatched.json")) as f:
                base = json.load(f)
            out("INFO", f"baseline: the unpatched kernel's run of {base['date']}")
        except (OSError, ValueError):
            base = None
    tables = {}
    for k, d in data.items():
        tables[k] = check_kernel(k, d, base, args.glob, args.pgtable_control)
    # One table per suite and kernel, for kernel/README.md.
    kernels = [k for k in ("patched", "control", "unpatched") if k in tables]
    rows = sorted({s for t in tables.values() for s in t})
    out("INFO", "")
    out("INFO", "| suite | " + " | ".join(f"{k} (passed/failed/skipped)" for k in kernels) + " |")
    out("INFO", "|---|" + "---|" * len(kernels))
    for s in rows:
        cells = ["/".join(str(x) for x in tables[k][s]) if s in tables[k] else "-"
                 for k in kernels]
        out("INFO", f"| {s} | " + " | ".join(cells) + " |")
    for k, d in data.items():
        out("INFO", f"| debug_vm_pgtable on {k} | ran={'yes' if d['pgtable_seen'] else 'no'},"
            f" warnings={d['pgtable_warnings']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
