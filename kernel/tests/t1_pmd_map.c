// SPDX-License-Identifier: MIT
/*
 * Test 1: a 16 MiB dumb buffer in VRAM, mapped at the address mmap()
 * picks, is mapped by PMD entries over its whole range, touching every
 * 4 KiB page takes one fault per 2 MiB, and the bytes read back.
 *
 * A 64 KiB buffer is created first, so the big one's fake mmap offset is
 * not 2 MiB aligned: mm's generic placement (which aligns a mapping whose
 * length is a multiple of 2 MiB to its file offset) then gives a useless
 * address, and only the DRM hook aligns the mapping to the buffer's start.
 * A 3 MiB buffer shows the mixed case: one PMD, then PTEs; it is moved
 * into VRAM before the big one, which then lands 2 MiB aligned in VRAM
 * only thanks to the VRAM helper's placement.
 *
 * Patched or control kernel: 8 PMD entries, 8 faults, 2 MiB aligned address.
 * Unpatched kernel: 4096 PTEs and 256 faults (TTM prefaults 16 pages).
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "ktest.h"

int main(int argc, char **argv)
{
	struct kt_bo small, bo, odd;
	struct kt_levels lv, lv_odd;
	long f0, faults, faults_odd;
	size_t bad, bad_odd;
	int aligned, pass;
	struct kt_args a;
	struct kt_dev d;
	char *p, *q;

	kt_parse_args(argc, argv, &a);
	/*
	 * The 3 MiB buffer goes into VRAM first, so that the 16 MiB one sits
	 * on a 2 MiB boundary in VRAM only if large BOs are placed aligned.
	 */
	if (kt_open(&d) || kt_bo_create(&d, &small, 128, 128) ||
	    kt_bo_create(&d, &bo, 2048, 2048) ||
	    kt_bo_create(&d, &odd, 1024, 768) || kt_place_in_vram(&d, &odd) ||
	    kt_place_in_vram(&d, &bo))
		return kt_result("t1-pmd-map", 0, "setup=failed");
	kt_dump_vram_mm();

	p = kt_map(&d, &bo, NULL);
	if (!p)
		return kt_result("t1-pmd-map", 0, "mmap=failed");
	aligned = !((uintptr_t)p % KT_2M);
	kt_info("t1 16 MiB buffer: fake offset %#llx, address %p",
		(unsigned long long)bo.offset, (void *)p);

	f0 = kt_minflt();
	kt_fill(p, bo.size, 1);
	faults = kt_minflt() - f0;

	kt_ptdump(p, bo.size, &lv);
	kt_print_levels("t1 after touch", &lv);
	bad = kt_check(p, bo.size, 1);

	/* 3 MiB: the first 2 MiB block can be huge, the rest cannot. */
	q = kt_map(&d, &odd, NULL);
	if (!q)
		return kt_result("t1-pmd-map", 0, "mmap=failed");
	f0 = kt_minflt();
	kt_fill(q, odd.size, 11);
	faults_odd = kt_minflt() - f0;
	kt_ptdump(q, odd.size, &lv_odd);
	kt_print_levels("t1 3 MiB buffer", &lv_odd);
	bad_odd = kt_check(q, odd.size, 11);

	if (a.expect == KT_EXPECT_HUGE)
		pass = aligned && lv.pmd == bo.size && faults == 8 &&
		       lv_odd.pmd == KT_2M && faults_odd == 1 + 256 / 16;
	else
		pass = lv.pte == bo.size && faults == 256 &&
		       lv_odd.pte == odd.size && faults_odd == 768 / 16;
	pass = pass && !bad && !bad_odd && lv.uncached && !lv.cached;

	kt_result("t1-pmd-map", pass,
		  "kernel=%s size=%lluM addr=%p aligned2M=%d pmd=%lu pte=%lu faults=%ld caching=%s bad_words=%zu 3M_buffer=%lupmd+%lupte/%ldfaults",
		  a.kernel, (unsigned long long)bo.size >> 20, (void *)p,
		  aligned, lv.pmd / KT_2M, lv.pte / KT_4K, faults,
		  lv.uncached ? "wc/uc(vram)" : "wb", bad + bad_odd,
		  lv_odd.pmd / KT_2M, lv_odd.pte / KT_4K, faults_odd);
	munmap(p, bo.size);
	return !pass;
}
