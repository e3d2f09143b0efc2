// SPDX-License-Identifier: MIT
/*
 * mremap(): shrinking a mapping (an munmap of its tail), growing it in place
 * when nothing follows it, and moving it (MREMAP_MAYMOVE, MREMAP_FIXED,
 * MREMAP_DONTUNMAP), with the checks and errnos of Linux 6.12's mm/mremap.c.
 *
 * A move makes the new VMA first (linked on its file's rmap after the old
 * one), moves the entries across with move_page_tables(), and only then
 * unmaps the old range, whose emptied tables go through the mmu_gather.
 * move_page_tables() takes, for each step, the largest thing both addresses
 * allow, as 6.12 does on x86 (which has HAVE_MOVE_PUD and HAVE_MOVE_PMD):
 *
 *   PUD slot   a whole PMD table, when 1 GiB lines up on both sides;
 *              a huge PUD leaf never gets that far: get_old_pud() asks
 *              pud_none_or_clear_bad() first, and x86's pud_bad() is true
 *              for every leaf, so the leaf is reported as a bad pud and
 *              cleared (no flush), and the new range refaults.  6.12's
 *              huge-PUD branch (move_huge_pud) is unreachable on x86;
 *   PMD slot   a huge leaf when 2 MiB line up (move_huge_pmd), else the leaf
 *              is split: a THP into PTEs, which then move, a pfn leaf is
 *              zapped and refaults; a whole PTE table when 2 MiB line up;
 *   PTE        one entry at a time (move_ptes).
 * A moved leaf or PTE is marked soft-dirty (CONFIG_MEM_SOFT_DIRTY, as the
 * rest of the model); a moved table keeps its entries as they were.
 *
 * Locking and ordering: mmap_lock is held for write throughout, so no fault
 * runs and no table is freed meanwhile.  An entry moves under the locks of
 * both its tables: an atomic exchange clears the old slot, a release store
 * fills the new one (whose table was zeroed before it was published), and
 * the TLB flush -- a grace period here, since the MMU and gup-fast walk
 * inside RCU read-side sections -- happens before the locks are dropped, as
 * in 6.12.  So a gup-fast that read the old entry either sees the clear when
 * it re-reads and gives its reference back, or re-read it first and holds a
 * page that stays mapped (at the new address): mremap waits for its section
 * to end before going on, as 6.12's flush IPI waits for gup-fast's
 * interrupts-off section.  One that reads the new slot sees nothing (and
 * falls back to the slow path, which waits for the mmap lock) or the moved
 * entry.  A walker that read an upper slot before its table moved keeps a
 * live table (moved tables are not freed); a PTE grab re-reads its PMD slot,
 * now empty, and gives up.
 *
 * rmap: unmap_mapping_range() walks i_mmap without the mmap lock.  The new
 * VMA is added at the tail of i_mmap, after the old one, so a walk visits
 * the old range before the new one: an entry not yet moved is zapped at the
 * old address, one already moved at the new, and the locks of the tables
 * order each entry's move against its zap (the traversal-order argument of
 * 6.12's move_ptes()).  Moving a whole table has no such per-entry order, so
 * it takes i_mmap_rwsem for write (6.12's need_rmap_locks = true there).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "mm/internal.h"

static atomic_ulong bad_puds;

unsigned long hp_bad_pud_count(void)
{
	return atomic_load_explicit(&bad_puds, memory_order_relaxed);
}

static unsigned long page_align(unsigned long len)
{
	return (len + PAGE_SIZE - 1) & PAGE_MASK;
}

/* The VMA that contains addr (6.12's vma_lookup), or NULL. */
static struct vm_area_struct *vma_lookup(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	return vma && vma->vm_start <= addr ? vma : NULL;
}

/* ---- the old and the new slots -------------------------------------------- */

/*
 * pud_clear_bad() as 6.12 does it: the kernel's message, then the slot is
 * cleared without a TLB flush.  The exchange (6.12 stores a zero) lets a
 * racing rmap zap of the same leaf see either the leaf or nothing, so the
 * devmap reference, which is the model's own bookkeeping (6.12 keeps none per
 * entry), is dropped exactly once.
 */
static void pud_clear_bad(pud_t *pud)
{
	pud_t old = pudp_huge_get_and_clear(pud);

	if (pud_none(old))
		return;		/* zapped through the rmap meanwhile */
	atomic_fetch_add_explicit(&bad_puds, 1, memory_order_relaxed);
	/* 6.12's pud_ERROR(), as it reads in the kernel log (it expands in pgtable-generic.c). */
	fprintf(stderr, "mm/pgtable-generic.c:42: bad pud %p(%016llx)\n", (void *)pud,
		(unsigned long long)pud_val(old));
	if (pud_devmap(old))
		hp_devmap_entry_put(pud_pfn(old));
}

/*
 * The PUD slot for addr if it points at a table.  Upper slots change only
 * with the mmap lock held for write (ours); a PUD leaf may be zapped through
 * the rmap meanwhile, so it is read as lockless.  With four levels the PGD
 * (P4D) slot is a table or empty, never bad.
 */
static pud_t *get_old_pud(struct mm_struct *mm, unsigned long addr)
{
	p4d_t p4d = p4dp_get(p4d_offset(pgd_offset(mm, addr), addr));
	pud_t *pud;
	pud_t val;

	if (p4d_none(p4d))
		return NULL;
	pud = pud_offset_lockless(p4d, addr);
	val = pudp_get_lockless(pud);
	if (pud_none(val))
		return NULL;
	if (pud_bad(val)) {
		pud_clear_bad(pud);
		return NULL;
	}
	return pud;
}

static pmd_t *get_old_pmd(struct mm_struct *mm, unsigned long addr)
{
	pud_t *pud = get_old_pud(mm, addr);
	pmd_t *pmd;

	if (!pud)
		return NULL;
	pmd = pmd_offset(pud, addr);
	return pmd_none(pmdp_get_lockless(pmd)) ? NULL : pmd;
}

static pud_t *alloc_new_pud(struct mm_struct *mm, unsigned long addr)
{
	return pud_alloc(mm, p4d_offset(pgd_offset(mm, addr), addr), addr);
}

/* No leaf can be there: the new range was empty and faults are shut out. */
static pmd_t *alloc_new_pmd(struct mm_struct *mm, unsigned long addr)
{
	pud_t *pud = alloc_new_pud(mm, addr);

	return pud ? pmd_alloc(mm, pud, addr) : NULL;
}

/* ---- moving one thing ---------------------------------------------------- */

/*
 * The rmap lock a move takes when rmap walkers could otherwise miss an
 * entry in both places (6.12 also takes the anon_vma lock; the model has no
 * anon_vma, nothing walks anonymous memory by its pages).
 */
static void take_rmap_locks(struct vm_area_struct *vma, bool need)
{
	if (need && vma->vm_file)
		down_write(&vma->vm_file->f_mapping->i_mmap_rwsem);
}

static void drop_rmap_locks(struct vm_area_struct *vma, bool need)
{
	if (need && vma->vm_file)
		up_write(&vma->vm_file->f_mapping->i_mmap_rwsem);
}

/*
 * Both tables' locks.  Nobody else ever holds two of one mm's table locks
 * (mmap_lock for write keeps other movers out), so any order is safe; 6.12
 * takes the old one first and tells lockdep so.  Here they go in address
 * order, which ThreadSanitizer can see is consistent between a move and the
 * move back after a failure.
 */
static void lock_pair(spinlock_t *old_ptl, spinlock_t *new_ptl)
{
	spinlock_t *first = old_ptl < new_ptl ? old_ptl : new_ptl;
	spinlock_t *second = old_ptl < new_ptl ? new_ptl : old_ptl;

	spin_lock(first);
	if (second != first)
		spin_lock(second);
}

static void unlock_pair(spinlock_t *old_ptl, spinlock_t *new_ptl)
{
	if (new_ptl != old_ptl)
		spin_unlock(new_ptl);
	spin_unlock(old_ptl);
}

static void move_ptes(struct vm_area_struct *vma, pmd_t *old_pmd, unsigned long old_addr,
		      unsigned long old_end, pmd_t *new_pmd, unsigned long new_addr,
		      bool need_rmap_locks)
{
	pte_t *old_pte = pte_offset(old_pmd, old_addr), *new_pte = pte_offset(new_pmd, new_addr);
	spinlock_t *old_ptl = pte_lockptr(old_pte), *new_ptl = pte_lockptr(new_pte);
	bool flush = false;

	take_rmap_locks(vma, need_rmap_locks);
	lock_pair(old_ptl, new_ptl);
	for (; old_addr < old_end; old_addr += PAGE_SIZE, old_pte++, new_pte++) {
		pte_t pte;

		if (pte_none(ptep_get(old_pte)))
			continue;
		pte = ptep_get_and_clear(old_pte);
		if (pte_present(pte)) {
			flush = true;
			pte = pte_set_flags(pte, _PAGE_SOFT_DIRTY);
		}
		set_pte_at(new_pte, pte);
	}
	/* Before the locks go: the old translation must be gone before anyone can unmap the new one. */
	if (flush)
		flush_tlb_mm(vma->vm_mm);
	unlock_pair(old_ptl, new_ptl);
	drop_rmap_locks(vma, need_rmap_locks);
}

/* A whole PTE table changes slots; its entries stay as they are. */
static bool move_normal_pmd(struct vm_area_struct *vma, pmd_t *old_pmd, pmd_t *new_pmd)
{
	spinlock_t *old_ptl = pmd_lockptr(old_pmd), *new_ptl = pmd_lockptr(new_pmd);

	/* 6.12 warns once here: free_pgtables() should have emptied the slot. */
	if (!pmd_none(pmdp_get_lockless(new_pmd)))
		return false;
	take_rmap_locks(vma, true);
	lock_pair(old_ptl, new_ptl);
	set_pmd_at(new_pmd, pmdp_huge_get_and_clear(old_pmd));
	flush_tlb_mm(vma->vm_mm);
	unlock_pair(old_ptl, new_ptl);
	drop_rmap_locks(vma, true);
	return true;
}

/* A whole PMD table changes slots (THP deposits, kept on it, go along). */
static bool move_normal_pud(struct vm_area_struct *vma, pud_t *old_pud, pud_t *new_pud)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *old_ptl = pud_lockptr(mm, old_pud), *new_ptl = pud_lockptr(mm, new_pud);

	if (!pud_none(pudp_get_lockless(new_pud)))
		return false;
	take_rmap_locks(vma, true);
	lock_pair(old_ptl, new_ptl);
	set_pud_at(new_pud, pudp_huge_get_and_clear(old_pud));
	flush_tlb_mm(mm);
	unlock_pair(old_ptl, new_ptl);
	drop_rmap_locks(vma, true);
	return true;
}

/*
 * A huge PMD leaf changes slots (mm/huge_memory.c move_huge_pmd).  A THP's
 * deposited table hangs off the PMD table, so it follows the leaf when the
 * leaf changes tables.
 */
static bool move_huge_pmd(struct vm_area_struct *vma, pmd_t *old_pmd, pmd_t *new_pmd,
			  bool need_rmap_locks)
{
	spinlock_t *old_ptl = pmd_lockptr(old_pmd), *new_ptl = pmd_lockptr(new_pmd);
	bool moved = false;
	pmd_t pmd;

	if (!pmd_none(pmdp_get_lockless(new_pmd)))
		return false;
	take_rmap_locks(vma, need_rmap_locks);
	lock_pair(old_ptl, new_ptl);
	if (pmd_leaf(pmdp_get(old_pmd))) {
		pmd = pmdp_huge_get_and_clear(old_pmd);
		if (new_ptl != old_ptl && vma_is_anonymous(vma))
			pgtable_trans_huge_deposit(vma->vm_mm, new_pmd,
						   pgtable_trans_huge_withdraw(vma->vm_mm, old_pmd));
		/* A leaf is always present to pmd_present(): soft-dirty, and flush. */
		set_pmd_at(new_pmd, pmd_set_flags(pmd, _PAGE_SOFT_DIRTY));
		flush_tlb_mm(vma->vm_mm);
		moved = true;
	}
	unlock_pair(old_ptl, new_ptl);
	drop_rmap_locks(vma, need_rmap_locks);
	return moved;
}

/* ---- move_page_tables ---------------------------------------------------- */

/* How far one step may go: to the next size boundary of either side, or the end. */
static unsigned long get_extent(unsigned long size, unsigned long old_addr,
				unsigned long old_end, unsigned long new_addr)
{
	unsigned long extent = ((old_addr + size) & ~(size - 1)) - old_addr;
	unsigned long new_extent = ((new_addr + size) & ~(size - 1)) - new_addr;

	if (extent > old_end - old_addr)
		extent = old_end - old_addr;
	return extent < new_extent ? extent : new_extent;
}

/* Aligning addr down to mask must not take in another mapping. */
static bool can_align_down(struct vm_area_struct *vma, unsigned long addr, unsigned long mask)
{
	return vma->vm_start == addr && !hp_span_has_vma(vma->vm_mm, addr & mask, addr);
}

/*
 * Both addresses equally far past a PMD boundary, both VMA starts, nothing
 * mapped below either down to the boundary: start at the boundaries, so whole
 * PTE tables can move.
 */
static void try_realign_addr(unsigned long *old_addr, struct vm_area_struct *vma,
			     unsigned long *new_addr, struct vm_area_struct *new_vma)
{
	if (!(*old_addr & ~PMD_MASK) || (*old_addr & ~PMD_MASK) != (*new_addr & ~PMD_MASK))
		return;
	if (!can_align_down(vma, *old_addr, PMD_MASK) ||
	    !can_align_down(new_vma, *new_addr, PMD_MASK))
		return;
	*old_addr &= PMD_MASK;
	*new_addr &= PMD_MASK;
}

/* One PMD-sized step or less, at old_pmd; false if a table could not be had. */
static bool move_pmd_extent(struct vm_area_struct *vma, pmd_t *old_pmd,
			    unsigned long old_addr, pmd_t *new_pmd, unsigned long new_addr,
			    unsigned long extent, bool need_rmap_locks)
{
	struct mm_struct *mm = vma->vm_mm;

	if (pmd_leaf(pmdp_get_lockless(old_pmd))) {
		if (extent == PMD_SIZE && move_huge_pmd(vma, old_pmd, new_pmd, need_rmap_locks))
			return true;
		__split_huge_pmd(vma, old_pmd, old_addr);
	} else if (extent == PMD_SIZE && move_normal_pmd(vma, old_pmd, new_pmd)) {
		return true;
	}
	if (pmd_none(pmdp_get_lockless(old_pmd)))
		return true;	/* a pfn leaf was zapped: it refaults at the new address */
	if (pmd_none(pmdp_get_lockless(new_pmd)) && __pte_alloc(mm, new_pmd))
		return false;
	move_ptes(vma, old_pmd, old_addr, old_addr + extent, new_pmd, new_addr, need_rmap_locks);
	return true;
}

/*
 * Moves the entries of [old_addr, old_addr + len) of vma to new_addr in
 * new_vma; returns how many bytes were done (less if a table allocation
 * failed).
 */
static unsigned long move_page_tables(struct vm_area_struct *vma, unsigned long old_addr,
				      struct vm_area_struct *new_vma, unsigned long new_addr,
				      unsigned long len, bool need_rmap_locks)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long old_end = old_addr + len, extent;

	if (!len)
		return 0;
	if (len >= PMD_SIZE - (old_addr & ~PMD_MASK))
		try_realign_addr(&old_addr, vma, &new_addr, new_vma);
	for (; old_addr < old_end; old_addr += extent, new_addr += extent) {
		pud_t *old_pud, *new_pud;
		pmd_t *old_pmd, *new_pmd;

		extent = get_extent(PUD_SIZE, old_addr, old_end, new_addr);
		old_pud = get_old_pud(mm, old_addr);
		if (!old_pud)
			continue;
		new_pud = alloc_new_pud(mm, new_addr);
		if (!new_pud)
			break;
		if (extent == PUD_SIZE && move_normal_pud(vma, old_pud, new_pud))
			continue;
		extent = get_extent(PMD_SIZE, old_addr, old_end, new_addr);
		old_pmd = get_old_pmd(mm, old_addr);
		if (!old_pmd)
			continue;
		new_pmd = alloc_new_pmd(mm, new_addr);
		if (!new_pmd || !move_pmd_extent(vma, old_pmd, old_addr, new_pmd, new_addr,
						 extent, need_rmap_locks))
			break;
	}
	/* A realigned start that failed at once has done nothing of the range. */
	if (old_addr < old_end - len)
		return 0;
	return len + old_addr - old_end;
}

/* ---- VMAs ---------------------------------------------------------------- */

/*
 * The VMA for [addr, addr + len) at file page pgoff, a copy of vma, linked in
 * the mm and on its file's rmap (after vma).  hugepfn never merges VMAs, so
 * it is always a new one, and 6.12's need_rmap_locks is false for it.
 */
static struct vm_area_struct *copy_vma(struct vm_area_struct *vma, unsigned long addr,
				       unsigned long len, unsigned long pgoff)
{
	struct vm_area_struct *new = vm_area_dup(vma);

	if (!new)
		return NULL;
	new->vm_start = addr;
	new->vm_end = addr + len;
	new->vm_pgoff = pgoff;
	hp_vma_insert(vma->vm_mm, new);
	if (new->vm_file)
		atomic_fetch_add(&new->vm_file->f_count, 1);
	if (new->vm_ops && new->vm_ops->open)
		new->vm_ops->open(new);
	if (new->vm_file)
		hp_vma_link_file(new);
	return new;
}

static unsigned long move_vma(struct vm_area_struct *vma, unsigned long old_addr,
			      unsigned long old_len, unsigned long new_len,
			      unsigned long new_addr, unsigned long flags)
{
	unsigned long pgoff = vma->vm_pgoff + ((old_addr - vma->vm_start) >> PAGE_SHIFT);
	struct vm_area_struct *new_vma = copy_vma(vma, new_addr, new_len, pgoff);
	unsigned long moved, ret = new_addr;

	if (!new_vma)
		return -ENOMEM;
	moved = move_page_tables(vma, old_addr, new_vma, new_addr, old_len, false);
	if (moved < old_len) {
		/* Back where they came from (those tables are all still there); the new range goes. */
		move_page_tables(new_vma, new_addr, vma, old_addr, moved, true);
		old_addr = new_addr;
		old_len = new_len;
		ret = -ENOMEM;
	} else if (flags & MREMAP_DONTUNMAP) {
		return new_addr;	/* the old VMA stays, empty: it refaults */
	}
	/* As in 6.12 a failure here (no memory to split a VMA) is not reported. */
	hp_do_munmap(vma->vm_mm, old_addr, old_len);
	return ret;
}

/* 6.12's vma_to_resize(): the VMA at addr, if [addr, addr + old_len) may become new_len. */
static struct vm_area_struct *vma_to_resize(struct mm_struct *mm, unsigned long addr,
					    unsigned long old_len, unsigned long new_len,
					    unsigned long flags)
{
	struct vm_area_struct *vma = vma_lookup(mm, addr);
	unsigned long pgoff;

	if (!vma)
		return ERR_PTR(-EFAULT);
	/* Duplicating a mapping (old_len 0) makes sense only for a shared one. */
	if (!old_len && !(vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
		return ERR_PTR(-EINVAL);
	if ((flags & MREMAP_DONTUNMAP) && (vma->vm_flags & (VM_DONTEXPAND | VM_PFNMAP)))
		return ERR_PTR(-EINVAL);
	if (old_len > vma->vm_end - addr)
		return ERR_PTR(-EFAULT);
	if (new_len == old_len)
		return vma;
	pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	if (pgoff + (new_len >> PAGE_SHIFT) < pgoff)
		return ERR_PTR(-EINVAL);
	/* Pfn maps and drivers' mappings never grow (no rlimits are modelled). */
	if (vma->vm_flags & (VM_DONTEXPAND | VM_PFNMAP))
		return ERR_PTR(-EFAULT);
	return vma;
}

/* MREMAP_FIXED or MREMAP_DONTUNMAP: a move to new_addr, or near it. */
static unsigned long mremap_to(struct mm_struct *mm, unsigned long addr, unsigned long old_len,
			       unsigned long new_addr, unsigned long new_len, unsigned long flags)
{
	struct vm_area_struct *vma;
	unsigned long ret;

	if (new_addr & ~PAGE_MASK || new_len > TASK_SIZE_MAX || new_addr > TASK_SIZE_MAX - new_len)
		return -EINVAL;
	if (addr + old_len > new_addr && new_addr + new_len > addr)
		return -EINVAL;		/* the two ranges overlap */
	/* As in 6.12, what is unmapped here stays unmapped if a later check fails. */
	if (flags & MREMAP_FIXED) {
		ret = hp_do_munmap(mm, new_addr, new_len);
		if (ret)
			return ret;
	}
	if (old_len > new_len) {
		ret = hp_do_munmap(mm, addr + new_len, old_len - new_len);
		if (ret)
			return ret;
		old_len = new_len;
	}
	vma = vma_to_resize(mm, addr, old_len, new_len, flags);
	if (IS_ERR(vma))
		return PTR_ERR(vma);
	ret = hp_get_unmapped_area(mm, vma->vm_file, new_addr, new_len,
				   vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT),
				   (flags & MREMAP_FIXED ? MAP_FIXED : 0) |
				   (vma->vm_flags & VM_MAYSHARE ? MAP_SHARED : MAP_PRIVATE));
	if (IS_ERR_VALUE(ret))
		return ret;
	return move_vma(vma, addr, old_len, new_len, ret, flags);
}

/* Nothing mapped in the delta bytes after vma, and they stay below TASK_SIZE. */
static bool vma_expandable(struct vm_area_struct *vma, unsigned long delta)
{
	unsigned long end = vma->vm_end + delta;

	return end > vma->vm_end && end <= TASK_SIZE_MAX &&
	       !hp_span_has_vma(vma->vm_mm, vma->vm_end, end);
}

/* rmap walkers read a file VMA's bounds under i_mmap_rwsem only. */
static void vma_set_end(struct vm_area_struct *vma, unsigned long end)
{
	struct address_space *mapping = vma->vm_file ? vma->vm_file->f_mapping : NULL;

	if (mapping)
		down_write(&mapping->i_mmap_rwsem);
	vma->vm_end = end;
	if (mapping)
		up_write(&mapping->i_mmap_rwsem);
	hp_vma_resized(vma->vm_mm, vma);
}

/* Growing: in place if the VMA ends where the range does and room follows, else a move. */
static unsigned long mremap_grow(struct mm_struct *mm, unsigned long addr, unsigned long old_len,
				 unsigned long new_len, unsigned long flags)
{
	struct vm_area_struct *vma = vma_to_resize(mm, addr, old_len, new_len, flags);
	unsigned long new_addr;

	if (IS_ERR(vma))
		return PTR_ERR(vma);
	if (old_len == vma->vm_end - addr && vma_expandable(vma, new_len - old_len)) {
		vma_set_end(vma, addr + new_len);
		return addr;
	}
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	new_addr = hp_get_unmapped_area(mm, vma->vm_file, 0, new_len,
					vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT),
					vma->vm_flags & VM_MAYSHARE ? MAP_SHARED : MAP_PRIVATE);
	if (IS_ERR_VALUE(new_addr))
		return new_addr;
	return move_vma(vma, addr, old_len, new_len, new_addr, flags);
}

static unsigned long mremap_locked(struct mm_struct *mm, unsigned long addr,
				   unsigned long old_len, unsigned long new_len,
				   unsigned long flags, unsigned long new_addr)
{
	long err;

	if (!vma_lookup(mm, addr))
		return -EFAULT;
	if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP))
		return mremap_to(mm, addr, old_len, new_addr, new_len, flags);
	if (old_len == new_len)
		return addr;
	if (old_len > new_len) {
		err = hp_do_munmap(mm, addr + new_len, old_len - new_len);
		return err ? (unsigned long)err : addr;
	}
	return mremap_grow(mm, addr, old_len, new_len, flags);
}

unsigned long hp_mremap(struct mm_struct *mm, unsigned long addr, unsigned long old_len,
			unsigned long new_len, unsigned long flags, unsigned long new_addr)
{
	unsigned long ret;

	if (flags & ~(unsigned long)(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	/* DONTUNMAP is always a move, and never a resize. */
	if ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || old_len != new_len))
		return -EINVAL;
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	old_len = page_align(old_len);
	new_len = page_align(new_len);
	if (!new_len)
		return -EINVAL;
	down_write(&mm->mmap_lock);
	ret = mremap_locked(mm, addr, old_len, new_len, flags, new_addr);
	up_write(&mm->mmap_lock);
	return ret;
}
