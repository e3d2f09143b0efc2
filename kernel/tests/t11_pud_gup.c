// SPDX-License-Identifier: MIT
/*
 * Test 11: GUP on a PUD. A 1 GiB hpvram buffer in VRAM is mapped (one PUD
 * with the series, PTEs without); then io_uring buffer registration, an
 * O_DIRECT read from /dev/ram0, and gup_test's fast get, fast pin and
 * longterm pin over its first 4 MiB. All must refuse it: the PUD is
 * special, like TTM's PTEs, so GUP-fast leaves it alone and the slow path
 * finds no page behind it. The same calls on anonymous memory must work,
 * the mapping must keep its PUD, and the data must be untouched.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktest.h"
#include "ktest_hpvram.h"
#include "gup_test.h"

#define MIB (1UL << 20)

static const char *errname(long ret)
{
	if (ret == -EFAULT)
		return "EFAULT";
	return ret < 0 ? strerror(-ret) : "ok";
}

int main(int argc, char **argv)
{
	uint64_t fast_get, fast_pin, long_pin, anon_pin;
	int uring, anon_uring, r_get, r_pin, r_long;
	struct kt_levels before, after;
	long odirect, anon_odirect;
	int mapped_ok, anon_ok, pass;
	struct kt_args a;
	struct kt_dev d;
	struct kt_bo bo;
	int64_t off;
	size_t bad;
	char *p, *anon;

	kt_parse_args(argc, argv, &a);
	p = kt_hpvram_open(&d) ? NULL :
	    kt_hpvram_vram_map(&d, &bo, 1024, &off);
	if (!p)
		return kt_result("t11-pud-gup", 0, "setup=failed");
	kt_stamp(p, bo.size, 11);
	kt_ptdump(p, bo.size, &before);
	kt_print_levels("t11 before GUP", &before);
	mapped_ok = a.expect == KT_EXPECT_HUGE ? before.pud == bo.size :
						 before.pte == bo.size;

	uring = kt_iouring_register(p, 4 * MIB);
	odirect = kt_odirect_read(p, MIB);
	r_get = kt_gup_test(GUP_FAST_BENCHMARK, p, 4 * MIB, 0, &fast_get);
	r_pin = kt_gup_test(PIN_FAST_BENCHMARK, p, 4 * MIB, 1, &fast_pin);
	r_long = kt_gup_test(PIN_LONGTERM_BENCHMARK, p, 4 * MIB, 1, &long_pin);
	kt_info("t11 mapping: io_uring=%s O_DIRECT=%s gup_fast_get=%llu(%d) pin_fast=%llu(%d) pin_longterm=%llu(%d) bytes",
		errname(uring), errname(odirect),
		(unsigned long long)fast_get, r_get,
		(unsigned long long)fast_pin, r_pin,
		(unsigned long long)long_pin, r_long);

	anon = aligned_alloc(KT_2M, 4 * MIB);
	if (!anon)
		return kt_result("t11-pud-gup", 0, "malloc=failed");
	memset(anon, 1, 4 * MIB);
	anon_uring = kt_iouring_register(anon, 4 * MIB);
	anon_odirect = kt_odirect_read(anon, MIB);
	kt_gup_test(PIN_FAST_BENCHMARK, anon, 4 * MIB, 1, &anon_pin);
	anon_ok = !anon_uring && anon_odirect == (long)MIB &&
		  anon_pin == 4 * MIB;
	kt_info("t11 anonymous control: io_uring=%s O_DIRECT=%ld bytes pin_fast=%llu bytes",
		errname(anon_uring), anon_odirect,
		(unsigned long long)anon_pin);

	bad = kt_check_stamps(p, bo.size, 11);
	kt_ptdump(p, bo.size, &after);
	kt_print_levels("t11 after GUP", &after);

	pass = mapped_ok && after.pud == before.pud &&
	       uring == -EFAULT && odirect == -EFAULT &&
	       !r_get && !fast_get && !r_pin && !fast_pin && !long_pin &&
	       anon_ok && !bad;
	kt_result("t11-pud-gup", pass,
		  "kernel=%s entries=%s io_uring=%s o_direct=%s gup_fast_get=%lluK pin_fast=%lluK pin_longterm=%lluK pud_kept=%s anon_control=%s bad_pages=%zu",
		  a.kernel, before.pud ? "pud" : (before.pmd ? "pmd" : "pte"),
		  errname(uring), errname(odirect),
		  (unsigned long long)fast_get >> 10,
		  (unsigned long long)fast_pin >> 10,
		  (unsigned long long)long_pin >> 10,
		  after.pud == before.pud ? "yes" : "no",
		  anon_ok ? "ok" : "broken", bad);
	return !pass;
}
