// SPDX-License-Identifier: MIT
/*
 * Threads racing: fast GUP pins and unpins over anonymous 4 KiB pages, a THP
 * region and special huge pfn mappings, while other threads zap, munmap and
 * remap, mprotect, fork and refault the same ranges.  Afterwards: no
 * violation, no pin ever returned for the pfn mappings, every page and table
 * back, every reference count at its baseline.
 *
 * Then BO traffic: two processes write their BOs through huge mappings while
 * a thread pins BO mappings with gup-fast and the main thread evicts and
 * validates BOs between VRAM and system memory: no byte is lost, and
 * gup-fast never gets a BO page under special, while under plain it does and
 * the violations are reported.
 *
 * Each part runs for HP_STRESS_SECONDS (default 2).  Only one thread writes anonymous
 * memory, so the simulated program itself has no data race for the sanitizer
 * to report; the device mappings are written by another.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hp_test.h"

#define ANON_LEN	(2 * PMD_SIZE)
#define THP_LEN		(2 * PMD_SIZE)
#define BAR_PMD_LEN	(4 * PMD_SIZE)

static struct {
	struct mm_struct *mm;
	unsigned long anon, thp, bar_pud, bar_pmd;
	struct hp_bar *pud_bar, *pmd_bar;
	atomic_bool stop;
	atomic_ulong pins, special_refusals, bad_pins, forks, zaps, remaps, protects;
} s;

static unsigned long rnd(unsigned int *seed, unsigned long n)
{
	return (unsigned long)rand_r(seed) % n;
}

static bool page_is_ram(struct page *page)
{
	return page_to_pfn(page) < hp_totalram_pages();
}

/* Pins random ranges; pfn mappings must always be refused. */
static void *pinner(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	struct page *pages[64];

	hp_thread_register();
	while (!atomic_load(&s.stop)) {
		static const unsigned long lens[] = { ANON_LEN, THP_LEN, PUD_SIZE, BAR_PMD_LEN };
		unsigned long which = rnd(&seed, 4);
		unsigned long base = which == 0 ? s.anon : which == 1 ? s.thp :
				     which == 2 ? s.bar_pud : s.bar_pmd;
		int nr = 1 + (int)rnd(&seed, 64);
		unsigned long off = rnd(&seed, (lens[which] >> PAGE_SHIFT) - nr) << PAGE_SHIFT;
		unsigned int flags = rnd(&seed, 2) ? FOLL_WRITE : 0;
		int got = pin_user_pages_fast(s.mm, base + off, nr, flags, pages);

		if (which >= 2) {
			if (got > 0)
				atomic_fetch_add(&s.bad_pins, 1);
			else
				atomic_fetch_add(&s.special_refusals, 1);
		}
		for (int i = 0; i < got; i++)
			if (!page_is_ram(pages[i]))
				atomic_fetch_add(&s.bad_pins, 1);
		if (got > 0) {
			atomic_fetch_add(&s.pins, got);
			unpin_user_pages(pages, got);
		}
	}
	hp_thread_unregister();
	return NULL;
}

/* Writes and reads the device mappings, refaulting whatever was zapped. */
static void *device_toucher(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;

	hp_thread_register();
	while (!atomic_load(&s.stop)) {
		unsigned long addr = rnd(&seed, 2) ?
			s.bar_pud + (rnd(&seed, PUD_SIZE >> PAGE_SHIFT) << PAGE_SHIFT) :
			s.bar_pmd + (rnd(&seed, BAR_PMD_LEN >> PAGE_SHIFT) << PAGE_SHIFT);
		char v = (char)(addr >> PAGE_SHIFT), back = 0;

		if (hp_access(s.mm, addr, 1, HP_ACCESS_WRITE, &v) != HP_ACCESS_OK ||
		    hp_access(s.mm, addr, 1, HP_ACCESS_READ, &back) != HP_ACCESS_OK ||
		    back != v)
			atomic_fetch_add(&s.bad_pins, 1);
	}
	hp_thread_unregister();
	return NULL;
}

static void remap_anon(void)
{
	unsigned long addr;

	assert_int_equal(hp_munmap(s.mm, s.anon, ANON_LEN), 0);
	addr = hp_mmap(s.mm, NULL, s.anon, ANON_LEN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
	assert_int_equal(addr, s.anon);
	atomic_fetch_add(&s.remaps, 1);
}

static void fork_and_touch(void)
{
	struct mm_struct *child = hp_fork(s.mm);
	char v = 1;

	assert_non_null(child);
	assert_int_equal(hp_access(child, s.thp + PAGE_SIZE, 1, HP_ACCESS_WRITE, &v), HP_ACCESS_OK);
	assert_int_equal(hp_access(child, s.anon, 1, HP_ACCESS_WRITE, &v), HP_ACCESS_OK);
	mmput(child);
	atomic_fetch_add(&s.forks, 1);
}

/* The only writer of anonymous memory: it also changes every mapping. */
static void mutate(unsigned int *seed)
{
	switch (rnd(seed, 6)) {
	case 0:
		unmap_mapping_range(hp_bar_file(s.pud_bar)->f_mapping, 0, 0, true);
		unmap_mapping_range(hp_bar_file(s.pmd_bar)->f_mapping,
				    rnd(seed, 4) * PMD_SIZE, PMD_SIZE, true);
		atomic_fetch_add(&s.zaps, 1);
		break;
	case 1:
		remap_anon();
		break;
	case 2:
		assert_int_equal(hp_mprotect(s.mm, s.thp, THP_LEN, PROT_READ), 0);
		assert_int_equal(hp_mprotect(s.mm, s.thp, THP_LEN, PROT_READ | PROT_WRITE), 0);
		atomic_fetch_add(&s.protects, 1);
		break;
	case 3:
		fork_and_touch();
		break;
	default:
		assert_int_equal(hp_access_fill(s.mm, s.anon + (rnd(seed, 16) << PAGE_SHIFT),
						16 * PAGE_SIZE, (int)rnd(seed, 256)), HP_ACCESS_OK);
		assert_int_equal(hp_access_fill(s.mm, s.thp + (rnd(seed, 16) << PMD_SHIFT) % THP_LEN,
						PAGE_SIZE, 3), HP_ACCESS_OK);
		break;
	}
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_gup_against_teardown(void **state)
{
	const char *env = getenv("HP_STRESS_SECONDS");
	double duration = env ? atof(env) : 2.0, start;
	pthread_t pin[2], touch;
	unsigned int seed = 12345;

	(void)state;
	s.mm = mm_alloc();
	s.anon = hp_test_mmap_anon(s.mm, ANON_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	s.thp = hp_test_mmap_anon(s.mm, THP_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	assert_int_equal(hp_madvise(s.mm, s.thp, THP_LEN, MADV_HUGEPAGE), 0);
	s.pud_bar = hp_bar_create("pud-bar", PUD_SIZE, false);
	s.pmd_bar = hp_bar_create("pmd-bar", BAR_PMD_LEN, false);
	s.bar_pud = hp_mmap(s.mm, hp_bar_file(s.pud_bar), 0, PUD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	s.bar_pmd = hp_mmap(s.mm, hp_bar_file(s.pmd_bar), 0, BAR_PMD_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	assert_int_equal(hp_access_fill(s.mm, s.anon, ANON_LEN, 1), HP_ACCESS_OK);
	assert_int_equal(hp_access_fill(s.mm, s.thp, THP_LEN, 2), HP_ACCESS_OK);

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&pin[i], NULL, pinner, (void *)(uintptr_t)(i + 1)), 0);
	assert_int_equal(pthread_create(&touch, NULL, device_toucher, (void *)(uintptr_t)7), 0);
	start = seconds();
	while (seconds() - start < duration)
		mutate(&seed);
	atomic_store(&s.stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(pin[i], NULL);
	pthread_join(touch, NULL);

	print_message("%.1f s: %lu pages pinned, %lu pfn-mapping refusals, %lu forks, "
		      "%lu zaps, %lu remaps, %lu mprotects\n", duration,
		      atomic_load(&s.pins), atomic_load(&s.special_refusals),
		      atomic_load(&s.forks), atomic_load(&s.zaps), atomic_load(&s.remaps),
		      atomic_load(&s.protects));
	assert_int_equal(atomic_load(&s.bad_pins), 0);
	assert_true(atomic_load(&s.pins) > 0);
	assert_true(atomic_load(&s.special_refusals) > 0);
	/* Nothing pinned now: every anonymous page holds exactly its mappings' references. */
	{
		struct page *pages[16];
		int got;

		assert_int_equal(hp_access_fill(s.mm, s.anon, 16 * PAGE_SIZE, 9), HP_ACCESS_OK);
		got = get_user_pages_fast(s.mm, s.anon, 16, 0, pages);

		assert_int_equal(got, 16);
		for (int i = 0; i < got; i++) {
			assert_int_equal(page_ref_count(pages[i]), 2);
			put_page(pages[i]);
		}
	}
	hp_bar_destroy(s.pud_bar);
	hp_bar_destroy(s.pmd_bar);
	mmput(s.mm);
	{
		struct hp_pgtable_stats t;

		hp_pgtable_stats(&t);
		assert_int_equal(t.pending, 0);
		assert_int_equal(t.allocated, t.freed);
	}
}

/* ---- BO traffic: two processes, a pinner and an evictor ------------------- */

#define NR_BOS	4
#define BO_SIZE	(2 * PMD_SIZE)


struct bo_writer {
	struct mm_struct *mm;
	unsigned long addr[2];		/* two BOs, written only by this thread */
	unsigned char shadow[2][BO_SIZE >> PAGE_SHIFT];
	unsigned int seed;
	unsigned long writes, lost;
};

static atomic_bool bo_stop;
static struct {
	struct mm_struct *mm;
	unsigned long addr;
} bo_maps[NR_BOS + 1];
static atomic_ulong bo_pins, bo_refusals;

static void bo_verify(struct bo_writer *w)
{
	for (int b = 0; b < 2; b++) {
		for (unsigned long p = 0; p < (BO_SIZE >> PAGE_SHIFT); p++) {
			unsigned char v = 0;

			if (hp_access(w->mm, w->addr[b] + (p << PAGE_SHIFT) + 123, 1,
				      HP_ACCESS_READ, &v) != HP_ACCESS_OK || v != w->shadow[b][p])
				w->lost++;
		}
	}
}

/* Writes one byte per page of its own BOs, remembers it, and checks them all. */
static void *bo_writer_thread(void *arg)
{
	struct bo_writer *w = arg;

	hp_thread_register();
	while (!atomic_load(&bo_stop)) {
		for (int i = 0; i < 256; i++) {
			int b = (int)rnd(&w->seed, 2);
			unsigned long p = rnd(&w->seed, BO_SIZE >> PAGE_SHIFT);
			unsigned char v = (unsigned char)rnd(&w->seed, 256);

			if (hp_access(w->mm, w->addr[b] + (p << PAGE_SHIFT) + 123, 1,
				      HP_ACCESS_WRITE, &v) == HP_ACCESS_OK)
				w->shadow[b][p] = v;
			else
				w->lost++;
			w->writes++;
		}
		bo_verify(w);
	}
	bo_verify(w);
	hp_thread_unregister();
	return NULL;
}

static void *bo_pinner_thread(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;
	struct page *pages[16];

	hp_thread_register();
	while (!atomic_load(&bo_stop)) {
		unsigned long m = rnd(&seed, NR_BOS + 1);
		int nr = 1 + (int)rnd(&seed, 16);
		unsigned long off = rnd(&seed, (BO_SIZE >> PAGE_SHIFT) - nr) << PAGE_SHIFT;
		int got = pin_user_pages_fast(bo_maps[m].mm, bo_maps[m].addr + off, nr, 0, pages);

		if (got > 0) {
			atomic_fetch_add(&bo_pins, got);
			unpin_user_pages(pages, got);
		} else {
			atomic_fetch_add(&bo_refusals, 1);
		}
	}
	hp_thread_unregister();
	return NULL;
}

static void test_bo_traffic(void **state)
{
	enum hugepfn_policy policy = hp_test_policy(state);
	struct ttm_device_config config = { .vram_size = 3 * BO_SIZE };
	const char *env = getenv("HP_STRESS_SECONDS");
	double duration = env ? atof(env) : 2.0, start;
	struct ttm_buffer_object *bos[NR_BOS];
	static struct bo_writer w[2];
	struct mm_struct *mm[2];
	struct ttm_device *bdev;
	unsigned int seed = 99;
	unsigned long moves = 0, violations;
	pthread_t wt[2], pt;

	bdev = ttm_device_init(&config);
	for (int i = 0; i < 2; i++)
		mm[i] = mm_alloc();
	for (int i = 0; i < NR_BOS; i++) {
		assert_int_equal(ttm_bo_create(bdev, BO_SIZE, &vram_or_sys, &bos[i]), 0);
		bo_maps[i].mm = mm[i / 2];
		bo_maps[i].addr = ttm_bo_mmap(mm[i / 2], bos[i], PROT_READ | PROT_WRITE);
		assert_false(IS_ERR_VALUE(bo_maps[i].addr));
	}
	/* The first BO is mapped by the second process too (pinned there, written here). */
	bo_maps[NR_BOS].mm = mm[1];
	bo_maps[NR_BOS].addr = ttm_bo_mmap(mm[1], bos[0], PROT_READ | PROT_WRITE);
	for (int i = 0; i < 2; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].mm = mm[i];
		w[i].addr[0] = bo_maps[2 * i].addr;
		w[i].addr[1] = bo_maps[2 * i + 1].addr;
		w[i].seed = 17 + i;
	}
	atomic_store(&bo_stop, false);
	atomic_store(&bo_pins, 0);
	atomic_store(&bo_refusals, 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&wt[i], NULL, bo_writer_thread, &w[i]), 0);
	assert_int_equal(pthread_create(&pt, NULL, bo_pinner_thread, (void *)(uintptr_t)5), 0);

	start = seconds();
	while (seconds() - start < duration) {
		struct ttm_buffer_object *bo = bos[rnd(&seed, NR_BOS)];
		unsigned long before = ttm_bo_moves(bo);

		switch (rnd(&seed, 3)) {
		case 0: assert_int_equal(ttm_bo_evict(bo), 0); break;
		case 1: assert_int_equal(ttm_bo_validate(bo, &in_vram), 0); break;
		default: assert_int_equal(ttm_bo_validate(bo, &in_sys), 0); break;
		}
		moves += ttm_bo_moves(bo) - before;
	}
	atomic_store(&bo_stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(wt[i], NULL);
	pthread_join(pt, NULL);

	violations = hp_violation_count();
	print_message("%s: %.1f s, %lu BO moves, %lu writes, %lu bytes lost, %lu pages pinned, "
		      "%lu refusals, %lu violations\n", hp_policy_name(policy), duration, moves,
		      w[0].writes + w[1].writes, w[0].lost + w[1].lost, atomic_load(&bo_pins),
		      atomic_load(&bo_refusals), violations);
	assert_true(moves > 0);
	assert_int_equal(w[0].lost + w[1].lost, 0);
	if (policy == HP_POLICY_PLAIN) {
		assert_true(violations > 0);
	} else {
		assert_int_equal(violations, 0);
		assert_int_equal(atomic_load(&bo_pins), 0);
	}
	for (int i = 0; i < 2; i++)
		mmput(mm[i]);
	for (int i = 0; i < NR_BOS; i++)
		assert_int_equal(ttm_bo_destroy(bos[i]), 0);
	ttm_device_fini(bdev);
	hp_test_expect_violations(state, violations);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		HP_TEST(test_gup_against_teardown),
		HP_TEST(test_bo_traffic),
		HP_TEST_UNDER(test_bo_traffic, PLAIN),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
