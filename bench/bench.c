// SPDX-License-Identifier: MIT
/*
 * hugepfn-bench: what huge pfn mappings buy, measured, next to the host
 * kernel and a lower bound, in one run.  Writes a JSON file and prints a table
 * (median, min, max over the repetitions).
 *
 *   hugepfn-bench [--size 1G] [--reps 3] [--output bench/results/latest.json]
 */
#include <errno.h>
#include <getopt.h>
#ifdef HP_HAVE_LIBURING
#include <liburing.h>
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <hugepfn/hugepfn.h>

#include "bench_scale.h"
#include "size.h"

#define MAX_REPS 16

struct result {
	char name[64];
	char unit[16];
	double v[MAX_REPS];
	int n;
	char note[96];
	struct result *next;
};

static struct result *results, **tail = &results;
static uint64_t size = 1ULL << 30;
static int reps = 3;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static struct result *result(const char *name, const char *unit)
{
	for (struct result *r = results; r; r = r->next)
		if (!strcmp(r->name, name))
			return r;
	struct result *r = calloc(1, sizeof(*r));

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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static __attribute__((noreturn)) void die(const char *what)
{
	fprintf(stderr, "hugepfn-bench: %s\n", what);
	exit(1);
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

static void touch_all(struct mm_struct *mm, unsigned long addr)
{
	for (unsigned long i = 0; i < pages(); i++) {
		char v = (char)i;

		if (hp_access(mm, addr + (i << PAGE_SHIFT), 1, HP_ACCESS_WRITE, &v) != HP_ACCESS_OK)
			die("an access failed");
	}
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
	char name[64], note[96];

	for (int rep = 0; rep < reps; rep++) {
		struct ttm_buffer_object *bo;
		struct ttm_device *bdev;
		struct mm_struct *mm;
		unsigned long addr, faults, tables;
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
		tables = atomic_load(&mm->nr_tables[HP_TABLE_PMD]) + atomic_load(&mm->nr_tables[HP_TABLE_PTE]);
		snprintf(name, sizeof(name), "touch %s", label);
		snprintf(note, sizeof(note), "%lu faults, %lu PMD+PTE table pages", faults, tables);
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
		snprintf(note, sizeof(note), "%ld PMD+PTE table pages left",
			 atomic_load(&mm->nr_tables[HP_TABLE_PMD]) + atomic_load(&mm->nr_tables[HP_TABLE_PTE]));
		record(name, "ns/4KiB", (t1 - t0) / pages(), note);
		ttm_bo_destroy(bo);
		mmput(mm);
		ttm_device_fini(bdev);
		machine_done();
	}
}

/* ---- hugepfn: fast GUP ------------------------------------------------------ */

#define CHUNK 512

/*
 * Pins and unpins the whole range, CHUNK pages at a time; ns per 4 KiB for
 * both, and in *pin_ns for the pins alone.
 */
static double pin_range_split(struct mm_struct *mm, unsigned long addr, unsigned long npages,
			      double *pin_ns)
{
	static _Thread_local struct page *pg[CHUNK];
	double pinning = 0, t0 = now_ns();

	for (unsigned long i = 0; i < npages; i += CHUNK) {
		double p0 = now_ns();
		int got = pin_user_pages_fast(mm, addr + (i << PAGE_SHIFT), CHUNK, FOLL_WRITE, pg);

		pinning += now_ns() - p0;
		if (got != CHUNK)
			die("a pin failed");
		unpin_user_pages(pg, CHUNK);
	}
	if (pin_ns)
		*pin_ns = pinning / npages;
	return (now_ns() - t0) / npages;
}

static double pin_range(struct mm_struct *mm, unsigned long addr, unsigned long npages)
{
	return pin_range_split(mm, addr, npages, NULL);
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

/* What refusing one special leaf costs: gup-fast on one page of each leaf. */
static double refuse_per_entry(struct mm_struct *mm, unsigned long addr, unsigned long leaf)
{
	struct page *pg;
	unsigned long n = size / leaf, rounds = 1 + (1 << 16) / n;
	double t0 = now_ns();

	for (unsigned long r = 0; r < rounds; r++)
		for (unsigned long i = 0; i < n; i++)
			if (get_user_pages_fast_only(mm, addr + i * leaf, 1, 0, &pg) != 0)
				die("a special entry was not refused");
	return (now_ns() - t0) / (rounds * n);
}

static void bench_gup(void)
{
	for (int rep = 0; rep < reps; rep++) {
		struct hp_bar *pmd_bar, *pud_bar;
		struct mm_struct *mm;
		unsigned long a4k, athp, bpmd, bpud;

		machine(HP_POLICY_SPECIAL);
		mm = mm_alloc();
		a4k = anon_region(mm, false);
		athp = anon_region(mm, true);
		{
			double pin, both = pin_range_split(mm, a4k, pages(), &pin);

			record("gup-fast pin+unpin anon 4KiB", "ns/4KiB", both, NULL);
			record("gup-fast pin anon 4KiB", "ns/4KiB", pin, NULL);
			both = pin_range_split(mm, athp, pages(), &pin);
			record("gup-fast pin+unpin THP", "ns/4KiB", both, NULL);
			record("gup-fast pin THP", "ns/4KiB", pin, NULL);
		}
		pmd_bar = hp_bar_create("pmd", size, false);
		pud_bar = hp_bar_create("pud", size, false);
		bpmd = hp_mmap(mm, hp_bar_file(pmd_bar), (1UL << 44) + PMD_SIZE, size,
			       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, 0);
		bpud = hp_mmap_aligned(mm, hp_bar_file(pud_bar), size, PROT_READ | PROT_WRITE,
				       MAP_SHARED, 0, huge_align(size), 0);
		hp_bar_destroy(pmd_bar);
		hp_bar_destroy(pud_bar);
		touch_all(mm, bpmd);
		touch_all(mm, bpud);
		record("gup-fast refusal special PMD", "ns/entry", refuse_per_entry(mm, bpmd, PMD_SIZE), NULL);
		record("gup-fast refusal special PUD", "ns/entry", refuse_per_entry(mm, bpud, PUD_SIZE), NULL);
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
}

/* ---- hugepfn: concurrency ---------------------------------------------------- */

struct pinner {
	struct mm_struct *mm;
	unsigned long addr, npages;
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
		pin_range(p->mm, p->addr, p->npages);
		p->done += p->npages;
	}
	hp_thread_unregister();
	return NULL;
}

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

/* Pages pinned per microsecond by n threads on disjoint halves. */
static double pin_throughput(struct mm_struct *mm, unsigned long addr, int n, double seconds)
{
	struct pinner p[2];
	pthread_t t[2];
	unsigned long total = 0;

	for (int i = 0; i < n; i++) {
		p[i] = (struct pinner){ mm, addr + i * (size / 2), pages() / 2, seconds, 0 };
		pthread_create(&t[i], NULL, pinner, &p[i]);
	}
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		total += p[i].done;
	}
	return total / (seconds * 1e6);
}

static void bench_concurrency(void)
{
	for (int rep = 0; rep < reps; rep++) {
		struct ttm_place vram = { TTM_PL_VRAM, 0 };
		struct ttm_buffer_object *bo;
		struct ttm_device *bdev;
		struct mm_struct *mm;
		unsigned long addr;
		pthread_t ev;

		machine(HP_POLICY_SPECIAL);
		mm = mm_alloc();
		addr = anon_region(mm, false);
		record("gup-fast 1 thread", "pages/us", pin_throughput(mm, addr, 1, 0.5), NULL);
		record("gup-fast 2 threads", "pages/us", pin_throughput(mm, addr, 2, 0.5), NULL);
		bdev = ttm_device_init(&(struct ttm_device_config){ .vram_size = 64 << 20 });
		if (!bdev || ttm_bo_create(bdev, 32 << 20, &(struct ttm_placement){ 1, &vram }, &bo))
			die("cannot create the BO");
		ttm_bo_mmap(mm, bo, PROT_READ | PROT_WRITE);
		atomic_store(&evicting, true);
		pthread_create(&ev, NULL, evictor, bo);
		record("gup-fast 1 thread + evictor", "pages/us", pin_throughput(mm, addr, 1, 0.5), NULL);
		atomic_store(&evicting, false);
		pthread_join(ev, NULL);
		mmput(mm);
		ttm_bo_destroy(bo);
		ttm_device_fini(bdev);
		machine_done();
	}
}

/* ---- the host kernel --------------------------------------------------------- */

static long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* io_uring buffer registration of the touched region; built only with liburing. */
static void bench_host_io_uring(char *a, int thp)
{
#ifdef HP_HAVE_LIBURING
	struct iovec iov = { a, size };
	struct io_uring ring;
	double t0;

	if (io_uring_queue_init(4, &ring, 0))
		return;
	t0 = now_ns();
	if (io_uring_register_buffers(&ring, &iov, 1) == 0) {
		record(thp ? "host io_uring register THP" : "host io_uring register 4KiB",
		       "ns/4KiB", (now_ns() - t0) / pages(), NULL);
		io_uring_unregister_buffers(&ring);
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
			char *p = mmap(NULL, size + PMD_SIZE, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			char *a = (char *)(((unsigned long)p + PMD_SIZE - 1) & PMD_MASK);
			long f0;
			double t0;

			if (p == MAP_FAILED)
				die("host mmap failed");
			madvise(a, size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
			f0 = minor_faults();
			t0 = now_ns();
			for (unsigned long off = 0; off < size; off += PAGE_SIZE)
				a[off] = 1;
			record(thp ? "host touch THP" : "host touch 4KiB", "ns/4KiB",
			       (now_ns() - t0) / pages(), NULL);
			record(thp ? "host faults THP" : "host faults 4KiB", "faults",
			       (double)(minor_faults() - f0), NULL);
			bench_host_io_uring(a, thp);
			munmap(p, size + PMD_SIZE);
		}
	}
}

/* ---- the lower bound ---------------------------------------------------------- */

struct fake_page {
	_Atomic long refcount;
	char pad[56];
};

/* Per 4 KiB what gup-fast must do at least: load, atomic increment, reload, record. */
static void bench_lower_bound(void)
{
	unsigned long n = pages();
	uint64_t *entries = calloc(n, sizeof(*entries));
	struct fake_page *pg = calloc(n, sizeof(*pg));
	struct fake_page **out = calloc(n, sizeof(*out));
	volatile uint64_t sink = 0;

	if (!entries || !pg || !out)
		die("out of memory");
	for (unsigned long i = 0; i < n; i++) {	/* warm: no host page fault inside the loops */
		entries[i] = i << PAGE_SHIFT | 1;
		pg[i].refcount = 1;
		out[i] = NULL;
	}
	for (int rep = 0; rep < reps; rep++) {
		double t0 = now_ns();

		for (unsigned long i = 0; i < n; i++) {
			uint64_t e = __atomic_load_n(&entries[i], __ATOMIC_ACQUIRE);
			struct fake_page *p = &pg[e >> PAGE_SHIFT];

			atomic_fetch_add(&p->refcount, 1);
			if (__atomic_load_n(&entries[i], __ATOMIC_ACQUIRE) != e)
				sink++;
			out[i] = p;
		}
		record("lower bound 4KiB", "ns/4KiB", (now_ns() - t0) / n, NULL);
		t0 = now_ns();
		for (unsigned long i = 0; i < n; i += HPAGE_PMD_NR) {
			uint64_t e = __atomic_load_n(&entries[i], __ATOMIC_ACQUIRE);

			atomic_fetch_add(&pg[i].refcount, HPAGE_PMD_NR);
			if (__atomic_load_n(&entries[i], __ATOMIC_ACQUIRE) != e)
				sink++;
			for (unsigned long j = 0; j < HPAGE_PMD_NR; j++)
				out[i + j] = &pg[i + j];
		}
		record("lower bound 2MiB", "ns/4KiB", (now_ns() - t0) / n, NULL);
	}
	free(entries);
	free(pg);
	free(out);
}

struct lb_arg {
	uint64_t *entries;
	struct fake_page *pg;
	struct fake_page **out;
	unsigned long from, to, rounds;
};

static void *lower_bound_thread(void *arg)
{
	struct lb_arg *a = arg;

	for (unsigned long r = 0; r < a->rounds; r++)
		for (unsigned long i = a->from; i < a->to; i++) {
			uint64_t e = __atomic_load_n(&a->entries[i], __ATOMIC_ACQUIRE);
			struct fake_page *p = &a->pg[e >> PAGE_SHIFT];

			atomic_fetch_add(&p->refcount, 1);
			if (__atomic_load_n(&a->entries[i], __ATOMIC_ACQUIRE) == e)
				a->out[i] = p;
		}
	return NULL;
}

/* How the lower-bound loop itself scales to two threads on this machine. */
static void bench_lower_bound_scaling(void)
{
	unsigned long n = pages(), rounds = 8;
	uint64_t *entries = calloc(n, sizeof(*entries));
	struct fake_page *pg = calloc(n, sizeof(*pg));
	struct fake_page **out = calloc(n, sizeof(*out));

	if (!entries || !pg || !out)
		die("out of memory");
	for (unsigned long i = 0; i < n; i++)
		entries[i] = i << PAGE_SHIFT | 1;
	for (int rep = 0; rep < reps; rep++) {
		for (int threads = 1; threads <= 2; threads++) {
			struct lb_arg a[2];
			pthread_t t[2];
			double t0 = now_ns();

			for (int i = 0; i < threads; i++) {
				a[i] = (struct lb_arg){ entries, pg, out, i * n / 2, (i + 1) * n / 2, rounds };
				pthread_create(&t[i], NULL, lower_bound_thread, &a[i]);
			}
			for (int i = 0; i < threads; i++)
				pthread_join(t[i], NULL);
			record(threads == 1 ? "lower bound 1 thread" : "lower bound 2 threads",
			       "pages/us", threads * (n / 2) * rounds / ((now_ns() - t0) / 1e3), NULL);
		}
	}
	free(entries);
	free(pg);
	free(out);
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

	if (!json)
		die("cannot write the JSON file");
	fprintf(json, "{\"size\":%llu,\"reps\":%d,\"results\":[", (unsigned long long)size, reps);
	printf("%-36s %-9s %12s %12s %12s  %s\n", "case", "unit", "median", "min", "max", "note");
	for (struct result *r = results; r; r = r->next) {
		double med, min, max;

		stats(r, &med, &min, &max);
		printf("%-36s %-9s %12.2f %12.2f %12.2f  %s\n", r->name, r->unit, med, min, max, r->note);
		fprintf(json, "%s{\"name\":\"%s\",\"unit\":\"%s\",\"median\":%.3f,\"min\":%.3f,"
			"\"max\":%.3f,\"note\":\"%s\"}", r == results ? "" : ",", r->name, r->unit,
			med, min, max, r->note);
	}
	fprintf(json, "]}\n");
	fclose(json);
}

static void usage(FILE *f)
{
	fputs("usage: hugepfn-bench [--size SIZE] [--reps N] [--output FILE.json]\n\n"
	      "Runs the benchmarks and writes their results as JSON (default\n"
	      "bench/results/latest.json) and as a table on standard output.\n\n"
	      "  -s, --size SIZE      each region: a multiple of 1G (default 1G)\n"
	      "  -r, --reps N         repetitions, 1 to 16 (default 3)\n"
	      "  -o, --output FILE    where the JSON goes\n", f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "reps", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *out = "bench/results/latest.json";
	long n;
	int c;

	while ((c = getopt_long(argc, argv, "s:r:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!sc_parse_size(optarg, &size) || !size || size % PUD_SIZE)
				die("--size must be a multiple of 1G");
			break;
		case 'r':
			if (!sc_parse_num(optarg, &n) || n < 1 || n > MAX_REPS)
				die("--reps must be between 1 and 16");
			reps = (int)n;
			break;
		case 'o': out = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hugepfn-bench: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	bench_bo("VRAM BO, none (4KiB+prefault)", HP_POLICY_NONE, TTM_PL_VRAM, false);
	bench_bo("VRAM BO, special, PMD only", HP_POLICY_SPECIAL, TTM_PL_VRAM, true);
	bench_bo("VRAM BO, special, PUD", HP_POLICY_SPECIAL, TTM_PL_VRAM, false);
	bench_bo("system BO, none", HP_POLICY_NONE, TTM_PL_SYSTEM, false);
	bench_bo("system BO, special (PMD)", HP_POLICY_SPECIAL, TTM_PL_SYSTEM, false);
	bench_gup();
	bench_concurrency();
	bench_host();
	bench_lower_bound();
	bench_lower_bound_scaling();
	bench_scale(reps, record);
	write_outputs(out);
	return 0;
}
