#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The proof of the TTM huge fault series on a real kernel, in one script.
#
# On a Debian 12 machine: installs what it needs (as root), downloads and
# unpacks Debian's linux-source-6.12 once, builds up to three kernels with
# the config fragment, boots each under QEMU with a busybox initramfs that
# runs the tests in tests/, and prints one "N passed, M failed" line.
#
#   patched    the series in patches/                (tests t1-t8, and t9
#              on a second boot with 16 MiB of VRAM)
#   control    the series plus patches/control/*     (t1 and t5: the 2021
#              bug, huge pfn entries without the special bit, must oops;
#              and x86's pmd_special() broken, which the boot self-test
#              of CONFIG_DEBUG_VM_PGTABLE must report)
#   unpatched  Debian's source as is                 (the same, the baseline)
#
# checkpatch --strict over every patch counts as a test as well.
#
# Everything that is not source lives under $HUGEPFN_KERNEL_CACHE
# (default ~/.cache/hugepfn-kernel): the source, one build tree per
# kernel, ccache, the initramfs and the QEMU logs. A second run rebuilds
# only what the patches or the fragment changed.
#
# Environment:
#   HUGEPFN_KERNELS        kernels to test (default "patched control unpatched")
#   HUGEPFN_KERNEL_CACHE   cache directory
#   JOBS                   make -j (default: number of CPUs)
#   QEMU_TIMEOUT           seconds per boot (default 300)
#   HUGEPFN_PGTABLE_CONTROL=1  also break pmd_special() in the control kernel
#                          (patches/test-only; a full build of that kernel)
#   HUGEPFN_CCACHE=0       build with plain gcc even where ccache exists (the
#                          compiler is part of each object's command line, so
#                          switching rebuilds everything)
#   HUGEPFN_BISECT=1       also build every prefix of the series (needs the
#                          unpatched kernel; incremental, ~1 min with ccache)
#   HUGEPFN_CROSS=1        also build the series alone for arm64 and for a
#                          CONFIG_MMU=n riscv kernel (cross/*.config; needs
#                          gcc-aarch64-linux-gnu and gcc-riscv64-linux-gnu)
#   HUGEPFN_BOOT_JOBS      QEMU guests run at once (default: one per core)
#   HUGEPFN_REGRESS=0      skip the regression boot (TTM KUnit tests,
#                          CONFIG_DEBUG_VM_PGTABLE, the mm selftests cow,
#                          gup_test, gup_longterm, mkdirty; one boot per kernel)
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CACHE=${HUGEPFN_KERNEL_CACHE:-$HOME/.cache/hugepfn-kernel}
KERNELS=${HUGEPFN_KERNELS:-"patched control unpatched"}
JOBS=${JOBS:-$(nproc)}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-300}
SRCPKG=linux-source-6.12
# The series, without its cover letter, and the test-only control patch.
PATCHES=()
for p in "$HERE"/patches/*.patch; do
	case $p in *-cover-letter.patch) ;; *) PATCHES+=("$p") ;; esac
done
CONTROL_PATCHES=("$HERE"/patches/control/*.patch)
# Test-only patches applied to every kernel (patched, control, unpatched),
# after the series, never part of it; they build with and without it: the
# hpvram driver (patches/device) and the page-table walker in debugfs,
# hugepfn_walk (patches/observe).
DEVICE_PATCHES=("$HERE"/patches/device/*.patch)
OBSERVE_PATCHES=("$HERE"/patches/observe/*.patch)
TEST_PATCHES=("${DEVICE_PATCHES[@]}" "${OBSERVE_PATCHES[@]}")
# Optional: also break x86's pmd_special() in the control kernel, which the
# boot self-test of CONFIG_DEBUG_VM_PGTABLE (with patch 0007) must report.
# The patch touches asm/pgtable.h, so the control kernel is then a full
# build instead of an incremental one.
PGTABLE_CONTROL=${HUGEPFN_PGTABLE_CONTROL:-0}
TEST_ONLY_PATCHES=("$HERE"/patches/test-only/*.patch)
if [ "$PGTABLE_CONTROL" = 1 ]; then
	CONTROL_PATCHES+=("${TEST_ONLY_PATCHES[@]}")
fi
FRAGMENT=$HERE/config.fragment
TESTS="t1_pmd_map t2_unaligned t3_gup t4_evict t6_split t7_soft_dirty t5_gup_control
       t8_unplug t9_flip t10_pud_map t11_pud_gup t12_pud_evict t13_pud_fallback
       t14_pud_split t15_pud_gup_control t16_bo_counts"
# The vfio-pci BAR tests (ivshmem at 00:06.0), on every kernel.
VFIO_TESTS="t17_vfio_map t18_vfio_gup t19_vfio_split t20_vfio_mremap"
# Exact memtypes (hpvram and vfio, PAT on and "nopat") and mremap of huge BOs.
TESTS="$TESTS t21_memtype t22_pud_mremap"

passed=0
failed=0
T0=$(date +%s)

log() { printf 'kernel-test: %s\n' "$*"; }
die() { log "error: $*"; echo "$passed passed, $((failed + 1)) failed"; exit 1; }
elapsed() { echo $(($(date +%s) - $1)); }
check() { # check <pass:0|1> <name> [figures]
	if [ "$1" = 1 ]; then
		passed=$((passed + 1)); printf 'PASS  %s %s\n' "$2" "${3:-}"
	else
		failed=$((failed + 1)); printf 'FAIL  %s %s\n' "$2" "${3:-}"
	fi
}
want() { case " $KERNELS " in *" $1 "*) return 0 ;; esac; return 1; }

# ---------------------------------------------------------------- packages
PKGS="build-essential bc bison flex libelf-dev libssl-dev cpio xz-utils
      rsync qemu-system-x86 busybox-static ccache liburing-dev"
install_packages() {
	local missing="" p
	[ "${HUGEPFN_CROSS:-0}" = 1 ] && PKGS="$PKGS gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu"
	for p in $PKGS; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		die "missing Debian packages:$missing (run as root or install them)"
	fi
	log "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null 2>&1
	# shellcheck disable=SC2086
	apt-get install -y -qq $missing >/dev/null 2>&1 || die "apt-get install failed"
}

# ------------------------------------------------------------------ source
SRC=$CACHE/src/$SRCPKG
fetch_source() {
	[ -f "$SRC/.hugepfn-complete" ] && return 0
	local t deb
	t=$(date +%s)
	mkdir -p "$CACHE/dl" "$CACHE/src"
	(
		cd "$CACHE/dl" || exit 1
		if ! ls ${SRCPKG}_*.deb >/dev/null 2>&1; then
			apt-get download "$SRCPKG" >/dev/null 2>&1 ||
			{ [ "$(id -u)" = 0 ] && apt-get update -qq >/dev/null 2>&1 &&
			  apt-get download "$SRCPKG" >/dev/null 2>&1; }
		fi
	) || die "apt-get download $SRCPKG failed"
	deb=$(ls "$CACHE"/dl/${SRCPKG}_*.deb 2>/dev/null | tail -1)
	[ -n "$deb" ] || die "apt-get download $SRCPKG failed"
	rm -rf "$SRC" "$CACHE/src/tmp"
	mkdir -p "$CACHE/src/tmp"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -x -O "./usr/src/$SRCPKG.tar.xz" |
		tar -xJ -C "$CACHE/src/tmp" || die "unpacking $deb failed"
	mv "$CACHE/src/tmp/$SRCPKG" "$SRC" && rmdir "$CACHE/src/tmp"
	basename "$deb" >"$SRC/.hugepfn-complete"
	log "source $(cat "$SRC/.hugepfn-complete") unpacked in $(elapsed "$t") s"
}

# ------------------------------------------------------------------- build
MAKEFLAGS_CC=()
if [ "${HUGEPFN_CCACHE:-1}" = 1 ] && command -v ccache >/dev/null 2>&1; then
	export CCACHE_DIR=$CACHE/ccache
	MAKEFLAGS_CC=(CC="ccache gcc")
	ccache -M 5G >/dev/null 2>&1
fi

kmake() { make -C "$1" -j"$JOBS" "${MAKEFLAGS_CC[@]}" "${@:2}"; }

configure() { # configure <tree>
	local tree=$1 opt
	kmake "$tree" tinyconfig >/dev/null || return 1
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$tree" "$tree/.config" \
		"$FRAGMENT" >/dev/null || return 1
	kmake "$tree" olddefconfig >/dev/null || return 1
	for opt in $(grep -o '^CONFIG_[A-Z0-9_]*=[^ ]*' "$FRAGMENT"); do
		grep -qx "$opt" "$tree/.config" || { log "$opt not set"; return 1; }
	done
}

# Applies (or with -R reverts) a list of patches in a tree.
apply_patches() { # apply_patches <tree> [-R] patch...
	local tree=$1 p; shift
	local rev=""
	if [ "${1:-}" = -R ]; then rev=-R; shift; fi
	for p in "$@"; do
		patch -d "$tree" -p1 -s -N $rev <"$p" || return 1
	done
}

# What a patch changes in the tree, without its commit message: editing a
# message must not rebuild a kernel.
patch_body() { sed -n '/^diff --git /,$p' "$1"; }
same_patch() { cmp -s <(patch_body "$1") <(patch_body "$2"); }
stamp_of() {
	local p
	{ cat "$SRC/.hugepfn-complete" "$FRAGMENT"
	  for p in "$@"; do patch_body "$p"; done; } | sha256sum | cut -c1-16
}

# Brings <tree> to "source + <patches>" and builds it. Patches already
# applied in the tree are kept as long as they match the wanted list from
# the start; only the rest is reverted and applied, so make rebuilds only
# what changed.
build_tree() { # build_tree <name> <patch>...
	local name=$1; shift
	local tree=$CACHE/trees/$name stamp t
	t=$(date +%s)
	local -a old=() want=("$@")
	local keep=0 i
	stamp=$(stamp_of "$@")
	if [ -f "$tree/.hugepfn-stamp" ] && [ "$(cat "$tree/.hugepfn-stamp")" = "$stamp" ] &&
	   [ -f "$tree/arch/x86/boot/bzImage" ]; then
		log "$name: up to date"
		return 0
	fi
	if [ -f "$tree/.config" ] && [ -d "$tree/.hugepfn-applied" ]; then
		mapfile -t old < <(ls "$tree"/.hugepfn-applied/*.patch 2>/dev/null)
		while [ "$keep" -lt "${#old[@]}" ] && [ "$keep" -lt "${#want[@]}" ] &&
		      same_patch "${old[$keep]}" "${want[$keep]}"; do
			keep=$((keep + 1))
		done
		for ((i = ${#old[@]} - 1; i >= keep; i--)); do
			if ! apply_patches "$tree" -R "${old[$i]}"; then
				log "$name: cannot revert $(basename "${old[$i]}"), starting afresh"
				rm -rf "$tree"
				keep=0
				break
			fi
			rm -f "${old[$i]}"
		done
	else
		rm -rf "$tree"
	fi
	if [ ! -d "$tree" ]; then
		mkdir -p "$CACHE/trees"
		log "$name: copying the source"
		cp -a "$SRC" "$tree" || return 1
		mkdir -p "$tree/.hugepfn-applied"
	fi
	rm -f "$tree/.hugepfn-stamp"
	for ((i = keep; i < ${#want[@]}; i++)); do
		if ! apply_patches "$tree" "${want[$i]}"; then
			log "$name: $(basename "${want[$i]}") does not apply"
			# A run interrupted while patching leaves a half-applied
			# patch behind: start once more from a fresh copy.
			if [ -z "${BUILD_RETRY:-}" ]; then
				rm -rf "$tree"
				BUILD_RETRY=1 build_tree "$name" "${want[@]}"
				return
			fi
			return 1
		fi
		cp "${want[$i]}" "$tree/.hugepfn-applied/$(printf '%02d' "$i")-$(basename "${want[$i]}")"
	done
	if ! cmp -s "$FRAGMENT" "$tree/.hugepfn-fragment"; then
		configure "$tree" || { log "$name: configure failed"; return 1; }
		cp "$FRAGMENT" "$tree/.hugepfn-fragment"
	fi
	log "$name: building with $((${#want[@]} - keep)) new patches ($JOBS jobs, log in $CACHE/logs/build-$name.log)"
	kmake "$tree" bzImage >"$CACHE/logs/build-$name.log" 2>&1 || {
		tail -20 "$CACHE/logs/build-$name.log"; return 1; }
	echo "$stamp" >"$tree/.hugepfn-stamp"
	BUILD_TIME[$name]=$(elapsed "$t")
	log "$name: built in ${BUILD_TIME[$name]} s"
}

# The control tree starts as a copy of the built patched tree, objects
# included, so only what the control patch touches is rebuilt.
seed_from() { # seed_from <from> <to> <patch>...
	local fname=$1 tname=$2
	local from=$CACHE/trees/$1 to=$CACHE/trees/$2; shift 2
	local stamp
	stamp=$(stamp_of "${PATCHES[@]}" "$@")
	if [ -f "$to/.hugepfn-stamp" ] && [ "$(cat "$to/.hugepfn-stamp")" = "$stamp" ]; then
		return 0
	fi
	log "$tname: copying the built $fname tree"
	mkdir -p "$to"
	rsync -a --delete "$from/" "$to/"
}

# --------------------------------------------------------------- initramfs
build_initramfs() {
	local w=$CACHE/initramfs t hdrs
	rm -rf "$w" && mkdir -p "$w/hdr" "$w/bin" "$w/root"/{bin,dev,proc,sys,tmp}
	hdrs=$CACHE/trees/uapi
	# The drm uapi headers of 6.12 (Debian's libc headers have none).
	if [ ! -f "$hdrs/include/drm/drm.h" ]; then
		make -C "$SRC" -s headers_install INSTALL_HDR_PATH="$hdrs" \
			O="$CACHE/trees/uapi-build" >/dev/null 2>&1 ||
			die "headers_install failed"
	fi
	cp -r "$hdrs/include/drm" "$w/hdr/"
	cp "$SRC/mm/gup_test.h" "$w/hdr/"
	for t in $TESTS $VFIO_TESTS; do
		gcc -static -O2 -Wall -Wextra -I"$w/hdr" -o "$w/root/bin/${t%%_*}" \
			"$HERE/tests/$t.c" "$HERE/tests/ktest.c" \
			"$HERE/tests/ktest_hpvram.c" "$HERE/tests/ktest_walk.c" \
			"$HERE/tests/ktest_vfio.c" ||
			die "building $t failed"
	done
	build_hpscen "$w" || die "building hpscen failed"
	if [ "$REGRESS" = 1 ]; then
		build_mm_selftests "$w" || die "building the mm selftests failed"
	fi
	cp /bin/busybox "$w/root/bin/busybox"
	cp "$HERE/tests/init" "$w/root/init"
	chmod +x "$w/root/init"
	(cd "$w/root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$w/initramfs.gz"
}

# The Linux backend of the scenario language (tests/scenario_linux.c) with
# the model's own parser, and the scenarios it runs (the differential).
build_hpscen() { # build_hpscen <initramfs work dir>
	local w=$1 tools=$ROOT/tools
	gcc -static -O2 -Wall -Wextra -DHAVE_KTEST_WALK -DHAVE_KTEST_VFIO -DHAVE_KTEST_HPVRAM \
		-I"$w/hdr" -I"$tools" -I"$ROOT/include" -o "$w/root/bin/hpscen" \
		"$HERE"/tests/scenario_linux.c "$HERE"/tests/scenario_linux_env.c \
		"$HERE/tests/ktest_walk.c" "$HERE/tests/ktest_vfio.c" "$HERE/tests/ktest.c" \
		"$HERE/tests/ktest_hpvram.c" \
		"$tools"/scenario_parse.c "$tools"/scenario_names.c "$tools"/scenario_value.c \
		"$tools"/scenario_trace.c "$tools"/size.c "$ROOT"/src/policy.c || return 1
	mkdir -p "$w/root/scen/scenarios" "$w/root/scen/differential"
	cp "$ROOT"/scenarios/*.hp "$w/root/scen/scenarios/"
	cp "$ROOT"/tests/differential/*.hp "$w/root/scen/differential/"
}

# The model against the traces of the boots (differential.py), and the
# same against a model with a planted bug, which must be caught.
differential() {
	local model=$ROOT/build/tools/hugepfn mutant=$ROOT/build/tools/hugepfn-mutant
	local -a logs=() out
	local k
	for k in patched unpatched; do
		want "$k" && [ -f "$CACHE/logs/qemu-$k.log" ] && logs+=(--log "$k=$CACHE/logs/qemu-$k.log")
	done
	[ "${#logs[@]}" = 0 ] && return 0
	if ! (cd "$ROOT" && make -s all >"$CACHE/logs/model-build.log" 2>&1); then
		check 0 differential "(the model does not build: $CACHE/logs/model-build.log)"
		return
	fi
	python3 "$HERE/differential.py" --root "$ROOT" --model "$model" "${logs[@]}" \
		>"$CACHE/logs/differential.txt" 2>&1
	local rc=$?
	cat "$CACHE/logs/differential.txt"
	check "$([ "$rc" = 0 ] && echo 1 || echo 0)" differential \
		"$(grep -m1 '^differential:' "$CACHE/logs/differential.txt")"
	python3 "$HERE/differential.py" --root "$ROOT" --model "$mutant" "${logs[@]}" \
		>"$CACHE/logs/differential-mutant.txt" 2>&1
	rc=$?
	# Caught: a difference (step, key, both values) the real model does not have.
	mapfile -t out < <(comm -13 <(grep '^  DIFFER ' "$CACHE/logs/differential.txt" | sort) \
		<(grep '^  DIFFER ' "$CACHE/logs/differential-mutant.txt" | sort))
	check "$([ "$rc" != 0 ] && [ "${#out[@]}" -gt 0 ] && echo 1 || echo 0)" \
		differential/planted-bug-caught \
		"(THP without MADV_HUGEPAGE: ${#out[@]} new differences) ${out[0]:-nothing caught}"
}

# ------------------------------------------------------------ cross builds
# The series alone (no test-only patch) built as the build bots would, for
# another architecture and without an MMU: one row per build, "<name>
# <ARCH> <CROSS_COMPILE> <base config> <fragment in cross/> <objects that
# must have been compiled>".
CROSS=${HUGEPFN_CROSS:-0}
CROSS_BUILDS="arm64 arm64 aarch64-linux-gnu- tinyconfig arm64.config mm/huge_memory.o,mm/debug_vm_pgtable.o,mm/mremap.o,drivers/gpu/drm/ttm/ttm_bo_vm.o,drivers/gpu/drm/ttm/tests/ttm_bo_test.o,drivers/gpu/drm/drm_gem.o,drivers/gpu/drm/drm_gem_vram_helper.o,drivers/gpu/drm/tiny/bochs.o
nommu riscv riscv64-linux-gnu- nommu_virt_defconfig nommu.config drivers/gpu/drm/drm_gem.o,drivers/gpu/drm/drm_gem_dma_helper.o,mm/nommu.o"

# The source with the series applied and nothing else, built out of tree
# (O=) by every cross build. A fresh copy keeps the mtimes of the files the
# series does not touch, so the builds stay incremental.
series_source() {
	local tree=$CACHE/trees/series stamp p
	stamp=$(for p in "${PATCHES[@]}"; do patch_body "$p"; done | sha256sum | cut -c1-16)
	if [ -f "$tree/.hugepfn-stamp" ] && [ "$(cat "$tree/.hugepfn-stamp")" = "$stamp" ]; then
		return 0
	fi
	rm -rf "$tree"
	cp -a "$SRC" "$tree" && apply_patches "$tree" "${PATCHES[@]}" || return 1
	echo "$stamp" >"$tree/.hugepfn-stamp"
}

# Every "CONFIG_X=v" and "# CONFIG_X is not set" line of a fragment must
# be in the .config.
config_has_fragment() { # config_has_fragment <.config> <fragment>
	local line
	while IFS= read -r line; do
		case $line in
		CONFIG_*=* | "# CONFIG_"*" is not set")
			grep -qxF "$line" "$1" || { log "$line not in $1"; return 1; } ;;
		esac
	done <"$2"
}

cross_build() { # cross_build <name> <arch> <cross> <base> <fragment> <objects>
	local name=$1 arch=$2 cc=$3 base=$4 frag=$HERE/cross/$5 objs=$6
	local o=$CACHE/trees/cross-$name t w obj missing=""
	local logf=$CACHE/logs/build-cross-$name.log
	local -a mk=(make -C "$CACHE/trees/series" O="$o" ARCH="$arch"
		     CROSS_COMPILE="$cc" -j"$JOBS")
	[ "${#MAKEFLAGS_CC[@]}" = 0 ] || mk+=(CC="ccache ${cc}gcc")
	t=$(date +%s)
	if ! command -v "${cc}gcc" >/dev/null; then
		check 0 "cross/$name" "(no ${cc}gcc: apt-get install gcc-${cc%-})"
		return
	fi
	if ! cmp -s "$frag" "$o/.hugepfn-fragment"; then
		mkdir -p "$o"
		if ! { "${mk[@]}" "$base" && "$CACHE/trees/series/scripts/kconfig/merge_config.sh" \
			-m -O "$o" "$o/.config" "$frag" && "${mk[@]}" olddefconfig; } \
			>"$logf" 2>&1 || ! config_has_fragment "$o/.config" "$frag"; then
			check 0 "cross/$name" "(configure failed: $logf)"
			return
		fi
		cp "$frag" "$o/.hugepfn-fragment"
	fi
	if ! "${mk[@]}" vmlinux >"$logf" 2>&1; then
		check 0 "cross/$name" "(build failed: $(grep -m1 -E 'error:|Error ' "$logf"))"
		return
	fi
	w=$(grep -c 'warning:' "$logf")
	for obj in ${objs//,/ }; do
		[ -f "$o/$obj" ] || missing="$missing $obj"
	done
	CROSS_TIME[$name]=$(elapsed "$t")
	check "$([ "$w" = 0 ] && [ -z "$missing" ] && echo 1 || echo 0)" "cross/$name" \
		"$w warnings, ${CROSS_TIME[$name]} s, $(echo "${objs//,/ }" | wc -w) objects of the series built${missing:+, missing:$missing}"
}

cross_builds() {
	local row
	series_source || { check 0 "cross/series-source" "(the series does not apply)"; return; }
	while read -r row; do
		# shellcheck disable=SC2086
		cross_build $row
	done <<<"$CROSS_BUILDS"
}

# -------------------------------------------------------------- regression
# The checks upstream runs, on every kernel, in one boot of its own
# (hugepfn.set=regress): TTM's KUnit tests at boot, the boot self-test of
# CONFIG_DEBUG_VM_PGTABLE, and the mm selftests that exercise the huge
# page paths patch 0001 and 0002 touch (cow, gup_test, gup_longterm,
# mkdirty), built from the same tree. kernel/regress.py reads the logs.
REGRESS=${HUGEPFN_REGRESS:-1}
# lib/kunit takes one glob, "suite.test". 6.12's
# ttm_bo_validate_happy_evict never finishes under TCG; of all TTM test
# names it is the only one whose 8th character from the end is a "p", so
# this glob runs every TTM test but that one (regress.py checks that
# against the tree's sources, and reports the test as skipped).
KUNIT_GLOB='ttm*.*[!p]???????'
# The kernel command line a test set adds: KUnit for the regress boot, PAT
# off for the one that runs the memtype test again (t21), and for the
# differential's zone-device bars 64 MiB of guest RAM at 2 GiB as legacy
# pmem (e820 type 12), which tests/init makes a device DAX instance.
declare -A SET_ARGS=([regress]="kunit.enable=1 kunit.filter_glob=$KUNIT_GLOB" [nopat]="nopat"
		     [all]="memmap=64M!2G")
MM_SELFTESTS="cow gup_test gup_longterm mkdirty"

# The mm selftests as their Makefile builds them (vm_util.c and
# thp_settings.c, the tree's uapi headers, liburing), but static, into
# /mm of the initramfs. local_config.h (check_config.sh's output) is
# written here, as the source tree is shared and read-only.
build_mm_selftests() { # build_mm_selftests <initramfs work dir>
	local w=$1 mm=$SRC/tools/testing/selftests/mm t uring=()
	mkdir -p "$w/mm-config" "$w/root/mm"
	if [ -f /usr/include/liburing.h ]; then
		echo '#define LOCAL_CONFIG_HAVE_LIBURING 1' >"$w/mm-config/local_config.h"
		uring=(-luring)
	else
		echo '// No liburing support found' >"$w/mm-config/local_config.h"
	fi
	for t in $MM_SELFTESTS; do
		gcc -static -O2 -Wall -U_FORTIFY_SOURCE -fmacro-prefix-map="$mm/"= \
			-I"$w/mm-config" -I"$SRC" \
			-isystem "$CACHE/trees/uapi/include" -isystem "$SRC/tools/include/uapi" \
			-o "$w/root/mm/$t" "$mm/$t.c" "$mm/vm_util.c" "$mm/thp_settings.c" \
			"${uring[@]}" -lrt -lpthread -lm || return 1
	done
}

# The regress boots of every kernel (boot_all), then every suite checked at once, so the
# patched and control kernels compare with this run's unpatched one (or
# with the last one kept in $CACHE/results).
regress() {
	local k line t pass name figs
	local -a logs=() args=()
	t=$(date +%s)
	for k in "${built[@]}"; do
		want "$k" || continue
		logs+=(--kernel "$k=$CACHE/logs/qemu-$k-regress.log")
	done
	[ "${#logs[@]}" = 0 ] && return 0
	[ "$PGTABLE_CONTROL" = 1 ] && args+=(--pgtable-control)
	while IFS= read -r line; do
		case $line in
		"CHECK "*)
			read -r _ pass name figs <<<"$line"
			check "$pass" "$name" "$figs" ;;
		"INFO "*) printf '%s\n' "${line#INFO }" ;;
		*) printf '%s\n' "$line" ;;
		esac
	done < <(python3 "$HERE/regress.py" --trees "$CACHE/trees" \
		--results "$CACHE/results" --glob "$KUNIT_GLOB" "${args[@]}" "${logs[@]}" 2>&1 ||
		echo "CHECK 0 regress.py (failed)")
	log "regression checks: $(elapsed "$t") s"
}

# -------------------------------------------------------------------- boot
# no_timer_check: under TCG on a loaded host the IO-APIC timer check can
# miss its ticks and panic the boot ("IO-APIC + timer doesn't work!").
boot() { # boot <kernel name> [<VRAM MiB> [<test set>]]
	local name=$1 vram=${2:-64} set=${3:-all} t run
	t=$(date +%s)
	run=$(boot_name "$name" "$vram" "$set")
	local logf=$CACHE/logs/qemu-$run.log
	# 00:05.0: ivshmem-plain with a 2 GiB BAR 2, the VRAM of the test-only
	# hpvram driver (bound by tests/init). The 64-bit PCI hole must hold
	# 2 GiB BARs; 3 GiB of RAM let a 1 GiB BO be evicted to system memory.
	timeout "$QEMU_TIMEOUT" qemu-system-x86_64 -m 3072 -smp 2 \
		-nographic -no-reboot -vga none \
		-global i440FX-pcihost.pci-hole64-size=16G \
		-device bochs-display,vgamem=${vram}M \
		-object memory-backend-ram,id=hpvram,size=2G,share=on \
		-device ivshmem-plain,memdev=hpvram,addr=05.0 \
		-object memory-backend-ram,id=vfiobar,size=2G,share=on \
		-device ivshmem-plain,memdev=vfiobar,addr=06.0 \
		-kernel "$CACHE/trees/$name/arch/x86/boot/bzImage" \
		-initrd "$CACHE/initramfs/initramfs.gz" \
		-append "console=ttyS0 panic=-1 no_timer_check hugepfn.kernel=$name hugepfn.vram=$vram hugepfn.set=$set ${SET_ARGS[$set]:-}" \
		</dev/null >"$logf" 2>&1
	tr -d '\r' <"$logf" >"$logf.txt" && mv "$logf.txt" "$logf"
	log "$run: booted and tested in $(elapsed "$t") s (log: $logf)"
}

# Every boot of this run, "<kernel> <VRAM MiB> <test set>": the two long
# ones (all tests on a kernel with the series' PUD tests) first, so that
# the short ones fill in beside them.
boot_list() {
	local k
	for k in "${built[@]}"; do
		want "$k" && [ "$k" != control ] && echo "$k 64 all"
	done
	for k in "${built[@]}"; do
		want "$k" || continue
		case $k in
		control) echo "control 64 all"; echo "control 64 pud" ;;
		# PAT off for the memtype test; small VRAM for double buffering.
		*) echo "$k 64 nopat"; echo "$k 16 all" ;;
		esac
		[ "$REGRESS" = 1 ] && echo "$k 64 regress"
	done
}

# Runs every boot of boot_list, BOOT_JOBS guests at a time, and waits for
# them all. Under TCG a guest keeps about one host core busy, so one per
# core halves the boots' wall time on 2 cores. A boot only writes its own
# log; the logs are evaluated afterwards, in order.
BOOT_JOBS=${HUGEPFN_BOOT_JOBS:-$JOBS}
boot_all() {
	local -a rows
	local row running=0
	mapfile -t rows < <(boot_list)
	for row in "${rows[@]}"; do
		if [ "$running" -ge "$BOOT_JOBS" ]; then
			wait -n
			running=$((running - 1))
		fi
		# shellcheck disable=SC2086
		boot $row &
		running=$((running + 1))
	done
	wait
}
# The name of one boot: the kernel, the VRAM size if not the default, and
# the test set if not all of them.
boot_name() {
	local n=$1
	[ "$2" = 64 ] || n=$n-vram$2M
	[ "${3:-all}" = all ] || n=$n-$3
	echo "$n"
}

# Reads the log of one kernel: its test lines and its kernel messages.
BAD_LOG='Oops|BUG:|WARNING:|Bad page|general protection|Kernel panic|Call Trace|bad p[gum4]d'
# Tests that must FAIL on a kernel, with the log line they are allowed to
# cause: 6.12 without patch 0008 clears a moved huge PUD as "bad pud".
declare -A EXPECT_FAIL=([unpatched/t20-vfio-mremap]='bad pud')
evaluate() { # evaluate <boot name> <expected tests...>
	local name=$1; shift
	local logf=$CACHE/logs/qemu-$name.log t line
	for t in "$@"; do
		line=$(grep -m1 "^hugepfn-test: $t " "$logf" || true)
		if [ -z "$line" ]; then
			check 0 "$name/$t" "(no result: see $logf)"
		elif [ -n "${EXPECT_FAIL[$name/$t]:-}" ]; then
			check "$([ "$(echo "$line" | awk '{print $3}')" = FAIL ] && echo 1 || echo 0)" \
				"$name/$t-fails-as-expected" "$(echo "$line" | cut -d' ' -f4-)"
		else
			check "$([ "$(echo "$line" | awk '{print $3}')" = PASS ] && echo 1 || echo 0)" \
				"$name/$t" "$(echo "$line" | cut -d' ' -f4-)"
		fi
	done
	if [ "${name%%-*}" = control ]; then
		local hit
		hit=$(grep -m1 -E 'BUG: unable to handle|Oops|Bad page' "$logf" || true)
		check "$([ -n "$hit" ] && echo 1 || echo 0)" "$name/reproduces-2021-bug" \
			"log: ${hit:-nothing}"
		# test-only/0001 breaks x86's pmd_special(): the boot self-test
		# of CONFIG_DEBUG_VM_PGTABLE must warn from its PMD special checks.
		if [ "$PGTABLE_CONTROL" = 1 ] && [ "$name" = control ]; then
			hit=$(grep -c 'WARNING: .* at mm/debug_vm_pgtable.c' "$logf" || true)
			check "$([ "${hit:-0}" -gt 0 ] && echo 1 || echo 0)" \
				"control/debug-vm-pgtable-catches-broken-pmd_special" \
				"warnings=${hit:-0} $(grep -m1 'WARNING: .* at mm/debug_vm_pgtable.c' "$logf" | sed 's/.* at //')"
		fi
	else
		local bad allowed=NONE k
		for k in "${!EXPECT_FAIL[@]}"; do
			[ "${k%%/*}" = "$name" ] && allowed=${EXPECT_FAIL[$k]}
		done
		# Kernel messages only: the tests' own lines may quote them.
		bad=$(grep -v '^hugepfn-' "$logf" | grep -E "$BAD_LOG" |
			grep -v -F "$allowed" | head -3 | tr '\n' ' ' || true)
		check "$([ -z "$bad" ] && echo 1 || echo 0)" "$name/kernel-log-clean" \
			"${bad:+log: $bad}"
	fi
	check "$(grep -q '^hugepfn-init: done' "$logf" && echo 1 || echo 0)" "$name/vm-finished"
}

# The figures of make bench: the "hugepfn-bo:" lines of t16 of one kernel
# into $CACHE/results/bo-counts.tsv, replacing that kernel's rows of an
# earlier run and keeping the other kernels'.
BO_COUNTS=$CACHE/results/bo-counts.tsv
bo_counts() { # bo_counts <kernel>
	local k=$1 logf=$CACHE/logs/qemu-$1.log now tmp
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	mkdir -p "$CACHE/results"
	tmp=$(mktemp "$CACHE/results/.bo-counts.XXXXXX")
	printf 'kernel\tbo_mib\tfaults\tpgtable_bytes\tpud\tpmd\tpte\tdate\n' >"$tmp"
	[ -f "$BO_COUNTS" ] && awk -F'\t' -v k="$k" 'NR > 1 && $1 != k' "$BO_COUNTS" >>"$tmp"
	awk -v k="$k" -v d="$now" '$1 == "hugepfn-bo:" && $2 == k && NF == 8 {
		printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", $2, $3, $4, $5, $6, $7, $8, d }' \
		"$logf" >>"$tmp"
	mv "$tmp" "$BO_COUNTS"
	log "$k: $(grep -c "^$k	" "$BO_COUNTS") rows in $BO_COUNTS"
}

checkpatch() {
	local p out
	local ignore
	for p in "${PATCHES[@]}" "$HERE"/patches/control/*.patch "${TEST_ONLY_PATCHES[@]}" \
		 "${TEST_PATCHES[@]}"; do
		# The Debian source has no git history, so checkpatch cannot look
		# up the commit of a Fixes: tag (checked against upstream instead).
		ignore=UNKNOWN_COMMIT_ID
		# A test-only driver gets no MAINTAINERS entry.
		case $p in */patches/device/*) ignore=$ignore,FILE_PATH_CHANGES ;; esac
		out=$("$SRC/scripts/checkpatch.pl" --strict -q --ignore "$ignore" "$p" 2>&1 | grep -E '^(ERROR|WARNING|CHECK):' | head -3 | tr '\n' ' ')
		check "$([ -z "$out" ] && echo 1 || echo 0)" "checkpatch --strict $(basename "$p")" "$out"
	done
}

# -------------------------------------------------------------------- main
declare -A BUILD_TIME CROSS_TIME
mkdir -p "$CACHE/logs"
install_packages
fetch_source
log "source: $(cat "$SRC/.hugepfn-complete"), kernels: $KERNELS"

checkpatch

built=()
if want patched || want control; then
	build_tree patched "${PATCHES[@]}" "${TEST_PATCHES[@]}" && built+=(patched) ||
		check 0 "patched/build"
fi
if want control && [[ " ${built[*]} " == *" patched "* ]]; then
	seed_from patched control "${TEST_PATCHES[@]}" "${CONTROL_PATCHES[@]}"
	build_tree control "${PATCHES[@]}" "${TEST_PATCHES[@]}" "${CONTROL_PATCHES[@]}" &&
		built+=(control) || check 0 "control/build"
fi
if want unpatched; then
	build_tree unpatched "${TEST_PATCHES[@]}" && built+=(unpatched) ||
		check 0 "unpatched/build"
fi

# Optional: every prefix of the series must build without a compiler
# warning (an incremental build per patch in a copy of the unpatched tree).
if [ "${HUGEPFN_BISECT:-0}" = 1 ] && [[ " ${built[*]} " == *" unpatched "* ]]; then
	[ -d "$CACHE/trees/bisect" ] ||
		rsync -a "$CACHE/trees/unpatched/" "$CACHE/trees/bisect/"
	for ((n = 1; n <= ${#PATCHES[@]}; n++)); do
		name="bisect/builds-with-$(basename "${PATCHES[n - 1]}")"
		if build_tree bisect "${OBSERVE_PATCHES[@]}" "${PATCHES[@]:0:n}"; then
			w=$(grep -c 'warning:' "$CACHE/logs/build-bisect.log")
			check "$([ "$w" = 0 ] && echo 1 || echo 0)" "$name" "$w warnings"
		else
			check 0 "$name"
		fi
	done
fi

[ "$CROSS" = 1 ] && cross_builds

build_initramfs
BOOTS_T0=$(date +%s)
boot_all
log "all boots: $(elapsed "$BOOTS_T0") s ($BOOT_JOBS at a time)"
for k in "${built[@]}"; do
	want "$k" || continue
	case $k in
	control)
		evaluate control t1-pmd-map t17-vfio-map t19-vfio-split t20-vfio-mremap \
			t21-memtype t22-pud-mremap t5-gup-control
		# The same bug at PUD level oopses too: a boot of its own.
		evaluate control-pud t10-pud-map t15-pud-gup-control
		;;
	*)
		evaluate "$k" t1-pmd-map t2-unaligned t3-gup t4-evict t6-split \
			t7-soft-dirty t10-pud-map t11-pud-gup t12-pud-evict \
			t13-pud-fallback t14-pud-split t15-pud-gup-control \
			t16-bo-counts t17-vfio-map t18-vfio-gup t19-vfio-split \
			t20-vfio-mremap t21-memtype t22-pud-mremap t5-gup-control t8-unplug
		bo_counts "$k"
		evaluate "$k-nopat" t21-memtype
		evaluate "$k-vram16M" t9-flip
		;;
	esac
done

differential
[ "$REGRESS" = 1 ] && regress

# The figures side by side, for the README.
echo
echo "figures (from the QEMU logs):"
for k in "${built[@]}"; do
	want "$k" || continue
	for f in "$CACHE/logs/qemu-$k.log" "$CACHE/logs/qemu-$k-vram16M.log" \
		 "$CACHE/logs/qemu-$k-pud.log" "$CACHE/logs/qemu-$k-nopat.log"; do
		[ -f "$f" ] && grep '^hugepfn-test: ' "$f" | sed "s/^hugepfn-test: /  $k: /"
	done
done
echo
for k in "${!BUILD_TIME[@]}"; do log "build time $k: ${BUILD_TIME[$k]} s"; done
log "total time: $(elapsed "$T0") s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
