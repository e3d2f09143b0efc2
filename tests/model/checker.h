/* SPDX-License-Identifier: MIT */
/*
 * The interleaving checker: scenarios of two logical threads running the
 * real library (built with -DHP_MODEL), every interleaving of their
 * scheduling points explored, invariants checked after each one.
 */
#ifndef HP_CHECKER_H
#define HP_CHECKER_H

#include <hugepfn/hugepfn.h>

#define HP_CHECK_MAX_THREADS 3

/* One interleaving's world: built by setup, used by the threads, checked. */
struct hp_check_ctx {
	enum hugepfn_policy policy;
	struct mm_struct *mm, *child;
	struct hp_bar *bar;
	struct ttm_device *bdev;
	struct ttm_buffer_object *bo;
	unsigned long addr;
	unsigned long map_start, map_len;	/* the whole anonymous VMA */
	/* The thread that calls GUP, and what it got. */
	int gup_thread;
	int gup_nr;
	struct page *gup_pages[1];
	/* What each thread saw. */
	int ret[HP_CHECK_MAX_THREADS];
	/* The address whose mapping is recorded before every step. */
	struct mm_struct *watch_mm;
	unsigned long watch_addr;
	/* The outcome in words (for the checker's own cross-check), and the first failure. */
	char outcome[128];
	char failure[256];
};

struct hp_check_thread {
	const char *name;
	void (*fn)(void *ctx);
};

struct hp_check_scenario {
	const char *name;
	const char *title;
	/* Builds the world; 0 or a negative errno. */
	int (*setup)(struct hp_check_ctx *c);
	struct hp_check_thread threads[HP_CHECK_MAX_THREADS];
	/* The scenario's invariants, after both threads finished. */
	void (*check)(struct hp_check_ctx *c);
	/* Gives everything back; the checker then counts leaks. */
	void (*teardown)(struct hp_check_ctx *c);
	/* Too big for make test: run only when named (make bench runs it). */
	bool bench_only;
};

extern const struct hp_check_scenario hp_check_scenarios[];
extern const int hp_check_nr_scenarios;

/* Records a broken invariant (the first one is kept). */
void hp_check_fail(struct hp_check_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The pfn addr maps in mm now (-1: none), read without locks: threads are stopped. */
long hp_check_mapped_pfn(struct mm_struct *mm, unsigned long addr);

#endif
