// SPDX-License-Identifier: MIT
/*
 * The page allocator: a binary buddy allocator over RAM, orders 0 to
 * MAX_PAGE_ORDER, one lock for the whole zone.  Also the folio reference
 * counting, whose last put frees.
 */
#include <string.h>

#include "mem/physmem.h"

unsigned long zero_pfn;
struct page *hp_zero_page;

static void set_page_order(struct page *page, unsigned int order)
{
	__atomic_store_n(&page->order, order, __ATOMIC_RELAXED);
}

static void set_compound_head(struct page *page, unsigned long head)
{
	__atomic_store_n(&page->compound_head, head, __ATOMIC_RELAXED);
}

static void set_buddy(struct page *page, unsigned int order)
{
	set_page_order(page, order);
	SetPageFlag(page, PG_buddy);
}

static bool page_is_buddy(struct page *page, unsigned int order)
{
	return PageFlag(page, PG_buddy) && page_order_raw(page) == order;
}

/* Called with zone_lock held. */
static void free_one_block(unsigned long pfn, unsigned int order)
{
	while (order < MAX_PAGE_ORDER) {
		unsigned long buddy_pfn = pfn ^ (1UL << order);
		struct page *buddy;

		if (buddy_pfn >= physmem.ram_pages)
			break;
		buddy = &physmem.mem_map[buddy_pfn];
		if (!page_is_buddy(buddy, order))
			break;
		list_del(&buddy->lru);
		physmem.free_area[order].nr_free--;
		ClearPageFlag(buddy, PG_buddy);
		pfn &= buddy_pfn;
		order++;
	}
	set_buddy(&physmem.mem_map[pfn], order);
	list_add(&physmem.mem_map[pfn].lru, &physmem.free_area[order].free_list);
	physmem.free_area[order].nr_free++;
}

/* Called with zone_lock held: take a block, splitting a larger one if needed. */
static struct page *take_block(unsigned int order)
{
	for (unsigned int o = order; o <= MAX_PAGE_ORDER; o++) {
		struct free_area *area = &physmem.free_area[o];
		struct page *page;

		if (list_empty(&area->free_list))
			continue;
		page = list_first_entry(&area->free_list, struct page, lru);
		list_del(&page->lru);
		area->nr_free--;
		ClearPageFlag(page, PG_buddy);
		/* Give back the upper halves until the block has the asked size. */
		while (o > order) {
			o--;
			free_one_block(page_to_pfn(page) + (1UL << o), o);
		}
		return page;
	}
	return NULL;
}

static void prep_compound(struct page *page, unsigned int order)
{
	SetPageFlag(page, PG_head);
	set_page_order(page, order);
	for (unsigned long i = 1; i < (1UL << order); i++)
		set_compound_head(&page[i], (unsigned long)page | 1);
}

struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	struct page *page;

	if (order > MAX_PAGE_ORDER)
		return NULL;
	spin_lock(&physmem.zone_lock);
	page = take_block(order);
	spin_unlock(&physmem.zone_lock);
	if (!page)
		return NULL;
	atomic_fetch_sub_explicit(&physmem.nr_free, 1UL << order,
				  memory_order_relaxed);
	set_page_order(page, 0);
	if (order && (gfp & __GFP_COMP))
		prep_compound(page, order);
	atomic_store_explicit(&page->_refcount, 1, memory_order_relaxed);
	if (gfp & __GFP_ZERO)
		memset(page_address(page), 0, PAGE_SIZE << order);
	return page;
}

struct folio *folio_alloc(gfp_t gfp, unsigned int order)
{
	return (struct folio *)alloc_pages(gfp | __GFP_COMP, order);
}

static void reset_page(struct page *page)
{
	atomic_store_explicit(&page->flags, 0, memory_order_relaxed);
	atomic_store_explicit(&page->_mapcount, 0, memory_order_relaxed);
	atomic_store_explicit(&page->_pincount, 0, memory_order_relaxed);
	atomic_store_explicit(&page->_entire_mapcount, 0, memory_order_relaxed);
	set_compound_head(page, 0);
	set_page_order(page, 0);
	page->mapping = NULL;
	page->index = 0;
	page->pmd_huge_pte = NULL;
}

void __free_pages(struct page *page, unsigned int order)
{
	unsigned long pfn = page_to_pfn(page);

	for (unsigned long i = 0; i < (1UL << order); i++)
		reset_page(&page[i]);
	atomic_store_explicit(&page->_refcount, 0, memory_order_relaxed);
	spin_lock(&physmem.zone_lock);
	free_one_block(pfn, order);
	spin_unlock(&physmem.zone_lock);
	atomic_fetch_add_explicit(&physmem.nr_free, 1UL << order,
				  memory_order_relaxed);
}

unsigned long nr_free_pages(void)
{
	return atomic_load_explicit(&physmem.nr_free, memory_order_relaxed);
}

/* The last reference went: return the folio to its owner. */
static void free_folio(struct folio *folio)
{
	struct page *page = &folio->page;

	if (is_zone_device_page(page) || PageFlag(page, PG_reserved)) {
		hp_report_violation(page_to_pfn(page), HP_LEVEL_NONE, "folio_put",
				    "last reference dropped on a page its owner never frees");
		return;
	}
	__free_pages(page, folio_order(folio));
}

void __folio_put_last(struct folio *folio, int old, int refs)
{
	if (old < refs) {
		hp_report_violation(folio_pfn(folio), HP_LEVEL_NONE, "folio_put",
				    "reference count underflow");
		return;
	}
	free_folio(folio);
}

int hp_page_alloc_init(void)
{
	struct page *zero;

	spin_lock_init(&physmem.zone_lock);
	for (unsigned int o = 0; o <= MAX_PAGE_ORDER; o++)
		INIT_LIST_HEAD(&physmem.free_area[o].free_list);
	for (unsigned long pfn = 0; pfn < physmem.ram_pages; pfn += 1UL << MAX_PAGE_ORDER)
		free_one_block(pfn, MAX_PAGE_ORDER);
	atomic_store(&physmem.nr_free, physmem.ram_pages);

	zero = alloc_pages(__GFP_ZERO, 0);
	if (!zero)
		return -1;
	SetPageFlag(zero, PG_reserved);
	zero_pfn = page_to_pfn(zero);
	hp_zero_page = zero;
	return 0;
}

void hp_page_alloc_exit(void)
{
	spin_lock_destroy(&physmem.zone_lock);
	zero_pfn = 0;
	hp_zero_page = NULL;
}
