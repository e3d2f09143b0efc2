// SPDX-License-Identifier: MIT
/*
 * Test 13: where a PUD cannot be used, PMDs are.
 *
 * a) Mapping: a 1 GiB buffer A in VRAM at offset 0 is mapped with
 *    MAP_FIXED 2 MiB past a 1 GiB boundary. No 1 GiB block of the mapping
 *    matches a 1 GiB block of VRAM, but every 2 MiB block does: with the
 *    series the huge fault falls back from PUD to PMD, 512 PMDs, one fault
 *    each.
 * b) Placement: a 64 KiB buffer S is moved into VRAM (offset 0), then a
 *    buffer X of 1 GiB + 2 MiB. No 1 GiB aligned offset has room for X without
 *    evicting S, so the series' PUD-aligned attempt fails and the
 *    PMD-aligned one places X at 2 MiB, S staying in VRAM; X's mapping
 *    (1 GiB aligned) is then made of PMDs. Unpatched, X lands at 64 KiB.
 * Every page reads back its word; unpatched, everything is PTEs.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "ktest.h"
#include "ktest_hpvram.h"

int main(int argc, char **argv)
{
	long f0, faults_a, faults_x;
	int64_t off_a, off_s, off_x, off_s_after;
	struct kt_levels lv_a, lv_x;
	size_t bad_a, bad_x;
	struct kt_bo bo_a, s, x;
	int pass_a, pass_x, huge;
	struct kt_args a;
	struct kt_dev d;
	char *p, *want;

	kt_parse_args(argc, argv, &a);
	huge = a.expect == KT_EXPECT_HUGE;
	if (kt_hpvram_open(&d) || kt_hpvram_bo(&d, &bo_a, 1024) ||
	    kt_hpvram_place(&d, &bo_a, KT_HPVRAM_VRAM, &off_a))
		return kt_result("t13-pud-fallback", 0, "setup=failed");
	want = kt_reserve_at(bo_a.size, KT_1G, KT_2M);
	p = want ? kt_map(&d, &bo_a, want) : NULL;
	if (!p)
		return kt_result("t13-pud-fallback", 0, "mmap=failed");
	kt_info("t13 a: A at VRAM 0x%llx mapped at %p", (long long)off_a,
		(void *)p);
	f0 = kt_minflt();
	kt_stamp(p, bo_a.size, 13);
	faults_a = kt_minflt() - f0;
	kt_ptdump(p, bo_a.size, &lv_a);
	kt_print_levels("t13 a: A 2 MiB past a 1 GiB boundary", &lv_a);
	bad_a = kt_check_stamps(p, bo_a.size, 13);
	pass_a = off_a == 0 && !bad_a && !lv_a.pud &&
		 (huge ? lv_a.pmd == bo_a.size && faults_a == 512 :
			 lv_a.pte == bo_a.size);
	munmap(p, bo_a.size);
	kt_bo_destroy(&d, &bo_a);

	if (kt_dumb_create(&d, &s, 128, 128) ||
	    kt_hpvram_place(&d, &s, KT_HPVRAM_VRAM, &off_s) ||
	    kt_hpvram_bo(&d, &x, 1026) ||
	    kt_hpvram_place(&d, &x, KT_HPVRAM_VRAM, &off_x) ||
	    kt_hpvram_place(&d, &s, KT_HPVRAM_QUERY, &off_s_after))
		return kt_result("t13-pud-fallback", 0, "setup-b=failed");
	p = kt_map(&d, &x, NULL);
	if (!p)
		return kt_result("t13-pud-fallback", 0, "mmap-b=failed");
	kt_info("t13 b: S at VRAM 0x%llx (then 0x%llx), X (%llu MiB) at 0x%llx mapped at %p",
		(long long)off_s, (long long)off_s_after,
		(unsigned long long)x.size >> 20, (long long)off_x, (void *)p);
	f0 = kt_minflt();
	kt_stamp(p, x.size, 14);
	faults_x = kt_minflt() - f0;
	kt_ptdump(p, x.size, &lv_x);
	kt_print_levels("t13 b: X at an unaligned VRAM offset", &lv_x);
	bad_x = kt_check_stamps(p, x.size, 14);
	pass_x = off_s == 0 && off_s_after == 0 && !bad_x && !lv_x.pud &&
		 (huge ? off_x == (int64_t)KT_2M && lv_x.pmd == x.size &&
			 !((uintptr_t)p % KT_1G) :
			 off_x == (int64_t)s.size && lv_x.pte == x.size);

	kt_result("t13-pud-fallback", pass_a && pass_x,
		  "kernel=%s a:pud=%lu,pmd=%lu,pte=%lu,faults=%ld b:x_at=0x%llx,s_kept=%s,pud=%lu,pmd=%lu,pte=%lu,faults=%ld bad_pages=%zu+%zu",
		  a.kernel, lv_a.pud / KT_1G, lv_a.pmd / KT_2M,
		  lv_a.pte / KT_4K, faults_a, (long long)off_x,
		  off_s_after == 0 ? "yes" : "no", lv_x.pud / KT_1G,
		  lv_x.pmd / KT_2M, lv_x.pte / KT_4K, faults_x, bad_a, bad_x);
	return !(pass_a && pass_x);
}
