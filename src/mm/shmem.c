// SPDX-License-Identifier: MIT
/*
 * Shared anonymous memory: an object whose pages live in its page cache, so
 * every process mapping it (after fork, for instance) sees the same pages.
 * Mapped with normal, refcounted PTEs; no huge pages (shmem_enabled=never).
 */
#include <stdlib.h>

#include "mm/internal.h"

static vm_fault_t shmem_fault(struct vm_fault *vmf)
{
	struct address_space *mapping = vmf->vma->vm_file->f_mapping;
	struct page *page, *expected = NULL;

	if (vmf->pgoff >= mapping->nr_pages)
		return VM_FAULT_SIGBUS;
	HP_MODEL_POINT(HP_MODEL_READ, &mapping->pages[vmf->pgoff], sizeof(page), "page cache lookup");
	page = __atomic_load_n(&mapping->pages[vmf->pgoff], __ATOMIC_ACQUIRE);
	if (!page) {
		if (hp_should_fail(HP_FAIL_PAGE))
			return VM_FAULT_OOM;
		page = alloc_pages(__GFP_ZERO, 0);
		if (!page)
			return VM_FAULT_OOM;
		page->mapping = mapping;
		page->index = vmf->pgoff;
		/* Two faults may race to fill the slot: the loser frees its page. */
		HP_MODEL_POINT(HP_MODEL_WRITE, &mapping->pages[vmf->pgoff], sizeof(page),
			       "page cache insert");
		if (!__atomic_compare_exchange_n(&mapping->pages[vmf->pgoff], &expected,
						 page, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE)) {
			page->mapping = NULL;
			put_page(page);
			page = expected;
		}
	}
	get_page(page);		/* the mapping's reference, taken over by the PTE */
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct shmem_vm_ops = {
	.fault = shmem_fault,
};

static int shmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	(void)file;
	vma->vm_ops = &shmem_vm_ops;
	return 0;
}

static void shmem_release(struct file *file)
{
	struct address_space *mapping = file->f_mapping;

	for (unsigned long i = 0; i < mapping->nr_pages; i++) {
		if (mapping->pages[i]) {
			mapping->pages[i]->mapping = NULL;
			put_page(mapping->pages[i]);
		}
	}
	free(mapping->pages);
}

/* shmem's huge pages are off ("never"): no alignment for them (shmem_get_unmapped_area()). */
unsigned long shmem_get_unmapped_area(struct file *file, struct mm_struct *mm,
				      unsigned long addr, unsigned long len, unsigned long pgoff)
{
	(void)file;
	(void)pgoff;
	return mm_get_unmapped_area(mm, addr, len);
}

static const struct file_operations shmem_file_operations = {
	.mmap = shmem_mmap,
	.get_unmapped_area = shmem_get_unmapped_area,
	.release = shmem_release,
};

struct file *shmem_file_setup(unsigned long size)
{
	struct file *file = hp_file_create(&shmem_file_operations, NULL);

	if (!file)
		return NULL;
	file->f_mapping->nr_pages = size >> PAGE_SHIFT;
	file->f_mapping->pages = calloc(file->f_mapping->nr_pages, sizeof(struct page *));
	if (!file->f_mapping->pages) {
		file->f_mapping->nr_pages = 0;
		fput(file);
		return NULL;
	}
	return file;
}
