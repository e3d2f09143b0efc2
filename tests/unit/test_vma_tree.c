// SPDX-License-Identifier: MIT
/*
 * The VMA tree (src/mm/vma_tree.c) against a sorted array that does the same
 * by brute force: insertion (mmap, MAP_FIXED_NOREPLACE), splits (mprotect,
 * munmap), removal and the joining of the gaps around what went (munmap), a
 * VMA's end moving (mremap in place), and top-down placement, checked as a
 * linear scan over every gap finds it.  After every operation the tree's
 * shape, balance and gap bookkeeping are recomputed from scratch, its parent
 * and address-order links are checked against a walk of the tree, and
 * find_vma() against the array, near the lookup hint and away from it.  Then
 * runs of changes side by side (what the hint and the links are for), and
 * lookups under the mmap lock held for read racing them.
 */
#include <pthread.h>
#include <sched.h>
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
	unsigned long gap, count;
};

static unsigned long gap_between(unsigned long end, unsigned long start)
{
	return start > end ? start - end : 0;
}

/* The tree's VMAs in address order, by a walk of its left and right links alone. */
static struct vm_area_struct *in_order[MAX_REF];

static unsigned int walk_in_order(struct vm_area_struct *vma, unsigned int n)
{
	if (!vma)
		return n;
	n = walk_in_order(vma->vm_node.left, n);
	assert_true(n < MAX_REF);
	in_order[n++] = vma;
	return walk_in_order(vma->vm_node.right, n);
}

/* Each VMA's gap is to the one before it in in_order[], which the prev links are checked against. */
static struct shape check_subtree(struct vm_area_struct *vma, struct vm_area_struct *parent,
				  struct mm_struct *mm)
{
	struct shape s = { 0 }, l, r;
	struct vm_area_struct *prev;

	if (!vma)
		return s;
	assert_ptr_equal(vma->vm_mm, mm);
	assert_ptr_equal(vma->vm_node.parent, parent);
	l = check_subtree(vma->vm_node.left, vma, mm);
	r = check_subtree(vma->vm_node.right, vma, mm);
	assert_true(abs(l.height - r.height) <= 1);	/* AVL balance */
	s.height = 1 + (l.height > r.height ? l.height : r.height);
	s.count = l.count + r.count + 1;
	prev = vma->vm_node.prev;
	s.gap = prev ? gap_between(prev->vm_end, vma->vm_start) : 0;
	if (l.gap > s.gap)
		s.gap = l.gap;
	if (r.gap > s.gap)
		s.gap = r.gap;
	assert_int_equal(vma->vm_node.height, s.height);
	assert_int_equal(vma->vm_node.subtree_gap, s.gap);
	return s;
}

/* Is the hint NULL or one of the tree's VMAs (never one taken out, nor freed)? */
static void check_hint(struct mm_struct *mm, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (in_order[i] == mm->vma_hint)
			return;
	assert_null(mm->vma_hint);
}

/* find_vma() where every answer is known from the reference: inside, at, below and above each VMA. */
static void check_lookups(struct mm_struct *mm, const struct ref *r)
{
	for (unsigned int i = 0; i < r->n; i++) {
		struct vm_area_struct *vma = in_order[i], *next = i + 1 < r->n ? in_order[i + 1] : NULL;

		assert_ptr_equal(find_vma(mm, r->start[i]), vma);
		assert_ptr_equal(find_vma(mm, r->end[i] - 1), vma);
		assert_ptr_equal(find_vma(mm, i ? r->end[i - 1] : 0), vma);	/* the gap below */
		assert_ptr_equal(find_vma(mm, r->end[i]), next);
		if (r->start[i])
			assert_ptr_equal(find_vma(mm, r->start[i] - 1),
					 i && r->end[i - 1] >= r->start[i] ? in_order[i - 1] : vma);
	}
	if (!r->n)
		assert_null(find_vma(mm, 0));
}

static void check_tree(struct mm_struct *mm, const struct ref *r)
{
	unsigned int n = walk_in_order(mm->vma_tree, 0);
	struct shape s = check_subtree(mm->vma_tree, NULL, mm);

	assert_int_equal(s.count, n);
	assert_int_equal(n, mm->map_count);
	assert_int_equal(n, r->n);
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(in_order[i]->vm_start, r->start[i]);
		assert_int_equal(in_order[i]->vm_end, r->end[i]);
		assert_ptr_equal(in_order[i]->vm_node.prev, i ? in_order[i - 1] : NULL);
		assert_ptr_equal(in_order[i]->vm_node.next, i + 1 < n ? in_order[i + 1] : NULL);
	}
	check_hint(mm, n);
	check_lookups(mm, r);
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

/* ---- runs of changes side by side ------------------------------------------ */

static void mprotect_checked(struct mm_struct *mm, struct ref *r, unsigned long addr,
			     unsigned long len, unsigned long prot)
{
	assert_int_equal(hp_mprotect(mm, addr, len, prot), 0);
	ref_split_at(r, addr);
	ref_split_at(r, addr + len);
	check_tree(mm, r);
}

static void munmap_checked(struct mm_struct *mm, struct ref *r, unsigned long addr,
			   unsigned long len)
{
	assert_int_equal(hp_munmap(mm, addr, len), 0);
	ref_split_at(r, addr);
	ref_split_at(r, addr + len);
	ref_remove_inside(r, addr, addr + len);
	check_tree(mm, r);
}

/* A child's tree is its parent's, VMA for VMA. */
static void check_fork(struct mm_struct *mm, const struct ref *r)
{
	struct mm_struct *child = hp_fork(mm);

	assert_non_null(child);
	check_tree(child, r);
	mmput(child);
	check_tree(mm, r);	/* in_order[] is the parent's again */
}

#define RUN_PAGES 600UL

/*
 * Page after page, as the scale bench does it and back: mprotect of every
 * other page upwards (each split puts its upper half in right after the
 * lower one) and downwards, munmap of VMA after VMA from either end and from
 * the middle out, a fork between them; the tree and every lookup checked
 * after each step.
 */
static void test_runs_of_changes_side_by_side(void **state)
{
	static struct ref r;
	struct mm_struct *mm;
	unsigned long a, i;

	(void)state;
	mm = mm_alloc();
	memset(&r, 0, sizeof(r));
	r.base = mm->mmap_base;
	a = hp_test_mmap_anon(mm, RUN_PAGES * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	ref_insert(&r, a, a + RUN_PAGES * PAGE_SIZE);
	for (i = 1; i < RUN_PAGES / 2; i += 2)
		mprotect_checked(mm, &r, a + i * PAGE_SIZE, PAGE_SIZE, PROT_READ);
	for (i = RUN_PAGES - 1; i >= RUN_PAGES / 2; i -= 2)
		mprotect_checked(mm, &r, a + i * PAGE_SIZE, PAGE_SIZE, PROT_READ);
	check_fork(mm, &r);
	for (i = 0; i < RUN_PAGES / 4; i++)
		munmap_checked(mm, &r, a + i * PAGE_SIZE, PAGE_SIZE);
	for (i = RUN_PAGES; i-- > 3 * RUN_PAGES / 4;)
		munmap_checked(mm, &r, a + i * PAGE_SIZE, PAGE_SIZE);
	for (i = 0; i < RUN_PAGES / 4; i++) {
		munmap_checked(mm, &r, a + (RUN_PAGES / 2 + i) * PAGE_SIZE, PAGE_SIZE);
		munmap_checked(mm, &r, a + (RUN_PAGES / 2 - 1 - i) * PAGE_SIZE, PAGE_SIZE);
	}
	assert_int_equal(mm->map_count, 0);
	mmput(mm);
}

/*
 * The hint is the VMA last put in, or the one beside the VMA last taken out:
 * munmap of the hinted VMA, at the end and in the middle, must leave no
 * lookup going through it.  A hint left on it would answer these lookups
 * with the freed VMA.
 */
static void test_hint_never_outlives_its_vma(void **state)
{
	static struct ref r;
	struct vm_area_struct *below;
	struct mm_struct *mm;
	unsigned long a;

	(void)state;
	mm = mm_alloc();
	memset(&r, 0, sizeof(r));
	r.base = mm->mmap_base;
	a = hp_test_mmap_anon(mm, 5 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	ref_insert(&r, a, a + 5 * PAGE_SIZE);
	mprotect_checked(mm, &r, a + PAGE_SIZE, PAGE_SIZE, PROT_READ);
	mprotect_checked(mm, &r, a + 3 * PAGE_SIZE, PAGE_SIZE, PROT_READ);
	assert_int_equal(mm->map_count, 5);
	assert_int_equal(mm->vma_hint->vm_start, a + 4 * PAGE_SIZE);	/* the last split's upper half */
	below = find_vma(mm, a + 3 * PAGE_SIZE);
	munmap_checked(mm, &r, a + 4 * PAGE_SIZE, PAGE_SIZE);
	assert_null(find_vma(mm, a + 4 * PAGE_SIZE));
	assert_ptr_equal(find_vma(mm, a + 3 * PAGE_SIZE), below);
	/* The one now hinted, in the middle: lookups in its range get the VMA above. */
	assert_ptr_equal(mm->vma_hint, below);
	munmap_checked(mm, &r, a + 3 * PAGE_SIZE, PAGE_SIZE);
	munmap_checked(mm, &r, a + 2 * PAGE_SIZE, PAGE_SIZE);
	assert_ptr_equal(find_vma(mm, a + 2 * PAGE_SIZE), NULL);
	assert_int_equal(find_vma(mm, a + PAGE_SIZE)->vm_start, a + PAGE_SIZE);
	munmap_checked(mm, &r, a + PAGE_SIZE, PAGE_SIZE);
	munmap_checked(mm, &r, a, PAGE_SIZE);
	assert_null(mm->vma_hint);
	mmput(mm);
}

#define LOOKUP_THREADS 2
#define STABLE_PAGES 64UL
#define CHURN_PAGES 256UL
#define CHURN_ROUNDS 20

static struct {
	struct mm_struct *mm;
	unsigned long stable, churn;
	atomic_bool stop;
	atomic_ulong lookups, wrong;
} race;

/*
 * Lookups under the mmap lock held for read: in the part no one changes, the
 * VMA holding the address (through the tree: the hint is elsewhere); in the
 * part being split and unmapped, one that ends above it, or none.
 */
static void *lookup_thread(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;

	while (!atomic_load_explicit(&race.stop, memory_order_relaxed)) {
		unsigned long s = race.stable + (rand_r(&seed) % STABLE_PAGES) * PAGE_SIZE;
		unsigned long c = race.churn + (rand_r(&seed) % CHURN_PAGES) * PAGE_SIZE;
		struct vm_area_struct *vma;

		mmap_read_lock(race.mm);
		vma = find_vma(race.mm, s);
		if (!vma || vma->vm_start > s || vma->vm_end <= s)
			atomic_fetch_add(&race.wrong, 1);
		vma = find_vma(race.mm, c);
		if (vma && (vma->vm_end <= c || vma->vm_mm != race.mm))
			atomic_fetch_add(&race.wrong, 1);
		mmap_read_unlock(race.mm);
		atomic_fetch_add_explicit(&race.lookups, 1, memory_order_relaxed);
	}
	return NULL;
}

/* One round of what the scale bench does, on the churn part. */
static void churn_round(void)
{
	unsigned long addr = hp_mmap(race.mm, NULL, race.churn, CHURN_PAGES * PAGE_SIZE,
				     PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, 0);

	assert_int_equal(addr, race.churn);
	for (unsigned long i = 1; i < CHURN_PAGES; i += 2)
		assert_int_equal(hp_mprotect(race.mm, addr + i * PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
	for (unsigned long i = 0; i < CHURN_PAGES; i++)
		assert_int_equal(hp_munmap(race.mm, addr + i * PAGE_SIZE, PAGE_SIZE), 0);
}

static void test_lookups_race_splits_and_unmaps(void **state)
{
	pthread_t t[LOOKUP_THREADS];
	unsigned long start;

	(void)state;
	memset(&race, 0, sizeof(race));
	race.mm = mm_alloc();
	race.stable = hp_test_mmap_anon(race.mm, STABLE_PAGES * PAGE_SIZE, PROT_READ, MAP_PRIVATE);
	for (unsigned long i = 1; i < STABLE_PAGES; i += 2)
		assert_int_equal(hp_mprotect(race.mm, race.stable + i * PAGE_SIZE, PAGE_SIZE,
					     PROT_READ | PROT_WRITE), 0);
	/* Well below the stable part, so that no placement lands there. */
	race.churn = race.stable - (CHURN_PAGES + 1024) * PAGE_SIZE;
	for (int i = 0; i < LOOKUP_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, lookup_thread, (void *)(uintptr_t)(i + 1)), 0);
	while (atomic_load(&race.lookups) < 100 * LOOKUP_THREADS)
		sched_yield();	/* the readers are running */
	start = atomic_load(&race.lookups);
	for (int round = 0; round < CHURN_ROUNDS ||
	     (round < 100 * CHURN_ROUNDS && atomic_load(&race.lookups) - start < 1000); round++)
		churn_round();
	atomic_store(&race.stop, true);
	for (int i = 0; i < LOOKUP_THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(atomic_load(&race.wrong), 0);
	assert_int_equal(race.mm->map_count, STABLE_PAGES);
	mmput(race.mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		HP_TEST(test_random_operations_match_the_reference),
		HP_TEST(test_sequential_mappings_stay_balanced),
		HP_TEST(test_placement_limits),
		HP_TEST(test_runs_of_changes_side_by_side),
		HP_TEST(test_hint_never_outlives_its_vma),
		HP_TEST(test_lookups_race_splits_and_unmaps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
