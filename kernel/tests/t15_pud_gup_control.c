// SPDX-License-Identifier: MIT
/*
 * Test 15: the thread's bug at PUD level. A child runs gup_test's fast
 * pin (pin_user_pages_fast()) over the first 4 MiB of a 1 GiB hpvram
 * buffer in VRAM that is mapped by one PUD entry.
 *
 * With the series the PUD is special and GUP-fast refuses it: nothing is
 * pinned and the child exits normally (unpatched: special PTEs, the same).
 * On the control kernel, whose huge pfn entries lack the special bit as in
 * 2021, GUP-fast takes pud_page() of the ivshmem BAR, where no struct page
 * exists, and the child dies in an oops; the host confirms the oops in the
 * kernel log. The control kernel runs this test in a boot of its own, as
 * it does t5 for a PMD.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktest.h"
#include "ktest_hpvram.h"
#include "gup_test.h"

int main(int argc, char **argv)
{
	int control, status, pass;
	const char *outcome;
	struct kt_levels lv;
	struct kt_args a;
	struct kt_dev d;
	struct kt_bo bo;
	int64_t off;
	pid_t pid;
	char *p;

	kt_parse_args(argc, argv, &a);
	control = !strcmp(a.kernel, "control");
	p = kt_hpvram_open(&d) ? NULL :
	    kt_hpvram_vram_map(&d, &bo, 1024, &off);
	if (!p)
		return kt_result("t15-pud-gup-control", 0, "setup=failed");
	kt_stamp(p, bo.size, 16);
	kt_ptdump(p, bo.size, &lv);
	kt_print_levels("t15 mapping", &lv);

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		uint64_t pinned;
		int ret;

		/*
		 * fork() copied the PUD; a read makes sure the child has its
		 * entry before GUP-fast walks it.
		 */
		if (kt_check_stamps(p, KT_4K, 16))
			_exit(4);
		kt_info("t15 child: pin_user_pages_fast over %p (VRAM 0x%llx)",
			(void *)p, (long long)off);
		ret = kt_gup_test(PIN_FAST_BENCHMARK, p, 4UL << 20, 1, &pinned);
		kt_info("t15 child: returned %d, pinned %llu bytes", ret,
			(unsigned long long)pinned);
		_exit(pinned ? 3 : 0);
	}
	waitpid(pid, &status, 0);
	outcome = kt_pin_child_outcome("t15", status);

	/* The control passes when the oops kills the child. */
	if (control)
		pass = lv.pud == bo.size && !kt_exited_ok(status);
	else
		pass = kt_exited_ok(status) &&
		       (a.expect == KT_EXPECT_HUGE ? lv.pud == bo.size :
						     lv.pte == bo.size);
	kt_result("t15-pud-gup-control", pass, "kernel=%s entries=%s child=%s",
		  a.kernel, lv.pud ? "pud" : (lv.pmd ? "pmd" : "pte"), outcome);
	return !pass;
}
