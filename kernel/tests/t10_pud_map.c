// SPDX-License-Identifier: MIT
/*
 * Test 10: the PUD path. On hpvram (2 GiB of VRAM), a 64 KiB buffer S is
 * moved into VRAM first (offset 0), then a 1 GiB buffer B. With the series
 * B's VRAM offset is 1 GiB aligned (the desired placement of patch 0005:
 * 1 GiB, past S) and so is its user address (0004), so writing one word
 * in each of its 262144 pages takes a single fault, which maps the whole
 * GiB with one PUD entry; every page then reads its own word back.
 * Unpatched, B lands right after S at 64 KiB and is mapped by PTEs, one
 * fault per 16 pages.
 *
 * A second 1 GiB buffer C (left in system memory, never touched) is then
 * mapped: top-down, mm puts it below B. With the series its padded range
 * ends at B, so its 1 GiB aligned start is B's minus 1 GiB, with no hole
 * between them; picking the lowest aligned address in that range instead
 * (what patch 0004's v2 did, unlike __thp_get_unmapped_area()) leaves a
 * 1 GiB hole. Unpatched, the hole is what 2 MiB alignment to the fake
 * offset costs: less than 2 MiB.
 */
#include <stdint.h>
#include <stdio.h>

#include "ktest.h"
#include "ktest_hpvram.h"

int main(int argc, char **argv)
{
	int64_t off_s, off_b;
	struct kt_levels lv;
	struct kt_bo s, b, c;
	struct kt_args a;
	struct kt_dev d;
	long faults, f0, n[3], hole;
	size_t bad;
	int pass;
	char *p, *q;

	kt_parse_args(argc, argv, &a);
	if (kt_hpvram_open(&d) || kt_dumb_create(&d, &s, 128, 128) ||
	    kt_hpvram_place(&d, &s, KT_HPVRAM_VRAM, &off_s) ||
	    kt_hpvram_bo(&d, &b, 1024) ||
	    kt_hpvram_place(&d, &b, KT_HPVRAM_VRAM, &off_b))
		return kt_result("t10-pud-map", 0, "setup=failed");
	kt_info("t10: S (%llu KiB) at VRAM 0x%llx, B (%llu MiB) at VRAM 0x%llx",
		(unsigned long long)s.size >> 10, (long long)off_s,
		(unsigned long long)b.size >> 20, (long long)off_b);
	p = kt_map(&d, &b, NULL);
	if (!p)
		return kt_result("t10-pud-map", 0, "mmap=failed");
	kt_info("t10: B mapped at %p", (void *)p);

	f0 = kt_minflt();
	kt_stamp(p, b.size, 10);
	faults = kt_minflt() - f0;
	kt_ptdump(p, b.size, &lv);
	kt_print_levels("t10 B after one write per page", &lv);
	kt_walk_leaves(p, b.size, n);
	bad = kt_check_stamps(p, b.size, 10);
	q = kt_hpvram_bo(&d, &c, 1024) ? NULL : kt_map(&d, &c, NULL);
	hole = q && q + c.size <= p ? (long)(p - (q + c.size)) : -1;
	kt_info("t10: C (%llu MiB) mapped at %p, %ld KiB below B",
		(unsigned long long)c.size >> 20, (void *)q,
		hole < 0 ? -1 : hole >> 10);

	if (a.expect == KT_EXPECT_HUGE)
		pass = off_b == (int64_t)KT_1G && !((uintptr_t)p % KT_1G) &&
		       lv.pud == b.size && faults == 1;
	else
		pass = off_b == (int64_t)s.size && lv.pte == b.size &&
		       !lv.pud && !lv.pmd;
	pass = pass && off_s == 0 && lv.uncached && !lv.cached && !bad &&
	       hole >= 0 && hole < (a.expect == KT_EXPECT_HUGE ? 1 : (long)KT_2M);
	kt_result("t10-pud-map", pass,
		  "kernel=%s vram_offset=0x%llx addr_1g_aligned=%s pud=%lu pmd=%lu pte=%lu faults=%ld walk=%ld/%ld/%ld bad_pages=%zu hole_below_to_next_1g_bo=%ldKiB",
		  a.kernel, (long long)off_b,
		  (uintptr_t)p % KT_1G ? "no" : "yes", lv.pud / KT_1G,
		  lv.pmd / KT_2M, lv.pte / KT_4K, faults, n[0], n[1], n[2],
		  bad, hole < 0 ? -1 : hole >> 10);
	return !pass;
}
