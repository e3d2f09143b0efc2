// SPDX-License-Identifier: MIT
/*
 * Test 4: eviction. A 16 MiB buffer A is filled through a huge mapping in
 * VRAM; then four more 16 MiB buffers are scanned out in turn, which pins
 * each into the 64 MiB of VRAM, so TTM must evict A to system memory.
 * The eviction must zap A's mapping, and touching A again must fault it
 * back in from system pages (cached, PMD where the pool pages are
 * contiguous and aligned, PTE elsewhere) with every byte intact. Finally
 * A is scanned out itself, moves back into VRAM and is mapped by PMD
 * entries again.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "ktest.h"

#define NR_OTHERS 4

int main(int argc, char **argv)
{
	struct kt_levels before, zapped, sys, back;
	struct kt_bo a_bo, others[NR_OTHERS];
	size_t bad_sys, bad_back;
	long f0, faults_sys, faults_back;
	struct kt_args a;
	struct kt_dev d;
	int i, pass;
	char *p;

	kt_parse_args(argc, argv, &a);
	if (kt_open(&d) || kt_bo_create(&d, &a_bo, 2048, 2048) ||
	    kt_place_in_vram(&d, &a_bo))
		return kt_result("t4-evict", 0, "setup=failed");
	p = kt_map(&d, &a_bo, NULL);
	if (!p)
		return kt_result("t4-evict", 0, "mmap=failed");
	kt_fill(p, a_bo.size, 6);
	kt_ptdump(p, a_bo.size, &before);
	kt_print_levels("t4 A in VRAM", &before);

	for (i = 0; i < NR_OTHERS; i++)
		if (kt_bo_create(&d, &others[i], 2048, 2048) ||
		    kt_scanout(&d, &others[i]))
			return kt_result("t4-evict", 0, "fill-vram=failed");
	kt_dump_vram_mm();
	kt_ptdump(p, a_bo.size, &zapped);
	kt_print_levels("t4 A after VRAM filled", &zapped);

	f0 = kt_minflt();
	bad_sys = kt_check(p, a_bo.size, 6);
	faults_sys = kt_minflt() - f0;
	kt_ptdump(p, a_bo.size, &sys);
	kt_print_levels("t4 A refaulted from system memory", &sys);
	kt_fill(p, a_bo.size, 7);

	/* Scan A out: it moves back into VRAM, written while in system. */
	if (kt_scanout(&d, &a_bo) || kt_scanout(&d, NULL))
		return kt_result("t4-evict", 0, "scanout-a=failed");
	f0 = kt_minflt();
	bad_back = kt_check(p, a_bo.size, 7);
	faults_back = kt_minflt() - f0;
	kt_ptdump(p, a_bo.size, &back);
	kt_print_levels("t4 A back in VRAM", &back);

	pass = zapped.none == a_bo.size && !bad_sys && !bad_back &&
	       sys.pmd + sys.pte == a_bo.size && sys.cached && !sys.uncached &&
	       back.uncached && !back.cached &&
	       (a.expect == KT_EXPECT_HUGE ?
		before.pmd == a_bo.size && back.pmd == a_bo.size :
		before.pte == a_bo.size && back.pte == a_bo.size && !sys.pmd);
	kt_result("t4-evict", pass,
		  "kernel=%s vram_pmd=%lu zapped=%s sys_pmd=%lu sys_pte=%lu sys_faults=%ld sys_caching=%s back_pmd=%lu back_pte=%lu back_faults=%ld bad_words=%zu+%zu",
		  a.kernel, before.pmd / KT_2M,
		  zapped.none == a_bo.size ? "whole" : "partly",
		  sys.pmd / KT_2M, sys.pte / KT_4K, faults_sys,
		  sys.cached && !sys.uncached ? "wb(system)" : "vram?",
		  back.pmd / KT_2M, back.pte / KT_4K, faults_back,
		  bad_sys, bad_back);
	return !pass;
}
