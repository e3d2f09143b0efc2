/* SPDX-License-Identifier: MIT */
/* Internal view of the simulated physical memory. */
#ifndef HP_MEM_PHYSMEM_H
#define HP_MEM_PHYSMEM_H

#include <stdlib.h>

#include <hugepfn/memory.h>
#include "host/lock.h"
#include "host/list.h"

#define HP_MAX_REGIONS 16

/*
 * A device region: I/O memory (memmap == NULL) or ZONE_DEVICE (pgmap set).
 * A ZONE_DEVICE memmap is host address space reserved for every struct page
 * but written, and so paid for, one section at a time on first use, as
 * Linux's sparse vmemmap populates its sections (src/mem/physmem.c).
 */
struct hp_region {
	const char *name;
	unsigned long start_pfn;
	unsigned long nr_pages;
	char *host;
	struct page *memmap;
	struct dev_pagemap *pgmap;
	atomic_bool *section_ready;	/* one per HP_PAGES_PER_SECTION pages of memmap */
};

struct free_area {
	struct list_head free_list;
	unsigned long nr_free;
};

struct hp_physmem {
	char *ram;			/* host backing of [0, ram_pages) */
	unsigned long ram_pages;
	struct page *mem_map;
	struct hp_region regions[HP_MAX_REGIONS];
	unsigned int nr_regions;
	phys_addr_t next_device_phys;

	spinlock_t zone_lock;		/* protects free_area[] */
	struct free_area free_area[MAX_PAGE_ORDER + 1];
	atomic_ulong nr_free;

	struct mutex memmap_lock;	/* serialises populating memmap sections */
	atomic_ulong sections_populated;
};

extern struct hp_physmem physmem;

int hp_physmem_init(uint64_t ram_size);
/*
 * Zeroes I/O memory (VRAM) without touching it: the host pages behind it go
 * back to the host, so device memory never written costs no host memory.
 */
void hp_iomem_zero(phys_addr_t phys, uint64_t len);
void hp_physmem_exit(void);
int hp_page_alloc_init(void);
void hp_page_alloc_exit(void);
unsigned long hp_pgmap_refs_held(void);
void hp_violations_reset(void);

#endif
