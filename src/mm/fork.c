// SPDX-License-Identifier: MIT
/*
 * fork(): a new address space with the same VMAs.  Private memory is shared
 * copy-on-write (both sides write-protected; the first write copies).  Pfn
 * mappings copy their entries as they are: huge special leaves included, no
 * reference taken, shared writable mappings staying writable.  Shared
 * anonymous memory is not copied: the child refaults from the shared object.
 *
 * The parent's mmap lock is held for write throughout, so its tables cannot
 * change except through rmap zaps and the MMU's ACCESSED/DIRTY updates; every
 * entry is read and write-protected under its lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mm/internal.h"

struct copy_ctx {
	struct vm_area_struct *dst_vma, *src_vma;
	struct mm_struct *dst_mm;
	bool cow;
};

/* A pinned anonymous page cannot be shared: the child gets its own copy now. */
static int copy_pinned_page(struct copy_ctx *c, pte_t *dst, struct page *page)
{
	struct folio *copy = hp_alloc_anon_folio();

	if (!copy)
		return -ENOMEM;
	memcpy(page_address(&copy->page), page_address(page), PAGE_SIZE);
	atomic_fetch_add_explicit(&copy->page._mapcount, 1, memory_order_relaxed);
	hp_mm_add_rss(c->dst_mm, 1);
	set_pte_at(dst, hp_mk_anon_pte(c->dst_vma, copy));
	return 0;
}

static int copy_pte(struct copy_ctx *c, pte_t *dst, pte_t *src, unsigned long addr)
{
	pte_t pte = ptep_get(src);
	struct page *page = vm_normal_page(c->src_vma, addr, pte);

	if (page && PageAnon(page) && folio_maybe_dma_pinned(page_folio(page)))
		return copy_pinned_page(c, dst, page);
	if (page) {
		folio_get(page_folio(page));
		atomic_fetch_add_explicit(&page->_mapcount, 1, memory_order_relaxed);
		hp_mm_add_rss(c->dst_mm, 1);
		ClearPageFlag(page, PG_anon_exclusive);	/* shared with the child now */
	}
	if (pte_devmap(pte))
		hp_devmap_entry_get(pte_pfn(pte));
	if (c->cow && pte_write(pte)) {
		ptep_set_wrprotect(src);
		pte = pte_wrprotect(pte);
	}
	if (c->src_vma->vm_flags & VM_SHARED)
		pte = pte_mkclean(pte);
	set_pte_at(dst, pte_mkold(pte));
	return 0;
}

static int copy_pte_range(struct copy_ctx *c, pmd_t *dst_pmd, pmd_t *src_pmd,
			  unsigned long addr, unsigned long end)
{
	pte_t *src, *dst;
	spinlock_t *src_ptl, *dst_ptl;
	int err = 0;

	if (pmd_none(pmdp_get_lockless(dst_pmd)) && __pte_alloc(c->dst_mm, dst_pmd))
		return -ENOMEM;
	src = pte_offset(src_pmd, addr);
	dst = pte_offset(dst_pmd, addr);
	src_ptl = pte_lockptr(src);
	dst_ptl = pte_lockptr(dst);
	spin_lock(src_ptl);
	spin_lock(dst_ptl);
	for (; addr < end && !err; addr += PAGE_SIZE, src++, dst++)
		if (!pte_none(ptep_get(src)))
			err = copy_pte(c, dst, src, addr);
	spin_unlock(dst_ptl);
	spin_unlock(src_ptl);
	return err;
}

/*
 * A huge PMD leaf.  Special: copied as it is, made old.  Anonymous THP: shared
 * write-protected with a fresh deposit for the child, unless it is pinned, in
 * which case it is split and copied at PTE level (-EAGAIN).  Unmarked or
 * devmap pfn leaves are left out, as in Linux: the child refaults them.
 */
static int copy_huge_pmd(struct copy_ctx *c, pmd_t *dst, pmd_t *src, unsigned long addr)
{
	spinlock_t *src_ptl = pmd_lockptr(src), *dst_ptl = pmd_lockptr(dst);
	struct page *table = NULL;
	struct folio *folio;
	pmd_t pmd = pmdp_get_lockless(src);

	if (!pmd_special(pmd) && !vma_is_anonymous(c->src_vma))
		return 0;
	if (!pmd_special(pmd)) {
		table = pte_alloc_one(c->dst_mm);
		if (!table)
			return -ENOMEM;
	}
	spin_lock(src_ptl);
	spin_lock(dst_ptl);
	pmd = pmdp_get(src);
	if (!pmd_leaf(pmd))
		goto changed;
	if (pmd_special(pmd)) {
		if (c->cow && pmd_write(pmd)) {
			pmdp_set_wrprotect(src);
			pmd = pmd_wrprotect(pmd);
		}
		set_pmd_at(dst, pmd_mkold(pmd));
		goto unlock;
	}
	folio = page_folio(pfn_to_page(pmd_pfn(pmd)));
	if (folio_maybe_dma_pinned(folio)) {
		spin_unlock(dst_ptl);
		spin_unlock(src_ptl);
		pte_free(c->dst_mm, table);
		__split_huge_pmd(c->src_vma, src, addr);
		return -EAGAIN;
	}
	folio_get(folio);
	ClearPageFlag(&folio->page, PG_anon_exclusive);
	atomic_fetch_add_explicit(&folio->page._entire_mapcount, 1, memory_order_relaxed);
	hp_mm_add_rss(c->dst_mm, HPAGE_PMD_NR);
	pmdp_set_wrprotect(src);
	pgtable_trans_huge_deposit(c->dst_mm, dst, table);
	set_pmd_at(dst, pmd_mkold(pmd_wrprotect(pmd)));
	table = NULL;
	goto unlock;
changed:
	spin_unlock(dst_ptl);
	spin_unlock(src_ptl);
	if (table)
		pte_free(c->dst_mm, table);
	return pmd_none(pmd) ? 0 : -EAGAIN;
unlock:
	spin_unlock(dst_ptl);
	spin_unlock(src_ptl);
	if (table)
		pte_free(c->dst_mm, table);
	return 0;
}

/* PUD leaves are only ever pfn leaves. */
static void copy_huge_pud(struct copy_ctx *c, pud_t *dst, pud_t *src)
{
	spinlock_t *src_ptl = pud_lockptr(c->src_vma->vm_mm, src);
	spinlock_t *dst_ptl = pud_lockptr(c->dst_mm, dst);
	pud_t pud;

	spin_lock(src_ptl);
	spin_lock(dst_ptl);
	pud = pudp_get(src);
	if (pud_leaf(pud)) {
		if (c->cow && pud_write(pud)) {
			pudp_set_wrprotect(src);
			pud = pud_wrprotect(pud);
		}
		if (pud_devmap(pud))
			hp_devmap_entry_get(pud_pfn(pud));
		set_pud_at(dst, pud_mkold(pud));
	}
	spin_unlock(dst_ptl);
	spin_unlock(src_ptl);
}


static int copy_pmd_range(struct copy_ctx *c, pud_t *dst_pud, pud_t *src_pud,
			  unsigned long addr, unsigned long end)
{
	pmd_t *src = pmd_offset(src_pud, addr);
	pmd_t *dst = pmd_alloc(c->dst_mm, dst_pud, addr);

	if (!dst)
		return -ENOMEM;
	for (; addr < end; src++, dst++) {
		unsigned long next = pmd_addr_end(addr, end);
		pmd_t pmd = pmdp_get_lockless(src);
		int err = 0;

		if (pmd_leaf(pmd))
			err = copy_huge_pmd(c, dst, src, addr);
		if (err == -EAGAIN || (!pmd_leaf(pmd) && !pmd_none(pmd)))
			err = copy_pte_range(c, dst, src, addr, next);
		if (err)
			return err;
		addr = next;
	}
	return 0;
}

static int copy_pud_range(struct copy_ctx *c, p4d_t *dst_p4d, p4d_t *src_p4d,
			  unsigned long addr, unsigned long end)
{
	pud_t *src = pud_offset(src_p4d, addr);
	pud_t *dst = pud_alloc(c->dst_mm, dst_p4d, addr);

	if (!dst)
		return -ENOMEM;
	for (; addr < end; src++, dst++) {
		unsigned long next = pud_addr_end(addr, end);
		pud_t pud = pudp_get_lockless(src);
		int err;

		if (pud_leaf(pud))
			copy_huge_pud(c, dst, src);
		else if (!pud_none(pud) && (err = copy_pmd_range(c, dst, src, addr, next)))
			return err;
		addr = next;
	}
	return 0;
}

static int copy_page_range(struct copy_ctx *c)
{
	unsigned long addr = c->src_vma->vm_start, end = c->src_vma->vm_end;

	for (; addr < end;) {
		unsigned long next = pgd_addr_end(addr, end);
		p4d_t *src = p4d_offset(pgd_offset(c->src_vma->vm_mm, addr), addr);
		p4d_t *dst = p4d_offset(pgd_offset(c->dst_mm, addr), addr);
		int err;

		if (!p4d_none(p4dp_get_lockless(src)) &&
		    (err = copy_pud_range(c, dst, src, addr, next)))
			return err;
		addr = next;
	}
	return 0;
}

/*
 * As Linux 6.12's vma_needs_copy(): pfn mappings are copied (a fault could
 * not rebuild what a driver inserted), and so is any VMA that ever mapped an
 * anonymous page; everything else -- shared memory, a private mapping only
 * read so far (zero pages, an object's pages) -- refaults in the child.
 * (uffd-wp, the other reason in 6.12, is not modelled.)
 */
static bool vma_needs_copy(const struct vm_area_struct *vma)
{
	return (vma->vm_flags & (VM_PFNMAP | VM_MIXEDMAP)) ||
	       atomic_load_explicit(&vma->anon_vma, memory_order_relaxed);
}

/* A copy of src in mm, after prev: the copy of the VMA before src, if any. */
static struct vm_area_struct *dup_vma(struct mm_struct *mm, struct vm_area_struct *src,
				      struct vm_area_struct *prev)
{
	struct vm_area_struct *vma = vm_area_dup(src);

	if (!vma)
		return NULL;
	vma->vm_mm = mm;
	hp_vma_insert_after(mm, prev, vma);
	if (vma->vm_file) {
		atomic_fetch_add(&vma->vm_file->f_count, 1);
		hp_vma_link_file(vma);
	}
	if (vma->vm_ops && vma->vm_ops->open)
		vma->vm_ops->open(vma);
	return vma;
}

static int dup_mmap(struct mm_struct *mm, struct mm_struct *oldmm)
{
	struct vm_area_struct *src, *prev = NULL;

	for (src = find_vma(oldmm, 0); src; src = hp_vma_next(src)) {
		struct copy_ctx c = {
			.src_vma = src,
			.dst_mm = mm,
			.cow = is_cow_mapping(src->vm_flags),
		};
		int err;

		c.dst_vma = prev = dup_vma(mm, src, prev);
		if (!c.dst_vma)
			return -ENOMEM;
		if (vma_needs_copy(src) && (err = copy_page_range(&c)))
			return err;
	}
	return 0;
}

struct mm_struct *hp_fork(struct mm_struct *oldmm)
{
	struct mm_struct *mm = mm_alloc();
	int err;

	if (!mm)
		return NULL;
	down_write(&oldmm->mmap_lock);
	/* See gup_fast(): a full fence between this and reading pin counts. */
	HP_MODEL_POINT(HP_MODEL_WRITE, &oldmm->write_protect_seq,
		       sizeof(oldmm->write_protect_seq), "raw_write_seqcount_begin");
	atomic_fetch_add_explicit(&oldmm->write_protect_seq, 1, memory_order_seq_cst);
	atomic_thread_fence(memory_order_seq_cst);
	err = dup_mmap(mm, oldmm);
	HP_MODEL_POINT(HP_MODEL_WRITE, &oldmm->write_protect_seq,
		       sizeof(oldmm->write_protect_seq), "raw_write_seqcount_end");
	atomic_fetch_add_explicit(&oldmm->write_protect_seq, 1, memory_order_release);
	/* Writes in flight through entries now read-only must land before we return. */
	flush_tlb_mm(oldmm);
	up_write(&oldmm->mmap_lock);
	if (err) {
		mmput(mm);
		return NULL;
	}
	return mm;
}
