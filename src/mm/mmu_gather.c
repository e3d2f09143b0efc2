// SPDX-License-Identifier: MIT
/*
 * mmu_gather: batching what an unmap frees until no walker can reach it.
 *
 * The kernel frees unmapped pages after the TLB flush and page-table pages
 * after interrupts (gup-fast) or an RCU grace period allow.  Here the software
 * MMU and gup-fast both walk inside RCU read-side sections, so one grace period
 * at the end of the gather covers pages and tables alike: any walker that read
 * an entry before it was cleared has finished with what it pointed at.
 */
#include <stdlib.h>

#include "host/rcu.h"
#include "mm/internal.h"

void tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm)
{
	tlb->mm = mm;
	tlb->folios = NULL;
	tlb->nr_folios = tlb->cap_folios = 0;
	tlb->need_flush = false;
	tlb->keep_cows = false;
	INIT_LIST_HEAD(&tlb->tables);
}

static bool tlb_grow(struct mmu_gather *tlb)
{
	size_t cap = tlb->cap_folios ? tlb->cap_folios * 2 : 64;
	struct folio **folios = realloc(tlb->folios, cap * sizeof(*folios));

	if (!folios)
		return false;
	tlb->folios = folios;
	tlb->cap_folios = cap;
	return true;
}

void tlb_remove_folio(struct mmu_gather *tlb, struct folio *folio)
{
	if (tlb->nr_folios == tlb->cap_folios && !tlb_grow(tlb)) {
		/* No room to batch: wait for the walkers now, as Linux does. */
		hp_synchronize_rcu();
		folio_put(folio);
		return;
	}
	tlb->folios[tlb->nr_folios++] = folio;
}

/*
 * The software MMU has no TLB, but an access in flight plays its part: it
 * walked to a pfn and may still be copying bytes there.  It does so inside an
 * RCU read-side section, so a grace period is the shootdown.
 */
void flush_tlb_mm(struct mm_struct *mm)
{
	(void)mm;
	hp_synchronize_rcu();
}

struct deferred_put {
	struct hp_rcu_head rcu;
	struct folio *folio;
};

static void deferred_put_fn(struct hp_rcu_head *head)
{
	struct deferred_put *d = container_of(head, struct deferred_put, rcu);

	folio_put(d->folio);
	free(d);
}

void folio_put_rcu(struct folio *folio)
{
	struct deferred_put *d = malloc(sizeof(*d));

	if (!d) {
		hp_synchronize_rcu();
		folio_put(folio);
		return;
	}
	d->folio = folio;
	hp_call_rcu(&d->rcu, deferred_put_fn);
}

/* The table is already unreachable: it no longer counts as the mm's. */
void tlb_remove_table(struct mmu_gather *tlb, struct page *table,
		      enum hp_table_level level)
{
	mm_dec_tables(tlb->mm, level);
	hp_pgtable_pending(1);
	list_add_tail(&table->lru, &tlb->tables);
}

static void tlb_free_tables(struct mmu_gather *tlb)
{
	struct page *table, *next;

	list_for_each_entry_safe(table, next, &tlb->tables, lru) {
		list_del(&table->lru);
		hp_pagetable_free(table);
		hp_pgtable_pending(-1);
	}
}

void tlb_finish_mmu(struct mmu_gather *tlb)
{
	if (hp_mutated(HP_MUTATION_NO_GRACE))
		tlb_free_tables(tlb);
	if (tlb->need_flush || tlb->nr_folios || !list_empty(&tlb->tables))
		flush_tlb_mm(tlb->mm);
	for (size_t i = 0; i < tlb->nr_folios; i++)
		folio_put(tlb->folios[i]);
	tlb_free_tables(tlb);
	free(tlb->folios);
	tlb->folios = NULL;
	tlb->nr_folios = tlb->cap_folios = 0;
}
