// SPDX-License-Identifier: MIT
/* Counting what an address space's page tables hold, by walking them. */
#include <string.h>

#include "mm/internal.h"

/* Devmap first: a devmap PTE is special too. */
static enum hp_entry_kind kind_of(uint64_t val)
{
	if (val & _PAGE_DEVMAP)
		return HP_KIND_DEVMAP;
	if (val & _PAGE_SPECIAL)
		return HP_KIND_SPECIAL;
	return HP_KIND_NORMAL;
}

static void count_pte_table(pte_t *table, struct hp_entry_counts *c)
{
	c->tables[HP_TABLE_PTE]++;
	for (unsigned int i = 0; i < PTRS_PER_PTE; i++) {
		pte_t pte = ptep_get_lockless(&table[i]);

		if (pte_present(pte))
			c->leaves[HP_LEVEL_PTE][kind_of(pte_val(pte))]++;
	}
}

static void count_pmd_table(pmd_t *table, struct hp_entry_counts *c)
{
	struct page *page = hp_table_page(table), *deposit, *p;

	c->tables[HP_TABLE_PMD]++;
	spin_lock(&page->ptl);		/* the deposit list changes under it */
	deposit = page->pmd_huge_pte;
	if (deposit) {
		c->deposited++;
		list_for_each_entry(p, &deposit->lru, lru)
			c->deposited++;
	}
	spin_unlock(&page->ptl);
	for (unsigned int i = 0; i < PTRS_PER_PMD; i++) {
		pmd_t pmd = pmdp_get_lockless(&table[i]);

		if (pmd_none(pmd))
			continue;
		if (pmd_leaf(pmd))
			c->leaves[HP_LEVEL_PMD][kind_of(pmd_val(pmd))]++;
		else
			count_pte_table(pte_offset_lockless(pmd, 0), c);
	}
}

static void count_pud_table(pud_t *table, struct hp_entry_counts *c)
{
	c->tables[HP_TABLE_PUD]++;
	for (unsigned int i = 0; i < PTRS_PER_PUD; i++) {
		pud_t pud = pudp_get_lockless(&table[i]);

		if (pud_none(pud))
			continue;
		if (pud_leaf(pud))
			c->leaves[HP_LEVEL_PUD][kind_of(pud_val(pud))]++;
		else
			count_pmd_table(pmd_offset_lockless(pud, 0), c);
	}
}

void hp_mm_count_entries(struct mm_struct *mm, struct hp_entry_counts *c)
{
	memset(c, 0, sizeof(*c));
	down_read(&mm->mmap_lock);
	c->tables[HP_TABLE_PGD] = 1;
	for (unsigned int i = 0; i < PTRS_PER_PGD; i++) {
		p4d_t p4d = p4dp_get_lockless((p4d_t *)&mm->pgd[i]);

		if (!p4d_none(p4d))
			count_pud_table(pud_offset_lockless(p4d, 0), c);
	}
	up_read(&mm->mmap_lock);
}

enum hp_level __hp_lookup_entry(struct mm_struct *mm, unsigned long addr, uint64_t *val)
{
	p4d_t p4d = p4dp_get_lockless(p4d_offset(pgd_offset(mm, addr), addr));
	pud_t pud;
	pmd_t pmd;
	pte_t pte;

	*val = 0;
	if (p4d_none(p4d))
		return HP_LEVEL_NONE;
	pud = pudp_get_lockless(pud_offset_lockless(p4d, addr));
	if (pud_leaf(pud)) {
		*val = pud_val(pud);
		return HP_LEVEL_PUD;
	}
	if (pud_none(pud))
		return HP_LEVEL_NONE;
	pmd = pmdp_get_lockless(pmd_offset_lockless(pud, addr));
	if (pmd_leaf(pmd)) {
		*val = pmd_val(pmd);
		return HP_LEVEL_PMD;
	}
	if (pmd_none(pmd))
		return HP_LEVEL_NONE;
	pte = ptep_get_lockless(pte_offset_lockless(pmd, addr));
	if (pte_none(pte))
		return HP_LEVEL_NONE;
	*val = pte_val(pte);
	return HP_LEVEL_PTE;
}

/*
 * hp_next_entry()'s walk: one function per level, each looking at the slots
 * of [addr, end) in its table and skipping an empty slot whole, so that what
 * it costs is the slots of the tables it reaches, never the span.  What counts
 * as an entry is what __hp_lookup_entry() returns: a leaf at any level, or a
 * PTE that is not none.  The entries are read as lockless walkers read them,
 * under the mmap lock, which keeps every table in place (freeing one takes
 * it for write).
 */
struct entry_pos {
	unsigned long addr;
	uint64_t val;
};

static enum hp_level next_pte(pmd_t pmd, unsigned long addr, unsigned long end,
			      struct entry_pos *pos)
{
	pte_t *ptep = pte_offset_lockless(pmd, addr);

	for (; addr < end; addr += PAGE_SIZE, ptep++) {
		pte_t pte = ptep_get_lockless(ptep);

		if (!pte_none(pte)) {
			pos->addr = addr;
			pos->val = pte_val(pte);
			return HP_LEVEL_PTE;
		}
	}
	return HP_LEVEL_NONE;
}

static enum hp_level next_pmd(pud_t pud, unsigned long addr, unsigned long end,
			      struct entry_pos *pos)
{
	pmd_t *pmdp = pmd_offset_lockless(pud, addr);
	enum hp_level level;

	for (unsigned long next; addr < end; addr = next, pmdp++) {
		pmd_t pmd = pmdp_get_lockless(pmdp);

		next = pmd_addr_end(addr, end);
		if (pmd_leaf(pmd)) {
			pos->addr = addr & PMD_MASK;
			pos->val = pmd_val(pmd);
			return HP_LEVEL_PMD;
		}
		if (!pmd_none(pmd) && (level = next_pte(pmd, addr, next, pos)) != HP_LEVEL_NONE)
			return level;
	}
	return HP_LEVEL_NONE;
}

static enum hp_level next_pud(p4d_t p4d, unsigned long addr, unsigned long end,
			      struct entry_pos *pos)
{
	pud_t *pudp = pud_offset_lockless(p4d, addr);
	enum hp_level level;

	for (unsigned long next; addr < end; addr = next, pudp++) {
		pud_t pud = pudp_get_lockless(pudp);

		next = pud_addr_end(addr, end);
		if (pud_leaf(pud)) {
			pos->addr = addr & PUD_MASK;
			pos->val = pud_val(pud);
			return HP_LEVEL_PUD;
		}
		if (!pud_none(pud) && (level = next_pmd(pud, addr, next, pos)) != HP_LEVEL_NONE)
			return level;
	}
	return HP_LEVEL_NONE;
}

static enum hp_level next_pgd(struct mm_struct *mm, unsigned long addr, unsigned long end,
			      struct entry_pos *pos)
{
	enum hp_level level;

	for (unsigned long next; addr < end; addr = next) {
		p4d_t p4d = p4dp_get_lockless(p4d_offset(pgd_offset(mm, addr), addr));

		next = pgd_addr_end(addr, end);
		if (!p4d_none(p4d) && (level = next_pud(p4d, addr, next, pos)) != HP_LEVEL_NONE)
			return level;
	}
	return HP_LEVEL_NONE;
}

enum hp_level hp_next_entry(struct mm_struct *mm, unsigned long *addr, unsigned long end,
			    uint64_t *val)
{
	struct entry_pos pos = { 0, 0 };
	enum hp_level level;

	if (end > TASK_SIZE_MAX + PAGE_SIZE)
		end = TASK_SIZE_MAX + PAGE_SIZE;	/* the user half of the tables */
	down_read(&mm->mmap_lock);
	level = next_pgd(mm, *addr & PAGE_MASK, end, &pos);
	up_read(&mm->mmap_lock);
	if (level != HP_LEVEL_NONE)
		*addr = pos.addr;
	*val = pos.val;
	return level;
}

enum hp_level hp_lookup_entry(struct mm_struct *mm, unsigned long addr, uint64_t *val)
{
	enum hp_level level;

	down_read(&mm->mmap_lock);
	level = __hp_lookup_entry(mm, addr, val);
	up_read(&mm->mmap_lock);
	return level;
}
