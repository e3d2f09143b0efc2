#!/bin/sh
# Every script in the bad/ folder states on its first line the error it must
# produce: "# error: LINE: text" for mistakes found before anything runs (the
# run must print nothing), "# runtime-error: LINE: text" for impossible
# requests found while running.  Each must exit with that file:line: message
# first on standard error: 2 for a malformed script, 3 for a run that stopped.
# A malformed script gets that one line and nothing more.
hugepfn=$1
dir=$2
passed=0
failed=0
for f in "$dir"/*.hp; do
	want=$(head -n 1 "$f" | sed -n 's/^# error: //p')
	static=1
	if [ -z "$want" ]; then
		want=$(head -n 1 "$f" | sed -n 's/^# runtime-error: //p')
		static=0
	fi
	line=${want%%:*}
	text=${want#*: }
	out=$("$hugepfn" run "$f" 2>/tmp/hugepfn-err.$$)
	rc=$?
	err=$(head -n 1 /tmp/hugepfn-err.$$)
	lines=$(wc -l </tmp/hugepfn-err.$$)
	case "$err" in
	"$f:$line: $text"*) ok=1 ;;
	*) ok=0 ;;
	esac
	want_rc=$((3 - static))
	if [ "$rc" = "$want_rc" ] && [ "$ok" = 1 ] &&
		{ [ "$static" = 0 ] || { [ -z "$out" ] && [ "$lines" = 1 ]; }; }; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $f: exit $rc, stderr '$err', wanted '$f:$line: $text...'"
		[ -n "$out" ] && echo "     and it printed: $out"
		[ "$static" = 1 ] && [ "$lines" != 1 ] && echo "     and $lines lines on standard error"
	fi
done
rm -f /tmp/hugepfn-err.$$
echo "malformed scripts: $passed rejected as expected, $failed not"
[ "$failed" = 0 ] && [ "$passed" -ge 20 ]
