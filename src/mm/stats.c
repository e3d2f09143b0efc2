// SPDX-License-Identifier: MIT
/* Counting what an address space's page tables hold, by walking them. */
#include <string.h>

#include "mm/internal.h"

const char *hp_entry_kind_name(enum hp_entry_kind kind)
{
	static const char *const names[] = {
		[HP_KIND_NORMAL] = "normal", [HP_KIND_SPECIAL] = "special",
		[HP_KIND_DEVMAP] = "devmap",
	};

	return kind < HP_NR_KINDS ? names[kind] : "?";
}


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

enum hp_level hp_lookup_entry(struct mm_struct *mm, unsigned long addr, uint64_t *val)
{
	enum hp_level level;

	down_read(&mm->mmap_lock);
	level = __hp_lookup_entry(mm, addr, val);
	up_read(&mm->mmap_lock);
	return level;
}
