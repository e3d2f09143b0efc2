// SPDX-License-Identifier: MIT
/*
 * Test 1: a 16 MiB dumb buffer in VRAM, mapped at the address mmap()
 * picks, is mapped by PMD entries over its whole range, touching every
 * 4 KiB page takes one fault per 2 MiB, and the bytes read back.
 *
 * Patched or control kernel: 8 PMD entries, 8 faults, 2 MiB aligned address.
 * Unpatched kernel: 4096 PTEs, 256 faults (TTM prefaults 16 pages).
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "ktest.h"

int main(int argc, char **argv)
{
	struct kt_levels lv;
	struct kt_args a;
	struct kt_dev d;
	struct kt_bo bo;
	long f0, faults;
	size_t bad;
	int aligned, pass;
	char *p;

	kt_parse_args(argc, argv, &a);
	if (kt_open(&d) || kt_bo_create(&d, &bo, 2048, 2048) ||
	    kt_place_in_vram(&d, &bo))
		return kt_result("t1-pmd-map", 0, "setup=failed");
	kt_dump_vram_mm();

	p = kt_map(&d, &bo, NULL);
	if (!p)
		return kt_result("t1-pmd-map", 0, "mmap=failed");
	aligned = !((uintptr_t)p % KT_2M);

	f0 = kt_minflt();
	kt_fill(p, bo.size, 1);
	faults = kt_minflt() - f0;

	kt_ptdump(p, bo.size, &lv);
	kt_print_levels("t1 after touch", &lv);
	bad = kt_check(p, bo.size, 1);

	if (a.expect == KT_EXPECT_HUGE)
		pass = aligned && lv.pmd == bo.size && faults == 8;
	else
		pass = lv.pte == bo.size && faults == 256;
	pass = pass && !bad && lv.uncached && !lv.cached;

	kt_result("t1-pmd-map", pass,
		  "kernel=%s size=%lluM addr=%p aligned2M=%d pmd=%lu pte=%lu faults=%ld caching=%s bad_words=%zu",
		  a.kernel, (unsigned long long)bo.size >> 20, (void *)p,
		  aligned, lv.pmd / KT_2M, lv.pte / KT_4K, faults,
		  lv.uncached ? "wc/uc(vram)" : "wb", bad);
	munmap(p, bo.size);
	return !pass;
}
