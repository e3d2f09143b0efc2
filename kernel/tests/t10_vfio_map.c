// SPDX-License-Identifier: MIT
/*
 * Test 10: what 6.12's vfio-pci maps for a 2 GiB BAR (ivshmem at 00:06.0,
 * vfio-pci in no-IOMMU mode). A mapping of the whole BAR at a 1 GiB
 * aligned address gets one PUD per GiB on the first touch; a 64 MiB one
 * at a 2 MiB (not 1 GiB) aligned address gets PMDs; one 64 KiB past a
 * 2 MiB boundary gets PTEs. Every entry is special (none is devmap) and
 * maps the BAR's own pfns, checked on the raw entries from hugepfn_walk;
 * all three mappings see the same bytes. On the control kernel, whose
 * huge pfn entries lack the special bit by design, the PUDs and PMDs are
 * "normal" instead.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ktest.h"
#include "ktest_vfio.h"
#include "ktest_walk.h"

#define NAME	"t10-vfio-map"
#define MIB	(1UL << 20)

struct entry {
	int level, kind;
	uint64_t raw;
};

static int lookup(const void *addr, struct entry *e)
{
	return ktest_walk_addr(addr, &e->level, &e->kind, &e->raw);
}

/* A present leaf of @level and @kind mapping BAR address @phys. */
static int entry_ok(const char *what, const struct entry *e, int level,
		    int kind, uint64_t phys)
{
	uint64_t want_bits = KW_X86_PRESENT | (level == KW_PTE ? 0 : KW_X86_PSE);
	int special = !!(e->raw & KW_X86_SPECIAL);
	int ok;

	ok = e->level == level && e->kind == kind &&
	     (e->raw & want_bits) == want_bits &&
	     special == (kind == KW_SPECIAL) && !(e->raw & KW_X86_DEVMAP) &&
	     ktest_entry_phys(e->raw, level) == phys;
	kt_info("%s: %s %s raw=%#llx phys=%#llx (want %s %s phys=%#llx) cache=%s%s %s",
		what, ktest_walk_level_name(e->level),
		ktest_walk_kind_name(e->kind), (unsigned long long)e->raw,
		(unsigned long long)ktest_entry_phys(e->raw, e->level),
		ktest_walk_level_name(level), ktest_walk_kind_name(kind),
		(unsigned long long)phys, e->raw & KW_X86_PCD ? "PCD" : "",
		e->raw & KW_X86_PWT ? "PWT" : "", ok ? "ok" : "WRONG");
	return ok;
}

/* Malformed commands must be refused with EINVAL, good ones taken. */
static int walker_errors_ok(void)
{
	static const char *const bad[] = {
		"range", "range 1000", "range 2000 1000", "range 1000 1000",
		"range 1000 800000000000000", "range 1000 2000 x", "range x y",
		"addr", "addr zz", "addr 1000 2000", "addr ffffffffffffffff",
		"walk 1000", "range -1000 2000",
	};
	unsigned int i;
	int ok = 1, ret;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ret = ktest_walk_command(bad[i]);
		if (ret != -EINVAL) {
			kt_info("hugepfn_walk took \"%s\": %d", bad[i], ret);
			ok = 0;
		}
	}
	ret = ktest_walk_command("range 0x1000 0x2000\n");
	if (ret) {
		kt_info("hugepfn_walk refused a good range: %d", ret);
		ok = 0;
	}
	return ok;
}

int main(int argc, char **argv)
{
	struct ktest_counts whole, mid, small;
	struct entry e_pud, e_pud2, e_pmd, e_pte;
	size_t bad_mid, bad_small, bad_whole;
	long f0, f_pud, f_pud2;
	struct ktest_vfio v;
	struct kt_args a;
	char *p, *q, *r;
	uint64_t phys;
	int kind, pass, errors_ok;

	kt_parse_args(argc, argv, &a);
	errors_ok = walker_errors_ok();
	/* The control kernel inserts huge pfn entries without the special bit. */
	kind = !strcmp(a.kernel, "control") ? KW_NORMAL : KW_SPECIAL;
	if (ktest_vfio_bar_phys(KTEST_VFIO_BDF, KTEST_VFIO_BAR, &phys) ||
	    ktest_vfio_open(&v, KTEST_VFIO_BDF, KTEST_VFIO_BAR))
		return kt_result(NAME, 0, "setup=failed");
	kt_info("vfio BAR%d at %#llx, region size %#llx offset %#llx",
		KTEST_VFIO_BAR, (unsigned long long)phys,
		(unsigned long long)v.bar_size,
		(unsigned long long)v.bar_offset);
	if (v.bar_size < 2 * KT_1G || phys & (KT_1G - 1))
		return kt_result(NAME, 0, "bar=%#llx+%#llx (want 2 GiB, 1 GiB aligned)",
				 (unsigned long long)phys,
				 (unsigned long long)v.bar_size);

	/* The whole BAR, 1 GiB aligned: one PUD per GiB. */
	p = ktest_vfio_mmap(&v, 2 * KT_1G, 0, NULL, PROT_READ | PROT_WRITE);
	if (!p)
		return kt_result(NAME, 0, "mmap=%s", strerror(errno));
	f0 = kt_minflt();
	*(volatile char *)p;
	f_pud = kt_minflt() - f0;
	ktest_vfio_stamp(p, 2 * KT_1G, 0, 10);
	f_pud2 = kt_minflt() - f0;
	lookup(p + 12345, &e_pud);
	lookup(p + KT_1G + 7 * MIB, &e_pud2);
	ktest_walk_range(p, 2 * KT_1G, &whole);
	ktest_print_counts("t10 2 GiB at 1 GiB", &whole);

	/* 64 MiB from BAR offset 64 MiB at a 2 MiB aligned address: PMDs. */
	q = ktest_free_range(64 * MIB, KT_1G, 64 * MIB);
	q = q ? ktest_vfio_mmap(&v, 64 * MIB, 64 * MIB, q,
				PROT_READ | PROT_WRITE) : NULL;
	if (!q)
		return kt_result(NAME, 0, "mmap64M=%s", strerror(errno));
	bad_mid = ktest_vfio_stamp_check(q, 64 * MIB, 64 * MIB, 10);
	lookup(q + 3 * MIB, &e_pmd);
	ktest_walk_range(q, 64 * MIB, &mid);
	ktest_print_counts("t10 64 MiB at 2 MiB", &mid);

	/* 8 MiB from BAR offset 0, 64 KiB past a 2 MiB boundary: PTEs. */
	r = ktest_free_range(8 * MIB, KT_2M, 64 << 10);
	r = r ? ktest_vfio_mmap(&v, 8 * MIB, 0, r, PROT_READ | PROT_WRITE) :
		NULL;
	if (!r)
		return kt_result(NAME, 0, "mmap8M=%s", strerror(errno));
	bad_small = ktest_vfio_stamp_check(r, 8 * MIB, 0, 10);
	lookup(r + 5 * KT_4K, &e_pte);
	ktest_walk_range(r, 8 * MIB, &small);
	ktest_print_counts("t10 8 MiB at 2 MiB + 64 KiB", &small);

	/* Writes through the small mapping show up in the big one. */
	ktest_vfio_stamp(r, 8 * MIB, 0, 11);
	bad_whole = ktest_vfio_stamp_check(p, 8 * MIB, 0, 11);

	pass = entry_ok("t10 PUD of GiB 0", &e_pud, KW_PUD, kind, phys);
	pass &= entry_ok("t10 PUD of GiB 1", &e_pud2, KW_PUD, kind, phys + KT_1G);
	pass &= entry_ok("t10 PMD at 67 MiB", &e_pmd, KW_PMD, kind,
			 phys + 66 * MIB);
	pass &= entry_ok("t10 PTE at 20 KiB", &e_pte, KW_PTE, KW_SPECIAL,
			 phys + 5 * KT_4K);
	pass = pass && !((uintptr_t)p & (KT_1G - 1)) &&
	       whole.n[0][kind] == 2 && ktest_counts_level(&whole, 0) == 2 &&
	       !ktest_counts_level(&whole, 1) && !ktest_counts_level(&whole, 2) &&
	       mid.n[1][kind] == 32 && ktest_counts_level(&mid, 1) == 32 &&
	       !ktest_counts_level(&mid, 0) && !ktest_counts_level(&mid, 2) &&
	       small.n[2][KW_SPECIAL] == 2048 &&
	       ktest_counts_level(&small, 2) == 2048 &&
	       !ktest_counts_level(&small, 0) && !ktest_counts_level(&small, 1) &&
	       f_pud == 1 && f_pud2 == 2 && !bad_mid && !bad_small &&
	       !bad_whole && errors_ok;
	kt_result(NAME, pass,
		  "kernel=%s addr=%p pud=%ld%s faults_1st_GiB=%ld faults_2GiB=%ld pmd_mapping=%ldpmd pte_mapping=%ldpte pud_raw=%#llx pmd_raw=%#llx pte_raw=%#llx bad_pages=%zu walker_errors=%s",
		  a.kernel, (void *)p, ktest_counts_level(&whole, 0),
		  kind == KW_SPECIAL ? "special" : "normal", f_pud, f_pud2,
		  ktest_counts_level(&mid, 1), ktest_counts_level(&small, 2),
		  (unsigned long long)e_pud.raw, (unsigned long long)e_pmd.raw,
		  (unsigned long long)e_pte.raw, bad_mid + bad_small + bad_whole,
		  errors_ok ? "ok" : "WRONG");
	munmap(p, 2 * KT_1G);
	munmap(q, 64 * MIB);
	munmap(r, 8 * MIB);
	ktest_vfio_close(&v);
	return !pass;
}
