// SPDX-License-Identifier: MIT
/*
 * hugepfn tour: a device BAR, an anonymous THP region, and two TTM buffer
 * objects (one starting in VRAM, one in system memory) that move between
 * placements under their mapping; each touched at every 4 KiB, with the
 * faults, entries and page-table pages each step cost, and the bytes checked.
 */
#include <string.h>

#include "hugepfn.h"

struct snapshot {
	unsigned long faults, resolved_at[HP_LEVEL_PUD + 1], fallback[HP_LEVEL_PUD + 1];
	unsigned long errors;
	struct hp_entry_counts entries;
	long tables[HP_NR_TABLE_LEVELS];
};

static void take_snapshot(struct mm_struct *mm, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->faults = atomic_load(&mm->faults.total);
	for (int l = HP_LEVEL_PTE; l <= HP_LEVEL_PUD; l++) {
		s->resolved_at[l] = atomic_load(&mm->faults.resolved_at[l]);
		s->fallback[l] = atomic_load(&mm->faults.fallback[l]);
	}
	for (int r = HP_FAULT_RESOLVED + 1; r < HP_NR_FAULT_RESULTS; r++)
		s->errors += atomic_load(&mm->faults.result[r]);
	hp_mm_count_entries(mm, &s->entries);
	for (int t = 0; t < HP_NR_TABLE_LEVELS; t++)
		s->tables[t] = atomic_load(&mm->nr_tables[t]);
}

static void print_entries(FILE *out, const struct snapshot *a, const struct snapshot *b)
{
	static const enum hp_level levels[] = { HP_LEVEL_PUD, HP_LEVEL_PMD, HP_LEVEL_PTE };
	bool any = false;

	fprintf(out, "    entries   ");
	for (unsigned int i = 0; i < 3; i++) {
		for (int k = 0; k < HP_NR_KINDS; k++) {
			long n = (long)b->entries.leaves[levels[i]][k] -
				 (long)a->entries.leaves[levels[i]][k];

			if (!n)
				continue;
			fprintf(out, "%s%ld %s %s", any ? ", " : "", n,
				hp_entry_kind_name(k), hp_level_name(levels[i]));
			any = true;
		}
	}
	fprintf(out, "%s\n", any ? "" : "none");
}

static void print_delta(FILE *out, const struct snapshot *a, const struct snapshot *b)
{
	long pmd_pte_tables = (b->tables[HP_TABLE_PMD] - a->tables[HP_TABLE_PMD]) +
			      (b->tables[HP_TABLE_PTE] - a->tables[HP_TABLE_PTE]);

	fprintf(out, "    faults    %lu: resolved at pud %lu, pmd %lu, pte %lu; "
		"huge attempts that fell back: pud %lu, pmd %lu; errors %lu\n",
		b->faults - a->faults,
		b->resolved_at[HP_LEVEL_PUD] - a->resolved_at[HP_LEVEL_PUD],
		b->resolved_at[HP_LEVEL_PMD] - a->resolved_at[HP_LEVEL_PMD],
		b->resolved_at[HP_LEVEL_PTE] - a->resolved_at[HP_LEVEL_PTE],
		b->fallback[HP_LEVEL_PUD] - a->fallback[HP_LEVEL_PUD],
		b->fallback[HP_LEVEL_PMD] - a->fallback[HP_LEVEL_PMD],
		b->errors - a->errors);
	print_entries(out, a, b);
	fprintf(out, "    tables    +%ld pud, +%ld pmd, +%ld pte (%lu of them deposited by THPs)"
		" = %ld kB of PMD+PTE tables (Linux's VmPTE)\n",
		b->tables[HP_TABLE_PUD] - a->tables[HP_TABLE_PUD],
		b->tables[HP_TABLE_PMD] - a->tables[HP_TABLE_PMD],
		b->tables[HP_TABLE_PTE] - a->tables[HP_TABLE_PTE],
		b->entries.deposited - a->entries.deposited,
		pmd_pte_tables * (long)(PAGE_SIZE / 1024));
}

/* Writes a byte derived from the page number into every 4 KiB, then reads them back. */
static bool touch_every_page(FILE *out, struct mm_struct *mm, unsigned long addr,
			     uint64_t size)
{
	unsigned long pages = size >> PAGE_SHIFT, bad = 0;
	enum hp_access_result r;

	for (unsigned long i = 0; i < pages; i++) {
		unsigned char v = (unsigned char)(i * 7 + 1);

		r = hp_access(mm, addr + (i << PAGE_SHIFT), 1, HP_ACCESS_WRITE, &v);
		if (r != HP_ACCESS_OK) {
			fprintf(out, "    data      write at 0x%lx: %s\n",
				addr + (i << PAGE_SHIFT), hp_access_result_name(r));
			return false;
		}
	}
	for (unsigned long i = 0; i < pages; i++) {
		unsigned char v = 0;

		r = hp_access(mm, addr + (i << PAGE_SHIFT), 1, HP_ACCESS_READ, &v);
		if (r != HP_ACCESS_OK || v != (unsigned char)(i * 7 + 1))
			bad++;
	}
	fprintf(out, "    data      %lu pages written and read back: %s\n", pages,
		bad ? "MISMATCH" : "ok");
	return !bad;
}

/*
 * The tour maps devices and BOs the way a program that wants the largest
 * entries does: it asks for an address aligned to 1 GiB (or 2 MiB for
 * smaller sizes), since mm aligns to 2 MiB at most (a BO of 1 GiB or more
 * would get 1 GiB from the series' hook; the tour asks all the same).
 */
static unsigned long tour_align(uint64_t size)
{
	return size >= PUD_SIZE ? PUD_SIZE : PMD_SIZE;
}

static bool demo_bar(FILE *out, struct mm_struct *mm, uint64_t size)
{
	struct hp_bar *bar = hp_bar_create("demo-bar", size, false);
	struct snapshot a, b;
	unsigned long addr;
	bool ok;

	if (!bar) {
		fprintf(out, "cannot create a %lu MiB device BAR\n", (unsigned long)(size >> 20));
		return false;
	}
	addr = hp_mmap_aligned(mm, hp_bar_file(bar), size, PROT_READ | PROT_WRITE, MAP_SHARED, 0,
			       tour_align(size), 0);
	hp_bar_destroy(bar);
	if (IS_ERR_VALUE(addr)) {
		fprintf(out, "mmap of the BAR failed: %ld\n", (long)addr);
		return false;
	}
	fprintf(out, "[1] device BAR (VM_PFNMAP | VM_IO, no struct page), %lu MiB at pfn 0x%lx,\n"
		"    mapped at 0x%lx (asked %lu MiB-aligned); one write to every 4 KiB\n",
		(unsigned long)(size >> 20), hp_bar_pfn(bar), addr, tour_align(size) >> 20);
	take_snapshot(mm, &a);
	ok = touch_every_page(out, mm, addr, size);
	take_snapshot(mm, &b);
	print_delta(out, &a, &b);
	return ok;
}

static bool demo_thp(FILE *out, struct mm_struct *mm, uint64_t size)
{
	struct snapshot a, b;
	unsigned long addr;
	bool ok;

	addr = hp_mmap(mm, NULL, 0, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(addr) || hp_madvise(mm, addr, size, MADV_HUGEPAGE)) {
		fprintf(out, "anonymous mmap failed\n");
		return false;
	}
	fprintf(out, "[2] anonymous memory (MAP_PRIVATE, MADV_HUGEPAGE), %lu MiB at 0x%lx;\n"
		"    one write to every 4 KiB\n", (unsigned long)(size >> 20), addr);
	take_snapshot(mm, &a);
	ok = touch_every_page(out, mm, addr, size);
	take_snapshot(mm, &b);
	print_delta(out, &a, &b);
	return ok;
}

static const struct ttm_place vram_place = { .mem_type = TTM_PL_VRAM };
static const struct ttm_place sys_place = { .mem_type = TTM_PL_SYSTEM };
static const struct ttm_placement in_vram = { 1, &vram_place };
static const struct ttm_placement in_sys = { 1, &sys_place };

static const char *mem_type_name(unsigned int type)
{
	return type == TTM_PL_VRAM ? "VRAM" : type == TTM_PL_TT ? "TT" : "system memory";
}

/* Reads back the byte touch_every_page() wrote to each page. */
static bool verify_every_page(FILE *out, struct mm_struct *mm, unsigned long addr, uint64_t size)
{
	unsigned long pages = size >> PAGE_SHIFT, bad = 0;

	for (unsigned long i = 0; i < pages; i++) {
		unsigned char v = 0;

		if (hp_access(mm, addr + (i << PAGE_SHIFT), 1, HP_ACCESS_READ, &v) != HP_ACCESS_OK ||
		    v != (unsigned char)(i * 7 + 1))
			bad++;
	}
	fprintf(out, "    data      %lu pages read back after the move: %s\n", pages,
		bad ? "MISMATCH" : "ok");
	return !bad;
}

/*
 * A BO created in `first`, mapped and written, then moved to `then` behind
 * the mapping (TTM unmaps it everywhere first), then read back: the refault
 * maps the new placement.
 */
static bool demo_bo(FILE *out, int n, struct mm_struct *mm, struct ttm_device *bdev,
		    uint64_t size, const struct ttm_placement *first,
		    const struct ttm_placement *then, const char *move)
{
	struct ttm_buffer_object *bo;
	struct snapshot a, b;
	unsigned long addr;
	bool ok;
	int err;

	if (ttm_bo_create(bdev, size, first, &bo)) {
		fprintf(out, "cannot create a %lu MiB BO\n", (unsigned long)(size >> 20));
		return false;
	}
	addr = hp_mmap_aligned(mm, ttm_device_file(bdev), size, PROT_READ | PROT_WRITE, MAP_SHARED,
			       ttm_bo_mmap_offset(bo), tour_align(size), 0);
	if (IS_ERR_VALUE(addr)) {
		fprintf(out, "mmap of the BO failed: %ld\n", (long)addr);
		ttm_bo_destroy(bo);
		return false;
	}
	fprintf(out, "[%d] TTM BO, %lu MiB in %s (pfn 0x%lx), mapped at 0x%lx (asked %lu MiB-aligned);\n"
		"    one write to every 4 KiB\n",
		n, (unsigned long)(size >> 20), mem_type_name(ttm_bo_mem_type(bo)),
		ttm_bo_pfn(bo, 0), addr, tour_align(size) >> 20);
	take_snapshot(mm, &a);
	ok = touch_every_page(out, mm, addr, size);
	take_snapshot(mm, &b);
	print_delta(out, &a, &b);

	err = then == &in_sys ? ttm_bo_evict(bo) : ttm_bo_validate(bo, then);
	if (err) {
		fprintf(out, "    %s failed: %s; the BO stays in %s\n", move, strerror(-err),
			mem_type_name(ttm_bo_mem_type(bo)));
		ttm_bo_destroy(bo);
		return false;
	}
	take_snapshot(mm, &a);
	fprintf(out, "    %s: now in %s (pfn 0x%lx); every mapping of it was zapped\n", move,
		mem_type_name(ttm_bo_mem_type(bo)), ttm_bo_pfn(bo, 0));
	ok = verify_every_page(out, mm, addr, size) && ok;
	take_snapshot(mm, &b);
	print_delta(out, &a, &b);
	ttm_bo_destroy(bo);	/* the mapping keeps it until mmput */
	return ok;
}

int hp_tour(FILE *out, enum hugepfn_policy policy, uint64_t size, int fail_site,
	    unsigned long fail_nth)
{
	/*
	 * RAM for the THP region and two BOs in system memory at once, with
	 * room to spare: the default 4 GiB up to 1 GiB regions, 4 x size above.
	 */
	struct hp_config config = { .policy = policy,
				    .ram_size = size > PUD_SIZE ? 4 * size : 0 };
	struct ttm_device *bdev = NULL;
	struct mm_struct *mm;
	struct hp_leaks leaks;
	bool ok;
	int err = hp_machine_init(&config);

	if (err) {
		fprintf(stderr, "hugepfn: cannot set up the machine: %s\n", strerror(-err));
		return 2;
	}
	if (fail_site >= 0)
		hp_fail_nth(fail_site, fail_nth);
	fprintf(out, "hugepfn tour: policy %s, %lu MiB RAM\n\n", hp_policy_name(policy),
		hp_totalram_pages() >> (20 - PAGE_SHIFT));
	mm = mm_alloc();
	if (!mm) {
		hp_machine_exit();
		return 2;
	}
	ok = demo_bar(out, mm, size);
	fputc('\n', out);
	ok = demo_thp(out, mm, size) && ok;
	fputc('\n', out);
	bdev = ttm_device_init(&(struct ttm_device_config){ .vram_size = 2 * size });
	if (!bdev) {
		fprintf(out, "cannot create the TTM device\n");
		ok = false;
	} else {
		ok = demo_bo(out, 3, mm, bdev, size, &in_vram, &in_sys, "evicted") && ok;
		fputc('\n', out);
		ok = demo_bo(out, 4, mm, bdev, size, &in_sys, &in_vram, "validated into VRAM") && ok;
	}
	mmput(mm);
	if (bdev)
		ttm_device_fini(bdev);
	hp_machine_leaks(&leaks);
	fprintf(out, "\nafter exit: %lu pages and %lu pagemap references not returned; "
		"%lu violations\n", leaks.pages, leaks.pgmap_refs, hp_violation_count());
	ok = ok && !leaks.pages && !leaks.pgmap_refs && !hp_violation_count();
	hp_machine_exit();
	return ok ? 0 : 1;
}
