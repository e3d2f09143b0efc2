// SPDX-License-Identifier: MIT
/*
 * mremap as Linux 6.12 does it (mm/mremap.c): the errnos, shrinking, growing
 * in place, and moves of each kind of entry -- 4 KiB PTEs (one by one, or a
 * whole table when 2 MiB line up), a whole PMD table when 1 GiB lines up,
 * anonymous THPs (kept as a PMD when 2 MiB line up, split otherwise), special
 * and devmap pfn PMDs (moved, or zapped and refaulted), and huge PUD leaves,
 * which 6.12's get_old_pud() clears as bad puds.  Bytes, pages, levels and
 * kinds at the new address; nothing left at the old one; no leak; a TTM BO
 * moved by mremap and then evicted is zapped at its new address.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hp_test.h"

/* Fixed addresses, far from where unhinted mappings are placed. */
#define A	0x200000000000UL	/* 512 GiB aligned */
#define B	(A + 8 * PUD_SIZE)	/* another PUD slot of the same PUD table */
#define P	PAGE_SIZE

static unsigned long map_at(struct mm_struct *mm, struct file *file, unsigned long addr,
			    unsigned long len, unsigned long prot, unsigned long flags,
			    unsigned long pgoff)
{
	assert_int_equal(hp_mmap(mm, file, addr, len, prot, flags | MAP_FIXED_NOREPLACE, pgoff),
			 addr);
	return addr;
}

static unsigned long anon_at(struct mm_struct *mm, unsigned long addr, unsigned long len)
{
	return map_at(mm, NULL, addr, len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, 0);
}

/* Pages sampled by fill() and check(): all of them, up to 512. */
static unsigned long step_of(unsigned long len)
{
	unsigned long step = (len / 512) & PAGE_MASK;

	return step > P ? step : P;
}

static void fill(struct mm_struct *mm, unsigned long addr, unsigned long len, int seed)
{
	for (unsigned long off = 0; off < len; off += step_of(len))
		hp_test_put_byte(mm, addr + off + 7, (char)(seed + off / P));
}

static void check(struct mm_struct *mm, unsigned long addr, unsigned long len, int seed)
{
	for (unsigned long off = 0; off < len; off += step_of(len))
		assert_int_equal(hp_test_get_byte(mm, addr + off + 7), (char)(seed + off / P));
}

static bool unmapped(struct mm_struct *mm, unsigned long addr)
{
	char v;

	return hp_access(mm, addr, 1, HP_ACCESS_READ, &v) == HP_ACCESS_SIGSEGV;
}

static enum hp_level entry(struct mm_struct *mm, unsigned long addr, uint64_t *val)
{
	return hp_lookup_entry(mm, addr, val);
}

static unsigned long tables_allocated(void)
{
	struct hp_pgtable_stats s;

	hp_pgtable_stats(&s);
	return s.allocated;
}

/* A device with 64 MiB of VRAM and one BO of 4 MiB in it. */
static struct ttm_buffer_object *bo_setup(struct ttm_device **bdev,
					  const struct ttm_placement *placement)
{
	struct ttm_buffer_object *bo;

	*bdev = ttm_device_init(&(struct ttm_device_config){ .vram_size = 64ULL << 20 });
	assert_non_null(*bdev);
	assert_int_equal(ttm_bo_create(*bdev, 2 * PMD_SIZE, placement, &bo), 0);
	return bo;
}

static void bo_done(struct mm_struct *mm, struct ttm_device *bdev, struct ttm_buffer_object *bo)
{
	mmput(mm);
	assert_int_equal(ttm_bo_destroy(bo), 0);
	ttm_device_fini(bdev);
}

/* ---- errnos ---------------------------------------------------------------- */

static void test_errnos_leave_the_mapping_as_it_was(void **state)
{
	struct mm_struct *mm;
	unsigned long a;
	uint64_t before, after;

	(void)state;
	mm = mm_alloc();
	a = anon_at(mm, A, 4 * P);
	anon_at(mm, A + 4 * P, P);	/* blocks growth in place */
	fill(mm, a, 4 * P, 1);
	assert_int_equal(entry(mm, a, &before), HP_LEVEL_PTE);

	assert_int_equal((long)hp_mremap(mm, a, 4 * P, 4 * P, 8, 0), -EINVAL);
	assert_int_equal((long)hp_mremap(mm, a, 4 * P, 4 * P, MREMAP_FIXED, B), -EINVAL);
	assert_int_equal((long)hp_mremap(mm, a, 4 * P, 8 * P,
					 MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0), -EINVAL);
	assert_int_equal((long)hp_mremap(mm, a, 4 * P, 4 * P, MREMAP_DONTUNMAP, 0), -EINVAL);
	assert_int_equal((long)hp_mremap(mm, a + 1, 4 * P, 4 * P, MREMAP_MAYMOVE, 0), -EINVAL);
	assert_int_equal((long)hp_mremap(mm, a, 4 * P, 0, MREMAP_MAYMOVE, 0), -EINVAL);
	/* No VMA at the address; a range running past its VMA. */
	assert_int_equal((long)hp_mremap(mm, A - PUD_SIZE, P, 2 * P, MREMAP_MAYMOVE, 0), -EFAULT);
	assert_int_equal((long)hp_mremap(mm, a, 5 * P, 8 * P, MREMAP_MAYMOVE, 0), -EFAULT);
	/* Growth that would have to move, without MREMAP_MAYMOVE. */
	assert_int_equal((long)hp_mremap(mm, a, 4 * P, 8 * P, 0, 0), -ENOMEM);
	/* Bad destinations: misaligned, overlapping, beyond TASK_SIZE. */
	assert_int_equal((long)hp_mremap(mm, a, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_FIXED,
					 B + 1), -EINVAL);
	assert_int_equal((long)hp_mremap(mm, a, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_FIXED,
					 a + 2 * P), -EINVAL);
	assert_int_equal((long)hp_mremap(mm, a, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_FIXED,
					 TASK_SIZE_MAX - 2 * P), -EINVAL);
	/* Duplicating (old_len 0) a private mapping. */
	assert_int_equal((long)hp_mremap(mm, a, 0, 4 * P, MREMAP_MAYMOVE, 0), -EINVAL);

	check(mm, a, 4 * P, 1);
	assert_int_equal(entry(mm, a, &after), HP_LEVEL_PTE);
	assert_int_equal(pte_pfn(__pte(after)), pte_pfn(__pte(before)));
	assert_int_equal(find_vma(mm, a)->vm_end, a + 4 * P);
	mmput(mm);
}

/* VM_PFNMAP and VM_DONTEXPAND mappings never grow, and refuse MREMAP_DONTUNMAP. */
static void test_pfnmap_and_dontexpand_refuse_growth(void **state)
{
	struct ttm_device *bdev;
	struct ttm_buffer_object *bo;
	struct hp_bar *bar;
	struct mm_struct *mm;
	unsigned long a, b;

	(void)state;
	mm = mm_alloc();
	bar = hp_bar_create("bar", 4 * PMD_SIZE, false);
	a = map_at(mm, hp_bar_file(bar), A, 2 * PMD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	hp_bar_destroy(bar);
	bo = bo_setup(&bdev, &in_vram);
	b = map_at(mm, ttm_device_file(bdev), B, 2 * PMD_SIZE, PROT_READ | PROT_WRITE,
		   MAP_SHARED, ttm_bo_mmap_offset(bo));
	assert_true(find_vma(mm, b)->vm_flags & VM_DONTEXPAND);

	assert_int_equal((long)hp_mremap(mm, a, 2 * PMD_SIZE, 3 * PMD_SIZE, MREMAP_MAYMOVE, 0),
			 -EFAULT);
	assert_int_equal((long)hp_mremap(mm, b, 2 * PMD_SIZE, 3 * PMD_SIZE, MREMAP_MAYMOVE, 0),
			 -EFAULT);
	assert_int_equal((long)hp_mremap(mm, a, 2 * PMD_SIZE, 2 * PMD_SIZE,
					 MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0), -EINVAL);
	assert_int_equal((long)hp_mremap(mm, b, 2 * PMD_SIZE, 2 * PMD_SIZE,
					 MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0), -EINVAL);
	/* Shrinking is an munmap of the tail, allowed for them too. */
	assert_int_equal(hp_mremap(mm, b, 2 * PMD_SIZE, PMD_SIZE, 0, 0), b);
	assert_int_equal(find_vma(mm, b)->vm_end, b + PMD_SIZE);
	bo_done(mm, bdev, bo);
}

/* ---- shrink and grow -------------------------------------------------------- */

static void test_shrink_unmaps_the_tail(void **state)
{
	struct mm_struct *mm;
	unsigned long a;

	(void)state;
	mm = mm_alloc();
	a = anon_at(mm, A, 8 * P);
	fill(mm, a, 8 * P, 2);
	assert_int_equal(hp_mremap(mm, a, 8 * P, 3 * P - 100, 0, 0), a);
	check(mm, a, 3 * P, 2);
	assert_true(unmapped(mm, a + 3 * P));
	assert_int_equal(atomic_load(&mm->rss), 3);
	mmput(mm);
}

static void test_grow_in_place(void **state)
{
	struct mm_struct *mm;
	unsigned long a, s;
	char v;

	(void)state;
	mm = mm_alloc();
	a = anon_at(mm, A, 2 * P);
	fill(mm, a, 2 * P, 3);
	assert_int_equal(hp_mremap(mm, a, 2 * P, 6 * P, 0, 0), a);
	assert_int_equal(find_vma(mm, a)->vm_end, a + 6 * P);
	check(mm, a, 2 * P, 3);
	assert_int_equal(hp_test_get_byte(mm, a + 5 * P), 0);

	/* Shared anonymous memory grows its VMA, not its object: 6.12's SIGBUS beyond. */
	s = map_at(mm, NULL, B, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, 0);
	assert_int_equal(hp_mremap(mm, s, 2 * P, 4 * P, 0, 0), s);
	assert_int_equal(hp_access(mm, s + 3 * P, 1, HP_ACCESS_READ, &v), HP_ACCESS_SIGBUS);
	mmput(mm);
}

static void test_grow_that_must_move_keeps_the_pages(void **state)
{
	struct mm_struct *mm;
	unsigned long a, n;
	uint64_t before, after;

	(void)state;
	mm = mm_alloc();
	a = anon_at(mm, A, 2 * P);
	anon_at(mm, A + 2 * P, P);
	fill(mm, a, 2 * P, 4);
	entry(mm, a + P, &before);
	n = hp_mremap(mm, a, 2 * P, 6 * P, MREMAP_MAYMOVE, 0);
	assert_false(IS_ERR_VALUE(n));
	assert_true(n != a);
	check(mm, n, 2 * P, 4);
	assert_int_equal(entry(mm, n + P, &after), HP_LEVEL_PTE);
	assert_int_equal(pte_pfn(__pte(after)), pte_pfn(__pte(before)));
	assert_true(unmapped(mm, a));
	assert_int_equal(find_vma(mm, n)->vm_end, n + 6 * P);
	assert_int_equal(atomic_load(&mm->rss), 2);
	mmput(mm);
}

/* ---- 4 KiB entries ------------------------------------------------------------ */

/* PTEs move one by one and become soft-dirty; the old tables are freed. */
static void test_ptes_move_one_by_one(void **state)
{
	struct mm_struct *mm;
	unsigned long a = A + PMD_SIZE / 2, n = B + 5 * P;
	uint64_t zero, page, val;

	(void)state;
	mm = mm_alloc();
	anon_at(mm, a, 4 * P);
	hp_test_get_byte(mm, a);		/* the zero page: clean, not soft-dirty */
	fill(mm, a + P, 3 * P, 5);
	entry(mm, a, &zero);
	entry(mm, a + 2 * P, &page);
	assert_false(pte_soft_dirty(__pte(zero)));

	assert_int_equal(hp_mremap(mm, a, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_FIXED, n), n);
	assert_int_equal(entry(mm, n, &val), HP_LEVEL_PTE);
	assert_int_equal(val, zero | _PAGE_SOFT_DIRTY);
	assert_int_equal(entry(mm, n + 2 * P, &val), HP_LEVEL_PTE);
	assert_int_equal(pte_pfn(__pte(val)), pte_pfn(__pte(page)));
	check(mm, n + P, 3 * P, 5);
	assert_true(unmapped(mm, a));
	assert_int_equal(entry(mm, a + 2 * P, &val), HP_LEVEL_NONE);
	/* The old PTE and PMD tables map nothing any more and went. */
	assert_int_equal(atomic_load(&mm->nr_tables[HP_TABLE_PTE]), 1);
	assert_int_equal(atomic_load(&mm->nr_tables[HP_TABLE_PMD]), 1);
	assert_int_equal(atomic_load(&mm->rss), 3);
	mmput(mm);
}

/* 2 MiB lined up on both sides: the PTE table itself moves, its entries untouched. */
static void test_pte_table_moves_whole(void **state)
{
	struct mm_struct *mm;
	unsigned long allocated;
	uint64_t zero, val;

	(void)state;
	mm = mm_alloc();
	anon_at(mm, A, PMD_SIZE);
	hp_test_get_byte(mm, A);
	fill(mm, A + P, 4 * P, 6);
	entry(mm, A, &zero);
	allocated = tables_allocated();
	assert_int_equal(hp_mremap(mm, A, PMD_SIZE, PMD_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, B), B);
	/* Only B's PMD table was new; the PTE table was not copied. */
	assert_int_equal(tables_allocated() - allocated, 1);
	assert_int_equal(entry(mm, B, &val), HP_LEVEL_PTE);
	assert_int_equal(val, zero);		/* not made soft-dirty */
	check(mm, B + P, 4 * P, 6);
	assert_true(unmapped(mm, A + P));
	assert_int_equal(atomic_load(&mm->nr_tables[HP_TABLE_PTE]), 1);
	mmput(mm);
}

/*
 * Equally misaligned starts with nothing below them down to the 2 MiB
 * boundary: 6.12 realigns both and moves whole tables; with another mapping
 * below, it moves the entries one by one.
 */
static void test_realigned_moves_take_whole_tables(void **state)
{
	unsigned long off = PMD_SIZE / 2, len = PMD_SIZE + off;
	struct mm_struct *mm;
	uint64_t zero, val;

	(void)state;
	mm = mm_alloc();
	anon_at(mm, A + off, len);
	hp_test_get_byte(mm, A + off);
	entry(mm, A + off, &zero);
	assert_int_equal(hp_mremap(mm, A + off, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, B + off),
			 B + off);
	assert_int_equal(entry(mm, B + off, &val), HP_LEVEL_PTE);
	assert_int_equal(val, zero);

	anon_at(mm, A, P);		/* a mapping below the start: no realigning */
	anon_at(mm, A + off, len);
	hp_test_get_byte(mm, A + off);
	assert_int_equal(hp_mremap(mm, A + off, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
				   B + 4 * PMD_SIZE + off), B + 4 * PMD_SIZE + off);
	assert_int_equal(entry(mm, B + 4 * PMD_SIZE + off, &val), HP_LEVEL_PTE);
	assert_int_equal(val, zero | _PAGE_SOFT_DIRTY);
	mmput(mm);
}

/* 1 GiB lined up on both sides: the PMD table moves, nothing is allocated. */
static void test_pmd_table_moves_whole(void **state)
{
	struct mm_struct *mm;
	unsigned long allocated;
	uint64_t zero, val;

	(void)state;
	mm = mm_alloc();
	anon_at(mm, A, PUD_SIZE);
	hp_test_get_byte(mm, A + 3 * PMD_SIZE);
	fill(mm, A + 100 * PMD_SIZE, 8 * P, 7);
	entry(mm, A + 3 * PMD_SIZE, &zero);
	allocated = tables_allocated();
	assert_int_equal(hp_mremap(mm, A, PUD_SIZE, PUD_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, B), B);
	assert_int_equal(tables_allocated(), allocated);
	assert_int_equal(entry(mm, B + 3 * PMD_SIZE, &val), HP_LEVEL_PTE);
	assert_int_equal(val, zero);
	check(mm, B + 100 * PMD_SIZE, 8 * P, 7);
	assert_true(unmapped(mm, A + 100 * PMD_SIZE));
	mmput(mm);
}

/* ---- anonymous THP ------------------------------------------------------------ */

static unsigned long thp_at(struct mm_struct *mm, unsigned long addr, unsigned long prot)
{
	map_at(mm, NULL, addr, PMD_SIZE, prot, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	assert_int_equal(hp_madvise(mm, addr, PMD_SIZE, MADV_HUGEPAGE), 0);
	return addr;
}

/* Lined up: one PMD still, with its deposited table, which the later split uses. */
static void test_thp_aligned_move_keeps_the_pmd(void **state)
{
	struct mm_struct *mm;
	uint64_t before, val;
	struct hp_entry_counts c;

	(void)state;
	mm = mm_alloc();
	thp_at(mm, A, PROT_READ | PROT_WRITE);
	fill(mm, A, PMD_SIZE, 8);
	assert_int_equal(entry(mm, A, &before), HP_LEVEL_PMD);
	thp_at(mm, A + PMD_SIZE, PROT_READ);	/* read-only: a clean leaf */
	hp_test_get_byte(mm, A + PMD_SIZE);

	/* Into another PMD table: the deposit must follow the leaf. */
	assert_int_equal(hp_mremap(mm, A, PMD_SIZE, PMD_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, B), B);
	assert_int_equal(entry(mm, B, &val), HP_LEVEL_PMD);
	assert_int_equal(pmd_pfn(__pmd(val)), pmd_pfn(__pmd(before)));
	assert_true(pmd_write(__pmd(val)));
	check(mm, B, PMD_SIZE, 8);
	assert_true(unmapped(mm, A));
	entry(mm, A + PMD_SIZE, &before);
	assert_false(pmd_val(__pmd(before)) & _PAGE_SOFT_DIRTY);
	/* Within the same PMD table: the deposit stays where it is. */
	assert_int_equal(hp_mremap(mm, A + PMD_SIZE, PMD_SIZE, PMD_SIZE,
				   MREMAP_MAYMOVE | MREMAP_FIXED, A + 3 * PMD_SIZE), A + 3 * PMD_SIZE);
	assert_int_equal(entry(mm, A + 3 * PMD_SIZE, &val), HP_LEVEL_PMD);
	assert_int_equal(val, pmd_val(__pmd(before)) | _PAGE_SOFT_DIRTY);

	c = hp_test_counts(mm);
	assert_int_equal(c.leaves[HP_LEVEL_PMD][HP_KIND_NORMAL], 2);
	assert_int_equal(c.deposited, 2);
	assert_int_equal(atomic_load(&mm->rss), 2 * HPAGE_PMD_NR);
	/* Splitting at the new address withdraws the deposit from the new table. */
	assert_int_equal(hp_munmap(mm, B, P), 0);
	assert_int_equal(entry(mm, B + P, &val), HP_LEVEL_PTE);
	check(mm, B + step_of(PMD_SIZE), PMD_SIZE - step_of(PMD_SIZE), 8 + 1);
	mmput(mm);
}

/* Not lined up: split into PTEs, which move; the same pages at the new address. */
static void test_thp_unaligned_move_splits(void **state)
{
	unsigned long n = B + P;
	struct mm_struct *mm;
	uint64_t before, val;
	struct hp_entry_counts c;

	(void)state;
	mm = mm_alloc();
	thp_at(mm, A, PROT_READ | PROT_WRITE);
	fill(mm, A, PMD_SIZE, 9);
	entry(mm, A, &before);
	assert_int_equal(hp_mremap(mm, A, PMD_SIZE, PMD_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, n), n);
	c = hp_test_counts(mm);
	assert_int_equal(c.leaves[HP_LEVEL_PMD][HP_KIND_NORMAL], 0);
	assert_int_equal(c.leaves[HP_LEVEL_PTE][HP_KIND_NORMAL], HPAGE_PMD_NR);
	assert_int_equal(c.deposited, 0);
	for (unsigned long i = 0; i < HPAGE_PMD_NR; i += 73) {
		assert_int_equal(entry(mm, n + i * P, &val), HP_LEVEL_PTE);
		assert_int_equal(pte_pfn(__pte(val)), pmd_pfn(__pmd(before)) + i);
	}
	check(mm, n, PMD_SIZE, 9);
	assert_true(unmapped(mm, A));
	assert_int_equal(atomic_load(&mm->rss), HPAGE_PMD_NR);
	mmput(mm);
}

/* ---- pfn PMDs ---------------------------------------------------------------- */

/*
 * A special (or, for ZONE_DEVICE, devmap) PMD moves as it is when 2 MiB line
 * up; otherwise the leaf is zapped and the new address refaults with PTEs.
 */
static void pfn_pmd_move(bool zone_device)
{
	enum hp_entry_kind kind = zone_device ? HP_KIND_DEVMAP : HP_KIND_SPECIAL;
	unsigned long c = B + PUD_SIZE + P, faults;
	struct hp_bar *bar;
	struct mm_struct *mm;
	uint64_t before, val;

	mm = mm_alloc();
	bar = hp_bar_create("bar", PMD_SIZE, zone_device);
	map_at(mm, hp_bar_file(bar), A, PMD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	hp_bar_destroy(bar);
	fill(mm, A, PMD_SIZE, 10);
	assert_int_equal(entry(mm, A, &before), HP_LEVEL_PMD);
	assert_int_equal(hp_test_counts(mm).leaves[HP_LEVEL_PMD][kind], 1);

	assert_int_equal(hp_mremap(mm, A, PMD_SIZE, PMD_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, B), B);
	assert_int_equal(entry(mm, B, &val), HP_LEVEL_PMD);
	assert_int_equal(val, before | _PAGE_SOFT_DIRTY);
	assert_int_equal(hp_test_counts(mm).leaves[HP_LEVEL_PMD][kind], 1);
	faults = hp_test_faults(mm);
	check(mm, B, PMD_SIZE, 10);
	assert_int_equal(hp_test_faults(mm), faults);	/* no refault */
	assert_true(unmapped(mm, A));

	assert_int_equal(hp_mremap(mm, B, PMD_SIZE, PMD_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, c), c);
	assert_int_equal(entry(mm, c, &val), HP_LEVEL_NONE);
	check(mm, c, PMD_SIZE, 10);			/* device memory: the bytes stay */
	assert_int_equal(entry(mm, c, &val), HP_LEVEL_PTE);
	assert_int_equal(pte_pfn(__pte(val)), pmd_pfn(__pmd(before)));
	mmput(mm);
}

static void test_special_pmd_moves_or_refaults(void **state)
{
	(void)state;
	pfn_pmd_move(false);
}

static void test_devmap_pmd_moves_or_refaults(void **state)
{
	(void)state;
	pfn_pmd_move(true);
}

/* ---- PUD leaves: 6.12 clears them as bad puds ---------------------------------- */

static void pud_leaf_move(bool zone_device)
{
	enum hp_entry_kind kind = zone_device ? HP_KIND_DEVMAP : HP_KIND_SPECIAL;
	unsigned long bad = hp_bad_pud_count(), faults, c = B + 4 * PUD_SIZE + PMD_SIZE;
	struct hp_bar *bar;
	struct mm_struct *mm;
	uint64_t before, val;

	mm = mm_alloc();
	bar = hp_bar_create("bar", PUD_SIZE, zone_device);
	map_at(mm, hp_bar_file(bar), A, PUD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	hp_bar_destroy(bar);
	fill(mm, A, PUD_SIZE, 11);
	assert_int_equal(entry(mm, A, &before), HP_LEVEL_PUD);
	assert_int_equal(hp_test_counts(mm).leaves[HP_LEVEL_PUD][kind], 1);
	/* x86's pud_bad() is true for a leaf, false for a table entry. */
	assert_true(pud_bad(__pud(before)));
	assert_false(pud_bad(__pud((PUD_SIZE & PTE_PFN_MASK) | _PAGE_TABLE)));

	/* Lined up: the leaf is not moved, it is cleared as bad and refaults. */
	assert_int_equal(hp_mremap(mm, A, PUD_SIZE, PUD_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, B), B);
	assert_int_equal(hp_bad_pud_count(), bad + 1);
	assert_int_equal(entry(mm, B, &val), HP_LEVEL_NONE);
	assert_true(unmapped(mm, A));
	faults = hp_test_faults(mm);
	check(mm, B, PUD_SIZE, 11);
	assert_int_equal(hp_test_faults(mm), faults + 1);
	assert_int_equal(atomic_load(&mm->faults.resolved_at[HP_LEVEL_PUD]), 2);
	assert_int_equal(entry(mm, B, &val), HP_LEVEL_PUD);
	assert_int_equal(pud_pfn(__pud(val)), pud_pfn(__pud(before)));
	assert_int_equal(hp_test_counts(mm).leaves[HP_LEVEL_PUD][kind], 1);

	/* Not lined up: the same, and the refault fits a PMD at most. */
	assert_int_equal(hp_mremap(mm, B, PUD_SIZE, PUD_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, c), c);
	assert_int_equal(hp_bad_pud_count(), bad + 2);
	assert_int_equal(entry(mm, c, &val), HP_LEVEL_NONE);
	check(mm, c, PUD_SIZE, 11);
	assert_int_equal(entry(mm, c, &val), HP_LEVEL_PMD);
	assert_int_equal(pmd_pfn(__pmd(val)), pud_pfn(__pud(before)));
	mmput(mm);	/* teardown checks that the devmap entry's pagemap reference went too */
}

static void test_special_pud_is_cleared_as_bad(void **state)
{
	(void)state;
	pud_leaf_move(false);
}

static void test_devmap_pud_is_cleared_as_bad(void **state)
{
	(void)state;
	pud_leaf_move(true);
}

/* ---- TTM: rmap after a move --------------------------------------------------- */

/* Eviction unmaps the BO through i_mmap: the moved VMA is found at its new address. */
static void test_moved_bo_is_zapped_at_its_new_address(void **state)
{
	struct ttm_device *bdev;
	struct ttm_buffer_object *bo;
	struct mm_struct *mm;
	enum hp_level lvl;
	uint64_t val;

	(void)state;
	mm = mm_alloc();
	bo = bo_setup(&bdev, &vram_or_sys);
	map_at(mm, ttm_device_file(bdev), A, 2 * PMD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	       ttm_bo_mmap_offset(bo));
	fill(mm, A, 2 * PMD_SIZE, 12);
	assert_int_equal(entry(mm, A + PMD_SIZE, &val), HP_LEVEL_PMD);
	assert_int_equal(pmd_pfn(__pmd(val)), ttm_bo_pfn(bo, HPAGE_PMD_NR));

	assert_int_equal(hp_mremap(mm, A, 2 * PMD_SIZE, 2 * PMD_SIZE,
				   MREMAP_MAYMOVE | MREMAP_FIXED, B), B);
	assert_int_equal(entry(mm, B + PMD_SIZE, &val), HP_LEVEL_PMD);
	assert_true(pmd_special(__pmd(val)));
	assert_int_equal(pmd_pfn(__pmd(val)), ttm_bo_pfn(bo, HPAGE_PMD_NR));

	assert_int_equal(ttm_bo_evict(bo), 0);
	assert_int_equal(ttm_bo_mem_type(bo), TTM_PL_SYSTEM);
	assert_int_equal(entry(mm, B, &val), HP_LEVEL_NONE);
	assert_int_equal(entry(mm, B + PMD_SIZE, &val), HP_LEVEL_NONE);
	check(mm, B, 2 * PMD_SIZE, 12);
	/* The refault maps the new placement, at whatever level its pages allow. */
	lvl = entry(mm, B + PMD_SIZE, &val);
	assert_int_not_equal(lvl, HP_LEVEL_NONE);
	assert_int_equal(lvl == HP_LEVEL_PMD ? pmd_pfn(__pmd(val)) : pte_pfn(__pte(val)),
			 ttm_bo_pfn(bo, HPAGE_PMD_NR));
	assert_true(unmapped(mm, A));
	bo_done(mm, bdev, bo);
}

/* ---- MREMAP_DONTUNMAP, duplication, and a failed move ------------------------- */

static void test_dontunmap_leaves_an_empty_vma(void **state)
{
	struct mm_struct *mm;
	unsigned long n;

	(void)state;
	mm = mm_alloc();
	anon_at(mm, A, 4 * P);
	fill(mm, A, 4 * P, 13);
	n = hp_mremap(mm, A, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	assert_false(IS_ERR_VALUE(n));
	check(mm, n, 4 * P, 13);
	assert_non_null(find_vma(mm, A));
	assert_int_equal(find_vma(mm, A)->vm_start, A);
	assert_int_equal(hp_test_get_byte(mm, A + 7), 0);	/* refaults: the zero page */
	assert_int_equal(atomic_load(&mm->rss), 4);
	mmput(mm);
}

/* old_len 0 on a shared mapping: a second window on the same object. */
static void test_zero_old_len_duplicates_a_shared_mapping(void **state)
{
	struct mm_struct *mm;
	unsigned long n;

	(void)state;
	mm = mm_alloc();
	map_at(mm, NULL, A, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, 0);
	fill(mm, A, 4 * P, 14);
	n = hp_mremap(mm, A, 0, 4 * P, MREMAP_MAYMOVE, 0);
	assert_false(IS_ERR_VALUE(n));
	check(mm, n, 4 * P, 14);
	check(mm, A, 4 * P, 14);
	hp_test_put_byte(mm, n + 2 * P, 'x');
	assert_int_equal(hp_test_get_byte(mm, A + 2 * P), 'x');
	mmput(mm);
}

/*
 * Every page-table allocation of a move failing in turn: -ENOMEM, and the
 * entries are back where they were (6.12 moves them back), the destination
 * is unmapped, nothing leaks.
 */
static void test_failed_move_puts_everything_back(void **state)
{
	unsigned long a = A + PMD_SIZE - 2 * P, n = B + PMD_SIZE - 4 * P, ret;
	unsigned int failures = 0;
	struct mm_struct *mm;
	uint64_t before, val;

	(void)state;
	mm = mm_alloc();
	anon_at(mm, a, 6 * P);
	fill(mm, a, 6 * P, 15);
	entry(mm, a + 5 * P, &before);
	for (unsigned long nth = 1;; nth++) {
		hp_fail_nth(HP_FAIL_PGTABLE, nth);
		ret = hp_mremap(mm, a, 6 * P, 6 * P, MREMAP_MAYMOVE | MREMAP_FIXED, n);
		hp_fail_nth(HP_FAIL_PGTABLE, 0);
		if (ret == n)
			break;
		failures++;
		assert_int_equal((long)ret, -ENOMEM);
		check(mm, a, 6 * P, 15);
		assert_int_equal(entry(mm, a + 5 * P, &val), HP_LEVEL_PTE);
		assert_int_equal(val, before);
		assert_true(unmapped(mm, n));
		assert_true(unmapped(mm, n + 5 * P));
	}
	/* A PMD table and two PTE tables for the destination: the third fails mid-way. */
	assert_int_equal(failures, 3);
	check(mm, n, 6 * P, 15);
	mmput(mm);
}

/* ---- races: lockless walkers and rmap zaps against moves ----------------------- */

#define RACE_BO_PAGES	(2 * HPAGE_PMD_NR)

static const unsigned long thp_place[2] = { A, B };
static const unsigned long bo_place[2] = { A + 2 * PMD_SIZE, B + 2 * PMD_SIZE };

static struct {
	struct mm_struct *mm;
	struct ttm_buffer_object *bo;
	unsigned long thp_pfn;
	unsigned char shadow[RACE_BO_PAGES];	/* the toucher's own */
	bool written[RACE_BO_PAGES];
	atomic_bool stop;
	atomic_ulong pins, reads, bad;
} race;

static unsigned long rnd(unsigned int *seed, unsigned long n)
{
	return (unsigned long)rand_r(seed) % n;
}

/*
 * gup-fast (and the slow path behind it) at either place the THP may be:
 * whatever it pins must be a page of that THP; the BO, a pfn map, never pins.
 */
static void *race_pinner(void *arg)
{
	unsigned int seed = 5;
	struct page *page;

	(void)arg;
	hp_thread_register();
	while (!atomic_load(&race.stop)) {
		unsigned long off = rnd(&seed, HPAGE_PMD_NR) << PAGE_SHIFT;
		int side = (int)rnd(&seed, 2);
		int got = pin_user_pages_fast(race.mm, thp_place[side] + off, 1, FOLL_WRITE, &page);

		if (got == 1) {
			if (page_to_pfn(page) != race.thp_pfn + (off >> PAGE_SHIFT))
				atomic_fetch_add(&race.bad, 1);
			atomic_fetch_add(&race.pins, 1);
			unpin_user_pages(&page, 1);
		}
		if (pin_user_pages_fast(race.mm, bo_place[side] + off, 1, 0, &page) > 0)
			atomic_fetch_add(&race.bad, 1);
	}
	hp_thread_unregister();
	return NULL;
}

/* CPU writes and reads of the BO through either address: nothing written is lost. */
static void *race_toucher(void *arg)
{
	unsigned int seed = 7;

	(void)arg;
	hp_thread_register();
	while (!atomic_load(&race.stop)) {
		unsigned long p = rnd(&seed, RACE_BO_PAGES);
		unsigned long addr = bo_place[rnd(&seed, 2)] + (p << PAGE_SHIFT) + 99;
		unsigned char v = (unsigned char)rnd(&seed, 256), back;

		if (hp_access(race.mm, addr, 1, HP_ACCESS_WRITE, &v) == HP_ACCESS_OK) {
			race.shadow[p] = v;
			race.written[p] = true;
		}
		p = rnd(&seed, RACE_BO_PAGES);
		addr = bo_place[rnd(&seed, 2)] + (p << PAGE_SHIFT) + 99;
		if (hp_access(race.mm, addr, 1, HP_ACCESS_READ, &back) == HP_ACCESS_OK) {
			if (race.written[p] && back != race.shadow[p])
				atomic_fetch_add(&race.bad, 1);
			atomic_fetch_add(&race.reads, 1);
		}
	}
	hp_thread_unregister();
	return NULL;
}

/* TTM moves: each unmaps the BO through i_mmap, wherever mremap has put it. */
static void *race_evictor(void *arg)
{
	(void)arg;
	hp_thread_register();
	while (!atomic_load(&race.stop)) {
		ttm_bo_evict(race.bo);
		ttm_bo_validate(race.bo, &in_vram);
	}
	hp_thread_unregister();
	return NULL;
}

/*
 * A THP and a BO mapping move back and forth between two 2 MiB-aligned
 * places while gup-fast pins, the CPU reads and writes, and TTM evicts:
 * nothing is pinned but the THP's own pages, no byte is lost, no violation,
 * no leak.
 */
static void test_moves_race_gup_fast_cpu_and_eviction(void **state)
{
	void *(*fns[3])(void *) = { race_pinner, race_toucher, race_evictor };
	struct ttm_device *bdev;
	pthread_t threads[3];
	uint64_t val;
	int i;

	(void)state;
	memset(&race, 0, sizeof(race));
	race.mm = mm_alloc();
	thp_at(race.mm, thp_place[0], PROT_READ | PROT_WRITE);
	hp_test_put_byte(race.mm, thp_place[0], 1);
	assert_int_equal(entry(race.mm, thp_place[0], &val), HP_LEVEL_PMD);
	race.thp_pfn = pmd_pfn(__pmd(val));
	race.bo = bo_setup(&bdev, &in_vram);
	map_at(race.mm, ttm_device_file(bdev), bo_place[0], 2 * PMD_SIZE, PROT_READ | PROT_WRITE,
	       MAP_SHARED, ttm_bo_mmap_offset(race.bo));
	for (i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, fns[i], NULL), 0);
	for (i = 0; i < 200 || !atomic_load(&race.pins) || !atomic_load(&race.reads); i++) {
		int from = i % 2, to = !from;

		assert_int_equal(hp_mremap(race.mm, thp_place[from], PMD_SIZE, PMD_SIZE,
					   MREMAP_MAYMOVE | MREMAP_FIXED, thp_place[to]), thp_place[to]);
		assert_int_equal(hp_mremap(race.mm, bo_place[from], 2 * PMD_SIZE, 2 * PMD_SIZE,
					   MREMAP_MAYMOVE | MREMAP_FIXED, bo_place[to]), bo_place[to]);
		assert_true(i < 100000);
	}
	atomic_store(&race.stop, true);
	for (i = 0; i < 3; i++)
		pthread_join(threads[i], NULL);
	assert_int_equal(atomic_load(&race.bad), 0);
	/* The THP is still one PMD, wherever it ended up. */
	assert_int_equal(hp_test_counts(race.mm).leaves[HP_LEVEL_PMD][HP_KIND_NORMAL], 1);
	bo_done(race.mm, bdev, race.bo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		HP_TEST(test_errnos_leave_the_mapping_as_it_was),
		HP_TEST(test_pfnmap_and_dontexpand_refuse_growth),
		HP_TEST(test_shrink_unmaps_the_tail),
		HP_TEST(test_grow_in_place),
		HP_TEST(test_grow_that_must_move_keeps_the_pages),
		HP_TEST(test_ptes_move_one_by_one),
		HP_TEST(test_pte_table_moves_whole),
		HP_TEST(test_realigned_moves_take_whole_tables),
		HP_TEST(test_pmd_table_moves_whole),
		HP_TEST(test_thp_aligned_move_keeps_the_pmd),
		HP_TEST(test_thp_unaligned_move_splits),
		HP_TEST(test_special_pmd_moves_or_refaults),
		HP_TEST(test_devmap_pmd_moves_or_refaults),
		HP_TEST(test_special_pud_is_cleared_as_bad),
		HP_TEST(test_devmap_pud_is_cleared_as_bad),
		HP_TEST(test_moved_bo_is_zapped_at_its_new_address),
		HP_TEST(test_dontunmap_leaves_an_empty_vma),
		HP_TEST(test_zero_old_len_duplicates_a_shared_mapping),
		HP_TEST(test_failed_move_puts_everything_back),
		HP_TEST(test_moves_race_gup_fast_cpu_and_eviction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
