/* SPDX-License-Identifier: MIT */
/*
 * TTM: buffer objects (BOs) that live in VRAM or in system memory, move
 * between them behind the processes that map them, and are mapped with huge
 * pfn entries where their backing allows.
 *
 * Names and split of responsibilities follow Linux's TTM: a ttm_device owns
 * one resource manager per memory type; a ttm_buffer_object has a current
 * ttm_resource (where its bytes are) and, in system memory, a ttm_tt (its
 * pages, from the device's page pool); ttm_bo_vm maps it.  All BOs of a device
 * are windows of one device address space (DRM's fake mmap offsets), so
 * ttm_bo_unmap_virtual() can unmap one BO from every process at once.
 */
#ifndef HUGEPFN_TTM_H
#define HUGEPFN_TTM_H

#include <hugepfn/mm.h>

HP_BEGIN_DECLS

/* Memory types. */
#define TTM_PL_SYSTEM	0	/* pages of system memory, CPU only */
#define TTM_PL_TT	1	/* system pages the GPU reaches through its GART */
#define TTM_PL_VRAM	2	/* device memory: no struct page */
#define TTM_NUM_MEM_TYPES 3

#define TTM_PL_FLAG_CONTIGUOUS	(1u << 0)	/* one physically contiguous range */

struct ttm_place {
	unsigned int mem_type;
	unsigned int flags;	/* TTM_PL_FLAG_* */
};

struct ttm_placement {
	unsigned int num_placement;
	const struct ttm_place *placement;	/* in order of preference */
};

/*
 * The VRAM allocator: a binary buddy over 4 KiB chunks.  As Linux's, the
 * largest block is the largest power of two that fits in the managed size.
 */
#define DRM_BUDDY_MAX_ORDER	(63 - PAGE_SHIFT)
#define DRM_BUDDY_CONTIGUOUS_ALLOCATION	(1u << 0)

struct drm_buddy_block {
	uint64_t offset;	/* bytes into the managed range */
	unsigned int order;	/* 4 KiB << order bytes */
};

struct drm_buddy {
	uint64_t size;		/* bytes managed */
	uint64_t avail;		/* bytes free */
	unsigned int max_order;
	struct list_head free_list[DRM_BUDDY_MAX_ORDER + 1];
	unsigned long nr_free[DRM_BUDDY_MAX_ORDER + 1];
	uint8_t *free_order;	/* per chunk: 1 + order of the free block starting there, 0 if none */
	struct list_head *links;	/* per chunk: its place on a free list */
};

int drm_buddy_init(struct drm_buddy *mm, uint64_t size);
void drm_buddy_fini(struct drm_buddy *mm);
/*
 * Allocates size bytes as blocks of at least min_block_size (a power of two,
 * at least 4 KiB, also their alignment): the largest aligned blocks available,
 * or with DRM_BUDDY_CONTIGUOUS_ALLOCATION one contiguous range.  On success
 * *blocks is a malloc'd array of *nr_blocks blocks in address order.
 * -EINVAL for a bad size or alignment, -ENOSPC if the space is not there; on
 * failure nothing is allocated.
 */
int drm_buddy_alloc_blocks(struct drm_buddy *mm, uint64_t size, uint64_t min_block_size,
			   unsigned int flags, struct drm_buddy_block **blocks,
			   unsigned int *nr_blocks);
void drm_buddy_free_blocks(struct drm_buddy *mm, struct drm_buddy_block *blocks,
			   unsigned int nr_blocks);
/* Order of the largest free block, or -1 if nothing is free. */
int drm_buddy_largest_free_order(const struct drm_buddy *mm);

struct ttm_device;
struct ttm_buffer_object;

struct ttm_device_config {
	uint64_t vram_size;	/* bytes, a multiple of 2 MiB; 0: 2 GiB */
};

/* A device with its VRAM and its page pool.  NULL on a bad size or OOM. */
struct ttm_device *ttm_device_init(const struct ttm_device_config *config);
/* Every BO must be gone; the pool's pages go back to the allocator. */
void ttm_device_fini(struct ttm_device *bdev);
/* The device file: mmap it at ttm_bo_mmap_offset() to map a BO. */
struct file *ttm_device_file(struct ttm_device *bdev);
uint64_t ttm_vram_free(struct ttm_device *bdev);

/*
 * Creates a BO of size bytes (page-aligned, not zero), zero-filled, as 6.12's
 * ttm_bo_validate() places it: in the first placement that has room without
 * evicting, else in the first where evicting from VRAM makes room.
 * -EINVAL bad size or placement, -ENOMEM no room even so, or out of memory.
 */
int ttm_bo_create(struct ttm_device *bdev, uint64_t size,
		  const struct ttm_placement *placement, struct ttm_buffer_object **bo);
/*
 * Drops the creator's reference.  A pinned BO is refused with -EBUSY and
 * nothing changes.  A BO still mapped lives on until its last mapping goes,
 * as in Linux (each VMA holds a reference).
 */
int ttm_bo_destroy(struct ttm_buffer_object *bo);
/*
 * Nothing if the BO is in one of the placements already; else moves it as
 * ttm_bo_create() places a new one (-ENOMEM if no room), or -EINVAL if it is
 * pinned ("moving of pinned BOs is forbidden").
 */
int ttm_bo_validate(struct ttm_buffer_object *bo, const struct ttm_placement *placement);
/*
 * Moves the BO out of VRAM to system memory, as a driver does with
 * ttm_bo_validate() to system memory: -EINVAL if pinned there.  (6.12's own
 * eviction never picks a pinned BO: pinned BOs are not on the LRU.)
 */
int ttm_bo_evict(struct ttm_buffer_object *bo);
void ttm_bo_pin(struct ttm_buffer_object *bo);
void ttm_bo_unpin(struct ttm_buffer_object *bo);
/* Unmaps the BO from every process; the next access refaults. */
void ttm_bo_unmap_virtual(struct ttm_buffer_object *bo);

unsigned int ttm_bo_mem_type(struct ttm_buffer_object *bo);
uint64_t ttm_bo_size(const struct ttm_buffer_object *bo);
/* The page offset to pass to hp_mmap() on the device file. */
unsigned long ttm_bo_mmap_offset(const struct ttm_buffer_object *bo);
/* The pfn behind page i of the BO now (under the BO lock). */
unsigned long ttm_bo_pfn(struct ttm_buffer_object *bo, unsigned long i);
/* How many times the BO moved (validate into another type, evictions). */
unsigned long ttm_bo_moves(const struct ttm_buffer_object *bo);

/* Maps a whole BO into mm: MAP_SHARED, aligned for huge entries. */
unsigned long ttm_bo_mmap(struct mm_struct *mm, struct ttm_buffer_object *bo,
			  unsigned long prot);

/* Number of 4 KiB pages TTM prefaults around a 4 KiB fault. */
#define TTM_BO_VM_NUM_PREFAULT 16

HP_END_DECLS

#endif
