#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The differential oracle: the model's trace of every scenario against the
Linux backend's trace of the same scenario from a QEMU boot.

The guest's /init ran `hpscen` over every scenario (kernel/tests/init); its
trace lines are in the boot's log, prefixed "hpdiff: ".  For each kernel and
scenario this runs `hugepfn run --trace --policy P` on the model (P: see
model_policy()), compares every line both traces have (a command's result, an
expectation's key), and prints per scenario what was equal and what
differed, then

    differential: N observables equal, M differ, K accepted

A difference is accepted when a row of the deviations table in
docs/architecture.md names it: "(differential: SCENARIO KEY)" in the row.
Any other difference fails the run (exit 1), printed with the kernel, the
scenario's line, the key and both values.  A scenario the backend could not
run (a skip line) is reported as skipped with its reason, never as passed;
what it compared before the skip still counts.
"""
import argparse
import os
import re
import subprocess
import sys

# The model policy each kernel stands for.  6.12's vfio-pci maps special
# PMDs and PUDs with or without the TTM series, so for anonymous memory,
# BARs and gup both kernels are the model's `special`.  TTM maps BOs with
# huge special entries only with the series: on the unpatched kernel a
# scenario with BOs is the model's `none` (4 KiB PTEs only), and one that
# has BARs as well fits no single policy of the model (none would take the
# BARs' huge entries too), so it is reported as skipped there.
def model_policy(kernel, path):
    """(policy, None) for this kernel and scenario, or (None, why not)."""
    if kernel != "unpatched":
        return "special", None
    cmds = set()
    with open(path) as f:
        for text in f:
            words = text.split("#")[0].split()
            if words:
                cmds.add(words[0])
    if not cmds & {"bo", "bomap"}:
        return "special", None
    if "bar" in cmds:
        return None, "BOs (none without the series) and BARs (special) in one scenario"
    return "none", None


TRACE = re.compile(r"^(step|expect|skip|stop|end|begin)\b ?(.*)$")


def parse_trace(lines):
    """{(kind, line): (key, value, text)} plus skip/stop/end of one trace."""
    obs, skip, stop, end = {}, None, None, False
    for text in lines:
        m = TRACE.match(text)
        if not m:
            continue
        kind, rest = m.groups()
        if kind == "end":
            end = True
        elif kind == "skip":
            skip = rest
        elif kind == "stop":
            stop = rest
        elif kind == "step":
            line, cmd, value = (rest.split(" ", 2) + ["", ""])[:3]
            if value.startswith("unobservable: "):
                obs[("step", int(line))] = (cmd, None, value[len("unobservable: "):])
            else:
                obs[("step", int(line))] = (cmd, value, rest)
        elif kind == "expect":
            line, _, tail = rest.partition(" ")
            if " unobservable: " in tail:
                key, _, why = tail.partition(" unobservable: ")
                obs[("expect", int(line))] = (key, None, why)
            else:
                key, _, value = tail.rpartition(" = ")
                obs[("expect", int(line))] = (key, value, rest)
    return obs, skip, stop, end


def guest_traces(log):
    """{scenario path relative to /scen: [trace lines]} from one boot log."""
    traces, cur = {}, None
    with open(log, errors="replace") as f:
        for raw in f:
            if not raw.startswith("hpdiff: "):
                continue
            text = raw[len("hpdiff: "):].rstrip("\n")
            if text.startswith("begin "):
                cur = text[len("begin "):].removeprefix("/scen/")
                traces[cur] = []
            elif cur is not None:
                traces[cur].append(text)
    return traces


def host_path(root, rel):
    """/scen/scenarios/X.hp is scenarios/X.hp; /scen/differential/X.hp is tests/differential/X.hp."""
    top, _, name = rel.partition("/")
    return os.path.join(root, "scenarios" if top == "scenarios" else "tests/differential", name)


def accepted_rows(root):
    """{(scenario, key)} named by the deviations table."""
    acc = set()
    with open(os.path.join(root, "docs/architecture.md")) as f:
        for row in f:
            if row.startswith("|"):
                for scen, key in re.findall(r"differential: `?([\w.-]+\.hp)`? `?([\w-]+)`?", row):
                    acc.add((scen, key))
    return acc


def same(cmd_of_line, line, mv, kv, fixed_mremap):
    """Is the model's value mv the kernel's kv?  Only the documented normalisations."""
    if mv == kv:
        return True
    cmd = cmd_of_line.get(line)
    # mremap returns an address: equal when both succeeded, unless fixed= named it.
    if cmd == "mremap" and not fixed_mremap.get(line):
        return not mv.startswith("-") and not kv.startswith("-")
    return False


def compare(root, model, kernel, rel, ktrace, accepted, verbose):
    path = host_path(root, rel)
    name = os.path.basename(path)
    policy, why = model_policy(kernel, path)
    if policy is None:
        print(f"{kernel:9} {rel:45} skipped (no model policy: {why})")
        return 0, 0, 0, 0, True
    res = subprocess.run([model, "run", "--trace", "--policy", policy, path],
                         capture_output=True, text=True)
    mobs, _, mstop, mend = parse_trace(res.stdout.splitlines())
    kobs, kskip, kstop, kend = parse_trace(ktrace)
    # Which command each line is, and the command an `expect result` refers to.
    cmd_of_line, fixed_mremap, last_cmd = {}, {}, None
    with open(path) as f:
        for n, text in enumerate(f, 1):
            words = text.split("#")[0].split()
            if not words:
                continue
            if words[0] == "expect":
                if len(words) > 1 and words[1] == "result":
                    cmd_of_line[n] = last_cmd
                    fixed_mremap[n] = fixed_mremap.get(-1, False)
                continue
            last_cmd = words[0]
            cmd_of_line[n] = words[0]
            fixed_mremap[n] = fixed_mremap[-1] = any(w.startswith("fixed=") for w in words)
    equal = differ = acc = unobs = 0
    lines = []
    for k in sorted(set(mobs) & set(kobs), key=lambda k: (k[1], k[0])):
        mkey, mv, _ = mobs[k]
        kkey, kv, kwhy = kobs[k]
        if kv is None:
            unobs += 1
            continue
        if same(cmd_of_line, k[1], mv, kv, fixed_mremap):
            equal += 1
            continue
        word = mkey.split()[0]
        tag = "ACCEPTED" if (name, word) in accepted else "DIFFER"
        if tag == "ACCEPTED":
            acc += 1
        else:
            differ += 1
        lines.append(f"  {tag} {kernel} {name}:{k[1]} {k[0]} {mkey}: model {mv}, kernel {kv}")
    # How each side ended.
    if kskip:
        status = f"skipped ({kskip})"
    elif (mend, mstop) != (kend, kstop) and not (mstop and kstop and
                                                 mstop.split(":")[0] == kstop.split(":")[0]):
        differ += 1
        status = "differ"
        lines.append(f"  DIFFER {kernel} {name}: run ended: model "
                     f"{'end' if mend else 'stop ' + str(mstop)}, kernel "
                     f"{'end' if kend else 'stop ' + str(kstop)}")
    else:
        status = "differ" if differ else "equal"
    print(f"{kernel:9} {rel:45} {status}: {equal} equal, {differ} differ, {acc} accepted, "
          f"{unobs} unobservable")
    for text in lines:
        print(text)
    return equal, differ, acc, unobs, bool(kskip)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", required=True, help="the hugepfn tree")
    ap.add_argument("--model", required=True, help="the hugepfn command")
    ap.add_argument("--log", action="append", default=[], metavar="KERNEL=QEMU_LOG")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    accepted = accepted_rows(a.root)
    tot = [0, 0, 0, 0]
    skipped = ran = 0
    for spec in a.log:
        kernel, _, log = spec.partition("=")
        traces = guest_traces(log)
        if not traces:
            print(f"{kernel}: no differential trace in {log}")
            tot[1] += 1
            continue
        for rel in sorted(traces):
            e, d, k, u, s = compare(a.root, a.model, kernel, rel, traces[rel], accepted, a.verbose)
            for i, v in enumerate((e, d, k, u)):
                tot[i] += v
            skipped += s
            ran += 1
    print(f"{ran} scenario runs, {skipped} skipped (reasons above), {tot[3]} observables "
          f"unobservable on Linux")
    print(f"differential: {tot[0]} observables equal, {tot[1]} differ, {tot[2]} accepted")
    return 1 if tot[1] or not ran else 0


if __name__ == "__main__":
    sys.exit(main())
