// SPDX-License-Identifier: MIT
/*
 * hp_next_entry(), the walk that skips empty table slots, against a page by
 * page walk with hp_lookup_entry(): every kind of leaf at every level (a
 * BAR's PUD, PMDs and PTEs, THPs, anonymous pages, PROT_NONE entries that
 * are not present), ranges that start inside a huge leaf or end before one,
 * and a sparse mapping of terabytes whose few pages lie in different PGD
 * slots.
 */
#include "hp_test.h"

struct entry {
	unsigned long addr;
	enum hp_level level;
	uint64_t val;
};

#define MAX_ENTRIES 8192

static unsigned long long rng_state = 0x2545f4914f6cdd1dULL;

static unsigned long rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned long)rng_state;
}

/* The reference: a lookup at every page, stepping over each leaf found. */
static unsigned int lookup_every_page(struct mm_struct *mm, unsigned long start,
				      unsigned long end, struct entry *out)
{
	unsigned int n = 0;

	for (unsigned long addr = start; addr < end;) {
		uint64_t val;
		enum hp_level level = hp_lookup_entry(mm, addr, &val);
		unsigned long size = level == HP_LEVEL_NONE ? PAGE_SIZE : hp_level_size(level);

		if (level != HP_LEVEL_NONE) {
			assert_true(n < MAX_ENTRIES);
			out[n++] = (struct entry){ addr & ~(size - 1), level, val };
		}
		addr = (addr & ~(size - 1)) + size;
	}
	return n;
}

static unsigned int walk(struct mm_struct *mm, unsigned long start, unsigned long end,
			 struct entry *out)
{
	unsigned long addr = start;
	unsigned int n = 0;
	enum hp_level level;
	uint64_t val;

	while ((level = hp_next_entry(mm, &addr, end, &val)) != HP_LEVEL_NONE) {
		assert_true(n < MAX_ENTRIES);
		assert_true(addr < end);
		out[n++] = (struct entry){ addr, level, val };
		addr += hp_level_size(level);
	}
	return n;
}

static void assert_same_entries(const struct entry *a, unsigned int na,
				const struct entry *b, unsigned int nb)
{
	assert_int_equal(na, nb);
	for (unsigned int i = 0; i < na; i++) {
		assert_int_equal(a[i].addr, b[i].addr);
		assert_int_equal(a[i].level, b[i].level);
		assert_int_equal(a[i].val, b[i].val);
	}
}

/* The entries of all that overlap [start, end). */
static unsigned int overlapping(const struct entry *all, unsigned int n, unsigned long start,
				unsigned long end, struct entry *out)
{
	unsigned int m = 0;

	for (unsigned int i = 0; i < n; i++)
		if (all[i].addr < end && all[i].addr + hp_level_size(all[i].level) > start)
			out[m++] = all[i];
	return m;
}

static void test_walk_matches_lookup_at_every_page(void **state)
{
	static struct entry ref[MAX_ENTRIES], got[MAX_ENTRIES], want[MAX_ENTRIES];
	unsigned long pud, pmd, pte, thp, small, lo, hi;
	struct mm_struct *mm;
	struct hp_bar *bar;
	unsigned int n;

	(void)state;
	bar = hp_bar_create("walk", 2 * PUD_SIZE, false);
	assert_non_null(bar);
	mm = mm_alloc();
	pud = hp_test_map_bar(mm, bar, PUD_SIZE, 0);
	hp_test_put_byte(mm, pud + 5 * PAGE_SIZE, 1);		/* one PUD leaf */
	pmd = hp_test_map_bar(mm, bar, 3 * PMD_SIZE, PUD_SIZE >> PAGE_SHIFT);
	hp_test_put_byte(mm, pmd, 1);				/* PMDs 0 and 2 */
	hp_test_put_byte(mm, pmd + 2 * PMD_SIZE + 7, 1);
	pte = hp_mmap(mm, hp_bar_file(bar), 0, PMD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 1);
	assert_false(IS_ERR_VALUE(pte));
	for (int i = 0; i < 40; i++)				/* special PTEs */
		hp_test_put_byte(mm, pte + (rnd() % 512) * PAGE_SIZE, 1);
	thp = hp_test_mmap_anon(mm, 4 * PMD_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	assert_int_equal(hp_madvise(mm, thp, 4 * PMD_SIZE, MADV_HUGEPAGE), 0);
	hp_test_put_byte(mm, thp + PMD_SIZE, 1);		/* THPs 1 and 3, */
	hp_test_put_byte(mm, thp + 3 * PMD_SIZE, 1);
	/* THP 1 split by PROT_NONE on a page of it: 512 PTEs, one not present. */
	assert_int_equal(hp_mprotect(mm, thp + PMD_SIZE + 9 * PAGE_SIZE, PAGE_SIZE, PROT_NONE), 0);
	small = hp_test_mmap_anon(mm, 256 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	for (int i = 0; i < 60; i++)
		hp_test_put_byte(mm, small + (rnd() % 256) * PAGE_SIZE, 1);

	/* From the lowest mapping's PUD to the top of the highest's: holes and all. */
	lo = pud & PUD_MASK;
	hi = ((thp > pmd ? thp : pmd) + PUD_SIZE) & PUD_MASK;
	if (hi > TASK_SIZE_MAX)
		hi = TASK_SIZE_MAX + PAGE_SIZE;
	assert_true(pmd < hi && pte < hi && small < hi && thp > lo && small > lo && pte > lo);
	n = lookup_every_page(mm, lo, hi, ref);
	assert_true(n > 600);
	assert_same_entries(got, walk(mm, lo, hi, got), ref, n);
	/* Every kind was seen: the walk compared more than one sort of entry. */
	assert_int_equal(hp_test_counts(mm).leaves[HP_LEVEL_PUD][HP_KIND_SPECIAL], 1);
	assert_int_equal(hp_test_counts(mm).leaves[HP_LEVEL_PMD][HP_KIND_SPECIAL], 2);
	assert_int_equal(hp_test_counts(mm).leaves[HP_LEVEL_PMD][HP_KIND_NORMAL], 1);
	/* Random windows: the leaves overlapping them, huge ones from their own start. */
	for (int i = 0; i < 400; i++) {
		unsigned long a = lo + (rnd() % ((hi - lo) >> PAGE_SHIFT)) * PAGE_SIZE;
		unsigned long b = a + (1 + rnd() % (rnd() % 2 ? 4096 : 64)) * PAGE_SIZE;
		unsigned int m = overlapping(ref, n, a, b, want);

		assert_same_entries(got, walk(mm, a, b, got), want, m);
	}
	mmput(mm);
	hp_bar_destroy(bar);
}

/* Pages in different PGD slots of a 3 TiB mapping: found, and nothing else. */
static void test_walk_skips_empty_slots_of_a_sparse_mapping(void **state)
{
	static struct entry got[16];
	unsigned long len = 3UL << 40, addr, at[5];
	struct mm_struct *mm;
	unsigned int n;

	(void)state;
	mm = mm_alloc();
	addr = hp_test_mmap_anon(mm, len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	at[0] = addr;
	at[1] = addr + (600UL << 30) + 3 * PAGE_SIZE;
	at[2] = addr + (1UL << 40) + PUD_SIZE;
	at[3] = addr + (2UL << 40) + 77 * PMD_SIZE;
	at[4] = addr + len - PAGE_SIZE;
	for (int i = 0; i < 5; i++)
		hp_test_put_byte(mm, at[i], (char)i);
	n = walk(mm, addr, addr + len, got);
	assert_int_equal(n, 5);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t val;

		assert_int_equal(got[i].addr, at[i]);
		assert_int_equal(got[i].level, HP_LEVEL_PTE);
		assert_int_equal(hp_lookup_entry(mm, at[i], &val), HP_LEVEL_PTE);
		assert_int_equal(got[i].val, val);
	}
	/* A window that ends where a page starts does not see it; one byte more does. */
	assert_int_equal(walk(mm, at[1] - PUD_SIZE, at[1], got), 0);
	assert_int_equal(walk(mm, at[1] - PUD_SIZE, at[1] + 1, got), 1);
	assert_int_equal(walk(mm, at[4] + PAGE_SIZE, TASK_SIZE_MAX, got), 0);
	mmput(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		HP_TEST(test_walk_matches_lookup_at_every_page),
		HP_TEST(test_walk_skips_empty_slots_of_a_sparse_mapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
