/* SPDX-License-Identifier: MIT */
/*
 * Entries in memory: every load and store of a page-table entry goes through
 * these, so each one says its ordering (and a scheduler can interpose here).
 *
 * Ordering: a table is zeroed, then published by a release store of the entry
 * pointing at it; lockless walkers load entries with acquire, which stands in
 * for the address dependency the kernel relies on.  Loads under the entry's
 * lock are relaxed: the lock orders them.  Every access is atomic because the
 * MMU and gup-fast read entries while others change them.
 *
 * Lockless loads and every change are scheduling points of the interleaving
 * checker (host/model.h); loads under the lock need not be, the lock is one.
 */
#ifndef HP_MM_PGTABLE_H
#define HP_MM_PGTABLE_H

#include <hugepfn/mm.h>
#include "host/lock.h"
#include "host/model.h"

#define HP_ENTRY_LOAD(p, order)		__atomic_load_n(p, order)
#define HP_ENTRY_STORE(p, v)		__atomic_store_n(p, v, __ATOMIC_RELEASE)
#define HP_ENTRY_XCHG(p, v)		__atomic_exchange_n(p, v, __ATOMIC_ACQ_REL)
#define HP_ENTRY_POINT(kind, p, what)	HP_MODEL_POINT(kind, p, sizeof(*(p)), what)

/* Under the entry's lock (or with the mmap lock held for write). */
static inline pte_t ptep_get(pte_t *ptep) { return __pte(HP_ENTRY_LOAD(&ptep->pte, __ATOMIC_RELAXED)); }
static inline pmd_t pmdp_get(pmd_t *pmdp) { return __pmd(HP_ENTRY_LOAD(&pmdp->pmd, __ATOMIC_RELAXED)); }
static inline pud_t pudp_get(pud_t *pudp) { return __pud(HP_ENTRY_LOAD(&pudp->pud, __ATOMIC_RELAXED)); }
static inline p4d_t p4dp_get(p4d_t *p4dp) { return __p4d(HP_ENTRY_LOAD(&p4dp->p4d, __ATOMIC_RELAXED)); }

/* With no lock: the MMU, gup-fast, and the first look of the fault path. */
static inline pte_t ptep_get_lockless(pte_t *ptep)
{
	HP_ENTRY_POINT(HP_MODEL_READ, ptep, "ptep_get_lockless");
	return __pte(HP_ENTRY_LOAD(&ptep->pte, __ATOMIC_ACQUIRE));
}
static inline pmd_t pmdp_get_lockless(pmd_t *pmdp)
{
	HP_ENTRY_POINT(HP_MODEL_READ, pmdp, "pmdp_get_lockless");
	return __pmd(HP_ENTRY_LOAD(&pmdp->pmd, __ATOMIC_ACQUIRE));
}
static inline pud_t pudp_get_lockless(pud_t *pudp)
{
	HP_ENTRY_POINT(HP_MODEL_READ, pudp, "pudp_get_lockless");
	return __pud(HP_ENTRY_LOAD(&pudp->pud, __ATOMIC_ACQUIRE));
}
static inline p4d_t p4dp_get_lockless(p4d_t *p4dp)
{
	HP_ENTRY_POINT(HP_MODEL_READ, p4dp, "p4dp_get_lockless");
	return __p4d(HP_ENTRY_LOAD(&p4dp->p4d, __ATOMIC_ACQUIRE));
}

/* Stores publish with release. */
static inline void set_pte_at(pte_t *ptep, pte_t pte)
{
	HP_ENTRY_POINT(HP_MODEL_WRITE, ptep, "set_pte_at");
	HP_ENTRY_STORE(&ptep->pte, pte_val(pte));
}
static inline void set_pmd_at(pmd_t *pmdp, pmd_t pmd)
{
	HP_ENTRY_POINT(HP_MODEL_WRITE, pmdp, "set_pmd_at");
	HP_ENTRY_STORE(&pmdp->pmd, pmd_val(pmd));
}
static inline void set_pud_at(pud_t *pudp, pud_t pud)
{
	HP_ENTRY_POINT(HP_MODEL_WRITE, pudp, "set_pud_at");
	HP_ENTRY_STORE(&pudp->pud, pud_val(pud));
}
static inline void set_p4d(p4d_t *p4dp, p4d_t p4d)
{
	HP_ENTRY_POINT(HP_MODEL_WRITE, p4dp, "set_p4d");
	HP_ENTRY_STORE(&p4dp->p4d, p4d_val(p4d));
}

/* Clearing returns what was there, A/D bits the MMU set included. */
static inline pte_t ptep_get_and_clear(pte_t *ptep)
{
	HP_ENTRY_POINT(HP_MODEL_WRITE, ptep, "ptep_get_and_clear");
	return __pte(HP_ENTRY_XCHG(&ptep->pte, 0));
}
static inline pmd_t pmdp_huge_get_and_clear(pmd_t *pmdp)
{
	HP_ENTRY_POINT(HP_MODEL_WRITE, pmdp, "pmdp_huge_get_and_clear");
	return __pmd(HP_ENTRY_XCHG(&pmdp->pmd, 0));
}
static inline pud_t pudp_huge_get_and_clear(pud_t *pudp)
{
	HP_ENTRY_POINT(HP_MODEL_WRITE, pudp, "pudp_huge_get_and_clear");
	return __pud(HP_ENTRY_XCHG(&pudp->pud, 0));
}

/*
 * Write-protection is a compare-and-exchange loop, as x86's: it keeps the
 * ACCESSED/DIRTY bits the MMU sets meanwhile and moves DIRTY to SAVED_DIRTY
 * (pXd_wrprotect()).  One scheduling point: the loop is one atomic update.
 */
#define HP_ENTRY_WRPROTECT(p, wrprotect)					\
	do {								\
		uint64_t old_ = HP_ENTRY_LOAD(p, __ATOMIC_RELAXED);		\
									\
		while (!__atomic_compare_exchange_n(p, &old_, wrprotect(old_), \
						    false, __ATOMIC_ACQ_REL,	\
						    __ATOMIC_RELAXED))	\
			;						\
	} while (0)
static inline uint64_t hp_pte_wrprotect_val(uint64_t v) { return pte_val(pte_wrprotect(__pte(v))); }
static inline uint64_t hp_pmd_wrprotect_val(uint64_t v) { return pmd_val(pmd_wrprotect(__pmd(v))); }
static inline uint64_t hp_pud_wrprotect_val(uint64_t v) { return pud_val(pud_wrprotect(__pud(v))); }
static inline void ptep_set_wrprotect(pte_t *ptep)
{
	HP_ENTRY_POINT(HP_MODEL_WRITE, ptep, "ptep_set_wrprotect");
	HP_ENTRY_WRPROTECT(&ptep->pte, hp_pte_wrprotect_val);
}
static inline void pmdp_set_wrprotect(pmd_t *pmdp)
{
	HP_ENTRY_POINT(HP_MODEL_WRITE, pmdp, "pmdp_set_wrprotect");
	HP_ENTRY_WRPROTECT(&pmdp->pmd, hp_pmd_wrprotect_val);
}
/* Linux's generic pudp_set_wrprotect() is a plain store; a lost DIRTY bit cannot happen here. */
static inline void pudp_set_wrprotect(pud_t *pudp)
{
	HP_ENTRY_POINT(HP_MODEL_WRITE, pudp, "pudp_set_wrprotect");
	HP_ENTRY_WRPROTECT(&pudp->pud, hp_pud_wrprotect_val);
}

/*
 * The MMU sets ACCESSED/DIRTY with a locked read-modify-write of the entry
 * (acq_rel: it both observes the entry and publishes the new bits); it fails
 * if the entry changed since the walk read it.
 */
static inline bool hp_entry_cmpxchg(uint64_t *p, uint64_t old, uint64_t new)
{
	HP_ENTRY_POINT(HP_MODEL_WRITE, p, "hp_entry_cmpxchg");
	return __atomic_compare_exchange_n(p, &old, new, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

/* Walking down: the table an entry points at, and the slot for addr in it. */
static inline pgd_t *pgd_offset(struct mm_struct *mm, unsigned long addr)
{
	return mm->pgd + pgd_index(addr);
}
/* P4D is folded: the PGD slot is the P4D slot. */
static inline p4d_t *p4d_offset(pgd_t *pgd, unsigned long addr)
{
	(void)addr;
	return (p4d_t *)pgd;
}
static inline pud_t *pud_offset_lockless(p4d_t p4d, unsigned long addr)
{
	return (pud_t *)__va(p4d_val(p4d) & PTE_PFN_MASK) + pud_index(addr);
}
static inline pmd_t *pmd_offset_lockless(pud_t pud, unsigned long addr)
{
	return (pmd_t *)__va(pud_val(pud) & PTE_PFN_MASK) + pmd_index(addr);
}
static inline pte_t *pte_offset_lockless(pmd_t pmd, unsigned long addr)
{
	return (pte_t *)__va(pmd_val(pmd) & PTE_PFN_MASK) + pte_index(addr);
}
/* Descending with no lock held: acquire, so the new table's zeroes are seen. */
static inline pud_t *pud_offset(p4d_t *p4d, unsigned long addr)
{
	return pud_offset_lockless(p4dp_get_lockless(p4d), addr);
}
static inline pmd_t *pmd_offset(pud_t *pud, unsigned long addr)
{
	return pmd_offset_lockless(pudp_get_lockless(pud), addr);
}
static inline pte_t *pte_offset(pmd_t *pmd, unsigned long addr)
{
	return pte_offset_lockless(pmdp_get_lockless(pmd), addr);
}

/*
 * Where the span of the entry holding addr ends, or end if sooner (Linux's
 * pXd_addr_end); wraps at the top of the address space are handled.
 */
static inline unsigned long hp_addr_end(unsigned long addr, unsigned long size,
					unsigned long end)
{
	unsigned long next = (addr + size) & ~(size - 1);

	return next - 1 < end - 1 ? next : end;
}
static inline unsigned long pmd_addr_end(unsigned long addr, unsigned long end)
{
	return hp_addr_end(addr, PMD_SIZE, end);
}
static inline unsigned long pud_addr_end(unsigned long addr, unsigned long end)
{
	return hp_addr_end(addr, PUD_SIZE, end);
}
static inline unsigned long pgd_addr_end(unsigned long addr, unsigned long end)
{
	return hp_addr_end(addr, PGDIR_SIZE, end);
}

/* The page-table page holding an entry (its struct page carries the lock). */
static inline struct page *hp_table_page(const void *entry)
{
	return pfn_to_page(__pa(entry) >> PAGE_SHIFT);
}
/* PUD leaves and slots use the mm-wide lock, PMD and PTE tables their own. */
static inline spinlock_t *pud_lockptr(struct mm_struct *mm, pud_t *pud)
{
	(void)pud;
	return &mm->page_table_lock;
}
static inline spinlock_t *pmd_lockptr(pmd_t *pmd) { return &hp_table_page(pmd)->ptl; }
static inline spinlock_t *pte_lockptr(pte_t *pte) { return &hp_table_page(pte)->ptl; }

/* Table entries. */
static inline pmd_t hp_mk_table_pmd(struct page *table)
{
	return __pmd(((pmdval_t)page_to_pfn(table) << PAGE_SHIFT) | _PAGE_TABLE);
}
static inline pud_t hp_mk_table_pud(struct page *table)
{
	return __pud(((pudval_t)page_to_pfn(table) << PAGE_SHIFT) | _PAGE_TABLE);
}
static inline p4d_t hp_mk_table_p4d(struct page *table)
{
	return __p4d(((p4dval_t)page_to_pfn(table) << PAGE_SHIFT) | _PAGE_TABLE);
}

#endif
