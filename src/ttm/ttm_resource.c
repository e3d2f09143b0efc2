// SPDX-License-Identifier: MIT
/*
 * Resources: where a BO's bytes are.  VRAM comes from the device's buddy
 * allocator (evicting other BOs when it is full); system memory comes from the
 * page pool, 2 MiB chunks first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mem/physmem.h"
#include "mm/internal.h"
#include "ttm/ttm_internal.h"

/* ---- the page pool ------------------------------------------------------- */

void ttm_pool_init(struct ttm_pool *pool)
{
	spin_lock_init(&pool->lock);
	for (unsigned int o = 0; o <= TTM_POOL_MAX_ORDER; o++)
		INIT_LIST_HEAD(&pool->free[o]);
	pool->nr_pages = 0;
}

/* Cached chunks go back to the page allocator (a pinner may keep one alive). */
void ttm_pool_fini(struct ttm_pool *pool)
{
	for (unsigned int o = 0; o <= TTM_POOL_MAX_ORDER; o++) {
		while (!list_empty(&pool->free[o])) {
			struct page *head = list_first_entry(&pool->free[o], struct page, lru);

			list_del(&head->lru);
			ClearPageFlag(head, PG_owner_priv);
			folio_put(page_folio(head));
		}
	}
	pool->nr_pages = 0;
	spin_lock_destroy(&pool->lock);
}

/*
 * A chunk of the given order: a cached one if any, else a new one.  TTM does
 * not look at who else holds a cached chunk before handing it out again; if
 * gup-fast took a reference on it (possible only through an unmarked huge
 * entry), the holder now sees another BO's bytes.  hugepfn reports that.
 */
static struct folio *ttm_pool_get(struct ttm_pool *pool, unsigned int order, bool zero)
{
	struct folio *folio = NULL;

	spin_lock(&pool->lock);
	if (!list_empty(&pool->free[order])) {
		struct page *head = list_first_entry(&pool->free[order], struct page, lru);

		list_del(&head->lru);
		pool->nr_pages -= 1UL << order;
		folio = page_folio(head);
	}
	spin_unlock(&pool->lock);
	if (folio) {
		if (folio_ref_count(folio) != 1)
			hp_report_violation(folio_pfn(folio), HP_LEVEL_NONE, "ttm_pool",
					    "page handed to another BO while still referenced");
		if (zero)
			memset(page_address(&folio->page), 0, PAGE_SIZE << order);
		return folio;
	}
	if (hp_should_fail(HP_FAIL_PAGE))
		return NULL;
	folio = folio_alloc(zero ? __GFP_ZERO : 0, order);
	if (folio)
		SetPageFlag(&folio->page, PG_owner_priv);
	return folio;
}

static void ttm_pool_put(struct ttm_pool *pool, struct folio *folio)
{
	unsigned int order = folio_order(folio);

	spin_lock(&pool->lock);
	list_add_tail(&folio->page.lru, &pool->free[order]);
	pool->nr_pages += 1UL << order;
	spin_unlock(&pool->lock);
}

/* ---- system pages -------------------------------------------------------- */

static void ttm_tt_destroy(struct ttm_pool *pool, struct ttm_tt *tt)
{
	for (unsigned int i = 0; i < tt->nr_chunks; i++)
		ttm_pool_put(pool, tt->chunks[i].folio);
	free(tt->pages);
	free(tt->chunks);
	free(tt);
}

static unsigned int floor_log2(unsigned long v)
{
	return 63 - (unsigned int)__builtin_clzl(v);
}

/* Largest chunks first, so that 2 MiB pieces of the BO are 2 MiB pieces of RAM. */
static int ttm_tt_populate(struct ttm_pool *pool, struct ttm_tt *tt, bool zero)
{
	unsigned long i = 0;

	while (i < tt->num_pages) {
		unsigned int order = floor_log2(tt->num_pages - i);
		struct folio *folio = NULL;

		if (order > TTM_POOL_MAX_ORDER)
			order = TTM_POOL_MAX_ORDER;
		for (;;) {
			folio = ttm_pool_get(pool, order, zero);
			if (folio || !order)
				break;
			order--;
		}
		if (!folio)
			return -ENOMEM;
		tt->chunks[tt->nr_chunks++].folio = folio;
		for (unsigned long j = 0; j < (1UL << order); j++)
			tt->pages[i + j] = folio_page(folio, j);
		i += 1UL << order;
	}
	return 0;
}

static int system_alloc(struct ttm_device *bdev, unsigned long num_pages, bool zero,
			struct ttm_resource *res)
{
	struct ttm_tt *tt = calloc(1, sizeof(*tt));
	int err = -ENOMEM;

	if (!tt)
		return -ENOMEM;
	tt->num_pages = num_pages;
	tt->pages = calloc(num_pages, sizeof(*tt->pages));
	tt->chunks = calloc(num_pages, sizeof(*tt->chunks));
	if (tt->pages && tt->chunks)
		err = ttm_tt_populate(&bdev->pool, tt, zero);
	if (err) {
		ttm_tt_destroy(&bdev->pool, tt);
		return err;
	}
	res->ttm = tt;
	return 0;
}

/* ---- VRAM ---------------------------------------------------------------- */

/* BOs of whole 2 MiB get 2 MiB blocks at least, so PMDs (or PUDs) can map them. */
static uint64_t vram_min_block(uint64_t size)
{
	return size >= PMD_SIZE && !(size & (PMD_SIZE - 1)) ? PMD_SIZE : PAGE_SIZE;
}

static void vram_zero(struct ttm_device *bdev, const struct ttm_resource *res)
{
	for (unsigned int i = 0; i < res->nr_blocks; i++)
		hp_iomem_zero(((phys_addr_t)bdev->vram_base_pfn << PAGE_SHIFT) + res->blocks[i].offset,
			      PAGE_SIZE << res->blocks[i].order);
}

static int vram_alloc(struct ttm_buffer_object *bo, unsigned int flags, bool may_evict,
		      bool zero, struct ttm_resource *res)
{
	struct ttm_device *bdev = bo->bdev;
	unsigned int buddy_flags = flags & TTM_PL_FLAG_CONTIGUOUS ?
				   DRM_BUDDY_CONTIGUOUS_ALLOCATION : 0;
	int err;

	for (;;) {
		if (hp_should_fail(HP_FAIL_BUDDY))
			return -ENOMEM;
		spin_lock(&bdev->vram_lock);
		err = drm_buddy_alloc_blocks(&bdev->vram, bo->size, vram_min_block(bo->size),
					     buddy_flags, &res->blocks, &res->nr_blocks);
		spin_unlock(&bdev->vram_lock);
		if (err != -ENOSPC || !may_evict || ttm_mem_evict_first(bdev, bo))
			break;
	}
	if (!err && zero)
		vram_zero(bdev, res);
	return err;
}

/* ---- resources ----------------------------------------------------------- */

int ttm_resource_alloc(struct ttm_buffer_object *bo, const struct ttm_place *place,
		       bool may_evict, bool zero, struct ttm_resource **out)
{
	struct ttm_resource *res = calloc(1, sizeof(*res));
	int err;

	if (!res)
		return -ENOMEM;
	res->mem_type = place->mem_type;
	res->placement = place->flags;
	if (place->mem_type == TTM_PL_VRAM)
		err = vram_alloc(bo, place->flags, may_evict, zero, res);
	else
		err = system_alloc(bo->bdev, bo->num_pages, zero, res);
	if (err) {
		free(res);
		return err;
	}
	*out = res;
	return 0;
}

void ttm_resource_free(struct ttm_device *bdev, struct ttm_resource *res)
{
	if (res->mem_type == TTM_PL_VRAM) {
		spin_lock(&bdev->vram_lock);
		drm_buddy_free_blocks(&bdev->vram, res->blocks, res->nr_blocks);
		spin_unlock(&bdev->vram_lock);
		free(res->blocks);
	} else {
		ttm_tt_destroy(&bdev->pool, res->ttm);
	}
	free(res);
}

/* The VRAM block holding BO page `page`, and that page's index in it. */
static const struct drm_buddy_block *vram_block_of(const struct ttm_resource *res,
						   unsigned long page, unsigned long *in_block)
{
	for (unsigned int i = 0; i < res->nr_blocks; i++) {
		unsigned long pages = 1UL << res->blocks[i].order;

		if (page < pages) {
			*in_block = page;
			return &res->blocks[i];
		}
		page -= pages;
	}
	return NULL;
}

unsigned long ttm_resource_pfn(struct ttm_device *bdev, const struct ttm_resource *res,
			       unsigned long page)
{
	const struct drm_buddy_block *block;
	unsigned long in_block;

	if (res->mem_type != TTM_PL_VRAM)
		return page_to_pfn(res->ttm->pages[page]);
	block = vram_block_of(res, page, &in_block);
	return bdev->vram_base_pfn + (block->offset >> PAGE_SHIFT) + in_block;
}

bool ttm_resource_contig(struct ttm_device *bdev, const struct ttm_resource *res,
			 unsigned long first, unsigned long nr, unsigned long *first_pfn)
{
	unsigned long pfn = ttm_resource_pfn(bdev, res, first);

	if (res->mem_type != TTM_PL_VRAM) {
		for (unsigned long i = 1; i < nr; i++)
			if (page_to_pfn(res->ttm->pages[first + i]) != pfn + i)
				return false;
	} else {
		/* VRAM: check block by block rather than page by page. */
		for (unsigned long done = 0; done < nr;) {
			unsigned long in_block;
			const struct drm_buddy_block *block =
				vram_block_of(res, first + done, &in_block);

			if (bdev->vram_base_pfn + (block->offset >> PAGE_SHIFT) + in_block !=
			    pfn + done)
				return false;
			done += (1UL << block->order) - in_block;
		}
	}
	*first_pfn = pfn;
	return true;
}
