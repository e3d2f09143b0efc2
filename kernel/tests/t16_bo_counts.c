// SPDX-License-Identifier: MIT
/*
 * Test 16: the figures of make bench. For hpvram buffers of 16, 256 and
 * 1024 MiB, each alone in VRAM (offset 0) and mapped where mm or the
 * series puts it: one write per 4 KiB page, then the minor faults it took,
 * the growth of VmPTE (page-table memory), and the present leaves by level
 * from the observe patch's hugepfn_walk (-1 where that is missing). One
 * "hugepfn-bo:" line per buffer, which run-tests.sh collects into
 * results/bo-counts.tsv:
 *   hugepfn-bo: <kernel> <bo_mib> <faults> <pgtable_bytes> <pud> <pmd> <pte>
 * Times are never reported (QEMU runs under TCG).
 *
 * The test passes when every page reads back its word and the faults are
 * what the kernel should take: one per 1 GiB block with the series where a
 * PUD fits, one per 2 MiB block elsewhere; one per 16 pages without it.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "ktest.h"
#include "ktest_hpvram.h"

static const unsigned int sizes_mib[] = { 16, 256, 1024 };

/* Faults that touching a whole buffer of @size takes, by kernel. */
static long expected_faults(int huge, size_t size)
{
	if (!huge)
		return size / (16 * KT_4K);
	if (size >= KT_1G)
		return size / KT_1G;
	return size / KT_2M;
}

int main(int argc, char **argv)
{
	struct kt_args a;
	struct kt_dev d;
	int i, pass = 1;

	kt_parse_args(argc, argv, &a);
	if (kt_hpvram_open(&d))
		return kt_result("t16-bo-counts", 0, "setup=failed");
	for (i = 0; i < (int)(sizeof(sizes_mib) / sizeof(sizes_mib[0])); i++) {
		long f0, faults, pte0, pgtable, n[3];
		struct kt_bo bo;
		int64_t off;
		size_t bad;
		char *p;

		p = kt_hpvram_vram_map(&d, &bo, sizes_mib[i], &off);
		if (!p)
			return kt_result("t16-bo-counts", 0, "setup=failed");
		pte0 = kt_vmpte_bytes();
		f0 = kt_minflt();
		kt_stamp(p, bo.size, 17);
		faults = kt_minflt() - f0;
		pgtable = kt_vmpte_bytes() - pte0;
		kt_walk_leaves(p, bo.size, n);
		bad = kt_check_stamps(p, bo.size, 17);
		printf("hugepfn-bo: %s %u %ld %ld %ld %ld %ld\n", a.kernel,
		       sizes_mib[i], faults, pgtable, n[0], n[1], n[2]);
		kt_info("t16: %u MiB at VRAM 0x%llx mapped at %p: %ld faults, %ld bytes of page tables, bad pages %zu",
			sizes_mib[i], (long long)off, (void *)p, faults,
			pgtable, bad);
		if (bad || off != 0 ||
		    faults != expected_faults(a.expect == KT_EXPECT_HUGE,
					      bo.size))
			pass = 0;
		munmap(p, bo.size);
		kt_bo_destroy(&d, &bo);
	}
	return kt_result("t16-bo-counts", pass, "kernel=%s", a.kernel);
}
