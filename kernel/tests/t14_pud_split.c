// SPDX-License-Identifier: MIT
/*
 * Test 14: fork, mprotect and partial munmap of a PUD-mapped buffer.
 *
 * A 1 GiB hpvram buffer in VRAM, mapped at a 1 GiB aligned address and
 * touched (one PUD with the series):
 * 1. fork(): the child inherits the mapping (copy_huge_pud() copies the
 *    special PUD, as copy_pte_range() copies special PTEs) and reads every
 *    page without a fault.
 * 2. mprotect(PROT_READ) of the whole GiB keeps the PUD (change_huge_pud())
 *    and makes it read-only, and reads take no fault; mprotect() back to
 *    read-write makes the same PUD writable again (vm_page_prot of a
 *    shared mapping without write notification is writable), so a write
 *    takes no fault either.
 * 3. munmap() of one page in the middle splits the VMA: the PUD is zapped
 *    whole (split_huge_leaf()), and reading all of the buffer again maps
 *    the 2 MiB blocks that do not hold the hole with PMDs and the one that
 *    does with PTEs (511 of them).
 * Every page keeps its word throughout. Unpatched: PTEs everywhere.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktest.h"
#include "ktest_hpvram.h"

#define HOLE (300UL << 20)	/* the page unmapped in step 3 */

struct child_result {
	struct kt_levels lv;
	long faults;
	size_t bad;
};

int main(int argc, char **argv)
{
	struct kt_levels lv, ro, after_write, split;
	int pass, pass_fork, pass_mprotect, pass_munmap, huge, status;
	long f0, faults_ro, faults_write;
	struct child_result *cr;
	size_t bad_ro, bad_split;
	struct kt_args a;
	struct kt_dev d;
	struct kt_bo bo;
	int64_t off;
	pid_t pid;
	char *p;

	kt_parse_args(argc, argv, &a);
	huge = a.expect == KT_EXPECT_HUGE;
	cr = mmap(NULL, sizeof(*cr), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	p = cr == MAP_FAILED || kt_hpvram_open(&d) ? NULL :
	    kt_hpvram_vram_map(&d, &bo, 1024, &off);
	if (!p)
		return kt_result("t14-pud-split", 0, "setup=failed");
	kt_stamp(p, bo.size, 15);
	kt_ptdump(p, bo.size, &lv);
	kt_print_levels("t14 mapping", &lv);

	/* 1. fork */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		kt_ptdump(p, bo.size, &cr->lv);
		f0 = kt_minflt();
		cr->bad = kt_check_stamps(p, bo.size, 15);
		cr->faults = kt_minflt() - f0;
		_exit(0);
	}
	waitpid(pid, &status, 0);
	kt_print_levels("t14 child after fork", &cr->lv);
	pass_fork = WIFEXITED(status) && !WEXITSTATUS(status) && !cr->bad &&
		    cr->faults == 0 &&
		    (huge ? cr->lv.pud == bo.size : cr->lv.pte == bo.size);

	/* 2. mprotect */
	mprotect(p, bo.size, PROT_READ);
	f0 = kt_minflt();
	bad_ro = kt_check_stamps(p, bo.size, 15);
	faults_ro = kt_minflt() - f0;
	kt_ptdump(p, bo.size, &ro);
	kt_print_levels("t14 after mprotect(PROT_READ)", &ro);
	mprotect(p, bo.size, PROT_READ | PROT_WRITE);
	f0 = kt_minflt();
	kt_stamp(p, KT_4K, 15);
	faults_write = kt_minflt() - f0;
	kt_ptdump(p, bo.size, &after_write);
	kt_print_levels("t14 after mprotect(PROT_READ | PROT_WRITE) and a write",
			&after_write);
	pass_mprotect = !bad_ro && faults_ro == 0 && ro.ro == bo.size &&
			faults_write == 0 && after_write.ro == 0 &&
			(huge ? ro.pud == bo.size &&
				after_write.pud == bo.size :
				ro.pte == bo.size &&
				after_write.pte == bo.size);

	/* 3. partial munmap */
	munmap(p + HOLE, KT_4K);
	bad_split = kt_check_stamps_range(p, 0, HOLE, 15) +
		    kt_check_stamps_range(p, HOLE + KT_4K,
					  bo.size - HOLE - KT_4K, 15);
	kt_ptdump(p, bo.size, &split);
	kt_print_levels("t14 after munmap of one page, read again", &split);
	pass_munmap = !bad_split && !split.pud &&
		      split.none == KT_4K &&
		      (huge ? split.pmd == bo.size - KT_2M &&
			      split.pte == KT_2M - KT_4K :
			      split.pte == bo.size - KT_4K);

	pass = pass_fork && pass_mprotect && pass_munmap;
	kt_result("t14-pud-split", pass,
		  "kernel=%s fork:child_pud=%lu,child_pte=%lu,child_faults=%ld mprotect:pud=%lu,ro=%s,faults=%ld write:pud=%lu,pmd=%lu,ro=%s,faults=%ld munmap:pud=%lu,pmd=%lu,pte=%lu bad_pages=%zu+%zu+%zu",
		  a.kernel, cr->lv.pud / KT_1G, cr->lv.pte / KT_4K, cr->faults,
		  ro.pud / KT_1G, ro.ro == bo.size ? "yes" : "no", faults_ro,
		  after_write.pud / KT_1G, after_write.pmd / KT_2M,
		  after_write.ro ? "yes" : "no", faults_write,
		  split.pud / KT_1G, split.pmd / KT_2M, split.pte / KT_4K,
		  cr->bad, bad_ro, bad_split);
	return !pass;
}
