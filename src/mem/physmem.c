// SPDX-License-Identifier: MIT
/*
 * The physical address space: RAM and device regions, their host backing,
 * their memmaps, and the pfn <-> struct page <-> host address conversions.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mem/physmem.h"

struct hp_physmem physmem;

/* Device regions start at 64 GiB, each on a 1 GiB boundary. */
#define DEVICE_PHYS_BASE	(64ULL << 30)

/*
 * Host memory that costs nothing until touched.  Host THPs (where the host
 * allows them) make touching it 512 times cheaper in host page faults; this is
 * invisible to the simulation.
 */
static void *reserve_host(uint64_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

static void release_host(void *p, uint64_t bytes)
{
	if (p)
		munmap(p, bytes);
}

/*
 * Zeroes host memory by giving its pages back: private anonymous memory reads
 * as zeros after MADV_DONTNEED and costs nothing until written again.  What is
 * not whole host pages is cleared by hand.
 */
static void zero_host(void *p, uint64_t bytes)
{
	uintptr_t mask = (uintptr_t)sysconf(_SC_PAGESIZE) - 1;

	if ((((uintptr_t)p | bytes) & mask) || madvise(p, bytes, MADV_DONTNEED))
		memset(p, 0, bytes);
}

static struct hp_region *region_add(const char *name, uint64_t size, bool memmap)
{
	struct hp_region *r;
	phys_addr_t start;

	if (physmem.nr_regions == HP_MAX_REGIONS)
		return NULL;
	start = physmem.next_device_phys;
	r = &physmem.regions[physmem.nr_regions];
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->start_pfn = start >> PAGE_SHIFT;
	r->nr_pages = size >> PAGE_SHIFT;
	r->host = reserve_host(size);
	if (!r->host)
		return NULL;
	if (memmap) {
		r->memmap = reserve_host(r->nr_pages * sizeof(struct page));
		r->section_ready = calloc((r->nr_pages + HP_PAGES_PER_SECTION - 1) / HP_PAGES_PER_SECTION,
					  sizeof(*r->section_ready));
		if (!r->memmap || !r->section_ready) {
			release_host(r->memmap, r->nr_pages * sizeof(struct page));
			free(r->section_ready);
			release_host(r->host, size);
			return NULL;
		}
	}
	physmem.next_device_phys = start + ((size + PUD_SIZE - 1) & PUD_MASK);
	physmem.nr_regions++;
	return r;
}

int hp_physmem_init(uint64_t ram_size)
{
	memset(&physmem, 0, sizeof(physmem));
	mutex_init(&physmem.memmap_lock);
	physmem.ram_pages = ram_size >> PAGE_SHIFT;
	physmem.ram = reserve_host(ram_size);
	physmem.mem_map = reserve_host(physmem.ram_pages * sizeof(struct page));
	if (!physmem.ram || !physmem.mem_map) {
		hp_physmem_exit();
		return -ENOMEM;
	}
	hp_mem_map = physmem.mem_map;
	hp_ram_pages = physmem.ram_pages;
	physmem.next_device_phys = ram_size > DEVICE_PHYS_BASE ?
		(ram_size + PUD_SIZE - 1) & PUD_MASK : DEVICE_PHYS_BASE;
	return 0;
}

void hp_physmem_exit(void)
{
	for (unsigned int i = 0; i < physmem.nr_regions; i++) {
		struct hp_region *r = &physmem.regions[i];

		release_host(r->host, r->nr_pages << PAGE_SHIFT);
		release_host(r->memmap, r->nr_pages * sizeof(struct page));
		free(r->section_ready);
		free(r->pgmap);
	}
	mutex_destroy(&physmem.memmap_lock);
	release_host(physmem.ram, physmem.ram_pages << PAGE_SHIFT);
	release_host(physmem.mem_map, physmem.ram_pages * sizeof(struct page));
	memset(&physmem, 0, sizeof(physmem));
	hp_mem_map = NULL;
	hp_ram_pages = 0;
}

static struct hp_region *pfn_to_region(unsigned long pfn)
{
	for (unsigned int i = 0; i < physmem.nr_regions; i++) {
		struct hp_region *r = &physmem.regions[i];

		if (pfn - r->start_pfn < r->nr_pages)
			return r;
	}
	return NULL;
}

struct page *hp_mem_map;
unsigned long hp_ram_pages;

bool __pfn_valid_device(unsigned long pfn)
{
	struct hp_region *r = pfn_to_region(pfn);

	return r && r->memmap;
}

/* ---- the ZONE_DEVICE memmap, a section at a time ------------------------- */

/* Writes the struct pages of section s of r's memmap, as memremap_pages() has them. */
static void memmap_init_section(struct hp_region *r, unsigned long s)
{
	unsigned long first = s * HP_PAGES_PER_SECTION;
	unsigned long last = first + HP_PAGES_PER_SECTION < r->nr_pages ?
			     first + HP_PAGES_PER_SECTION : r->nr_pages;

	for (unsigned long i = first; i < last; i++) {
		struct page *page = &r->memmap[i];

		atomic_init(&page->flags, 1UL << PG_zone_device);
		atomic_init(&page->_refcount, 1);
		page->pgmap = r->pgmap;
	}
}

/*
 * Section s of r's memmap, written on first use.  Ordering: the section's
 * struct pages are written under memmap_lock and published by the release
 * store of section_ready[s]; every reader first does the acquire load of
 * section_ready[s], so a reader that finds it set sees the struct pages
 * written, on any path, locked or lockless.  A reader that finds it clear
 * takes memmap_lock and looks again (two first uses agree on one writer).
 * Lockless GUP never gets here with a clear flag: a device pfn reaches a page
 * table only through a fault, which populated every section of the entry
 * (hp_memmap_populate()) before it set the entry.
 */
static void memmap_section_populate(struct hp_region *r, unsigned long s)
{
	if (atomic_load_explicit(&r->section_ready[s], memory_order_acquire))
		return;
	mutex_lock(&physmem.memmap_lock);
	if (!atomic_load_explicit(&r->section_ready[s], memory_order_relaxed)) {
		memmap_init_section(r, s);
		atomic_fetch_add_explicit(&physmem.sections_populated, 1, memory_order_relaxed);
		atomic_store_explicit(&r->section_ready[s], true, memory_order_release);
	}
	mutex_unlock(&physmem.memmap_lock);
}

void hp_memmap_populate(unsigned long pfn, unsigned long nr)
{
	struct hp_region *r = pfn_to_region(pfn);

	if (!r || !r->memmap || !nr)
		return;
	for (unsigned long s = (pfn - r->start_pfn) / HP_PAGES_PER_SECTION;
	     s <= (pfn - r->start_pfn + nr - 1) / HP_PAGES_PER_SECTION; s++)
		memmap_section_populate(r, s);
}

unsigned long hp_memmap_sections_populated(void)
{
	return atomic_load_explicit(&physmem.sections_populated, memory_order_relaxed);
}

struct page *__pfn_to_page_device(unsigned long pfn)
{
	struct hp_region *r = pfn_to_region(pfn);

	if (r && r->memmap) {
		memmap_section_populate(r, (pfn - r->start_pfn) / HP_PAGES_PER_SECTION);
		return &r->memmap[pfn - r->start_pfn];
	}
	hp_report_violation(pfn, HP_LEVEL_NONE, "pfn_to_page",
			    "pfn has no struct page");
	return NULL;
}

unsigned long page_to_pfn(const struct page *page)
{
	if (page >= physmem.mem_map && page < physmem.mem_map + physmem.ram_pages)
		return page - physmem.mem_map;
	for (unsigned int i = 0; i < physmem.nr_regions; i++) {
		struct hp_region *r = &physmem.regions[i];

		if (r->memmap && page >= r->memmap && page < r->memmap + r->nr_pages)
			return r->start_pfn + (page - r->memmap);
	}
	hp_report_violation(0, HP_LEVEL_NONE, "page_to_pfn",
			    "pointer is not a struct page");
	return 0;
}

void *__va(phys_addr_t phys)
{
	unsigned long pfn = phys >> PAGE_SHIFT;
	struct hp_region *r;

	if (pfn < physmem.ram_pages)
		return physmem.ram + phys;
	r = pfn_to_region(pfn);
	if (!r)
		return NULL;
	return r->host + (phys - ((phys_addr_t)r->start_pfn << PAGE_SHIFT));
}

phys_addr_t __pa(const void *host)
{
	return (const char *)host - physmem.ram;
}

void *page_address(const struct page *page)
{
	return __va((phys_addr_t)page_to_pfn(page) << PAGE_SHIFT);
}

unsigned long hp_totalram_pages(void)
{
	return physmem.ram_pages;
}

void hp_iomem_zero(phys_addr_t phys, uint64_t len)
{
	zero_host(__va(phys), len);
}

int hp_iomem_add(const char *name, uint64_t size, unsigned long *start_pfn)
{
	struct hp_region *r;

	if (!size || size & ~PAGE_MASK)
		return -EINVAL;
	r = region_add(name, size, false);
	if (!r)
		return -ENOMEM;
	*start_pfn = r->start_pfn;
	return 0;
}

struct dev_pagemap *memremap_pages(const char *name, uint64_t size,
				   enum memory_type type)
{
	struct dev_pagemap *pgmap;
	struct hp_region *r;

	if (!size || size & ~PAGE_MASK)
		return NULL;
	pgmap = calloc(1, sizeof(*pgmap));
	if (!pgmap)
		return NULL;
	r = region_add(name, size, true);
	if (!r) {
		free(pgmap);
		return NULL;
	}
	pgmap->start_pfn = r->start_pfn;
	pgmap->nr_pages = r->nr_pages;
	pgmap->type = type;
	pgmap->name = name;
	atomic_init(&pgmap->ref, 1);
	r->pgmap = pgmap;	/* its struct pages are written when first used */
	return pgmap;
}

struct dev_pagemap *hp_pfn_pagemap(unsigned long pfn)
{
	struct hp_region *r = pfn < physmem.ram_pages ? NULL : pfn_to_region(pfn);

	return r ? r->pgmap : NULL;
}

struct dev_pagemap *get_dev_pagemap(unsigned long pfn)
{
	struct dev_pagemap *pgmap = hp_pfn_pagemap(pfn);

	if (pgmap)
		atomic_fetch_add_explicit(&pgmap->ref, 1, memory_order_relaxed);
	return pgmap;
}

void put_dev_pagemap(struct dev_pagemap *pgmap)
{
	if (pgmap)
		atomic_fetch_sub_explicit(&pgmap->ref, 1, memory_order_release);
}

unsigned long hp_pgmap_refs_held(void)
{
	unsigned long held = 0;

	for (unsigned int i = 0; i < physmem.nr_regions; i++) {
		struct dev_pagemap *pgmap = physmem.regions[i].pgmap;

		if (pgmap)
			held += atomic_load(&pgmap->ref) - 1;
	}
	return held;
}
