// SPDX-License-Identifier: MIT
/*
 * The VMA tree (src/mm/vma_tree.c) against a sorted array that does the same
 * by brute force: insertion (mmap, MAP_FIXED_NOREPLACE), splits (mprotect,
 * munmap), removal and the joining of the gaps around what went (munmap), a
 * VMA's end moving (mremap in place), and top-down placement, checked as a
 * linear scan over every gap finds it.  After every operation the tree's
 * shape, balance and gap bookkeeping are recomputed from scratch.
 */
#include <string.h>

#include "hp_test.h"

#define MMAP_MIN 0x10000UL
#define MAX_REF 8192

/* The reference: VMA bounds, sorted, disjoint. */
struct ref {
	unsigned long start[MAX_REF], end[MAX_REF];
	unsigned int n;
	unsigned long base;	/* mmap_base */
};

static unsigned long long rng_state;

static unsigned long rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned long)rng_state;
}

static bool ref_free(const struct ref *r, unsigned long a, unsigned long len)
{
	for (unsigned int i = 0; i < r->n; i++)
		if (r->start[i] < a + len && r->end[i] > a)
			return false;
	return true;
}

static unsigned long fit(unsigned long lo, unsigned long hi, unsigned long len)
{
	return hi < lo || hi - lo < len ? 0 : hi - len;
}

/* Every gap below mmap_base from the top, as the model placed before it had a tree. */
static unsigned long ref_topdown(const struct ref *r, unsigned long hint, unsigned long len)
{
	unsigned long hi = r->base, a;

	hint &= PAGE_MASK;
	if (hint >= MMAP_MIN && hint <= TASK_SIZE_MAX - len && ref_free(r, hint, len))
		return hint;
	for (unsigned int i = r->n; i-- > 0;) {
		if (r->start[i] >= hi)
			continue;
		a = fit(r->end[i], hi, len);
		if (a)
			return a;
		hi = r->start[i];
	}
	a = fit(MMAP_MIN, hi, len);
	return a ? a : (unsigned long)-ENOMEM;
}

/* Anonymous private memory: PMD multiples without a hint are padded and aligned. */
static unsigned long ref_place(const struct ref *r, unsigned long hint, unsigned long len)
{
	unsigned long a;

	if (hint || len & (PMD_SIZE - 1))
		return ref_topdown(r, hint, len);
	a = ref_topdown(r, 0, len + PMD_SIZE);
	if (IS_ERR_VALUE(a))
		return ref_topdown(r, 0, len);
	return (-a & (PMD_SIZE - 1)) ? a + (-a & (PMD_SIZE - 1)) : a + PMD_SIZE;
}

static void ref_insert(struct ref *r, unsigned long start, unsigned long end)
{
	unsigned int i = r->n;

	assert_true(r->n < MAX_REF);
	for (; i > 0 && r->start[i - 1] > start; i--) {
		r->start[i] = r->start[i - 1];
		r->end[i] = r->end[i - 1];
	}
	r->start[i] = start;
	r->end[i] = end;
	r->n++;
}

static void ref_split_at(struct ref *r, unsigned long a)
{
	for (unsigned int i = 0; i < r->n; i++) {
		if (r->start[i] < a && a < r->end[i]) {
			unsigned long end = r->end[i];

			r->end[i] = a;
			ref_insert(r, a, end);
			return;
		}
	}
}

static void ref_remove_inside(struct ref *r, unsigned long start, unsigned long end)
{
	unsigned int kept = 0;

	for (unsigned int i = 0; i < r->n; i++) {
		if (r->start[i] >= start && r->end[i] <= end)
			continue;
		r->start[kept] = r->start[i];
		r->end[kept++] = r->end[i];
	}
	r->n = kept;
}

static bool ref_covered(const struct ref *r, unsigned long start, unsigned long end)
{
	for (unsigned int i = 0; i < r->n && start < end; i++)
		if (r->start[i] <= start && r->end[i] > start)
			start = r->end[i];
	return start >= end;
}

/* ---- the tree, recomputed from scratch ------------------------------------- */

struct shape {
	int height;
	unsigned long start, end, gap, count;
};

static unsigned long gap_between(unsigned long end, unsigned long start)
{
	return start > end ? start - end : 0;
}

static struct shape check_subtree(struct vm_area_struct *vma, struct mm_struct *mm)
{
	struct shape s = { 0 }, l, r;

	if (!vma)
		return s;
	assert_ptr_equal(vma->vm_mm, mm);
	assert_true(vma->vm_start < vma->vm_end);
	l = check_subtree(vma->vm_node.left, mm);
	r = check_subtree(vma->vm_node.right, mm);
	if (l.count)
		assert_true(l.end <= vma->vm_start);	/* ordered and disjoint */
	if (r.count)
		assert_true(vma->vm_end <= r.start);
	assert_true(abs(l.height - r.height) <= 1);	/* AVL balance */
	s.height = 1 + (l.height > r.height ? l.height : r.height);
	s.start = l.count ? l.start : vma->vm_start;
	s.end = r.count ? r.end : vma->vm_end;
	s.count = l.count + r.count + 1;
	s.gap = l.gap > r.gap ? l.gap : r.gap;
	if (l.count && gap_between(l.end, vma->vm_start) > s.gap)
		s.gap = gap_between(l.end, vma->vm_start);
	if (r.count && gap_between(vma->vm_end, r.start) > s.gap)
		s.gap = gap_between(vma->vm_end, r.start);
	assert_int_equal(vma->vm_node.height, s.height);
	assert_int_equal(vma->vm_node.subtree_start, s.start);
	assert_int_equal(vma->vm_node.subtree_end, s.end);
	assert_int_equal(vma->vm_node.subtree_gap, s.gap);
	return s;
}

static void check_tree(struct mm_struct *mm, const struct ref *r)
{
	struct shape s = check_subtree(mm->vma_tree, mm);
	struct vm_area_struct *vma = find_vma(mm, 0);

	assert_int_equal(s.count, mm->map_count);
	assert_int_equal(s.count, r->n);
	for (unsigned int i = 0; i < r->n; i++, vma = find_vma(mm, vma->vm_end)) {
		assert_non_null(vma);
		assert_int_equal(vma->vm_start, r->start[i]);
		assert_int_equal(vma->vm_end, r->end[i]);
		/* find_vma() from inside, and from the gap below. */
		assert_ptr_equal(find_vma(mm, vma->vm_end - 1), vma);
		assert_ptr_equal(find_vma(mm, i ? r->end[i - 1] : 0), vma);
	}
	assert_null(vma);
}

/* ---- random operations, each checked against the reference ---------------- */

/* Somewhere mappings are: mostly within 64 GiB below mmap_base, sometimes anywhere. */
static unsigned long random_addr(const struct ref *r)
{
	unsigned long pick = rnd() % 16;

	if (pick == 0)
		return (rnd() % 32) * PAGE_SIZE;			/* below mmap_min_addr */
	if (pick == 1)
		return (r->base + rnd() % (TASK_SIZE_MAX - r->base)) & PAGE_MASK;	/* above base */
	if (pick < 6 && r->n) {
		unsigned int i = rnd() % r->n;			/* at or in a VMA */

		return r->start[i] + (rnd() % 3 ? 0 : (rnd() % 4) * PAGE_SIZE);
	}
	return (r->base - rnd() % (64UL << 30)) & PAGE_MASK;
}

static unsigned long random_len(void)
{
	switch (rnd() % 8) {
	case 0:
		return (1 + rnd() % 4) * PMD_SIZE;
	case 1:
		return (1 + rnd() % 2048) * PAGE_SIZE;
	case 2:
		return (1 + rnd() % 4) << 30;
	default:
		return (1 + rnd() % 16) * PAGE_SIZE;
	}
}

static void op_mmap(struct mm_struct *mm, struct ref *r)
{
	unsigned long len = random_len(), hint = rnd() % 3 ? 0 : random_addr(r);
	unsigned long want = ref_place(r, hint, len);
	unsigned long got = hp_mmap(mm, NULL, hint, len, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, 0);

	assert_int_equal(got, want);
	if (!IS_ERR_VALUE(got))
		ref_insert(r, got, got + len);
}

static void op_mmap_fixed(struct mm_struct *mm, struct ref *r)
{
	unsigned long len = random_len(), addr = random_addr(r);
	unsigned long got = hp_mmap(mm, NULL, addr, len, PROT_READ,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, 0);

	if (addr > TASK_SIZE_MAX - len) {
		assert_int_equal((long)got, -EINVAL);
	} else if (!ref_free(r, addr, len)) {
		assert_int_equal((long)got, -EEXIST);
	} else {
		assert_int_equal(got, addr);
		ref_insert(r, addr, addr + len);
	}
}

static void op_munmap(struct mm_struct *mm, struct ref *r)
{
	unsigned long addr = random_addr(r), len = random_len();

	if (addr > TASK_SIZE_MAX - len) {
		assert_int_equal(hp_munmap(mm, addr, len), -EINVAL);
		return;
	}
	assert_int_equal(hp_munmap(mm, addr, len), 0);
	ref_split_at(r, addr);
	ref_split_at(r, addr + len);
	ref_remove_inside(r, addr, addr + len);
}

static void op_mprotect(struct mm_struct *mm, struct ref *r)
{
	unsigned long addr = random_addr(r), len = (1 + rnd() % 8) * PAGE_SIZE;
	unsigned long prot = rnd() % 2 ? PROT_READ : PROT_READ | PROT_WRITE;

	if (addr > TASK_SIZE_MAX - len)
		return;
	if (!ref_covered(r, addr, addr + len)) {
		assert_int_equal(hp_mprotect(mm, addr, len, prot), -ENOMEM);
		return;
	}
	assert_int_equal(hp_mprotect(mm, addr, len, prot), 0);
	ref_split_at(r, addr);
	ref_split_at(r, addr + len);
}

/* A whole VMA grows in place into the gap above it, or stays (-ENOMEM). */
static void op_mremap_grow(struct mm_struct *mm, struct ref *r)
{
	unsigned int i;
	unsigned long delta = (1 + rnd() % 8) * PAGE_SIZE, got;

	if (!r->n)
		return;
	i = rnd() % r->n;
	got = hp_mremap(mm, r->start[i], r->end[i] - r->start[i],
			r->end[i] - r->start[i] + delta, 0, 0);
	if (r->end[i] + delta <= TASK_SIZE_MAX && ref_free(r, r->end[i], delta)) {
		assert_int_equal(got, r->start[i]);
		r->end[i] += delta;
	} else {
		assert_int_equal((long)got, -ENOMEM);
	}
}

static void run_random(unsigned long long seed, unsigned int ops)
{
	static struct ref r;
	struct mm_struct *mm;

	mm = mm_alloc();
	memset(&r, 0, sizeof(r));
	r.base = mm->mmap_base;
	rng_state = seed;
	for (unsigned int i = 0; i < ops; i++) {
		unsigned long what = rnd() % 100;

		if (what < 40)
			op_mmap(mm, &r);
		else if (what < 50)
			op_mmap_fixed(mm, &r);
		else if (what < 70)
			op_munmap(mm, &r);
		else if (what < 90)
			op_mprotect(mm, &r);
		else
			op_mremap_grow(mm, &r);
		check_tree(mm, &r);
	}
	mmput(mm);
}

static void test_random_operations_match_the_reference(void **state)
{
	(void)state;
	for (unsigned long long seed = 1; seed <= 4; seed++)
		run_random(seed * 0x9e3779b97f4a7c15ULL, 3000);
}

/* Many VMAs, few gaps: placement still finds the one hole and the tree stays balanced. */
static void test_sequential_mappings_stay_balanced(void **state)
{
	static struct ref r;
	unsigned long addr, hole;
	struct mm_struct *mm;
	unsigned int n = 4000;

	(void)state;
	mm = mm_alloc();
	memset(&r, 0, sizeof(r));
	r.base = mm->mmap_base;
	for (unsigned int i = 0; i < n; i++) {
		addr = hp_test_mmap_anon(mm, PAGE_SIZE, PROT_READ, MAP_PRIVATE);
		assert_int_equal(addr, mm->mmap_base - (i + 1) * PAGE_SIZE);
		ref_insert(&r, addr, addr + PAGE_SIZE);
	}
	check_tree(mm, &r);
	/* AVL: height < 1.4405 log2(n + 2), and log2(n + 2) < its bit length. */
	assert_true(mm->vma_tree->vm_node.height * 10000 < 14405 * (64 - __builtin_clzl(n + 2)));
	/* A hole of three pages in the middle is where three pages go; two pages go higher up. */
	hole = mm->mmap_base - 1000 * PAGE_SIZE;
	assert_int_equal(hp_munmap(mm, hole, 3 * PAGE_SIZE), 0);
	ref_remove_inside(&r, hole, hole + 3 * PAGE_SIZE);
	assert_int_equal(hp_munmap(mm, hole - 2000 * PAGE_SIZE, 2 * PAGE_SIZE), 0);
	ref_remove_inside(&r, hole - 2000 * PAGE_SIZE, hole - 1998 * PAGE_SIZE);
	check_tree(mm, &r);
	assert_int_equal(hp_test_mmap_anon(mm, 3 * PAGE_SIZE, PROT_READ, MAP_PRIVATE), hole);
	ref_insert(&r, hole, hole + 3 * PAGE_SIZE);
	assert_int_equal(hp_test_mmap_anon(mm, 2 * PAGE_SIZE, PROT_READ, MAP_PRIVATE),
			 hole - 2000 * PAGE_SIZE);
	ref_insert(&r, hole - 2000 * PAGE_SIZE, hole - 1998 * PAGE_SIZE);
	/* Nothing fits between them any more: below the lowest VMA. */
	assert_int_equal(hp_test_mmap_anon(mm, PAGE_SIZE, PROT_READ, MAP_PRIVATE),
			 mm->mmap_base - (n + 1) * PAGE_SIZE);
	ref_insert(&r, mm->mmap_base - (n + 1) * PAGE_SIZE, mm->mmap_base - n * PAGE_SIZE);
	check_tree(mm, &r);
	mmput(mm);
}

/*
 * A VMA above mmap_base and one straddling it take no part in placement below
 * it, a gap above mmap_base is never chosen, and nothing goes below
 * mmap_min_addr (0x10000).
 */
static void test_placement_limits(void **state)
{
	unsigned long base, got;
	struct mm_struct *mm;

	(void)state;
	mm = mm_alloc();
	base = mm->mmap_base;
	assert_int_equal(hp_mmap(mm, NULL, base + (32UL << 20), PAGE_SIZE, PROT_READ,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, 0), base + (32UL << 20));
	assert_int_equal(hp_mmap(mm, NULL, base - PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, 0), base - PAGE_SIZE);
	assert_int_equal(hp_test_mmap_anon(mm, PAGE_SIZE, PROT_READ, MAP_PRIVATE),
			 base - 2 * PAGE_SIZE);
	/* Everything from mmap_min_addr + 2 pages up to there taken: two pages left. */
	got = hp_mmap(mm, NULL, MMAP_MIN + 2 * PAGE_SIZE, base - 4 * PAGE_SIZE - MMAP_MIN,
		      PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, 0);
	assert_int_equal(got, MMAP_MIN + 2 * PAGE_SIZE);
	assert_int_equal((long)hp_mmap(mm, NULL, 0, 3 * PAGE_SIZE, PROT_READ,
				       MAP_PRIVATE | MAP_ANONYMOUS, 0), -ENOMEM);
	assert_int_equal(hp_test_mmap_anon(mm, PAGE_SIZE, PROT_READ, MAP_PRIVATE),
			 MMAP_MIN + PAGE_SIZE);
	assert_int_equal(hp_test_mmap_anon(mm, PAGE_SIZE, PROT_READ, MAP_PRIVATE), MMAP_MIN);
	assert_int_equal((long)hp_mmap(mm, NULL, 0, PAGE_SIZE, PROT_READ,
				       MAP_PRIVATE | MAP_ANONYMOUS, 0), -ENOMEM);
	/* A hint is taken where it is free, even above mmap_base. */
	assert_int_equal(hp_mmap(mm, NULL, base + (64UL << 20), PAGE_SIZE, PROT_READ,
				 MAP_PRIVATE | MAP_ANONYMOUS, 0), base + (64UL << 20));
	mmput(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		HP_TEST(test_random_operations_match_the_reference),
		HP_TEST(test_sequential_mappings_stay_balanced),
		HP_TEST(test_placement_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
