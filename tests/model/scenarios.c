// SPDX-License-Identifier: MIT
/*
 * The checker's scenarios: the races of the 2021 thread and their neighbours,
 * each small enough for every interleaving.  Each names its threads, what
 * they do, and the invariants that must hold whatever the interleaving.
 */
#include <errno.h>
#include <stdio.h>

#include "checker.h"

#define CHECK_BO_BYTE	0x77	/* what the BO holds */
#define CHECK_CPU_BYTE	0x55	/* what the CPU writes into it during the move */
#define CHECK_CPU_OFFSET PAGE_SIZE

static int map_anon(struct hp_check_ctx *c, unsigned long len, bool thp)
{
	unsigned long addr;

	c->mm = mm_alloc();
	if (!c->mm)
		return -ENOMEM;
	/* Twice the room, so that a 2 MiB-aligned range fits in it. */
	addr = hp_mmap(c->mm, NULL, 0, 2 * len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(addr))
		return (int)addr;
	c->map_start = addr;
	c->map_len = 2 * len;
	c->addr = (addr + PMD_SIZE - 1) & PMD_MASK;
	if (c->addr + len > addr + 2 * len)
		c->addr = addr;
	if (thp && hp_madvise(c->mm, addr, 2 * len, MADV_HUGEPAGE))
		return -EINVAL;
	c->watch_mm = c->mm;
	c->watch_addr = c->addr;
	return 0;
}

static int touch(struct mm_struct *mm, unsigned long addr, char byte)
{
	return hp_access(mm, addr, 1, HP_ACCESS_WRITE, &byte) == HP_ACCESS_OK ? 0 : -EFAULT;
}

/* The level the address is mapped at now: the scenario needs a given one. */
static int expect_level(struct hp_check_ctx *c, enum hp_level level)
{
	uint64_t val;

	return hp_lookup_entry(c->mm, c->addr, &val) == level ? 0 : -EINVAL;
}

static void put_gup_page(struct hp_check_ctx *c, bool pin)
{
	if (c->gup_nr != 1)
		return;
	if (pin)
		unpin_user_page(c->gup_pages[0]);
	else
		put_page(c->gup_pages[0]);
}

static void teardown_mm(struct hp_check_ctx *c)
{
	if (c->child)
		mmput(c->child);
	if (c->mm)
		mmput(c->mm);
}

/* ---- GUP ------------------------------------------------------------------ */

static void thread_gup_fast(void *arg)
{
	struct hp_check_ctx *c = arg;

	c->gup_nr = get_user_pages_fast(c->mm, c->addr, 1, 0, c->gup_pages);
}

static void thread_gup_fast_only(void *arg)
{
	struct hp_check_ctx *c = arg;

	c->gup_nr = get_user_pages_fast_only(c->mm, c->addr, 1, 0, c->gup_pages);
}

static void thread_pin_write(void *arg)
{
	struct hp_check_ctx *c = arg;

	c->gup_nr = pin_user_pages_fast(c->mm, c->addr, 1, FOLL_WRITE, c->gup_pages);
}

static void outcome_gup(struct hp_check_ctx *c)
{
	snprintf(c->outcome, sizeof(c->outcome), "gup=%d", c->gup_nr);
}

/* ---- gup-fast vs zap of a special PMD -------------------------------------- */

static int setup_bar(struct hp_check_ctx *c)
{
	int err;

	c->bar = hp_bar_create("bar0", PMD_SIZE, false);
	c->mm = mm_alloc();
	if (!c->bar || !c->mm)
		return -ENOMEM;
	c->addr = hp_mmap(c->mm, hp_bar_file(c->bar), 0, PMD_SIZE, PROT_READ | PROT_WRITE,
			  MAP_SHARED, 0);
	if (IS_ERR_VALUE(c->addr))
		return (int)c->addr;
	err = touch(c->mm, c->addr, 1);
	if (err)
		return err;
	c->gup_thread = 0;
	c->watch_mm = c->mm;
	c->watch_addr = c->addr;
	return expect_level(c, c->policy == HP_POLICY_NONE ? HP_LEVEL_PTE : HP_LEVEL_PMD);
}

static void thread_zap_bar(void *arg)
{
	struct hp_check_ctx *c = arg;

	unmap_mapping_range(hp_bar_file(c->bar)->f_mapping, 0, 0, true);
}

/* A BAR has no struct page: no GUP may ever return one of its pfns. */
static void check_no_page(struct hp_check_ctx *c)
{
	outcome_gup(c);
	if (c->gup_nr > 0)
		hp_check_fail(c, "GUP returned pfn %#lx, which has no struct page",
			      page_to_pfn(c->gup_pages[0]));
}

static void teardown_bar(struct hp_check_ctx *c)
{
	put_gup_page(c, false);
	teardown_mm(c);
	hp_bar_destroy(c->bar);
}

/* ---- gup-fast vs THP zap and free ------------------------------------------ */

static int setup_thp(struct hp_check_ctx *c)
{
	int err = map_anon(c, PMD_SIZE, true);

	if (!err)
		err = touch(c->mm, c->addr, 1);
	c->gup_thread = 0;
	return err ? err : expect_level(c, HP_LEVEL_PMD);
}

/* MADV_DONTNEED: zap under the mmap lock held for read. */
static void thread_zap_range(void *arg)
{
	struct hp_check_ctx *c = arg;

	mmap_read_lock(c->mm);
	zap_page_range_single(find_vma(c->mm, c->addr), c->addr, PMD_SIZE);
	mmap_read_unlock(c->mm);
}

static void teardown_gup_get(struct hp_check_ctx *c)
{
	put_gup_page(c, false);
	teardown_mm(c);
}

/* ---- gup-fast vs page-table page free -------------------------------------- */

static int setup_pte(struct hp_check_ctx *c)
{
	int err = map_anon(c, 16 * PAGE_SIZE, false);

	if (!err)
		err = touch(c->mm, c->addr, 1);
	c->gup_thread = 0;
	return err ? err : expect_level(c, HP_LEVEL_PTE);
}

/* munmap of the whole VMA: zaps the PTE, then frees every table above it. */
static void thread_munmap(void *arg)
{
	struct hp_check_ctx *c = arg;

	c->ret[1] = hp_munmap(c->mm, c->map_start, c->map_len);
}

static void check_munmap(struct hp_check_ctx *c)
{
	outcome_gup(c);
	if (c->ret[1])
		hp_check_fail(c, "munmap failed: %d", c->ret[1]);
}

/* ---- gup-fast vs BO eviction and refault ------------------------------------ */

static const struct ttm_place vram_place = { .mem_type = TTM_PL_VRAM };
static const struct ttm_placement in_vram = { 1, &vram_place };

static int setup_bo(struct hp_check_ctx *c)
{
	struct ttm_device_config config = { .vram_size = 2 * PMD_SIZE };
	int err;

	c->bdev = ttm_device_init(&config);
	c->mm = mm_alloc();
	if (!c->bdev || !c->mm)
		return -ENOMEM;
	err = ttm_bo_create(c->bdev, PMD_SIZE, &in_vram, &c->bo);
	if (err)
		return err;
	c->addr = ttm_bo_mmap(c->mm, c->bo, PROT_READ | PROT_WRITE);
	if (IS_ERR_VALUE(c->addr))
		return (int)c->addr;
	if (hp_access_fill(c->mm, c->addr, PMD_SIZE, CHECK_BO_BYTE) != HP_ACCESS_OK)
		return -EFAULT;
	c->gup_thread = 0;
	c->watch_mm = c->mm;
	c->watch_addr = c->addr;
	return expect_level(c, c->policy == HP_POLICY_NONE ? HP_LEVEL_PTE : HP_LEVEL_PMD);
}

/* The driver moves the BO to system memory... */
static void thread_evict(void *arg)
{
	struct hp_check_ctx *c = arg;

	c->ret[1] = ttm_bo_evict(c->bo);
}

/* ...while the CPU writes into it: it refaults wherever the BO is by then. */
static void thread_touch(void *arg)
{
	struct hp_check_ctx *c = arg;
	char byte = CHECK_CPU_BYTE;

	c->ret[2] = hp_access(c->mm, c->addr + CHECK_CPU_OFFSET, 1, HP_ACCESS_WRITE, &byte);
}

static void check_bo(struct hp_check_ctx *c)
{
	static char buf[PMD_SIZE];

	check_no_page(c);
	if (c->ret[1] || c->ret[2])
		hp_check_fail(c, "eviction returned %d, the CPU's read %d", c->ret[1], c->ret[2]);
	else if (ttm_bo_mem_type(c->bo) != TTM_PL_SYSTEM)
		hp_check_fail(c, "the BO is not in system memory after its eviction");
	else if (hp_access(c->mm, c->addr, PMD_SIZE, HP_ACCESS_READ, buf) != HP_ACCESS_OK)
		hp_check_fail(c, "the BO cannot be read back");
	else
		for (size_t i = 0; i < sizeof(buf); i++) {
			int want = i == CHECK_CPU_OFFSET ? CHECK_CPU_BYTE : CHECK_BO_BYTE;

			if (buf[i] != want) {
				hp_check_fail(c, "BO byte %zu is %#x after the move, not %#x: %s",
					      i, buf[i] & 0xff, want, i == CHECK_CPU_OFFSET ?
					      "the CPU's write was lost" : "the copy is wrong");
				break;
			}
		}
}

static void teardown_bo(struct hp_check_ctx *c)
{
	put_gup_page(c, false);
	teardown_mm(c);
	ttm_bo_destroy(c->bo);
	ttm_device_fini(c->bdev);
}

/* ---- gup-fast vs fork write-protect ----------------------------------------- */

static int setup_fork(struct hp_check_ctx *c)
{
	int err = map_anon(c, 16 * PAGE_SIZE, false);

	if (!err)
		err = touch(c->mm, c->addr, 1);
	c->gup_thread = 0;
	return err;
}

static void thread_fork(void *arg)
{
	struct hp_check_ctx *c = arg;

	c->child = hp_fork(c->mm);
}

/*
 * A pinned anonymous page must stay the parent's alone: were it shared
 * copy-on-write with the child, the parent's next write would move to a
 * copy and the device would go on writing into the page the child sees.
 */
static void check_fork(struct hp_check_ctx *c)
{
	long parent, child;

	outcome_gup(c);
	if (!c->child) {
		hp_check_fail(c, "fork failed");
		return;
	}
	if (c->gup_nr != 1) {
		hp_check_fail(c, "pin_user_pages_fast returned %d, not 1", c->gup_nr);
		return;
	}
	parent = hp_check_mapped_pfn(c->mm, c->addr);
	child = hp_check_mapped_pfn(c->child, c->addr);
	snprintf(c->outcome, sizeof(c->outcome), "pin=1 child %s",
		 child == parent ? "shares" : "has a copy");
	if (parent != (long)page_to_pfn(c->gup_pages[0]))
		hp_check_fail(c, "the parent no longer maps the page it pinned");
	else if (child == parent)
		hp_check_fail(c, "the pinned page %#lx is shared copy-on-write with the child",
			      (unsigned long)parent);
}

static void teardown_fork(struct hp_check_ctx *c)
{
	put_gup_page(c, true);
	teardown_mm(c);
}

/* ---- two faults racing on the same empty PMD -------------------------------- */

static int setup_two_faults(struct hp_check_ctx *c)
{
	int err = map_anon(c, 2 * PMD_SIZE, true);

	/* Another 2 MiB under the same PMD table: the race is on one empty PMD. */
	if (!err)
		err = touch(c->mm, c->addr + PMD_SIZE, 1);
	return err;
}

static void thread_fault_a(void *arg)
{
	struct hp_check_ctx *c = arg;

	c->ret[0] = touch(c->mm, c->addr, 'A');
}

static void thread_fault_b(void *arg)
{
	struct hp_check_ctx *c = arg;

	c->ret[1] = touch(c->mm, c->addr + PAGE_SIZE, 'B');
}

/* One THP, both bytes in it; the loser's THP and table went back (leak check). */
static void check_two_faults(struct hp_check_ctx *c)
{
	char a = 0, b = 0;

	if (c->ret[0] || c->ret[1]) {
		hp_check_fail(c, "a fault failed: %d, %d", c->ret[0], c->ret[1]);
		return;
	}
	if (expect_level(c, HP_LEVEL_PMD))
		hp_check_fail(c, "the range is not mapped by one huge PMD");
	if (hp_access(c->mm, c->addr, 1, HP_ACCESS_READ, &a) != HP_ACCESS_OK ||
	    hp_access(c->mm, c->addr + PAGE_SIZE, 1, HP_ACCESS_READ, &b) != HP_ACCESS_OK)
		hp_check_fail(c, "the range cannot be read back");
	else if (a != 'A' || b != 'B')
		hp_check_fail(c, "a write was lost: read %#x and %#x, not 'A' and 'B'",
			      a & 0xff, b & 0xff);
	snprintf(c->outcome, sizeof(c->outcome), "read %#x %#x", a & 0xff, b & 0xff);
}

/* ---- gup-fast vs mremap ------------------------------------------------------- */

/*
 * Where the mremap thread moves the mapping at c->addr: the PUD slot below
 * (mappings sit just under mmap_base, near the top of user space), at the
 * same offset plus skew -- a page, so PTEs move one by one, or 0, so a whole
 * PTE table or the huge leaf moves.
 */
static unsigned long mremap_target(const struct hp_check_ctx *c, unsigned long skew)
{
	return c->addr - PUD_SIZE + skew;
}

static int setup_mremap_table(struct hp_check_ctx *c)
{
	int err = map_anon(c, PMD_SIZE, false);

	if (!err)
		err = touch(c->mm, c->addr, 1);
	c->gup_thread = 0;
	return err ? err : expect_level(c, HP_LEVEL_PTE);
}

static void mremap_to(struct hp_check_ctx *c, unsigned long len, unsigned long skew)
{
	unsigned long to = mremap_target(c, skew);

	c->ret[1] = hp_mremap(c->mm, c->addr, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to) == to ?
		    0 : -EINVAL;
}

static void thread_mremap_ptes(void *arg)
{
	mremap_to(arg, 16 * PAGE_SIZE, PAGE_SIZE);
}

static void thread_mremap_pmd(void *arg)
{
	mremap_to(arg, PMD_SIZE, 0);
}

/* The move itself: done, nothing left at the old address. */
static void check_mremap(struct hp_check_ctx *c)
{
	outcome_gup(c);
	if (c->ret[1])
		hp_check_fail(c, "mremap failed");
	else if (hp_check_mapped_pfn(c->mm, c->addr) != -1)
		hp_check_fail(c, "the old address is still mapped after mremap");
}

/* ---- a fault racing gup-fast and a zap -------------------------------------- */

#define CHECK_FAULT_BYTE 'F'

/* The CPU writes into the THP while it is zapped, so it may fault a new one in. */
static void thread_fault_write(void *arg)
{
	struct hp_check_ctx *c = arg;

	c->ret[2] = touch(c->mm, c->addr + PAGE_SIZE, CHECK_FAULT_BYTE);
}

/*
 * The write either came before the zap, which discards it (MADV_DONTNEED's
 * contract: the next read finds zeroes), or after, into a page faulted back
 * in: the byte reads 0 or the written one, nothing else.  GUP's page passes
 * the checker's own tests (mapped after the grab, nothing leaked).
 */
static void check_gup_fault_zap(struct hp_check_ctx *c)
{
	char byte = 0;

	if (c->ret[2])
		hp_check_fail(c, "the CPU's write faulted and failed: %d", c->ret[2]);
	else if (hp_access(c->mm, c->addr + PAGE_SIZE, 1, HP_ACCESS_READ, &byte) != HP_ACCESS_OK)
		hp_check_fail(c, "the written page cannot be read back");
	else if (byte != 0 && byte != CHECK_FAULT_BYTE)
		hp_check_fail(c, "the written page reads %#x, neither 0 nor %#x", byte & 0xff,
			      CHECK_FAULT_BYTE);
	snprintf(c->outcome, sizeof(c->outcome), "gup=%d read %#x", c->gup_nr, byte & 0xff);
}

const struct hp_check_scenario hp_check_scenarios[] = {
	{ "gup-vs-zap-special-pmd", "gup-fast vs zap of a huge special PMD (a BAR)",
	  setup_bar, { { "gup", thread_gup_fast }, { "zap", thread_zap_bar } },
	  check_no_page, teardown_bar, false },
	{ "gup-vs-thp-zap", "gup-fast vs THP zap and free (MADV_DONTNEED)",
	  setup_thp, { { "gup", thread_gup_fast_only }, { "zap", thread_zap_range } },
	  outcome_gup, teardown_gup_get, false },
	{ "gup-vs-table-free", "gup-fast vs munmap freeing the page tables",
	  setup_pte, { { "gup", thread_gup_fast_only }, { "munmap", thread_munmap } },
	  check_munmap, teardown_gup_get, false },
	{ "gup-vs-bo-evict", "gup-fast vs BO eviction to system memory and a CPU write",
	  setup_bo, { { "gup", thread_gup_fast_only }, { "evict", thread_evict },
		    { "touch", thread_touch } },
	  check_bo, teardown_bo, false },
	{ "gup-vs-fork", "pin_user_pages_fast(FOLL_WRITE) vs fork write-protecting",
	  setup_fork, { { "pin", thread_pin_write }, { "fork", thread_fork } },
	  check_fork, teardown_fork, false },
	{ "two-faults-one-pmd", "two faults racing on the same empty PMD (THP)",
	  setup_two_faults, { { "fault A", thread_fault_a }, { "fault B", thread_fault_b } },
	  check_two_faults, teardown_mm, false },
	{ "gup-vs-mremap-ptes", "gup-fast vs mremap moving PTEs one by one",
	  setup_pte, { { "gup", thread_gup_fast_only }, { "mremap", thread_mremap_ptes } },
	  check_mremap, teardown_gup_get, false },
	{ "gup-vs-mremap-table", "gup-fast vs mremap moving a whole PTE table",
	  setup_mremap_table, { { "gup", thread_gup_fast_only }, { "mremap", thread_mremap_pmd } },
	  check_mremap, teardown_gup_get, false },
	{ "gup-vs-mremap-thp", "gup-fast vs mremap moving a THP's PMD to another table",
	  setup_thp, { { "gup", thread_gup_fast_only }, { "mremap", thread_mremap_pmd } },
	  check_mremap, teardown_gup_get, false },
	{ "gup-fault-zap-thp", "gup-fast vs MADV_DONTNEED of a THP vs a CPU write faulting it back",
	  setup_thp, { { "gup", thread_gup_fast_only }, { "zap", thread_zap_range },
		       { "fault", thread_fault_write } },
	  check_gup_fault_zap, teardown_gup_get, true },
};
const int hp_check_nr_scenarios = sizeof(hp_check_scenarios) / sizeof(hp_check_scenarios[0]);
