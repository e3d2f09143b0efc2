// SPDX-License-Identifier: MIT
/*
 * Test 22: mremap(MREMAP_MAYMOVE | MREMAP_FIXED) of hpvram BOs mapped by
 * PMDs and by a PUD, to aligned and unaligned destinations.
 *
 * What 6.12's move_page_tables() (mm/mremap.c, with patch 0008 for PUDs)
 * does with a huge leaf, for an extent that get_extent() computes from
 * both the old and the new address:
 *  - the extent covers the whole leaf (the destination is aligned like
 *    the source): the entry itself moves (move_huge_pmd(), and
 *    move_huge_pud() with 0008), so the new range is mapped as before,
 *    present before any access, with no fault to read it;
 *  - it does not: the leaf is split first (split_huge_pmd(), and with 0008
 *    split_huge_pud()); for a pfnmap that zaps it, move_ptes() finds
 *    nothing to move, and the new range refaults: a 1 GiB BO moved 2 MiB
 *    past a 1 GiB boundary gets 512 PMDs, since each of its 2 MiB blocks
 *    still has a 2 MiB aligned pfn; a 16 MiB BO moved 64 KiB past a 2 MiB
 *    boundary gets PTEs only (the huge fault finds no aligned pfn, and
 *    move_page_tables() has already put a PTE table under each new PMD).
 * Unpatched, every BO is mapped by PTEs, and move_ptes() (or, aligned,
 * the move of whole PTE and PMD tables) carries them all over: the new
 * range is present at once, with as many PTEs as before.
 *
 * In every case: the kernel reports no bad PUD, the old range has no
 * entry left and faults (SIGSEGV), and every page reads back its stamp.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ktest.h"
#include "ktest_hpvram.h"
#include "ktest_walk.h"

#define NAME	"t22-pud-mremap"
#define MIB	(1UL << 20)

/* Leaves by level (PUD, PMD, PTE) right after a move and after reading. */
struct want {
	long moved[3], refault[3];
	long faults;		/* to read every page; -1: the prefault decides */
};

struct move {
	const char *what;
	size_t align, skew;	/* of the destination */
	struct want want[2];	/* by enum kt_expect */
	/* measured */
	long moved[3], refault[3], old_left[3], faults;
	int bad_puds, old_faults;
	size_t bad_pages;
	char *to;
};

/*
 * The moves, in order: the 16 MiB BO twice, then the 1 GiB BO twice, each
 * from where the move before left it.
 */
static struct move moves[] = {
	{ .what = "16M to 2M aligned", .align = KT_2M, .skew = 0,
	  .want = {
		[KT_EXPECT_PTE] = { { 0, 0, 4096 }, { 0, 0, 4096 }, 0 },
		[KT_EXPECT_HUGE] = { { 0, 8, 0 }, { 0, 8, 0 }, 0 } } },
	{ .what = "16M to 2M + 64K", .align = KT_2M, .skew = 64 << 10,
	  .want = {
		[KT_EXPECT_PTE] = { { 0, 0, 4096 }, { 0, 0, 4096 }, 0 },
		[KT_EXPECT_HUGE] = { { 0, 0, 0 }, { 0, 0, 4096 }, -1 } } },
	{ .what = "1G to 1G aligned", .align = KT_1G, .skew = 0,
	  .want = {
		[KT_EXPECT_PTE] = { { 0, 0, 262144 }, { 0, 0, 262144 }, 0 },
		[KT_EXPECT_HUGE] = { { 1, 0, 0 }, { 1, 0, 0 }, 0 } } },
	{ .what = "1G to 1G + 2M", .align = KT_1G, .skew = KT_2M,
	  .want = {
		[KT_EXPECT_PTE] = { { 0, 0, 262144 }, { 0, 0, 262144 }, 0 },
		[KT_EXPECT_HUGE] = { { 0, 0, 0 }, { 0, 512, 0 }, 512 } } },
};

/* Moves the @len bytes at *@p as @m says; *@p is the new address. */
static int move_one(char **p, size_t len, uint64_t seed, struct move *m,
		    const struct want *w)
{
	uint64_t stale;
	int bad0, ok;
	long f0;
	void *r;

	m->to = kt_reserve_at(len, m->align, m->skew);
	if (!m->to)
		return 0;
	/* The last page written is the likeliest to be in the TLB. */
	*(volatile uint64_t *)(*p + len - KT_4K);
	bad0 = kt_klog_count("bad pud");
	r = mremap(*p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, m->to);
	if (r != m->to) {
		kt_info("%s: mremap to %p: %s", m->what, (void *)m->to,
			strerror(errno));
		return 0;
	}
	kt_walk_leaves(m->to, len, m->moved);
	kt_walk_leaves(*p, len, m->old_left);
	m->old_faults = kt_faults_at(*p + len - KT_4K, &stale);
	m->bad_puds = kt_klog_count("bad pud") - bad0;
	kt_klog_print("bad pud", bad0);
	f0 = kt_minflt();
	m->bad_pages = kt_check_stamps(m->to, len, seed);
	m->faults = kt_minflt() - f0;
	kt_walk_leaves(m->to, len, m->refault);
	ok = !memcmp(m->moved, w->moved, sizeof(m->moved)) &&
	     !memcmp(m->refault, w->refault, sizeof(m->refault)) &&
	     (w->faults < 0 || m->faults == w->faults) &&
	     !m->old_left[0] && !m->old_left[1] && !m->old_left[2] &&
	     m->old_faults && !m->bad_puds && !m->bad_pages;
	kt_info("%s: %p -> %p: moved pud/pmd/pte %ld/%ld/%ld (want %ld/%ld/%ld), after reading %ld/%ld/%ld (want %ld/%ld/%ld) in %ld faults; old range %ld/%ld/%ld, %s; bad pud reports %d, bad pages %zu: %s",
		m->what, (void *)*p, (void *)m->to, m->moved[0], m->moved[1],
		m->moved[2], w->moved[0], w->moved[1], w->moved[2],
		m->refault[0], m->refault[1], m->refault[2], w->refault[0],
		w->refault[1], w->refault[2],
		m->faults, m->old_left[0], m->old_left[1], m->old_left[2],
		m->old_faults ? "faults" : "STILL READS", m->bad_puds,
		m->bad_pages, ok ? "ok" : "WRONG");
	*p = m->to;
	return ok;
}

int main(int argc, char **argv)
{
	int64_t off_s, off_b;
	struct kt_bo s, b;
	struct kt_args a;
	struct kt_dev d;
	long before_s[3], before_b[3];
	int huge, ok[4], pass, bad_puds = 0;
	size_t bad_pages = 0;
	unsigned int i;
	char *ps, *pb;

	kt_parse_args(argc, argv, &a);
	huge = a.expect == KT_EXPECT_HUGE;
	if (kt_hpvram_open(&d))
		return kt_result(NAME, 0, "setup=failed");
	ps = kt_hpvram_vram_map(&d, &s, 16, &off_s);
	pb = kt_hpvram_vram_map(&d, &b, 1024, &off_b);
	if (!ps || !pb)
		return kt_result(NAME, 0, "setup=failed");
	kt_info("t22: 16 MiB BO at VRAM %#llx mapped at %p, 1 GiB BO at VRAM %#llx mapped at %p",
		(long long)off_s, (void *)ps, (long long)off_b, (void *)pb);
	kt_stamp(ps, s.size, 22);
	kt_stamp(pb, b.size, 23);
	kt_walk_leaves(ps, s.size, before_s);
	kt_walk_leaves(pb, b.size, before_b);

	pass = before_s[huge ? 1 : 2] == (huge ? 8 : 4096) &&
	       before_b[huge ? 0 : 2] == (huge ? 1 : 262144);
	for (i = 0; i < 4; i++) {
		ok[i] = i < 2 ? move_one(&ps, s.size, 22, &moves[i], &moves[i].want[a.expect]) :
				move_one(&pb, b.size, 23, &moves[i], &moves[i].want[a.expect]);
		pass &= ok[i];
		bad_puds += moves[i].bad_puds;
		bad_pages += moves[i].bad_pages;
	}
	kt_result(NAME, pass,
		  "kernel=%s before=%ldpmd/%ldpte,%ldpud/%ldpte pmd_to_aligned=%s(%ldpmd,%ldfaults) pmd_to_unaligned=%s(%ldpte,%ldfaults) pud_to_aligned=%s(%ldpud,%ldfaults) pud_to_2M=%s(%ldpmd,%ldfaults) bad_pud=%d bad_pages=%zu",
		  a.kernel, before_s[1], before_s[2], before_b[0], before_b[2],
		  ok[0] ? "ok" : "WRONG", moves[0].moved[1], moves[0].faults,
		  ok[1] ? "ok" : "WRONG", moves[1].refault[2], moves[1].faults,
		  ok[2] ? "ok" : "WRONG", moves[2].moved[0], moves[2].faults,
		  ok[3] ? "ok" : "WRONG", moves[3].refault[1], moves[3].faults,
		  bad_puds, bad_pages);
	munmap(ps, s.size);
	munmap(pb, b.size);
	return !pass;
}
