// SPDX-License-Identifier: MIT
/*
 * Changes to mappings: munmap (whole and partial, of huge special leaves and
 * of THPs), page-table pages freed after a grace period, unmap_mapping_range
 * across processes, mprotect of huge leaves, and fork.
 */
#include <string.h>

#include "hp_test.h"



static enum hp_level level_at(struct mm_struct *mm, unsigned long addr, uint64_t *val)
{
	uint64_t dummy;

	return hp_lookup_entry(mm, addr, val ? val : &dummy);
}

/* ---- munmap --------------------------------------------------------------- */

static void test_munmap_frees_tables_after_grace_period(void **state)
{
	struct hp_pgtable_stats before, after;
	struct mm_struct *mm;
	unsigned long addr;

	(void)state;
	mm = mm_alloc();
	addr = hp_test_mmap_anon(mm, 4 * PMD_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	assert_int_equal(hp_access_fill(mm, addr, 4 * PMD_SIZE, 1), HP_ACCESS_OK);
	assert_int_equal(atomic_load(&mm->nr_tables[HP_TABLE_PTE]), 4);
	hp_pgtable_stats(&before);
	assert_int_equal(hp_munmap(mm, addr, 4 * PMD_SIZE), 0);
	hp_pgtable_stats(&after);
	/* Four PTE tables, their PMD table and the PUD table: nothing else maps there. */
	assert_int_equal(after.freed - before.freed, 6);
	assert_int_equal(after.pending, 0);
	for (int l = HP_TABLE_PUD; l < HP_NR_TABLE_LEVELS; l++)
		assert_int_equal(atomic_load(&mm->nr_tables[l]), 0);
	assert_int_equal(atomic_load(&mm->rss), 0);
	assert_null(find_vma(mm, addr));
	assert_int_equal(hp_munmap(mm, addr + 1, PAGE_SIZE), -EINVAL);
	assert_int_equal(hp_munmap(mm, addr, 0), -EINVAL);
	mmput(mm);
}

/* A table shared with a mapping that stays is kept. */
static void test_munmap_keeps_shared_tables(void **state)
{
	struct mm_struct *mm;
	unsigned long addr;

	(void)state;
	mm = mm_alloc();
	addr = hp_test_mmap_anon(mm, 8 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	assert_int_equal(hp_access_fill(mm, addr, 8 * PAGE_SIZE, 3), HP_ACCESS_OK);
	assert_int_equal(hp_munmap(mm, addr + 2 * PAGE_SIZE, 2 * PAGE_SIZE), 0);
	assert_int_equal(mm->map_count, 2);
	assert_int_equal(atomic_load(&mm->nr_tables[HP_TABLE_PTE]), 1);
	assert_int_equal(atomic_load(&mm->rss), 6);
	assert_int_equal(hp_test_get_byte(mm, addr + PAGE_SIZE), 3);
	assert_int_equal(hp_test_get_byte(mm, addr + 5 * PAGE_SIZE), 3);
	{
		char v;

		assert_int_equal(hp_access(mm, addr + 2 * PAGE_SIZE, 1, HP_ACCESS_READ, &v),
				 HP_ACCESS_SIGSEGV);
	}
	/* The upper piece's offset moved with its start. */
	assert_int_equal(find_vma(mm, addr + 5 * PAGE_SIZE)->vm_pgoff, 4);
	mmput(mm);
}

/* A special PUD cut by munmap goes whole; what remains refaults with PMDs. */
static void test_partial_munmap_of_special_pud(void **state)
{
	struct hp_entry_counts c;
	struct mm_struct *mm;
	struct hp_bar *bar;
	unsigned long addr;

	(void)state;
	mm = mm_alloc();
	bar = hp_bar_create("bar", PUD_SIZE, false);
	addr = hp_test_map_bar(mm, bar, PUD_SIZE, 0);
	hp_test_put_byte(mm, addr + PUD_SIZE - 1, 42);
	assert_int_equal(level_at(mm, addr, NULL), HP_LEVEL_PUD);
	assert_int_equal(hp_munmap(mm, addr, PMD_SIZE), 0);
	assert_int_equal(level_at(mm, addr + PMD_SIZE, NULL), HP_LEVEL_NONE);
	assert_int_equal(hp_test_get_byte(mm, addr + PUD_SIZE - 1), 42);
	c = hp_test_counts(mm);
	assert_int_equal(c.leaves[HP_LEVEL_PUD][HP_KIND_SPECIAL], 0);
	assert_int_equal(c.leaves[HP_LEVEL_PMD][HP_KIND_SPECIAL], 1);
	/* The cut-off VMA's first page is 2 MiB into the BAR. */
	assert_int_equal(find_vma(mm, addr + PMD_SIZE)->vm_pgoff, PMD_SIZE >> PAGE_SHIFT);
	hp_bar_destroy(bar);
	mmput(mm);
}

/* A THP cut by munmap is split: the rest stays mapped by PTEs, same pages, same bytes. */
static void test_partial_munmap_splits_thp(void **state)
{
	struct mm_struct *mm;
	struct folio *folio;
	struct page *page;
	unsigned long addr;
	uint64_t val;

	(void)state;
	mm = mm_alloc();
	addr = hp_test_mmap_anon(mm, PMD_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	assert_int_equal(hp_madvise(mm, addr, PMD_SIZE, MADV_HUGEPAGE), 0);
	for (unsigned long off = 0; off < PMD_SIZE; off += PAGE_SIZE)
		hp_test_put_byte(mm, addr + off, (char)(off >> PAGE_SHIFT));
	assert_int_equal(level_at(mm, addr, &val), HP_LEVEL_PMD);
	folio = page_folio(pfn_to_page(pmd_pfn(__pmd(val))));

	assert_int_equal(hp_munmap(mm, addr + PMD_SIZE / 2, PMD_SIZE / 2), 0);
	assert_int_equal(level_at(mm, addr + PAGE_SIZE, &val), HP_LEVEL_PTE);
	assert_int_equal(pte_pfn(__pte(val)), folio_pfn(folio) + 1);
	assert_true(pte_write(__pte(val)) && pte_dirty(__pte(val)));
	for (unsigned long off = 0; off < PMD_SIZE / 2; off += PAGE_SIZE)
		assert_int_equal(hp_test_get_byte(mm, addr + off), (char)(off >> PAGE_SHIFT));
	/* 256 PTEs still hold the folio; its PMD mapping is gone. */
	assert_int_equal(folio_ref_count(folio), 256);
	assert_int_equal(folio_entire_mapcount(folio), 0);
	page = folio_page(folio, 3);
	assert_int_equal(page_mapcount(page), 1);
	assert_int_equal(page_mapcount(folio_page(folio, 300)), 0);
	assert_int_equal(atomic_load(&mm->rss), 256);
	/* The deposited table became the PTE table: still one. */
	assert_int_equal(atomic_load(&mm->nr_tables[HP_TABLE_PTE]), 1);
	mmput(mm);
}

/* ---- rmap ---------------------------------------------------------------- */

/*
 * The PTEs a THP split makes are built as 6.12's __split_huge_pmd_locked()
 * builds them: the VMA's protection plus the leaf's write, young and dirty
 * state, dirty by pte_mkdirty(), which marks soft-dirty as well.  A THP
 * read-faulted read-only (clean), made writable by mprotect and written by
 * the CPU has DIRTY alone on its leaf; its PTEs have SOFT_DIRTY too.
 */
static void test_thp_split_builds_ptes_as_linux(void **state)
{
	const unsigned long at = 0x7e0000000000UL;
	struct mm_struct *mm;
	uint64_t leaf, val;

	(void)state;
	mm = mm_alloc();
	assert_int_equal(hp_mmap(mm, NULL, at, PMD_SIZE, PROT_READ,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0), at);
	assert_int_equal(hp_madvise(mm, at, PMD_SIZE, MADV_HUGEPAGE), 0);
	assert_int_equal(hp_test_get_byte(mm, at), 0);
	assert_int_equal(hp_mprotect(mm, at, PMD_SIZE, PROT_READ | PROT_WRITE), 0);
	hp_test_put_byte(mm, at + PAGE_SIZE, 1);
	assert_int_equal(level_at(mm, at, &leaf), HP_LEVEL_PMD);
	assert_int_equal(leaf & (_PAGE_RW | _PAGE_DIRTY_BITS | _PAGE_SOFT_DIRTY),
			 _PAGE_RW | _PAGE_DIRTY);
	assert_int_equal(hp_munmap(mm, at + PMD_SIZE / 2, PMD_SIZE / 2), 0);
	assert_int_equal(level_at(mm, at + PAGE_SIZE, &val), HP_LEVEL_PTE);
	assert_int_equal(val, pte_val(pte_mkdirty(pte_mkwrite(pfn_pte(pmd_pfn(__pmd(leaf)) + 1,
									PAGE_COPY)))));
	assert_true(val & _PAGE_SOFT_DIRTY);
	mmput(mm);
}

static void test_unmap_mapping_range_reaches_every_process(void **state)
{
	struct mm_struct *a, *b;
	struct hp_bar *bar;
	unsigned long addr_a, addr_b;

	(void)state;
	a = mm_alloc();
	b = mm_alloc();
	bar = hp_bar_create("bar", 4 * PMD_SIZE, false);
	addr_a = hp_test_map_bar(a, bar, 4 * PMD_SIZE, 0);
	addr_b = hp_test_map_bar(b, bar, 2 * PMD_SIZE, 2 * 512);	/* the second half */
	hp_test_put_byte(a, addr_a + 3 * PMD_SIZE, 7);
	assert_int_equal(hp_test_get_byte(b, addr_b + PMD_SIZE), 7);
	hp_test_put_byte(a, addr_a, 1);
	assert_int_equal(hp_test_counts(a).leaves[HP_LEVEL_PMD][HP_KIND_SPECIAL], 2);

	/* Unmap BAR bytes [3 MiB, 7 MiB): a's PMDs 1..3 and b's 0..1 overlap it. */
	unmap_mapping_range(hp_bar_file(bar)->f_mapping, 3 * PMD_SIZE / 2, 4 * PMD_SIZE / 2, true);
	assert_int_equal(level_at(a, addr_a, NULL), HP_LEVEL_PMD);
	assert_int_equal(level_at(a, addr_a + 3 * PMD_SIZE, NULL), HP_LEVEL_NONE);
	assert_int_equal(level_at(b, addr_b + PMD_SIZE, NULL), HP_LEVEL_NONE);
	/* Next access refaults; the bytes were in the BAR all along. */
	assert_int_equal(hp_test_get_byte(b, addr_b + PMD_SIZE), 7);
	assert_int_equal(level_at(b, addr_b + PMD_SIZE, NULL), HP_LEVEL_PMD);

	/* zap_page_range_single: one VMA, one process. */
	mmap_read_lock(a);
	zap_page_range_single(find_vma(a, addr_a), addr_a, PMD_SIZE);
	mmap_read_unlock(a);
	assert_int_equal(level_at(a, addr_a, NULL), HP_LEVEL_NONE);
	assert_int_equal(hp_test_get_byte(a, addr_a), 1);
	hp_bar_destroy(bar);
	mmput(a);
	mmput(b);
}

/* ---- mprotect ------------------------------------------------------------- */

static void test_mprotect_keeps_special_and_pfn(void **state)
{
	struct mm_struct *mm;
	struct hp_bar *bar;
	unsigned long addr;
	uint64_t before, after;
	char v = 0;

	(void)state;
	mm = mm_alloc();
	bar = hp_bar_create("bar", PUD_SIZE, false);
	addr = hp_test_map_bar(mm, bar, PUD_SIZE, 0);
	hp_test_put_byte(mm, addr, 5);
	assert_int_equal(level_at(mm, addr, &before), HP_LEVEL_PUD);
	assert_int_equal(hp_mprotect(mm, addr, PUD_SIZE, PROT_READ), 0);
	assert_int_equal(level_at(mm, addr, &after), HP_LEVEL_PUD);
	/* 6.12's pud_modify(): a dirty leaf made read-only keeps DIRTY in SAVED_DIRTY. */
	assert_true(before & _PAGE_DIRTY);
	assert_int_equal(after, (before & ~(_PAGE_RW | _PAGE_DIRTY)) | _PAGE_SAVED_DIRTY);
	assert_true(pud_special(__pud(after)));
	assert_int_equal(hp_access(mm, addr, 1, HP_ACCESS_WRITE, &v), HP_ACCESS_SIGSEGV);
	assert_int_equal(hp_test_get_byte(mm, addr), 5);
	/* Back to writable; the uncached mapping stays uncached. */
	assert_int_equal(hp_mprotect(mm, addr, PUD_SIZE, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(level_at(mm, addr, &after), HP_LEVEL_PUD);
	assert_int_equal(after, before);
	/*
	 * PROT_NONE: 6.12's pud_modify() inverts the pfn bits (the L1TF guard,
	 * flip_protnone_guard()); pud_pfn() still finds the pfn, and going back
	 * restores the entry bit for bit.
	 */
	assert_int_equal(hp_mprotect(mm, addr, PUD_SIZE, PROT_NONE), 0);
	assert_int_equal(level_at(mm, addr, &after), HP_LEVEL_PUD);
	assert_int_equal(after & PUD_PAGE_MASK, ~before & PUD_PAGE_MASK);
	assert_int_equal(pud_pfn(__pud(after)), pud_pfn(__pud(before)));
	assert_int_equal(hp_access(mm, addr, 1, HP_ACCESS_READ, &v), HP_ACCESS_SIGSEGV);
	assert_int_equal(hp_mprotect(mm, addr, PUD_SIZE, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(level_at(mm, addr, &after), HP_LEVEL_PUD);
	assert_int_equal(after, before);
	assert_int_equal(hp_test_get_byte(mm, addr), 5);
	assert_int_equal(hp_mprotect(mm, addr, PUD_SIZE + PAGE_SIZE, PROT_READ), -ENOMEM);
	assert_int_equal(hp_mprotect(mm, addr, PAGE_SIZE, 0x100), -EINVAL);
	hp_bar_destroy(bar);
	mmput(mm);
}

/* Part of a special PMD: the leaf goes, both halves refault at 4 KiB. */
static void test_partial_mprotect_zaps_special_pmd(void **state)
{
	struct mm_struct *mm;
	struct hp_bar *bar;
	unsigned long addr;
	uint64_t val;
	char v = 0;

	(void)state;
	mm = mm_alloc();
	bar = hp_bar_create("bar", PMD_SIZE, false);
	addr = hp_test_map_bar(mm, bar, PMD_SIZE, 0);
	hp_test_put_byte(mm, addr + PMD_SIZE - 1, 9);
	assert_int_equal(hp_mprotect(mm, addr, PMD_SIZE / 2, PROT_READ), 0);
	assert_int_equal(mm->map_count, 2);
	assert_int_equal(level_at(mm, addr, NULL), HP_LEVEL_NONE);
	assert_int_equal(hp_access(mm, addr, 1, HP_ACCESS_WRITE, &v), HP_ACCESS_SIGSEGV);
	assert_int_equal(hp_test_get_byte(mm, addr + PMD_SIZE - 1), 9);
	assert_int_equal(level_at(mm, addr + PMD_SIZE - 1, &val), HP_LEVEL_PTE);
	assert_true(pte_special(__pte(val)));
	hp_bar_destroy(bar);
	mmput(mm);
}

/* A private page made read-only and writable again is reused, not copied. */
/*
 * mprotect(PROT_READ) then mprotect(PROT_READ | PROT_WRITE) of private
 * memory: Linux 6.12's change_pte_range()/change_huge_pmd() with
 * MM_CP_TRY_CHANGE_WRITABLE make an exclusive anonymous page or THP writable
 * at once (can_change_pte_writable(), can_change_pmd_writable()), so the
 * next write takes no fault.  The zero page stays read-only: its write
 * faults and copies.  (A read THP is exclusive: the huge zero page is not
 * modelled.)
 */
static void test_mprotect_private_rw_needs_no_write_fault(void **state)
{
	static const bool huge[] = { false, true };

	for (int i = 0; i < 2; i++) {
		unsigned long len = huge[i] ? PMD_SIZE : PAGE_SIZE, addr, faults;
		enum hp_level level = huge[i] ? HP_LEVEL_PMD : HP_LEVEL_PTE;
		struct mm_struct *mm;
		uint64_t before, after;

		mm = mm_alloc();
		/* At a fixed PMD-aligned address, whatever the placement. */
		addr = hp_mmap(mm, NULL, 0x7e0000000000UL, 2 * len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
		assert_int_equal(addr, 0x7e0000000000UL);
		if (huge[i])
			assert_int_equal(hp_madvise(mm, addr, 2 * len, MADV_HUGEPAGE), 0);
		hp_test_put_byte(mm, addr, 1);
		/* The zero page; with no huge zero page, a read THP of its own. */
		assert_int_equal(hp_test_get_byte(mm, addr + len), 0);
		assert_int_equal(level_at(mm, addr, &before), level);
		assert_int_equal(hp_mprotect(mm, addr, 2 * len, PROT_READ), 0);
		assert_int_equal(level_at(mm, addr, &after), level);
		assert_false(after & _PAGE_RW);
		assert_int_equal(hp_mprotect(mm, addr, 2 * len, PROT_READ | PROT_WRITE), 0);
		assert_int_equal(level_at(mm, addr, &after), level);
		/* Bit for bit as before: writable again, DIRTY back from SAVED_DIRTY. */
		assert_int_equal(after, before);
		faults = hp_test_faults(mm);
		hp_test_put_byte(mm, addr, 2);
		assert_int_equal(hp_test_faults(mm), faults);
		hp_test_put_byte(mm, addr + len, 3);
		assert_int_equal(hp_test_faults(mm), faults + !huge[i]);
		mmput(mm);
		hp_test_restart(state);	/* each case on a fresh machine */
	}
}

/* A page fork shares is not exclusive: mprotect leaves it read-only, the write copies. */
static void test_mprotect_keeps_shared_anon_read_only(void **state)
{
	struct mm_struct *parent, *child;
	unsigned long addr;
	uint64_t before, after;

	(void)state;
	parent = mm_alloc();
	addr = hp_test_mmap_anon(parent, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	hp_test_put_byte(parent, addr, 1);
	child = hp_fork(parent);
	assert_int_equal(level_at(parent, addr, &before), HP_LEVEL_PTE);
	assert_int_equal(hp_mprotect(parent, addr, PAGE_SIZE, PROT_READ), 0);
	assert_int_equal(hp_mprotect(parent, addr, PAGE_SIZE, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(level_at(parent, addr, &after), HP_LEVEL_PTE);
	assert_int_equal(after, before);
	assert_false(pte_write(__pte(after)));
	hp_test_put_byte(parent, addr, 2);
	assert_int_equal(level_at(parent, addr, &after), HP_LEVEL_PTE);
	assert_int_not_equal(pte_pfn(__pte(after)), pte_pfn(__pte(before)));
	assert_int_equal(hp_test_get_byte(child, addr), 1);
	mmput(child);
	mmput(parent);
}

/* ---- fork ------------------------------------------------------------------ */

static void test_fork_copies_special_huge_entries(void **state)
{
	struct mm_struct *parent, *child;
	struct hp_bar *bar;
	unsigned long addr;
	uint64_t pv, cv;

	(void)state;
	parent = mm_alloc();
	bar = hp_bar_create("bar", PUD_SIZE, false);
	addr = hp_test_map_bar(parent, bar, PUD_SIZE, 0);
	hp_bar_destroy(bar);
	hp_test_put_byte(parent, addr + 100, 77);
	child = hp_fork(parent);
	assert_non_null(child);
	assert_int_equal(level_at(parent, addr, &pv), HP_LEVEL_PUD);
	assert_int_equal(level_at(child, addr, &cv), HP_LEVEL_PUD);
	/* Same pfn, still special and writable (shared), the child's made old. */
	assert_int_equal(cv, pv & ~_PAGE_ACCESSED);
	assert_true(pud_special(__pud(cv)) && pud_write(__pud(cv)));
	assert_int_equal(hp_test_get_byte(child, addr + 100), 77);
	hp_test_put_byte(child, addr + 200, 78);
	assert_int_equal(hp_test_get_byte(parent, addr + 200), 78);
	assert_int_equal(hp_test_faults(child), 0);
	mmput(child);
	mmput(parent);
}

static void test_fork_anon_is_copy_on_write(void **state)
{
	struct mm_struct *parent, *child;
	unsigned long small, huge;
	uint64_t val;

	(void)state;
	parent = mm_alloc();
	small = hp_test_mmap_anon(parent, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	huge = hp_test_mmap_anon(parent, PMD_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	assert_int_equal(hp_madvise(parent, huge, PMD_SIZE, MADV_HUGEPAGE), 0);
	hp_test_put_byte(parent, small, 1);
	hp_test_put_byte(parent, huge + 5 * PAGE_SIZE, 2);
	child = hp_fork(parent);
	assert_non_null(child);
	/* Both sides read-only now, sharing the pages. */
	assert_int_equal(level_at(parent, small, &val), HP_LEVEL_PTE);
	assert_false(pte_write(__pte(val)));
	assert_int_equal(page_ref_count(pfn_to_page(pte_pfn(__pte(val)))), 2);
	assert_int_equal(level_at(child, huge, &val), HP_LEVEL_PMD);
	assert_false(pmd_write(__pmd(val)));
	assert_int_equal(hp_test_counts(child).deposited, 1);

	hp_test_put_byte(child, small, 10);
	hp_test_put_byte(parent, huge + 5 * PAGE_SIZE, 20);
	assert_int_equal(hp_test_get_byte(parent, small), 1);
	assert_int_equal(hp_test_get_byte(child, small), 10);
	assert_int_equal(hp_test_get_byte(child, huge + 5 * PAGE_SIZE), 2);
	assert_int_equal(hp_test_get_byte(parent, huge + 5 * PAGE_SIZE), 20);
	/* The parent's THP was split to copy one page; the child still maps it huge. */
	assert_int_equal(level_at(parent, huge + 5 * PAGE_SIZE, NULL), HP_LEVEL_PTE);
	assert_int_equal(level_at(child, huge, NULL), HP_LEVEL_PMD);
	mmput(child);
	/* The last user of the page reuses it without a copy. */
	assert_int_equal(level_at(parent, small, &val), HP_LEVEL_PTE);
	hp_test_put_byte(parent, small, 3);
	{
		uint64_t now;

		assert_int_equal(level_at(parent, small, &now), HP_LEVEL_PTE);
		assert_int_equal(pte_pfn(__pte(now)), pte_pfn(__pte(val)));
	}
	mmput(parent);
}

/*
 * Linux 6.12's vma_needs_copy(): fork copies a private VMA's entries only if
 * it has an anon_vma, which only mapping an anonymous page gives it
 * (vmf_anon_prepare() in do_anonymous_page() for writes, wp_page_copy(),
 * do_cow_fault(), do_huge_pmd_anonymous_page()), never a read fault that
 * maps the zero page.  Such a VMA refaults in the child.
 */
static void test_fork_copies_only_vmas_with_anon_vma(void **state)
{
	struct mm_struct *parent, *child;
	struct hp_entry_counts c;
	unsigned long addr;

	(void)state;
	parent = mm_alloc();
	addr = hp_test_mmap_anon(parent, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	for (int i = 0; i < 4; i++)
		assert_int_equal(hp_test_get_byte(parent, addr + i * PAGE_SIZE), 0);
	assert_int_equal(hp_test_counts(parent).leaves[HP_LEVEL_PTE][HP_KIND_SPECIAL], 4);
	child = hp_fork(parent);
	c = hp_test_counts(child);
	assert_int_equal(c.leaves[HP_LEVEL_PTE][HP_KIND_SPECIAL], 0);
	assert_int_equal(c.tables[HP_TABLE_PTE], 0);
	assert_int_equal(hp_test_get_byte(child, addr), 0);
	assert_int_equal(hp_test_faults(child), 1);
	mmput(child);

	/* One write maps an anonymous page: now every entry is copied, zero pages too. */
	hp_test_put_byte(parent, addr, 9);
	child = hp_fork(parent);
	c = hp_test_counts(child);
	assert_int_equal(c.leaves[HP_LEVEL_PTE][HP_KIND_NORMAL], 1);
	assert_int_equal(c.leaves[HP_LEVEL_PTE][HP_KIND_SPECIAL], 3);
	assert_int_equal(hp_test_get_byte(child, addr), 9);
	assert_int_equal(hp_test_get_byte(child, addr + PAGE_SIZE), 0);
	assert_int_equal(hp_test_faults(child), 0);
	mmput(child);
	mmput(parent);
}

/* A pinned page is never shared with a child: the child gets a copy at once. */
static void test_fork_copies_pinned_pages(void **state)
{
	struct mm_struct *parent, *child;
	struct page *pinned;
	unsigned long addr;
	uint64_t pv, cv;

	(void)state;
	parent = mm_alloc();
	addr = hp_test_mmap_anon(parent, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	hp_test_put_byte(parent, addr, 4);
	assert_int_equal(pin_user_pages_fast(parent, addr, 1, FOLL_WRITE, &pinned), 1);
	child = hp_fork(parent);
	assert_int_equal(level_at(parent, addr, &pv), HP_LEVEL_PTE);
	assert_int_equal(level_at(child, addr, &cv), HP_LEVEL_PTE);
	assert_int_equal(pte_pfn(__pte(pv)), page_to_pfn(pinned));
	assert_true(pte_write(__pte(pv)));
	assert_int_not_equal(pte_pfn(__pte(cv)), page_to_pfn(pinned));
	assert_int_equal(hp_test_get_byte(child, addr), 4);
	/* What the device writes into the pinned page, the parent sees. */
	((char *)page_address(pinned))[0] = 5;
	assert_int_equal(hp_test_get_byte(parent, addr), 5);
	assert_int_equal(hp_test_get_byte(child, addr), 4);
	unpin_user_page(pinned);
	mmput(child);
	mmput(parent);
}

/* A pin keeps backing the mapping across mprotect: the page is reused, not copied. */
static void test_pin_survives_mprotect(void **state)
{
	struct mm_struct *mm;
	struct page *pinned;
	unsigned long addr;
	uint64_t val;

	(void)state;
	mm = mm_alloc();
	addr = hp_test_mmap_anon(mm, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	hp_test_put_byte(mm, addr, 1);
	assert_int_equal(pin_user_pages_fast(mm, addr, 1, FOLL_WRITE, &pinned), 1);
	assert_int_equal(hp_mprotect(mm, addr, PAGE_SIZE, PROT_READ), 0);
	assert_int_equal(hp_mprotect(mm, addr, PAGE_SIZE, PROT_READ | PROT_WRITE), 0);
	hp_test_put_byte(mm, addr, 2);
	assert_int_equal(level_at(mm, addr, &val), HP_LEVEL_PTE);
	assert_int_equal(pte_pfn(__pte(val)), page_to_pfn(pinned));
	((char *)page_address(pinned))[0] = 3;
	assert_int_equal(hp_test_get_byte(mm, addr), 3);
	unpin_user_page(pinned);
	mmput(mm);
}

/* A read-only pin after fork unshares first: the pin is on the parent's own page. */
static void test_readonly_pin_after_fork_unshares(void **state)
{
	static const bool huge[] = { false, true };

	for (int i = 0; i < 2; i++) {
		struct mm_struct *parent, *child;
		struct page *pinned;
		unsigned long len = huge[i] ? PMD_SIZE : PAGE_SIZE, addr;
		uint64_t val;

		parent = mm_alloc();
		addr = hp_test_mmap_anon(parent, len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
		if (huge[i])
			assert_int_equal(hp_madvise(parent, addr, len, MADV_HUGEPAGE), 0);
		hp_test_put_byte(parent, addr, 1);
		child = hp_fork(parent);
		/* gup-fast refuses the shared page; the slow path unshares it. */
		assert_int_equal(pin_user_pages_fast(parent, addr, 1, 0, &pinned), 1);
		assert_true(PageAnonExclusive(pinned));
		assert_int_equal(level_at(parent, addr, &val), HP_LEVEL_PTE);
		assert_int_equal(pte_pfn(__pte(val)), page_to_pfn(pinned));
		assert_false(pte_write(__pte(val)));
		/* 6.12's wp_page_copy() for an unshare: clean, soft-dirty kept. */
		assert_false(pte_dirty(__pte(val)));
		assert_true(pte_soft_dirty(__pte(val)));
		/* The parent's next write reuses the pinned page: the pin sees it. */
		hp_test_put_byte(parent, addr, 5);
		assert_int_equal(((char *)page_address(pinned))[0], 5);
		assert_int_equal(hp_test_get_byte(child, addr), 1);
		unpin_user_page(pinned);
		mmput(child);
		mmput(parent);
		hp_test_restart(state);	/* each case on a fresh machine */
	}
}

static void test_fork_oom_leaks_nothing(void **state)
{
	struct mm_struct *parent;
	unsigned long addr;

	(void)state;
	parent = mm_alloc();
	addr = hp_test_mmap_anon(parent, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	assert_int_equal(hp_access_fill(parent, addr, 4 * PAGE_SIZE, 6), HP_ACCESS_OK);
	/* The child's PGD, PUD, PMD and PTE tables fail in turn, then none. */
	for (unsigned long n = 1; n <= 5; n++) {
		struct mm_struct *child;

		hp_fail_nth(HP_FAIL_PGTABLE, n);
		child = hp_fork(parent);
		if (n < 5) {
			assert_null(child);
		} else {
			assert_non_null(child);
			assert_int_equal(hp_test_get_byte(child, addr + 3 * PAGE_SIZE), 6);
			mmput(child);
		}
		/* The parent's pages are its own again. */
		assert_int_equal(hp_test_counts(parent).leaves[HP_LEVEL_PTE][HP_KIND_NORMAL], 4);
	}
	hp_test_put_byte(parent, addr, 7);
	mmput(parent);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		HP_TEST(test_munmap_frees_tables_after_grace_period),
		HP_TEST(test_munmap_keeps_shared_tables),
		HP_TEST(test_partial_munmap_of_special_pud),
		HP_TEST(test_partial_munmap_splits_thp),
		HP_TEST(test_thp_split_builds_ptes_as_linux),
		HP_TEST(test_unmap_mapping_range_reaches_every_process),
		HP_TEST(test_mprotect_keeps_special_and_pfn),
		HP_TEST(test_partial_mprotect_zaps_special_pmd),
		HP_TEST(test_mprotect_private_rw_needs_no_write_fault),
		HP_TEST(test_mprotect_keeps_shared_anon_read_only),
		HP_TEST(test_fork_copies_special_huge_entries),
		HP_TEST(test_fork_anon_is_copy_on_write),
		HP_TEST(test_fork_copies_only_vmas_with_anon_vma),
		HP_TEST(test_fork_copies_pinned_pages),
		HP_TEST(test_pin_survives_mprotect),
		HP_TEST(test_readonly_pin_after_fork_unshares),
		HP_TEST(test_fork_oom_leaks_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
