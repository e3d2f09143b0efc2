// SPDX-License-Identifier: MIT
/*
 * The record of references that a real kernel would have turned into
 * corruption: every one of them, in order, in an array that doubles as it
 * fills.  Writers and hp_violation_get() hold violation_lock;
 * hp_violation_count() reads the count without it (relaxed: a counter read
 * after the threads that report have been joined, or as a snapshot).
 */
#include <stdlib.h>

#include "mem/physmem.h"

static spinlock_t violation_lock;
static atomic_ulong nr_violations;
static struct hp_violation *violations;	/* the first nr_kept of them */
static unsigned long nr_kept, capacity;

/* Room for one more record; false if the host is out of memory. */
static bool violation_room(void)
{
	struct hp_violation *grown;
	unsigned long want;

	if (nr_kept < capacity)
		return true;
	want = capacity ? 2 * capacity : 64;
	grown = realloc(violations, want * sizeof(*violations));
	if (!grown)
		return false;
	violations = grown;
	capacity = want;
	return true;
}

void hp_report_violation(unsigned long pfn, enum hp_level level,
			 const char *op, const char *what)
{
	unsigned long i;

	spin_lock(&violation_lock);
	i = atomic_load_explicit(&nr_violations, memory_order_relaxed);
	/* Kept while every earlier one was: the records stay the first nr_kept. */
	if (nr_kept == i && violation_room())
		violations[nr_kept++] = (struct hp_violation){ pfn, level, op, what };
	atomic_store_explicit(&nr_violations, i + 1, memory_order_relaxed);
	spin_unlock(&violation_lock);
}

unsigned long hp_violation_count(void)
{
	return atomic_load_explicit(&nr_violations, memory_order_relaxed);
}

bool hp_violation_get(unsigned long i, struct hp_violation *out)
{
	bool ok;

	spin_lock(&violation_lock);
	ok = i < nr_kept;
	if (ok)
		*out = violations[i];
	spin_unlock(&violation_lock);
	return ok;
}

void hp_violations_reset(void)
{
	free(violations);
	violations = NULL;
	nr_kept = capacity = 0;
	spin_lock_init(&violation_lock);
	atomic_store(&nr_violations, 0);
}
