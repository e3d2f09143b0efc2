// SPDX-License-Identifier: MIT
/*
 * Page-table pages: real 4 KiB pages of simulated RAM, zeroed, with a split
 * lock in their struct page.  Allocated on demand by the fault path, counted
 * per level, and freed through an mmu_gather.
 */
#include <errno.h>

#include "mm/internal.h"

static atomic_ulong tables_allocated, tables_freed, tables_pending;

void hp_pgtable_stats(struct hp_pgtable_stats *stats)
{
	stats->allocated = atomic_load(&tables_allocated);
	stats->freed = atomic_load(&tables_freed);
	stats->pending = atomic_load(&tables_pending);
}

void hp_pgtable_stats_reset(void)
{
	atomic_store(&tables_allocated, 0);
	atomic_store(&tables_freed, 0);
	atomic_store(&tables_pending, 0);
}

void hp_pgtable_pending(long delta)
{
	atomic_fetch_add_explicit(&tables_pending, delta, memory_order_relaxed);
}

static struct page *pagetable_alloc(struct mm_struct *mm, enum hp_table_level level)
{
	struct page *table;

	if (hp_should_fail(HP_FAIL_PGTABLE))
		return NULL;
	table = alloc_pages(GFP_PGTABLE_USER, 0);
	if (!table)
		return NULL;
	SetPageFlag(table, PG_table);
	spin_lock_init(&table->ptl);
	mm_inc_tables(mm, level);
	atomic_fetch_add_explicit(&tables_allocated, 1, memory_order_relaxed);
	return table;
}

/* The table was never reachable, or every walker that could see it has left. */
void hp_pagetable_free(struct page *table)
{
	HP_MODEL_POINT(HP_MODEL_FREE, page_address(table), PAGE_SIZE, "pagetable_free");
	atomic_fetch_add_explicit(&tables_freed, 1, memory_order_relaxed);
	spin_lock_destroy(&table->ptl);
	ClearPageFlag(table, PG_table);
	put_page(table);
}

static void pagetable_free_unused(struct mm_struct *mm, struct page *table,
				  enum hp_table_level level)
{
	mm_dec_tables(mm, level);
	hp_pagetable_free(table);
}

struct page *pte_alloc_one(struct mm_struct *mm)
{
	return pagetable_alloc(mm, HP_TABLE_PTE);
}

void pte_free(struct mm_struct *mm, struct page *table)
{
	pagetable_free_unused(mm, table, HP_TABLE_PTE);
}

int hp_pgd_alloc(struct mm_struct *mm)
{
	struct page *table = pagetable_alloc(mm, HP_TABLE_PGD);

	if (!table)
		return -ENOMEM;
	mm->pgd = page_address(table);
	return 0;
}

static int __pud_alloc(struct mm_struct *mm, p4d_t *p4d)
{
	struct page *new = pagetable_alloc(mm, HP_TABLE_PUD);

	if (!new)
		return -ENOMEM;
	spin_lock(&mm->page_table_lock);
	if (p4d_none(p4dp_get(p4d))) {
		set_p4d(p4d, hp_mk_table_p4d(new));
		new = NULL;
	}
	spin_unlock(&mm->page_table_lock);
	if (new)	/* another fault populated the slot first */
		pagetable_free_unused(mm, new, HP_TABLE_PUD);
	return 0;
}

pud_t *pud_alloc(struct mm_struct *mm, p4d_t *p4d, unsigned long addr)
{
	if (p4d_none(p4dp_get_lockless(p4d)) && __pud_alloc(mm, p4d))
		return NULL;
	return pud_offset(p4d, addr);
}

static int __pmd_alloc(struct mm_struct *mm, pud_t *pud)
{
	struct page *new = pagetable_alloc(mm, HP_TABLE_PMD);
	spinlock_t *ptl = pud_lockptr(mm, pud);

	if (!new)
		return -ENOMEM;
	spin_lock(ptl);
	if (pud_none(pudp_get(pud))) {
		set_pud_at(pud, hp_mk_table_pud(new));
		new = NULL;
	}
	spin_unlock(ptl);
	if (new)
		pagetable_free_unused(mm, new, HP_TABLE_PMD);
	return 0;
}

/*
 * The slot may hold a PUD leaf installed by a racing fault; the caller must
 * check for that before using the result (pud_leaf()).
 */
pmd_t *pmd_alloc(struct mm_struct *mm, pud_t *pud, unsigned long addr)
{
	if (pud_none(pudp_get_lockless(pud)) && __pmd_alloc(mm, pud))
		return NULL;
	return pmd_offset(pud, addr);
}

int __pte_alloc(struct mm_struct *mm, pmd_t *pmd)
{
	struct page *new = pte_alloc_one(mm);
	spinlock_t *ptl = pmd_lockptr(pmd);

	if (!new)
		return -ENOMEM;
	spin_lock(ptl);
	if (pmd_none(pmdp_get(pmd))) {
		set_pmd_at(pmd, hp_mk_table_pmd(new));
		new = NULL;
	}
	spin_unlock(ptl);
	if (new)
		pte_free(mm, new);
	return 0;
}

/*
 * A huge anonymous PMD keeps a PTE table in reserve so that splitting it can
 * never fail for lack of memory.  The reserve hangs off the PMD table's page;
 * both calls run under that table's lock.
 */
void pgtable_trans_huge_deposit(struct mm_struct *mm, pmd_t *pmdp, struct page *table)
{
	struct page *pmd_table = hp_table_page(pmdp);

	(void)mm;
	if (!pmd_table->pmd_huge_pte)
		INIT_LIST_HEAD(&table->lru);
	else
		list_add(&table->lru, &pmd_table->pmd_huge_pte->lru);
	pmd_table->pmd_huge_pte = table;
}

struct page *pgtable_trans_huge_withdraw(struct mm_struct *mm, pmd_t *pmdp)
{
	struct page *pmd_table = hp_table_page(pmdp);
	struct page *table = pmd_table->pmd_huge_pte;

	(void)mm;
	if (list_empty(&table->lru)) {
		pmd_table->pmd_huge_pte = NULL;
	} else {
		pmd_table->pmd_huge_pte = list_first_entry(&table->lru, struct page, lru);
		list_del(&table->lru);
	}
	return table;
}

/* ---- freeing tables that map nothing ------------------------------------- */

static bool table_is_empty(const void *table)
{
	const uint64_t *e = table;

	for (unsigned int i = 0; i < 512; i++)
		if (__atomic_load_n(&e[i], __ATOMIC_RELAXED))
			return false;
	return true;
}


/*
 * Clears the slot pointing at a table that maps nothing and whose span no VMA
 * still covers, and queues the table.  Runs with mmap_lock held for write, so
 * no fault can be populating it, and after the unmapped VMAs left their rmap,
 * so no rmap walker can reach it; lockless walkers that already read the slot
 * are covered by the gather's grace period.
 */
static void free_pte_tables(struct mmu_gather *tlb, pud_t *pud,
			    unsigned long addr, unsigned long end)
{
	pmd_t *pmd = pmd_offset(pud, addr);

	for (; addr != end; pmd++, addr = pmd_addr_end(addr, end)) {
		pmd_t val = pmdp_get(pmd);
		spinlock_t *ptl;

		if (pmd_none(val) || pmd_leaf(val))
			continue;
		if (hp_span_has_vma(tlb->mm, addr & PMD_MASK, (addr & PMD_MASK) + PMD_SIZE) ||
		    !table_is_empty(__va(pmd_val(val) & PTE_PFN_MASK)))
			continue;
		ptl = pmd_lockptr(pmd);
		spin_lock(ptl);
		pmdp_huge_get_and_clear(pmd);
		spin_unlock(ptl);
		tlb_remove_table(tlb, pfn_to_page(pmd_pfn(val)), HP_TABLE_PTE);
	}
}

static void free_pmd_tables(struct mmu_gather *tlb, struct mm_struct *mm, p4d_t *p4d,
			    unsigned long addr, unsigned long end)
{
	pud_t *pud = pud_offset(p4d, addr);

	for (; addr != end; pud++, addr = pud_addr_end(addr, end)) {
		unsigned long next = pud_addr_end(addr, end);
		pud_t val = pudp_get(pud);
		struct page *table;

		if (pud_none(val) || pud_leaf(val))
			continue;
		free_pte_tables(tlb, pud, addr, next);
		table = pfn_to_page(pud_pfn(val));
		if (hp_span_has_vma(mm, addr & PUD_MASK, (addr & PUD_MASK) + PUD_SIZE) ||
		    table->pmd_huge_pte || !table_is_empty(page_address(table)))
			continue;
		spin_lock(&mm->page_table_lock);
		pudp_huge_get_and_clear(pud);
		spin_unlock(&mm->page_table_lock);
		tlb_remove_table(tlb, table, HP_TABLE_PMD);
	}
}

void free_pgtables(struct mmu_gather *tlb, struct mm_struct *mm,
		   unsigned long addr, unsigned long end)
{
	for (; addr != end; addr = pgd_addr_end(addr, end)) {
		unsigned long next = pgd_addr_end(addr, end);
		p4d_t *p4d = p4d_offset(pgd_offset(mm, addr), addr);
		p4d_t val = p4dp_get(p4d);
		struct page *table;

		if (p4d_none(val))
			continue;
		free_pmd_tables(tlb, mm, p4d, addr, next);
		table = pfn_to_page(p4d_pfn(val));
		if (hp_span_has_vma(mm, addr & ~(PGDIR_SIZE - 1), (addr & ~(PGDIR_SIZE - 1)) + PGDIR_SIZE) ||
		    !table_is_empty(page_address(table)))
			continue;
		spin_lock(&mm->page_table_lock);
		set_p4d(p4d, __p4d(0));
		spin_unlock(&mm->page_table_lock);
		tlb_remove_table(tlb, table, HP_TABLE_PUD);
	}
}
