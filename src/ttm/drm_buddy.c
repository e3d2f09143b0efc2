// SPDX-License-Identifier: MIT
/*
 * The VRAM allocator, after DRM's drm_buddy: a binary buddy allocator over
 * 4 KiB chunks whose largest order is the largest power of two in the size.  A free block is on its order's list
 * and marked in free_order[] at its first chunk, so finding whether a buddy is
 * free is one look-up.  Callers serialize (the VRAM manager's lock).
 */
#include <errno.h>
#include <stdlib.h>

#include <hugepfn/ttm.h>
#include "host/list.h"

#define CHUNK_SHIFT	PAGE_SHIFT
#define CHUNK		(1ULL << CHUNK_SHIFT)

static uint64_t block_bytes(unsigned int order)
{
	return CHUNK << order;
}

static unsigned int floor_log2(uint64_t v)
{
	return 63 - (unsigned int)__builtin_clzll(v);
}

static void mark_free(struct drm_buddy *mm, uint64_t offset, unsigned int order)
{
	uint64_t chunk = offset >> CHUNK_SHIFT;

	mm->free_order[chunk] = (uint8_t)(order + 1);
	list_add_tail(&mm->links[chunk], &mm->free_list[order]);
	mm->nr_free[order]++;
}

static void unmark_free(struct drm_buddy *mm, uint64_t offset, unsigned int order)
{
	uint64_t chunk = offset >> CHUNK_SHIFT;

	mm->free_order[chunk] = 0;
	list_del(&mm->links[chunk]);
	mm->nr_free[order]--;
}

static bool is_free_block(const struct drm_buddy *mm, uint64_t offset, unsigned int order)
{
	return offset + block_bytes(order) <= mm->size &&
	       mm->free_order[offset >> CHUNK_SHIFT] == order + 1;
}

/* Frees one block, merging it with its buddy for as long as the buddy is free. */
static void free_block(struct drm_buddy *mm, uint64_t offset, unsigned int order)
{
	mm->avail += block_bytes(order);
	while (order < mm->max_order) {
		uint64_t buddy = offset ^ block_bytes(order);

		if (!is_free_block(mm, buddy, order))
			break;
		unmark_free(mm, buddy, order);
		offset &= ~block_bytes(order);
		order++;
	}
	mark_free(mm, offset, order);
}

/* The order of the largest aligned block that starts at offset and ends by end. */
static unsigned int tile_order(const struct drm_buddy *mm, uint64_t offset, uint64_t end)
{
	unsigned int order = offset ? (unsigned int)__builtin_ctzll(offset) - CHUNK_SHIFT
				    : mm->max_order;

	if (order > mm->max_order)
		order = mm->max_order;
	while (offset + block_bytes(order) > end)
		order--;
	return order;
}

/* Frees [offset, end) as the largest aligned blocks that tile it. */
static void free_range(struct drm_buddy *mm, uint64_t offset, uint64_t end)
{
	while (offset < end) {
		unsigned int order = tile_order(mm, offset, end);

		free_block(mm, offset, order);
		offset += block_bytes(order);
	}
}

int drm_buddy_init(struct drm_buddy *mm, uint64_t size)
{
	uint64_t chunks = size >> CHUNK_SHIFT;

	if (!size || size & (CHUNK - 1))
		return -EINVAL;
	mm->size = size;
	mm->avail = 0;
	mm->max_order = floor_log2(chunks);
	if (mm->max_order > DRM_BUDDY_MAX_ORDER)
		mm->max_order = DRM_BUDDY_MAX_ORDER;
	for (unsigned int o = 0; o <= DRM_BUDDY_MAX_ORDER; o++) {
		INIT_LIST_HEAD(&mm->free_list[o]);
		mm->nr_free[o] = 0;
	}
	mm->free_order = calloc(chunks, sizeof(*mm->free_order));
	mm->links = calloc(chunks, sizeof(*mm->links));
	if (!mm->free_order || !mm->links) {
		drm_buddy_fini(mm);
		return -ENOMEM;
	}
	free_range(mm, 0, size);
	return 0;
}

void drm_buddy_fini(struct drm_buddy *mm)
{
	free(mm->free_order);
	free(mm->links);
	mm->free_order = NULL;
	mm->links = NULL;
}

/* One block of exactly this order, splitting a larger one; false if none. */
static bool alloc_block(struct drm_buddy *mm, unsigned int order, uint64_t *offset)
{
	for (unsigned int o = order; o <= mm->max_order; o++) {
		uint64_t off;

		if (list_empty(&mm->free_list[o]))
			continue;
		off = (uint64_t)(mm->free_list[o].next - mm->links) << CHUNK_SHIFT;
		unmark_free(mm, off, o);
		while (o > order) {
			o--;
			mark_free(mm, off + block_bytes(o), o);
		}
		mm->avail -= block_bytes(order);
		*offset = off;
		return true;
	}
	return false;
}

int drm_buddy_largest_free_order(const struct drm_buddy *mm)
{
	for (int o = (int)mm->max_order; o >= 0; o--)
		if (mm->nr_free[o])
			return o;
	return -1;
}

static int cmp_block(const void *a, const void *b)
{
	const struct drm_buddy_block *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Splits [offset, offset + size) into the aligned blocks that tile it. */
static unsigned int tile_range(const struct drm_buddy *mm, uint64_t offset, uint64_t size,
			       struct drm_buddy_block *out)
{
	uint64_t end = offset + size;
	unsigned int n = 0;

	while (offset < end) {
		unsigned int order = tile_order(mm, offset, end);

		out[n++] = (struct drm_buddy_block){ offset, order };
		offset += block_bytes(order);
	}
	return n;
}

static int alloc_contiguous(struct drm_buddy *mm, uint64_t size,
			    struct drm_buddy_block **blocks, unsigned int *nr)
{
	unsigned int order = floor_log2(size >> CHUNK_SHIFT);
	uint64_t offset;

	if (block_bytes(order) < size)
		order++;
	if (order > mm->max_order)
		return -ENOSPC;
	*blocks = malloc(sizeof(**blocks) * 2 * (mm->max_order + 1));
	if (!*blocks)
		return -ENOMEM;
	if (!alloc_block(mm, order, &offset)) {
		free(*blocks);
		return -ENOSPC;
	}
	/* Give back the tail beyond size, then describe what is kept. */
	free_range(mm, offset + size, offset + block_bytes(order));
	*nr = tile_range(mm, offset, size, *blocks);
	return 0;
}

/* The largest block that fits in left, else smaller ones, down to min_order. */
static int alloc_largest(struct drm_buddy *mm, uint64_t left, unsigned int min_order,
			 struct drm_buddy_block *block)
{
	unsigned int want = floor_log2(left >> CHUNK_SHIFT);

	if (want > mm->max_order)
		want = mm->max_order;
	for (int order = (int)want; order >= (int)min_order; order--) {
		if (alloc_block(mm, (unsigned int)order, &block->offset)) {
			block->order = (unsigned int)order;
			return 0;
		}
	}
	return -ENOSPC;
}

static int alloc_scattered(struct drm_buddy *mm, uint64_t size, unsigned int min_order,
			   struct drm_buddy_block **blocks, unsigned int *nr)
{
	unsigned int cap = 16, n = 0;
	struct drm_buddy_block *out = malloc(sizeof(*out) * cap);
	uint64_t left = size;
	int err = 0;

	if (!out)
		return -ENOMEM;
	while (left && !err) {
		if (n == cap) {
			struct drm_buddy_block *bigger = realloc(out, sizeof(*out) * cap * 2);

			if (!bigger) {
				err = -ENOMEM;
				break;
			}
			out = bigger;
			cap *= 2;
		}
		err = alloc_largest(mm, left, min_order, &out[n]);
		if (!err)
			left -= block_bytes(out[n++].order);
	}
	if (err) {
		drm_buddy_free_blocks(mm, out, n);
		free(out);
		return err;
	}
	qsort(out, n, sizeof(*out), cmp_block);
	*blocks = out;
	*nr = n;
	return 0;
}

int drm_buddy_alloc_blocks(struct drm_buddy *mm, uint64_t size, uint64_t min_block_size,
			   unsigned int flags, struct drm_buddy_block **blocks,
			   unsigned int *nr_blocks)
{
	unsigned int min_order;

	if (!size || min_block_size < CHUNK || (min_block_size & (min_block_size - 1)) ||
	    min_block_size > block_bytes(DRM_BUDDY_MAX_ORDER))
		return -EINVAL;
	size = (size + min_block_size - 1) & ~(min_block_size - 1);
	if (!size)
		return -EINVAL;
	if (size > mm->avail)
		return -ENOSPC;
	min_order = floor_log2(min_block_size >> CHUNK_SHIFT);
	if (min_order > mm->max_order)
		return -ENOSPC;
	if (flags & DRM_BUDDY_CONTIGUOUS_ALLOCATION)
		return alloc_contiguous(mm, size, blocks, nr_blocks);
	return alloc_scattered(mm, size, min_order, blocks, nr_blocks);
}

void drm_buddy_free_blocks(struct drm_buddy *mm, struct drm_buddy_block *blocks,
			   unsigned int nr_blocks)
{
	for (unsigned int i = 0; i < nr_blocks; i++)
		free_block(mm, blocks[i].offset, blocks[i].order);
}
