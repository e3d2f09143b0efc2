// SPDX-License-Identifier: MIT
/*
 * ttm_bo_vm: CPU mappings of BOs.  A mapping is a window of the device file
 * at the BO's fake offset.  Faults run under the BO's reservation lock, so a
 * move (which unmaps first) and a fault never interleave: a fault either maps
 * the old placement before the move unmaps it, or the new one after.
 *
 * Huge faults map a PUD or PMD when the whole aligned range lies in the VMA
 * and in the BO, and its backing is physically contiguous and aligned; the
 * vmf_insert_pfn_pud/pmd() helpers decide what marks the entry.  Anything
 * else falls back to 4 KiB faults, which map the faulting page and prefault
 * up to TTM_BO_VM_NUM_PREFAULT - 1 following ones.
 */
#include <errno.h>

#include "mm/internal.h"
#include "ttm/ttm_internal.h"

/* The BO page that vmf->pgoff (an offset in the device file) points at. */
static unsigned long bo_page(const struct ttm_buffer_object *bo, const struct vm_fault *vmf)
{
	return vmf->pgoff - bo->vm_node_start;
}

static vm_fault_t ttm_bo_vm_fault_reserved(struct vm_fault *vmf, unsigned int num_prefault)
{
	struct vm_area_struct *vma = vmf->vma;
	struct ttm_buffer_object *bo = vma->vm_private_data;
	unsigned long page = bo_page(bo, vmf);
	pgprot_t prot = ttm_io_prot(bo, vma->vm_page_prot);

	if (page >= bo->num_pages)
		return VM_FAULT_SIGBUS;
	for (unsigned int i = 0; i < num_prefault; i++) {
		unsigned long addr = vmf->address + ((unsigned long)i << PAGE_SHIFT);
		vm_fault_t ret;

		if (addr >= vma->vm_end || page + i >= bo->num_pages)
			break;
		ret = vmf_insert_pfn_prot(vma, addr,
					  ttm_resource_pfn(bo->bdev, bo->resource, page + i), prot);
		/* Only the faulting page must succeed; prefault stops at the first failure. */
		if (ret & VM_FAULT_ERROR) {
			if (!i)
				return ret;
			break;
		}
	}
	return VM_FAULT_NOPAGE;
}

static vm_fault_t ttm_bo_vm_fault(struct vm_fault *vmf)
{
	struct ttm_buffer_object *bo = vmf->vma->vm_private_data;
	vm_fault_t ret;

	mutex_lock(&bo->resv);
	ret = ttm_bo_vm_fault_reserved(vmf, TTM_BO_VM_NUM_PREFAULT);
	mutex_unlock(&bo->resv);
	return ret;
}

static vm_fault_t ttm_bo_vm_insert_huge(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct ttm_buffer_object *bo = vma->vm_private_data;
	unsigned long nr = 1UL << order, size = nr << PAGE_SHIFT;
	unsigned long haddr = vmf->address & ~(size - 1);
	unsigned long first = bo_page(bo, vmf) - ((vmf->address - haddr) >> PAGE_SHIFT);
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	pgprot_t prot = ttm_io_prot(bo, vma->vm_page_prot);
	unsigned long pfn;

	if (haddr < vma->vm_start || haddr + size > vma->vm_end ||
	    first >= bo->num_pages || first + nr > bo->num_pages)
		return VM_FAULT_FALLBACK;
	if (!ttm_resource_contig(bo->bdev, bo->resource, first, nr, &pfn) || pfn & (nr - 1))
		return VM_FAULT_FALLBACK;
	if (order == PUD_ORDER)
		return vmf_insert_pfn_pud_prot(vmf, pfn, prot, write);
	return vmf_insert_pfn_pmd_prot(vmf, pfn, prot, write);
}

static vm_fault_t ttm_bo_vm_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct ttm_buffer_object *bo = vmf->vma->vm_private_data;
	vm_fault_t ret;

	if (order != PMD_ORDER && order != PUD_ORDER)
		return VM_FAULT_FALLBACK;
	mutex_lock(&bo->resv);
	ret = ttm_bo_vm_insert_huge(vmf, order);
	mutex_unlock(&bo->resv);
	return ret;
}

/* Each VMA holds a reference on its BO (fork and splits make new VMAs). */
static void ttm_bo_vm_open(struct vm_area_struct *vma)
{
	ttm_bo_get(vma->vm_private_data);
}

static void ttm_bo_vm_close(struct vm_area_struct *vma)
{
	ttm_bo_put(vma->vm_private_data);
}

static const struct vm_operations_struct ttm_bo_vm_ops = {
	.fault = ttm_bo_vm_fault,
	.huge_fault = ttm_bo_vm_huge_fault,
	.open = ttm_bo_vm_open,
	.close = ttm_bo_vm_close,
};

/*
 * The BO that starts at pgoff and is at least pages long, with a reference.
 * As drm_gem_mmap()'s exact lookup: a mapping must start at the BO's start
 * (a VMA split later may of course begin inside it).
 */
static struct ttm_buffer_object *ttm_bo_lookup_at(struct ttm_device *bdev, unsigned long pgoff,
						  unsigned long pages)
{
	struct ttm_buffer_object *bo, *found = NULL;

	spin_lock(&bdev->bos_lock);
	list_for_each_entry(bo, &bdev->bos, link) {
		if (pgoff == bo->vm_node_start) {
			if (pages <= bo->num_pages && ttm_bo_get_unless_zero(bo))
				found = bo;
			break;
		}
	}
	spin_unlock(&bdev->bos_lock);
	return found;
}

/*
 * As drm_gem_get_unmapped_area() of the kernel series (patch 4): a BO of
 * PUD_SIZE or more gets an address at which its own start, not its fake
 * offset, is PUD-aligned if the address space has room for the padding;
 * failing that, or for a BO of PMD_SIZE or more, a PMD-aligned start
 * (thp_get_unmapped_area()); anything else gets mm's plain choice.
 */
static unsigned long ttm_bo_get_unmapped_area(struct file *file, struct mm_struct *mm,
					      unsigned long addr, unsigned long len,
					      unsigned long pgoff)
{
	struct ttm_buffer_object *bo = ttm_bo_lookup_at(file->private_data, pgoff,
							len >> PAGE_SHIFT);
	unsigned long ret = 0;

	if (!bo)
		return mm_get_unmapped_area(mm, addr, len);
	pgoff -= bo->vm_node_start;
	if (bo->size >= PUD_SIZE)
		ret = hp_get_aligned_area(mm, addr, len, (uint64_t)pgoff << PAGE_SHIFT,
					  PUD_SIZE);
	if (!ret && bo->size >= PMD_SIZE)
		ret = thp_get_unmapped_area(mm, addr, len, pgoff, PMD_SIZE);
	else if (!ret)
		ret = mm_get_unmapped_area(mm, addr, len);
	ttm_bo_put(bo);
	return ret;
}

/* As TTM: no copy-on-write mappings, pure pfns, never expanded or dumped. */
static int ttm_bo_mmap_obj(struct file *file, struct vm_area_struct *vma)
{
	struct ttm_device *bdev = file->private_data;
	struct ttm_buffer_object *bo;

	if (is_cow_mapping(vma->vm_flags))
		return -EINVAL;
	bo = ttm_bo_lookup_at(bdev, vma->vm_pgoff, (vma->vm_end - vma->vm_start) >> PAGE_SHIFT);
	if (!bo)
		return -EINVAL;
	vma->vm_private_data = bo;
	vma->vm_ops = &ttm_bo_vm_ops;
	vma->vm_flags |= VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP;
	return 0;
}

const struct file_operations ttm_device_fops = {
	.mmap = ttm_bo_mmap_obj,
	.get_unmapped_area = ttm_bo_get_unmapped_area,
};
