// SPDX-License-Identifier: MIT
/*
 * A PCI BAR mapped like vfio-pci maps one: the whole BAR is one object, a
 * mapping's page offset is an offset into the BAR, and faults insert the
 * BAR's pfns at 4 KiB, or at PMD or PUD size when the huge range lies inside
 * the VMA and inside the BAR and the pfn is aligned to it.  Which marker the
 * huge entries get is not this driver's business: the helpers decide.
 */
#include <errno.h>
#include <stdlib.h>

#include "mm/internal.h"

struct hp_bar {
	const char *name;
	uint64_t size;
	unsigned long start_pfn;
	bool zone_device;
	struct file *file;
};

static unsigned long bar_pages(const struct hp_bar *bar)
{
	return bar->size >> PAGE_SHIFT;
}

/*
 * A ZONE_DEVICE page mapped by a PTE belongs to the file, as device-dax's
 * dax_set_mapping() records before the insert: gup-fast keeps small folios
 * only if they have a mapping (gup_fast_folio_allowed()).  Set once, before
 * the entry that publishes the page; faults racing to set it agree.  Huge
 * devmap leaves' pages are never looked at through ->mapping.
 */
static void bar_set_mapping(struct file *file, struct page *page)
{
	void *none = NULL;

	__atomic_compare_exchange_n(&page->mapping, &none, file->f_mapping, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static vm_fault_t bar_fault(struct vm_fault *vmf)
{
	struct hp_bar *bar = vmf->vma->vm_file->private_data;

	if (vmf->pgoff >= bar_pages(bar))
		return VM_FAULT_SIGBUS;
	if (bar->zone_device) {
		bar_set_mapping(vmf->vma->vm_file, pfn_to_page(bar->start_pfn + vmf->pgoff));
		return vmf_insert_mixed(vmf->vma, vmf->address, bar->start_pfn + vmf->pgoff);
	}
	return vmf_insert_pfn(vmf->vma, vmf->address, bar->start_pfn + vmf->pgoff);
}

static vm_fault_t bar_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct hp_bar *bar = vma->vm_file->private_data;
	unsigned long nr = 1UL << order;
	unsigned long haddr = vmf->address & ~((nr << PAGE_SHIFT) - 1);
	unsigned long pgoff = vma->vm_pgoff + ((haddr - vma->vm_start) >> PAGE_SHIFT);
	unsigned long pfn = bar->start_pfn + pgoff;
	bool write = vmf->flags & FAULT_FLAG_WRITE;

	if (haddr < vma->vm_start || haddr + (nr << PAGE_SHIFT) > vma->vm_end ||
	    pgoff + nr > bar_pages(bar) || pfn & (nr - 1))
		return VM_FAULT_FALLBACK;
	if (bar->zone_device)
		hp_memmap_populate(pfn, nr);	/* before the entry: GUP reaches every page */
	if (order == PUD_ORDER)
		return vmf_insert_pfn_pud(vmf, pfn, write);
	if (order == PMD_ORDER)
		return vmf_insert_pfn_pmd(vmf, pfn, write);
	return VM_FAULT_FALLBACK;
}

static const struct vm_operations_struct bar_vm_ops = {
	.fault = bar_fault,
	.huge_fault = bar_huge_fault,
};

/* Device memory is never copied on write: private writable maps are refused. */
static int bar_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct hp_bar *bar = file->private_data;
	unsigned long pages = (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;

	if (vma->vm_pgoff > bar_pages(bar) || pages > bar_pages(bar) - vma->vm_pgoff)
		return -EINVAL;
	if (is_cow_mapping(vma->vm_flags) && (vma->vm_flags & VM_WRITE))
		return -EINVAL;
	vma->vm_flags &= ~VM_MAYWRITE;
	if (vma->vm_flags & VM_SHARED)
		vma->vm_flags |= VM_MAYWRITE;
	/*
	 * ZONE_DEVICE memory is memory (DAX-like): struct pages, no VM_IO.  A
	 * mixed map gets huge entries only with VM_HUGEPAGE (the THP mode is
	 * "madvise"), which device-dax's dax_mmap() sets for the same reason.
	 */
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP |
			 (bar->zone_device ? VM_MIXEDMAP | VM_HUGEPAGE : VM_PFNMAP | VM_IO);
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vma->vm_ops = &bar_vm_ops;
	return 0;
}

/* The last mapping or the creator's reference went. */
static void bar_release(struct file *file)
{
	free(file->private_data);
}

static const struct file_operations bar_fops = {
	.mmap = bar_mmap,
	.release = bar_release,
};

struct hp_bar *hp_bar_create(const char *name, uint64_t size, bool zone_device)
{
	struct hp_bar *bar;

	if (!size || size & ~PAGE_MASK)
		return NULL;
	bar = calloc(1, sizeof(*bar));
	if (!bar)
		return NULL;
	bar->name = name;
	bar->size = size;
	bar->zone_device = zone_device;
	if (zone_device) {
		struct dev_pagemap *pgmap = memremap_pages(name, size, MEMORY_DEVICE_GENERIC);

		if (!pgmap)
			goto fail;
		bar->start_pfn = pgmap->start_pfn;
	} else if (hp_iomem_add(name, size, &bar->start_pfn)) {
		goto fail;
	}
	bar->file = hp_file_create(&bar_fops, bar);
	if (!bar->file)
		goto fail;
	return bar;
fail:
	free(bar);
	return NULL;
}

/* Mappings that remain keep the BAR's object alive until they go. */
void hp_bar_destroy(struct hp_bar *bar)
{
	fput(bar->file);
}

struct file *hp_bar_file(struct hp_bar *bar) { return bar->file; }
unsigned long hp_bar_pfn(const struct hp_bar *bar) { return bar->start_pfn; }
