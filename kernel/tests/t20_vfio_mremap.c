// SPDX-License-Identifier: MIT
/*
 * Test 13: mremap() of vfio-pci's huge pfnmaps, MREMAP_MAYMOVE |
 * MREMAP_FIXED to a new address.
 *
 * PMD case: 64 MiB mapped by PMDs, moved to another 2 MiB aligned
 * address: move_huge_pmd() moves the 32 entries, present at the new
 * address before anything touches it.
 *
 * PUD case, aligned: 1 GiB mapped by one PUD, moved to a 1 GiB aligned
 * address. The PUD must move as the PMDs do (move_huge_pud()), the kernel
 * log must stay free of "bad pud", the old address must fault (SIGSEGV:
 * no stale translation survives), and the bytes must be there.
 *
 * PUD case, unaligned: the same to an address that is 2 MiB but not
 * 1 GiB aligned. The PUD cannot move whole; it must be split (for a
 * pfnmap: zapped) without a "bad pud", and the new range refault from
 * vfio-pci with PMDs, bytes intact.
 *
 * On an x86 6.12 kernel without the mremap fix, get_old_pud() takes the
 * PUD leaf for a bad table entry: pud_clear_bad() logs "bad pud" and
 * clears it (no TLB flush), and the huge-PUD branch of
 * move_page_tables() is never reached. The test reports that and fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ktest.h"
#include "ktest_vfio.h"
#include "ktest_walk.h"

#define NAME	"t20-vfio-mremap"
#define MIB	(1UL << 20)

struct move {
	const char *what;
	struct ktest_counts before, moved, refaulted;
	int bad_puds, old_faults;
	long faults;		/* to read every page at the new address */
	size_t bad_pages;
	uint64_t stale;
	char *from, *to;
};

/* Maps @len of the BAR at @off, stamps it and moves it to @align + @skew. */
static int move_one(struct ktest_vfio *v, struct move *m, size_t len,
		    uint64_t off, size_t align, size_t skew, uint64_t seed)
{
	int bad0;
	long f0;
	void *r;

	m->from = ktest_vfio_mmap(v, len, off, NULL, PROT_READ | PROT_WRITE);
	m->to = ktest_free_range(len, align, skew);
	if (!m->from || !m->to)
		return -1;
	ktest_vfio_stamp(m->from, len, off, seed);
	ktest_walk_range(m->from, len, &m->before);
	/* The last page written is the likeliest to be in the TLB. */
	*(volatile uint64_t *)(m->from + len - KT_4K);
	bad0 = kt_klog_count("bad pud");
	r = mremap(m->from, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, m->to);
	if (r != m->to) {
		kt_info("%s: mremap to %p: %s", m->what, (void *)m->to,
			strerror(errno));
		return -1;
	}
	ktest_walk_range(m->to, len, &m->moved);
	m->old_faults = kt_faults_at(m->from + len - KT_4K, &m->stale);
	m->bad_puds = kt_klog_count("bad pud") - bad0;
	kt_klog_print("bad pud", bad0);
	f0 = kt_minflt();
	m->bad_pages = ktest_vfio_stamp_check(m->to, len, off, seed);
	m->faults = kt_minflt() - f0;
	ktest_walk_range(m->to, len, &m->refaulted);
	kt_info("%s: %p -> %p, kernel reports of a bad PUD: %d, old address %s, %ld faults to read it all, %zu bad pages",
		m->what, (void *)m->from, (void *)m->to, m->bad_puds,
		m->old_faults ? "faults" : "STILL READS (stale TLB entry)",
		m->faults, m->bad_pages);
	if (!m->old_faults)
		kt_info("%s: read %#llx at the old address, the stamp of BAR offset %#llx is %#llx",
			m->what, (unsigned long long)m->stale,
			(unsigned long long)(off + len - KT_4K),
			(unsigned long long)ktest_vfio_stamp_value(off + len - KT_4K,
								   seed));
	ktest_print_counts("  before", &m->before);
	ktest_print_counts("  right after mremap", &m->moved);
	ktest_print_counts("  after reading it", &m->refaulted);
	munmap(m->to, len);
	return 0;
}

int main(int argc, char **argv)
{
	struct move pmd = { .what = "t20 PMD 64 MiB to 2 MiB aligned" };
	struct move pud = { .what = "t20 PUD 1 GiB to 1 GiB aligned" };
	struct move unal = { .what = "t20 PUD 1 GiB to 1 GiB + 2 MiB" };
	int ok_pmd, ok_pud, ok_unal, pass;
	struct ktest_vfio v;
	struct kt_args a;
	int kind;

	kt_parse_args(argc, argv, &a);
	kind = !strcmp(a.kernel, "control") ? KW_NORMAL : KW_SPECIAL;
	if (ktest_vfio_open(&v, KTEST_VFIO_BDF, KTEST_VFIO_BAR))
		return kt_result(NAME, 0, "setup=failed");
	if (move_one(&v, &pmd, 64 * MIB, KT_1G, KT_1G, 64 * MIB, 40) ||
	    move_one(&v, &pud, KT_1G, 0, KT_1G, 0, 41) ||
	    move_one(&v, &unal, KT_1G, KT_1G, KT_1G, KT_2M, 42))
		return kt_result(NAME, 0, "setup=failed");

	ok_pmd = pmd.before.n[1][kind] == 32 && pmd.moved.n[1][kind] == 32 &&
		 !pmd.faults && pmd.old_faults && !pmd.bad_pages;
	ok_pud = pud.before.n[0][kind] == 1 && pud.moved.n[0][kind] == 1 &&
		 !pud.faults && !pud.bad_puds && pud.old_faults &&
		 !pud.bad_pages;
	ok_unal = unal.before.n[0][kind] == 1 &&
		  !ktest_counts_level(&unal.moved, 0) && !unal.bad_puds &&
		  unal.old_faults && !unal.bad_pages &&
		  ktest_counts_level(&unal.refaulted, 1) == 512;
	pass = ok_pmd && ok_pud && ok_unal;
	kt_result(NAME, pass,
		  "kernel=%s pmd_move=%s(%ld->%ldpmd,%ldfaults) pud_aligned=%s(%ld->%ldpud,%ldfaults,bad_pud=%d,old=%s) pud_unaligned=%s(%ld->%ldpud,bad_pud=%d,old=%s,refault=%ldpmd+%ldpte) bad_pages=%zu",
		  a.kernel, ok_pmd ? "ok" : "WRONG",
		  ktest_counts_level(&pmd.before, 1),
		  ktest_counts_level(&pmd.moved, 1), pmd.faults,
		  ok_pud ? "ok" : "WRONG",
		  ktest_counts_level(&pud.before, 0),
		  ktest_counts_level(&pud.moved, 0), pud.faults, pud.bad_puds,
		  pud.old_faults ? "faults" : "stale",
		  ok_unal ? "ok" : "WRONG",
		  ktest_counts_level(&unal.before, 0),
		  ktest_counts_level(&unal.moved, 0), unal.bad_puds,
		  unal.old_faults ? "faults" : "stale",
		  ktest_counts_level(&unal.refaulted, 1),
		  ktest_counts_level(&unal.refaulted, 2),
		  pmd.bad_pages + pud.bad_pages + unal.bad_pages);
	ktest_vfio_close(&v);
	return !pass;
}
