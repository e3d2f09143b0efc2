// SPDX-License-Identifier: MIT
/*
 * Test 12: eviction of a PUD-mapped buffer, and its way back.
 *
 * 1. A (1 GiB) is moved into the 2 GiB of VRAM first (offset 0), mapped
 *    and stamped: one PUD with the series. B (1 GiB) fills the rest of
 *    VRAM, then C (64 KiB) finds no room and TTM evicts the least recently
 *    used buffer, A, to system memory. A's mapping must be zapped whole
 *    (zap_huge_pud() clears the PUD).
 * 2. C is freed and A, untouched since, moved back into VRAM (offset 0):
 *    the PUD slot is empty, so the next access maps A with one PUD again,
 *    one fault, and every page reads back the word written in step 1.
 * 3. A is moved to system memory again and read there: system pages are
 *    contiguous at most per pool allocation, so A is refaulted with PMDs
 *    (cached) where those are aligned, PTEs elsewhere; the refault leaves
 *    a PMD table in the PUD slot. A is rewritten and moved back into VRAM:
 *    zapping A's entries leaves that table in place (page tables are only
 *    freed with the VMA), so this mapping of A can only get PMDs now,
 *    512 faults. A new mapping of A gets its PUD, one fault.
 * Unpatched: PTEs throughout, the same data.
 */
#include <stdint.h>
#include <stdio.h>

#include "ktest.h"
#include "ktest_hpvram.h"

int main(int argc, char **argv)
{
	int64_t off_a, off_b, off_c, off_evicted, off_back, off_sys, off_again;
	long f0, faults_back, faults_sys, faults_again, faults_new;
	struct kt_levels before, zapped, back, sys, again, fresh;
	size_t bad_back, bad_sys, bad_again, bad_new;
	struct kt_bo bo_a, bo_b, bo_c;
	int pass, pass1, pass2, pass3;
	struct kt_args a;
	struct kt_dev d;
	char *p, *q;
	int huge;

	kt_parse_args(argc, argv, &a);
	huge = a.expect == KT_EXPECT_HUGE;
	p = kt_hpvram_open(&d) ? NULL :
	    kt_hpvram_vram_map(&d, &bo_a, 1024, &off_a);
	if (!p)
		return kt_result("t12-pud-evict", 0, "setup=failed");
	kt_stamp(p, bo_a.size, 12);
	kt_ptdump(p, bo_a.size, &before);
	kt_print_levels("t12 A in VRAM", &before);

	/* 1. evicted by C */
	if (kt_hpvram_bo(&d, &bo_b, 1024) ||
	    kt_hpvram_place(&d, &bo_b, KT_HPVRAM_VRAM, &off_b) ||
	    kt_dumb_create(&d, &bo_c, 128, 128) ||
	    kt_hpvram_place(&d, &bo_c, KT_HPVRAM_VRAM, &off_c) ||
	    kt_hpvram_place(&d, &bo_a, KT_HPVRAM_QUERY, &off_evicted))
		return kt_result("t12-pud-evict", 0, "fill-vram=failed");
	kt_info("t12: A at 0x%llx, B at 0x%llx, C at 0x%llx, then A at %lld",
		(long long)off_a, (long long)off_b, (long long)off_c,
		(long long)off_evicted);
	kt_ptdump(p, bo_a.size, &zapped);
	kt_print_levels("t12 A after VRAM filled", &zapped);
	pass1 = off_a == 0 && off_evicted == -1 && zapped.none == bo_a.size &&
		(huge ? before.pud == bo_a.size : before.pte == bo_a.size);

	/* 2. back into VRAM, untouched in system memory */
	kt_bo_destroy(&d, &bo_c);
	if (kt_hpvram_place(&d, &bo_a, KT_HPVRAM_VRAM, &off_back))
		return kt_result("t12-pud-evict", 0, "back-to-vram=failed");
	f0 = kt_minflt();
	bad_back = kt_check_stamps(p, bo_a.size, 12);
	faults_back = kt_minflt() - f0;
	kt_ptdump(p, bo_a.size, &back);
	kt_print_levels("t12 A back in VRAM", &back);
	pass2 = off_back == 0 && !bad_back && back.uncached && !back.cached &&
		(huge ? back.pud == bo_a.size && faults_back == 1 :
			back.pte == bo_a.size);

	/* 3. through system memory, and back again */
	if (kt_hpvram_place(&d, &bo_a, KT_HPVRAM_SYSTEM, &off_sys))
		return kt_result("t12-pud-evict", 0, "to-system=failed");
	f0 = kt_minflt();
	bad_sys = kt_check_stamps(p, bo_a.size, 12);
	faults_sys = kt_minflt() - f0;
	kt_ptdump(p, bo_a.size, &sys);
	kt_print_levels("t12 A refaulted from system memory", &sys);
	kt_stamp(p, bo_a.size, 13);
	if (kt_hpvram_place(&d, &bo_a, KT_HPVRAM_VRAM, &off_again))
		return kt_result("t12-pud-evict", 0, "again-to-vram=failed");
	f0 = kt_minflt();
	bad_again = kt_check_stamps(p, bo_a.size, 13);
	faults_again = kt_minflt() - f0;
	kt_ptdump(p, bo_a.size, &again);
	kt_print_levels("t12 A back in VRAM, same mapping", &again);
	q = kt_map(&d, &bo_a, NULL);
	if (!q)
		return kt_result("t12-pud-evict", 0, "second-mmap=failed");
	f0 = kt_minflt();
	bad_new = kt_check_stamps(q, bo_a.size, 13);
	faults_new = kt_minflt() - f0;
	kt_ptdump(q, bo_a.size, &fresh);
	kt_print_levels("t12 A back in VRAM, new mapping", &fresh);
	pass3 = off_sys == -1 && off_again == 0 && !bad_sys && !bad_again &&
		!bad_new && !sys.pud && sys.pmd + sys.pte == bo_a.size &&
		sys.cached && !sys.uncached &&
		(huge ? again.pmd == bo_a.size && fresh.pud == bo_a.size &&
			faults_new == 1 :
			!sys.pmd && again.pte == bo_a.size &&
			fresh.pte == bo_a.size);

	pass = pass1 && pass2 && pass3;
	kt_result("t12-pud-evict", pass,
		  "kernel=%s vram_pud=%lu evicted=%s zapped=%s back:pud=%lu,pte=%lu,faults=%ld sys:pmd=%lu,pte=%lu,faults=%ld,caching=%s again:pud=%lu,pmd=%lu,faults=%ld new_mapping:pud=%lu,pte=%lu,faults=%ld bad_pages=%zu+%zu+%zu+%zu",
		  a.kernel, before.pud / KT_1G,
		  off_evicted == -1 ? "yes" : "no",
		  zapped.none == bo_a.size ? "whole" : "partly",
		  back.pud / KT_1G, back.pte / KT_4K, faults_back,
		  sys.pmd / KT_2M, sys.pte / KT_4K, faults_sys,
		  sys.cached && !sys.uncached ? "wb(system)" : "vram?",
		  again.pud / KT_1G, again.pmd / KT_2M, faults_again,
		  fresh.pud / KT_1G, fresh.pte / KT_4K, faults_new,
		  bad_back, bad_sys, bad_again, bad_new);
	return !pass;
}
