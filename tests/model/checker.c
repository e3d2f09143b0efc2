// SPDX-License-Identifier: MIT
/*
 * hp-model: runs each scenario's logical threads under every interleaving of
 * their scheduling points and checks the invariants after each one.
 *
 * Stateless search (as CHESS and Verisoft do it): every interleaving is a
 * fresh machine run from the start, replaying the choices of a prefix and
 * then going on with its own, depth first.  After a run the deepest choice
 * with an alternative left is changed and the next run replays up to it.
 *
 * The reduction is sleep sets (Godefroid): at each step the checker knows
 * every thread's next access, so once the subtree of thread t has been
 * explored, t sleeps in its siblings' subtrees until some thread does an
 * access that conflicts with t's (same object, at least one writes): running
 * t earlier there would only reorder independent accesses, an interleaving
 * already seen.  A run in which every thread that could move is asleep is
 * finished without further branching or checking, and counted as redundant.
 * On top of that, dynamic partial-order reduction (below) explores at each
 * step only the threads a race asks for.  An optional preemption bound
 * limits how often a thread that could go on is switched away from; with no
 * bound the search is exhaustive.
 *
 * After every run, in order: no violation was reported (a reference on a pfn
 * with no struct page or on a page its driver maps special, an access to a
 * freed page-table page), a page GUP returned was still mapped at the address
 * at some moment after GUP took its reference, the scenario's own
 * invariants, and after teardown no page, pagemap reference or table leaked.
 * Each must hold or fail alike in every interleaving of a class, since only
 * one is checked: so a grab names, as an object it reads, the entry it relies
 * on, which orders it against every change of that entry.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checker.h"
#include "host/model.h"
#include "mm/pgtable.h"

/* The library this binary was linked with: as it is, or with a bug put in. */
static const char *const mutation_names[] = {
	[HP_MUTATION_NONE] = NULL,
	[HP_MUTATION_NO_REREAD] = "no-reread",
	[HP_MUTATION_NO_GRACE] = "no-grace",
	[HP_MUTATION_NO_WP_SEQ] = "no-wp-seq",
	[HP_MUTATION_NO_PMD_RECHECK] = "no-pmd-recheck",
};
#define MUTATION	mutation_names[HP_MUTATION]

#define MAX_STEPS	4096
#define MAX_GRABS	64
#define MAX_OUTCOMES	64

struct node {
	uint8_t enabled;	/* threads that could take this step */
	uint8_t done;		/* choices whose subtrees are explored */
	uint8_t sleep;		/* threads asleep here */
	uint8_t backtrack;	/* choices a race asks to explore here */
	uint8_t finished;	/* threads that have ended */
	uint8_t preemptions;	/* before this step */
	int8_t choice;
	int8_t prev;		/* the thread that took the previous step */
	struct hp_model_access next[HP_MODEL_MAX_THREADS];
	uint16_t clock[HP_MODEL_MAX_THREADS];	/* after this step */
	uint64_t entry;		/* the entry the step accessed, as it was before */
};

struct grab {
	int step;
	const void *folio;
};

enum search {
	SEARCH_DPOR,		/* dynamic partial-order reduction and sleep sets */
	SEARCH_SLEEP,		/* sleep sets alone, for a preemption bound */
	SEARCH_FULL,		/* every interleaving */
};

struct options {
	enum hugepfn_policy policy;
	int bound;		/* preemptions; -1: none */
	enum search search;
	unsigned long max_runs;
	bool quiet;
	bool tsv;
};

struct outcomes {
	int nr;
	char text[MAX_OUTCOMES][512];
};

struct explorer {
	const struct hp_check_scenario *sc;
	const struct options *opt;
	struct hp_check_ctx ctx;
	struct node nodes[MAX_STEPS + 1];
	long mapped[MAX_STEPS + 1];	/* the watched pfn before each step, and at the end */
	struct grab grabs[MAX_GRABS];
	int nr_grabs;
	int last[HP_MODEL_MAX_THREADS];	/* each thread's latest step, or -1 */
	int prefix;		/* steps to replay */
	int depth;		/* steps taken in this run */
	int blocked_at;		/* where every movable thread slept, or -1 */
	int violation_at;	/* the step after which the first violation was seen, or -1 */
	int stale_grab_at;	/* the grab of a page GUP returned unmapped, or -1 */
	int freed_table_at;	/* the first access to a freed table, or -1 */
	unsigned long runs, redundant, violating;
	struct outcomes outcomes;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("hp-model: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

void hp_check_fail(struct hp_check_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failure[0])
		return;
	va_start(ap, fmt);
	vsnprintf(c->failure, sizeof(c->failure), fmt, ap);
	va_end(ap);
}

long hp_check_mapped_pfn(struct mm_struct *mm, unsigned long addr)
{
	uint64_t val;

	switch (__hp_lookup_entry(mm, addr, &val)) {
	case HP_LEVEL_PUD:
		return (long)(pud_pfn(__pud(val)) + ((addr & ~PUD_MASK) >> PAGE_SHIFT));
	case HP_LEVEL_PMD:
		return (long)(pmd_pfn(__pmd(val)) + ((addr & ~PMD_MASK) >> PAGE_SHIFT));
	case HP_LEVEL_PTE:
		return (long)pte_pfn(__pte(val));
	default:
		return -1;
	}
}

/* ---- independence -------------------------------------------------------- */

static bool access_writes(const struct hp_model_access *a)
{
	return a->kind != HP_MODEL_READ && a->kind != HP_MODEL_RCU_LOCK &&
	       a->kind != HP_MODEL_RCU_UNLOCK;
}

/*
 * Two steps conflict when their accesses touch the same bytes and one of them
 * writes.  The end of a grace period runs callbacks and frees what they
 * free: it conflicts with everything.
 */
static bool overlap(const void *a, size_t as, const void *b, size_t bs)
{
	const char *pa = a, *pb = b;

	return pa && pb && pa < pb + bs && pb < pa + as;
}

static bool dependent(const struct hp_model_access *a, const struct hp_model_access *b)
{
	bool aw = access_writes(a), bw = access_writes(b);

	if (a->kind == HP_MODEL_RCU_WAIT || b->kind == HP_MODEL_RCU_WAIT)
		return true;
	if ((aw || bw) && overlap(a->addr, a->size, b->addr, b->size))
		return true;
	/* What an access also reads conflicts with the other's write. */
	for (int i = 0; i < 2; i++)
		if ((bw && overlap(a->also[i], a->also_size[i], b->addr, b->size)) ||
		    (aw && overlap(b->also[i], b->also_size[i], a->addr, a->size)))
			return true;
	return false;
}

/* ---- picking ------------------------------------------------------------- */

/* Is a an access to a page-table entry (the only objects of points in RAM)? */
static bool entry_access(const struct hp_model_access *a)
{
	return (a->kind == HP_MODEL_READ || a->kind == HP_MODEL_WRITE) &&
	       __pa(a->addr) < (phys_addr_t)hp_ram_pages << PAGE_SHIFT;
}

/*
 * An entry access must find its table alive: a freed one may be anyone's page
 * by now.  Recorded here, not in the violation log, whose lock a stopped
 * thread may hold.
 */
static void check_table_alive(struct explorer *e, const struct hp_model_access *a)
{
	phys_addr_t pa = __pa(a->addr);

	if (!entry_access(a) || e->freed_table_at >= 0)
		return;
	if (!PageFlag(pfn_to_page(pa >> PAGE_SHIFT), PG_table)) {
		e->freed_table_at = e->depth;
		hp_check_fail(&e->ctx, "%s: access to a freed page-table page (pa %#llx)",
			      a->what, (unsigned long long)pa);
	}
}

static int lowest(unsigned int mask)
{
	return __builtin_ctz(mask);
}

/* Preemption: switching away from a thread that could have gone on. */
static bool preempts(const struct node *n, int t)
{
	return n->prev >= 0 && t != n->prev && (n->enabled & (1u << n->prev));
}

/* The choices the bound still allows at n. */
static unsigned int bounded(const struct explorer *e, const struct node *n, unsigned int cands)
{
	if (e->opt->bound >= 0 && n->preemptions >= e->opt->bound && n->prev >= 0 &&
	    (n->enabled & (1u << n->prev)))
		cands &= 1u << n->prev;
	return cands;
}

/* The choices at n still to explore: all of them, or those a race asked for. */
static unsigned int candidates(const struct explorer *e, const struct node *n)
{
	unsigned int cands = n->enabled & ~n->done;

	if (e->opt->search == SEARCH_DPOR)
		cands &= n->backtrack;
	if (e->opt->search != SEARCH_FULL)
		cands &= ~n->sleep;
	return bounded(e, n, cands);
}

static const struct hp_model_access *step_access(const struct node *n)
{
	return &n->next[n->choice];
}

/*
 * Races (Flanagan and Godefroid's dynamic partial-order reduction): for each
 * thread p, the latest earlier step by another thread that conflicts with
 * p's next access and does not happen before p could have gone the other way
 * round.  p is asked to run there instead (or, if it could not run there,
 * everyone who could).
 */
static void find_races(struct explorer *e, int nr_threads)
{
	struct node *n = &e->nodes[e->depth];

	for (int p = 0; p < nr_threads; p++) {
		const uint16_t *clock = e->last[p] >= 0 ? e->nodes[e->last[p]].clock : NULL;

		if (n->finished & (1u << p))
			continue;
		for (int i = e->depth - 1; i >= 0; i--) {
			struct node *ni = &e->nodes[i];
			int q = ni->choice;

			if (q == p || !dependent(step_access(ni), &n->next[p]))
				continue;
			if (clock && clock[q] > i)
				continue;	/* step i happens before p's next */
			ni->backtrack |= ni->enabled & (1u << p) ? 1u << p : ni->enabled;
			break;
		}
	}
}

/*
 * Vector clocks: step d happens after its thread's previous step and after
 * every earlier step it conflicts with.  clock[q] = 1 + the last step of q
 * that happens before (or is) d.
 */
static void tick_clock(struct explorer *e, int t)
{
	struct node *n = &e->nodes[e->depth];

	if (e->last[t] >= 0)
		memcpy(n->clock, e->nodes[e->last[t]].clock, sizeof(n->clock));
	else
		memset(n->clock, 0, sizeof(n->clock));
	for (int i = 0; i < e->depth; i++) {
		const struct node *ni = &e->nodes[i];

		if (dependent(step_access(ni), &n->next[t]))
			for (int q = 0; q < HP_MODEL_MAX_THREADS; q++)
				if (ni->clock[q] > n->clock[q])
					n->clock[q] = ni->clock[q];
	}
	n->clock[t] = (uint16_t)(e->depth + 1);
	e->last[t] = e->depth;
}

static int pick_new(struct explorer *e, struct node *n)
{
	unsigned int cands = bounded(e, n, n->enabled & ~n->sleep);
	int t;

	n->done = 0;
	if (!cands) {
		/* Everything here is a reordering of what was explored: finish freely. */
		e->blocked_at = e->depth;
		cands = n->enabled;
	}
	t = n->prev >= 0 && (cands & (1u << n->prev)) ? n->prev : lowest(cands);
	n->backtrack = 1u << t;
	return t;
}

/* Called before every step: records the state, then chooses who takes it. */
static int pick(const struct hp_model_view *view, void *arg)
{
	struct explorer *e = arg;
	struct node *n = &e->nodes[e->depth], *child;
	struct hp_check_ctx *c = &e->ctx;
	unsigned int enabled = 0, finished = 0;
	int t;

	if (e->depth == MAX_STEPS)
		return -1;
	if (e->violation_at < 0 && e->depth && hp_violation_count())
		e->violation_at = e->depth - 1;
	for (int i = 0; i < view->nr; i++) {
		n->next[i] = view->threads[i].next;
		if (view->threads[i].enabled)
			enabled |= 1u << i;
		if (view->threads[i].done)
			finished |= 1u << i;
	}
	n->finished = finished;
	e->mapped[e->depth] = c->watch_mm ? hp_check_mapped_pfn(c->watch_mm, c->watch_addr) : -1;
	if (e->depth < e->prefix) {
		if (n->enabled != enabled || !(enabled & (1u << n->choice)))
			die("%s: run %lu does not replay step %d: the library is not deterministic",
			    e->sc->name, e->runs + 1, e->depth);
		t = n->choice;
	} else {
		n->enabled = enabled;
		n->prev = e->depth ? e->nodes[e->depth - 1].choice : -1;
		if (!e->depth)
			n->sleep = n->preemptions = 0;
		if (e->blocked_at < 0 && e->opt->search == SEARCH_DPOR)
			find_races(e, view->nr);
		t = e->blocked_at >= 0 ? (n->prev >= 0 && (enabled & (1u << n->prev)) ?
					  n->prev : lowest(enabled))
				       : pick_new(e, n);
		n->choice = (int8_t)t;
	}
	tick_clock(e, t);
	check_table_alive(e, &n->next[t]);
	if (entry_access(&n->next[t]))
		n->entry = __atomic_load_n((const uint64_t *)n->next[t].addr, __ATOMIC_RELAXED);
	if (t == c->gup_thread && !strcmp(n->next[t].what, "try_grab_folio_fast") &&
	    e->nr_grabs < MAX_GRABS)
		e->grabs[e->nr_grabs++] = (struct grab){ e->depth, n->next[t].addr };

	/* The child node: its preemptions, and who sleeps there. */
	child = &e->nodes[e->depth + 1];
	child->preemptions = n->preemptions + preempts(n, t);
	child->sleep = 0;
	if (e->opt->search != SEARCH_FULL) {
		unsigned int asleep = (n->sleep | n->done) & ~(1u << t);

		for (int i = 0; i < view->nr; i++)
			if ((asleep & (1u << i)) && !dependent(&n->next[i], &n->next[t]))
				child->sleep |= 1u << i;
	}
	e->depth++;
	return t;
}

/* Moves to the next unexplored choice, deepest first; false when none is left. */
static bool backtrack(struct explorer *e)
{
	int top = e->blocked_at >= 0 ? e->blocked_at : e->depth;

	for (int d = top - 1; d >= 0; d--) {
		struct node *n = &e->nodes[d];
		unsigned int cands;

		n->done |= 1u << n->choice;
		cands = candidates(e, n);
		if (cands) {
			n->choice = (int8_t)lowest(cands);
			e->prefix = d + 1;
			return true;
		}
	}
	return false;
}

/* ---- one run ------------------------------------------------------------- */

/* The mm_struct field p is, if any: "mmap_lock", ... */
static const char *mm_field(const struct mm_struct *mm, const char *p)
{
	if (!mm)
		return NULL;
	if (p == (const char *)&mm->mmap_lock)
		return "mmap_lock";
	if (p == (const char *)&mm->page_table_lock)
		return "page_table_lock";
	if (p == (const char *)&mm->write_protect_seq)
		return "write_protect_seq";
	return NULL;
}

/* The object of an access, in words: entries by physical address, pages by pfn. */
static void describe(const struct hp_check_ctx *c, const struct hp_model_access *a,
		     uint64_t entry, char *buf, size_t len)
{
	const char *p = a->addr, *name;
	phys_addr_t pa = __pa(p);

	if (a->kind == HP_MODEL_RCU_WAIT || a->kind == HP_MODEL_RCU_LOCK ||
	    a->kind == HP_MODEL_RCU_UNLOCK || a->kind == HP_MODEL_RCU_SYNC) {
		snprintf(buf, len, "-");
	} else if (pa < (phys_addr_t)hp_ram_pages << PAGE_SHIFT) {
		if (a->kind == HP_MODEL_FREE)
			snprintf(buf, len, "table at pa %#llx", (unsigned long long)pa);
		else
			snprintf(buf, len, "entry at pa %#llx, was %#llx", (unsigned long long)pa,
				 (unsigned long long)entry);
	} else if (p >= (const char *)hp_mem_map && p < (const char *)(hp_mem_map + hp_ram_pages)) {
		size_t pfn = (size_t)(p - (const char *)hp_mem_map) / sizeof(struct page);

		if (p == (const char *)&hp_mem_map[pfn].ptl)
			snprintf(buf, len, "ptl of the table at pa %#lx", pfn << PAGE_SHIFT);
		else
			snprintf(buf, len, "page of pfn %#zx", pfn);
	} else if ((name = mm_field(c->mm, p))) {
		snprintf(buf, len, "%s", name);
	} else if ((name = mm_field(c->child, p))) {
		snprintf(buf, len, "child's %s", name);
	} else if ((name = hp_model_name_of(p))) {
		snprintf(buf, len, "%s", name[0] == '&' ? name + 1 : name);
	} else {
		snprintf(buf, len, "object %p", (const void *)p);
	}
}

static void print_trace(const struct explorer *e, int steps, const char *why)
{
	const struct hp_check_ctx *c = &e->ctx;
	char where[64];

	printf("  %s, policy %s%s%s, interleaving %lu:\n    %s\n",
	       e->sc->name, hp_policy_name(e->opt->policy), MUTATION ? ", mutation " : "",
	       MUTATION ? MUTATION : "", e->runs, why);
	printf("    %5s  %-10s %-28s %s\n", "step", "thread", "access", "on");
	for (int d = 0; d < steps; d++) {
		const struct node *n = &e->nodes[d];
		const struct hp_model_access *a = &n->next[n->choice];

		describe(c, a, n->entry, where, sizeof(where));
		printf("    %5d  %-10s %-28s %s%s\n", d, e->sc->threads[n->choice].name,
		       a->what, where,
		       d == e->violation_at || d == e->freed_table_at ? "   <-- violation" :
		       d == e->stale_grab_at ? "   <-- reference taken" : "");
	}
}

/* Did the address map the page GUP returned at some moment after the grab? */
static void check_gup_mapping(struct explorer *e)
{
	struct hp_check_ctx *c = &e->ctx;
	const struct folio *folio;
	unsigned long pfn;
	int grab = -1;

	if (c->gup_nr != 1)
		return;
	pfn = page_to_pfn(c->gup_pages[0]);
	folio = page_folio(c->gup_pages[0]);
	for (int i = 0; i < e->nr_grabs; i++)
		if (e->grabs[i].folio == folio)
			grab = e->grabs[i].step;
	if (grab < 0)
		return;		/* the slow path's, taken under the entry's lock */
	for (int s = grab + 1; s <= e->depth; s++)
		if (e->mapped[s] == (long)pfn)
			return;
	e->stale_grab_at = grab;
	hp_check_fail(c, "GUP returned pfn %#lx, but the address did not map it at any "
		      "moment after the reference was taken: a DMA through it misses the "
		      "process's memory", pfn);
}

static void check_leaks(struct hp_check_ctx *c)
{
	struct hp_pgtable_stats tables;
	struct hp_leaks leaks;

	hp_machine_leaks(&leaks);
	hp_pgtable_stats(&tables);
	if (leaks.pages || leaks.pgmap_refs)
		hp_check_fail(c, "after teardown %lu pages and %lu pagemap references are still held",
			      leaks.pages, leaks.pgmap_refs);
	else if (tables.allocated != tables.freed || tables.pending)
		hp_check_fail(c, "after teardown %lu of %lu page-table pages are not freed",
			      tables.allocated - tables.freed, tables.allocated);
}

/* What a run ended with: the scenario's words, the watched mapping, any failure. */
static void record_outcome(struct outcomes *o, const struct hp_check_ctx *c, long mapped)
{
	char text[sizeof(o->text[0])];

	snprintf(text, sizeof(text), "%s mapped=%ld%s%s", c->outcome, mapped,
		 c->failure[0] ? " ! " : "", c->failure);
	for (int i = 0; i < o->nr; i++)
		if (!strcmp(o->text[i], text))
			return;
	if (o->nr < MAX_OUTCOMES)
		strcpy(o->text[o->nr++], text);
}

static void run_one(struct explorer *e)
{
	struct hp_config config = { .ram_size = 16ULL << 20, .policy = e->opt->policy };
	struct hp_check_ctx *c = &e->ctx;
	struct hp_violation v;
	int steps, err;

	hp_model_names_reset();
	if (hp_machine_init(&config))
		die("cannot set up a machine");
	memset(c, 0, sizeof(*c));
	c->policy = e->opt->policy;
	c->gup_thread = -1;
	err = e->sc->setup(c);
	if (err)
		die("%s: setup failed: %s", e->sc->name, strerror(-err));
	for (int i = 0; i < HP_CHECK_MAX_THREADS && e->sc->threads[i].fn; i++)
		if (hp_model_thread_add(e->sc->threads[i].name, e->sc->threads[i].fn, c))
			die("%s: too many threads", e->sc->name);
	e->depth = 0;
	e->blocked_at = -1;
	e->violation_at = -1;
	e->stale_grab_at = -1;
	e->freed_table_at = -1;
	e->nr_grabs = 0;
	for (int i = 0; i < HP_MODEL_MAX_THREADS; i++)
		e->last[i] = -1;
	e->runs++;
	steps = hp_model_run(pick, e, MAX_STEPS);
	if (steps < 0) {
		print_trace(e, e->depth, steps == -EDEADLK ? "deadlock: no thread can move" :
			    "the run did not end within its step limit");
		exit(1);
	}
	if (e->blocked_at >= 0) {
		/* An interleaving already checked, up to the order of independent steps. */
		e->redundant++;
		e->sc->teardown(c);
		hp_machine_exit();
		return;
	}
	e->mapped[e->depth] = c->watch_mm ? hp_check_mapped_pfn(c->watch_mm, c->watch_addr) : -1;
	if (e->violation_at < 0 && hp_violation_count())
		e->violation_at = e->depth - 1;
	if (hp_violation_get(0, &v))
		hp_check_fail(c, "%s: %s (pfn %#lx%s%s)", v.op, v.what, v.pfn,
			      v.level == HP_LEVEL_NONE ? "" : ", ",
			      v.level == HP_LEVEL_NONE ? "" : hp_level_name(v.level));
	check_gup_mapping(e);
	e->sc->check(c);
	e->sc->teardown(c);
	check_leaks(c);
	record_outcome(&e->outcomes, c, e->mapped[e->depth]);
	if (c->failure[0] && !e->violating++ && !e->opt->quiet)
		print_trace(e, e->depth, c->failure);
	hp_machine_exit();
}

struct result {
	unsigned long runs, redundant, violating;
	bool complete;
	double seconds;
	struct outcomes outcomes;
};

static void explore(const struct hp_check_scenario *sc, const struct options *opt,
		    struct result *r)
{
	struct explorer *e = calloc(1, sizeof(*e));
	struct timespec t0, t1;
	bool more;

	if (!e)
		die("out of memory");
	e->sc = sc;
	e->opt = opt;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		run_one(e);
		more = backtrack(e);
	} while (more && (!opt->max_runs || e->runs < opt->max_runs));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->runs = e->runs;
	r->redundant = e->redundant;
	r->violating = e->violating;
	r->complete = !more;
	r->seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	r->outcomes = e->outcomes;
	free(e);
}

/* ---- the command --------------------------------------------------------- */

static void usage(FILE *f)
{
	fputs("usage: hp-model [options] [scenario...]\n"
	      "  --policy P        none, plain, devmap or special (default special)\n"
	      "  --bound N         at most N preemptions per interleaving (default: none).\n"
	      "                    Only sleep sets reduce a bounded search, and they may\n"
	      "                    then miss what needs more preemptions to reach\n"
	      "  --no-por          no reduction: every interleaving\n"
	      "  --max-runs N      stop a scenario after N interleavings\n"
	      "  --expect WHAT     clean (default): exit 0 if no interleaving breaks an\n"
	      "                    invariant; violation: exit 0 if each scenario has one\n"
	      "  --cross-check     also run without reduction (bound 2 unless --bound) and\n"
	      "                    require every outcome it sees to be among the reduced ones\n"
	      "  --list            list the scenarios\n"
	      "  --quiet           no traces\n"
	      "  --tsv             one tab-separated line per scenario: name, policy,\n"
	      "                    interleavings, redundant, violating, seconds, complete\n"
	      "With no scenario named, all run but those --list marks as only when named.\n", f);
}

static const struct hp_check_scenario *find_scenario(const char *name)
{
	for (int i = 0; i < hp_check_nr_scenarios; i++)
		if (!strcmp(hp_check_scenarios[i].name, name))
			return &hp_check_scenarios[i];
	return NULL;
}

static unsigned long parse_number(const char *opt, const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v > 1000000000)
		die("%s: not a number: '%s'", opt, s);
	return v;
}

/* Every outcome the unreduced search saw must be among the reduced search's. */
static bool cross_check(const struct hp_check_scenario *sc, const struct options *opt,
			const struct result *reduced)
{
	struct options plain = *opt;
	struct result full;
	bool ok = true;

	plain.search = SEARCH_FULL;
	plain.quiet = true;
	if (plain.bound < 0)
		plain.bound = 2;
	explore(sc, &plain, &full);
	for (int i = 0; i < full.outcomes.nr; i++) {
		bool seen = false;

		for (int j = 0; j < reduced->outcomes.nr; j++)
			seen |= !strcmp(full.outcomes.text[i], reduced->outcomes.text[j]);
		if (!seen) {
			printf("  cross-check: outcome missed by the reduction: %s\n",
			       full.outcomes.text[i]);
			ok = false;
		}
	}
	printf("  cross-check without reduction (bound %d): %lu interleavings, %d outcomes, %s\n",
	       plain.bound, full.runs, full.outcomes.nr,
	       ok ? "all found with it" : "SOME MISSED");
	return ok;
}

/* What the command line asks for, besides the exploration's own options. */
struct cli {
	struct options opt;
	bool expect_violation;
	bool want_cross;
};

static void list_scenarios(void)
{
	for (int i = 0; i < hp_check_nr_scenarios; i++)
		printf("%-22s %s%s\n", hp_check_scenarios[i].name, hp_check_scenarios[i].title,
		       hp_check_scenarios[i].bench_only ? " (only when named)" : "");
}

/*
 * Fills @cli from the options; the scenarios named are argv[optind...].
 * Returns -1 to go on, or the exit status when the options end the run
 * (--help, --list, a bad option).
 */
static int parse_options(int argc, char **argv, struct cli *cli)
{
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "bound", required_argument, NULL, 'b' },
		{ "no-por", no_argument, NULL, 'n' },
		{ "max-runs", required_argument, NULL, 'm' },
		{ "expect", required_argument, NULL, 'e' },
		{ "cross-check", no_argument, NULL, 'x' },
		{ "list", no_argument, NULL, 'l' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "tsv", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct options *opt = &cli->opt;
	int ch;

	*cli = (struct cli){ .opt = { .policy = HP_POLICY_SPECIAL, .bound = -1,
				      .search = SEARCH_DPOR } };
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (hp_policy_parse(optarg) < 0)
				die("--policy: unknown policy '%s'", optarg);
			opt->policy = hp_policy_parse(optarg);
			break;
		case 'b':
			opt->bound = (int)parse_number("--bound", optarg);
			if (opt->search == SEARCH_DPOR)
				opt->search = SEARCH_SLEEP;
			break;
		case 'n':
			opt->search = SEARCH_FULL;
			break;
		case 'm':
			opt->max_runs = parse_number("--max-runs", optarg);
			break;
		case 'e':
			if (strcmp(optarg, "clean") && strcmp(optarg, "violation"))
				die("--expect: 'clean' or 'violation', not '%s'", optarg);
			cli->expect_violation = !strcmp(optarg, "violation");
			break;
		case 'x':
			cli->want_cross = true;
			break;
		case 'l':
			list_scenarios();
			return 0;
		case 'q':
			opt->quiet = true;
			break;
		case 't':
			opt->tsv = opt->quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct cli cli;
	struct options opt;
	bool expect_violation, want_cross, ok = true;
	int first, status = parse_options(argc, argv, &cli);

	if (status >= 0)
		return status;
	opt = cli.opt;
	expect_violation = cli.expect_violation;
	want_cross = cli.want_cross;
	for (int i = optind; i < argc; i++)
		if (!find_scenario(argv[i]))
			die("no scenario '%s' (--list shows them)", argv[i]);
	first = optind;
	for (int i = 0; i < (first < argc ? argc - first : hp_check_nr_scenarios); i++) {
		const struct hp_check_scenario *sc = first < argc ? find_scenario(argv[first + i])
								  : &hp_check_scenarios[i];
		struct result r;

		if (first == argc && sc->bench_only)
			continue;
		explore(sc, &opt, &r);
		if (opt.tsv)
			printf("%s\t%s\t%lu\t%lu\t%lu\t%.3f\t%d\n", sc->name,
			       hp_policy_name(opt.policy), r.runs - r.redundant, r.redundant,
			       r.violating, r.seconds, r.complete);
		else
			printf("%-22s %-8s%s%s %6lu interleavings%s, %lu violating "
			       "(+%lu cut as redundant, %.1f s)\n",
			       sc->name, hp_policy_name(opt.policy), MUTATION ? " mutation " : "",
			       MUTATION ? MUTATION : "", r.runs - r.redundant,
			       r.complete ? (opt.bound < 0 ? " (all)" : " (all within the bound)")
					  : " (stopped at --max-runs)",
			       r.violating, r.redundant, r.seconds);
		ok &= expect_violation ? r.violating > 0 : r.violating == 0;
		if (want_cross)
			ok &= cross_check(sc, &opt, &r);
		fflush(stdout);
	}
	return ok ? 0 : 1;
}
