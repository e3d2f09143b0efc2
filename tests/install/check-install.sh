#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the build into a temporary directory (meson install --destdir) and
# checks what a user gets there: the files, no path of the build inside them,
# a library exporting its headers' names only, headers that compile alone as
# C11 and C++17, an out-of-tree program built with nothing but pkg-config (C
# and C++), and the installed command finding its scenarios and hugepfn-bench.
#
# usage: check-install.sh MESON PKG_CONFIG BUILD_ROOT SOURCE_ROOT PREFIX LIBDIR
#                         INCLUDEDIR BINDIR DATADIR MANDIR CC CXX SANITIZE SOVERSION
# (the directories absolute, as installed without DESTDIR; CXX empty if none)
set -u
meson=$1 pkgconfig=$2 build=$3 source=$4 prefix=$5 libdir=$6 includedir=$7 bindir=$8
datadir=$9
shift 9
mandir=$1 cc=$2 cxx=$3 sanitize=$4 soversion=$5

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
failed=0
fail() {
	echo "FAIL: $*" >&2
	failed=1
}

"$meson" install -C "$build" --no-rebuild --quiet --destdir "$dest" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log" >&2; echo "FAIL: meson install" >&2; exit 1; }

for f in "$libdir/libhugepfn.so" "$libdir/libhugepfn.so.$soversion" "$libdir/pkgconfig/hugepfn.pc" \
	 "$includedir/hugepfn/hugepfn.h" "$includedir/hugepfn/arch/x86_64/pgtable.h" \
	 "$bindir/hugepfn" "$bindir/hugepfn-bench" "$mandir/man1/hugepfn.1" \
	 "$datadir/hugepfn/scenarios/seed-thread.hp" "$datadir/hugepfn/scenarios/zero-page.hp"; do
	[ -e "$dest$f" ] || fail "$f is not installed"
done

# No absolute path of the source or build tree in any installed file.
for dir in "$source" "$build"; do
	found=$(grep -rlF -- "$dir" "$dest")
	[ -z "$found" ] || fail "$dir appears in:" $found
done

# The library exports the names its installed headers declare, and no name
# the C library also defines.
lib=$dest$libdir/libhugepfn.so.$soversion
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = "libhugepfn.so.$soversion" ] ||
	fail "the library's soname is '$soname', not libhugepfn.so.$soversion"
libc=$("$cc" -print-file-name=libc.so.6)
nm -D --defined-only "$libc" | awk '{ print $3 }' | sed 's/@.*//' | sort -u >"$tmp/libc.syms"
# (What a sanitizer adds, such as ASan's __odr_asan.NAME, is its own.)
nm -D --defined-only "$lib" | awk '{ print $3 }' |
	grep -Ev '^__(odr_asan|asan|tsan|ubsan|sanitizer|sancov)' | sort -u >"$tmp/lib.syms"
[ -s "$tmp/lib.syms" ] || fail "libhugepfn exports nothing"
while read -r sym; do
	grep -rqw -- "$sym" "$dest$includedir/hugepfn" ||
		fail "libhugepfn exports $sym, which no header declares"
done <"$tmp/lib.syms"
clash=$(comm -12 "$tmp/lib.syms" "$tmp/libc.syms")
[ -z "$clash" ] || fail "libhugepfn and the C library both define:" $clash

san=
[ "$sanitize" = none ] || san=-fsanitize=$sanitize
PKG_CONFIG_PATH=$dest$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
flags=$("$pkgconfig" --cflags --libs hugepfn) || { fail "pkg-config hugepfn"; exit 1; }
case $flags in
*"-I$dest$includedir"*) ;;
*) fail "pkg-config --cflags misses $dest$includedir: $flags";;
esac
static=$("$pkgconfig" --static --libs hugepfn)
case $static in *-lurcu-memb*-pthread*|*-pthread*-lurcu-memb*) ;;
	*) fail "pkg-config --static --libs hugepfn lacks liburcu-memb or -pthread: $static";; esac

# Every public header compiles on its own, as strict C11 and as C++17: one
# translation unit per header, named after it.
cwarn="-std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wundef -Wstrict-prototypes -Werror"
cxxwarn="-std=c++17 -Wall -Wextra -Wpedantic -Wundef -Werror"
mkdir "$tmp/alone"
for h in $(cd "$dest$includedir" && find hugepfn -name '*.h'); do
	unit=$tmp/alone/$(echo "$h" | tr / _)
	printf '#include <%s>\n' "$h" >"$unit.c"
	cp "$unit.c" "$unit.cpp"
done
# The system headers that define PAGE_SIZE and _AT() again, after hugepfn.
cat >"$tmp/alone/system-after.c" <<'UNIT'
#include <hugepfn/hugepfn.h>
#include <sys/user.h>
#include <linux/const.h>
unsigned long kernel_names(void);
unsigned long kernel_names(void)
{
	return PAGE_SIZE + (pgprot_val(PAGE_SHARED) & _PAGE_RW) + _AT(unsigned long, 1);
}
UNIT
cp "$tmp/alone/system-after.c" "$tmp/alone/system-after.cpp"
"$cc" $cwarn -I"$dest$includedir" -fsyntax-only "$tmp"/alone/*.c || fail "a header as C11"
[ -z "$cxx" ] || "$cxx" $cxxwarn -I"$dest$includedir" -fsyntax-only "$tmp"/alone/*.cpp ||
	fail "a header as C++17"

# The out-of-tree program: a BAR mapped and pinned, in C and in C++.
run_consumer() {
	LD_LIBRARY_PATH=$dest$libdir "$1" || fail "$1 failed"
}
cp "$source/tests/install/consumer.c" "$tmp/consumer.c"
cp "$tmp/consumer.c" "$tmp/consumer.cpp"
if "$cc" $cwarn $san "$tmp/consumer.c" -o "$tmp/consumer-c" $flags; then
	run_consumer "$tmp/consumer-c"
else
	fail "the C program does not build"
fi
if [ -z "$cxx" ]; then
	fail "no C++ compiler (g++, or clang++ for a clang build): make deps installs g++"
elif "$cxx" $cxxwarn $san "$tmp/consumer.cpp" -o "$tmp/consumer-cpp" $flags; then
	run_consumer "$tmp/consumer-cpp"
else
	fail "the C++ program does not build"
fi

# The installed command, with no LD_LIBRARY_PATH (its rpath is relative).
# succeeds WHAT CMD...: CMD exits 0, else its output is shown.
succeeds() {
	what=$1
	shift
	"$@" >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; fail "$what"; }
}
# refused MESSAGE WHAT CMD...: CMD fails, saying MESSAGE.
refused() {
	message=$1 what=$2
	shift 2
	if "$@" >"$tmp/out" 2>&1; then
		fail "$what"
	elif ! grep -q "$message" "$tmp/out"; then
		cat "$tmp/out" >&2
		fail "$what: not '$message'"
	fi
}
hugepfn=$dest$bindir/hugepfn
scenarios=$dest$datadir/hugepfn/scenarios
succeeds "hugepfn --version" "$hugepfn" --version
succeeds "hugepfn run zero-page.hp" "$hugepfn" run "$scenarios/zero-page.hp"
succeeds "hugepfn bench finds hugepfn-bench" "$hugepfn" bench --help
# demo runs the installed seed-thread.hp: a quick one put in its place shows
# which file it read (the real one takes seconds, and makes 66 huge entries).
cp "$scenarios/zero-page.hp" "$scenarios/seed-thread.hp"
succeeds "hugepfn demo from the installed tree" "$hugepfn" demo
grep -Eq '^faults +17 +17 +17 +17' "$tmp/out" ||
	{ cat "$tmp/out" >&2; fail "hugepfn demo did not run the installed seed-thread.hp"; }
# Without the installed scenarios or hugepfn-bench, nothing else is found.
mv "$scenarios" "$scenarios.moved"
refused 'cannot find the bundled seed-thread.hp' "hugepfn demo without its scenarios" \
	"$hugepfn" demo
mv "$dest$bindir/hugepfn-bench" "$tmp/"
refused 'cannot find hugepfn-bench' "hugepfn bench without hugepfn-bench" "$hugepfn" bench --help

[ "$failed" = 0 ] && echo "install into $prefix under a temporary DESTDIR: ok"
exit "$failed"
