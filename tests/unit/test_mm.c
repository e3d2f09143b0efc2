// SPDX-License-Identifier: MIT
/*
 * Address spaces: mmap arguments and placement, VMA flags and protections,
 * page-table pages per level, and allocation failures that leave nothing
 * behind.
 */
#include "hp_test.h"

static void test_mmap_rejects_bad_arguments(void **state)
{
	struct mm_struct *mm;
	unsigned long addr;

	(void)state;
	mm = mm_alloc();
	assert_int_equal((long)hp_mmap(mm, NULL, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, 0), -EINVAL);
	assert_int_equal((long)hp_mmap(mm, NULL, 0, PAGE_SIZE, 0x80, MAP_PRIVATE | MAP_ANONYMOUS, 0), -EINVAL);
	assert_int_equal((long)hp_mmap(mm, NULL, 0, PAGE_SIZE, PROT_READ, MAP_ANONYMOUS, 0), -EINVAL);
	assert_int_equal((long)hp_mmap(mm, NULL, 0x10000001000UL + 1, PAGE_SIZE, PROT_READ,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0), -EINVAL);
	assert_int_equal((long)hp_mmap(mm, NULL, 0, 1UL << 48, PROT_READ,
				       MAP_PRIVATE | MAP_ANONYMOUS, 0), -EINVAL);
	addr = hp_mmap(mm, NULL, 0x200000000UL, 4 * PAGE_SIZE, PROT_READ,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
	assert_int_equal(addr, 0x200000000UL);
	assert_int_equal((long)hp_mmap(mm, NULL, 0x200000000UL + PAGE_SIZE, PAGE_SIZE, PROT_READ,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, 0), -EEXIST);
	assert_int_equal(mm->map_count, 1);
	mmput(mm);
}

/*
 * 6.12's __get_unmapped_area(): with no hint, a length that is a multiple of
 * PMD_SIZE is PMD-aligned (thp_get_unmapped_area_vmflags()), and nothing is
 * ever PUD-aligned; other lengths go top-down with no alignment at all.
 */
static void test_placement_aligns_for_huge_pages(void **state)
{
	static const unsigned long lens[] = { PAGE_SIZE, 3 * PAGE_SIZE, PMD_SIZE,
					      5 * PMD_SIZE, PUD_SIZE, 2 * PUD_SIZE,
					      PMD_SIZE + PAGE_SIZE };
	unsigned long below, at[sizeof(lens) / sizeof(lens[0])];
	struct vm_area_struct *vma, *prev = NULL;
	struct mm_struct *mm;
	unsigned int n = 0;

	(void)state;
	mm = mm_alloc();
	below = mm->mmap_base;
	for (unsigned int i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		unsigned long len = lens[i];
		unsigned long addr = hp_test_mmap_anon(mm, len, PROT_READ, MAP_PRIVATE);

		vma = find_vma(mm, addr);
		at[i] = addr;

		if (len & (PMD_SIZE - 1))
			assert_int_equal(addr, below - len);	/* first fit from the top */
		else
			assert_int_equal(addr & (PMD_SIZE - 1), 0);
		assert_true(addr + len <= below);
		assert_non_null(vma);
		assert_int_equal(vma->vm_start, addr);
		assert_int_equal(vma->vm_end, addr + len);
		below = addr;
	}
	/* The two 1 GiB-multiple mappings: 2 MiB-aligned, but not both 1 GiB-aligned. */
	assert_true((at[4] & (PUD_SIZE - 1)) || (at[5] & (PUD_SIZE - 1)));
	/* Sorted and disjoint. */
	for (vma = find_vma(mm, 0); vma; prev = vma, vma = find_vma(mm, vma->vm_end), n++)
		assert_true(!prev || prev->vm_end <= vma->vm_start);
	assert_int_equal(n, mm->map_count);
	assert_int_equal(n, sizeof(lens) / sizeof(lens[0]));
	mmput(mm);
}

/*
 * A file mapping with no get_unmapped_area (vfio-pci's BAR) is placed
 * congruent to its offset modulo PMD_SIZE when its length is a PMD multiple,
 * never to PUD_SIZE; a hint that is free is taken as it is; shared anonymous
 * memory (shmem, huge pages off) is not aligned.
 */
static void test_placement_follows_file_offset(void **state)
{
	struct hp_bar *bar;
	struct mm_struct *mm;
	unsigned long addr, hint, first;

	(void)state;
	mm = mm_alloc();
	bar = hp_bar_create("bar", 2 * PUD_SIZE, false);
	first = hp_mmap(mm, hp_bar_file(bar), 0, PUD_SIZE, PROT_READ, MAP_SHARED,
			(PMD_SIZE + PAGE_SIZE) >> PAGE_SHIFT);
	assert_false(IS_ERR_VALUE(first));
	assert_int_equal(first & (PMD_SIZE - 1), PAGE_SIZE);
	addr = first;
	/* The same mapping asked for at a 1 GiB boundary (as QEMU does). */
	hint = (addr & ~(PUD_SIZE - 1)) - PUD_SIZE;
	addr = hp_mmap(mm, hp_bar_file(bar), hint, PUD_SIZE, PROT_READ, MAP_SHARED, 0);
	assert_int_equal(addr, hint);
	/* Not a PMD multiple: the highest gap that fits, right below the first. */
	addr = hp_mmap(mm, hp_bar_file(bar), 0, PMD_SIZE + 2 * PAGE_SIZE, PROT_READ,
		       MAP_SHARED, 0);
	assert_int_equal(addr, first - PMD_SIZE - 2 * PAGE_SIZE);
	hp_bar_destroy(bar);
	first = addr;
	addr = hp_test_mmap_anon(mm, 2 * PMD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
	assert_int_equal(addr, first - 2 * PMD_SIZE);
	assert_int_not_equal(addr & (PMD_SIZE - 1), 0);
	mmput(mm);
}

static void test_vma_protections(void **state)
{
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	unsigned long addr;

	(void)state;
	mm = mm_alloc();
	addr = hp_test_mmap_anon(mm, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	vma = find_vma(mm, addr);
	assert_int_equal(vma->vm_flags & (VM_READ | VM_WRITE | VM_SHARED), VM_READ | VM_WRITE);
	/* Private and writable starts read-only so that writes can copy. */
	assert_int_equal(pgprot_val(vma->vm_page_prot), pgprot_val(PAGE_COPY));
	assert_true(vma_is_anonymous(vma));
	assert_true(is_cow_mapping(vma->vm_flags));

	addr = hp_test_mmap_anon(mm, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
	vma = find_vma(mm, addr);
	assert_true(vma->vm_flags & VM_SHARED);
	assert_int_equal(pgprot_val(vma->vm_page_prot), pgprot_val(PAGE_SHARED));
	assert_false(vma_is_anonymous(vma));	/* backed by a shared object */
	assert_false(vma_is_special_huge(vma));
	mmput(mm);
}

static void test_bar_mmap_flags_and_limits(void **state)
{
	struct hp_bar *bar;
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	unsigned long addr;

	(void)state;
	mm = mm_alloc();
	bar = hp_bar_create("bar", 4 * PMD_SIZE, false);
	assert_null(hp_bar_create("bar", 123, false));
	/* Past the end of the BAR, or copy-on-write of device memory: refused. */
	assert_int_equal((long)hp_mmap(mm, hp_bar_file(bar), 0, PMD_SIZE, PROT_READ, MAP_SHARED, 4 * 512), -EINVAL);
	assert_int_equal((long)hp_mmap(mm, hp_bar_file(bar), 0, 5 * PMD_SIZE, PROT_READ, MAP_SHARED, 0), -EINVAL);
	assert_int_equal((long)hp_mmap(mm, hp_bar_file(bar), 0, PMD_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0), -EINVAL);
	assert_int_equal(mm->map_count, 0);
	addr = hp_mmap(mm, hp_bar_file(bar), 0, 4 * PMD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	assert_false(IS_ERR_VALUE(addr));
	vma = find_vma(mm, addr);
	assert_int_equal(vma->vm_flags & (VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_MIXEDMAP),
			 VM_PFNMAP | VM_IO | VM_DONTEXPAND);
	assert_true(vma_is_special_huge(vma));
	hp_bar_destroy(bar);	/* the mapping keeps it alive */
	mmput(mm);
}

static void test_madvise_whole_vmas_only(void **state)
{
	struct mm_struct *mm;
	unsigned long addr;

	(void)state;
	mm = mm_alloc();
	addr = hp_test_mmap_anon(mm, 2 * PMD_SIZE, PROT_READ, MAP_PRIVATE);
	assert_int_equal(hp_madvise(mm, addr, PMD_SIZE, MADV_HUGEPAGE), -EINVAL);
	assert_int_equal(hp_madvise(mm, addr, 2 * PMD_SIZE, MADV_DONTNEED), -EINVAL);
	assert_int_equal(hp_madvise(mm, addr + 1, PMD_SIZE, MADV_HUGEPAGE), -EINVAL);
	assert_false(find_vma(mm, addr)->vm_flags & VM_HUGEPAGE);
	assert_int_equal(hp_madvise(mm, addr, 2 * PMD_SIZE, MADV_HUGEPAGE), 0);
	assert_true(find_vma(mm, addr)->vm_flags & VM_HUGEPAGE);
	mmput(mm);
}

static void test_tables_per_level(void **state)
{
	struct mm_struct *mm;
	struct hp_entry_counts c;
	unsigned long addr;
	char byte = 1;

	(void)state;
	mm = mm_alloc();
	assert_int_equal(atomic_load(&mm->nr_tables[HP_TABLE_PGD]), 1);
	addr = hp_test_mmap_anon(mm, 2 * PMD_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	assert_int_equal(hp_access(mm, addr, 1, HP_ACCESS_WRITE, &byte), HP_ACCESS_OK);
	assert_int_equal(hp_access(mm, addr + PMD_SIZE, 1, HP_ACCESS_WRITE, &byte), HP_ACCESS_OK);
	assert_int_equal(atomic_load(&mm->nr_tables[HP_TABLE_PUD]), 1);
	assert_int_equal(atomic_load(&mm->nr_tables[HP_TABLE_PMD]), 1);
	assert_int_equal(atomic_load(&mm->nr_tables[HP_TABLE_PTE]), 2);
	c = hp_test_counts(mm);
	assert_int_equal(c.tables[HP_TABLE_PUD], 1);
	assert_int_equal(c.tables[HP_TABLE_PMD], 1);
	assert_int_equal(c.tables[HP_TABLE_PTE], 2);
	assert_int_equal(c.leaves[HP_LEVEL_PTE][HP_KIND_NORMAL], 2);
	assert_int_equal(atomic_load(&mm->rss), 2);
	mmput(mm);
}

/* A table allocation failing at each level in turn: OOM, nothing leaked, then success. */
static void test_pgtable_oom_leaks_nothing(void **state)
{
	static const enum hp_table_level failing[] = { HP_TABLE_PUD, HP_TABLE_PMD, HP_TABLE_PTE };
	struct mm_struct *mm;
	unsigned long addr;
	char byte = 7;

	(void)state;
	hp_fail_nth(HP_FAIL_PGTABLE, 1);
	assert_null(mm_alloc());
	for (unsigned int n = 1; n <= 3; n++) {
		mm = mm_alloc();
		addr = hp_test_mmap_anon(mm, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
		hp_fail_nth(HP_FAIL_PGTABLE, n);
		assert_int_equal(hp_access(mm, addr, 1, HP_ACCESS_WRITE, &byte), HP_ACCESS_OOM);
		assert_int_equal(atomic_load(&mm->faults.result[HP_FAULT_OOM]), 1);
		assert_int_equal(atomic_load(&mm->faults.total), 0);	/* no min_flt */
		assert_int_equal(atomic_load(&mm->nr_tables[failing[n - 1]]), 0);
		assert_int_equal(hp_test_counts(mm).leaves[HP_LEVEL_PTE][HP_KIND_NORMAL], 0);
		assert_int_equal(atomic_load(&mm->rss), 0);
		/* Tables above the failing level stay, as in Linux, and serve the retry. */
		assert_int_equal(hp_access(mm, addr, 1, HP_ACCESS_WRITE, &byte), HP_ACCESS_OK);
		assert_int_equal(atomic_load(&mm->nr_tables[HP_TABLE_PTE]), 1);
		mmput(mm);
	}
}

static void test_page_oom_leaks_nothing(void **state)
{
	struct mm_struct *mm;
	unsigned long addr;
	char byte = 7;

	(void)state;
	mm = mm_alloc();
	addr = hp_test_mmap_anon(mm, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	hp_fail_nth(HP_FAIL_PAGE, 1);
	assert_int_equal(hp_access(mm, addr, 1, HP_ACCESS_WRITE, &byte), HP_ACCESS_OOM);
	assert_int_equal(atomic_load(&mm->rss), 0);
	/* Reads need no page: the zero page is mapped. */
	hp_fail_nth(HP_FAIL_PAGE, 1);
	assert_int_equal(hp_access(mm, addr, 1, HP_ACCESS_READ, &byte), HP_ACCESS_OK);
	assert_int_equal(byte, 0);
	mmput(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		HP_TEST(test_mmap_rejects_bad_arguments),
		HP_TEST(test_placement_aligns_for_huge_pages),
		HP_TEST(test_placement_follows_file_offset),
		HP_TEST(test_vma_protections),
		HP_TEST(test_bar_mmap_flags_and_limits),
		HP_TEST(test_madvise_whole_vmas_only),
		HP_TEST(test_tables_per_level),
		HP_TEST(test_pgtable_oom_leaks_nothing),
		HP_TEST(test_page_oom_leaks_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
