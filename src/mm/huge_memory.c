// SPDX-License-Identifier: MIT
/*
 * Huge PMD and PUD entries in the fault path: which VMAs may have them,
 * anonymous transparent huge pages, faults on existing huge leaves, splitting
 * and zapping.  The pfn-inserting helpers are in insert.c.
 *
 * A huge leaf is changed only under its lock: the PMD table's split lock for a
 * PMD, mm->page_table_lock for a PUD.
 */
#include <string.h>

#include "mm/internal.h"

/*
 * The orders a fault may try, as Linux 6.12's thp_vma_allowable_orders()
 * with TVA_IN_PF | TVA_ENFORCE_SYSFS decides them, for the THP sysfs mode
 * hugepfn runs with, "madvise" (huge_anon_orders_inherit = PMD, no mTHP):
 *  - VM_NOHUGEPAGE: none (vma_thp_disabled());
 *  - anonymous memory: a PMD where MADV_HUGEPAGE asked, never a PUD;
 *  - file VMAs: PMD and PUD for PFNMAP and MIXEDMAP ones
 *    (vma_is_special_huge(), THP_ORDERS_ALL_SPECIAL), PMD only for others;
 *    the sysfs mode is bypassed only for a VM_PFNMAP VMA with a huge_fault
 *    (vma_file_bypass_thp_tuneables()), so every other file VMA needs
 *    VM_HUGEPAGE, and then a huge_fault handler (vma_can_map_huge_file()).
 *    A VM_MIXEDMAP driver therefore sets VM_HUGEPAGE itself, as device-dax
 *    does in dax_mmap().
 */
bool thp_vma_allowable_order(struct vm_area_struct *vma, unsigned int order)
{
	if (vma->vm_flags & VM_NOHUGEPAGE)
		return false;
	if (vma_is_anonymous(vma))
		return order == PMD_ORDER && ((vma->vm_flags & VM_HUGEPAGE) ||
					      hp_mutated(HP_MUTATION_THP_ALWAYS));
	if (order != PMD_ORDER && !(order == PUD_ORDER && vma_is_special_huge(vma)))
		return false;
	if (!(vma->vm_flags & VM_PFNMAP) && !(vma->vm_flags & VM_HUGEPAGE))
		return false;
	return vma->vm_ops->huge_fault;
}

static bool range_in_vma(const struct vm_area_struct *vma, unsigned long start,
			 unsigned long size)
{
	return start >= vma->vm_start && start + size <= vma->vm_end &&
	       start + size > start;
}

/* ---- anonymous THP ------------------------------------------------------- */

static struct folio *alloc_anon_thp(void)
{
	struct folio *folio;

	if (hp_should_fail(HP_FAIL_THP))
		return NULL;
	folio = folio_alloc(__GFP_ZERO, PMD_ORDER);
	if (folio) {
		SetPageFlag(&folio->page, PG_anon);
		/* Exclusive while PMD-mapped is recorded on the head, as in Linux. */
		SetPageFlag(&folio->page, PG_anon_exclusive);
	}
	return folio;
}

/*
 * With the huge zero page disabled (use_zero_page = 0), a read fault gets a
 * THP too.  No THP to be had: fall back to 4 KiB pages.  The PTE table that is
 * deposited with the huge PMD is allocated first, so the split never fails.
 */
static vm_fault_t do_huge_pmd_anonymous_page(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long haddr = vmf->address & PMD_MASK;
	spinlock_t *ptl = pmd_lockptr(vmf->pmd);
	struct folio *folio;
	struct page *table;
	pmd_t entry;

	if (!range_in_vma(vma, haddr, PMD_SIZE))
		return VM_FAULT_FALLBACK;
	vmf_anon_prepare(vmf);	/* for reads too, as 6.12 */
	folio = alloc_anon_thp();
	if (!folio)
		return VM_FAULT_FALLBACK;
	table = pte_alloc_one(vma->vm_mm);
	if (!table) {
		folio_put(folio);
		return VM_FAULT_OOM;
	}
	entry = pmd_mkhuge(pfn_pmd(folio_pfn(folio), pgprot_4k_2_large(vma->vm_page_prot)));
	if (vma->vm_flags & VM_WRITE)
		entry = pmd_mkwrite(pmd_mkdirty(entry));

	spin_lock(ptl);
	if (!pmd_none(pmdp_get(vmf->pmd)) && !hp_mutated(HP_MUTATION_NO_PMD_RECHECK)) {
		spin_unlock(ptl);	/* a racing fault got there first */
		pte_free(vma->vm_mm, table);
		folio_put(folio);
		return 0;
	}
	pgtable_trans_huge_deposit(vma->vm_mm, vmf->pmd, table);
	atomic_store_explicit(&folio->page._entire_mapcount, 1, memory_order_relaxed);
	hp_mm_add_rss(vma->vm_mm, HPAGE_PMD_NR);
	set_pmd_at(vmf->pmd, entry);
	spin_unlock(ptl);
	return 0;
}

/* ---- faults on empty slots ----------------------------------------------- */

vm_fault_t create_huge_pud(struct vm_fault *vmf)
{
	if (vma_is_anonymous(vmf->vma))
		return VM_FAULT_FALLBACK;
	return vmf->vma->vm_ops->huge_fault(vmf, PUD_ORDER);
}

vm_fault_t create_huge_pmd(struct vm_fault *vmf)
{
	if (vma_is_anonymous(vmf->vma))
		return do_huge_pmd_anonymous_page(vmf);
	return vmf->vma->vm_ops->huge_fault(vmf, PMD_ORDER);
}

/* ---- faults on present huge leaves --------------------------------------- */

static void huge_pmd_set_accessed(struct vm_fault *vmf, pmd_t orig)
{
	spinlock_t *ptl = pmd_lockptr(vmf->pmd);
	pmd_t entry = pmd_mkyoung(orig);

	if (vmf->flags & FAULT_FLAG_WRITE)
		entry = pmd_mkdirty(entry);
	/* A compare-and-exchange: the MMU may set DIRTY on the leaf meanwhile. */
	spin_lock(ptl);
	hp_entry_cmpxchg(&vmf->pmd->pmd, pmd_val(orig), pmd_val(entry));
	spin_unlock(ptl);
}

static void huge_pud_set_accessed(struct vm_fault *vmf, pud_t orig)
{
	spinlock_t *ptl = pud_lockptr(vmf->vma->vm_mm, vmf->pud);
	pud_t entry = pud_mkyoung(orig);

	if (vmf->flags & FAULT_FLAG_WRITE)
		entry = pud_mkdirty(entry);
	spin_lock(ptl);
	hp_entry_cmpxchg(&vmf->pud->pud, pud_val(orig), pud_val(entry));
	spin_unlock(ptl);
}

/*
 * A write (or unshare) on a write-protected anonymous THP: reuse it if it is
 * this process's alone, else split it and let the PTE level copy the one
 * page concerned.
 */
static vm_fault_t do_huge_pmd_wp_page(struct vm_fault *vmf, pmd_t orig)
{
	struct vm_area_struct *vma = vmf->vma;
	spinlock_t *ptl = pmd_lockptr(vmf->pmd);
	struct page *page = vm_normal_page_pmd(vma, vmf->address, orig);

	spin_lock(ptl);
	if (!pmd_same(pmdp_get(vmf->pmd), orig)) {
		spin_unlock(ptl);
		return 0;
	}
	if (page && (PageAnonExclusive(page) || folio_ref_count(page_folio(page)) == 1)) {
		SetPageFlag(page, PG_anon_exclusive);
		if (vmf->flags & FAULT_FLAG_WRITE)
			set_pmd_at(vmf->pmd, pmd_mkyoung(pmd_mkdirty(pmd_mkwrite(orig))));
		spin_unlock(ptl);
		return 0;
	}
	spin_unlock(ptl);
	__split_huge_pmd(vma, vmf->pmd, vmf->address);
	return VM_FAULT_FALLBACK;
}

/*
 * A write to a write-protected huge pfn leaf.  A shared mapping asks its
 * driver again (which may make the entry writable); otherwise, or if the driver
 * falls back, the leaf goes and the fault continues one level down.
 */
static vm_fault_t wp_huge_pmd(struct vm_fault *vmf, pmd_t orig)
{
	struct vm_area_struct *vma = vmf->vma;
	vm_fault_t ret;

	if (vma_is_anonymous(vma))
		return do_huge_pmd_wp_page(vmf, orig);
	if ((vma->vm_flags & VM_SHARED) && vma->vm_ops->huge_fault) {
		ret = vma->vm_ops->huge_fault(vmf, PMD_ORDER);
		if (!(ret & VM_FAULT_FALLBACK))
			return ret;
	}
	__split_huge_pmd(vma, vmf->pmd, vmf->address);
	return VM_FAULT_FALLBACK;
}

static vm_fault_t wp_huge_pud(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	vm_fault_t ret;

	if ((vma->vm_flags & VM_SHARED) && vma->vm_ops && vma->vm_ops->huge_fault) {
		ret = vma->vm_ops->huge_fault(vmf, PUD_ORDER);
		if (!(ret & VM_FAULT_FALLBACK))
			return ret;
	}
	__split_huge_pud(vma, vmf->pud, vmf->address);
	return VM_FAULT_FALLBACK;
}

vm_fault_t hp_huge_pmd_fault(struct vm_fault *vmf, pmd_t orig)
{
	vmf->orig_pmd = orig;
	if ((vmf->flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE)) && !pmd_write(orig))
		return wp_huge_pmd(vmf, orig);
	huge_pmd_set_accessed(vmf, orig);
	return 0;
}

vm_fault_t hp_huge_pud_fault(struct vm_fault *vmf, pud_t orig)
{
	vmf->orig_pud = orig;
	if ((vmf->flags & FAULT_FLAG_WRITE) && !pud_write(orig))
		return wp_huge_pud(vmf);
	huge_pud_set_accessed(vmf, orig);
	return 0;
}

/* ---- split --------------------------------------------------------------- */

/*
 * Fills a PTE table with the 512 pages of a THP leaf, as 6.12's
 * __split_huge_pmd_locked() builds them: the VMA's protection, with the
 * leaf's write, young, dirty and soft-dirty state (pte_mkdirty() marks the
 * PTE soft-dirty too, even where the MMU set DIRTY alone on the leaf).
 */
static void fill_ptes_from_pmd(struct vm_area_struct *vma, pte_t *ptes, pmd_t leaf)
{
	pte_t proto = pfn_pte(0, vma->vm_page_prot);
	unsigned long pfn = pmd_pfn(leaf);

	if (pmd_write(leaf))
		proto = pte_mkwrite(proto);
	if (!pmd_young(leaf))
		proto = pte_mkold(proto);
	if (pmd_dirty(leaf))
		proto = pte_mkdirty(proto);
	if (pmd_flags(leaf) & _PAGE_SOFT_DIRTY)
		proto = pte_set_flags(proto, _PAGE_SOFT_DIRTY);
	for (unsigned long i = 0; i < PTRS_PER_PTE; i++)
		set_pte_at(&ptes[i], pfn_pte(pfn + i, pte_pgprot(proto)));
}

/*
 * An anonymous THP becomes 512 PTEs mapping the same pages, in the table that
 * was deposited for this moment.  Each PTE then holds its own folio reference
 * and page mapcount.  The leaf is swapped for the table with a compare and
 * exchange, so ACCESSED/DIRTY bits that the MMU sets meanwhile are not lost;
 * walkers see either the leaf or the table, which map the same bytes.
 */
static void split_anon_pmd_locked(struct vm_area_struct *vma, pmd_t *pmd,
				  struct folio *folio)
{
	struct page *table = pgtable_trans_huge_withdraw(vma->vm_mm, pmd);
	pte_t *ptes = page_address(table);
	pmd_t old;

	do {
		old = pmdp_get(pmd);
		fill_ptes_from_pmd(vma, ptes, old);
	} while (!hp_entry_cmpxchg(&pmd->pmd, pmd_val(old),
				   pmd_val(hp_mk_table_pmd(table))));
	for (unsigned long i = 0; i < HPAGE_PMD_NR; i++) {
		atomic_fetch_add_explicit(&folio_page(folio, i)->_mapcount, 1,
					  memory_order_relaxed);
		/* The head's exclusive mark now speaks for each page. */
		if (PageAnonExclusive(&folio->page))
			SetPageFlag(folio_page(folio, i), PG_anon_exclusive);
	}
	folio_ref_add(folio, HPAGE_PMD_NR - 1);
	atomic_fetch_sub_explicit(&folio->page._entire_mapcount, 1,
				  memory_order_relaxed);
}

/*
 * Huge pfn leaves have nothing smaller to become: they are zapped and refault
 * at whatever size then fits (the TTM series' "zap instead of split").
 */
void __split_huge_pmd(struct vm_area_struct *vma, pmd_t *pmd, unsigned long addr)
{
	spinlock_t *ptl = pmd_lockptr(pmd);
	struct page *page;
	pmd_t old;

	spin_lock(ptl);
	old = pmdp_get(pmd);
	if (!pmd_leaf(old)) {
		spin_unlock(ptl);
		return;
	}
	/* Only anonymous VMAs have THPs; every other leaf is a pfn leaf. */
	page = vma_is_anonymous(vma) ? vm_normal_page_pmd(vma, addr, old) : NULL;
	if (page) {
		split_anon_pmd_locked(vma, pmd, page_folio(page));
		spin_unlock(ptl);
		return;
	}
	pmdp_huge_get_and_clear(pmd);
	spin_unlock(ptl);
	if (pmd_devmap(old))
		hp_devmap_entry_put(pmd_pfn(old));
	flush_tlb_mm(vma->vm_mm);
}

void __split_huge_pud(struct vm_area_struct *vma, pud_t *pud, unsigned long addr)
{
	spinlock_t *ptl = pud_lockptr(vma->vm_mm, pud);
	pud_t old = __pud(0);

	(void)addr;
	spin_lock(ptl);
	if (pud_leaf(pudp_get(pud)))
		old = pudp_huge_get_and_clear(pud);
	spin_unlock(ptl);
	if (pud_none(old))
		return;
	if (pud_devmap(old))
		hp_devmap_entry_put(pud_pfn(old));
	flush_tlb_mm(vma->vm_mm);
}

/* ---- zap ----------------------------------------------------------------- */

/*
 * A whole huge leaf goes.  Only an anonymous THP holds anything: its folio
 * reference, its PMD mapcount and its deposited table.  Pfn leaves (special,
 * devmap, or the plain policy's unmarked ones) took no reference.
 */
bool zap_huge_pmd(struct mmu_gather *tlb, struct vm_area_struct *vma, pmd_t *pmd,
		  unsigned long addr)
{
	spinlock_t *ptl = pmd_lockptr(pmd);
	struct page *page;
	pmd_t old;

	spin_lock(ptl);
	if (!pmd_leaf(pmdp_get(pmd))) {
		spin_unlock(ptl);
		return false;
	}
	old = pmdp_huge_get_and_clear(pmd);
	tlb->need_flush = true;
	if (pmd_devmap(old))
		hp_devmap_entry_put(pmd_pfn(old));
	/*
	 * Decided by the VMA, as Linux does: a pfn leaf in a mixed map may point
	 * at a struct page (the plain policy's TTM pages), but holds nothing.
	 */
	page = vma_is_anonymous(vma) ? vm_normal_page_pmd(vma, addr, old) : NULL;
	if (page) {
		struct folio *folio = page_folio(page);

		atomic_fetch_sub_explicit(&folio->page._entire_mapcount, 1,
					  memory_order_relaxed);
		hp_mm_add_rss(vma->vm_mm, -(long)HPAGE_PMD_NR);
		tlb_remove_table(tlb, pgtable_trans_huge_withdraw(vma->vm_mm, pmd),
				 HP_TABLE_PTE);
		tlb_remove_folio(tlb, folio);
	}
	spin_unlock(ptl);
	return true;
}

/* No PUD leaf holds a reference: only pfns are ever mapped at this level. */
bool zap_huge_pud(struct mmu_gather *tlb, struct vm_area_struct *vma, pud_t *pud,
		  unsigned long addr)
{
	spinlock_t *ptl = pud_lockptr(vma->vm_mm, pud);
	bool zapped;

	(void)addr;
	spin_lock(ptl);
	zapped = pud_leaf(pudp_get(pud));
	if (zapped) {
		pud_t old = pudp_huge_get_and_clear(pud);

		tlb->need_flush = true;
		if (pud_devmap(old))
			hp_devmap_entry_put(pud_pfn(old));
	}
	spin_unlock(ptl);
	return zapped;
}
