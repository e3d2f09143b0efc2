// SPDX-License-Identifier: MIT
/*
 * hugepfn-bench: what huge pfn mappings buy, measured, next to a lower bound
 * for the same work, the host kernel's nearest operations and the real
 * kernel's counts, in one run.  Writes a JSON file and prints a table
 * (median, min, max over the repetitions).
 *
 *   hugepfn-bench [--size 1G] [--reps 3] [--only GROUP,...] [--checker PATH]
 *                 [--kernel-results FILE] [--output bench/results/latest.json]
 *
 * The rows come in groups (the table `groups` at the end), one function each.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#ifdef HP_HAVE_LIBURING
#include <liburing.h>
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <urcu/urcu-memb.h>

#include <hugepfn/hugepfn.h>

#include "bench_scale.h"
#include "json.h"
#include "size.h"

#define MAX_REPS 16

struct result {
	char name[72];
	char unit[16];
	double v[MAX_REPS];
	int n;
	char note[320];
	struct result *next;
};

static struct result *results, **tail = &results;
static uint64_t size = 1ULL << 30;
static int reps = 3;
static const char *checker_path;
static const char *kernel_results_path;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static __attribute__((noreturn)) void die(const char *what)
{
	fprintf(stderr, "hugepfn-bench: %s\n", what);
	exit(1);
}

/* A bad command line: exit 2, as for hugepfn (1 is a benchmark that failed). */
static __attribute__((noreturn)) void usage_error(const char *what)
{
	fprintf(stderr, "hugepfn-bench: %s (hugepfn-bench --help)\n", what);
	exit(2);
}

static struct result *result(const char *name, const char *unit)
{
	struct result *r;

	for (r = results; r; r = r->next)
		if (!strcmp(r->name, name))
			return r;
	r = calloc(1, sizeof(*r));
	if (!r)
		die("out of memory");
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
	*tail = r;
	tail = &r->next;
	return r;
}

static void record(const char *name, const char *unit, double v, const char *note)
{
	struct result *r = result(name, unit);

	if (r->n < MAX_REPS)
		r->v[r->n++] = v;
	if (note)
		snprintf(r->note, sizeof(r->note), "%s", note);
}

/* A row with no figure, only words (what could not be measured, and why). */
static void record_note(const char *name, const char *note)
{
	snprintf(result(name, "-")->note, sizeof(results->note), "%s", note);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static unsigned long pages(void)
{
	return size >> PAGE_SHIFT;
}

/* ---- hugepfn: BO fault-in, eviction, teardown ------------------------------ */

static void machine(enum hugepfn_policy policy)
{
	struct hp_config config = { .ram_size = 2 * size + (512ULL << 20), .policy = policy };

	if (hp_machine_init(&config))
		die("cannot set up the machine");
}

static void machine_done(void)
{
	struct hp_leaks leaks;

	hp_machine_leaks(&leaks);
	if (leaks.pages || leaks.pgmap_refs || hp_violation_count())
		die("a benchmark leaked or violated");
	hp_machine_exit();
}

/* Writes one byte in each 4 KiB of [addr, addr + len). */
static void touch_range(struct mm_struct *mm, unsigned long addr, uint64_t len)
{
	for (unsigned long off = 0; off < len; off += PAGE_SIZE) {
		char v = (char)(off >> PAGE_SHIFT);

		if (hp_access(mm, addr + off, 1, HP_ACCESS_WRITE, &v) != HP_ACCESS_OK)
			die("an access failed");
	}
}

static void touch_all(struct mm_struct *mm, unsigned long addr)
{
	touch_range(mm, addr, size);
}

/* Touches every 4 KiB and returns the time spent in the accesses that faulted. */
static double touch_all_fault_time(struct mm_struct *mm, unsigned long addr)
{
	unsigned long faults = atomic_load(&mm->faults.total);
	double in_faults = 0;

	for (unsigned long i = 0; i < pages(); i++) {
		double t0 = now_ns();
		char v = (char)i;

		if (hp_access(mm, addr + (i << PAGE_SHIFT), 1, HP_ACCESS_WRITE, &v) != HP_ACCESS_OK)
			die("an access failed");
		if (atomic_load(&mm->faults.total) != faults) {
			in_faults += now_ns() - t0;
			faults = atomic_load(&mm->faults.total);
		}
	}
	return in_faults;
}

/* The alignment a program asks for to get the largest entries (the kernel gives 2 MiB). */
static unsigned long huge_align(uint64_t len)
{
	return len >= PUD_SIZE ? PUD_SIZE : PMD_SIZE;
}

static long table_pages(struct mm_struct *mm)
{
	return atomic_load(&mm->nr_tables[HP_TABLE_PMD]) + atomic_load(&mm->nr_tables[HP_TABLE_PTE]);
}

/*
 * A BO of `size` in `place`, every 4 KiB written.  pmd_only maps it at an
 * address 2 MiB past a 1 GiB boundary, so no PUD can line up.
 */
static void bench_bo(const char *label, enum hugepfn_policy policy, unsigned int mem_type,
		     bool pmd_only)
{
	struct ttm_place place = { .mem_type = mem_type };
	struct ttm_placement placement = { 1, &place };
	char name[72], note[96];

	for (int rep = 0; rep < reps; rep++) {
		struct ttm_buffer_object *bo;
		struct ttm_device *bdev;
		struct mm_struct *mm;
		unsigned long addr, faults;
		double t0, t1, fault_ns;

		machine(policy);
		bdev = ttm_device_init(&(struct ttm_device_config){ .vram_size = 2 * size });
		mm = mm_alloc();
		if (!bdev || !mm || ttm_bo_create(bdev, size, &placement, &bo))
			die("cannot create the BO");
		if (pmd_only) {
			addr = hp_mmap(mm, ttm_device_file(bdev), (1UL << 44) + PMD_SIZE, size,
				       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
				       ttm_bo_mmap_offset(bo));
		} else {
			/* Asked 1 GiB-aligned, as a program that wants PUDs must. */
			addr = hp_mmap_aligned(mm, ttm_device_file(bdev), size, PROT_READ | PROT_WRITE,
					       MAP_SHARED, ttm_bo_mmap_offset(bo), huge_align(size), 0);
		}
		if (IS_ERR_VALUE(addr))
			die("cannot map the BO");
		/* The first pass faults everything in; the accesses that faulted are timed. */
		t0 = now_ns();
		fault_ns = touch_all_fault_time(mm, addr);
		t1 = now_ns();
		faults = atomic_load(&mm->faults.total);
		snprintf(name, sizeof(name), "touch %s", label);
		snprintf(note, sizeof(note), "%lu faults, %ld PMD+PTE table pages", faults,
			 table_pages(mm));
		record(name, "ns/4KiB", (t1 - t0) / pages(), note);
		snprintf(name, sizeof(name), "fault time %s", label);
		record(name, "us", fault_ns / 1e3, "time of the accesses that faulted, in total");
		snprintf(name, sizeof(name), "faults %s", label);
		record(name, "faults", (double)faults, NULL);

		/* Eviction (or a move to VRAM for a system BO) and the refault. */
		t0 = now_ns();
		if (mem_type == TTM_PL_VRAM)
			ttm_bo_evict(bo);
		else
			ttm_bo_validate(bo, &(struct ttm_placement){ 1, &(struct ttm_place){ TTM_PL_VRAM, 0 } });
		touch_all(mm, addr);
		t1 = now_ns();
		snprintf(name, sizeof(name), "move+refault %s", label);
		record(name, "ns/4KiB", (t1 - t0) / pages(), NULL);

		t0 = now_ns();
		hp_munmap(mm, addr, size);
		t1 = now_ns();
		snprintf(name, sizeof(name), "munmap %s", label);
		snprintf(note, sizeof(note), "%ld PMD+PTE table pages left", table_pages(mm));
		record(name, "ns/4KiB", (t1 - t0) / pages(), note);
		ttm_bo_destroy(bo);
		mmput(mm);
		ttm_device_fini(bdev);
		machine_done();
	}
}

static void bench_bo_all(void)
{
	bench_bo("VRAM BO, none (4KiB+prefault)", HP_POLICY_NONE, TTM_PL_VRAM, false);
	bench_bo("VRAM BO, special, PMD only", HP_POLICY_SPECIAL, TTM_PL_VRAM, true);
	bench_bo("VRAM BO, special, PUD", HP_POLICY_SPECIAL, TTM_PL_VRAM, false);
	bench_bo("system BO, none", HP_POLICY_NONE, TTM_PL_SYSTEM, false);
	bench_bo("system BO, special (PMD)", HP_POLICY_SPECIAL, TTM_PL_SYSTEM, false);
}

/* ---- BO counts: the model beside the real kernel ------------------------- */

/*
 * The workload of kernel/run-tests.sh's bo-counts.tsv: a VRAM BO of 16, 256
 * or 1024 MiB mapped and written once per 4 KiB.  Counted: faults,
 * page-table bytes (PUD, PMD and PTE tables, as VmPTE counts them; the
 * model's mm is empty before, where a process's tables above the BO may
 * already exist) and the leaves present afterwards, by level.
 */
static const unsigned int bo_count_mib[] = { 16, 256, 1024 };

struct bo_counts {
	unsigned long faults, pgtable_bytes;
	long leaves[3];		/* pud, pmd, pte; -1: not counted */
};

static unsigned long mm_table_bytes(struct mm_struct *mm)
{
	struct hp_entry_counts c;

	hp_mm_count_entries(mm, &c);
	return (c.tables[HP_TABLE_PUD] + c.tables[HP_TABLE_PMD] + c.tables[HP_TABLE_PTE]) *
	       PAGE_SIZE;
}

static void model_bo_counts(enum hugepfn_policy policy, unsigned int mib, struct bo_counts *out)
{
	struct ttm_place vram = { TTM_PL_VRAM, 0 };
	uint64_t len = (uint64_t)mib << 20;
	struct hp_config config = { .ram_size = len + (512ULL << 20), .policy = policy };
	struct ttm_buffer_object *bo;
	struct ttm_device *bdev;
	struct hp_entry_counts c;
	struct mm_struct *mm;
	unsigned long addr, tables0;

	if (hp_machine_init(&config))
		die("cannot set up the machine");
	bdev = ttm_device_init(&(struct ttm_device_config){ .vram_size = 2 * len });
	mm = mm_alloc();
	if (!bdev || !mm || ttm_bo_create(bdev, len, &(struct ttm_placement){ 1, &vram }, &bo))
		die("cannot create the BO");
	tables0 = mm_table_bytes(mm);
	/* Aligned for the largest entry, as the kernel's runs were (1 GiB: one PUD fault). */
	addr = hp_mmap_aligned(mm, ttm_device_file(bdev), len, PROT_READ | PROT_WRITE, MAP_SHARED,
			       ttm_bo_mmap_offset(bo), huge_align(len), 0);
	if (IS_ERR_VALUE(addr))
		die("cannot map the BO");
	touch_range(mm, addr, len);
	out->faults = atomic_load(&mm->faults.total);
	out->pgtable_bytes = mm_table_bytes(mm) - tables0;
	hp_mm_count_entries(mm, &c);
	for (int l = 0; l < 3; l++) {
		enum hp_level level = l == 0 ? HP_LEVEL_PUD : l == 1 ? HP_LEVEL_PMD : HP_LEVEL_PTE;

		out->leaves[l] = 0;
		for (int k = 0; k < HP_NR_KINDS; k++)
			out->leaves[l] += (long)c.leaves[level][k];
	}
	hp_munmap(mm, addr, len);
	ttm_bo_destroy(bo);
	mmput(mm);
	ttm_device_fini(bdev);
	machine_done();
}

static void record_bo_counts(const char *who, unsigned int mib, const struct bo_counts *c,
			     const char *extra)
{
	char name[72], note[160];

	snprintf(name, sizeof(name), "BO counts %u MiB, %s", mib, who);
	if (c->leaves[0] < 0 || c->leaves[1] < 0 || c->leaves[2] < 0)
		snprintf(note, sizeof(note), "%lu KiB page tables, leaves not counted (no "
			 "hugepfn_walk in that kernel)%s", c->pgtable_bytes >> 10, extra);
	else
		snprintf(note, sizeof(note), "%lu KiB page tables, leaves pud/pmd/pte %ld/%ld/%ld%s",
			 c->pgtable_bytes >> 10, c->leaves[0], c->leaves[1], c->leaves[2], extra);
	record(name, "faults", (double)c->faults, note);
}

/* $HUGEPFN_KERNEL_CACHE/results/bo-counts.tsv, as kernel/run-tests.sh writes it. */
static const char *kernel_results(char *buf, size_t len)
{
	const char *cache = getenv("HUGEPFN_KERNEL_CACHE"), *home = getenv("HOME");

	if (kernel_results_path)
		return kernel_results_path;
	if (cache && *cache)
		snprintf(buf, len, "%s/results/bo-counts.tsv", cache);
	else
		snprintf(buf, len, "%s/.cache/hugepfn-kernel/results/bo-counts.tsv",
			 home ? home : "");
	return buf;
}

/*
 * One data line: kernel, bo_mib, faults, pgtable_bytes, pud, pmd, pte, date
 * (tab separated; pud/pmd/pte -1 when the kernel could not count leaves).
 */
static bool parse_kernel_line(char *line, char *kernel, size_t klen, unsigned int *mib,
			      long v[5], char *date, size_t dlen)
{
	char *field[8], *save = NULL, *end;
	int n = 0;

	line[strcspn(line, "\r\n")] = 0;
	for (char *f = strtok_r(line, "\t", &save); f && n < 8; f = strtok_r(NULL, "\t", &save))
		field[n++] = f;
	if (n != 8)
		return false;
	snprintf(kernel, klen, "%s", field[0]);
	*mib = (unsigned int)strtoul(field[1], &end, 10);
	if (*end || !*mib)
		return false;
	for (int i = 0; i < 5; i++) {
		v[i] = strtol(field[2 + i], &end, 10);
		if (*end || end == field[2 + i])
			return false;
	}
	snprintf(date, dlen, "%s", field[7]);
	return true;
}

/* Records the kernel's rows for one BO size; returns how many there were. */
static int kernel_bo_counts(FILE *f, const char *path, unsigned int want_mib)
{
	char line[512], kernel[64], date[40], extra[64];
	int lineno = 0, found = 0;

	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		struct bo_counts c;
		unsigned int mib;
		long v[5];

		if (lineno++ == 0)
			continue;	/* the header */
		/* Bad lines are told once, on the first size's pass. */
		if (!parse_kernel_line(line, kernel, sizeof(kernel), &mib, v, date, sizeof(date))) {
			if (want_mib == bo_count_mib[0])
				fprintf(stderr, "hugepfn-bench: %s:%d: not a bo-counts line, skipped\n",
					path, lineno);
			continue;
		}
		if (v[0] < 0 || v[1] < 0) {
			if (want_mib == bo_count_mib[0])
				fprintf(stderr, "hugepfn-bench: %s:%d: negative faults or "
					"page-table bytes, skipped\n", path, lineno);
			continue;
		}
		if (mib != want_mib)
			continue;
		c = (struct bo_counts){ (unsigned long)v[0], (unsigned long)v[1], { v[2], v[3], v[4] } };
		snprintf(extra, sizeof(extra), " (QEMU run of %s)", date);
		{
			char who[80];

			snprintf(who, sizeof(who), "kernel %s", kernel);
			record_bo_counts(who, mib, &c, extra);
		}
		found++;
	}
	return found;
}

static void bench_bo_counts(void)
{
	char buf[256], note[320];
	const char *path = kernel_results(buf, sizeof(buf));
	FILE *f = fopen(path, "r");
	int open_err = errno;

	for (size_t i = 0; i < sizeof(bo_count_mib) / sizeof(bo_count_mib[0]); i++) {
		unsigned int mib = bo_count_mib[i];
		struct bo_counts c;

		model_bo_counts(HP_POLICY_SPECIAL, mib, &c);
		record_bo_counts("model special", mib, &c, "");
		model_bo_counts(HP_POLICY_NONE, mib, &c);
		record_bo_counts("model none (4KiB+prefault)", mib, &c, "");
		if (f && !kernel_bo_counts(f, path, mib)) {
			char name[72];

			snprintf(name, sizeof(name), "BO counts %u MiB, kernel", mib);
			snprintf(note, sizeof(note), "no %u MiB row in %.250s", mib, path);
			record_note(name, note);
		}
	}
	if (!f) {
		snprintf(note, sizeof(note), "no kernel-test results at %.250s (%s)", path,
			 strerror(open_err));
		record_note("kernel counts", note);
	} else {
		fclose(f);
	}
	record_note("kernel times", "not reported: QEMU runs the kernels under TCG here");
}

/* ---- the lower bound for gup-fast ------------------------------------------ */

/*
 * The least work that pins user pages safely with no lock, on a page table
 * and a memmap of the bench's own: no model, no scheduling points, no
 * violation reports.  Each step is there because without it a pin could be
 * wrong (README, "Performance"; Linux 6.12 mm/gup.c names in brackets):
 *
 *  - write_protect_seq read before, and after a full fence at the end: a pin
 *    taken while fork write-protects could land on a page fork then shares
 *    copy-on-write with the child (gup_fast());
 *  - an RCU read-side section around the walk (Linux disables interrupts):
 *    a page-table page it reaches is freed only after it has left;
 *  - each entry loaded once, and its bits decide: present, writable for a
 *    write pin, neither special nor devmap (gup_fast_pte_range(),
 *    gup_fast_pmd_leaf());
 *  - the reference taken with a compare-and-exchange that refuses a zero
 *    count: a folio on its way to the allocator is never resurrected
 *    (folio_ref_try_add() in try_get_folio());
 *  - the folio looked up again after that: a split in between would leave
 *    the reference on a folio the page no longer belongs to (try_get_folio());
 *  - a large folio's pins counted in its pin count too, which is what lets
 *    fork and COW see an exact pin (try_grab_folio_fast());
 *  - the PMD and, for a PTE, the PTE loaded again after the reference, and
 *    the reference dropped if either changed: the page may have been unmapped
 *    (and freed) or the PTE table moved or freed between the load and the
 *    grab; only an entry that still maps the page after the grab proves the
 *    grab was of a mapped page (gup_fast_pte_range(), gup_fast_pmd_leaf());
 *  - each page recorded for the caller (record_subpages() for a THP).
 *
 * Linux's struct page is 64 bytes with the count in the first cache line;
 * the bound's is laid out alike, except that a large folio's pin count is in
 * its first page (as hugepfn keeps it), not its second (Linux's
 * folio->_pincount): where it lives is layout, not safety, and the bound
 * takes the cheaper one.
 */
struct lb_page {
	unsigned long flags;
	unsigned long compound_head;	/* tails: the head's address | 1 */
	void *mapping;
	unsigned long index, private;
	atomic_int mapcount;
	atomic_int refcount;
	atomic_int pincount;		/* head of a large folio: its pins */
	int pad;
	unsigned long memcg;
};
_Static_assert(sizeof(struct lb_page) == 64, "the bound's struct page is Linux's size");

#define LB_HEAD		1UL	/* flags: the first page of a large folio */
#define LB_PTE_MASK	(_PAGE_PRESENT | _PAGE_RW | _PAGE_SPECIAL | _PAGE_DEVMAP)
#define LB_PTE_PIN	(_PAGE_PRESENT | _PAGE_RW)
#define LB_PMD_MASK	(LB_PTE_MASK | _PAGE_PSE)
#define LB_PMD_PIN	(LB_PTE_PIN | _PAGE_PSE)

/* One PUD table's worth of user space per GiB, PMD tables and PTE tables back to back. */
struct lb_world {
	uint64_t *pud, *pmd, *pte;
	struct lb_page *memmap;
	unsigned long nr_pages;
	atomic_uint write_protect_seq;
};

static struct lb_page *lb_folio(struct lb_page *page)
{
	unsigned long head = __atomic_load_n(&page->compound_head, __ATOMIC_RELAXED);

	return head & 1 ? (struct lb_page *)(head - 1) : page;
}

static bool lb_large(const struct lb_page *folio)
{
	return __atomic_load_n(&folio->flags, __ATOMIC_RELAXED) & LB_HEAD;
}

/*
 * Adds refs unless the count is zero.  Sequentially consistent, because the
 * re-reads that follow must not be ordered before it (Linux:
 * smp_mb__after_atomic(); on x86 the locked instruction is the barrier).
 */
static bool lb_ref_try_add(struct lb_page *folio, int refs)
{
	int old = atomic_load_explicit(&folio->refcount, memory_order_relaxed);

	do {
		if (old <= 0)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(&folio->refcount, &old, old + refs,
							memory_order_seq_cst, memory_order_relaxed));
	return true;
}

static void lb_put(struct lb_page *folio, int refs)
{
	int add = refs;

	if (lb_large(folio))
		atomic_fetch_sub_explicit(&folio->pincount, refs, memory_order_relaxed);
	else
		add = refs * GUP_PIN_COUNTING_BIAS;
	if (atomic_fetch_sub_explicit(&folio->refcount, add, memory_order_acq_rel) <= add)
		die("the lower bound dropped a page's last reference");
}

/* refs pins on page's folio: a small folio's whole pin bias in one try. */
static struct lb_page *lb_grab(struct lb_page *page, int refs)
{
	for (;;) {
		struct lb_page *folio = lb_folio(page);
		bool large = lb_large(folio);

		if (!lb_ref_try_add(folio, large ? refs : refs * GUP_PIN_COUNTING_BIAS))
			return NULL;
		if (lb_folio(page) == folio) {
			if (large)
				atomic_fetch_add_explicit(&folio->pincount, refs,
							  memory_order_seq_cst);
			return folio;
		}
		atomic_fetch_sub_explicit(&folio->refcount,
					  large ? refs : refs * GUP_PIN_COUNTING_BIAS,
					  memory_order_acq_rel);
	}
}

static bool lb_pte_range(struct lb_world *w, uint64_t *pmdp, uint64_t pmd, unsigned long i,
			 unsigned long end, struct lb_page **out, int *nr)
{
	uint64_t *ptep = w->pte + ((pmd & PTE_PFN_MASK) >> PAGE_SHIFT) * PTRS_PER_PTE +
			 i % PTRS_PER_PTE;

	for (; i < end; i++, ptep++) {
		uint64_t pte = __atomic_load_n(ptep, __ATOMIC_ACQUIRE);
		struct lb_page *page, *folio;

		if ((pte & LB_PTE_MASK) != LB_PTE_PIN)
			return false;
		page = &w->memmap[(pte & PTE_PFN_MASK) >> PAGE_SHIFT];
		folio = lb_grab(page, 1);
		if (!folio)
			return false;
		if (__atomic_load_n(pmdp, __ATOMIC_SEQ_CST) != pmd ||
		    __atomic_load_n(ptep, __ATOMIC_SEQ_CST) != pte) {
			lb_put(folio, 1);
			return false;
		}
		out[(*nr)++] = page;
	}
	return true;
}

static bool lb_pmd_leaf(struct lb_world *w, uint64_t *pmdp, uint64_t pmd, unsigned long i,
			unsigned long end, struct lb_page **out, int *nr)
{
	struct lb_page *page, *folio;
	int refs = (int)(end - i);

	if ((pmd & LB_PMD_MASK) != LB_PMD_PIN)
		return false;
	page = &w->memmap[((pmd & PHYSICAL_PMD_PAGE_MASK) >> PAGE_SHIFT) + i % PTRS_PER_PMD];
	for (int k = 0; k < refs; k++)
		out[*nr + k] = page + k;
	folio = lb_grab(page, refs);
	if (!folio)
		return false;
	if (__atomic_load_n(pmdp, __ATOMIC_SEQ_CST) != pmd) {
		lb_put(folio, refs);
		return false;
	}
	*nr += refs;
	return true;
}

/* Gives back pins folio by folio, as unpin_user_pages() does. */
static void lb_unpin(struct lb_page **pages, int nr)
{
	for (int i = 0; i < nr;) {
		struct lb_page *folio = lb_folio(pages[i]);
		int run = 1;

		while (i + run < nr && lb_folio(pages[i + run]) == folio)
			run++;
		lb_put(folio, run);
		i += run;
	}
}

/* Pins n pages from page `first` on; the number pinned (all, or 0 after fork). */
static int lb_pin(struct lb_world *w, unsigned long first, unsigned long n, struct lb_page **out)
{
	unsigned int seq = atomic_load_explicit(&w->write_protect_seq, memory_order_acquire);
	unsigned long i = first, end = first + n;
	int nr = 0;

	if (seq & 1)
		return 0;
	urcu_memb_read_lock();
	while (i < end) {
		uint64_t pud = __atomic_load_n(&w->pud[i / (PTRS_PER_PMD * PTRS_PER_PTE)],
					       __ATOMIC_ACQUIRE);
		uint64_t *pmdp = &w->pmd[i / PTRS_PER_PTE];
		uint64_t pmd;
		unsigned long next = (i / PTRS_PER_PTE + 1) * PTRS_PER_PTE;
		bool ok;

		if (!(pud & _PAGE_PRESENT))
			break;
		pmd = __atomic_load_n(pmdp, __ATOMIC_ACQUIRE);
		if (!(pmd & _PAGE_PRESENT))
			break;
		if (next > end)
			next = end;
		ok = pmd & _PAGE_PSE ? lb_pmd_leaf(w, pmdp, pmd, i, next, out, &nr)
				     : lb_pte_range(w, pmdp, pmd, i, next, out, &nr);
		if (!ok)
			break;
		i = next;
	}
	urcu_memb_read_unlock();
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&w->write_protect_seq, memory_order_relaxed) != seq) {
		lb_unpin(out, nr);
		return 0;
	}
	return nr;
}

/*
 * Zeroed memory for the bound's tables and memmap, on host THPs as hugepfn's
 * own memory is (mem/physmem.c): both pay the same TLB costs.
 */
static void *lb_alloc(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("out of memory");
	madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

/* `size` of anonymous memory mapped writable: by PTEs, or by PMD leaves over THPs. */
static struct lb_world *lb_world_create(bool thp)
{
	unsigned long n = pages(), nr_pmds = n / PTRS_PER_PTE;
	struct lb_world *w = calloc(1, sizeof(*w));

	if (!w)
		die("out of memory");
	w->nr_pages = n;
	w->pud = lb_alloc(nr_pmds / PTRS_PER_PMD * sizeof(*w->pud));
	w->pmd = lb_alloc(nr_pmds * sizeof(*w->pmd));
	w->pte = thp ? NULL : lb_alloc(n * sizeof(*w->pte));
	w->memmap = lb_alloc(n * sizeof(struct lb_page));
	for (unsigned long i = 0; i < nr_pmds / PTRS_PER_PMD; i++)
		w->pud[i] = (uint64_t)i << PAGE_SHIFT | _PAGE_PRESENT | _PAGE_RW;
	for (unsigned long i = 0; i < nr_pmds; i++) {
		uint64_t head = (uint64_t)(i * PTRS_PER_PTE) << PAGE_SHIFT;

		w->pmd[i] = thp ? head | LB_PMD_PIN | _PAGE_ACCESSED | _PAGE_DIRTY
				: (uint64_t)i << PAGE_SHIFT | _PAGE_PRESENT | _PAGE_RW;
	}
	for (unsigned long i = 0; i < n; i++) {
		struct lb_page *head = &w->memmap[i & ~(PTRS_PER_PTE - 1UL)];

		if (!thp) {
			w->pte[i] = (uint64_t)i << PAGE_SHIFT | LB_PTE_PIN | _PAGE_ACCESSED | _PAGE_DIRTY;
			w->memmap[i].refcount = 1;
		} else if (&w->memmap[i] == head) {
			head->flags = LB_HEAD;
			head->refcount = 1;
		} else {
			w->memmap[i].compound_head = (unsigned long)head | 1;
		}
	}
	return w;
}

static void lb_world_destroy(struct lb_world *w)
{
	unsigned long n = w->nr_pages, nr_pmds = n / PTRS_PER_PTE;

	munmap(w->pud, nr_pmds / PTRS_PER_PMD * sizeof(*w->pud));
	munmap(w->pmd, nr_pmds * sizeof(*w->pmd));
	if (w->pte)
		munmap(w->pte, n * sizeof(*w->pte));
	munmap(w->memmap, n * sizeof(struct lb_page));
	free(w);
}

/* ---- gup-fast next to its bound -------------------------------------------- */

#define CHUNK 512

/*
 * One pass over npages from `first` on, CHUNK pages a call, each chunk given
 * back before the next is pinned: ns per 4 KiB for both, and in *pin_ns for
 * the pins alone.  hugepfn's gup-fast and the bound run the same loop.
 */
struct pinning {
	struct mm_struct *mm;		/* hugepfn's, or NULL for the bound */
	unsigned long addr;		/* hugepfn: the range */
	struct lb_world *w;		/* the bound: its world */
};

static int pin_chunk(const struct pinning *p, unsigned long first, void **pg)
{
	if (p->mm)
		return pin_user_pages_fast(p->mm, p->addr + (first << PAGE_SHIFT), CHUNK,
					   FOLL_WRITE, (struct page **)pg);
	return lb_pin(p->w, first, CHUNK, (struct lb_page **)pg);
}

static void unpin_chunk(const struct pinning *p, void **pg)
{
	if (p->mm)
		unpin_user_pages((struct page **)pg, CHUNK);
	else
		lb_unpin((struct lb_page **)pg, CHUNK);
}

static double pin_pass(const struct pinning *p, unsigned long first, unsigned long npages,
		       double *pin_ns)
{
	static _Thread_local void *pg[CHUNK];
	double pinning = 0, t0 = now_ns();

	for (unsigned long i = first; i < first + npages; i += CHUNK) {
		double p0 = now_ns();
		int got = pin_chunk(p, i, pg);

		pinning += now_ns() - p0;
		if (got != CHUNK)
			die("a pin failed");
		unpin_chunk(p, pg);
	}
	if (pin_ns)
		*pin_ns = pinning / npages;
	return (now_ns() - t0) / npages;
}

static unsigned long anon_region(struct mm_struct *mm, bool thp)
{
	unsigned long addr = hp_mmap(mm, NULL, 0, size, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, 0);

	if (IS_ERR_VALUE(addr))
		die("anonymous mmap failed");
	if (thp)
		hp_madvise(mm, addr, size, MADV_HUGEPAGE);
	touch_all(mm, addr);
	return addr;
}

/*
 * How much of this process's anonymous memory the host backs with THPs, in
 * MiB: hugepfn's RAM and the bound's tables ask for them, and whether they
 * get them (the host may be fragmented) moves these figures more than
 * anything in either walk.
 */
static long host_thp_mib(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];
	long kib = -1024;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib / 1024;
}

/*
 * hugepfn's pin and the bound's, the pair of rows and their ratio: of
 * PASSES passes each, taken turn about, the fastest (the machine is shared:
 * the fastest pass is the one least disturbed).
 */
#define PASSES 5

static void pin_vs_bound(const char *kind, const struct pinning *model,
			 const struct pinning *bound, unsigned long npages)
{
	double m_pin = 1e30, b_pin = 1e30, m_both = 1e30, b_both = 1e30;
	char name[72], note[96];

	for (int i = 0; i < PASSES; i++) {
		double pin, both = pin_pass(model, 0, npages, &pin);

		m_pin = pin < m_pin ? pin : m_pin;
		m_both = both < m_both ? both : m_both;
		both = pin_pass(bound, 0, npages, &pin);
		b_pin = pin < b_pin ? pin : b_pin;
		b_both = both < b_both ? both : b_both;
	}
	snprintf(name, sizeof(name), "gup-fast pin %s", kind);
	snprintf(note, sizeof(note), "host THPs under this process: %ld MiB", host_thp_mib());
	record(name, "ns/4KiB", m_pin, note);
	snprintf(name, sizeof(name), "lower bound pin %s", kind);
	record(name, "ns/4KiB", b_pin, NULL);
	snprintf(name, sizeof(name), "gup-fast pin %s / bound", kind);
	record(name, "x", m_pin / b_pin, "target: at most 1.5");
	snprintf(name, sizeof(name), "gup-fast pin+unpin %s", kind);
	record(name, "ns/4KiB", m_both, NULL);
	snprintf(name, sizeof(name), "lower bound pin+unpin %s", kind);
	record(name, "ns/4KiB", b_both, NULL);
}

static void bench_gup(void)
{
	struct lb_world *w4k = lb_world_create(false), *wthp = lb_world_create(true);

	hp_thread_register();
	for (int rep = 0; rep < reps; rep++) {
		struct mm_struct *mm;
		unsigned long a4k, athp;

		machine(HP_POLICY_SPECIAL);
		mm = mm_alloc();
		a4k = anon_region(mm, false);
		athp = anon_region(mm, true);
		pin_vs_bound("anon 4KiB", &(struct pinning){ mm, a4k, NULL },
			     &(struct pinning){ NULL, 0, w4k }, pages());
		pin_vs_bound("THP", &(struct pinning){ mm, athp, NULL },
			     &(struct pinning){ NULL, 0, wthp }, pages());
		/*
		 * The first 256 MiB again: what hugepfn's 96-byte struct pages and
		 * the PTEs of it take then fits the last-level cache, as the
		 * bound's 64-byte ones do for the whole range.
		 */
		pin_vs_bound("anon 4KiB, first 256MiB", &(struct pinning){ mm, a4k, NULL },
			     &(struct pinning){ NULL, 0, w4k }, (256UL << 20) >> PAGE_SHIFT);
		{
			double t0 = now_ns();

			hp_munmap(mm, a4k, size);
			record("munmap anon 4KiB", "ns/4KiB", (now_ns() - t0) / pages(), NULL);
			t0 = now_ns();
			hp_munmap(mm, athp, size);
			record("munmap THP", "ns/4KiB", (now_ns() - t0) / pages(), NULL);
		}
		mmput(mm);
		machine_done();
	}
	lb_world_destroy(w4k);
	lb_world_destroy(wthp);
}

/* ---- refusing special entries ----------------------------------------------- */

/*
 * What refusing one special leaf costs: gup-fast on `npages` pages from the
 * start of each leaf, refused at the leaf.  The same cost whatever the leaf
 * and however many pages are asked: the walk stops at the entry.
 */
static double refuse_per_entry(struct mm_struct *mm, unsigned long addr, unsigned long leaf,
			       int npages, struct page **pg)
{
	unsigned long n = size / leaf, rounds = 1 + (1 << 15) / n;
	double best = 1e30;

	/* The fastest of PASSES passes, as for the pins. */
	for (int pass = 0; pass < PASSES; pass++) {
		double t0 = now_ns(), ns;

		for (unsigned long r = 0; r < rounds; r++)
			for (unsigned long i = 0; i < n; i++)
				if (get_user_pages_fast_only(mm, addr + i * leaf, npages, 0, pg) != 0)
					die("a special entry was not refused");
		ns = (now_ns() - t0) / (rounds * n);
		best = ns < best ? ns : best;
	}
	return best;
}

static void bench_refusal(void)
{
	static const int asked[] = { 1, 512, 262144 };
	struct page **pg = calloc(262144, sizeof(*pg));

	if (!pg)
		die("out of memory");
	for (int rep = 0; rep < reps; rep++) {
		struct hp_bar *pmd_bar, *pud_bar;
		double lo = 1e30, hi = 0;
		struct mm_struct *mm;
		unsigned long bpmd, bpud;

		machine(HP_POLICY_SPECIAL);
		pmd_bar = hp_bar_create("pmd", size, false);
		pud_bar = hp_bar_create("pud", size, false);
		mm = mm_alloc();
		bpmd = hp_mmap(mm, hp_bar_file(pmd_bar), (1UL << 44) + PMD_SIZE, size,
			       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, 0);
		bpud = hp_mmap_aligned(mm, hp_bar_file(pud_bar), size, PROT_READ | PROT_WRITE,
				       MAP_SHARED, 0, huge_align(size), 0);
		if (IS_ERR_VALUE(bpmd) || IS_ERR_VALUE(bpud))
			die("cannot map the BARs");
		hp_bar_destroy(pmd_bar);
		hp_bar_destroy(pud_bar);
		touch_all(mm, bpmd);
		touch_all(mm, bpud);
		for (size_t i = 0; i < sizeof(asked) / sizeof(asked[0]); i++) {
			for (int level = 0; level < 2; level++) {
				unsigned long leaf = level ? PUD_SIZE : PMD_SIZE;
				int npages = asked[i];
				double ns;
				char name[72];

				if ((unsigned long)npages > leaf >> PAGE_SHIFT)
					continue;	/* asked past the leaf: the next one decides */
				ns = refuse_per_entry(mm, level ? bpud : bpmd, leaf, npages, pg);
				snprintf(name, sizeof(name), "gup-fast refusal special %s, %d pages asked",
					 level ? "PUD" : "PMD", npages);
				record(name, "ns/entry", ns, NULL);
				lo = ns < lo ? ns : lo;
				hi = ns > hi ? ns : hi;
			}
		}
		record("gup-fast refusal, slowest / fastest", "x", hi / lo,
		       "over the rows above: constant per entry means close to 1");
		mmput(mm);
		machine_done();
	}
	free(pg);
}

/* ---- scaling: two threads, divided by the bound's own two-thread scaling ----- */

struct pinner {
	struct pinning p;
	unsigned long first, npages;
	double seconds;
	unsigned long done;
};

static void *pinner(void *arg)
{
	struct pinner *p = arg;
	double end;

	hp_thread_register();
	end = now_ns() + p->seconds * 1e9;
	while (now_ns() < end) {
		pin_pass(&p->p, p->first, p->npages, NULL);
		p->done += p->npages;
	}
	hp_thread_unregister();
	return NULL;
}

/* Pages pinned (and given back) per microsecond by n threads on disjoint halves. */
static double pin_throughput(const struct pinning *pin, int n, double seconds)
{
	struct pinner p[2];
	pthread_t t[2];
	unsigned long total = 0;

	for (int i = 0; i < n; i++) {
		p[i] = (struct pinner){ *pin, i * (pages() / 2), pages() / 2, seconds, 0 };
		if (pthread_create(&t[i], NULL, pinner, &p[i]))
			die("cannot start a thread");
	}
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		total += p[i].done;
	}
	return total / (seconds * 1e6);
}

/*
 * hugepfn's and the bound's one- and two-thread throughput, measured turn
 * about so that both see the same machine; the figure that matters is
 * hugepfn's scaling as a share of the bound's (the machine's own limit,
 * divided out).
 */
static void bench_scaling(void)
{
	struct lb_world *w = lb_world_create(false);

	for (int rep = 0; rep < reps; rep++) {
		struct mm_struct *mm;
		struct pinning model, bound = { NULL, 0, w };
		double m1, m2, b1, b2;

		machine(HP_POLICY_SPECIAL);
		mm = mm_alloc();
		model = (struct pinning){ mm, anon_region(mm, false), NULL };
		m1 = pin_throughput(&model, 1, 0.3);
		b1 = pin_throughput(&bound, 1, 0.3);
		m2 = pin_throughput(&model, 2, 0.3);
		b2 = pin_throughput(&bound, 2, 0.3);
		record("gup-fast 1 thread", "pages/us", m1, "pin+unpin, 512 pages a call");
		record("gup-fast 2 threads", "pages/us", m2, "disjoint halves of one mm");
		record("lower bound 1 thread", "pages/us", b1, NULL);
		record("lower bound 2 threads", "pages/us", b2, NULL);
		record("gup-fast 2-thread scaling / bound's", "%", 100 * (m2 / m1) / (b2 / b1),
		       "target: at least 90");
		mmput(mm);
		machine_done();
	}
	lb_world_destroy(w);
}

/* ---- an evicting thread meanwhile ------------------------------------------- */

static atomic_bool evicting;

static void *evictor(void *arg)
{
	struct ttm_buffer_object *bo = arg;
	struct ttm_place vram = { TTM_PL_VRAM, 0 };

	hp_thread_register();
	while (atomic_load(&evicting)) {
		ttm_bo_evict(bo);
		ttm_bo_validate(bo, &(struct ttm_placement){ 1, &vram });
	}
	hp_thread_unregister();
	return NULL;
}

static void bench_evictor(void)
{
	for (int rep = 0; rep < reps; rep++) {
		struct ttm_place vram = { TTM_PL_VRAM, 0 };
		struct ttm_buffer_object *bo;
		struct ttm_device *bdev;
		struct mm_struct *mm;
		struct pinning model;
		pthread_t ev;

		machine(HP_POLICY_SPECIAL);
		mm = mm_alloc();
		model = (struct pinning){ mm, anon_region(mm, false), NULL };
		bdev = ttm_device_init(&(struct ttm_device_config){ .vram_size = 64 << 20 });
		if (!bdev || ttm_bo_create(bdev, 32 << 20, &(struct ttm_placement){ 1, &vram }, &bo))
			die("cannot create the BO");
		if (IS_ERR_VALUE(ttm_bo_mmap(mm, bo, PROT_READ | PROT_WRITE)))
			die("cannot map the BO");
		record("gup-fast 1 thread, alone", "pages/us", pin_throughput(&model, 1, 0.3), NULL);
		atomic_store(&evicting, true);
		if (pthread_create(&ev, NULL, evictor, bo))
			die("cannot start a thread");
		record("gup-fast 1 thread + evictor", "pages/us", pin_throughput(&model, 1, 0.3),
		       "another thread evicts and revalidates a 32 MiB BO in the same mm");
		atomic_store(&evicting, false);
		pthread_join(ev, NULL);
		mmput(mm);
		ttm_bo_destroy(bo);
		ttm_device_fini(bdev);
		machine_done();
	}
}

/* ---- the host kernel: its nearest operations, each named for what it does ---- */

static long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* `size` of anonymous memory, 2 MiB aligned, THP or not; not yet touched. */
static char *host_region(bool thp, char **base)
{
	char *p = mmap(NULL, size + PMD_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *a = (char *)(((unsigned long)p + PMD_SIZE - 1) & PMD_MASK);

	if (p == MAP_FAILED)
		die("host mmap failed");
	madvise(a, size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	*base = p;
	return a;
}

static void host_row(const char *what, bool thp, double ns_per_4k, const char *note)
{
	char name[72];

	snprintf(name, sizeof(name), "host %s %s", what, thp ? "THP" : "4KiB");
	record(name, "ns/4KiB", ns_per_4k, note);
}

/* The CPU's first write to each 4 KiB: the page-fault path. */
static void host_first_touch(char *a, bool thp)
{
	long f0 = minor_faults();
	double t0 = now_ns();
	char name[72];

	for (unsigned long off = 0; off < size; off += PAGE_SIZE)
		a[off] = 1;
	host_row("first-write fault", thp, (now_ns() - t0) / pages(), NULL);
	snprintf(name, sizeof(name), "host faults %s", thp ? "THP" : "4KiB");
	record(name, "faults", (double)(minor_faults() - f0), NULL);
}

/* madvise(MADV_POPULATE_*): GUP's slow path under the mmap lock, keeping no reference. */
static void host_populate(char *a, bool thp, int advice, const char *what)
{
	double t0 = now_ns();

	if (madvise(a, size, advice)) {
		char name[72], note[96];

		snprintf(name, sizeof(name), "host %s %s", what, thp ? "THP" : "4KiB");
		snprintf(note, sizeof(note), "madvise failed: %s", strerror(errno));
		record_note(name, note);
		return;
	}
	host_row(what, thp, (now_ns() - t0) / pages(), NULL);
}

/*
 * vmsplice(2) of the region into a pipe: get_user_pages_fast() (FOLL_GET,
 * up to 16 pages a call, via iov_iter_get_pages2()) and one pipe buffer per
 * page; the pipe is emptied into /dev/null untimed.  The nearest host
 * operation to a gup-fast pin that needs no privilege, but a get, not a pin.
 */
static void host_vmsplice(char *a, bool thp)
{
	int pipefd[2], null = open("/dev/null", O_WRONLY);
	long chunk;
	double spent = 0;

	if (null < 0 || pipe(pipefd)) {
		record_note(thp ? "host vmsplice THP" : "host vmsplice 4KiB", strerror(errno));
		if (null >= 0)
			close(null);
		return;
	}
	chunk = fcntl(pipefd[1], F_SETPIPE_SZ, 1 << 20);
	if (chunk <= 0)
		chunk = fcntl(pipefd[1], F_GETPIPE_SZ);
	for (unsigned long off = 0; off < size;) {
		struct iovec iov = { a + off, (size_t)chunk };
		double t0 = now_ns();
		ssize_t n = vmsplice(pipefd[1], &iov, 1, 0);

		spent += now_ns() - t0;
		if (n <= 0) {
			record_note(thp ? "host vmsplice THP" : "host vmsplice 4KiB", strerror(errno));
			goto out;
		}
		off += (unsigned long)n;
		while (n > 0) {
			ssize_t m = splice(pipefd[0], NULL, null, NULL, (size_t)n, 0);

			if (m <= 0)
				die("cannot empty the pipe into /dev/null");
			n -= m;
		}
	}
	host_row("vmsplice into a pipe (gup-fast get + pipe buffer)", thp, spent / pages(),
		 "get_user_pages_fast, 16 pages a call, no pin");
out:
	close(pipefd[0]);
	close(pipefd[1]);
	close(null);
}

/* process_vm_readv(2) of our own memory: pin_user_pages_remote() (slow GUP) and a copy. */
static void host_process_vm_readv(char *a, bool thp)
{
	size_t piece = 1 << 20;
	char *buf = malloc(piece);
	double t0;

	if (!buf)
		die("out of memory");
	memset(buf, 0, piece);
	t0 = now_ns();
	for (unsigned long off = 0; off < size; off += piece) {
		struct iovec local = { buf, piece }, remote = { a + off, piece };

		if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)piece) {
			record_note(thp ? "host process_vm_readv THP" : "host process_vm_readv 4KiB",
				    strerror(errno));
			free(buf);
			return;
		}
	}
	host_row("process_vm_readv (slow-GUP pin + 4KiB copy)", thp, (now_ns() - t0) / pages(),
		 "pin_user_pages_remote under the mmap lock, then copies");
	free(buf);
}

/* io_uring buffer registration of the touched region; built only with liburing. */
static void host_io_uring(char *a, bool thp)
{
#ifdef HP_HAVE_LIBURING
	struct iovec iov = { a, size };
	struct io_uring ring;
	double t0;

	if (io_uring_queue_init(4, &ring, 0)) {
		record_note(thp ? "host io_uring THP" : "host io_uring 4KiB",
			    "io_uring_queue_init failed");
		return;
	}
	t0 = now_ns();
	if (io_uring_register_buffers(&ring, &iov, 1) == 0) {
		host_row("io_uring buffer registration", thp, (now_ns() - t0) / pages(),
			 "pins (gup), accounts locked memory, builds bio_vecs, coalesces folios");
		io_uring_unregister_buffers(&ring);
	} else {
		record_note(thp ? "host io_uring THP" : "host io_uring 4KiB",
			    "io_uring_register_buffers failed (RLIMIT_MEMLOCK?)");
	}
	io_uring_queue_exit(&ring);
#else
	(void)a;
	(void)thp;
#endif
}

static void bench_host(void)
{
	for (int rep = 0; rep < reps; rep++) {
		for (int thp = 0; thp < 2; thp++) {
			char *base, *a = host_region(thp, &base);

			host_first_touch(a, thp);
			host_populate(a, thp, MADV_POPULATE_WRITE,
				      "MADV_POPULATE_WRITE, mapped (slow-GUP walk)");
			host_populate(a, thp, MADV_POPULATE_READ,
				      "MADV_POPULATE_READ, mapped (slow-GUP walk)");
			host_vmsplice(a, thp);
			host_process_vm_readv(a, thp);
			host_io_uring(a, thp);
			munmap(base, size + PMD_SIZE);

			a = host_region(thp, &base);
			host_populate(a, thp, MADV_POPULATE_WRITE,
				      "MADV_POPULATE_WRITE, empty (slow GUP + fault)");
			munmap(base, size + PMD_SIZE);
		}
	}
}

/* ---- the interleaving checker's reach -------------------------------------- */

/*
 * Runs hp-model (tests/model) and records what it explored: every scenario
 * make test runs, as one rate, and the large one that only make bench runs.
 */
static bool run_checker(const char *args, double *interleavings, double *seconds, int *scenarios,
			bool *clean)
{
	char cmd[4096], line[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' --tsv %s", checker_path, args);
	p = popen(cmd, "r");
	if (!p)
		return false;
	*interleavings = *seconds = 0;
	*scenarios = 0;
	*clean = true;
	while (fgets(line, sizeof(line), p)) {
		char name[64], policy[16];
		unsigned long runs, redundant, violating;
		double s;
		int complete;

		if (sscanf(line, "%63s %15s %lu %lu %lu %lf %d", name, policy, &runs, &redundant,
			   &violating, &s, &complete) != 7)
			continue;
		*interleavings += (double)runs;
		*seconds += s;
		*clean &= violating == 0 && complete;
		(*scenarios)++;
	}
	/* hp-model exits 1 when an interleaving breaks an invariant: clean says so. */
	*clean &= pclose(p) == 0;
	return *scenarios > 0;
}

static void bench_checker(void)
{
	double runs, seconds;
	int scenarios;
	bool clean;
	char note[160];

	if (!checker_path || access(checker_path, X_OK)) {
		snprintf(note, sizeof(note), "no checker at %s (built with -Dtests=true)",
			 checker_path ? checker_path : "(none given: --checker PATH)");
		record_note("checker", note);
		return;
	}
	if (!run_checker("", &runs, &seconds, &scenarios, &clean))
		die("the interleaving checker ran no scenario of make test's");
	snprintf(note, sizeof(note), "%d scenarios of make test, %.0f interleavings in %.1f s%s",
		 scenarios, runs, seconds, clean ? "" : ", SOME VIOLATING OR INCOMPLETE");
	record("checker, make test's scenarios", "interl/s", runs / seconds, note);
	if (!run_checker("gup-fault-zap-thp", &runs, &seconds, &scenarios, &clean))
		die("the interleaving checker did not run gup-fault-zap-thp");
	snprintf(note, sizeof(note), "gup-fast vs MADV_DONTNEED vs a faulting write, %.1f s, %.0f/s%s",
		 seconds, runs / seconds, clean ? ", none violating" : ", SOME VIOLATING OR INCOMPLETE");
	record("checker gup-fault-zap-thp", "interl.", runs, note);
}

/* ---- output ------------------------------------------------------------------ */

static void stats(const struct result *r, double *med, double *min, double *max)
{
	double v[MAX_REPS];

	memcpy(v, r->v, r->n * sizeof(double));
	qsort(v, r->n, sizeof(double), cmp_double);
	*min = v[0];
	*max = v[r->n - 1];
	*med = r->n % 2 ? v[r->n / 2] : (v[r->n / 2 - 1] + v[r->n / 2]) / 2;
}

static void write_outputs(const char *json_path)
{
	FILE *json = fopen(json_path, "w");
	double load[3] = { -1, -1, -1 };

	if (!json)
		die("cannot write the JSON file");
	if (getloadavg(load, 3) != 3)
		load[0] = load[1] = load[2] = -1;
	printf("load average at the end: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
	fprintf(json, "{\"size\":%llu,\"reps\":%d,\"loadavg\":[%.2f,%.2f,%.2f],\"results\":[",
		(unsigned long long)size, reps, load[0], load[1], load[2]);
	printf("%-60s %-9s %12s %12s %12s  %s\n", "case", "unit", "median", "min", "max", "note");
	for (struct result *r = results; r; r = r->next) {
		double med, min, max;

		fprintf(json, "%s{\"name\":", r == results ? "" : ",");
		sc_json_string(json, r->name);
		fprintf(json, ",\"unit\":");
		sc_json_string(json, r->unit);
		if (r->n) {
			stats(r, &med, &min, &max);
			printf("%-60s %-9s %12.2f %12.2f %12.2f  %s\n", r->name, r->unit, med, min,
			       max, r->note);
			fprintf(json, ",\"median\":%.3f,\"min\":%.3f,\"max\":%.3f", med, min, max);
		} else {
			printf("%-60s %-9s %12s %12s %12s  %s\n", r->name, r->unit, "-", "-", "-",
			       r->note);
			fprintf(json, ",\"median\":null,\"min\":null,\"max\":null");
		}
		fprintf(json, ",\"note\":");
		sc_json_string(json, r->note);
		fputc('}', json);
	}
	fprintf(json, "]}\n");
	fclose(json);
}

/* ---- the groups -------------------------------------------------------------- */

static void bench_scale_rows(void)
{
	bench_scale(reps, record);
}

static const struct bench_group {
	const char *name;
	const char *what;
	void (*run)(void);
} groups[] = {
	{ "bo", "BO fault-in, move and refault, munmap", bench_bo_all },
	{ "bo-counts", "faults and page tables of 16/256/1024 MiB VRAM BOs, model and kernel",
	  bench_bo_counts },
	{ "gup", "gup-fast pins of anonymous 4 KiB pages and THPs next to the lower bound",
	  bench_gup },
	{ "refusal", "gup-fast refusing special PMDs and PUDs", bench_refusal },
	{ "scaling", "two pinning threads, against the bound's own scaling", bench_scaling },
	{ "evictor", "a pinning thread while another evicts a BO", bench_evictor },
	{ "host", "the host kernel's nearest operations", bench_host },
	{ "checker", "the interleaving checker's reach", bench_checker },
	{ "scale", "100,000 VMAs, and a 64 TiB BAR with one PUD touched", bench_scale_rows },
};
#define NR_GROUPS (sizeof(groups) / sizeof(groups[0]))

/* --only a,b: marks the groups named; false on an unknown one. */
static bool select_groups(const char *list, bool *on)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (size_t i = 0; i < NR_GROUPS; i++)
		on[i] = false;
	for (char *g = strtok_r(buf, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < NR_GROUPS && strcmp(groups[i].name, g); i++)
			;
		if (i == NR_GROUPS) {
			fprintf(stderr, "hugepfn-bench: --only: no group '%s' (--list shows them)\n", g);
			return false;
		}
		on[i] = true;
	}
	return true;
}

static void usage(FILE *f)
{
	fputs("usage: hugepfn-bench [options]\n\n"
	      "Runs the benchmarks and writes their results as JSON (default\n"
	      "bench/results/latest.json) and as a table on standard output.\n\n"
	      "  -s, --size SIZE      each region: a multiple of 1G (default 1G)\n"
	      "  -r, --reps N         repetitions, 1 to 16 (default 3)\n"
	      "  -o, --output FILE    where the JSON goes\n"
	      "      --only G1,G2     only these groups (--list shows them)\n"
	      "      --list           the groups\n"
	      "      --checker PATH   the interleaving checker (build/tests/model/hp-model)\n"
	      "      --kernel-results FILE  make kernel-test's bo-counts.tsv (default\n"
	      "                       $HUGEPFN_KERNEL_CACHE/results/bo-counts.tsv, cache\n"
	      "                       ~/.cache/hugepfn-kernel)\n\n"
	      "Exit 0: every benchmark ran; 1: one failed; 2: a usage error.\n", f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "reps", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "only", required_argument, NULL, 'O' },
		{ "list", no_argument, NULL, 'l' },
		{ "checker", required_argument, NULL, 'c' },
		{ "kernel-results", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *out = "bench/results/latest.json";
	bool on[NR_GROUPS];
	long n;
	int c;

	for (size_t i = 0; i < NR_GROUPS; i++)
		on[i] = true;
	while ((c = getopt_long(argc, argv, "s:r:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!sc_parse_size(optarg, &size) || !size || size % PUD_SIZE)
				usage_error("--size must be a multiple of 1G");
			break;
		case 'r':
			if (!sc_parse_num(optarg, &n) || n < 1 || n > MAX_REPS)
				usage_error("--reps must be between 1 and 16");
			reps = (int)n;
			break;
		case 'o': out = optarg; break;
		case 'O':
			if (!select_groups(optarg, on))
				return 2;
			break;
		case 'l':
			for (size_t i = 0; i < NR_GROUPS; i++)
				printf("%-10s %s\n", groups[i].name, groups[i].what);
			return 0;
		case 'c': checker_path = optarg; break;
		case 'k': kernel_results_path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hugepfn-bench: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	for (size_t i = 0; i < NR_GROUPS; i++)
		if (on[i])
			groups[i].run();
	write_outputs(out);
	return 0;
}
