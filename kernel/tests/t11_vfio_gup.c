// SPDX-License-Identifier: MIT
/*
 * Test 11: GUP refuses vfio-pci's huge pfnmaps. On a PUD-mapped and on a
 * PMD-mapped part of the BAR: gup_test's fast get (get_user_pages_fast),
 * fast pin (pin_user_pages_fast) and longterm pin (pin_user_pages with
 * FOLL_LONGTERM), an O_DIRECT read into the mapping and io_uring buffer
 * registration. In 6.12 gup-fast gives up on a special PUD/PMD/PTE
 * (gup_fast_pud_leaf(), gup_fast_pmd_leaf(), gup_fast_pte_range()) and
 * falls back to the slow path, which refuses any VM_IO | VM_PFNMAP VMA
 * in check_vma_flags() with -EFAULT: nothing is taken. The mapping must
 * be unchanged afterwards, and the same calls must work on anonymous
 * memory (so a refusal is the mapping's, not a missing feature).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ktest.h"
#include "ktest_vfio.h"
#include "ktest_walk.h"
#include "gup_test.h"

#define NAME	"t11-vfio-gup"
#define MIB	(1UL << 20)

struct refusals {
	uint64_t get, pin, longterm;
	int r_get, r_pin, r_long, uring;
	long odirect;
};

static void probe(char *p, size_t len, struct refusals *r)
{
	r->get = r->pin = r->longterm = ~0ULL;
	r->r_get = kt_gup_test(GUP_FAST_BENCHMARK, p, len, 0, &r->get);
	r->r_pin = kt_gup_test(PIN_FAST_BENCHMARK, p, len, 1, &r->pin);
	r->r_long = kt_gup_test(PIN_LONGTERM_BENCHMARK, p, len, 1,
				&r->longterm);
	r->odirect = kt_odirect_read(p, MIB);
	r->uring = kt_iouring_register(p, 4 * MIB);
}

static int refused(const char *what, const struct refusals *r)
{
	int ok = !r->r_get && !r->get && !r->r_pin && !r->pin &&
		 !r->r_long && !r->longterm && r->odirect == -EFAULT &&
		 r->uring == -EFAULT;

	kt_info("%s: gup_fast_get=%llu(%d) pin_fast=%llu(%d) pin_longterm=%llu(%d) bytes O_DIRECT=%s io_uring=%s: %s",
		what, (unsigned long long)r->get, r->r_get,
		(unsigned long long)r->pin, r->r_pin,
		(unsigned long long)r->longterm, r->r_long,
		r->odirect < 0 ? strerror(-r->odirect) : "read",
		r->uring ? strerror(-r->uring) : "registered",
		ok ? "refused" : "NOT REFUSED");
	return ok;
}

int main(int argc, char **argv)
{
	struct ktest_counts before, after;
	struct refusals on_pud, on_pmd;
	uint64_t anon_pin = 0;
	struct ktest_vfio v;
	struct kt_args a;
	int pass, anon_ok;
	long anon_odirect;
	size_t bad;
	char *p, *anon;

	kt_parse_args(argc, argv, &a);
	if (ktest_vfio_open(&v, KTEST_VFIO_BDF, KTEST_VFIO_BAR))
		return kt_result(NAME, 0, "setup=failed");
	/* GiB 0 of the BAR as one PUD, then 64 MiB of GiB 1 as PMDs. */
	p = ktest_vfio_mmap(&v, KT_1G + 64 * MIB, 0, NULL,
			    PROT_READ | PROT_WRITE);
	if (!p)
		return kt_result(NAME, 0, "mmap=%s", strerror(errno));
	ktest_vfio_stamp(p, KT_1G + 64 * MIB, 0, 20);
	ktest_walk_range(p, KT_1G + 64 * MIB, &before);
	ktest_print_counts("t11 before GUP", &before);

	probe(p + 16 * MIB, 64 * MIB, &on_pud);
	probe(p + KT_1G, 64 * MIB, &on_pmd);

	anon = aligned_alloc(KT_2M, 4 * MIB);
	memset(anon, 1, 4 * MIB);
	kt_gup_test(PIN_FAST_BENCHMARK, anon, 4 * MIB, 1, &anon_pin);
	anon_odirect = kt_odirect_read(anon, MIB);
	anon_ok = anon_pin == 4 * MIB && anon_odirect == (long)MIB;
	kt_info("t11 anonymous control: pin_fast=%llu bytes O_DIRECT=%ld",
		(unsigned long long)anon_pin, anon_odirect);

	ktest_walk_range(p, KT_1G + 64 * MIB, &after);
	ktest_print_counts("t11 after GUP", &after);
	bad = ktest_vfio_stamp_check(p, KT_1G + 64 * MIB, 0, 20);

	pass = refused("t11 PUD-mapped 64 MiB", &on_pud);
	pass &= refused("t11 PMD-mapped 64 MiB", &on_pmd);
	pass = pass && anon_ok && !bad &&
	       before.n[0][KW_SPECIAL] == 1 && before.n[1][KW_SPECIAL] == 32 &&
	       !memcmp(&before, &after, sizeof(before));
	kt_result(NAME, pass,
		  "kernel=%s entries=%ldpud+%ldpmd gup_fast_get=%lluK/%lluK pin_fast=%lluK/%lluK pin_longterm=%lluK/%lluK o_direct=%s/%s io_uring=%s/%s (pud/pmd) anon_control=%s unchanged=%s bad_pages=%zu",
		  a.kernel, before.n[0][KW_SPECIAL], before.n[1][KW_SPECIAL],
		  (unsigned long long)on_pud.get >> 10,
		  (unsigned long long)on_pmd.get >> 10,
		  (unsigned long long)on_pud.pin >> 10,
		  (unsigned long long)on_pmd.pin >> 10,
		  (unsigned long long)on_pud.longterm >> 10,
		  (unsigned long long)on_pmd.longterm >> 10,
		  on_pud.odirect == -EFAULT ? "EFAULT" : "other",
		  on_pmd.odirect == -EFAULT ? "EFAULT" : "other",
		  on_pud.uring == -EFAULT ? "EFAULT" : "other",
		  on_pmd.uring == -EFAULT ? "EFAULT" : "other",
		  anon_ok ? "ok" : "broken",
		  !memcmp(&before, &after, sizeof(before)) ? "yes" : "no", bad);
	munmap(p, KT_1G + 64 * MIB);
	ktest_vfio_close(&v);
	return !pass;
}
