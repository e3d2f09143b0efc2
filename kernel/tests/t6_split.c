// SPDX-License-Identifier: MIT
/*
 * Test 6: huge entries under munmap, mprotect and fork. Unmapping one
 * 4 KiB page in the middle of a PMD-mapped VRAM buffer splits the VMA and
 * must zap that 2 MiB entry whole (no PTE table is built from it); the
 * rest of that block faults back with PTEs, the other blocks keep their
 * PMDs. mprotect() of whole blocks keeps them huge and read-only, and a
 * forked child reads the same bytes through its copy of the mapping.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktest.h"

#define HOLE	(3UL << 20)	/* inside the second 2 MiB block */

int main(int argc, char **argv)
{
	struct kt_levels full, after_unmap, retouched, ro;
	size_t bad_lo, bad_hi;
	struct kt_args a;
	struct kt_dev d;
	struct kt_bo bo;
	int status, pass;
	pid_t pid;
	char *p;

	kt_parse_args(argc, argv, &a);
	if (kt_open(&d) || kt_bo_create(&d, &bo, 2048, 2048) ||
	    kt_place_in_vram(&d, &bo))
		return kt_result("t6-split", 0, "setup=failed");
	p = kt_map(&d, &bo, NULL);
	if (!p)
		return kt_result("t6-split", 0, "mmap=failed");
	kt_fill(p, bo.size, 10);
	kt_ptdump(p, bo.size, &full);
	kt_print_levels("t6 full mapping", &full);

	if (munmap(p + HOLE, KT_4K))
		return kt_result("t6-split", 0, "munmap=failed");
	kt_ptdump(p + KT_2M, KT_2M, &after_unmap);
	kt_print_levels("t6 block with the hole, after munmap", &after_unmap);

	/* Every byte but the hole, read back through both VMAs. */
	bad_lo = kt_check_range(p, 0, HOLE, 10);
	bad_hi = kt_check_range(p, HOLE + KT_4K, bo.size - HOLE - KT_4K, 10);
	kt_ptdump(p, HOLE, &retouched);
	kt_print_levels("t6 lower VMA after reading", &retouched);

	if (mprotect(p + 4 * KT_2M, 2 * KT_2M, PROT_READ))
		return kt_result("t6-split", 0, "mprotect=failed");
	kt_ptdump(p + 4 * KT_2M, 2 * KT_2M, &ro);
	kt_print_levels("t6 read-only blocks", &ro);

	pid = fork();
	if (pid == 0)
		_exit(kt_check_range(p, 0, HOLE, 10) ||
		      kt_check_range(p, 4 * KT_2M, 2 * KT_2M, 10) ? 1 : 0);
	waitpid(pid, &status, 0);

	if (a.expect == KT_EXPECT_HUGE)
		pass = full.pmd == bo.size && !after_unmap.pmd &&
		       retouched.pmd == KT_2M && retouched.pte == KT_2M / 2 &&
		       ro.pmd == 2 * KT_2M;
	else
		pass = full.pte == bo.size && !after_unmap.pmd &&
		       retouched.pte == HOLE && ro.pte == 2 * KT_2M;
	pass = pass && !bad_lo && !bad_hi &&
	       WIFEXITED(status) && !WEXITSTATUS(status);
	kt_result("t6-split", pass,
		  "kernel=%s before=%lupmd+%lupte hole_block_after_munmap=%lupmd+%lupte lower_vma=%lupmd+%lupte readonly=%lupmd+%lupte child=%s bad_words=%zu",
		  a.kernel, full.pmd / KT_2M, full.pte / KT_4K,
		  after_unmap.pmd / KT_2M, after_unmap.pte / KT_4K,
		  retouched.pmd / KT_2M, retouched.pte / KT_4K,
		  ro.pmd / KT_2M, ro.pte / KT_4K,
		  WIFEXITED(status) && !WEXITSTATUS(status) ? "ok" : "bad",
		  bad_lo + bad_hi);
	return !pass;
}
