// SPDX-License-Identifier: MIT
/*
 * Test 2: the same kind of VRAM buffer mapped at an address that is not
 * 2 MiB aligned (MAP_FIXED, 64 KiB past a 2 MiB boundary) falls back to
 * PTEs, and the data stays coherent with an aligned mapping of the same
 * BO. A 64 KiB buffer, smaller than a PMD, maps and works as before.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "ktest.h"

int main(int argc, char **argv)
{
	struct kt_levels lv, lv_small;
	struct kt_bo bo, small;
	struct kt_args a;
	struct kt_dev d;
	size_t bad1, bad2, bad_small;
	char *resv, *want, *p, *q, *s;
	long f0, faults;
	int pass;

	kt_parse_args(argc, argv, &a);
	if (kt_open(&d) || kt_bo_create(&d, &bo, 2048, 2048) ||
	    kt_place_in_vram(&d, &bo))
		return kt_result("t2-unaligned", 0, "setup=failed");

	/* Reserve room, then map 64 KiB past a 2 MiB boundary inside it. */
	resv = mmap(NULL, bo.size + 2 * KT_2M, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (resv == MAP_FAILED)
		return kt_result("t2-unaligned", 0, "reserve=failed");
	want = (char *)(((uintptr_t)resv + KT_2M - 1) & ~(KT_2M - 1)) + 0x10000;
	p = kt_map(&d, &bo, want);
	q = kt_map(&d, &bo, NULL);
	if (!p || !q || p != want)
		return kt_result("t2-unaligned", 0, "mmap=failed");

	f0 = kt_minflt();
	kt_fill(p, bo.size, 2);
	faults = kt_minflt() - f0;
	kt_ptdump(p, bo.size, &lv);
	kt_print_levels("t2 unaligned mapping", &lv);

	/* Written through the unaligned mapping, read through the other. */
	bad1 = kt_check(q, bo.size, 2);
	kt_fill(q, bo.size, 3);
	bad2 = kt_check(p, bo.size, 3);

	/* A small BO: no alignment, no huge entry, still correct. */
	if (kt_bo_create(&d, &small, 128, 128))
		return kt_result("t2-unaligned", 0, "small-bo=failed");
	s = kt_map(&d, &small, NULL);
	if (!s)
		return kt_result("t2-unaligned", 0, "small-mmap=failed");
	kt_fill(s, small.size, 4);
	bad_small = kt_check(s, small.size, 4);
	kt_ptdump(s, small.size, &lv_small);
	kt_print_levels("t2 small BO", &lv_small);

	pass = lv.pte == bo.size && !lv.pmd && faults == 256 && !bad1 &&
	       !bad2 && !bad_small && lv_small.pte == small.size;
	kt_result("t2-unaligned", pass,
		  "kernel=%s addr=%p offset_in_2M=%luK pmd=%lu pte=%lu faults=%ld bad_words=%zu+%zu small_bo=%lluK small_bad=%zu",
		  a.kernel, (void *)p, ((uintptr_t)p % KT_2M) >> 10,
		  lv.pmd / KT_2M, lv.pte / KT_4K, faults, bad1, bad2,
		  (unsigned long long)small.size >> 10, bad_small);
	return !pass;
}
