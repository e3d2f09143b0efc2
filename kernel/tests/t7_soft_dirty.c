// SPDX-License-Identifier: MIT
/*
 * Test 7: writes after soft-dirty tracking is switched on (what CRIU does
 * with "echo 4 > /proc/PID/clear_refs") must make progress.
 *
 * clear_refs clears VM_SOFTDIRTY, so vma_wants_writenotify() becomes true
 * and the VMA's vm_page_prot loses its write bit; it skips the entries of
 * a VM_PFNMAP mapping, so those already mapped stay writable. In a 16 MiB
 * VRAM buffer, after clear_refs:
 *
 *   block 0, written before:  a write takes no fault (entry still RW);
 *   block 1, read first:      the read maps a read-only entry, the write
 *                             must then make it writable;
 *   block 2, written first:   the write must end with a writable entry.
 *
 * Each step runs in a child bounded in time, so a write that faults for
 * ever fails the test (with the faults counted) instead of hanging it.
 *
 * Patched kernel: one PMD per block, 0 / 1+1 / 1 faults, blocks end RW.
 * Unpatched kernel: PTEs, 0 / 1+1 / 2 faults (the write maps a read-only
 * PTE, do_wp_page() then makes it writable).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ktest.h"

#define STEP_MS		5000

struct step {
	volatile char *addr;	/* in the mapping, shared with the child */
	int write;
	long faults;		/* written by the child through @shared */
};

static long *shared;		/* minor faults of the last step, per child */

static int run_step(void *arg)
{
	struct step *s = arg;
	long f0 = kt_minflt();

	if (s->write)
		*s->addr = 0x5a;
	else
		(void)*s->addr;
	*shared = kt_minflt() - f0;
	return 0;
}

/* Runs one access in a bounded child; returns its faults or -1 on a hang. */
static long bounded_access(volatile char *addr, int write, long *hung_faults)
{
	struct step s = { .addr = addr, .write = write };
	int rc;

	*shared = -1;
	*hung_faults = 0;
	rc = kt_run_bounded(run_step, &s, STEP_MS, hung_faults);
	if (rc)
		return -1;
	return *shared;
}

static int clear_soft_dirty(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	int ret;

	if (!f) {
		kt_info("open clear_refs: %m");
		return -1;
	}
	ret = fputs("4", f) < 0;
	ret |= fclose(f) != 0;
	return ret ? -1 : 0;
}

int main(int argc, char **argv)
{
	long f_w0, f_r1, f_w1, f_w2, hung = 0;
	struct kt_levels lv1r, lv1, lv2, pg1, pg2;
	const char *stuck = "none";
	struct kt_args a;
	struct kt_dev d;
	struct kt_bo bo;
	int pass, huge;
	size_t bad;
	char *p, orig;

	kt_parse_args(argc, argv, &a);
	huge = a.expect == KT_EXPECT_HUGE;
	shared = mmap(NULL, KT_4K, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED || kt_open(&d) ||
	    kt_bo_create(&d, &bo, 2048, 2048) || kt_place_in_vram(&d, &bo))
		return kt_result("t7-soft-dirty", 0, "setup=failed");
	p = kt_map(&d, &bo, NULL);
	if (!p)
		return kt_result("t7-soft-dirty", 0, "mmap=failed");

	kt_fill(p, KT_2M, 3);
	orig = p[64];
	if (clear_soft_dirty())
		return kt_result("t7-soft-dirty", 0, "clear_refs=failed");

	/* Children share the mapping; their faults are theirs, not ours. */
	f_w0 = bounded_access(p + 64, 1, &hung);
	f_r1 = bounded_access(p + KT_2M + 64, 0, &hung);
	kt_ptdump(p + KT_2M, KT_2M, &lv1r);
	kt_print_levels("t7 block 1 after the read", &lv1r);
	f_w1 = bounded_access(p + KT_2M + 64, 1, &hung);
	if (f_w1 < 0)
		stuck = "write-after-read";
	kt_ptdump(p + KT_2M, KT_2M, &lv1);
	kt_ptdump(p + KT_2M, KT_4K, &pg1);
	kt_print_levels("t7 block 1 after the write", &lv1);
	f_w2 = -1;
	if (f_w1 >= 0) {
		f_w2 = bounded_access(p + 2 * KT_2M + 64, 1, &hung);
		if (f_w2 < 0)
			stuck = "first-write";
	}
	kt_ptdump(p + 2 * KT_2M, KT_2M, &lv2);
	kt_ptdump(p + 2 * KT_2M, KT_4K, &pg2);
	kt_print_levels("t7 block 2 after the write", &lv2);

	/* Block 0 keeps its data but for the byte written after clear_refs. */
	bad = p[64] != 0x5a;
	p[64] = orig;
	bad += kt_check(p, KT_2M, 3) + (p[KT_2M + 64] != 0x5a) +
	      (f_w2 >= 0 && p[2 * KT_2M + 64] != 0x5a);

	/* The written pages must end writable; PTEs prefault 16 read-only. */
	pass = f_w0 == 0 && f_r1 == 1 && f_w1 == 1 && !bad &&
	       pg1.pte + pg1.pmd == KT_4K && !pg1.ro &&
	       pg2.pte + pg2.pmd == KT_4K && !pg2.ro &&
	       (huge ? f_w2 == 1 && lv1r.ro == KT_2M && lv1.pmd == KT_2M &&
		       lv2.pmd == KT_2M :
		       f_w2 == 2 && lv1r.ro == 16 * KT_4K && !lv1.pmd &&
		       !lv2.pmd);
	kt_result("t7-soft-dirty", pass,
		  "kernel=%s faults:write_rw=%ld read=%ld write_after_read=%ld first_write=%ld stuck=%s faults_in_%ds=%ld block1_after_read=%s written_page1=%s written_page2=%s bad=%zu",
		  a.kernel, f_w0, f_r1, f_w1, f_w2, stuck, STEP_MS / 1000,
		  hung, lv1r.ro ? (lv1r.pmd ? "pmd-ro" : "pte-ro") : "rw",
		  kt_entry_name(&pg1), kt_entry_name(&pg2), bad);
	return !pass;
}
