#!/usr/bin/python3
"""The README says what the build does: its demo output is what `hugepfn demo`
prints, the figures of its prose are those of the table beside them, and its
list of build dependencies is the Makefile's."""
import os
import re
import subprocess
import sys

hugepfn, root = (os.path.abspath(a) for a in sys.argv[1:3])
readme = open(f"{root}/README.md").read()
failures = []

# The demo, run from the source tree as `make run` runs it.
run = subprocess.run([hugepfn, "demo"], cwd=root, capture_output=True, text=True)
if run.returncode != 0:
    failures.append(f"hugepfn demo exits {run.returncode}: {run.stderr[:300]}")
blocks = [b for b in re.findall(r"^```[a-z]*\n(.*?)^```$", readme, re.S | re.M)
          if b.startswith("scenarios/seed-thread.hp, under each design")]
if len(blocks) != 1:
    failures.append(f"{len(blocks)} demo blocks in the README, not 1")
elif blocks[0] != run.stdout:
    failures.append("the README's demo block is not what hugepfn demo prints:\n" + run.stdout)
else:
    # Prose beside the table: "takes N faults for what the others map with M".
    table = blocks[0]
    faults = re.search(r"^faults +(\d+) +(\d+) +(\d+) +(\d+)$", table, re.M)
    section = readme[readme.index("## Reading the demo"):readme.index("## The tour")]
    prose = section.split("```")[2]
    claims = re.findall(r"(\d+) faults for what the others map with (\d+)", prose)
    if not claims:
        failures.append("the demo's prose gives no fault figures")
    for n, m in claims:
        if (n, m) != (faults.group(1), faults.group(4)):
            failures.append(f"prose: {n} faults against {m}; the table: "
                            f"{faults.group(1)} (none) against {faults.group(4)} (special)")

# Performance: each fault count its prose gives is one its tables show.
perf = readme[readme.index("## Performance"):readme.index("## Linux kernel patch")]
parts = re.split(r"^```[a-z]*$", perf, flags=re.M)
shown = set(re.findall(r"\b\d+\b", "\n".join(parts[1::2])))
for m in re.finditer(r"\b(\d[\d,]*) faults", "".join(parts[0::2])):
    if m.group(1).replace(",", "") not in shown:
        failures.append(f"Performance prose: '{m.group(0)}' is in none of its tables")

# The build dependencies the README names are the Makefile's MESON_DEPS.
makefile = open(f"{root}/Makefile").read()
deps = re.search(r"^MESON_DEPS := (.*)$", makefile, re.M).group(1).split()
named = re.search(r"build dependencies —\n?`([^`]*)`", readme)
if not named or named.group(1).split() != deps:
    failures.append(f"README dependencies {named.group(1).split() if named else None}, "
                    f"Makefile {deps}")

for f in failures:
    print("FAIL", f)
if not failures:
    print("README: demo output, its figures and the dependency list as the build has them")
sys.exit(1 if failures else 0)
