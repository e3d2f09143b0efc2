// SPDX-License-Identifier: MIT
/*
 * Simulated physical memory: the buddy allocator, compound folios, reference
 * counts, device regions with and without struct pages, and the violations
 * recorded when something takes a reference it must not.
 */
#include <string.h>

#include "hp_test.h"

#define TOTAL_PAGES (HP_TEST_RAM >> PAGE_SHIFT)

static void test_machine_rejects_bad_sizes(void **state)
{
	struct hp_config odd = { .ram_size = (64ULL << 20) + PAGE_SIZE };
	struct hp_config tiny = { .ram_size = 8ULL << 20 };
	struct hp_config policy = { .ram_size = HP_TEST_RAM, .policy = HP_NR_POLICIES };

	(void)state;
	assert_int_equal(hp_machine_init(&odd), -EINVAL);
	assert_int_equal(hp_machine_init(&tiny), -EINVAL);
	assert_int_equal(hp_machine_init(&policy), -EINVAL);
}

static void test_free_pages_at_boot(void **state)
{
	(void)state;
	assert_int_equal(hp_totalram_pages(), TOTAL_PAGES);
	/* Everything but the zero page. */
	assert_int_equal(nr_free_pages(), TOTAL_PAGES - 1);
	assert_true(PageFlag(pfn_to_page(zero_pfn), PG_reserved));
}

static void test_alloc_is_aligned_and_accounted(void **state)
{
	struct page *pages[MAX_PAGE_ORDER + 1];

	(void)state;
	for (unsigned int order = 0; order <= MAX_PAGE_ORDER; order++) {
		unsigned long before = nr_free_pages();

		pages[order] = alloc_pages(GFP_KERNEL, order);
		assert_non_null(pages[order]);
		assert_int_equal(page_to_pfn(pages[order]) & ((1UL << order) - 1), 0);
		assert_int_equal(page_ref_count(pages[order]), 1);
		assert_int_equal(nr_free_pages(), before - (1UL << order));
	}
	assert_null(alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER + 1));
	for (unsigned int order = 0; order <= MAX_PAGE_ORDER; order++)
		__free_pages(pages[order], order);
}

/* Splitting every block and freeing it all must merge back to whole blocks. */
static void test_buddies_merge(void **state)
{
	unsigned long max_blocks = TOTAL_PAGES >> MAX_PAGE_ORDER;
	struct page **small = calloc(TOTAL_PAGES, sizeof(*small));
	unsigned long n = 0, big = 0;
	struct page *p;

	(void)state;
	assert_non_null(small);
	while ((p = alloc_pages(GFP_KERNEL, 0)))
		small[n++] = p;
	assert_int_equal(n, TOTAL_PAGES - 1);
	assert_int_equal(nr_free_pages(), 0);
	for (unsigned long i = 0; i < n; i++)
		__free_pages(small[i], 0);
	/* The zero page keeps exactly one 4 MiB block from merging. */
	while ((p = alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER)))
		small[big++] = p;
	assert_int_equal(big, max_blocks - 1);
	for (unsigned long i = 0; i < big; i++)
		__free_pages(small[i], MAX_PAGE_ORDER);
	free(small);
}

static void test_gfp_zero_zeroes(void **state)
{
	struct page *page;
	unsigned char *p;

	(void)state;
	page = alloc_pages(GFP_KERNEL, 2);
	memset(page_address(page), 0xa5, 4 * PAGE_SIZE);
	__free_pages(page, 2);
	page = alloc_pages(__GFP_ZERO, 2);
	p = page_address(page);
	for (unsigned long i = 0; i < 4 * PAGE_SIZE; i++)
		assert_int_equal(p[i], 0);
	__free_pages(page, 2);
}

static void test_folio_is_compound(void **state)
{
	struct folio *folio;

	(void)state;
	folio = folio_alloc(GFP_KERNEL, PMD_ORDER);
	assert_non_null(folio);
	assert_true(folio_test_large(folio));
	assert_int_equal(folio_nr_pages(folio), 512);
	assert_ptr_equal(page_folio(folio_page(folio, 0)), folio);
	assert_ptr_equal(page_folio(folio_page(folio, 511)), folio);
	assert_true(PageTail(folio_page(folio, 1)));
	assert_false(PageTail(folio_page(folio, 0)));
	/* A reference on a tail page is a reference on the folio. */
	get_page(folio_page(folio, 100));
	assert_int_equal(folio_ref_count(folio), 2);
	put_page(folio_page(folio, 100));
	folio_put(folio);
}

static void test_last_put_frees(void **state)
{
	struct folio *folio;
	unsigned long before;

	(void)state;
	before = nr_free_pages();
	folio = folio_alloc(GFP_KERNEL, 0);
	folio_get(folio);
	folio_put(folio);
	assert_int_equal(nr_free_pages(), before - 1);
	folio_put(folio);
	assert_int_equal(nr_free_pages(), before);
}

static void test_try_get_fails_on_free_page(void **state)
{
	struct folio *folio;

	(void)state;
	folio = folio_alloc(GFP_KERNEL, 0);
	assert_true(folio_try_get(folio));
	folio_put_refs(folio, 2);
	assert_int_equal(folio_ref_count(folio), 0);
	assert_false(folio_try_get(folio));
	assert_int_equal(folio_ref_count(folio), 0);
}

static void test_underflow_is_a_violation(void **state)
{
	struct folio *folio;
	struct hp_violation v;

	folio = folio_alloc(GFP_KERNEL, 0);
	folio_put_refs(folio, 2);	/* one more than it had */
	assert_int_equal(hp_violation_count(), 1);
	assert_true(hp_violation_get(0, &v));
	assert_int_equal(v.pfn, folio_pfn(folio));
	assert_string_equal(v.what, "reference count underflow");
	/* It was never freed: give it back by hand so nothing leaks. */
	__free_pages(&folio->page, 0);
	hp_test_expect_violations(state, 1);
}

static void test_iomem_has_no_struct_page(void **state)
{
	unsigned long pfn;
	struct hp_violation v;
	char *bytes;

	assert_int_equal(hp_iomem_add("vram", 0, &pfn), -EINVAL);
	assert_int_equal(hp_iomem_add("vram", 100, &pfn), -EINVAL);
	assert_int_equal(hp_iomem_add("vram", 64ULL << 20, &pfn), 0);
	assert_true(pfn >= TOTAL_PAGES);
	assert_int_equal(pfn & (HPAGE_PUD_NR - 1), 0);
	assert_false(pfn_valid(pfn));
	assert_false(pfn_valid(pfn + (64 << 20 >> PAGE_SHIFT) - 1));
	assert_null(get_dev_pagemap(pfn));

	/* The bytes are real. */
	bytes = __va((phys_addr_t)(pfn + 3) << PAGE_SHIFT);
	assert_non_null(bytes);
	bytes[5] = 42;
	assert_int_equal(((char *)__va((phys_addr_t)(pfn + 3) << PAGE_SHIFT))[5], 42);

	/* Asking for its struct page is caught, with the pfn. */
	assert_null(pfn_to_page(pfn + 7));
	assert_int_equal(hp_violation_count(), 1);
	assert_true(hp_violation_get(0, &v));
	assert_int_equal(v.pfn, pfn + 7);
	assert_string_equal(v.op, "pfn_to_page");
	hp_test_expect_violations(state, 1);
}

static void test_zone_device_has_pagemap(void **state)
{
	struct dev_pagemap *pgmap, *got;
	struct hp_leaks leaks;
	struct page *page;

	(void)state;
	assert_null(memremap_pages("pmem", 0, MEMORY_DEVICE_FS_DAX));
	pgmap = memremap_pages("pmem", 8ULL << 20, MEMORY_DEVICE_FS_DAX);
	assert_non_null(pgmap);
	assert_true(pfn_valid(pgmap->start_pfn));
	page = pfn_to_page(pgmap->start_pfn + 5);
	assert_non_null(page);
	assert_true(is_zone_device_page(page));
	assert_ptr_equal(page->pgmap, pgmap);
	assert_int_equal(page_ref_count(page), 1);
	assert_int_equal(page_to_pfn(page), pgmap->start_pfn + 5);

	got = get_dev_pagemap(pgmap->start_pfn + 5);
	assert_ptr_equal(got, pgmap);
	hp_machine_leaks(&leaks);
	assert_int_equal(leaks.pgmap_refs, 1);
	put_dev_pagemap(got);
	assert_null(get_dev_pagemap(pgmap->start_pfn + pgmap->nr_pages));
}

/*
 * A ZONE_DEVICE memmap is written a section at a time, when a pfn of the
 * section is first looked at: an untouched region costs no host memory.
 * (Writing every struct page in memremap_pages(), as before, fails the first
 * assertion.)
 */
static void test_zone_device_memmap_is_lazy(void **state)
{
	unsigned long before = hp_memmap_sections_populated();
	struct dev_pagemap *pgmap;
	struct page *page;

	(void)state;
	pgmap = memremap_pages("pmem", 64ULL << 30, MEMORY_DEVICE_GENERIC);
	assert_non_null(pgmap);
	assert_int_equal(hp_memmap_sections_populated(), before);

	page = pfn_to_page(pgmap->start_pfn + 5 * HP_PAGES_PER_SECTION + 3);
	assert_true(is_zone_device_page(page));
	assert_ptr_equal(page->pgmap, pgmap);
	assert_int_equal(page_ref_count(page), 1);
	assert_int_equal(hp_memmap_sections_populated(), before + 1);
	/* The section's other pages came with it; the next section did not. */
	assert_true(is_zone_device_page(page + HP_PAGES_PER_SECTION - 4));
	assert_int_equal(hp_memmap_sections_populated(), before + 1);
	hp_memmap_populate(pgmap->start_pfn + 6 * HP_PAGES_PER_SECTION - 1, 2);
	assert_int_equal(hp_memmap_sections_populated(), before + 2);
	assert_true(is_zone_device_page(page + HP_PAGES_PER_SECTION));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_machine_rejects_bad_sizes),
		HP_TEST(test_free_pages_at_boot),
		HP_TEST(test_alloc_is_aligned_and_accounted),
		HP_TEST(test_buddies_merge),
		HP_TEST(test_gfp_zero_zeroes),
		HP_TEST(test_folio_is_compound),
		HP_TEST(test_last_put_frees),
		HP_TEST(test_try_get_fails_on_free_page),
		HP_TEST(test_underflow_is_a_violation),
		HP_TEST(test_iomem_has_no_struct_page),
		HP_TEST(test_zone_device_has_pagemap),
		HP_TEST(test_zone_device_memmap_is_lazy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
