/* SPDX-License-Identifier: MIT */
/* TTM's objects, shared by its files. */
#ifndef HP_TTM_INTERNAL_H
#define HP_TTM_INTERNAL_H

#include <hugepfn/hugepfn.h>
#include <hugepfn/ttm.h>
#include "host/list.h"
#include "host/lock.h"

/* The largest chunk the pool hands out: 2 MiB, so huge PMDs are possible. */
#define TTM_POOL_MAX_ORDER	PMD_ORDER

/*
 * The page pool: system pages TTM owns.  Chunks are compound folios marked
 * PG_owner_priv; a BO's pages come back here when it moves or dies, and go
 * to the next BO that needs pages, never minding who else may hold them:
 * that is why nobody else may take references on them.
 */
struct ttm_pool {
	spinlock_t lock;
	struct list_head free[TTM_POOL_MAX_ORDER + 1];	/* folios, by order */
	unsigned long nr_pages;		/* pages cached in free[] */
};

struct ttm_pool_chunk {
	struct folio *folio;
};

/* A BO's system pages: chunks from the pool, and a page per 4 KiB. */
struct ttm_tt {
	unsigned long num_pages;
	struct page **pages;
	struct ttm_pool_chunk *chunks;
	unsigned int nr_chunks;
};

/* Where a BO's bytes are. */
struct ttm_resource {
	unsigned int mem_type;
	unsigned int placement;			/* the flags of the place it was made for */
	struct ttm_tt *ttm;			/* TTM_PL_SYSTEM, TTM_PL_TT */
	struct drm_buddy_block *blocks;		/* TTM_PL_VRAM, in BO order */
	unsigned int nr_blocks;
};

struct ttm_device {
	struct file *file;		/* the device file; its f_mapping holds every BO */
	uint64_t vram_size;
	unsigned long vram_base_pfn;
	spinlock_t vram_lock;
	struct drm_buddy vram;
	struct ttm_pool pool;
	spinlock_t lru_lock;
	struct list_head lru;		/* BOs in VRAM, least recently used first */
	spinlock_t bos_lock;
	struct list_head bos;		/* every BO, for mmap offset look-up */
	unsigned long next_offset;	/* next free fake offset, in pages */
};

struct ttm_buffer_object {
	struct ttm_device *bdev;
	uint64_t size;
	unsigned long num_pages;
	atomic_int kref;
	struct mutex resv;		/* the reservation lock: faults vs moves */
	struct ttm_resource *resource;
	unsigned int pin_count;
	struct list_head lru;		/* on bdev->lru while in VRAM */
	struct list_head link;		/* on bdev->bos */
	unsigned long vm_node_start;	/* fake mmap offset, in pages */
	unsigned long moves;
};

/* ttm_resource.c */
/* may_evict: VRAM that is full evicts the LRU's head until the BO fits. */
int ttm_resource_alloc(struct ttm_buffer_object *bo, const struct ttm_place *place,
		       bool may_evict, bool zero, struct ttm_resource **res);
void ttm_resource_free(struct ttm_device *bdev, struct ttm_resource *res);
unsigned long ttm_resource_pfn(struct ttm_device *bdev, const struct ttm_resource *res,
			       unsigned long page);
/* Whether pages [first, first + nr) are physically contiguous; their first pfn. */
bool ttm_resource_contig(struct ttm_device *bdev, const struct ttm_resource *res,
			 unsigned long first, unsigned long nr, unsigned long *first_pfn);
void ttm_pool_init(struct ttm_pool *pool);
void ttm_pool_fini(struct ttm_pool *pool);

/* ttm_bo.c */
void ttm_bo_get(struct ttm_buffer_object *bo);
/* A reference unless the last one is already gone (for list walkers). */
bool ttm_bo_get_unless_zero(struct ttm_buffer_object *bo);
void ttm_bo_put(struct ttm_buffer_object *bo);
/* Evicts the least recently used evictable BO from VRAM; -ENOSPC if none. */
int ttm_mem_evict_first(struct ttm_device *bdev, struct ttm_buffer_object *busy);
/* The caching of the BO's current placement applied to a protection. */
pgprot_t ttm_io_prot(struct ttm_buffer_object *bo, pgprot_t prot);

/* ttm_bo_vm.c */
extern const struct file_operations ttm_device_fops;

#endif
