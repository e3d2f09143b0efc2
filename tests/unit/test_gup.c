// SPDX-License-Identifier: MIT
/*
 * GUP, slow and fast: what each returns for every kind of entry, the
 * reference accounting of FOLL_GET and FOLL_PIN, the refusals (pfn mappings,
 * special leaves), unsharing before a read-only pin, the argument checks and
 * errnos of Linux 6.12 (each test names the 6.12 function it follows), and the
 * thread's bug: under the plain policy gup-fast takes an unmarked huge pfn
 * entry for a THP.
 */
#include <string.h>

#include "hp_test.h"

struct run {
	struct mm_struct *mm;
	unsigned long addr;
	struct hp_bar *bar;
};

static void map_anon(struct run *r, unsigned long len, bool thp)
{
	r->mm = mm_alloc();
	r->bar = NULL;
	r->addr = hp_test_mmap_anon(r->mm, len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	if (thp)
		assert_int_equal(hp_madvise(r->mm, r->addr, len, MADV_HUGEPAGE), 0);
}

static void map_bar(struct run *r, unsigned long len, bool zone_device)
{
	r->mm = mm_alloc();
	r->bar = hp_bar_create("bar", len, zone_device);
	r->addr = hp_test_map_bar(r->mm, r->bar, len, 0);
	hp_bar_destroy(r->bar);
}

static void touch(struct mm_struct *mm, unsigned long addr, unsigned long len)
{
	assert_int_equal(hp_access_fill(mm, addr, len, 0x11), HP_ACCESS_OK);
}

static void finish(struct run *r)
{
	mmput(r->mm);
}

/* ---- reference accounting ------------------------------------------------ */

static void test_get_and_pin_small_page(void **state)
{
	struct run r;
	struct page *page, *again;

	(void)state;
	map_anon(&r, 4 * PAGE_SIZE, false);
	/* Slow GUP faults the page in itself. */
	assert_int_equal(get_user_pages(r.mm, r.addr, 1, FOLL_WRITE, &page), 1);
	assert_int_equal(hp_test_faults(r.mm), 1);
	assert_int_equal(page_ref_count(page), 2);
	put_page(page);
	assert_int_equal(pin_user_pages(r.mm, r.addr, 1, 0, &page), 1);
	assert_int_equal(page_ref_count(page), 1 + GUP_PIN_COUNTING_BIAS);
	assert_true(folio_maybe_dma_pinned(page_folio(page)));
	assert_int_equal(pin_user_pages_fast(r.mm, r.addr, 1, FOLL_WRITE, &again), 1);
	assert_ptr_equal(again, page);
	assert_int_equal(page_ref_count(page), 1 + 2 * GUP_PIN_COUNTING_BIAS);
	unpin_user_page(page);
	unpin_user_pages(&again, 1);
	assert_int_equal(page_ref_count(page), 1);
	assert_false(folio_maybe_dma_pinned(page_folio(page)));
	finish(&r);
}

static void test_pin_thp_counts_pins_apart(void **state)
{
	struct page *pages[HPAGE_PMD_NR];
	struct folio *folio;
	struct run r;

	(void)state;
	map_anon(&r, PMD_SIZE, true);
	touch(r.mm, r.addr, PAGE_SIZE);
	assert_int_equal(pin_user_pages_fast(r.mm, r.addr, HPAGE_PMD_NR, FOLL_WRITE, pages),
			 HPAGE_PMD_NR);
	folio = page_folio(pages[0]);
	assert_true(folio_test_large(folio));
	for (int i = 0; i < (int)HPAGE_PMD_NR; i++)
		assert_ptr_equal(pages[i], folio_page(folio, i));
	assert_int_equal(folio_ref_count(folio), 1 + HPAGE_PMD_NR);
	assert_int_equal(folio_maybe_dma_pinned_count(folio), HPAGE_PMD_NR);
	unpin_user_pages(pages, HPAGE_PMD_NR);
	assert_int_equal(folio_ref_count(folio), 1);
	assert_int_equal(folio_maybe_dma_pinned_count(folio), 0);

	/* Slow GUP from the middle: the tail of the leaf, grabbed together. */
	assert_int_equal(get_user_pages(r.mm, r.addr + 500 * PAGE_SIZE, 12, 0, pages), 12);
	assert_ptr_equal(pages[0], folio_page(folio, 500));
	assert_int_equal(folio_ref_count(folio), 13);
	for (int i = 0; i < 12; i++)
		put_page(pages[i]);
	/* An unaligned start (6.12's __get_user_pages() takes any): the same pages. */
	assert_int_equal(get_user_pages(r.mm, r.addr + 500 * PAGE_SIZE + 1, 12, 0, pages), 12);
	for (int i = 0; i < 12; i++) {
		assert_ptr_equal(pages[i], folio_page(folio, 500 + i));
		put_page(pages[i]);
	}
	finish(&r);
}

static void test_gup_stops_at_a_hole(void **state)
{
	struct page *pages[8];
	struct run r;

	(void)state;
	map_anon(&r, 4 * PAGE_SIZE, false);
	/* Four pages mapped, eight asked: four come back. */
	assert_int_equal(get_user_pages_fast(r.mm, r.addr, 8, 0, pages), 4);
	for (int i = 0; i < 4; i++)
		put_page(pages[i]);
	assert_int_equal(get_user_pages_fast(r.mm, r.addr + 4 * PAGE_SIZE, 1, 0, pages), -EFAULT);
	assert_int_equal(get_user_pages(r.mm, r.addr + 4 * PAGE_SIZE, 1, 0, pages), -EFAULT);
	finish(&r);
}

/* The pfn that mm's PTE for addr maps. */
static unsigned long mapped_pfn(struct mm_struct *mm, unsigned long addr)
{
	uint64_t val;

	assert_int_equal(hp_lookup_entry(mm, addr, &val), HP_LEVEL_PTE);
	return pte_pfn(__pte(val));
}

/*
 * The arguments 6.12 refuses, and the answers it gives (mm/gup.c):
 * is_valid_gup_args() refuses internal flags, FOLL_GET with FOLL_PIN,
 * FOLL_LONGTERM without FOLL_PIN (point 8 of issue 13) and a missing pages
 * array where references are taken; get_user_pages*() then return -EINVAL,
 * pin_user_pages() returns 0.  __get_user_pages() takes any start (the page
 * containing it), and without pages only faults the range in.
 */
static void test_gup_arguments(void **state)
{
	struct page *pages[2];
	struct run r;

	(void)state;
	map_anon(&r, 4 * PAGE_SIZE, false);
	touch(r.mm, r.addr, PAGE_SIZE);
	assert_int_equal(get_user_pages(r.mm, r.addr, 1, FOLL_LONGTERM, pages), -EINVAL);
	assert_int_equal(get_user_pages_fast(r.mm, r.addr, 1, FOLL_LONGTERM, pages), -EINVAL);
	assert_int_equal(get_user_pages_fast_only(r.mm, r.addr, 1, FOLL_LONGTERM, pages),
			 -EINVAL);
	assert_int_equal(get_user_pages_fast(r.mm, r.addr, 1, FOLL_PIN, pages), -EINVAL);
	assert_int_equal(get_user_pages_fast(r.mm, r.addr, 1, FOLL_FAST_ONLY, pages), -EINVAL);
	assert_int_equal(get_user_pages(r.mm, r.addr, 1, FOLL_FAST_ONLY, pages), -EINVAL);
	assert_int_equal(pin_user_pages_fast(r.mm, r.addr, 1, FOLL_GET, pages), -EINVAL);
	assert_int_equal(pin_user_pages(r.mm, r.addr, 1, FOLL_GET, pages), 0);
	assert_int_equal(pin_user_pages(r.mm, r.addr, 1, 0, NULL), 0);
	assert_int_equal(get_user_pages_fast(r.mm, r.addr, 1, 0, NULL), -EINVAL);
	assert_int_equal(get_user_pages(r.mm, r.addr, 1, FOLL_GET, NULL), -EINVAL);
	assert_int_equal(hp_violation_count(), 0);

	/* FOLL_GET is what the get_ functions take anyway: a caller may say it. */
	assert_int_equal(get_user_pages_fast(r.mm, r.addr, 1, FOLL_GET, pages), 1);
	put_page(pages[0]);
	/* An unaligned start is the page that contains it. */
	assert_int_equal(get_user_pages(r.mm, r.addr + 1, 2, 0, pages), 2);
	assert_int_equal(page_to_pfn(pages[0]), mapped_pfn(r.mm, r.addr));
	put_page(pages[0]);
	put_page(pages[1]);
	assert_int_equal(get_user_pages(r.mm, r.addr, 0, 0, pages), 0);
	/* No pages: the second page is faulted in, nothing is referenced. */
	assert_int_equal(get_user_pages(r.mm, r.addr + PAGE_SIZE, 1, FOLL_WRITE, NULL), 1);
	assert_int_equal(page_ref_count(pfn_to_page(mapped_pfn(r.mm, r.addr + PAGE_SIZE))), 1);
	finish(&r);
}

/*
 * gup_fast_fallback() in 6.12: a range that wraps is -EOVERFLOW, one past
 * TASK_SIZE_MAX -EFAULT.  The int count is taken as an unsigned long, so a
 * negative one is a huge range, refused by those same checks.
 */
static void test_gup_fast_range_checks(void **state)
{
	struct page *pages[2];
	struct run r;

	(void)state;
	map_anon(&r, PAGE_SIZE, false);
	assert_int_equal(get_user_pages_fast(r.mm, -PAGE_SIZE, 2, 0, pages), -EOVERFLOW);
	assert_int_equal(pin_user_pages_fast(r.mm, r.addr, -1, 0, pages), -EOVERFLOW);
	assert_int_equal(pin_user_pages_fast(r.mm, 0, -1, 0, pages), -EFAULT);
	assert_int_equal(get_user_pages_fast(r.mm, TASK_SIZE_MAX - PAGE_SIZE, 2, 0, pages),
			 -EFAULT);
	assert_int_equal(get_user_pages_fast(r.mm, r.addr, 0, 0, pages), 0);
	finish(&r);
}

/*
 * CVE-2020-29374's pattern, as 6.12 closes it.  A THP is split to PTEs and its
 * head page unmapped, then the process forks: every mapped subpage is shared
 * with the child now, the unmapped head keeps its exclusive mark.
 * gup_must_unshare() (mm/internal.h) looks at PageAnonExclusive() of the
 * subpage itself (a THP's mark is per page once PTE-mapped,
 * include/linux/page-flags.h), so a read-only pin must unshare: gup-fast
 * refuses (gup_fast_pte_range()), the slow path gets -EMLINK from
 * follow_page_pte() and faults with FAULT_FLAG_UNSHARE (__get_user_pages()).
 * The pin is then on the parent's own page, which its next write reuses.
 */
static void test_readonly_pin_unshares_thp_subpage(void **state)
{
	static const char bytes[] = { 0x21, 0x42 };
	struct mm_struct *child;
	struct page *pinned[2];
	struct folio *thp;
	struct run r;

	(void)state;
	map_anon(&r, PMD_SIZE, true);
	touch(r.mm, r.addr, PMD_SIZE);
	assert_int_equal(get_user_pages(r.mm, r.addr, 1, 0, pinned), 1);
	thp = page_folio(pinned[0]);
	put_page(pinned[0]);
	assert_true(folio_test_large(thp));
	assert_int_equal(hp_munmap(r.mm, r.addr, PAGE_SIZE), 0);
	assert_true(PageAnonExclusive(&thp->page));
	child = hp_fork(r.mm);
	assert_non_null(child);
	assert_false(PageAnonExclusive(folio_page(thp, 1)));

	assert_int_equal(pin_user_pages_fast(r.mm, r.addr + PAGE_SIZE, 1, 0, &pinned[0]), 1);
	assert_int_equal(pin_user_pages(r.mm, r.addr + 2 * PAGE_SIZE, 1, 0, &pinned[1]), 1);
	for (int i = 0; i < 2; i++) {
		unsigned long addr = r.addr + (i + 1) * PAGE_SIZE;

		assert_ptr_not_equal(pinned[i], folio_page(thp, i + 1));
		assert_true(PageAnonExclusive(pinned[i]));
		assert_int_equal(mapped_pfn(child, addr), folio_pfn(thp) + i + 1);
		/* The parent writes: the pinned page stays its page and sees the write. */
		assert_int_equal(hp_access_fill(r.mm, addr, 1, bytes[i]), HP_ACCESS_OK);
		assert_int_equal(mapped_pfn(r.mm, addr), page_to_pfn(pinned[i]));
		assert_int_equal(*(char *)page_address(pinned[i]), bytes[i]);
		unpin_user_page(pinned[i]);
	}
	mmput(child);
	finish(&r);
}

/*
 * Point 7 of issue 13: a longterm read-only pin of the zero page in a private
 * mapping must unshare (gup_must_unshare(): not anonymous, FOLL_LONGTERM, a
 * COW mapping); do_wp_page() with FAULT_FLAG_UNSHARE then copies it into a
 * read-only page of the process's own (wp_page_copy()).  A short-term
 * read-only pin keeps the zero page.
 */
static void test_longterm_pin_unshares_zero_page(void **state)
{
	struct page *page;
	struct run r;
	uint64_t val;
	char v;

	(void)state;
	map_anon(&r, 2 * PAGE_SIZE, false);
	for (int i = 0; i < 2; i++)
		assert_int_equal(hp_access(r.mm, r.addr + i * PAGE_SIZE, 1, HP_ACCESS_READ, &v),
				 HP_ACCESS_OK);
	assert_int_equal(pin_user_pages_fast(r.mm, r.addr, 1, 0, &page), 1);
	assert_true(is_zero_page(page));
	unpin_user_page(page);

	assert_int_equal(pin_user_pages_fast(r.mm, r.addr, 1, FOLL_LONGTERM, &page), 1);
	assert_false(is_zero_page(page));
	assert_true(PageAnon(page) && PageAnonExclusive(page));
	assert_int_equal(mapped_pfn(r.mm, r.addr), page_to_pfn(page));
	hp_lookup_entry(r.mm, r.addr, &val);
	assert_false(val & _PAGE_RW);
	unpin_user_page(page);

	assert_int_equal(pin_user_pages(r.mm, r.addr + PAGE_SIZE, 1, FOLL_LONGTERM, &page), 1);
	assert_false(is_zero_page(page));
	assert_int_equal(mapped_pfn(r.mm, r.addr + PAGE_SIZE), page_to_pfn(page));
	unpin_user_page(page);
	finish(&r);
}

static void test_write_gup_on_readonly_vma_fails(void **state)
{
	struct page *page;
	struct mm_struct *mm;
	unsigned long addr;

	(void)state;
	mm = mm_alloc();
	addr = hp_test_mmap_anon(mm, PAGE_SIZE, PROT_READ, MAP_PRIVATE);
	assert_int_equal(get_user_pages(mm, addr, 1, FOLL_WRITE, &page), -EFAULT);
	assert_int_equal(get_user_pages_fast(mm, addr, 1, FOLL_WRITE, &page), -EFAULT);
	/* A read gets the zero page. */
	assert_int_equal(get_user_pages(mm, addr, 1, 0, &page), 1);
	assert_int_equal(page_to_pfn(page), zero_pfn);
	put_page(page);
	mmput(mm);
}

/* A write pin on the zero page breaks COW first: the pin is on a private copy. */
static void test_write_pin_breaks_cow(void **state)
{
	struct page *page;
	struct run r;
	char v;

	(void)state;
	map_anon(&r, PAGE_SIZE, false);
	assert_int_equal(hp_access(r.mm, r.addr, 1, HP_ACCESS_READ, &v), HP_ACCESS_OK);
	assert_int_equal(pin_user_pages_fast(r.mm, r.addr, 1, FOLL_WRITE, &page), 1);
	assert_int_not_equal(page_to_pfn(page), zero_pfn);
	assert_true(PageAnon(page));
	unpin_user_page(page);
	finish(&r);
}

/* ---- pfn mappings --------------------------------------------------------- */

static void test_special_leaves_are_refused(void **state)
{
	static const unsigned long sizes[] = { PMD_SIZE, PUD_SIZE };

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct page *page = NULL;
		struct hp_entry_counts c;
		struct run r;

		map_bar(&r, sizes[i], false);
		touch(r.mm, r.addr, PAGE_SIZE);
		c = hp_test_counts(r.mm);
		assert_int_equal(c.leaves[sizes[i] == PUD_SIZE ? HP_LEVEL_PUD : HP_LEVEL_PMD][HP_KIND_SPECIAL], 1);
		assert_int_equal(get_user_pages_fast_only(r.mm, r.addr, 1, 0, &page), 0);
		assert_int_equal(get_user_pages_fast(r.mm, r.addr, 1, 0, &page), -EFAULT);
		assert_int_equal(pin_user_pages_fast(r.mm, r.addr, 1, FOLL_LONGTERM, &page), -EFAULT);
		assert_int_equal(get_user_pages(r.mm, r.addr, 1, 0, &page), -EFAULT);
		assert_null(page);
		finish(&r);
	}
}

static void test_special_ptes_are_refused(void **state)
{
	struct page *page = NULL;
	struct run r;

	(void)state;
	map_bar(&r, PMD_SIZE, false);
	touch(r.mm, r.addr, PAGE_SIZE);
	assert_int_equal(hp_test_counts(r.mm).leaves[HP_LEVEL_PTE][HP_KIND_SPECIAL], 1);
	assert_int_equal(get_user_pages_fast_only(r.mm, r.addr, 1, 0, &page), 0);
	assert_int_equal(get_user_pages_fast(r.mm, r.addr, 1, 0, &page), -EFAULT);
	finish(&r);
}

/* The thread's bug: the unmarked PUD looks like a THP to the lockless walk. */
static void plain_gup_fast_violates(void **state, unsigned long size)
{
	struct hp_violation v;
	struct page *page = NULL;
	struct run r;

	map_bar(&r, size, false);
	touch(r.mm, r.addr, PAGE_SIZE);
	assert_int_equal(get_user_pages_fast(r.mm, r.addr + 3 * PAGE_SIZE, 1, 0, &page), -EFAULT);
	assert_int_equal(hp_violation_count(), 1);
	assert_true(hp_violation_get(0, &v));
	assert_int_equal(v.pfn, hp_bar_pfn(r.bar) + 3);
	assert_int_equal(v.level, size == PUD_SIZE ? HP_LEVEL_PUD : HP_LEVEL_PMD);
	assert_string_equal(v.op, "gup_fast");
	/* The slow path, which sees the VMA, is safe under every policy. */
	assert_int_equal(get_user_pages(r.mm, r.addr, 1, 0, &page), -EFAULT);
	assert_int_equal(hp_violation_count(), 1);
	finish(&r);
	hp_test_expect_violations(state, 1);
}

static void test_plain_policy_gup_fast_violates_pmd(void **state)
{
	plain_gup_fast_violates(state, PMD_SIZE);
}

static void test_plain_policy_gup_fast_violates_pud(void **state)
{
	plain_gup_fast_violates(state, PUD_SIZE);
}

/* The rejected proposal: devmap without a pagemap is treated as special. */
static void test_devmap_policy_refuses_without_pagemap(void **state)
{
	struct page *page = NULL;
	struct run r;

	(void)state;
	map_bar(&r, PUD_SIZE, false);
	touch(r.mm, r.addr, PAGE_SIZE);
	assert_int_equal(hp_test_counts(r.mm).leaves[HP_LEVEL_PUD][HP_KIND_DEVMAP], 1);
	assert_int_equal(get_user_pages_fast(r.mm, r.addr, 1, 0, &page), -EFAULT);
	finish(&r);
}

/*
 * Point 2 of issue 13.  hugepfn's ZONE_DEVICE memory is MEMORY_DEVICE_GENERIC
 * behind a device file (device-dax in 6.12): check_vma_flags() refuses
 * longterm pins only for fsdax files, and folio_is_longterm_pinnable() is true
 * for it (not movable, not coherent).  gup-fast declines devmap entries for a
 * longterm pin (gup_fast_pmd_leaf()), the slow path pins the pages
 * (follow_devmap_pmd()).
 */
static void test_zone_device_pins(void **state)
{
	struct page *pages[4];
	struct run r;

	(void)state;
	map_bar(&r, PMD_SIZE, true);
	touch(r.mm, r.addr, PAGE_SIZE);
	assert_int_equal(hp_test_counts(r.mm).leaves[HP_LEVEL_PMD][HP_KIND_DEVMAP], 1);
	assert_int_equal(pin_user_pages_fast(r.mm, r.addr, 4, FOLL_WRITE, pages), 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(page_to_pfn(pages[i]), hp_bar_pfn(r.bar) + i);
		assert_true(is_zone_device_page(pages[i]));
		assert_int_equal(page_ref_count(pages[i]), 1 + GUP_PIN_COUNTING_BIAS);
	}
	unpin_user_pages(pages, 4);
	assert_int_equal(page_ref_count(pages[0]), 1);
	/* Slow path, same answer. */
	assert_int_equal(get_user_pages(r.mm, r.addr + PAGE_SIZE, 2, 0, pages), 2);
	put_page(pages[0]);
	put_page(pages[1]);
	assert_int_equal(pin_user_pages_fast(r.mm, r.addr, 2, FOLL_LONGTERM, pages), 2);
	assert_int_equal(page_to_pfn(pages[1]), hp_bar_pfn(r.bar) + 1);
	assert_int_equal(page_ref_count(pages[1]), 1 + GUP_PIN_COUNTING_BIAS);
	unpin_user_pages(pages, 2);
	assert_int_equal(pin_user_pages(r.mm, r.addr, 1, FOLL_LONGTERM | FOLL_WRITE, pages), 1);
	unpin_user_page(pages[0]);
	finish(&r);
}

/*
 * A ZONE_DEVICE page mapped by a PTE has a mapping (device-dax's
 * dax_set_mapping()), so gup-fast keeps it (gup_fast_folio_allowed() refuses
 * only small folios without one): the lockless walk alone gets it.
 */
static void test_zone_device_pte_gup_fast_only(void **state)
{
	struct page *page;
	struct run r;

	(void)state;
	map_bar(&r, PMD_SIZE, true);
	touch(r.mm, r.addr, PAGE_SIZE);
	assert_int_equal(hp_test_counts(r.mm).leaves[HP_LEVEL_PTE][HP_KIND_DEVMAP], 1);
	assert_int_equal(get_user_pages_fast_only(r.mm, r.addr, 1, 0, &page), 1);
	assert_int_equal(page_to_pfn(page), hp_bar_pfn(r.bar));
	put_page(page);
	finish(&r);
}

/* ---- pages a driver owns -------------------------------------------------- */

static struct folio *owned;

static vm_fault_t owner_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	if (order != PMD_ORDER)
		return VM_FAULT_FALLBACK;
	return vmf_insert_pfn_pmd(vmf, folio_pfn(owned), vmf->flags & FAULT_FLAG_WRITE);
}

static vm_fault_t owner_fault(struct vm_fault *vmf)
{
	return vmf_insert_pfn(vmf->vma, vmf->address, folio_pfn(owned) + vmf->pgoff);
}

static const struct vm_operations_struct owner_vm_ops = {
	.fault = owner_fault,
	.huge_fault = owner_huge_fault,
};

static int owner_mmap(struct file *file, struct vm_area_struct *vma)
{
	(void)file;
	vma->vm_flags |= VM_PFNMAP | VM_IO;
	vma->vm_ops = &owner_vm_ops;
	return 0;
}

static const struct file_operations owner_fops = { .mmap = owner_mmap };

/* System pages a driver maps special (TTM's): plain lets gup-fast take them. */
static void test_driver_owned_pages(void **state)
{
	struct page *page = NULL;
	struct hp_violation v;
	struct mm_struct *mm;
	struct file *file;
	unsigned long addr;
	int got;

	owned = folio_alloc(__GFP_ZERO, PMD_ORDER);
	SetPageFlag(&owned->page, PG_owner_priv);
	mm = mm_alloc();
	file = hp_file_create(&owner_fops, NULL);
	addr = hp_mmap(mm, file, 0, PMD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	touch(mm, addr, PAGE_SIZE);
	got = get_user_pages_fast(mm, addr, 1, 0, &page);
	if (hp_test_policy(state) == HP_POLICY_PLAIN) {
		assert_int_equal(got, 1);
		assert_int_equal(hp_violation_count(), 1);
		assert_true(hp_violation_get(0, &v));
		assert_int_equal(v.pfn, folio_pfn(owned));
		assert_string_equal(v.what, "reference on a page its driver maps special");
		assert_int_equal(folio_ref_count(owned), 2);
		put_page(page);
		hp_test_expect_violations(state, 1);
	} else {
		assert_int_equal(got, -EFAULT);
		assert_int_equal(hp_violation_count(), 0);
	}
	mmput(mm);
	fput(file);
	folio_put(owned);
}

/*
 * gup_fast_folio_allowed() (6.12, with CONFIG_SECRETMEM=y, the default): a
 * small folio without a mapping, or any folio without one for a longterm
 * writable pin, is left to the slow path even when the entry looks like a
 * THP's.  Driver pages have no mapping: under the plain policy gup-fast grabs
 * them through the unmarked PMD and gives them back, and the slow path
 * refuses the pfn mapping.  Small folios: pages of a non-compound allocation.
 */
static void folios_without_mapping(bool compound)
{
	struct page *page = NULL;
	struct mm_struct *mm;
	struct file *file;
	unsigned long addr;

	owned = compound ? folio_alloc(__GFP_ZERO, PMD_ORDER) :
			   (struct folio *)alloc_pages(__GFP_ZERO, PMD_ORDER);
	mm = mm_alloc();
	file = hp_file_create(&owner_fops, NULL);
	addr = hp_mmap(mm, file, 0, PMD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	touch(mm, addr, PAGE_SIZE);
	assert_int_equal(hp_test_counts(mm).leaves[HP_LEVEL_PMD][HP_KIND_NORMAL], 1);
	if (compound) {
		assert_int_equal(get_user_pages_fast(mm, addr, 1, 0, &page), 1);
		put_page(page);
		assert_int_equal(pin_user_pages_fast(mm, addr, 1, FOLL_WRITE | FOLL_LONGTERM, &page),
				 -EFAULT);
	} else {
		assert_int_equal(get_user_pages_fast(mm, addr, 1, 0, &page), -EFAULT);
	}
	assert_int_equal(folio_ref_count(owned), 1);
	mmput(mm);
	fput(file);
	if (compound)
		folio_put(owned);
	else
		__free_pages(&owned->page, PMD_ORDER);
}

static void test_gup_fast_refuses_small_folios_without_mapping(void **state)
{
	(void)state;
	folios_without_mapping(false);
}

static void test_gup_fast_refuses_longterm_pins_without_mapping(void **state)
{
	(void)state;
	folios_without_mapping(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		HP_TEST(test_get_and_pin_small_page),
		HP_TEST(test_pin_thp_counts_pins_apart),
		HP_TEST(test_gup_stops_at_a_hole),
		HP_TEST(test_gup_arguments),
		HP_TEST(test_gup_fast_range_checks),
		HP_TEST(test_write_gup_on_readonly_vma_fails),
		HP_TEST(test_write_pin_breaks_cow),
		HP_TEST(test_readonly_pin_unshares_thp_subpage),
		HP_TEST(test_longterm_pin_unshares_zero_page),
		HP_TEST(test_special_leaves_are_refused),
		HP_TEST_UNDER(test_special_ptes_are_refused, NONE),
		HP_TEST_UNDER(test_plain_policy_gup_fast_violates_pmd, PLAIN),
		HP_TEST_UNDER(test_plain_policy_gup_fast_violates_pud, PLAIN),
		HP_TEST_UNDER(test_devmap_policy_refuses_without_pagemap, DEVMAP),
		HP_TEST(test_zone_device_pins),
		HP_TEST_UNDER(test_zone_device_pte_gup_fast_only, NONE),
		HP_TEST_UNDER(test_driver_owned_pages, PLAIN),
		HP_TEST(test_driver_owned_pages),
		HP_TEST_UNDER(test_gup_fast_refuses_small_folios_without_mapping, PLAIN),
		HP_TEST_UNDER(test_gup_fast_refuses_longterm_pins_without_mapping, PLAIN),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
