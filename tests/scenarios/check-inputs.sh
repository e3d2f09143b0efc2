#!/bin/sh
# Scripts from standard input and from -c, and what a failed expectation prints.
hugepfn=$1
fail=0
printf 'process p\nanon a p 4K\ntouch a\nexpect faults p == 1\n' | "$hugepfn" run - >/dev/null ||
	{ echo "FAIL: a script on standard input"; fail=1; }
"$hugepfn" run -c 'process p' -c 'anon a p 8K' -c 'touch a' -c 'expect faults p pte == 2' >/dev/null ||
	{ echo "FAIL: a script given with -c"; fail=1; }
out=$("$hugepfn" run -c 'process p' -c 'anon a p 4K' -c 'touch a' -c 'expect faults p == 3')
rc=$?
case "$out" in
*"-c:4: expectation failed under special: faults p == 3 -- actual 1"*) ;;
*) echo "FAIL: failed expectation message: $out"; fail=1 ;;
esac
[ "$rc" = 1 ] || { echo "FAIL: a failed expectation exits $rc, not 1"; fail=1; }
"$hugepfn" run >/dev/null 2>&1; [ $? = 2 ] || { echo "FAIL: run without a script"; fail=1; }
"$hugepfn" frobnicate >/dev/null 2>&1; [ $? = 2 ] || { echo "FAIL: unknown command"; fail=1; }
"$hugepfn" run --policy strict x.hp >/dev/null 2>&1; [ $? = 2 ] || { echo "FAIL: bad policy"; fail=1; }
"$hugepfn" run /nonexistent.hp >/dev/null 2>&1; [ $? = 2 ] || { echo "FAIL: missing file"; fail=1; }
[ "$fail" = 0 ] && echo "inputs: standard input, -c, failure messages and exit codes as documented"
exit $fail
