#!/usr/bin/python3
"""hugepfn --json: every document a run prints validates against the schema,
and says what the run did (four runs for compare, the plain one with violations)."""
import json
import subprocess
import sys

import jsonschema

hugepfn, schema_file, scenario = sys.argv[1:4]
schema = json.load(open(schema_file))
out = subprocess.run([hugepfn, "compare", "--json", scenario], capture_output=True, text=True)
docs = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
for doc in docs:
    jsonschema.validate(doc, schema)
assert [d["policy"] for d in docs] == ["none", "plain", "devmap", "special"], docs
plain = docs[1]
assert plain["violations"]["count"] > 0 and plain["violations"]["expected"], plain
assert plain["violations"]["first"]["what"] == "reference on a pfn with no struct page", plain
assert len(plain["violations"]["list"]) == plain["violations"]["count"], plain
assert plain["violations"]["list"][0] == plain["violations"]["first"], plain
assert docs[3]["violations"]["count"] == 0 and docs[3]["status"] == "pass", docs[3]
assert out.returncode == 0, out.stderr
run = subprocess.run([hugepfn, "run", "--json", "-c", "process p", "-c", "anon a p 4K",
                      "-c", "touch a", "-c", "expect faults p == 2"], capture_output=True, text=True)
doc = json.loads(run.stdout)
jsonschema.validate(doc, schema)
assert doc["status"] == "fail" and doc["expectations"] == {"passed": 0, "failed": 1}, doc
assert doc["failed_expectations"] == [{"line": 4, "key": "faults p", "op": "==",
                                       "expected": "2", "actual": "1"}], doc
assert "error" not in doc and "shown" not in doc, doc
assert run.returncode == 1
# A run that stops says why; what show printed is in the document.
run = subprocess.run([hugepfn, "run", "--json", "-c", "process p", "-c", "anon a p 4K prot=r",
                      "-c", "show stats p", "-c", "touch a"], capture_output=True, text=True)
doc = json.loads(run.stdout)
jsonschema.validate(doc, schema)
assert doc["status"] == "error" and doc["error"] == "touch failed: SIGSEGV", doc
assert doc["shown"].startswith("stats p: faults 0"), doc
assert run.returncode == 3
# Every violation is listed, not a first few: 100 refused pins under plain.
cmds = ["process p", "bar dev p 2M", "touch dev 0 4K"]
for i in range(100):
    cmds += [f"gup g{i} dev 0 1 fast pin", "expect result == -EFAULT"]
cmds.append("expect violations == 100")
run = subprocess.run([hugepfn, "run", "--json", "--policy", "plain"] +
                     [a for c in cmds for a in ("-c", c)], capture_output=True, text=True)
doc = json.loads(run.stdout)
jsonschema.validate(doc, schema)
assert doc["status"] == "pass" and doc["violations"]["count"] == 100, doc
assert len(doc["violations"]["list"]) == 100, len(doc["violations"]["list"])
assert all(v == doc["violations"]["first"] for v in doc["violations"]["list"]), doc
assert run.returncode == 0, run.stderr
print(f"{len(docs) + 3} JSON documents valid against {schema_file}")
