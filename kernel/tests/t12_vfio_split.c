// SPDX-License-Identifier: MIT
/*
 * Test 12: vfio-pci's PUDs under munmap, mprotect and fork. Unmapping one
 * 4 KiB page in the middle of a PUD-mapped GiB splits the VMA; 6.12 zaps
 * the whole PUD (__split_huge_pud() has nothing to split a pfnmap into)
 * and the rest refaults from vfio-pci as PMDs, with PTEs in the 2 MiB
 * block around the hole. mprotect(PROT_READ) of a whole GiB keeps its PUD
 * (change_huge_pud()) and clears RW; a forked child gets the same PUDs
 * (copy_huge_pud()) and reads the same bytes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktest.h"
#include "ktest_vfio.h"
#include "ktest_walk.h"

#define NAME	"t12-vfio-split"
#define MIB	(1UL << 20)
#define HOLE	(512 * MIB + 3 * KT_4K)

/* The child: its own copy of the tables, checked the same way. */
static int child(char *p, int kind)
{
	struct ktest_counts c;
	int level, k;
	uint64_t raw;

	ktest_walk_range(p + KT_1G, KT_1G, &c);
	ktest_print_counts("t12 child, GiB 1 before touching", &c);
	if (ktest_vfio_stamp_check(p + KT_1G, KT_1G, KT_1G, 30) ||
	    ktest_vfio_stamp_check(p, HOLE, 0, 30))
		return 1;
	if (ktest_walk_addr(p + KT_1G, &level, &k, &raw))
		return 2;
	kt_info("t12 child: GiB 1 %s %s raw=%#llx", ktest_walk_level_name(level),
		ktest_walk_kind_name(k), (unsigned long long)raw);
	return c.n[0][kind] == 1 && level == KW_PUD && k == kind ? 0 : 3;
}

int main(int argc, char **argv)
{
	struct ktest_counts full, gib0, lower, upper, ro;
	int kind, status, pass, level, k;
	size_t bad_lo, bad_hi;
	struct ktest_vfio v;
	struct kt_args a;
	uint64_t raw_ro;
	pid_t pid;
	char *p;

	kt_parse_args(argc, argv, &a);
	kind = !strcmp(a.kernel, "control") ? KW_NORMAL : KW_SPECIAL;
	if (ktest_vfio_open(&v, KTEST_VFIO_BDF, KTEST_VFIO_BAR))
		return kt_result(NAME, 0, "setup=failed");
	p = ktest_vfio_mmap(&v, 2 * KT_1G, 0, NULL, PROT_READ | PROT_WRITE);
	if (!p)
		return kt_result(NAME, 0, "mmap=%s", strerror(errno));
	ktest_vfio_stamp(p, 2 * KT_1G, 0, 30);
	ktest_walk_range(p, 2 * KT_1G, &full);
	ktest_print_counts("t12 full mapping", &full);

	if (munmap(p + HOLE, KT_4K))
		return kt_result(NAME, 0, "munmap=%s", strerror(errno));
	ktest_walk_range(p, KT_1G, &gib0);
	ktest_print_counts("t12 GiB 0 after munmap of one page", &gib0);

	bad_lo = ktest_vfio_stamp_check(p, HOLE, 0, 30);
	bad_hi = ktest_vfio_stamp_check(p + HOLE + KT_4K,
					KT_1G - HOLE - KT_4K, HOLE + KT_4K, 30);
	ktest_walk_range(p, HOLE, &lower);
	ktest_walk_range(p + HOLE + KT_4K, KT_1G - HOLE - KT_4K, &upper);
	ktest_print_counts("t12 lower VMA after reading", &lower);
	ktest_print_counts("t12 upper VMA after reading", &upper);

	if (mprotect(p + KT_1G, KT_1G, PROT_READ))
		return kt_result(NAME, 0, "mprotect=%s", strerror(errno));
	ktest_walk_range(p + KT_1G, KT_1G, &ro);
	ktest_walk_addr(p + KT_1G, &level, &k, &raw_ro);
	ktest_print_counts("t12 GiB 1 after mprotect(PROT_READ)", &ro);
	kt_info("t12 GiB 1 read-only: %s %s raw=%#llx",
		ktest_walk_level_name(level), ktest_walk_kind_name(k),
		(unsigned long long)raw_ro);

	pid = fork();
	if (pid == 0)
		_exit(child(p, kind));
	waitpid(pid, &status, 0);

	pass = full.n[0][kind] == 2 && ktest_counts_level(&full, 0) == 2 &&
	       !ktest_counts_level(&gib0, 0) && !ktest_counts_level(&gib0, 1) &&
	       !ktest_counts_level(&gib0, 2) &&
	       lower.n[1][kind] == 256 && lower.n[2][KW_SPECIAL] == 3 &&
	       upper.n[1][kind] == 255 && upper.n[2][KW_SPECIAL] == 508 &&
	       ro.n[0][kind] == 1 && level == KW_PUD &&
	       !(raw_ro & KW_X86_RW) && !bad_lo && !bad_hi &&
	       WIFEXITED(status) && !WEXITSTATUS(status);
	kt_result(NAME, pass,
		  "kernel=%s before=%ldpud gib0_after_munmap=%ldpud+%ldpmd+%ldpte lower_vma=%ldpmd+%ldpte upper_vma=%ldpmd+%ldpte readonly=%ldpud%s child=%s bad_pages=%zu",
		  a.kernel, ktest_counts_level(&full, 0),
		  ktest_counts_level(&gib0, 0), ktest_counts_level(&gib0, 1),
		  ktest_counts_level(&gib0, 2), ktest_counts_level(&lower, 1),
		  ktest_counts_level(&lower, 2), ktest_counts_level(&upper, 1),
		  ktest_counts_level(&upper, 2), ktest_counts_level(&ro, 0),
		  raw_ro & KW_X86_RW ? "-rw" : "-ro",
		  WIFEXITED(status) && !WEXITSTATUS(status) ? "ok" : "bad",
		  bad_lo + bad_hi);
	munmap(p, 2 * KT_1G);
	ktest_vfio_close(&v);
	return !pass;
}
