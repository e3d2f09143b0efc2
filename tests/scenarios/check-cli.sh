#!/bin/sh
# The command line as the man page tells it: --version, --help of each command
# with its own options, refused options named as typed, hugepfn bench (run
# through hugepfn, as users run it), the exit codes of EXIT STATUS, and what
# compare prints: columns apart, verdicts that claim only what ran.
hugepfn=$1
version=$2
man=$3
fail=0
t=${TMPDIR:-/tmp}/hugepfn-cli.$$
mkdir -p "$t"
bad() { echo "FAIL: $*"; fail=1; }
# run WANT_RC CMD...: CMD's standard output in $t/out, standard error in $t/err.
run() {
	want=$1
	shift
	"$@" >"$t/out" 2>"$t/err"
	rc=$?
	[ "$rc" = "$want" ] || bad "'$*' exits $rc, not $want: $(head -c 200 "$t/err")"
}
# says FILE TEXT WHAT: FILE holds TEXT.
says() { grep -qF -- "$2" "$1" || bad "$3: no '$2' in: $(head -c 300 "$1")"; }
lacks() { ! grep -qF -- "$2" "$1" || bad "$3: '$2' in: $(head -c 300 "$1")"; }

run 0 "$hugepfn" --version
[ "$(cat "$t/out")" = "hugepfn $version" ] || bad "--version prints '$(cat "$t/out")'"
run 0 "$hugepfn" --help
for sub in run compare demo tour gup bench; do
	says "$t/out" "hugepfn $sub " "hugepfn --help lists $sub"
done
# Each command's --help: its usage, and its options, not the others'.
# Fields: command, options it lists, options it must not list.
while read -r sub has hasnt; do
	run 0 "$hugepfn" "$sub" --help
	head -n 1 "$t/out" | grep -q "^usage: hugepfn $sub" || bad "$sub --help: $(head -n 1 "$t/out")"
	for o in $(echo "$has" | tr , ' '); do says "$t/out" "$o" "$sub --help"; done
	for o in $(echo "$hasnt" | tr , ' '); do lacks "$t/out" "$o " "$sub --help"; done
done <<EOF
run --json,--trace,--policy,--fail,--cmd --size
compare --json,--cmd --policy,--size,--fail,--trace
demo --json --policy,--size,--cmd,--fail
tour --policy,--size,--fail --json,--cmd,--trace
gup --policy --json,--size,--cmd,--fail
EOF
# An option a command does not take is refused by the name the user typed.
run 2 "$hugepfn" tour --json
says "$t/err" "option --json does not apply to tour" "tour --json"
run 2 "$hugepfn" tour -j
says "$t/err" "option -j does not apply to tour" "tour -j"
run 2 "$hugepfn" gup --size 2M
says "$t/err" "option --size does not apply to gup" "gup --size"
run 2 "$hugepfn" compare --policy plain x.hp
says "$t/err" "option --policy does not apply to compare" "compare --policy"
run 2 "$hugepfn" run --sizee 1 x.hp
says "$t/err" "unknown option '--sizee'" "run --sizee"
run 2 "$hugepfn" tour --size 3G
says "$t/err" "--size '3G' must be a multiple of 2 MiB, at most 2 GiB" "tour --size 3G"
run 2 "$hugepfn" tour --size 1Gx
says "$t/err" "--size '1Gx'" "tour --size 1Gx"
# A tour step that fails says so, and is not reported as done: the second
# VRAM allocation (BO 4's validation into VRAM) fails.
run 1 "$hugepfn" tour --size 4M --fail buddy:2
says "$t/out" "validated into VRAM failed: Cannot allocate memory; the BO stays in system memory" \
	"tour, failed validation"
lacks "$t/out" "validated into VRAM: now in" "tour, failed validation"
says "$t/out" "after exit: 0 pages and 0 pagemap references not returned" "tour, failed validation"
# hugepfn bench: help, groups, and usage errors (2) apart from failures (1).
run 0 "$hugepfn" bench --help
says "$t/out" "usage: hugepfn-bench" "bench --help"
says "$t/out" "--only" "bench --help"
run 0 "$hugepfn" bench --list
says "$t/out" "scale " "bench --list"
run 2 "$hugepfn" bench --size 1Gx
says "$t/err" "--size must be a multiple of 1G" "bench --size 1Gx"
run 2 "$hugepfn" bench --size 1536M
run 2 "$hugepfn" bench --reps 0
says "$t/err" "--reps must be between 1 and 16" "bench --reps 0"
run 2 "$hugepfn" bench --only nosuch
says "$t/err" "no group 'nosuch'" "bench --only nosuch"
run 2 "$hugepfn" bench --frobnicate
run 2 "$hugepfn" bench extra
# EXIT STATUS of the man page, and the codes the runs give.
exits=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$man" | tr '\n' ' ')
for phrase in "0 when every expectation was met" "; 1 otherwise" \
	"2 for a usage error or a malformed script" "3 when a run stopped because a command failed" \
	"0 when every benchmark ran, 1 when one failed, 2 for a usage error"; do
	case "$exits" in *"$phrase"*) ;; *) bad "the man page's EXIT STATUS lacks '$phrase'" ;; esac
done
run 0 "$hugepfn" run -c 'process p' -c 'anon a p 4K' -c 'touch a' -c 'expect faults p == 1'
run 1 "$hugepfn" run -c 'process p' -c 'anon a p 4K' -c 'touch a' -c 'expect faults p == 2'
run 2 "$hugepfn" run -c 'process p' -c 'anon a p 4K' -c 'touch b'
run 3 "$hugepfn" run -c 'process p' -c 'anon a p 4K prot=r' -c 'touch a 0 4K write'
run 2 "$hugepfn" compare -c 'process p' -c 'anon a p 4K' -c 'touch b'
run 3 "$hugepfn" compare -c 'process p' -c 'anon a p 4K prot=r' -c 'touch a 0 4K write'
# compare: every cell starts where its column's heading does, after a blank.
long=pppppppppppppppppppppppppppppp
run 0 "$hugepfn" compare -c "process $long" -c "bar bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb $long 2M" \
	-c 'touch bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' \
	-c "gup gggggggggggggggggggggggggggggg bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 0 1 fast pin" \
	-c 'expect result == -EFAULT' -c 'expect violations == 1 policy=plain'
awk '/^ +none +plain +devmap +special$/ {
		split("none plain devmap special", name, " ")
		for (p = 1; p <= 4; p++) col[p] = index($0, " " name[p] " ") + 1
		col[4] = index($0, " special") + 1
		head = 1; next }
	head && NF == 0 { exit }
	head { for (p = 1; p <= 4; p++)
		if (substr($0, col[p] - 1, 1) != " " || substr($0, col[p], 1) == " ") {
			print "row runs into column " p ": " $0; bad = 1 } }
	END { exit bad || !head }' "$t/out" >"$t/cols" || bad "compare columns: $(cat "$t/cols")"
says "$t/out" "gup gggggggggggggggggggggggggggggg (fast pin)" "compare names the GUP row"
says "$t/out" "special  safe: 1 huge entry, GUP took nothing that is not pinnable." "verdict after a GUP"
# Without a GUP no verdict claims what GUP did.
run 0 "$hugepfn" compare -c 'process p' -c 'bar b p 2M' -c 'touch b'
says "$t/out" "special  safe: 1 huge entry, and no GUP ran to try them." "verdict without a GUP"
lacks "$t/out" "GUP took" "verdict without a GUP"
lacks "$t/out" "UNSAFE" "verdict without a GUP"
rm -rf "$t"
[ "$fail" = 0 ] && echo "command line: --version, --help, options, bench, exit codes and compare as documented"
exit $fail
