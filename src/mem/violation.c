// SPDX-License-Identifier: MIT
/* The record of references that a real kernel would have turned into corruption. */
#include "mem/physmem.h"

static spinlock_t violation_lock;
static atomic_ulong nr_violations;
static struct hp_violation violations[HP_MAX_VIOLATIONS];

void hp_report_violation(unsigned long pfn, enum hp_level level,
			 const char *op, const char *what)
{
	unsigned long i;

	spin_lock(&violation_lock);
	i = atomic_load_explicit(&nr_violations, memory_order_relaxed);
	if (i < HP_MAX_VIOLATIONS)
		violations[i] = (struct hp_violation){ pfn, level, op, what };
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
	ok = i < atomic_load_explicit(&nr_violations, memory_order_relaxed) &&
	     i < HP_MAX_VIOLATIONS;
	if (ok)
		*out = violations[i];
	spin_unlock(&violation_lock);
	return ok;
}

void hp_violations_reset(void)
{
	spin_lock_init(&violation_lock);
	atomic_store(&nr_violations, 0);
}
