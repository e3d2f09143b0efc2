// SPDX-License-Identifier: MIT
/*
 * TTM: the VRAM buddy allocator, BO placement, moves and eviction that keep
 * every byte, huge mappings of VRAM and system BOs, and the thread's bug per
 * policy: what gup-fast does to a huge BO mapping.
 */
#include <string.h>

#include "hp_test.h"


/* ---- drm_buddy ------------------------------------------------------------- */

static void test_buddy_alignment_and_merge(void **state)
{
	struct drm_buddy mm;
	struct drm_buddy_block *a, *b, *c;
	unsigned int na, nb, nc;

	(void)state;
	assert_int_equal(drm_buddy_init(&mm, 64ULL << 20), 0);
	assert_int_equal(mm.max_order, 14);
	assert_int_equal(drm_buddy_largest_free_order(&mm), 14);
	assert_int_equal(drm_buddy_alloc_blocks(&mm, PAGE_SIZE, PAGE_SIZE, 0, &a, &na), 0);
	assert_int_equal(na, 1);
	assert_int_equal(a[0].order, 0);
	/* 2 MiB blocks are 2 MiB aligned even after a 4 KiB allocation. */
	assert_int_equal(drm_buddy_alloc_blocks(&mm, 4 * PMD_SIZE, PMD_SIZE, 0, &b, &nb), 0);
	for (unsigned int i = 0; i < nb; i++)
		assert_int_equal(b[i].offset & (PMD_SIZE - 1), 0);
	/* 6 MiB contiguous: one range, tiled by a 4 MiB and a 2 MiB block. */
	assert_int_equal(drm_buddy_alloc_blocks(&mm, 3 * PMD_SIZE, PAGE_SIZE,
						DRM_BUDDY_CONTIGUOUS_ALLOCATION, &c, &nc), 0);
	assert_int_equal(nc, 2);
	assert_int_equal(c[1].offset, c[0].offset + (PAGE_SIZE << c[0].order));
	assert_int_equal(mm.avail, (64ULL << 20) - PAGE_SIZE - 4 * PMD_SIZE - 3 * PMD_SIZE);
	drm_buddy_free_blocks(&mm, a, na);
	drm_buddy_free_blocks(&mm, b, nb);
	drm_buddy_free_blocks(&mm, c, nc);
	free(a);
	free(b);
	free(c);
	/* Everything merged back into one block. */
	assert_int_equal(mm.avail, 64ULL << 20);
	assert_int_equal(drm_buddy_largest_free_order(&mm), 14);
	assert_int_equal(mm.nr_free[14], 1);
	drm_buddy_fini(&mm);
}

/* As Linux's: blocks as large as the VRAM allows, so contiguous ranges over 1 GiB. */
static void test_buddy_contiguous_over_1g(void **state)
{
	struct drm_buddy mm;
	struct drm_buddy_block *a, *b;
	unsigned int na, nb;

	(void)state;
	assert_int_equal(drm_buddy_init(&mm, 4ULL << 30), 0);
	assert_int_equal(mm.max_order, 20);
	assert_int_equal(drm_buddy_alloc_blocks(&mm, 3ULL << 29, PAGE_SIZE,
						DRM_BUDDY_CONTIGUOUS_ALLOCATION, &a, &na), 0);
	assert_int_equal(na, 2);	/* 1 GiB + 512 MiB, back to back */
	assert_int_equal(a[1].offset, a[0].offset + (PAGE_SIZE << a[0].order));
	assert_int_equal(drm_buddy_alloc_blocks(&mm, 2ULL << 30, PAGE_SIZE,
						DRM_BUDDY_CONTIGUOUS_ALLOCATION, &b, &nb), 0);
	assert_int_equal(nb, 1);
	assert_int_equal(mm.avail, (4ULL << 30) - (3ULL << 29) - (2ULL << 30));
	drm_buddy_free_blocks(&mm, a, na);
	drm_buddy_free_blocks(&mm, b, nb);
	free(a);
	free(b);
	assert_int_equal(drm_buddy_largest_free_order(&mm), 20);
	drm_buddy_fini(&mm);
}

static void test_buddy_fragmented_and_exhausted(void **state)
{
	struct drm_buddy_block *blocks[16], *big;
	unsigned int n[16], nbig;
	struct drm_buddy mm;

	(void)state;
	assert_int_equal(drm_buddy_init(&mm, 16ULL << 20), 0);
	for (int i = 0; i < 16; i++)
		assert_int_equal(drm_buddy_alloc_blocks(&mm, 1 << 20, 1 << 20, 0, &blocks[i], &n[i]), 0);
	assert_int_equal(drm_buddy_alloc_blocks(&mm, PAGE_SIZE, PAGE_SIZE, 0, &big, &nbig), -ENOSPC);
	/* Free every other MiB: 8 MiB free, no 2 MiB block. */
	for (int i = 0; i < 16; i += 2) {
		drm_buddy_free_blocks(&mm, blocks[i], n[i]);
		free(blocks[i]);
	}
	assert_int_equal(mm.avail, 8ULL << 20);
	assert_int_equal(drm_buddy_largest_free_order(&mm), 8);
	assert_int_equal(drm_buddy_alloc_blocks(&mm, 2 << 20, PAGE_SIZE,
						DRM_BUDDY_CONTIGUOUS_ALLOCATION, &big, &nbig), -ENOSPC);
	assert_int_equal(drm_buddy_alloc_blocks(&mm, 2 << 20, 2 << 20, 0, &big, &nbig), -ENOSPC);
	assert_int_equal(mm.avail, 8ULL << 20);
	/* Scattered, it is built from the 1 MiB pieces. */
	assert_int_equal(drm_buddy_alloc_blocks(&mm, 4 << 20, PAGE_SIZE, 0, &big, &nbig), 0);
	assert_int_equal(nbig, 4);
	for (unsigned int i = 1; i < nbig; i++)
		assert_true(big[i].offset > big[i - 1].offset);
	drm_buddy_free_blocks(&mm, big, nbig);
	free(big);
	assert_int_equal(drm_buddy_alloc_blocks(&mm, 0, PAGE_SIZE, 0, &big, &nbig), -EINVAL);
	assert_int_equal(drm_buddy_alloc_blocks(&mm, PAGE_SIZE, 3 * PAGE_SIZE, 0, &big, &nbig), -EINVAL);
	assert_int_equal(drm_buddy_alloc_blocks(&mm, 32 << 20, PAGE_SIZE, 0, &big, &nbig), -ENOSPC);
	for (int i = 1; i < 16; i += 2) {
		drm_buddy_free_blocks(&mm, blocks[i], n[i]);
		free(blocks[i]);
	}
	assert_int_equal(mm.avail, 16ULL << 20);
	assert_int_equal(drm_buddy_largest_free_order(&mm), 12);
	drm_buddy_fini(&mm);
}

/* ---- BOs ------------------------------------------------------------------ */

struct env {
	struct ttm_device *bdev;
	struct mm_struct *mm;
};

static void env_setup(struct env *e, uint64_t vram)
{
	struct ttm_device_config config = { .vram_size = vram };

	e->bdev = ttm_device_init(&config);
	assert_non_null(e->bdev);
	e->mm = mm_alloc();
}

static void env_done(struct env *e)
{
	if (e->mm)
		mmput(e->mm);
	ttm_device_fini(e->bdev);
}

static struct ttm_buffer_object *bo_new(struct env *e, uint64_t size,
					const struct ttm_placement *placement)
{
	struct ttm_buffer_object *bo;

	assert_int_equal(ttm_bo_create(e->bdev, size, placement, &bo), 0);
	return bo;
}

/* A whole BO, where the kernel puts it (2 MiB-aligned from 2 MiB on). */
static unsigned long bo_map(struct mm_struct *mm, struct ttm_buffer_object *bo)
{
	unsigned long addr = ttm_bo_mmap(mm, bo, PROT_READ | PROT_WRITE);

	assert_false(IS_ERR_VALUE(addr));
	return addr;
}

/* A whole BO at an address skew past a multiple of align, as user space asks. */
static unsigned long bo_map_at(struct env *e, struct ttm_buffer_object *bo,
			       unsigned long align, unsigned long skew)
{
	unsigned long addr = hp_mmap_aligned(e->mm, ttm_device_file(e->bdev), ttm_bo_size(bo),
					     PROT_READ | PROT_WRITE, MAP_SHARED,
					     ttm_bo_mmap_offset(bo), align, skew);

	assert_false(IS_ERR_VALUE(addr));
	assert_int_equal(addr & (align - 1), skew);
	return addr;
}

/* Every 64th byte of every page: a value from the seed, the page and the offset. */
static void fill_pattern(struct mm_struct *mm, unsigned long addr, uint64_t size, int seed)
{
	unsigned char buf[PAGE_SIZE] = { 0 };

	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		for (unsigned int i = 0; i < PAGE_SIZE; i += 64)
			buf[i] = (unsigned char)(seed + (off >> PAGE_SHIFT) * 3 + i);
		assert_int_equal(hp_access(mm, addr + off, PAGE_SIZE, HP_ACCESS_WRITE, buf),
				 HP_ACCESS_OK);
	}
}

static bool check_pattern(struct mm_struct *mm, unsigned long addr, uint64_t size, int seed)
{
	unsigned char buf[PAGE_SIZE];

	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		if (hp_access(mm, addr + off, PAGE_SIZE, HP_ACCESS_READ, buf) != HP_ACCESS_OK)
			return false;
		for (unsigned int i = 0; i < PAGE_SIZE; i += 64)
			if (buf[i] != (unsigned char)(seed + (off >> PAGE_SHIFT) * 3 + i))
				return false;
	}
	return true;
}

/* FNV-1a over every byte of a mapping. */
static uint64_t checksum(struct mm_struct *mm, unsigned long addr, uint64_t size)
{
	unsigned char buf[PAGE_SIZE];
	uint64_t h = 0xcbf29ce484222325ULL;

	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		assert_int_equal(hp_access(mm, addr + off, PAGE_SIZE, HP_ACCESS_READ, buf),
				 HP_ACCESS_OK);
		for (unsigned int i = 0; i < PAGE_SIZE; i++)
			h = (h ^ buf[i]) * 0x100000001b3ULL;
	}
	return h;
}

static unsigned long resolved_at(struct mm_struct *mm, enum hp_level level)
{
	return atomic_load(&mm->faults.resolved_at[level]);
}

static void test_bo_create_errors(void **state)
{
	static const struct ttm_place bad = { .mem_type = 7 };
	static const struct ttm_placement bad_type = { 1, &bad };
	static const struct ttm_placement none = { 0, NULL };
	struct ttm_buffer_object *bo;
	struct env e;

	(void)state;
	env_setup(&e, 8ULL << 20);
	assert_int_equal(ttm_bo_create(e.bdev, 0, &in_vram, &bo), -EINVAL);
	assert_int_equal(ttm_bo_create(e.bdev, PAGE_SIZE + 1, &in_vram, &bo), -EINVAL);
	assert_int_equal(ttm_bo_create(e.bdev, PAGE_SIZE, &bad_type, &bo), -EINVAL);
	assert_int_equal(ttm_bo_create(e.bdev, PAGE_SIZE, &none, &bo), -EINVAL);
	/* No room even after evicting: 6.12's ttm_bo_validate() says -ENOMEM. */
	assert_int_equal(ttm_bo_create(e.bdev, 16ULL << 20, &in_vram, &bo), -ENOMEM);
	assert_int_equal(ttm_vram_free(e.bdev), 8ULL << 20);
	/* A private (copy-on-write) mapping of a BO is refused, as TTM does. */
	bo = bo_new(&e, PMD_SIZE, &in_vram);
	assert_int_equal((long)hp_mmap(e.mm, ttm_device_file(e.bdev), 0, PMD_SIZE,
				       PROT_READ | PROT_WRITE, MAP_PRIVATE, ttm_bo_mmap_offset(bo)),
			 -EINVAL);
	/* A window past the BO's end is refused. */
	assert_int_equal((long)hp_mmap(e.mm, ttm_device_file(e.bdev), 0, 2 * PMD_SIZE,
				       PROT_READ, MAP_SHARED, ttm_bo_mmap_offset(bo)), -EINVAL);
	assert_int_equal(ttm_bo_destroy(bo), 0);
	env_done(&e);
}

/*
 * A 1 GiB BO in 1 GiB-aligned VRAM, mapped where user space asked for a
 * 1 GiB-aligned address: one PUD fault maps all of it.
 */
static void test_vram_bo_one_pud_fault(void **state)
{
	struct ttm_buffer_object *bo;
	struct hp_entry_counts c;
	unsigned long addr;
	struct env e;
	uint64_t val;

	(void)state;
	env_setup(&e, 2ULL << 30);
	bo = bo_new(&e, PUD_SIZE, &in_vram);
	assert_int_equal(ttm_bo_pfn(bo, 0) & (HPAGE_PUD_NR - 1), 0);
	/* Left to the kernel, the series' hook aligns a BO of 1 GiB to 1 GiB. */
	addr = bo_map(e.mm, bo);
	assert_int_equal(addr & (PUD_SIZE - 1), 0);
	for (unsigned long off = 0; off < PUD_SIZE; off += 1021 * PAGE_SIZE) {
		char v = (char)(off >> 20);

		assert_int_equal(hp_access(e.mm, addr + off, 1, HP_ACCESS_WRITE, &v), HP_ACCESS_OK);
	}
	assert_int_equal(hp_test_faults(e.mm), 1);
	assert_int_equal(resolved_at(e.mm, HP_LEVEL_PUD), 1);
	c = hp_test_counts(e.mm);
	assert_int_equal(c.leaves[HP_LEVEL_PUD][HP_KIND_SPECIAL], 1);
	assert_int_equal(c.tables[HP_TABLE_PMD] + c.tables[HP_TABLE_PTE], 0);
	assert_int_equal(hp_lookup_entry(e.mm, addr, &val), HP_LEVEL_PUD);
	/* VRAM is mapped write-combined (PAT index 1 = PWT). */
	assert_int_equal(pud_val(__pud(val)) & _PAGE_LARGE_CACHE_MASK, _PAGE_PWT);
	assert_int_equal(ttm_bo_destroy(bo), 0);
	env_done(&e);
}

/*
 * Two 1 GiB BOs mapped one after the other, top-down: the second ends where
 * the first starts. Its padded range ends at the first BO, so the range's
 * start is 1 GiB aligned; taking that start (not the highest aligned
 * address, as __thp_get_unmapped_area() does) would leave 1 GiB unused
 * between the two.
 */
static void test_pud_bos_mapped_back_to_back(void **state)
{
	struct ttm_buffer_object *a, *b;
	unsigned long addr_a, addr_b;
	struct env e;

	(void)state;
	env_setup(&e, 2ULL << 30);
	a = bo_new(&e, PUD_SIZE, &in_vram);
	b = bo_new(&e, PUD_SIZE, &in_vram);
	addr_a = bo_map(e.mm, a);
	addr_b = bo_map(e.mm, b);
	assert_int_equal(addr_a & (PUD_SIZE - 1), 0);
	assert_int_equal(addr_b & (PUD_SIZE - 1), 0);
	assert_int_equal(addr_b + PUD_SIZE, addr_a);
	assert_int_equal(ttm_bo_destroy(b), 0);
	assert_int_equal(ttm_bo_destroy(a), 0);
	env_done(&e);
}

/* 6 MiB: three PMD faults when aligned; 4 KiB faults with prefault when not. */
static void test_vram_bo_pmd_and_misaligned(void **state)
{
	struct ttm_buffer_object *bo;
	unsigned long addr;
	struct env e;

	(void)state;
	env_setup(&e, 64ULL << 20);
	bo = bo_new(&e, 3 * PMD_SIZE, &in_vram);
	addr = bo_map(e.mm, bo);
	fill_pattern(e.mm, addr, 3 * PMD_SIZE, 1);
	assert_int_equal(hp_test_faults(e.mm), 3);
	assert_int_equal(resolved_at(e.mm, HP_LEVEL_PMD), 3);
	assert_int_equal(hp_test_counts(e.mm).leaves[HP_LEVEL_PMD][HP_KIND_SPECIAL], 3);

	/*
	 * A mapping must start at the BO (drm_gem_mmap()'s exact lookup); a
	 * second one 4 KiB past a 2 MiB boundary lines nothing up.
	 */
	assert_int_equal((long)hp_mmap(e.mm, ttm_device_file(e.bdev), 0, 2 * PMD_SIZE,
				       PROT_READ, MAP_SHARED, ttm_bo_mmap_offset(bo) + 1), -EINVAL);
	addr = bo_map_at(&e, bo, PMD_SIZE, PAGE_SIZE);
	{
		unsigned long before = hp_test_faults(e.mm);

		/* 64 pages from the window's start: 4 faults, each prefaulting 16 pages. */
		for (unsigned long off = 0; off < 64 * PAGE_SIZE; off += PAGE_SIZE) {
			char v;

			assert_int_equal(hp_access(e.mm, addr + off, 1, HP_ACCESS_READ, &v), HP_ACCESS_OK);
		}
		assert_int_equal(hp_test_faults(e.mm) - before, 4);
		assert_int_equal(hp_test_counts(e.mm).leaves[HP_LEVEL_PTE][HP_KIND_SPECIAL], 64);
	}
	assert_true(check_pattern(e.mm, addr, 64 * PAGE_SIZE, 1));
	assert_int_equal(ttm_bo_destroy(bo), 0);
	env_done(&e);
}

/* Eviction to system memory keeps every byte; the refault maps system PMDs. */
static void test_eviction_keeps_bytes(void **state)
{
	struct ttm_buffer_object *bo;
	struct hp_entry_counts c;
	unsigned long addr, vram_pfn;
	struct env e;
	uint64_t sum;

	(void)state;
	env_setup(&e, 64ULL << 20);
	bo = bo_new(&e, 4 * PMD_SIZE, &vram_or_sys);
	assert_int_equal(ttm_bo_mem_type(bo), TTM_PL_VRAM);
	addr = bo_map(e.mm, bo);
	fill_pattern(e.mm, addr, 4 * PMD_SIZE, 7);
	sum = checksum(e.mm, addr, 4 * PMD_SIZE);
	vram_pfn = ttm_bo_pfn(bo, 0);
	assert_int_equal(ttm_bo_evict(bo), 0);
	assert_int_equal(ttm_bo_mem_type(bo), TTM_PL_SYSTEM);
	assert_int_equal(ttm_bo_moves(bo), 1);
	assert_true(pfn_valid(ttm_bo_pfn(bo, 0)));
	assert_int_not_equal(ttm_bo_pfn(bo, 0), vram_pfn);
	/* The mapping was invalidated: nothing mapped until the next access. */
	assert_int_equal(hp_test_counts(e.mm).leaves[HP_LEVEL_PMD][HP_KIND_SPECIAL], 0);
	assert_int_equal(checksum(e.mm, addr, 4 * PMD_SIZE), sum);
	c = hp_test_counts(e.mm);
	assert_int_equal(c.leaves[HP_LEVEL_PMD][HP_KIND_SPECIAL], 4);
	/* And back into VRAM, still intact. */
	assert_int_equal(ttm_bo_validate(bo, &in_vram), 0);
	assert_int_equal(ttm_bo_mem_type(bo), TTM_PL_VRAM);
	assert_int_equal(checksum(e.mm, addr, 4 * PMD_SIZE), sum);
	assert_true(check_pattern(e.mm, addr, 4 * PMD_SIZE, 7));
	assert_int_equal(ttm_bo_moves(bo), 2);
	assert_int_equal(ttm_bo_destroy(bo), 0);
	env_done(&e);
}

/*
 * A contiguous place is satisfied by a resource made contiguous only (6.12's
 * ttm_place_compatible()): a BO that happens to sit in one piece of VRAM
 * still moves, once, and then stays.
 */
static void test_validate_contiguous_moves_once(void **state)
{
	static const struct ttm_place contig_vram = { TTM_PL_VRAM, TTM_PL_FLAG_CONTIGUOUS };
	static const struct ttm_placement in_contig_vram = { 1, &contig_vram };
	struct ttm_buffer_object *bo;
	struct env e;

	(void)state;
	env_setup(&e, 64ULL << 20);
	bo = bo_new(&e, PMD_SIZE, &in_vram);
	/* Empty VRAM: one 2 MiB block, contiguous by chance. */
	assert_int_equal(ttm_bo_pfn(bo, 511), ttm_bo_pfn(bo, 0) + 511);
	assert_int_equal(ttm_bo_validate(bo, &in_vram), 0);
	assert_int_equal(ttm_bo_moves(bo), 0);
	assert_int_equal(ttm_bo_validate(bo, &in_contig_vram), 0);
	assert_int_equal(ttm_bo_moves(bo), 1);
	assert_int_equal(ttm_bo_validate(bo, &in_contig_vram), 0);
	assert_int_equal(ttm_bo_moves(bo), 1);
	assert_int_equal(ttm_bo_destroy(bo), 0);
	env_done(&e);
}

/*
 * A new BO reads as zeros, also on VRAM a destroyed BO filled: VRAM is zeroed
 * by giving its host pages back (so VRAM never written costs no host memory),
 * and the odd 4 KiB blocks of a BO that is not a 2 MiB multiple too.
 */
static void test_vram_reused_reads_zero(void **state)
{
	static const unsigned char zeros[PAGE_SIZE];
	uint64_t size = 2 * PMD_SIZE + 3 * PAGE_SIZE;
	struct ttm_buffer_object *bo;
	unsigned long addr, pfn;
	unsigned char buf[PAGE_SIZE];
	struct env e;

	(void)state;
	env_setup(&e, 8ULL << 20);
	for (int round = 0; round < 2; round++) {
		bo = bo_new(&e, size, &in_vram);
		if (round)
			assert_int_equal(ttm_bo_pfn(bo, 0), pfn);	/* the same VRAM again */
		pfn = ttm_bo_pfn(bo, 0);
		addr = bo_map(e.mm, bo);
		for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
			assert_int_equal(hp_access(e.mm, addr + off, PAGE_SIZE, HP_ACCESS_READ, buf),
					 HP_ACCESS_OK);
			assert_memory_equal(buf, zeros, PAGE_SIZE);
		}
		assert_int_equal(hp_access_fill(e.mm, addr, size, 0xa5), HP_ACCESS_OK);
		assert_int_equal(hp_munmap(e.mm, addr, size), 0);
		assert_int_equal(ttm_bo_destroy(bo), 0);
	}
	env_done(&e);
}

/*
 * VRAM full: the unpinned BO whose last driver operation is oldest makes
 * room.  As 6.12's ttm_bo_vm_fault(), a CPU fault does not move a BO on the
 * LRU; a validation does, even one that finds the BO in place, since the
 * driver's ttm_bo_unreserve() after it moves the BO to the LRU's tail.
 */
static void test_lru_eviction_and_pinning(void **state)
{
	struct ttm_buffer_object *a, *b, *c, *d;
	unsigned long addr_a;
	struct env e;
	char v = 1;

	(void)state;
	env_setup(&e, 8ULL << 20);
	a = bo_new(&e, 2 * PMD_SIZE, &vram_or_sys);
	b = bo_new(&e, 2 * PMD_SIZE, &vram_or_sys);
	addr_a = bo_map(e.mm, a);
	assert_int_equal(hp_access(e.mm, addr_a, 1, HP_ACCESS_WRITE, &v), HP_ACCESS_OK);
	/* a was made first and only touched since: a goes. */
	c = bo_new(&e, 2 * PMD_SIZE, &in_vram);
	assert_int_equal(ttm_bo_mem_type(a), TTM_PL_SYSTEM);
	assert_int_equal(ttm_bo_mem_type(b), TTM_PL_VRAM);
	assert_int_equal(ttm_bo_mem_type(c), TTM_PL_VRAM);
	/* Back into VRAM, a is now the newest: b makes room. */
	assert_int_equal(ttm_bo_validate(a, &in_vram), 0);
	assert_int_equal(ttm_bo_mem_type(b), TTM_PL_SYSTEM);
	/* c validated in place goes behind a: a makes room for b. */
	assert_int_equal(ttm_bo_validate(c, &in_vram), 0);
	assert_int_equal(ttm_bo_moves(c), 0);
	assert_int_equal(ttm_bo_validate(b, &in_vram), 0);
	assert_int_equal(ttm_bo_mem_type(a), TTM_PL_SYSTEM);
	assert_int_equal(ttm_bo_mem_type(b), TTM_PL_VRAM);
	assert_int_equal(ttm_bo_mem_type(c), TTM_PL_VRAM);
	assert_int_equal(ttm_bo_validate(a, &in_vram), 0);
	assert_int_equal(ttm_bo_mem_type(c), TTM_PL_SYSTEM);
	assert_int_equal(ttm_bo_validate(c, &in_vram), 0);
	assert_int_equal(ttm_bo_mem_type(b), TTM_PL_SYSTEM);
	/* VRAM: a, then c. */
	/*
	 * VRAM is full: a BO that may go to system memory goes there and
	 * evicts nothing (6.12 tries every place without evicting first).
	 */
	d = bo_new(&e, 2 * PMD_SIZE, &vram_or_sys);
	assert_int_equal(ttm_bo_mem_type(d), TTM_PL_SYSTEM);
	assert_int_equal(ttm_bo_mem_type(a), TTM_PL_VRAM);
	assert_int_equal(ttm_bo_mem_type(c), TTM_PL_VRAM);
	assert_int_equal(ttm_bo_validate(d, &vram_or_sys), 0);
	assert_int_equal(ttm_bo_mem_type(d), TTM_PL_SYSTEM);
	assert_int_equal(ttm_bo_destroy(d), 0);
	/* With everything in VRAM pinned, there is no room and nothing moves. */
	ttm_bo_pin(a);
	ttm_bo_pin(c);
	assert_int_equal(ttm_bo_create(e.bdev, 2 * PMD_SIZE, &in_vram, &d), -ENOMEM);
	/* "Moving of pinned BOs is forbidden": -EINVAL, as ttm_bo_validate(). */
	assert_int_equal(ttm_bo_evict(a), -EINVAL);
	assert_int_equal(ttm_bo_validate(a, &in_sys), -EINVAL);
	assert_int_equal(ttm_bo_validate(a, &in_vram), 0);
	assert_int_equal(ttm_bo_destroy(a), -EBUSY);
	assert_int_equal(ttm_bo_mem_type(a), TTM_PL_VRAM);
	ttm_bo_unpin(a);
	ttm_bo_unpin(c);
	/* Destroyed while mapped: the mapping keeps it, bytes and all. */
	assert_int_equal(ttm_bo_destroy(a), 0);
	v = 0;
	assert_int_equal(hp_access(e.mm, addr_a, 1, HP_ACCESS_READ, &v), HP_ACCESS_OK);
	assert_int_equal(v, 1);
	assert_int_equal(hp_munmap(e.mm, addr_a, 2 * PMD_SIZE), 0);
	assert_int_equal(ttm_bo_destroy(b), 0);
	assert_int_equal(ttm_bo_destroy(c), 0);
	assert_int_equal(ttm_vram_free(e.bdev), 8ULL << 20);
	env_done(&e);
}

/* Two processes, one BO: the same bytes, before and after a move. */
static void test_shared_bo_across_processes(void **state)
{
	struct ttm_buffer_object *bo;
	struct mm_struct *other;
	unsigned long a, b;
	struct env e;

	(void)state;
	env_setup(&e, 64ULL << 20);
	other = mm_alloc();
	bo = bo_new(&e, 2 * PMD_SIZE, &vram_or_sys);
	a = bo_map(e.mm, bo);
	b = bo_map(other, bo);
	fill_pattern(e.mm, a, 2 * PMD_SIZE, 3);
	assert_true(check_pattern(other, b, 2 * PMD_SIZE, 3));
	assert_int_equal(ttm_bo_evict(bo), 0);
	assert_int_equal(hp_test_counts(other).leaves[HP_LEVEL_PMD][HP_KIND_SPECIAL], 0);
	fill_pattern(other, b, PMD_SIZE, 9);
	assert_true(check_pattern(e.mm, a, PMD_SIZE, 9));
	/* Page k of the second half is BO page 512 + k. */
	assert_true(check_pattern(e.mm, a + PMD_SIZE, PMD_SIZE, 3 + 3 * 512));
	assert_int_equal(ttm_bo_destroy(bo), 0);
	mmput(other);
	env_done(&e);
}

/* ---- the thread's bug, per policy ----------------------------------------- */

static void test_vram_bo_gup_per_policy(void **state)
{
	enum hugepfn_policy policy = hp_test_policy(state);
	bool plain = policy == HP_POLICY_PLAIN;
	struct ttm_buffer_object *bo;
	struct page *page = NULL;
	struct hp_entry_counts c;
	unsigned long addr;
	struct env e;

	env_setup(&e, 16ULL << 20);
	bo = bo_new(&e, 2 * PMD_SIZE, &in_vram);
	addr = bo_map(e.mm, bo);
	fill_pattern(e.mm, addr, PAGE_SIZE, 1);
	c = hp_test_counts(e.mm);
	if (policy == HP_POLICY_NONE)
		assert_int_equal(c.leaves[HP_LEVEL_PTE][HP_KIND_SPECIAL], TTM_BO_VM_NUM_PREFAULT);
	else
		assert_int_equal(c.leaves[HP_LEVEL_PMD][plain ? HP_KIND_NORMAL :
				 policy == HP_POLICY_DEVMAP ? HP_KIND_DEVMAP : HP_KIND_SPECIAL], 1);
	assert_int_equal(get_user_pages_fast(e.mm, addr + 5 * PAGE_SIZE, 1, 0, &page), -EFAULT);
	assert_int_equal(get_user_pages(e.mm, addr, 1, 0, &page), -EFAULT);
	assert_null(page);
	if (plain) {
		struct hp_violation v;

		assert_true(hp_violation_get(0, &v));
		assert_int_equal(v.pfn, ttm_bo_pfn(bo, 5));
		assert_int_equal(v.level, HP_LEVEL_PMD);
		assert_string_equal(v.what, "reference on a pfn with no struct page");
		hp_test_expect_violations(state, 1);
	}
	assert_int_equal(ttm_bo_destroy(bo), 0);
	env_done(&e);
}

/*
 * A system BO mapped by a huge PMD over a 2 MiB pool chunk.  Under plain,
 * gup-fast pins the TTM page; the BO moves to VRAM, its chunk goes back to the
 * pool, the next BO gets it: the pin now reads another BO's bytes.
 */
static void test_system_bo_pinned_page_reused(void **state)
{
	bool plain = hp_test_policy(state) == HP_POLICY_PLAIN;
	struct ttm_buffer_object *bo, *other;
	struct page *page = NULL;
	unsigned long addr, addr2;
	struct env e;
	int got;

	env_setup(&e, 16ULL << 20);
	bo = bo_new(&e, PMD_SIZE, &in_sys);
	addr = bo_map(e.mm, bo);
	fill_pattern(e.mm, addr, PMD_SIZE, 5);
	assert_int_equal(hp_test_counts(e.mm).leaves[HP_LEVEL_PMD][plain ? HP_KIND_NORMAL :
							HP_KIND_SPECIAL], 1);
	got = pin_user_pages_fast(e.mm, addr, 1, 0, &page);
	if (!plain) {
		assert_int_equal(got, -EFAULT);
		assert_int_equal(ttm_bo_validate(bo, &in_vram), 0);
		assert_int_equal(ttm_bo_destroy(bo), 0);
		env_done(&e);
		return;
	}
	assert_int_equal(got, 1);
	assert_int_equal(page_to_pfn(page), ttm_bo_pfn(bo, 0));
	assert_int_equal(hp_violation_count(), 1);
	/* TTM moves the BO; the chunk goes to the pool and to the next BO. */
	assert_int_equal(ttm_bo_validate(bo, &in_vram), 0);
	other = bo_new(&e, PMD_SIZE, &in_sys);
	assert_int_equal(ttm_bo_pfn(other, 0), page_to_pfn(page));
	assert_int_equal(hp_violation_count(), 2);
	addr2 = bo_map(e.mm, other);
	fill_pattern(e.mm, addr2, PAGE_SIZE, 99);
	/* The "DMA" through the pin sees the other BO's bytes, not bo's. */
	assert_int_equal(((unsigned char *)page_address(page))[0], (unsigned char)99);
	assert_true(check_pattern(e.mm, addr, PMD_SIZE, 5));
	unpin_user_page(page);
	assert_int_equal(ttm_bo_destroy(bo), 0);
	assert_int_equal(ttm_bo_destroy(other), 0);
	env_done(&e);
	hp_test_expect_violations(state, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buddy_alignment_and_merge),
		cmocka_unit_test(test_buddy_contiguous_over_1g),
		cmocka_unit_test(test_buddy_fragmented_and_exhausted),
		HP_TEST(test_bo_create_errors),
		HP_TEST(test_vram_bo_one_pud_fault),
		HP_TEST(test_pud_bos_mapped_back_to_back),
		HP_TEST(test_vram_bo_pmd_and_misaligned),
		HP_TEST(test_eviction_keeps_bytes),
		HP_TEST(test_validate_contiguous_moves_once),
		HP_TEST(test_lru_eviction_and_pinning),
		HP_TEST(test_vram_reused_reads_zero),
		HP_TEST(test_shared_bo_across_processes),
		HP_TEST_UNDER(test_vram_bo_gup_per_policy, NONE),
		HP_TEST_UNDER(test_vram_bo_gup_per_policy, PLAIN),
		HP_TEST_UNDER(test_vram_bo_gup_per_policy, DEVMAP),
		HP_TEST(test_vram_bo_gup_per_policy),
		HP_TEST_UNDER(test_system_bo_pinned_page_reused, PLAIN),
		HP_TEST(test_system_bo_pinned_page_reused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
