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
 * The steps run in a child bounded in time, so a write that faults for
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

#define CHILD_MS	10000

/* What the child saw, step by step; it lives in a shared mapping. */
struct t7_steps {
	volatile int step;	/* the step under way */
	long faults[4];		/* minor faults of each step */
	struct kt_levels read1, blk1, pg1, blk2, pg2;
};

static const char *const step_names[] = {
	"write-mapped", "read", "write-after-read", "first-write", "done",
};

static struct t7_steps *st;
static char *p;

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

static long access_once(volatile char *addr, int write)
{
	long f0 = kt_minflt();

	if (write)
		*addr = 0x5a;
	else
		(void)*addr;
	return kt_minflt() - f0;
}

/*
 * In a child, so that a write that never completes can be bounded: its
 * own mm gets the clear_refs, its own page tables are dumped.
 */
static int soft_dirty_steps(void *arg)
{
	(void)arg;
	kt_fill(p, KT_2M, 3);
	if (clear_soft_dirty())
		return 2;
	st->step = 0;
	st->faults[0] = access_once(p + 64, 1);
	st->step = 1;
	st->faults[1] = access_once(p + KT_2M + 64, 0);
	kt_ptdump(p + KT_2M, KT_2M, &st->read1);
	kt_print_levels("t7 block 1 after the read", &st->read1);
	st->step = 2;
	st->faults[2] = access_once(p + KT_2M + 64, 1);
	kt_ptdump(p + KT_2M, KT_2M, &st->blk1);
	kt_ptdump(p + KT_2M, KT_4K, &st->pg1);
	kt_print_levels("t7 block 1 after the write", &st->blk1);
	st->step = 3;
	st->faults[3] = access_once(p + 2 * KT_2M + 64, 1);
	kt_ptdump(p + 2 * KT_2M, KT_2M, &st->blk2);
	kt_ptdump(p + 2 * KT_2M, KT_4K, &st->pg2);
	kt_print_levels("t7 block 2 after the write", &st->blk2);
	st->step = 4;
	return 0;
}

int main(int argc, char **argv)
{
	long hung = 0;
	struct kt_args a;
	struct kt_dev d;
	struct kt_bo bo;
	int pass, huge, rc;
	size_t bad;

	kt_parse_args(argc, argv, &a);
	huge = a.expect == KT_EXPECT_HUGE;
	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (st == MAP_FAILED || kt_open(&d) ||
	    kt_bo_create(&d, &bo, 2048, 2048) || kt_place_in_vram(&d, &bo))
		return kt_result("t7-soft-dirty", 0, "setup=failed");
	p = kt_map(&d, &bo, NULL);
	if (!p)
		return kt_result("t7-soft-dirty", 0, "mmap=failed");
	memset(st, 0, sizeof(*st));
	st->step = -1;
	memset(st->faults, 0xff, sizeof(st->faults));

	rc = kt_run_bounded(soft_dirty_steps, NULL, CHILD_MS, &hung);

	/* The bytes, read back through the parent's own mapping. */
	bad = (p[64] != 0x5a) + (rc == 0 && p[KT_2M + 64] != 0x5a) +
	      (rc == 0 && p[2 * KT_2M + 64] != 0x5a);
	bad += kt_check_range(p, 0, 64, 3) +
	       kt_check_range(p, 72, KT_2M - 72, 3);

	/* The written pages must end writable; PTEs prefault 16 read-only. */
	pass = rc == 0 && st->faults[0] == 0 && st->faults[1] == 1 &&
	       st->faults[2] == 1 && !bad &&
	       st->pg1.pte + st->pg1.pmd == KT_4K && !st->pg1.ro &&
	       st->pg2.pte + st->pg2.pmd == KT_4K && !st->pg2.ro &&
	       (huge ? st->faults[3] == 1 && st->read1.ro == KT_2M &&
		       st->read1.pmd == KT_2M && st->blk1.pmd == KT_2M &&
		       st->blk2.pmd == KT_2M :
		       st->faults[3] == 2 && st->read1.ro == 16 * KT_4K &&
		       !st->blk1.pmd && !st->blk2.pmd);
	kt_result("t7-soft-dirty", pass,
		  "kernel=%s faults:write_mapped=%ld read=%ld write_after_read=%ld first_write=%ld child=%s stuck_in=%s faults_in_%ds=%ld block1_after_read=%s written_page1=%s written_page2=%s bad=%zu",
		  a.kernel, st->faults[0], st->faults[1], st->faults[2],
		  st->faults[3],
		  rc == 0 ? "ok" : rc < 0 ? "killed-after-timeout" : "failed",
		  rc < 0 && st->step >= 0 && st->step < 5 ?
			step_names[st->step] : "-",
		  CHILD_MS / 1000, hung, kt_entry_name(&st->read1),
		  kt_entry_name(&st->pg1), kt_entry_name(&st->pg2), bad);
	return !pass;
}
