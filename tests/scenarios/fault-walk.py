#!/usr/bin/python3
"""Fault injection over the shipped scenarios: for every allocation site, make
the 1st, 2nd, ... call fail, until a run no longer reaches the Nth call.  Every
run must end in success, a failed expectation or a clear script error (exit 0,
1 or 2, never a crash), with nothing leaked and no violation it did not expect.
"""
import json
import subprocess
import sys

hugepfn, scenario_dir = sys.argv[1:3]
scenarios = sys.argv[3:]
sites = ["pgtable", "page", "thp", "buddy", "bo"]
runs = 0
failures = []
for name in scenarios:
    path = f"{scenario_dir}/{name}.hp"
    for site in sites:
        n = 1
        while True:
            p = subprocess.run([hugepfn, "run", "--json", "--fail", f"{site}:{n}", path],
                               capture_output=True, text=True)
            runs += 1
            where = f"{name} {site}:{n}"
            if p.returncode not in (0, 1, 3):
                failures.append(f"{where}: exit {p.returncode}: {p.stderr.strip()[:200]}")
                break
            doc = json.loads(p.stdout.splitlines()[-1])
            if doc["leaks"]["pages"] or doc["leaks"]["pgmap_refs"]:
                failures.append(f"{where}: leaked {doc['leaks']}")
            if doc["violations"]["count"] and not doc["violations"]["expected"]:
                failures.append(f"{where}: violation {doc['violations']}")
            if p.returncode == 3 and ":" not in p.stderr:
                failures.append(f"{where}: exit 3 without a file:line message")
            if not doc["fault_injection"]["fired"]:
                break
            n += 1
for f in failures:
    print("FAIL", f)
print(f"fault injection: {runs} runs over {len(scenarios)} scenarios and {len(sites)} sites, "
      f"{len(failures)} problems")
sys.exit(1 if failures else 0)
