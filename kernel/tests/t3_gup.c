// SPDX-License-Identifier: MIT
/*
 * Test 3: GUP refuses the mapping of a VRAM buffer, however it is mapped:
 * io_uring fixed-buffer registration and an O_DIRECT read into it fail
 * with EFAULT, and gup_test's fast get, fast pin and (slow) longterm pin
 * take nothing. The same calls on anonymous memory succeed, so the
 * refusals come from the mapping and not from a missing feature. The
 * host checks the kernel log for oopses and warnings.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "ktest.h"
#include "gup_test.h"

#define MIB (1UL << 20)

int main(int argc, char **argv)
{
	uint64_t fast_get, fast_pin, long_pin, anon_pin;
	int uring, anon_uring, r_get, r_pin, r_long;
	long odirect, anon_odirect;
	struct kt_levels lv;
	struct kt_args a;
	struct kt_dev d;
	struct kt_bo bo;
	size_t bad;
	char *p, *anon;
	int mapped_ok, pass;

	kt_parse_args(argc, argv, &a);
	if (kt_open(&d) || kt_bo_create(&d, &bo, 2048, 2048) ||
	    kt_place_in_vram(&d, &bo))
		return kt_result("t3-gup", 0, "setup=failed");
	p = kt_map(&d, &bo, NULL);
	if (!p)
		return kt_result("t3-gup", 0, "mmap=failed");
	kt_fill(p, bo.size, 5);
	kt_ptdump(p, bo.size, &lv);
	kt_print_levels("t3 before GUP", &lv);
	mapped_ok = a.expect == KT_EXPECT_HUGE ? lv.pmd == bo.size :
						 lv.pte == bo.size;

	uring = kt_iouring_register(p, 4 * MIB);
	odirect = kt_odirect_read(p, MIB);
	r_get = kt_gup_test(GUP_FAST_BENCHMARK, p, bo.size, 0, &fast_get);
	r_pin = kt_gup_test(PIN_FAST_BENCHMARK, p, bo.size, 1, &fast_pin);
	r_long = kt_gup_test(PIN_LONGTERM_BENCHMARK, p, bo.size, 1, &long_pin);
	kt_info("t3 mapping: io_uring=%s O_DIRECT=%s gup_fast_get=%llu(%d) pin_fast=%llu(%d) pin_longterm=%llu(%d) bytes",
		uring ? strerror(-uring) : "registered",
		odirect < 0 ? strerror(-odirect) : "read",
		(unsigned long long)fast_get, r_get,
		(unsigned long long)fast_pin, r_pin,
		(unsigned long long)long_pin, r_long);

	/* The same on anonymous memory must work. */
	anon = aligned_alloc(KT_2M, 4 * MIB);
	memset(anon, 1, 4 * MIB);
	anon_uring = kt_iouring_register(anon, 4 * MIB);
	anon_odirect = kt_odirect_read(anon, MIB);
	kt_gup_test(PIN_FAST_BENCHMARK, anon, 4 * MIB, 1, &anon_pin);
	kt_info("t3 anonymous control: io_uring=%s O_DIRECT=%ld bytes pin_fast=%llu bytes",
		anon_uring ? strerror(-anon_uring) : "registered",
		anon_odirect, (unsigned long long)anon_pin);

	/* Still mapped the same way, and the data is untouched. */
	bad = kt_check(p, bo.size, 5);
	kt_ptdump(p, bo.size, &lv);
	kt_print_levels("t3 after GUP", &lv);

	pass = mapped_ok && uring == -EFAULT && odirect == -EFAULT &&
	       !r_get && !fast_get && !r_pin && !fast_pin && !long_pin &&
	       !anon_uring && anon_odirect == (long)MIB &&
	       anon_pin == 4 * MIB && !bad;
	kt_result("t3-gup", pass,
		  "kernel=%s entries=%s io_uring=%s o_direct=%s gup_fast_get=%lluK pin_fast=%lluK pin_longterm=%lluK anon_control=%s bad_words=%zu",
		  a.kernel, lv.pmd ? "pmd" : "pte",
		  uring == -EFAULT ? "EFAULT" : (uring ? strerror(-uring) : "ok"),
		  odirect == -EFAULT ? "EFAULT" : (odirect < 0 ? strerror(-odirect) : "ok"),
		  (unsigned long long)fast_get >> 10,
		  (unsigned long long)fast_pin >> 10,
		  (unsigned long long)long_pin >> 10,
		  (!anon_uring && anon_odirect == (long)MIB &&
		   anon_pin == 4 * MIB) ? "ok" : "broken", bad);
	return !pass;
}
