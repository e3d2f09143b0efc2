// SPDX-License-Identifier: MIT
/*
 * mprotect(): new vm_flags for whole VMAs (split at the edges of the range),
 * then every present entry in the range takes the new protection through
 * pXd_modify(), which keeps the pfn, caching, ACCESSED/DIRTY and the
 * software bits: a special huge leaf stays special.  A huge leaf only partly
 * in the range is split first (a pfn leaf is zapped and refaults).
 *
 * Private writable memory gets the read-only PAGE_COPY protection as at
 * mmap, but, as in Linux 6.12 (MM_CP_TRY_CHANGE_WRITABLE), entries whose
 * write fault would only make them writable -- exclusive anonymous pages,
 * PTE or THP -- are made writable at once; the others (the zero page, pages
 * fork shares) keep faulting and copying.
 */
#include <errno.h>

#include "mm/internal.h"

/* The VMA's caching bits survive a change of its access bits. */
static pgprot_t pgprot_modify(pgprot_t old, pgprot_t new)
{
	return __pgprot((pgprot_val(new) & ~_PAGE_CACHE_MASK) |
			(pgprot_val(old) & _PAGE_CACHE_MASK));
}

/*
 * 6.12's vma_wants_manual_pte_write_upgrade(): a private writable VMA must
 * look at each entry.  A shared one would only if it wanted write
 * notification (vma_wants_writenotify()), which no hugepfn mapping does:
 * there is no page_mkwrite or pfn_mkwrite, no dirty accounting, and
 * soft-dirty tracking is off (VM_SOFTDIRTY, set at mmap, is never cleared).
 */
static bool vma_wants_manual_pte_write_upgrade(const struct vm_area_struct *vma)
{
	return !(vma->vm_flags & VM_SHARED) && (vma->vm_flags & VM_WRITE);
}

/*
 * 6.12's can_change_pte_writable() and can_change_pmd_writable() for a
 * private VMA: only an exclusive anonymous page may be written without the
 * fault, which would reuse it without further checks under the same lock.
 * PROT_NONE entries stay as they are.
 */
static bool page_is_exclusive_anon(struct page *page)
{
	return page && PageAnon(page) && PageAnonExclusive(page);
}

static bool can_change_pte_writable(struct vm_area_struct *vma, unsigned long addr, pte_t pte)
{
	return !pte_protnone(pte) && page_is_exclusive_anon(vm_normal_page(vma, addr, pte));
}

static bool can_change_pmd_writable(struct vm_area_struct *vma, unsigned long addr, pmd_t pmd)
{
	return !pmd_protnone(pmd) && page_is_exclusive_anon(vm_normal_page_pmd(vma, addr, pmd));
}

static pte_t change_pte(struct vm_area_struct *vma, unsigned long addr, pte_t old,
			pgprot_t prot, bool try_writable)
{
	pte_t pte = pte_modify(old, prot);

	if (try_writable && !pte_write(pte) && can_change_pte_writable(vma, addr, pte))
		pte = pte_mkwrite(pte);
	return pte;
}

/* Entries are rewritten with compare-and-exchange: the MMU may set A/D meanwhile. */
static void change_pte_range(struct vm_area_struct *vma, pmd_t *pmd, unsigned long addr,
			     unsigned long end, pgprot_t prot, bool try_writable,
			     bool *changed)
{
	pte_t *pte = pte_offset(pmd, addr);
	spinlock_t *ptl = pte_lockptr(pte);

	spin_lock(ptl);
	for (; addr < end; addr += PAGE_SIZE, pte++) {
		pte_t old;

		do {
			old = ptep_get(pte);
		} while (pte_present(old) &&
			 !hp_entry_cmpxchg(&pte->pte, pte_val(old),
					   pte_val(change_pte(vma, addr, old, prot, try_writable))));
		*changed |= pte_present(old);
	}
	spin_unlock(ptl);
}

static pmd_t change_pmd(struct vm_area_struct *vma, unsigned long addr, pmd_t old,
			pgprot_t prot, bool try_writable)
{
	pmd_t pmd = pmd_modify(old, pgprot_4k_2_large(prot));

	if (try_writable && !pmd_write(pmd) && can_change_pmd_writable(vma, addr, pmd))
		pmd = pmd_mkwrite(pmd);
	return pmd;
}

static void change_huge_pmd(struct vm_area_struct *vma, pmd_t *pmd, unsigned long addr,
			    pgprot_t prot, bool try_writable, bool *changed)
{
	spinlock_t *ptl = pmd_lockptr(pmd);
	pmd_t old;

	spin_lock(ptl);
	do {
		old = pmdp_get(pmd);
	} while (pmd_leaf(old) &&
		 !hp_entry_cmpxchg(&pmd->pmd, pmd_val(old),
				   pmd_val(change_pmd(vma, addr, old, prot, try_writable))));
	*changed |= pmd_leaf(old);
	spin_unlock(ptl);
}

static void change_huge_pud(struct mm_struct *mm, pud_t *pud, pgprot_t prot, bool *changed)
{
	spinlock_t *ptl = pud_lockptr(mm, pud);
	pud_t old;

	spin_lock(ptl);
	do {
		old = pudp_get(pud);
	} while (pud_leaf(old) &&
		 !hp_entry_cmpxchg(&pud->pud, pud_val(old),
				   pud_val(pud_modify(old, pgprot_4k_2_large(prot)))));
	*changed |= pud_leaf(old);
	spin_unlock(ptl);
}


static void change_pmd_range(struct vm_area_struct *vma, pud_t *pud, unsigned long addr,
			     unsigned long end, pgprot_t prot, bool *changed)
{
	bool try_writable = vma_wants_manual_pte_write_upgrade(vma);
	pmd_t *pmd = pmd_offset(pud, addr);

	for (; addr < end; pmd++) {
		unsigned long next = pmd_addr_end(addr, end);
		pmd_t val = pmdp_get_lockless(pmd);

		if (pmd_leaf(val) && next - addr == PMD_SIZE) {
			change_huge_pmd(vma, pmd, addr, prot, try_writable, changed);
			addr = next;
			continue;
		}
		if (pmd_leaf(val)) {
			__split_huge_pmd(vma, pmd, addr);
			val = pmdp_get_lockless(pmd);
		}
		if (!pmd_none(val) && !pmd_leaf(val))
			change_pte_range(vma, pmd, addr, next, prot, try_writable, changed);
		addr = next;
	}
}

static void change_protection(struct vm_area_struct *vma, unsigned long addr,
			      unsigned long end, pgprot_t prot)
{
	struct mm_struct *mm = vma->vm_mm;
	bool changed = false;

	for (; addr < end;) {
		unsigned long next = pgd_addr_end(addr, end);
		p4d_t *p4d = p4d_offset(pgd_offset(mm, addr), addr);

		if (!p4d_none(p4dp_get_lockless(p4d))) {
			pud_t *pud = pud_offset(p4d, addr);

			for (; addr < next; pud++) {
				unsigned long pnext = pud_addr_end(addr, next);
				pud_t val = pudp_get_lockless(pud);

				if (pud_leaf(val) && pnext - addr == PUD_SIZE) {
					change_huge_pud(mm, pud, prot, &changed);
				} else {
					if (pud_leaf(val))
						__split_huge_pud(vma, pud, addr);
					if (!pud_none(pudp_get_lockless(pud)))
						change_pmd_range(vma, pud, addr, pnext, prot, &changed);
				}
				addr = pnext;
			}
		}
		addr = next;
	}
	/* Accesses in flight under the old protection finish before we return. */
	if (changed)
		flush_tlb_mm(mm);
}

static int check_range(struct mm_struct *mm, unsigned long start, unsigned long end,
		       unsigned long prot)
{
	struct vm_area_struct *vma = find_vma(mm, start);
	unsigned long addr = start;

	for (; addr < end; addr = vma->vm_end, vma = hp_vma_next(vma)) {
		if (!vma || vma->vm_start > addr)
			return -ENOMEM;		/* a hole, as Linux reports it */
		/* A new access right needs its VM_MAY* bit, shared or private. */
		unsigned long want = (prot & PROT_READ ? VM_READ : 0) |
				     (prot & PROT_WRITE ? VM_WRITE : 0) |
				     (prot & PROT_EXEC ? VM_EXEC : 0);

		if (want & ~(vma->vm_flags >> 4))
			return -EACCES;
	}
	return 0;
}

int hp_mprotect(struct mm_struct *mm, unsigned long start, size_t len, unsigned long prot)
{
	unsigned long end = start + ((len + PAGE_SIZE - 1) & PAGE_MASK);
	struct vm_area_struct *vma;
	int err;

	if (start & ~PAGE_MASK || end < start || end > TASK_SIZE_MAX ||
	    prot & ~(unsigned long)(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	if (end == start)
		return 0;
	down_write(&mm->mmap_lock);
	err = check_range(mm, start, end, prot);
	if (!err)
		err = hp_split_vmas_at(mm, start, end);
	if (err)
		goto out;
	hp_for_each_vma(mm, vma, start, end) {
		unsigned long flags = vma->vm_flags & ~(VM_READ | VM_WRITE | VM_EXEC);

		if (vma->vm_start < start || vma->vm_end > end)
			continue;
		if (prot & PROT_READ)
			flags |= VM_READ;
		if (prot & PROT_WRITE)
			flags |= VM_WRITE;
		if (prot & PROT_EXEC)
			flags |= VM_EXEC;
		if (flags == vma->vm_flags)
			continue;	/* as 6.12's mprotect_fixup(): nothing to change */
		/* rmap walkers read a file VMA's flags under i_mmap_rwsem only. */
		if (vma->vm_file)
			down_write(&vma->vm_file->f_mapping->i_mmap_rwsem);
		vma->vm_flags = flags;
		vma->vm_page_prot = pgprot_modify(vma->vm_page_prot, vm_get_page_prot(flags));
		if (vma->vm_file)
			up_write(&vma->vm_file->f_mapping->i_mmap_rwsem);
		change_protection(vma, vma->vm_start, vma->vm_end, vma->vm_page_prot);
	}
out:
	up_write(&mm->mmap_lock);
	return err;
}
