/* SPDX-License-Identifier: MIT */
/*
 * Simulated physical memory.
 *
 * Physical address space:
 *   [0, ram_size)          RAM, with a memmap (one struct page per pfn)
 *   from 64 GiB upwards    device regions, each 1 GiB aligned:
 *                          - I/O memory (a VRAM BAR): no memmap, pfn_valid() false
 *                          - ZONE_DEVICE memory: a memmap and a struct dev_pagemap
 * Every region is backed by host memory reserved sparsely, so untouched
 * simulated memory costs nothing and every byte a mapping reaches is real.
 */
#ifndef HUGEPFN_MEMORY_H
#define HUGEPFN_MEMORY_H

#include <hugepfn/pgtable.h>
#include <hugepfn/types.h>

HP_BEGIN_DECLS

/* Page flags (bit numbers in page->flags). */
enum pageflags {
	PG_head,	/* first page of a compound page (a large folio) */
	PG_buddy,	/* free, in the page allocator; page->order is its order */
	PG_table,	/* a page-table page */
	PG_reserved,	/* never allocated or freed (the zero page) */
	PG_anon,	/* anonymous memory (Linux encodes this in ->mapping) */
	PG_zone_device,	/* belongs to a ZONE_DEVICE region */
	PG_owner_priv,	/* owned by a driver that maps it special (TTM) */
	PG_anon_exclusive, /* anonymous, mapped by one process only: writes may reuse it */
};

enum memory_type {
	MEMORY_DEVICE_GENERIC = 1,	/* CPU-addressable device memory */
	MEMORY_DEVICE_FS_DAX,
};

struct dev_pagemap {
	unsigned long start_pfn;
	unsigned long nr_pages;
	enum memory_type type;
	atomic_long ref;	/* Linux's percpu_ref: one per lookup, one base */
	const char *name;
};

/*
 * One per RAM or ZONE_DEVICE pfn.  A large folio is a compound page: its head
 * carries the order, the pin count and the PMD mapcount, every tail points at
 * the head through compound_head (bit 0 set).
 */
struct page {
	atomic_ulong flags;
	atomic_int _refcount;
	atomic_int _mapcount;		/* PTE mappings of this page */
	unsigned long compound_head;	/* tails: head address | 1 */
	unsigned int order;		/* head and free blocks: compound order */
	atomic_int _pincount;		/* head of a large folio: FOLL_PIN pins */
	atomic_int _entire_mapcount;	/* head of a large folio: PMD mappings */
	struct dev_pagemap *pgmap;	/* ZONE_DEVICE pages */
	void *mapping;			/* the address_space of a shared page */
	pgoff_t index;			/* page offset within ->mapping */
	struct list_head lru;		/* free lists; deposited page tables */
	spinlock_t ptl;			/* page-table pages: split page-table lock */
	struct page *pmd_huge_pte;	/* PMD tables: deposited PTE tables */
};

/* A folio is a head (or order-0) page viewed as a whole. */
struct folio {
	struct page page;
};

typedef struct page *pgtable_t;

/* GFP flags understood by the page allocator. */
#define __GFP_ZERO	0x1u
#define __GFP_COMP	0x2u
#define GFP_KERNEL	0u
#define GFP_PGTABLE_USER (__GFP_ZERO)
#define MAX_PAGE_ORDER	10	/* 4 MiB, as Linux's buddy allocator */

/* The pfn range given to struct pages. */
/*
 * RAM is the common case and the hot one (every GUP, every fault): its
 * memmap is checked inline; device regions take the out-of-line path.
 * hp_mem_map and hp_ram_pages are written once by hp_machine_init(), before
 * any other thread may use the machine, so plain reads suffice.
 */
extern struct page *hp_mem_map;
extern unsigned long hp_ram_pages;
bool __pfn_valid_device(unsigned long pfn);
struct page *__pfn_to_page_device(unsigned long pfn);
static inline bool pfn_valid(unsigned long pfn)
{
	return pfn < hp_ram_pages || __pfn_valid_device(pfn);
}
static inline struct page *pfn_to_page(unsigned long pfn)
{
	return pfn < hp_ram_pages ? &hp_mem_map[pfn] : __pfn_to_page_device(pfn);
}
unsigned long page_to_pfn(const struct page *page);
void *__va(phys_addr_t phys);
phys_addr_t __pa(const void *host);
void *page_address(const struct page *page);
unsigned long nr_free_pages(void);
unsigned long hp_totalram_pages(void);

static inline bool PageFlag(const struct page *page, enum pageflags f)
{
	return atomic_load_explicit(&((struct page *)page)->flags,
				    memory_order_relaxed) & (1UL << f);
}
static inline void SetPageFlag(struct page *page, enum pageflags f)
{
	atomic_fetch_or_explicit(&page->flags, 1UL << f, memory_order_relaxed);
}
static inline void ClearPageFlag(struct page *page, enum pageflags f)
{
	atomic_fetch_and_explicit(&page->flags, ~(1UL << f), memory_order_relaxed);
}

/*
 * compound_head and order are read without a reference by lockless walkers
 * (gup-fast looks before it grabs), while the page may be freed and reused:
 * every access is an atomic relaxed one, a stale value is caught by the grab.
 */
static inline unsigned long page_compound_head_raw(const struct page *page)
{
	return __atomic_load_n(&page->compound_head, __ATOMIC_RELAXED);
}
static inline unsigned int page_order_raw(const struct page *page)
{
	return __atomic_load_n(&page->order, __ATOMIC_RELAXED);
}
static inline bool PageTail(const struct page *page) { return page_compound_head_raw(page) & 1; }
static inline bool PageHead(const struct page *page) { return PageFlag(page, PG_head); }

static inline bool PageAnonExclusive(const struct page *page)
{
	return PageFlag(page, PG_anon_exclusive);
}
static inline bool is_zone_device_page(const struct page *page)
{
	return PageFlag(page, PG_zone_device);
}

static inline struct page *compound_head(const struct page *page)
{
	unsigned long head = page_compound_head_raw(page);

	if (head & 1)
		return (struct page *)(head - 1);
	return (struct page *)page;
}
/* Anonymous is a property of the folio (Linux keeps it in folio->mapping). */
static inline bool PageAnon(const struct page *page)
{
	return PageFlag(compound_head(page), PG_anon);
}
static inline struct folio *page_folio(const struct page *page)
{
	return (struct folio *)compound_head(page);
}
static inline struct page *folio_page(struct folio *folio, unsigned long n)
{
	return &folio->page + n;
}
static inline unsigned int folio_order(const struct folio *folio)
{
	return PageHead(&folio->page) ? page_order_raw(&folio->page) : 0;
}
static inline unsigned long folio_nr_pages(const struct folio *folio)
{
	return 1UL << folio_order(folio);
}
static inline bool folio_test_large(const struct folio *folio)
{
	return PageHead(&folio->page);
}
static inline unsigned long folio_pfn(const struct folio *folio)
{
	return page_to_pfn(&folio->page);
}
static inline int folio_ref_count(const struct folio *folio)
{
	return atomic_load_explicit(&((struct folio *)folio)->page._refcount,
				    memory_order_relaxed);
}
static inline int page_ref_count(const struct page *page)
{
	return folio_ref_count(page_folio(page));
}
static inline int page_mapcount(const struct page *page)
{
	return atomic_load_explicit(&((struct page *)page)->_mapcount,
				    memory_order_relaxed);
}
static inline int folio_entire_mapcount(const struct folio *folio)
{
	return atomic_load_explicit(&((struct folio *)folio)->page._entire_mapcount,
				    memory_order_relaxed);
}
static inline int folio_maybe_dma_pinned_count(const struct folio *folio)
{
	return atomic_load_explicit(&((struct folio *)folio)->page._pincount,
				    memory_order_relaxed);
}

/* The page allocator (a buddy allocator over RAM, orders 0..MAX_PAGE_ORDER). */
struct page *alloc_pages(gfp_t gfp, unsigned int order);
void __free_pages(struct page *page, unsigned int order);
struct folio *folio_alloc(gfp_t gfp, unsigned int order);

/* References.  Dropping the last one frees the folio. */
/*
 * References.  These are on every GUP's path, hence inline.  The count only
 * grows with a reference already held (relaxed), or by a try that fails on
 * zero (acquire on success: the grab sees the folio as its last owner left
 * it).  Puts release; the last one also acquires, then frees.
 */
static inline void folio_ref_add(struct folio *folio, int refs)
{
	atomic_fetch_add_explicit(&folio->page._refcount, refs, memory_order_relaxed);
}
static inline void folio_get(struct folio *folio) { folio_ref_add(folio, 1); }
/* Adds refs unless the count is zero: a folio being freed is never resurrected. */
static inline bool folio_ref_try_add(struct folio *folio, int refs)
{
	int old = atomic_load_explicit(&folio->page._refcount, memory_order_relaxed);

	do {
		if (old <= 0)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(&folio->page._refcount, &old,
							old + refs, memory_order_acquire,
							memory_order_relaxed));
	return true;
}
static inline bool folio_try_get(struct folio *folio) { return folio_ref_try_add(folio, 1); }
/* The count reached zero (or below, a violation): free or report. */
void __folio_put_last(struct folio *folio, int old, int refs);
static inline void folio_put_refs(struct folio *folio, int refs)
{
	int old = atomic_fetch_sub_explicit(&folio->page._refcount, refs, memory_order_acq_rel);

	if (old <= refs)
		__folio_put_last(folio, old, refs);
}
static inline void folio_put(struct folio *folio) { folio_put_refs(folio, 1); }
static inline void get_page(struct page *page) { folio_get(page_folio(page)); }
static inline void put_page(struct page *page) { folio_put(page_folio(page)); }

/* The zero page: one reserved, always-zero page, mapped special. */
extern unsigned long zero_pfn;
extern struct page *hp_zero_page;
static inline bool is_zero_pfn(unsigned long pfn) { return pfn == zero_pfn; }
static inline bool is_zero_page(const struct page *page) { return page == hp_zero_page; }

/* Device memory. */
struct hp_region;
/* I/O memory with no struct page (a VRAM BAR).  Returns its first pfn. */
int hp_iomem_add(const char *name, uint64_t size, unsigned long *start_pfn);
/*
 * ZONE_DEVICE memory: a memmap whose pages start with one reference each.
 * The memmap costs host memory only where it is used: it is written a
 * section (128 MiB of device memory, x86-64's SECTION_SIZE_BITS 27) at a
 * time, by the first pfn_to_page() of a pfn in it or hp_memmap_populate().
 */
#define HP_PAGES_PER_SECTION	(1UL << 15)
struct dev_pagemap *memremap_pages(const char *name, uint64_t size,
				   enum memory_type type);
/*
 * Writes the struct pages of [pfn, pfn + nr) if they are not yet: a driver
 * calls it before a page-table entry maps the range, so that lockless GUP
 * finds them written (the ordering is in src/mem/physmem.c).
 */
void hp_memmap_populate(unsigned long pfn, unsigned long nr);
/* Memmap sections written so far, over all ZONE_DEVICE regions. */
unsigned long hp_memmap_sections_populated(void);
/* A reference on the pagemap covering pfn, or NULL if none covers it. */
struct dev_pagemap *get_dev_pagemap(unsigned long pfn);
/* The pagemap covering pfn, without taking a reference. */
struct dev_pagemap *hp_pfn_pagemap(unsigned long pfn);
void put_dev_pagemap(struct dev_pagemap *pgmap);

/*
 * Violations: a reference taken on a pfn with no struct page, or on a page a
 * driver owns and maps special.  A real kernel would corrupt memory here;
 * hugepfn records what, where and who, and refuses the reference.
 */
enum hp_level { HP_LEVEL_NONE, HP_LEVEL_PTE, HP_LEVEL_PMD, HP_LEVEL_PUD };
const char *hp_level_name(enum hp_level level);

struct hp_violation {
	unsigned long pfn;
	enum hp_level level;
	const char *op;		/* who tried: "gup_fast", "pfn_to_page", ... */
	const char *what;	/* what was wrong */
};
void hp_report_violation(unsigned long pfn, enum hp_level level,
			 const char *op, const char *what);
unsigned long hp_violation_count(void);
/*
 * The i-th violation since hp_machine_init(): all are kept, in order, until
 * hp_machine_exit(); false past hp_violation_count() (or from the first one
 * the host had no memory to record).
 */
bool hp_violation_get(unsigned long i, struct hp_violation *out);

HP_END_DECLS

#endif
