/* SPDX-License-Identifier: MIT */
/* What every unit test program shares: a machine per test, checked at exit. */
#ifndef HP_TEST_H
#define HP_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <hugepfn/hugepfn.h>

#define HP_TEST_RAM (256ULL << 20)

static inline void hp_test_machine(enum hugepfn_policy policy)
{
	struct hp_config config = { .ram_size = HP_TEST_RAM, .policy = policy };

	assert_int_equal(hp_machine_init(&config), 0);
}

/* Ends a test: nothing leaked, and no violation unless the test expected some. */
static inline void hp_test_done_expecting(unsigned long violations)
{
	struct hp_leaks leaks;

	hp_machine_leaks(&leaks);
	assert_int_equal(leaks.pages, 0);
	assert_int_equal(leaks.pgmap_refs, 0);
	assert_int_equal(hp_violation_count(), violations);
	hp_machine_exit();
}

/*
 * The fixture most tests share: cmocka's setup makes a machine under the
 * policy of the test's table entry, and its teardown (which cmocka runs
 * after a failed test as well) checks it as hp_test_done_expecting() does.
 * A test that causes violations on purpose says how many it expects.
 */
struct hp_test_fixture {
	enum hugepfn_policy policy;
	unsigned long violations;
};

static inline int hp_test_setup(void **state)
{
	struct hp_test_fixture *f = malloc(sizeof(*f));

	assert_non_null(f);
	f->policy = *state ? *(enum hugepfn_policy *)*state : HP_POLICY_SPECIAL;
	f->violations = 0;
	*state = f;
	hp_test_machine(f->policy);
	return 0;
}

static inline int hp_test_teardown(void **state)
{
	struct hp_test_fixture *f = *state;
	unsigned long violations = f->violations;

	free(f);
	hp_test_done_expecting(violations);
	return 0;
}

static inline enum hugepfn_policy hp_test_policy(void **state)
{
	return ((struct hp_test_fixture *)*state)->policy;
}

/* For a test that wants a fresh machine per case: checks this one, makes another. */
static inline void hp_test_restart_under(void **state, enum hugepfn_policy policy)
{
	struct hp_test_fixture *f = *state;

	hp_test_done_expecting(f->violations);
	f->policy = policy;
	f->violations = 0;
	hp_test_machine(policy);
}

static inline void hp_test_restart(void **state)
{
	hp_test_restart_under(state, hp_test_policy(state));
}

static inline void hp_test_expect_violations(void **state, unsigned long n)
{
	((struct hp_test_fixture *)*state)->violations = n;
}

/*
 * A test on a machine under the special policy, or under the one named (the
 * compound literal lives as long as the block of the test table in main).
 */
#define HP_TEST(fn) cmocka_unit_test_setup_teardown(fn, hp_test_setup, hp_test_teardown)
#define HP_TEST_UNDER(fn, policy)                                                        \
	{ .name = #fn " under " #policy, .test_func = fn, .setup_func = hp_test_setup,  \
	  .teardown_func = hp_test_teardown,                                            \
	  .initial_state = &(enum hugepfn_policy){ HP_POLICY_##policy } }

static inline unsigned long hp_test_mmap_anon(struct mm_struct *mm, unsigned long len,
					      unsigned long prot, unsigned long flags)
{
	unsigned long addr = hp_mmap(mm, NULL, 0, len, prot, flags | MAP_ANONYMOUS, 0);

	assert_false(IS_ERR_VALUE(addr));
	return addr;
}

static inline struct hp_entry_counts hp_test_counts(struct mm_struct *mm)
{
	struct hp_entry_counts c;

	hp_mm_count_entries(mm, &c);
	return c;
}

/*
 * The address user space asks for when it wants the largest entries that
 * fit: len aligned to 1 GiB when it is that long, else to 2 MiB (mm itself
 * never aligns to more than 2 MiB; only the TTM file's hook does, for BOs).
 */
static inline unsigned long hp_test_huge_align(unsigned long len)
{
	return len >= PUD_SIZE ? PUD_SIZE : PMD_SIZE;
}

/* Maps len bytes of a BAR, shared and writable, from page pgoff of it, aligned. */
static inline unsigned long hp_test_map_bar(struct mm_struct *mm, struct hp_bar *bar,
					    unsigned long len, unsigned long pgoff)
{
	unsigned long addr = hp_mmap_aligned(mm, hp_bar_file(bar), len, PROT_READ | PROT_WRITE,
					     MAP_SHARED, pgoff, hp_test_huge_align(len), 0);

	assert_false(IS_ERR_VALUE(addr));
	return addr;
}

/* Placements the TTM tests use. */
static const struct ttm_place hp_test_vram_place = { .mem_type = TTM_PL_VRAM };
static const struct ttm_place hp_test_sys_place = { .mem_type = TTM_PL_SYSTEM };
static const struct ttm_place hp_test_vram_then_sys[] = { { .mem_type = TTM_PL_VRAM },
							  { .mem_type = TTM_PL_SYSTEM } };
static const struct ttm_placement in_vram = { 1, &hp_test_vram_place };
static const struct ttm_placement in_sys = { 1, &hp_test_sys_place };
static const struct ttm_placement vram_or_sys = { 2, hp_test_vram_then_sys };

static inline void hp_test_put_byte(struct mm_struct *mm, unsigned long addr, char v)
{
	assert_int_equal(hp_access(mm, addr, 1, HP_ACCESS_WRITE, &v), HP_ACCESS_OK);
}

static inline char hp_test_get_byte(struct mm_struct *mm, unsigned long addr)
{
	char v = 0;

	assert_int_equal(hp_access(mm, addr, 1, HP_ACCESS_READ, &v), HP_ACCESS_OK);
	return v;
}

static inline unsigned long hp_test_faults(struct mm_struct *mm)
{
	return atomic_load(&mm->faults.total);
}

#endif
