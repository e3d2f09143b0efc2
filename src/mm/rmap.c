// SPDX-License-Identifier: MIT
/*
 * Reverse mapping for mapped objects: every VMA that maps a file is on its
 * address_space's i_mmap list, so a range of the object can be unmapped from
 * every process at once (what TTM does before it moves a buffer).
 *
 * Locking: the walk holds i_mmap_rwsem for read and no mmap lock.  A VMA on
 * the list cannot lose its page tables meanwhile: munmap and exit take VMAs
 * off the list (for write) before they free any table, and a VMA's bounds
 * change only under the same lock.  Faults may run concurrently; every entry
 * is cleared under its lock.
 */
#include "mm/internal.h"

static void zap_range(struct vm_area_struct *vma, unsigned long address,
		      unsigned long size, bool keep_cows)
{
	unsigned long end = address + size;
	struct mmu_gather tlb;

	if (address < vma->vm_start)
		address = vma->vm_start;
	if (end > vma->vm_end || end < address)
		end = vma->vm_end;
	if (address >= end)
		return;
	tlb_gather_mmu(&tlb, vma->vm_mm);
	tlb.keep_cows = keep_cows;
	hp_zap_range(&tlb, vma, address, end);
	tlb_finish_mmu(&tlb);
}

void zap_page_range_single(struct vm_area_struct *vma, unsigned long address,
			   unsigned long size)
{
	zap_range(vma, address, size, false);
}

void unmap_mapping_range(struct address_space *mapping, uint64_t holebegin,
			 uint64_t holelen, bool even_cows)
{
	pgoff_t first = holebegin >> PAGE_SHIFT;
	pgoff_t last = holelen ? first + ((holelen + PAGE_SIZE - 1) >> PAGE_SHIFT) - 1 :
				 ~(pgoff_t)0;
	struct vm_area_struct *vma;

	if (last < first)
		last = ~(pgoff_t)0;
	down_read(&mapping->i_mmap_rwsem);
	list_for_each_entry(vma, &mapping->i_mmap, shared) {
		pgoff_t vstart = vma->vm_pgoff;
		pgoff_t vend = vstart + ((vma->vm_end - vma->vm_start) >> PAGE_SHIFT) - 1;
		pgoff_t from, to;

		if (vend < first || vstart > last)
			continue;
		from = first > vstart ? first : vstart;
		to = last < vend ? last : vend;
		/* Private copies made by COW belong to the process, unless asked. */
		zap_range(vma, vma->vm_start + ((from - vstart) << PAGE_SHIFT),
			  (to - from + 1) << PAGE_SHIFT,
			  !even_cows && is_cow_mapping(vma->vm_flags));
	}
	up_read(&mapping->i_mmap_rwsem);
}
