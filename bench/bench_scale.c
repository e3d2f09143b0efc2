// SPDX-License-Identifier: MIT
/*
 * Scale rows of hugepfn-bench: what VMAs cost by the hundred thousand (the
 * VMA tree), what a map view and an entry count of a 64 TiB BAR cost with one
 * PUD touched (the walk that skips empty table slots), and the host memory
 * device memory takes while nothing touches it.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <hugepfn/hugepfn.h>

#include "bench_scale.h"

#define BAR_SIZE (64UL << 40)

static bench_record_fn *record;

static double scale_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void fail(const char *what)
{
	fprintf(stderr, "hugepfn-bench: %s\n", what);
	exit(1);
}

/* This process's resident host memory, in KiB. */
static double host_rss_kib(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f || fscanf(f, "%lu %lu", &size, &resident) != 2)
		fail("cannot read /proc/self/statm");
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024.0);
}

static void scale_machine(void)
{
	struct hp_config config = { .ram_size = 256ULL << 20, .policy = HP_POLICY_SPECIAL };

	if (hp_machine_init(&config))
		fail("cannot set up the machine");
}

static void scale_machine_done(void)
{
	struct hp_leaks leaks;

	hp_machine_leaks(&leaks);
	if (leaks.pages || leaks.pgmap_refs || hp_violation_count())
		fail("a scale benchmark leaked or violated");
	hp_machine_exit();
}

/* CPU time of this thread: what another process's load on the machine does not change. */
static double thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* What one size of the VMA benchmark took, summed over its rounds, in ns. */
struct vma_times {
	double cpu;		/* making and unmapping, CPU time */
	double making, unmapping, wall;
};

/*
 * n VMAs made by mprotect from one mapping of n pages (every other page made
 * read-only splits it), then each unmapped on its own.
 */
static void vmas_by_mprotect(unsigned long n, struct vma_times *t)
{
	struct mm_struct *mm = mm_alloc();
	unsigned long addr = hp_mmap(mm, NULL, 0, n * PAGE_SIZE, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, 0);
	double t0 = scale_now_ns(), cpu0 = thread_cpu_ns(), made, done;

	if (IS_ERR_VALUE(addr))
		fail("cannot map the region to split");
	for (unsigned long i = 1; i < n; i += 2)
		if (hp_mprotect(mm, addr + i * PAGE_SIZE, PAGE_SIZE, PROT_READ))
			fail("mprotect failed");
	made = scale_now_ns();
	if (mm->map_count != n)
		fail("mprotect did not make the VMAs expected");
	for (unsigned long i = 0; i < n; i++)
		if (hp_munmap(mm, addr + i * PAGE_SIZE, PAGE_SIZE))
			fail("munmap failed");
	done = scale_now_ns();
	t->cpu += thread_cpu_ns() - cpu0;
	if (mm->map_count)
		fail("munmap left VMAs");
	mmput(mm);
	t->making += made - t0;
	t->unmapping += done - made;
	t->wall += done - t0;
}

#define VMA_BENCH_TOTAL 100000UL

/*
 * The VMA tree at 1,000, 10,000 and 100,000 VMAs, each size made and torn
 * down until 100,000 VMAs have been (100 rounds of 1,000, 10 of 10,000, one
 * of 100,000), so each figure is as much work and the small trees are not
 * one cold round.  The figure per VMA is CPU time, so that other load on
 * the machine neither adds to it nor bends the growth from 1k to 100k; the
 * note gives the wall-clock time.
 *
 * Every size first runs one round untimed, and glibc keeps the heap it
 * frees meanwhile (M_TRIM_THRESHOLD), so that no size pays the host's
 * first-touch faults of heap memory and the others not: without both, the
 * single 100k round would be the only one to grow the heap.
 */
static void vma_tree_scale(void)
{
	double per_vma[3];
	char name[64], note[96];
	int k = 0;

	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	for (unsigned long n = 1000; n <= VMA_BENCH_TOTAL; n *= 10, k++) {
		struct vma_times t = { 0 }, warm_up = { 0 };
		unsigned long rounds = VMA_BENCH_TOTAL / n;

		vmas_by_mprotect(n, &warm_up);
		for (unsigned long r = 0; r < rounds; r++)
			vmas_by_mprotect(n, &t);
		per_vma[k] = t.cpu / VMA_BENCH_TOTAL;
		snprintf(name, sizeof(name), "%lu VMAs by mprotect, then munmap", n);
		snprintf(note, sizeof(note), "CPU; x%lu rounds, wall %.1f ms: %.1f making, %.1f unmapping",
			 rounds, t.wall / 1e6, t.making / 1e6, t.unmapping / 1e6);
		record(name, "ns/VMA", per_vma[k], note);
	}
	snprintf(note, sizeof(note), "%.0f / %.0f / %.0f ns CPU at 1k / 10k / 100k; flat is 1",
		 per_vma[0], per_vma[1], per_vma[2]);
	record("VMAs: time per VMA, 100k / 1k", "x", per_vma[2] / per_vma[0], note);
	mallopt(M_TRIM_THRESHOLD, 128 * 1024);	/* glibc's default */
}

/*
 * find_vma() at addresses that jump about a tree of n VMAs (every other
 * page of one mapping made read-only), under the mmap lock for read: the
 * lookup's own cost, which the hint of a run of neighbouring changes does
 * not help.  A fixed multiplicative walk, so that every size sees the same
 * pattern.
 */
static void vma_lookups(unsigned long n)
{
	const unsigned long lookups = 1000000;
	struct mm_struct *mm = mm_alloc();
	unsigned long addr = hp_mmap(mm, NULL, 0, n * PAGE_SIZE, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, 0), found = 0, i, k = 1;
	char name[64];
	double cpu0;

	if (IS_ERR_VALUE(addr))
		fail("cannot map the region to split");
	for (i = 1; i < n; i += 2)
		if (hp_mprotect(mm, addr + i * PAGE_SIZE, PAGE_SIZE, PROT_READ))
			fail("mprotect failed");
	mmap_read_lock(mm);
	cpu0 = thread_cpu_ns();
	for (i = 0; i < lookups; i++) {
		k = (k * 2654435761UL + 1) % n;
		found += find_vma(mm, addr + k * PAGE_SIZE) != NULL;
	}
	snprintf(name, sizeof(name), "find_vma among %lu VMAs", n);
	record(name, "ns/lookup", (thread_cpu_ns() - cpu0) / lookups,
	       "CPU; addresses all over the tree, under the mmap read lock");
	mmap_read_unlock(mm);
	if (found != lookups)
		fail("find_vma missed a VMA");
	mmput(mm);
}

/* n anonymous 4 KiB mmaps, each placed top-down below the last, then exit. */
static void anon_mmaps(unsigned long n)
{
	struct mm_struct *mm = mm_alloc();
	double t0 = scale_now_ns(), mapped;
	char name[64], note[96];

	for (unsigned long i = 0; i < n; i++)
		if (IS_ERR_VALUE(hp_mmap(mm, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, 0)))
			fail("anonymous mmap failed");
	mapped = scale_now_ns();
	mmput(mm);
	snprintf(name, sizeof(name), "%lu anon mmaps", n);
	snprintf(note, sizeof(note), "%.1f ms to map; exit with all of them: %.1f ms",
		 (mapped - t0) / 1e6, (scale_now_ns() - mapped) / 1e6);
	record(name, "ns/mmap", (mapped - t0) / n, note);
}

/* Every entry of [start, end), as show map and expect entries MAP walk it. */
static unsigned long walk_entries(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	unsigned long addr = start, n = 0;
	enum hp_level level;
	uint64_t val;

	while ((level = hp_next_entry(mm, &addr, end, &val)) != HP_LEVEL_NONE) {
		n++;
		addr += hp_level_size(level);
	}
	return n;
}

/*
 * A 64 TiB BAR mapped 1 GiB-aligned, one PUD of it touched: the map view and
 * the entry counts, and the host memory the BAR takes.  Page by page the
 * view would be 2^34 lookups: that cost is measured per 4 KiB on 1 GiB of it.
 */
static void big_bar(void)
{
	struct hp_entry_counts c;
	struct mm_struct *mm;
	struct hp_bar *bar;
	unsigned long addr;
	double rss0 = host_rss_kib(), t0, per_page;
	char note[96];
	uint64_t val;
	char v = 1;

	bar = hp_bar_create("bench 64 TiB", BAR_SIZE, false);
	if (!bar)
		fail("cannot reserve host address space for a 64 TiB BAR");
	mm = mm_alloc();
	addr = hp_mmap_aligned(mm, hp_bar_file(bar), BAR_SIZE, PROT_READ | PROT_WRITE,
			       MAP_SHARED, 0, PUD_SIZE, 0);
	if (IS_ERR_VALUE(addr))
		fail("cannot map the 64 TiB BAR");
	if (hp_access(mm, addr + BAR_SIZE / 2, 1, HP_ACCESS_WRITE, &v) != HP_ACCESS_OK)
		fail("cannot touch the 64 TiB BAR");
	snprintf(note, sizeof(note), "BAR created, mapped, one byte written: one PUD");
	record("64TiB BAR: host memory", "KiB", host_rss_kib() - rss0, note);

	t0 = scale_now_ns();
	if (walk_entries(mm, addr, addr + BAR_SIZE) != 1)
		fail("the 64 TiB BAR does not hold one entry");
	record("64TiB BAR, 1 PUD: map view walk", "ms", (scale_now_ns() - t0) / 1e6,
	       "hp_next_entry over the mapping (show map, expect entries MAP)");
	t0 = scale_now_ns();
	hp_mm_count_entries(mm, &c);
	if (c.leaves[HP_LEVEL_PUD][HP_KIND_SPECIAL] != 1)
		fail("the 64 TiB BAR does not count one PUD");
	record("64TiB BAR, 1 PUD: count all entries", "ms", (scale_now_ns() - t0) / 1e6,
	       "hp_mm_count_entries (expect entries PROC, show stats)");

	t0 = scale_now_ns();
	for (unsigned long a = addr; a < addr + PUD_SIZE; a += PAGE_SIZE)
		hp_lookup_entry(mm, a, &val);
	per_page = (scale_now_ns() - t0) / (PUD_SIZE / PAGE_SIZE);
	snprintf(note, sizeof(note), "the old page-by-page view: x 2^34 = %.0f s for 64 TiB",
		 per_page * (BAR_SIZE / PAGE_SIZE) / 1e9);
	record("64TiB BAR: lookup per 4KiB", "ns/4KiB", per_page, note);
	mmput(mm);
	hp_bar_destroy(bar);
}

/*
 * A 64 GiB ZONE_DEVICE BAR: the host memory of its memmap (16 Mi struct
 * pages) created and mapped untouched, then with one 2 MiB PMD faulted in
 * (one memmap section written).
 */
static void zone_device_bar(void)
{
	uint64_t size = 64ULL << 30;
	unsigned long addr, sections = hp_memmap_sections_populated();
	struct mm_struct *mm;
	struct hp_bar *bar;
	double rss0 = host_rss_kib();
	char note[96];
	char v = 1;

	bar = hp_bar_create("bench 64 GiB ZONE_DEVICE", size, true);
	if (!bar)
		fail("cannot reserve host address space for a 64 GiB ZONE_DEVICE BAR");
	mm = mm_alloc();
	addr = hp_mmap_aligned(mm, hp_bar_file(bar), size, PROT_READ | PROT_WRITE, MAP_SHARED, 0,
			       PMD_SIZE, 0);
	if (IS_ERR_VALUE(addr))
		fail("cannot map the ZONE_DEVICE BAR");
	snprintf(note, sizeof(note), "created and mapped: %lu memmap sections written",
		 hp_memmap_sections_populated() - sections);
	record("64GiB ZONE_DEVICE BAR untouched: host memory", "KiB", host_rss_kib() - rss0, note);
	if (hp_access(mm, addr + size / 2, 1, HP_ACCESS_WRITE, &v) != HP_ACCESS_OK)
		fail("cannot touch the ZONE_DEVICE BAR");
	snprintf(note, sizeof(note), "one byte written: %lu memmap section(s) of %lu struct pages",
		 hp_memmap_sections_populated() - sections, HP_PAGES_PER_SECTION);
	record("64GiB ZONE_DEVICE BAR, 1 touch: host memory", "KiB", host_rss_kib() - rss0, note);
	mmput(mm);
	hp_bar_destroy(bar);
}

/* A 1 GiB VRAM BO, created (zero-filled) and never touched. */
static void untouched_vram_bo(void)
{
	struct ttm_device_config config = { .vram_size = 2ULL << 30 };
	struct ttm_buffer_object *bo;
	struct ttm_device *bdev;
	double rss0, t0;

	bdev = ttm_device_init(&config);
	if (!bdev)
		fail("cannot set up the TTM device");
	rss0 = host_rss_kib();
	t0 = scale_now_ns();
	if (ttm_bo_create(bdev, 1ULL << 30, &(struct ttm_placement){
				  1, &(struct ttm_place){ .mem_type = TTM_PL_VRAM } }, &bo))
		fail("cannot create a 1 GiB VRAM BO");
	record("1GiB VRAM BO untouched: host memory", "KiB", host_rss_kib() - rss0, NULL);
	record("1GiB VRAM BO: create (zeroed)", "ms", (scale_now_ns() - t0) / 1e6, NULL);
	if (ttm_bo_destroy(bo))
		fail("cannot destroy the BO");
	ttm_device_fini(bdev);
}

void bench_scale(int reps, bench_record_fn *record_fn)
{
	record = record_fn;
	for (int rep = 0; rep < reps; rep++) {
		scale_machine();
		vma_tree_scale();
		vma_lookups(1000);
		vma_lookups(100000);
		anon_mmaps(100000);
		big_bar();
		zone_device_bar();
		untouched_vram_bo();
		scale_machine_done();
	}
}
