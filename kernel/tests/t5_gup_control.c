// SPDX-License-Identifier: MIT
/*
 * Test 5: the thread's bug. A child runs gup_test's fast pin
 * (pin_user_pages_fast()) over a VRAM buffer mapped by PMD entries.
 *
 * With the series, the entries are special and GUP-fast refuses them:
 * nothing is pinned and the child exits normally. On the control kernel,
 * whose huge pfn entries lack the special bit as in 2021, GUP-fast takes
 * pmd_page() of VRAM, where no struct page exists, and the child dies in
 * an oops; the host confirms the oops in the kernel log.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktest.h"
#include "gup_test.h"

int main(int argc, char **argv)
{
	int control, status, pass;
	const char *outcome;
	struct kt_levels lv;
	struct kt_args a;
	struct kt_dev d;
	struct kt_bo bo;
	pid_t pid;
	char *p;

	kt_parse_args(argc, argv, &a);
	control = !strcmp(a.kernel, "control");
	if (kt_open(&d) || kt_bo_create(&d, &bo, 2048, 2048) ||
	    kt_place_in_vram(&d, &bo))
		return kt_result("t5-gup-control", 0, "setup=failed");
	p = kt_map(&d, &bo, NULL);
	if (!p)
		return kt_result("t5-gup-control", 0, "mmap=failed");
	kt_fill(p, bo.size, 8);
	kt_ptdump(p, bo.size, &lv);
	kt_print_levels("t5 mapping", &lv);

	pid = fork();
	if (pid == 0) {
		struct kt_levels child;
		uint64_t pinned;
		int ret;

		/*
		 * fork() copies special huge entries but leaves plain ones to
		 * be faulted again, so touch every 2 MiB block in the child to
		 * have its own entries in place before GUP-fast walks them.
		 */
		kt_fill(p, bo.size, 9);
		kt_ptdump(p, bo.size, &child);
		kt_print_levels("t5 child mapping", &child);
		kt_info("t5 child: pin_user_pages_fast over %p", (void *)p);
		ret = kt_gup_test(PIN_FAST_BENCHMARK, p, bo.size, 1, &pinned);
		kt_info("t5 child: returned %d, pinned %llu bytes", ret,
			(unsigned long long)pinned);
		_exit(pinned ? 3 : 0);
	}
	waitpid(pid, &status, 0);
	outcome = kt_pin_child_outcome("t5", status);

	/*
	 * The control passes when the child does not come back normally (the
	 * oops kills it); the host then requires the oops in the log.
	 */
	if (control)
		pass = lv.pmd == bo.size && !kt_exited_ok(status);
	else
		pass = kt_exited_ok(status);
	kt_result("t5-gup-control", pass, "kernel=%s entries=%s child=%s",
		  a.kernel, lv.pmd ? "pmd" : "pte", outcome);
	return !pass;
}
