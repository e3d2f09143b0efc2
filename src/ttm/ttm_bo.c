// SPDX-License-Identifier: MIT
/*
 * The TTM device and its buffer objects: creation, placement, moves with
 * their bytes, eviction of the least recently used, pinning.
 *
 * Locking: a BO's reservation lock (resv) is held by whoever reads or changes
 * its resource: faults, moves, pin.  Eviction runs while another BO's resv is
 * held, so it only trylocks its victims.  bdev->lru_lock and bdev->bos_lock
 * protect the lists and are never held across a move.  Order: mmap_lock, then
 * resv, then i_mmap_rwsem (unmap), then page-table locks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mm/internal.h"
#include "ttm/ttm_internal.h"

#define TTM_DEFAULT_VRAM_SIZE	(2ULL << 30)
/* Fake mmap offsets start here (in pages), as DRM's do. */
#define TTM_OFFSET_START	(1UL << 20)

static const struct ttm_place sys_place = { .mem_type = TTM_PL_SYSTEM };

/* ---- the device ---------------------------------------------------------- */

struct ttm_device *ttm_device_init(const struct ttm_device_config *config)
{
	uint64_t vram = config && config->vram_size ? config->vram_size : TTM_DEFAULT_VRAM_SIZE;
	struct ttm_device *bdev;

	if (vram & (PMD_SIZE - 1) || vram > (1ULL << 40))
		return NULL;
	bdev = calloc(1, sizeof(*bdev));
	if (!bdev)
		return NULL;
	bdev->vram_size = vram;
	if (hp_iomem_add("vram", vram, &bdev->vram_base_pfn) ||
	    drm_buddy_init(&bdev->vram, vram)) {
		free(bdev);
		return NULL;
	}
	bdev->file = hp_file_create(&ttm_device_fops, bdev);
	if (!bdev->file) {
		drm_buddy_fini(&bdev->vram);
		free(bdev);
		return NULL;
	}
	ttm_pool_init(&bdev->pool);
	spin_lock_init(&bdev->vram_lock);
	spin_lock_init(&bdev->lru_lock);
	spin_lock_init(&bdev->bos_lock);
	INIT_LIST_HEAD(&bdev->lru);
	INIT_LIST_HEAD(&bdev->bos);
	bdev->next_offset = TTM_OFFSET_START;
	return bdev;
}

void ttm_device_fini(struct ttm_device *bdev)
{
	ttm_pool_fini(&bdev->pool);
	drm_buddy_fini(&bdev->vram);
	fput(bdev->file);
	spin_lock_destroy(&bdev->vram_lock);
	spin_lock_destroy(&bdev->lru_lock);
	spin_lock_destroy(&bdev->bos_lock);
	free(bdev);
}

struct file *ttm_device_file(struct ttm_device *bdev) { return bdev->file; }

uint64_t ttm_vram_free(struct ttm_device *bdev)
{
	uint64_t avail;

	spin_lock(&bdev->vram_lock);
	avail = bdev->vram.avail;
	spin_unlock(&bdev->vram_lock);
	return avail;
}

/* ---- references and lists ------------------------------------------------- */

void ttm_bo_get(struct ttm_buffer_object *bo)
{
	atomic_fetch_add(&bo->kref, 1);
}

/* For list walkers: a BO whose last reference is going stays untouched. */
bool ttm_bo_get_unless_zero(struct ttm_buffer_object *bo)
{
	int old = atomic_load(&bo->kref);

	while (old > 0)
		if (atomic_compare_exchange_weak(&bo->kref, &old, old + 1))
			return true;
	return false;
}

/*
 * A BO goes to the LRU's tail when it gets a new resource (6.12's
 * ttm_resource_init()) and when a driver operation releases its reservation
 * (ttm_bo_unreserve()).  CPU faults release it with a plain unlock and do not
 * move it (ttm_bo_vm_fault()), so eviction takes the BO whose last driver
 * operation is oldest, however recently it was touched.
 */
static void ttm_bo_lru_update(struct ttm_buffer_object *bo)
{
	struct ttm_device *bdev = bo->bdev;

	spin_lock(&bdev->lru_lock);
	list_del(&bo->lru);
	if (bo->resource && bo->resource->mem_type == TTM_PL_VRAM)
		list_add_tail(&bo->lru, &bdev->lru);
	spin_unlock(&bdev->lru_lock);
}

/* As 6.12's ttm_bo_unreserve(): the end of a driver operation on the BO. */
static void ttm_bo_unreserve(struct ttm_buffer_object *bo)
{
	ttm_bo_lru_update(bo);
	mutex_unlock(&bo->resv);
}

static void ttm_bo_release(struct ttm_buffer_object *bo)
{
	struct ttm_device *bdev = bo->bdev;

	spin_lock(&bdev->bos_lock);
	list_del(&bo->link);
	spin_unlock(&bdev->bos_lock);
	spin_lock(&bdev->lru_lock);
	list_del(&bo->lru);
	spin_unlock(&bdev->lru_lock);
	ttm_resource_free(bdev, bo->resource);
	mutex_destroy(&bo->resv);
	free(bo);
}

void ttm_bo_put(struct ttm_buffer_object *bo)
{
	if (atomic_fetch_sub(&bo->kref, 1) == 1)
		ttm_bo_release(bo);
}

/* ---- moves ----------------------------------------------------------------- */

pgprot_t ttm_io_prot(struct ttm_buffer_object *bo, pgprot_t prot)
{
	return bo->resource->mem_type == TTM_PL_VRAM ? pgprot_writecombine(prot) : prot;
}

void ttm_bo_unmap_virtual(struct ttm_buffer_object *bo)
{
	unmap_mapping_range(bo->bdev->file->f_mapping,
			    (uint64_t)bo->vm_node_start << PAGE_SHIFT, bo->size, true);
}

/*
 * With resv held: every CPU mapping goes first (and with it every access in
 * flight), then the bytes move, then the old backing is released.  The next
 * access refaults onto the new placement.
 */
static void ttm_bo_handle_move_mem(struct ttm_buffer_object *bo, struct ttm_resource *new)
{
	struct ttm_device *bdev = bo->bdev;
	struct ttm_resource *old = bo->resource;

	ttm_bo_unmap_virtual(bo);
	for (unsigned long i = 0; i < bo->num_pages; i++)
		memcpy(__va((phys_addr_t)ttm_resource_pfn(bdev, new, i) << PAGE_SHIFT),
		       __va((phys_addr_t)ttm_resource_pfn(bdev, old, i) << PAGE_SHIFT),
		       PAGE_SIZE);
	bo->resource = new;
	ttm_bo_lru_update(bo);
	ttm_resource_free(bdev, old);
	bo->moves++;
}

static int ttm_bo_move_to(struct ttm_buffer_object *bo, const struct ttm_place *place,
			  bool may_evict)
{
	struct ttm_resource *new;
	int err = ttm_resource_alloc(bo, place, may_evict, false, &new);

	if (!err)
		ttm_bo_handle_move_mem(bo, new);
	return err;
}

int ttm_mem_evict_first(struct ttm_device *bdev, struct ttm_buffer_object *busy)
{
	struct ttm_buffer_object *bo, *victim = NULL;
	int err;

	spin_lock(&bdev->lru_lock);
	list_for_each_entry(bo, &bdev->lru, lru) {
		if (bo == busy || !mutex_trylock(&bo->resv))
			continue;
		if (!bo->pin_count && ttm_bo_get_unless_zero(bo)) {
			victim = bo;
			break;
		}
		mutex_unlock(&bo->resv);
	}
	spin_unlock(&bdev->lru_lock);
	if (!victim)
		return -ENOSPC;
	err = ttm_bo_move_to(victim, &sys_place, false);
	mutex_unlock(&victim->resv);
	ttm_bo_put(victim);
	return err;
}

/* ---- buffer objects ------------------------------------------------------- */

static int check_placement(const struct ttm_placement *placement)
{
	if (!placement || !placement->num_placement || !placement->placement)
		return -EINVAL;
	for (unsigned int i = 0; i < placement->num_placement; i++)
		if (placement->placement[i].mem_type >= TTM_NUM_MEM_TYPES ||
		    placement->placement[i].flags & ~TTM_PL_FLAG_CONTIGUOUS)
			return -EINVAL;
	return 0;
}

/*
 * One pass over the places, as 6.12's ttm_bo_alloc_resource(): the first
 * place that has room wins; with force_space, VRAM that is full evicts until
 * the BO fits (system memory never evicts).  -ENOSPC if no place had room.
 */
static int ttm_bo_alloc_resource(struct ttm_buffer_object *bo,
				 const struct ttm_placement *placement, bool force_space,
				 bool zero, struct ttm_resource **res)
{
	for (unsigned int i = 0; i < placement->num_placement; i++) {
		const struct ttm_place *place = &placement->placement[i];
		int err = ttm_resource_alloc(bo, place, force_space && place->mem_type != TTM_PL_SYSTEM,
					     zero, res);

		if (err != -ENOSPC)
			return err;
	}
	return -ENOSPC;
}

/*
 * Where a BO goes, as 6.12's ttm_bo_validate(): every place without
 * evicting first, so "vram,system" with VRAM full gives system memory; only
 * if none has room, again evicting.  No room even then is -ENOMEM (TTM's
 * "backward compatibility with userspace").
 */
static int ttm_bo_place(struct ttm_buffer_object *bo, const struct ttm_placement *placement,
			bool zero, struct ttm_resource **res)
{
	int err = ttm_bo_alloc_resource(bo, placement, false, zero, res);

	if (err == -ENOSPC)
		err = ttm_bo_alloc_resource(bo, placement, true, zero, res);
	return err == -ENOSPC ? -ENOMEM : err;
}

/* Fake offsets, as drm_vma_offset_add(): consecutive, with no alignment. */
static unsigned long ttm_bo_alloc_offset(struct ttm_device *bdev, struct ttm_buffer_object *bo)
{
	unsigned long start = bdev->next_offset;

	bdev->next_offset = start + bo->num_pages;
	return start;
}

int ttm_bo_create(struct ttm_device *bdev, uint64_t size,
		  const struct ttm_placement *placement, struct ttm_buffer_object **out)
{
	struct ttm_buffer_object *bo;
	int err = check_placement(placement);

	if (err)
		return err;
	if (!size || size & ~PAGE_MASK || size > (1ULL << 40))
		return -EINVAL;
	bo = hp_should_fail(HP_FAIL_BO) ? NULL : calloc(1, sizeof(*bo));
	if (!bo)
		return -ENOMEM;
	bo->bdev = bdev;
	bo->size = size;
	bo->num_pages = size >> PAGE_SHIFT;
	atomic_init(&bo->kref, 1);
	mutex_init(&bo->resv);
	INIT_LIST_HEAD(&bo->lru);
	INIT_LIST_HEAD(&bo->link);
	err = ttm_bo_place(bo, placement, true, &bo->resource);
	if (err) {
		mutex_destroy(&bo->resv);
		free(bo);
		return err;
	}
	spin_lock(&bdev->bos_lock);
	bo->vm_node_start = ttm_bo_alloc_offset(bdev, bo);
	list_add_tail(&bo->link, &bdev->bos);
	spin_unlock(&bdev->bos_lock);
	ttm_bo_lru_update(bo);
	*out = bo;
	return 0;
}

int ttm_bo_destroy(struct ttm_buffer_object *bo)
{
	bool pinned;

	mutex_lock(&bo->resv);
	pinned = bo->pin_count;
	mutex_unlock(&bo->resv);
	if (pinned)
		return -EBUSY;
	ttm_bo_put(bo);
	return 0;
}

/*
 * As 6.12's ttm_place_compatible(): a contiguous place wants a resource that
 * was made contiguous, not one that happens to be.
 */
static bool place_satisfied(const struct ttm_buffer_object *bo, const struct ttm_place *place)
{
	const struct ttm_resource *res = bo->resource;

	if (res->mem_type != place->mem_type)
		return false;
	return !(place->flags & TTM_PL_FLAG_CONTIGUOUS) ||
	       (res->placement & TTM_PL_FLAG_CONTIGUOUS);
}

int ttm_bo_validate(struct ttm_buffer_object *bo, const struct ttm_placement *placement)
{
	struct ttm_resource *new;
	int err = check_placement(placement);

	if (err)
		return err;
	mutex_lock(&bo->resv);
	for (unsigned int i = 0; i < placement->num_placement; i++) {
		if (place_satisfied(bo, &placement->placement[i]))
			goto out;
	}
	/* 6.12: "Moving of pinned BOs is forbidden". */
	err = -EINVAL;
	if (bo->pin_count)
		goto out;
	err = ttm_bo_place(bo, placement, false, &new);
	if (!err)
		ttm_bo_handle_move_mem(bo, new);
out:
	ttm_bo_unreserve(bo);
	return err;
}

int ttm_bo_evict(struct ttm_buffer_object *bo)
{
	int err = 0;

	mutex_lock(&bo->resv);
	if (bo->resource->mem_type != TTM_PL_VRAM)
		;	/* where eviction would put it already */
	else if (bo->pin_count)
		err = -EINVAL;
	else
		err = ttm_bo_move_to(bo, &sys_place, false);
	ttm_bo_unreserve(bo);
	return err;
}

void ttm_bo_pin(struct ttm_buffer_object *bo)
{
	mutex_lock(&bo->resv);
	bo->pin_count++;
	ttm_bo_unreserve(bo);
}

void ttm_bo_unpin(struct ttm_buffer_object *bo)
{
	mutex_lock(&bo->resv);
	if (bo->pin_count)
		bo->pin_count--;
	ttm_bo_unreserve(bo);
}

unsigned int ttm_bo_mem_type(struct ttm_buffer_object *bo)
{
	unsigned int type;

	mutex_lock(&bo->resv);
	type = bo->resource->mem_type;
	mutex_unlock(&bo->resv);
	return type;
}

uint64_t ttm_bo_size(const struct ttm_buffer_object *bo) { return bo->size; }
unsigned long ttm_bo_mmap_offset(const struct ttm_buffer_object *bo) { return bo->vm_node_start; }
unsigned long ttm_bo_moves(const struct ttm_buffer_object *bo) { return bo->moves; }

unsigned long ttm_bo_pfn(struct ttm_buffer_object *bo, unsigned long i)
{
	unsigned long pfn;

	mutex_lock(&bo->resv);
	pfn = i < bo->num_pages ? ttm_resource_pfn(bo->bdev, bo->resource, i) : ~0UL;
	mutex_unlock(&bo->resv);
	return pfn;
}

unsigned long ttm_bo_mmap(struct mm_struct *mm, struct ttm_buffer_object *bo,
			  unsigned long prot)
{
	return hp_mmap(mm, bo->bdev->file, 0, bo->size, prot, MAP_SHARED, bo->vm_node_start);
}
