// SPDX-License-Identifier: MIT
/*
 * Shared anonymous memory: an object whose pages live in its page cache, so
 * every process mapping it (after fork, for instance) sees the same pages.
 * Mapped with normal, refcounted PTEs; no huge pages (shmem_enabled=never).
 * Read faults map the cached pages around them too, as 6.12's shmem does
 * with filemap_map_pages().
 */
#include <stdlib.h>

#include "mm/internal.h"

/*
 * The page at index, or NULL.  Faults fill slots without a lock, so the load
 * is an acquire: it pairs with the insert's release and shows the page's
 * zeroed bytes and fields.  A page stays in its slot until the object goes.
 */
static struct page *page_cache_lookup(struct address_space *mapping, pgoff_t index)
{
	HP_MODEL_POINT(HP_MODEL_READ, &mapping->pages[index], sizeof(struct page *),
		       "page cache lookup");
	return __atomic_load_n(&mapping->pages[index], __ATOMIC_ACQUIRE);
}

static vm_fault_t shmem_fault(struct vm_fault *vmf)
{
	struct address_space *mapping = vmf->vma->vm_file->f_mapping;
	struct page *page, *expected = NULL;

	if (vmf->pgoff >= mapping->nr_pages)
		return VM_FAULT_SIGBUS;
	page = page_cache_lookup(mapping, vmf->pgoff);
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

/*
 * Fault-around (6.12's filemap_map_pages()): every page of [start_pgoff,
 * end_pgoff] already in the cache is mapped into an empty PTE, read-only or
 * not as the VMA's protection says, clean, each with its own reference.  A
 * shmem page in the cache is always up to date and never locked here, so
 * only a page not yet in the cache is left to ->fault.
 */
static vm_fault_t filemap_map_pages(struct vm_fault *vmf, pgoff_t start_pgoff,
				    pgoff_t end_pgoff)
{
	struct vm_area_struct *vma = vmf->vma;
	struct address_space *mapping = vma->vm_file->f_mapping;
	unsigned long addr = vma->vm_start + ((start_pgoff - vma->vm_pgoff) << PAGE_SHIFT);
	pte_t *pte = vmf->pte - (pte_index(vmf->address) - pte_index(addr));
	spinlock_t *ptl = pte_lockptr(vmf->pte);
	vm_fault_t ret = 0;

	if (end_pgoff >= mapping->nr_pages)
		end_pgoff = mapping->nr_pages - 1;
	spin_lock(ptl);
	for (pgoff_t index = start_pgoff; index <= end_pgoff; index++, pte++, addr += PAGE_SIZE) {
		struct page *page = page_cache_lookup(mapping, index);

		if (!page || !pte_none(ptep_get(pte)))
			continue;
		get_page(page);
		set_pte_range(vmf, page, pte, false);
		if (addr == vmf->address)
			ret = VM_FAULT_NOPAGE;
	}
	spin_unlock(ptl);
	return ret;
}

static const struct vm_operations_struct shmem_vm_ops = {
	.fault = shmem_fault,
	.map_pages = filemap_map_pages,
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
