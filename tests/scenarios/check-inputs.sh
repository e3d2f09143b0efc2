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
"$hugepfn" run -c 'process p' -c 'anon a p 4K prot=r' -c 'touch a' >/dev/null 2>&1
[ $? = 3 ] || { echo "FAIL: a failed command exits 3"; fail=1; }
# show has no result of its own: after a failure checked by expect result it
# neither fails nor resets result.
"$hugepfn" run -c 'process p' -c 'anon a p 4K prot=r' -c 'touch a 0 4K write' \
	-c 'expect result == SIGSEGV' -c 'show map a' -c 'show stats p' -c 'expect result == SIGSEGV' \
	>/dev/null 2>&1
[ $? = 0 ] || { echo "FAIL: show after an expected failure"; fail=1; }
# Input that is not a script: a clear message, exit 2, a bounded message.
t=${TMPDIR:-/tmp}/hugepfn-inputs.$$
mkdir -p "$t"
head -c 64 /dev/zero >"$t/zeros.hp"
printf 'process p\nanon \033[31mred p 4K\n' >"$t/escape.hp"
awk 'BEGIN { printf "process "; for (i = 0; i < 200000; i++) printf "a"; print "" }' >"$t/long.hp"
expect_error() { # file, wanted start of the message
	err=$("$hugepfn" run "$1" 2>&1 >/dev/null)
	rc=$?
	case "$err" in
	"$2"*) ;;
	*) echo "FAIL: $1: '$err' does not start with '$2'"; fail=1 ;;
	esac
	[ "$rc" = 2 ] || { echo "FAIL: $1 exits $rc, not 2"; fail=1; }
	[ ${#err} -le 300 ] || { echo "FAIL: $1: a message of ${#err} bytes"; fail=1; }
}
expect_error "$t" "$t:0: cannot read the script: Is a directory"
expect_error "$t/zeros.hp" "$t/zeros.hp:1: a NUL byte at column 1"
expect_error "$t/escape.hp" "$t/escape.hp:2: byte 0x1b at column 6"
expect_error "$t/long.hp" "$t/long.hp:1: 'aaaa"
# Garbage on standard input: the same, with '-' for the file.
printf '\177ELF\002\001\001\000\000' >"$t/elf"
printf 'process p\n\377\376garbage\n' >"$t/high"
awk 'BEGIN { for (i = 0; i < 3000000; i++) printf "x"; print "" }' >"$t/longline"
for input in "elf:-:1: byte 0x02 at column 5: a script is text" \
	"high:-:2: unknown command '\\xff\\xfegarbage'" "longline:-:1: unknown command 'xxxx"; do
	err=$("$hugepfn" run - <"$t/${input%%:*}" 2>&1 >/dev/null)
	rc=$?
	case "$err" in
	"${input#*:}"*) ;;
	*) echo "FAIL: ${input%%:*} on standard input: '$(printf '%.200s' "$err")'"; fail=1 ;;
	esac
	[ "$rc" = 2 ] || { echo "FAIL: ${input%%:*} on standard input exits $rc, not 2"; fail=1; }
	[ ${#err} -le 300 ] || { echo "FAIL: ${input%%:*}: a message of ${#err} bytes"; fail=1; }
done
# show map gives the rights as the CPU sees them: PROT_NONE is ---, NX shows.
out=$("$hugepfn" run -c 'process p' -c 'anon a p 12K' -c 'touch a' -c 'mprotect a 0 4K none' \
	-c 'mprotect a 4K 4K rx' -c 'show map a')
case "$out" in
*"pte  normal   pfn 0x"*"---  x1"*"r-x  x1"*"rw-  x1"*) ;;
*) echo "FAIL: show map rights: $out"; fail=1 ;;
esac
# No fixed caps: 300 objects of each kind, every GUP in the report.
awk 'BEGIN { print "machine vram=64M"; print "process p"; print "anon heap p 4M"
	for (i = 0; i < 300; i++) { print "process q" i; print "anon m" i " p 4K"; print "bo b" i " 4K system" }
	for (i = 0; i < 300; i++) print "gup g" i " heap 0 1 fast get"
	print "expect gup g299 == 1" }' >"$t/many.hp"
n=$("$hugepfn" run --json "$t/many.hp" | grep -o '"name":"g[0-9]*"' | wc -l)
[ "$n" = 300 ] || { echo "FAIL: 300 objects of each kind: $n GUPs reported"; fail=1; }
n=$("$hugepfn" compare "$t/many.hp" | grep -c '^gup g[0-9]* (fast get)')
[ "$n" = 300 ] || { echo "FAIL: compare of 300 GUPs shows $n rows"; fail=1; }
# The issue's size: 100,000 BOs, mappings and GUPs in one script, all reported.
awk 'BEGIN { print "machine vram=64M"; print "process p"; print "anon heap p 4M"
	for (i = 0; i < 100000; i++) print "bo b" i " 4K system"
	for (i = 0; i < 100000; i++) print "anon m" i " p 4K"
	for (i = 0; i < 100000; i++) print "gup g" i " heap 0 1 fast get"
	print "expect gup g99999 == 1" }' >"$t/100k.hp"
n=$("$hugepfn" run --json "$t/100k.hp" | grep -o '"name":"g[0-9]*"' | wc -l)
[ "$n" = 100000 ] || { echo "FAIL: 100,000 objects of each kind: $n GUPs reported"; fail=1; }
rm -rf "$t"
[ "$fail" = 0 ] && echo "inputs: standard input, -c, failure messages and exit codes as documented"
exit $fail
