/* SPDX-License-Identifier: MIT */
/*
 * Property tests for the x86-64 entry helpers in arch/x86_64/pgtable_types.h
 * and arch/x86_64/pgtable.h, in the spirit of Linux's mm/debug_vm_pgtable.c.
 *
 * What it proves:
 *  - the bit numbers, flag masks and pfn masks are Linux 6.12's x86-64 ones;
 *  - for every user protection (plain, write-combining, uncached) and at the
 *    PTE, PMD and PUD level, each transform does what its name says and its
 *    opposite undoes it (young/old, dirty/clean, write/wrprotect, huge);
 *  - SPECIAL and DEVMAP are set only by their own helpers (a devmap PTE is
 *    also special, a devmap PMD/PUD is not and is not trans-huge), and every
 *    other transform, pXd_modify() with any protection included, keeps them;
 *  - pXd_modify() keeps the pfn, accessed/dirty state, caching and leaf bits
 *    and takes RW/NX/USER from the new protection;
 *  - pfns up to the 52-bit physical limit survive every level, and a huge
 *    leaf's PAT bit (bit 12) never shows up in its pfn;
 *  - the PAT and caching pgprot helpers, the dirty bits (DIRTY, SOFT_DIRTY,
 *    SAVED_DIRTY), presence/protnone/none and the index helpers;
 *  - Linux 6.12's two encodings a reader of raw entries meets: dirtiness of
 *    a read-only leaf kept in SAVED_DIRTY, and the pfn of a PROT_NONE entry
 *    inverted (the L1TF guard), with raw values worked out from 6.12.
 *
 * Checks inside loops report the level, protection and pfn they were on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <hugepfn/pgtable.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* ---- failure context ---------------------------------------------------- */

/* Where a loop is (level, protection, pfn) and which step it is checking. */
static char where[160];
static char step[64];
#define WHERE(...) snprintf(where, sizeof(where), __VA_ARGS__)
#define STEP(...) snprintf(step, sizeof(step), __VA_ARGS__)

#define CHECK(cond)							\
	do {								\
		if (!(cond))						\
			fail_msg("%s [%s]: %s", where, step, #cond);	\
	} while (0)

#define CHECK_EQ(got, want)						\
	do {								\
		unsigned long long got_ = (got), want_ = (want);	\
		if (got_ != want_)					\
			fail_msg("%s [%s]: %s = %#llx, expected %s = %#llx", \
				 where, step, #got, got_, #want, want_); \
	} while (0)

/* ---- the three leaf levels behind one interface ------------------------- */

/*
 * pte_t, pmd_t and pud_t are distinct types, so each helper gets a thin
 * wrapper on the raw 64-bit value; one table then drives every level.
 */
typedef uint64_t (*xform_fn)(uint64_t v);
typedef bool (*pred_fn)(uint64_t v);

#define U_XFORM(L, op) \
	static uint64_t L##_##op##_u(uint64_t v) { return L##_val(L##_##op(__##L(v))); }
#define U_PRED(L, op) \
	static bool L##_##op##_u(uint64_t v) { return L##_##op(__##L(v)); }

#define U_LEVEL(L)							\
	static uint64_t pfn_##L##_u(unsigned long pfn, pgprot_t prot)	\
	{ return L##_val(pfn_##L(pfn, prot)); }				\
	static unsigned long L##_pfn_u(uint64_t v) { return L##_pfn(__##L(v)); } \
	static uint64_t L##_modify_u(uint64_t v, pgprot_t prot)		\
	{ return L##_val(L##_modify(__##L(v), prot)); }			\
	static bool L##_same_u(uint64_t a, uint64_t b)			\
	{ return L##_same(__##L(a), __##L(b)); }			\
	U_XFORM(L, mkwrite) U_XFORM(L, wrprotect)			\
	U_XFORM(L, mkdirty) U_XFORM(L, mkclean)				\
	U_XFORM(L, mkyoung) U_XFORM(L, mkold)				\
	U_XFORM(L, mkspecial) U_XFORM(L, mkdevmap)			\
	U_PRED(L, write) U_PRED(L, dirty) U_PRED(L, young)		\
	U_PRED(L, special) U_PRED(L, devmap) U_PRED(L, present)	\
	U_PRED(L, none)

#define U_HUGE(L) \
	U_XFORM(L, mkhuge) U_PRED(L, leaf) U_PRED(L, bad) U_PRED(L, trans_huge)

U_LEVEL(pte)
U_LEVEL(pmd)
U_LEVEL(pud)
U_HUGE(pmd)
U_HUGE(pud)

struct level {
	const char *name;
	unsigned long pfn_align;	/* 4 KiB pages mapped by one leaf */
	uint64_t pfn_mask;		/* where a leaf keeps its pfn */
	uint64_t (*pfn_entry)(unsigned long pfn, pgprot_t prot);
	unsigned long (*pfn)(uint64_t v);
	uint64_t (*modify)(uint64_t v, pgprot_t prot);
	bool (*same)(uint64_t a, uint64_t b);
	xform_fn mkwrite, wrprotect, mkdirty, mkclean, mkyoung, mkold;
	xform_fn mkspecial, mkdevmap;
	pred_fn write, dirty, young, special, devmap, present, none;
	/* Huge levels only; NULL at the PTE level. */
	xform_fn mkhuge;
	pred_fn leaf, bad, trans_huge;
};

#define LEVEL_OPS(L)							\
	.name = #L, .pfn_entry = pfn_##L##_u, .pfn = L##_pfn_u,	\
	.modify = L##_modify_u, .same = L##_same_u,			\
	.mkwrite = L##_mkwrite_u, .wrprotect = L##_wrprotect_u,		\
	.mkdirty = L##_mkdirty_u, .mkclean = L##_mkclean_u,		\
	.mkyoung = L##_mkyoung_u, .mkold = L##_mkold_u,			\
	.mkspecial = L##_mkspecial_u, .mkdevmap = L##_mkdevmap_u,	\
	.write = L##_write_u, .dirty = L##_dirty_u, .young = L##_young_u, \
	.special = L##_special_u, .devmap = L##_devmap_u,		\
	.present = L##_present_u, .none = L##_none_u
#define HUGE_OPS(L)							\
	.mkhuge = L##_mkhuge_u, .leaf = L##_leaf_u, .bad = L##_bad_u,	\
	.trans_huge = L##_trans_huge_u

static const struct level levels[] = {
	{ LEVEL_OPS(pte), .pfn_align = 1, .pfn_mask = PTE_PFN_MASK },
	{ LEVEL_OPS(pmd), HUGE_OPS(pmd), .pfn_align = HPAGE_PMD_NR, .pfn_mask = PMD_PAGE_MASK },
	{ LEVEL_OPS(pud), HUGE_OPS(pud), .pfn_align = HPAGE_PUD_NR, .pfn_mask = PUD_PAGE_MASK },
};

static bool is_huge(const struct level *lv)
{
	return lv->mkhuge != NULL;
}

/* The protection as the level encodes it: huge leaves keep PAT at bit 12. */
static pgprot_t level_prot(const struct level *lv, pgprot_t prot)
{
	return is_huge(lv) ? pgprot_4k_2_large(prot) : prot;
}

static unsigned long align_pfn(const struct level *lv, unsigned long pfn)
{
	return pfn & ~(lv->pfn_align - 1);
}

/* A leaf mapping pfn: pfn_pte(), or pXd_mkhuge(pfn_pXd()) for huge levels. */
static uint64_t make_leaf(const struct level *lv, unsigned long pfn, pgprot_t prot)
{
	uint64_t v = lv->pfn_entry(pfn, level_prot(lv, prot));

	return is_huge(lv) ? lv->mkhuge(v) : v;
}

/* The single-entry transforms (pXd_modify() is handled separately). */
struct named_xform {
	const char *name;
	xform_fn fn;
};

static size_t level_xforms(const struct level *lv, struct named_xform out[7])
{
	size_t n = 0;

	out[n++] = (struct named_xform){ "mkwrite", lv->mkwrite };
	out[n++] = (struct named_xform){ "wrprotect", lv->wrprotect };
	out[n++] = (struct named_xform){ "mkdirty", lv->mkdirty };
	out[n++] = (struct named_xform){ "mkclean", lv->mkclean };
	out[n++] = (struct named_xform){ "mkyoung", lv->mkyoung };
	out[n++] = (struct named_xform){ "mkold", lv->mkold };
	if (is_huge(lv))
		out[n++] = (struct named_xform){ "mkhuge", lv->mkhuge };
	return n;
}

/* ---- protections and pfns ----------------------------------------------- */

struct prot_case {
	const char *name;
	pgprot_t prot;
};

static const struct prot_case base_prots[] = {
	{ "PAGE_NONE", PAGE_NONE },
	{ "PAGE_SHARED", PAGE_SHARED },
	{ "PAGE_SHARED_EXEC", PAGE_SHARED_EXEC },
	{ "PAGE_COPY", PAGE_COPY },
	{ "PAGE_COPY_EXEC", PAGE_COPY_EXEC },
	{ "PAGE_READONLY", PAGE_READONLY },
	{ "PAGE_READONLY_EXEC", PAGE_READONLY_EXEC },
};

#define NR_BASE_PROTS	ARRAY_SIZE(base_prots)
#define NR_PROTS	(3 * NR_BASE_PROTS)

/* Every base protection as is, write-combining and uncached (4 KiB encoding). */
static struct prot_case prots[NR_PROTS];
static char prot_names[NR_PROTS][48];

static int setup_prots(void **state)
{
	(void)state;
	for (size_t i = 0; i < NR_BASE_PROTS; i++) {
		const struct prot_case *b = &base_prots[i];
		size_t wc = NR_BASE_PROTS + i, uc = 2 * NR_BASE_PROTS + i;

		prots[i] = *b;
		snprintf(prot_names[wc], sizeof(prot_names[wc]), "writecombine(%s)", b->name);
		prots[wc] = (struct prot_case){ prot_names[wc], pgprot_writecombine(b->prot) };
		snprintf(prot_names[uc], sizeof(prot_names[uc]), "noncached(%s)", b->name);
		prots[uc] = (struct prot_case){ prot_names[uc], pgprot_noncached(b->prot) };
	}
	return 0;
}

/* The 4 KiB-encoded protection with the PAT bit added (PAT entry 4..7). */
static pgprot_t with_pat(pgprot_t prot)
{
	return __pgprot(pgprot_val(prot) | _PAGE_PAT);
}

#define MAX_PFN		((1UL << (__PHYSICAL_MASK_SHIFT - PAGE_SHIFT)) - 1)
/* A pfn with bits set throughout, aligned per level before use. */
#define SAMPLE_PFN	0xabcdef123UL

/* xorshift64*: a fixed-seed generator, so failures reproduce. */
static uint64_t rng_state;

static void rng_seed(void)
{
	rng_state = 0x9e3779b97f4a7c15ULL;
}

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

#define NR_RANDOM_PFNS	64
#define NR_TEST_PFNS	(5 + 1 + NR_RANDOM_PFNS)

/* Hand-picked pfns, the largest 52-bit one, then fixed-seed random ones. */
static size_t test_pfns(unsigned long out[NR_TEST_PFNS])
{
	size_t n = 0;

	out[n++] = 0;
	out[n++] = 1;
	out[n++] = 0x1234;
	out[n++] = 1UL << 20;
	out[n++] = (1UL << 40) - 1;
	out[n++] = MAX_PFN;
	rng_seed();
	while (n < NR_TEST_PFNS)
		out[n++] = rng_next() & MAX_PFN;
	return n;
}

/* ---- drivers ------------------------------------------------------------ */

typedef void (*leaf_check_fn)(const struct level *lv, uint64_t leaf);

/* Runs check on a leaf of each level (huge ones only if asked) per protection. */
static void for_each_leaf(bool huge_only, leaf_check_fn check)
{
	size_t checked = 0;

	for (size_t l = 0; l < ARRAY_SIZE(levels); l++) {
		const struct level *lv = &levels[l];
		unsigned long pfn = align_pfn(lv, SAMPLE_PFN);

		if (huge_only && !is_huge(lv))
			continue;
		for (size_t p = 0; p < NR_PROTS; p++) {
			WHERE("%s leaf, %s, pfn %#lx", lv->name, prots[p].name, pfn);
			STEP("-");
			check(lv, make_leaf(lv, pfn, prots[p].prot));
			checked++;
		}
	}
	assert_int_equal(checked, (huge_only ? 2 : 3) * NR_PROTS);
}

/* ---- 1. layout ---------------------------------------------------------- */

static void test_bit_numbers_match_linux_6_12(void **state)
{
	static const struct {
		const char *name;
		int bit;	/* the header's _PAGE_BIT_* */
		uint64_t mask;	/* the header's _PAGE_* */
		int linux_bit;	/* Linux 6.12, arch/x86 */
	} bits[] = {
		{ "PRESENT", _PAGE_BIT_PRESENT, _PAGE_PRESENT, 0 },
		{ "RW", _PAGE_BIT_RW, _PAGE_RW, 1 },
		{ "USER", _PAGE_BIT_USER, _PAGE_USER, 2 },
		{ "PWT", _PAGE_BIT_PWT, _PAGE_PWT, 3 },
		{ "PCD", _PAGE_BIT_PCD, _PAGE_PCD, 4 },
		{ "ACCESSED", _PAGE_BIT_ACCESSED, _PAGE_ACCESSED, 5 },
		{ "DIRTY", _PAGE_BIT_DIRTY, _PAGE_DIRTY, 6 },
		{ "PSE", _PAGE_BIT_PSE, _PAGE_PSE, 7 },
		{ "PAT", _PAGE_BIT_PAT, _PAGE_PAT, 7 },
		{ "GLOBAL", _PAGE_BIT_GLOBAL, _PAGE_GLOBAL, 8 },
		{ "SOFTW1", _PAGE_BIT_SOFTW1, _PAGE_SOFTW1, 9 },
		{ "SPECIAL", _PAGE_BIT_SPECIAL, _PAGE_SPECIAL, 9 },
		{ "CPA_TEST", _PAGE_BIT_CPA_TEST, _PAGE_CPA_TEST, 9 },
		{ "SOFTW2", _PAGE_BIT_SOFTW2, _PAGE_SOFTW2, 10 },
		{ "UFFD_WP", _PAGE_BIT_UFFD_WP, _PAGE_UFFD_WP, 10 },
		{ "SOFTW3", _PAGE_BIT_SOFTW3, _PAGE_SOFTW3, 11 },
		{ "SOFT_DIRTY", _PAGE_BIT_SOFT_DIRTY, _PAGE_SOFT_DIRTY, 11 },
		{ "PAT_LARGE", _PAGE_BIT_PAT_LARGE, _PAGE_PAT_LARGE, 12 },
		{ "SOFTW4", _PAGE_BIT_SOFTW4, _PAGE_SOFTW4, 57 },
		{ "DEVMAP", _PAGE_BIT_DEVMAP, _PAGE_DEVMAP, 57 },
		{ "SOFTW5", _PAGE_BIT_SOFTW5, _PAGE_SOFTW5, 58 },
		{ "SAVED_DIRTY", _PAGE_BIT_SAVED_DIRTY, _PAGE_SAVED_DIRTY, 58 },
		{ "PKEY_BIT0", _PAGE_BIT_PKEY_BIT0, _PAGE_PKEY_BIT0, 59 },
		{ "PKEY_BIT1", _PAGE_BIT_PKEY_BIT1, _PAGE_PKEY_BIT1, 60 },
		{ "PKEY_BIT2", _PAGE_BIT_PKEY_BIT2, _PAGE_PKEY_BIT2, 61 },
		{ "PKEY_BIT3", _PAGE_BIT_PKEY_BIT3, _PAGE_PKEY_BIT3, 62 },
		{ "NX", _PAGE_BIT_NX, _PAGE_NX, 63 },
		{ "PROTNONE", _PAGE_BIT_PROTNONE, _PAGE_PROTNONE, 8 },
	};

	(void)state;
	STEP("-");
	for (size_t i = 0; i < ARRAY_SIZE(bits); i++) {
		WHERE("_PAGE_BIT_%s", bits[i].name);
		CHECK_EQ(bits[i].bit, bits[i].linux_bit);
		CHECK_EQ(bits[i].mask, 1ULL << bits[i].linux_bit);
	}
	assert_int_equal(_PAGE_BIT_PROTNONE, _PAGE_BIT_GLOBAL);
	assert_int_equal(_PAGE_PKEY_MASK, 0x7800000000000000ULL);
	assert_int_equal(_PAGE_DIRTY_BITS, 0x0400000000000040ULL);
}

static void test_pfn_masks_match_linux(void **state)
{
	(void)state;
	assert_int_equal(PTE_PFN_MASK, 0x000ffffffffff000ULL);
	assert_int_equal(PTE_FLAGS_MASK, 0xfff0000000000fffULL);
	assert_int_equal(PMD_PAGE_MASK, 0x000fffffffe00000ULL);
	assert_int_equal(PUD_PAGE_MASK, 0x000fffffc0000000ULL);
	assert_int_equal(__PHYSICAL_MASK, 0x000fffffffffffffULL);
	assert_int_equal(HPAGE_PMD_NR, 512);
	assert_int_equal(HPAGE_PUD_NR, 262144);
}

/* ---- 2. basic properties, every level and protection -------------------- */

static void check_same(const struct level *lv, uint64_t e)
{
	CHECK(lv->same(e, e));
	CHECK(!lv->same(e, e ^ _PAGE_RW));
}

static void check_young(const struct level *lv, uint64_t e)
{
	CHECK(lv->young(lv->mkyoung(lv->mkold(e))));
	CHECK(!lv->young(lv->mkold(lv->mkyoung(e))));
}

static void check_dirty(const struct level *lv, uint64_t e)
{
	CHECK(lv->dirty(lv->mkdirty(lv->mkclean(e))));
	CHECK(!lv->dirty(lv->mkclean(lv->mkdirty(e))));
}

static void check_write(const struct level *lv, uint64_t e)
{
	CHECK(lv->write(lv->mkwrite(lv->wrprotect(e))));
	CHECK(!lv->write(lv->wrprotect(lv->mkwrite(e))));
}

static void check_wrprotect_keeps_dirtiness(const struct level *lv, uint64_t e)
{
	CHECK(!lv->dirty(lv->wrprotect(lv->mkclean(e))));
	CHECK(lv->dirty(lv->wrprotect(lv->mkdirty(e))));
}

static void check_huge_leaf_and_bad(const struct level *lv, uint64_t e)
{
	CHECK(lv->leaf(e));
	CHECK(lv->bad(e));
	CHECK(!lv->leaf(e & ~_PAGE_PSE));
}

static void check_huge_trans_huge(const struct level *lv, uint64_t e)
{
	CHECK(!lv->devmap(e));
	CHECK(lv->trans_huge(e));
	CHECK(!lv->trans_huge(e & ~_PAGE_PSE));
}

static void test_basic_same(void **state)
{
	(void)state;
	for_each_leaf(false, check_same);
}

static void test_basic_mkyoung_mkold(void **state)
{
	(void)state;
	for_each_leaf(false, check_young);
}

static void test_basic_mkdirty_mkclean(void **state)
{
	(void)state;
	for_each_leaf(false, check_dirty);
}

static void test_basic_mkwrite_wrprotect(void **state)
{
	(void)state;
	for_each_leaf(false, check_write);
}

static void test_basic_wrprotect_keeps_dirtiness(void **state)
{
	(void)state;
	for_each_leaf(false, check_wrprotect_keeps_dirtiness);
}

static void test_basic_mkhuge_is_leaf_and_bad(void **state)
{
	(void)state;
	for_each_leaf(true, check_huge_leaf_and_bad);
}

static void test_basic_mkhuge_is_trans_huge(void **state)
{
	(void)state;
	for_each_leaf(true, check_huge_trans_huge);
}

/* Applies fn to before and checks exactly the bits in want flipped. */
static void check_changes(const char *name, xform_fn fn, uint64_t before, uint64_t want)
{
	STEP("%s", name);
	CHECK_EQ(fn(before) ^ before, want);
	/* Doing it again changes nothing. */
	CHECK_EQ(fn(fn(before)), fn(before));
}

/*
 * Each transform touches only its own bits, from each starting state: clean
 * and read-only, dirty and writable, dirty and read-only.  Linux 6.12 keeps
 * the dirtiness of a read-only leaf in SAVED_DIRTY (x86 pXd_wrprotect(),
 * pXd_mkdirty() and pXd_mkwrite() move it), so those three move it too.
 */
static void check_exact_changes(const struct level *lv, uint64_t e)
{
	const uint64_t state = _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY |
			       _PAGE_SOFT_DIRTY | _PAGE_SAVED_DIRTY;
	const uint64_t lo = e & ~state;
	const uint64_t hi = lo | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_SOFT_DIRTY;
	const uint64_t ro_dirty = lo | _PAGE_ACCESSED | _PAGE_SAVED_DIRTY | _PAGE_SOFT_DIRTY;

	check_changes("mkwrite", lv->mkwrite, lo, _PAGE_RW);
	check_changes("mkwrite (saved dirty)", lv->mkwrite, ro_dirty,
		      _PAGE_RW | _PAGE_DIRTY | _PAGE_SAVED_DIRTY);
	check_changes("wrprotect", lv->wrprotect, lo | _PAGE_RW, _PAGE_RW);
	check_changes("wrprotect (dirty)", lv->wrprotect, hi,
		      _PAGE_RW | _PAGE_DIRTY | _PAGE_SAVED_DIRTY);
	check_changes("mkdirty", lv->mkdirty, lo | _PAGE_RW, _PAGE_DIRTY | _PAGE_SOFT_DIRTY);
	check_changes("mkdirty (read-only)", lv->mkdirty, lo,
		      _PAGE_SAVED_DIRTY | _PAGE_SOFT_DIRTY);
	check_changes("mkclean", lv->mkclean, hi, _PAGE_DIRTY);
	check_changes("mkclean (saved dirty)", lv->mkclean, ro_dirty, _PAGE_SAVED_DIRTY);
	check_changes("mkyoung", lv->mkyoung, lo, _PAGE_ACCESSED);
	check_changes("mkold", lv->mkold, hi, _PAGE_ACCESSED);
	check_changes("mkwrite (already)", lv->mkwrite, hi, 0);
	check_changes("wrprotect (already)", lv->wrprotect, lo, 0);
	check_changes("wrprotect (already, saved dirty)", lv->wrprotect, ro_dirty, 0);
	check_changes("mkdirty (already)", lv->mkdirty, hi, 0);
	check_changes("mkdirty (already, saved dirty)", lv->mkdirty, ro_dirty, 0);
	check_changes("mkyoung (already)", lv->mkyoung, hi, 0);
	check_changes("mkold (already)", lv->mkold, lo, 0);
}

static void test_transforms_change_only_their_bits(void **state)
{
	(void)state;
	for_each_leaf(false, check_exact_changes);
}

/* mkhuge on a value straight from pfn_pmd()/pfn_pud() adds PSE and nothing else. */
static void test_mkhuge_sets_only_pse(void **state)
{
	(void)state;
	for (size_t l = 0; l < ARRAY_SIZE(levels); l++) {
		const struct level *lv = &levels[l];
		unsigned long pfn = align_pfn(lv, SAMPLE_PFN);

		if (!is_huge(lv))
			continue;
		for (size_t p = 0; p < NR_PROTS; p++) {
			WHERE("%s pfn entry, %s, pfn %#lx", lv->name, prots[p].name, pfn);
			check_changes("mkhuge", lv->mkhuge,
				      lv->pfn_entry(pfn, level_prot(lv, prots[p].prot)),
				      _PAGE_PSE);
		}
	}
}

/* ---- 3. special and devmap ---------------------------------------------- */

static void check_mkspecial(const struct level *lv, uint64_t e)
{
	uint64_t s = lv->mkspecial(e);

	CHECK(!lv->special(e));
	CHECK(lv->special(s));
	CHECK(!lv->devmap(s));
	CHECK_EQ(s ^ e, _PAGE_SPECIAL);
}

static void check_mkdevmap(const struct level *lv, uint64_t e)
{
	uint64_t d = lv->mkdevmap(e);
	uint64_t want = is_huge(lv) ? _PAGE_DEVMAP : _PAGE_DEVMAP | _PAGE_SPECIAL;

	CHECK(!lv->devmap(e));
	CHECK(lv->devmap(d));
	CHECK_EQ(d ^ e, want);
	/* Only a PTE is special as well; a devmap PMD or PUD is not. */
	CHECK_EQ(lv->special(d), !is_huge(lv));
}

static void check_trans_huge_marks(const struct level *lv, uint64_t e)
{
	CHECK(lv->leaf(lv->mkdevmap(e)));
	CHECK(!lv->trans_huge(lv->mkdevmap(e)));
	CHECK(lv->leaf(lv->mkspecial(e)));
	CHECK(lv->trans_huge(lv->mkspecial(e)));
}

static void test_mkspecial_sets_only_special(void **state)
{
	(void)state;
	for_each_leaf(false, check_mkspecial);
}

static void test_mkdevmap_bits_per_level(void **state)
{
	(void)state;
	for_each_leaf(false, check_mkdevmap);
}

static void test_trans_huge_excludes_devmap_not_special(void **state)
{
	(void)state;
	for_each_leaf(true, check_trans_huge_marks);
}

enum mark { MARK_NONE, MARK_SPECIAL, MARK_DEVMAP };

static uint64_t apply_mark(const struct level *lv, uint64_t e, enum mark mark)
{
	switch (mark) {
	case MARK_SPECIAL:
		return lv->mkspecial(e);
	case MARK_DEVMAP:
		return lv->mkdevmap(e);
	default:
		return e;
	}
}

static void check_marks_kept(const struct level *lv, uint64_t before, uint64_t after)
{
	CHECK_EQ(after & (_PAGE_SPECIAL | _PAGE_DEVMAP),
		 before & (_PAGE_SPECIAL | _PAGE_DEVMAP));
	CHECK_EQ(lv->special(after), lv->special(before));
	CHECK_EQ(lv->devmap(after), lv->devmap(before));
}

/*
 * Marks entries, both as built by pfn_pXd() and as huge leaves, then checks
 * every transform and pXd_modify() with every protection leaves the mark be.
 */
static void check_transforms_keep(enum mark mark)
{
	for (size_t l = 0; l < ARRAY_SIZE(levels); l++) {
		const struct level *lv = &levels[l];
		unsigned long pfn = align_pfn(lv, SAMPLE_PFN);
		struct named_xform xf[7];
		size_t nxf = level_xforms(lv, xf);

		for (size_t p = 0; p < NR_PROTS; p++) {
			pgprot_t prot = prots[p].prot;
			uint64_t starts[2] = {
				lv->pfn_entry(pfn, level_prot(lv, prot)),
				make_leaf(lv, pfn, prot),
			};

			for (size_t s = 0; s < 2; s++) {
				uint64_t e = apply_mark(lv, starts[s], mark);

				WHERE("%s %s, %s, pfn %#lx", lv->name,
				      s ? "leaf" : "pfn entry", prots[p].name, pfn);
				STEP("mark");
				CHECK_EQ(lv->special(e), mark == MARK_SPECIAL ||
					 (mark == MARK_DEVMAP && !is_huge(lv)));
				CHECK_EQ(lv->devmap(e), mark == MARK_DEVMAP);
				for (size_t x = 0; x < nxf; x++) {
					STEP("%s", xf[x].name);
					check_marks_kept(lv, e, xf[x].fn(e));
				}
				for (size_t q = 0; q < NR_PROTS; q++) {
					STEP("modify to %s", prots[q].name);
					check_marks_kept(lv, e,
						lv->modify(e, level_prot(lv, prots[q].prot)));
				}
			}
		}
	}
}

static void test_transforms_preserve_special(void **state)
{
	(void)state;
	check_transforms_keep(MARK_SPECIAL);
}

static void test_transforms_preserve_devmap(void **state)
{
	(void)state;
	check_transforms_keep(MARK_DEVMAP);
}

static void test_transforms_never_add_special_or_devmap(void **state)
{
	(void)state;
	check_transforms_keep(MARK_NONE);
}

/*
 * Old entries in four accessed/dirty states, old protections with and
 * without PAT.  As 6.12's x86 pXd_modify(): the pfn survives a change to or
 * from PROT_NONE (inverted and back), and so does dirtiness, moving between
 * DIRTY and SAVED_DIRTY with the RW bit.
 */
static void test_modify_keeps_pfn_and_state_takes_new_prot(void **state)
{
	const uint64_t take = _PAGE_RW | _PAGE_NX | _PAGE_USER;

	(void)state;
	for (size_t l = 0; l < ARRAY_SIZE(levels); l++) {
		const struct level *lv = &levels[l];
		unsigned long pfn = align_pfn(lv, SAMPLE_PFN);
		uint64_t keep = _PAGE_ACCESSED | _PAGE_SOFT_DIRTY | _PAGE_PWT | _PAGE_PCD |
				(is_huge(lv) ? _PAGE_PSE | _PAGE_PAT_LARGE : _PAGE_PAT);

		for (size_t p = 0; p < 2 * NR_PROTS; p++) {
			bool pat = p >= NR_PROTS;
			const struct prot_case *old = &prots[p % NR_PROTS];
			uint64_t leaf = make_leaf(lv, pfn, pat ? with_pat(old->prot) : old->prot);
			uint64_t variants[4] = {
				leaf,
				lv->mkdirty(leaf),
				lv->mkold(leaf),
				lv->mkold(lv->mkdirty(leaf)),
			};

			for (size_t v = 0; v < ARRAY_SIZE(variants); v++) {
				uint64_t e = variants[v];

				WHERE("%s leaf, %s%s, variant %zu, pfn %#lx", lv->name,
				      old->name, pat ? " + PAT" : "", v, pfn);
				STEP("old entry");
				CHECK_EQ(!!(e & (is_huge(lv) ? _PAGE_PAT_LARGE : _PAGE_PAT)), pat);
				for (size_t q = 0; q < NR_PROTS; q++) {
					pgprot_t newprot = level_prot(lv, prots[q].prot);
					uint64_t m = lv->modify(e, newprot);

					STEP("modify to %s", prots[q].name);
					CHECK_EQ(lv->pfn(m), pfn);
					CHECK_EQ(m & keep, e & keep);
					CHECK_EQ(lv->young(m), lv->young(e));
					CHECK_EQ(lv->dirty(m), lv->dirty(e));
					/* Dirtiness sits where the new RW bit wants it. */
					CHECK_EQ(m & _PAGE_DIRTY_BITS, !lv->dirty(e) ? 0 :
						 (m & _PAGE_RW) ? _PAGE_DIRTY : _PAGE_SAVED_DIRTY);
					CHECK_EQ(m & take, pgprot_val(newprot) & take);
				}
			}
		}
	}
}

/* ---- 4. pfns ------------------------------------------------------------ */

static void test_pfn_round_trip_every_level(void **state)
{
	unsigned long pfns[NR_TEST_PFNS];
	size_t npfns = test_pfns(pfns);

	(void)state;
	for (size_t l = 0; l < ARRAY_SIZE(levels); l++) {
		const struct level *lv = &levels[l];

		for (size_t i = 0; i < npfns; i++) {
			unsigned long pfn = align_pfn(lv, pfns[i]);

			for (size_t p = 0; p < 2 * NR_PROTS; p++) {
				bool pat = p >= NR_PROTS;
				const struct prot_case *pc = &prots[p % NR_PROTS];
				pgprot_t prot = pat ? with_pat(pc->prot) : pc->prot;
				uint64_t e = make_leaf(lv, pfn, prot);

				WHERE("%s leaf, %s%s, pfn %#lx", lv->name, pc->name,
				      pat ? " + PAT" : "", pfn);
				STEP("pfn_%s", lv->name);
				CHECK_EQ(lv->pfn(e), pfn);
				/* The PAT bit really is in the entry, where the level keeps it. */
				CHECK_EQ(!!(e & (is_huge(lv) ? _PAGE_PAT_LARGE : _PAGE_PAT)), pat);
				if (is_huge(lv)) {
					/* A protection carrying PSE already builds a leaf. */
					STEP("pfn_%s with PSE in prot", lv->name);
					prot = __pgprot(pgprot_val(level_prot(lv, prot)) | _PAGE_PSE);
					CHECK_EQ(lv->pfn(lv->pfn_entry(pfn, prot)), pfn);
				}
			}
		}
	}
}

static void test_huge_leaf_pfn_excludes_pat_large(void **state)
{
	pgprot_t large = pgprot_4k_2_large(with_pat(PAGE_SHARED));
	pmd_t pmd = pmd_mkhuge(pfn_pmd(0, large));
	pud_t pud = pud_mkhuge(pfn_pud(0, large));

	(void)state;
	assert_true(pgprot_val(large) & _PAGE_PAT_LARGE);
	assert_true(pmd_val(pmd) & _PAGE_PAT_LARGE);
	assert_int_equal(pmd_pfn(pmd), 0);
	assert_true(pgprot_val(pmd_pgprot(pmd)) & _PAGE_PAT_LARGE);
	assert_true(pud_val(pud) & _PAGE_PAT_LARGE);
	assert_int_equal(pud_pfn(pud), 0);
	assert_true(pgprot_val(pud_pgprot(pud)) & _PAGE_PAT_LARGE);

	pmd = pmd_mkhuge(pfn_pmd(HPAGE_PMD_NR * 3, large));
	assert_int_equal(pmd_pfn(pmd), HPAGE_PMD_NR * 3);
	pud = pud_mkhuge(pfn_pud(HPAGE_PUD_NR * 3, large));
	assert_int_equal(pud_pfn(pud), HPAGE_PUD_NR * 3);
}

/* pfn_pmd()/pfn_pud() drop the pfn's low bits: nothing reaches the flags. */
static void test_pfn_huge_rounds_unaligned_pfn_down(void **state)
{
	unsigned long pfns[NR_TEST_PFNS];
	size_t npfns = test_pfns(pfns);

	(void)state;
	for (size_t l = 0; l < ARRAY_SIZE(levels); l++) {
		const struct level *lv = &levels[l];

		if (!is_huge(lv))
			continue;
		for (size_t i = 0; i < npfns; i++) {
			/* Force every in-leaf offset bit on. */
			unsigned long pfn = pfns[i] | (lv->pfn_align - 1);
			unsigned long down = align_pfn(lv, pfn);

			for (size_t p = 0; p < NR_PROTS; p++) {
				pgprot_t prot = level_prot(lv, prots[p].prot);
				uint64_t e = lv->mkhuge(lv->pfn_entry(pfn, prot));

				WHERE("%s leaf, %s, unaligned pfn %#lx", lv->name,
				      prots[p].name, pfn);
				STEP("-");
				CHECK_EQ(lv->pfn(e), down);
				CHECK_EQ(e, ((((uint64_t)down << PAGE_SHIFT) ^
					      protnone_mask(pgprot_val(prot))) & lv->pfn_mask) |
					     pgprot_val(prot) | _PAGE_PSE);
			}
		}
	}
}

/* A table entry's pfn is any 4 KiB frame; only a PSE leaf uses the huge mask. */
static void test_table_entry_pfn_uses_4k_mask(void **state)
{
	unsigned long pfns[NR_TEST_PFNS];
	size_t npfns = test_pfns(pfns);

	(void)state;
	STEP("-");
	for (size_t i = 0; i < npfns; i++) {
		unsigned long pfn = pfns[i] | 1;	/* never 2 MiB aligned */
		uint64_t table = ((uint64_t)pfn << PAGE_SHIFT) | _PAGE_TABLE;
		pmd_t pmd = __pmd(table);
		pud_t pud = __pud(table);

		WHERE("table entry, pfn %#lx", pfn);
		CHECK(!pmd_leaf(pmd));
		CHECK(!pmd_bad(pmd));
		CHECK_EQ(pmd_pfn(pmd), pfn);
		CHECK_EQ(pmd_pfn(pmd_mkhuge(pmd)), pfn & ~(HPAGE_PMD_NR - 1));
		CHECK(!pud_leaf(pud));
		CHECK(!pud_bad(pud));
		CHECK_EQ(pud_pfn(pud), pfn);
		CHECK_EQ(pud_pfn(pud_mkhuge(pud)), pfn & ~(HPAGE_PUD_NR - 1));
		CHECK_EQ(p4d_pfn(__p4d(table)), pfn);
	}
}

/*
 * Bits of a pfn above the 52-bit physical limit are dropped, not put in
 * flags; a PROT_NONE entry inverts the pfn before the cut (6.12 pfn_pte()).
 */
static void test_pfn_beyond_physical_limit_never_spills(void **state)
{
	(void)state;
	assert_int_equal(pte_val(pfn_pte(~0UL, PAGE_READONLY)),
			 PTE_PFN_MASK | pgprot_val(PAGE_READONLY));
	assert_int_equal(pmd_val(pfn_pmd(~0UL, PAGE_READONLY)),
			 PMD_PAGE_MASK | pgprot_val(PAGE_READONLY));
	assert_int_equal(pud_val(pfn_pud(~0UL, PAGE_READONLY)),
			 PUD_PAGE_MASK | pgprot_val(PAGE_READONLY));
	assert_int_equal(pte_val(pfn_pte(~0UL, PAGE_NONE)), pgprot_val(PAGE_NONE));
	assert_int_equal(pmd_val(pfn_pmd(~0UL, PAGE_NONE)), pgprot_val(PAGE_NONE));
	assert_int_equal(pud_val(pfn_pud(~0UL, PAGE_NONE)), pgprot_val(PAGE_NONE));
	assert_false(pte_val(pfn_pte(MAX_PFN + 1, PAGE_SHARED)) & PTE_PFN_MASK);
}

/* ---- 5. pgprot helpers -------------------------------------------------- */

static void test_pgprot_pat_moves_between_bit_7_and_12(void **state)
{
	const uint64_t both = _PAGE_PAT | _PAGE_PAT_LARGE;

	(void)state;
	assert_int_equal(pgprot_val(pgprot_4k_2_large(__pgprot(_PAGE_PAT))), _PAGE_PAT_LARGE);
	assert_int_equal(pgprot_val(pgprot_large_2_4k(__pgprot(_PAGE_PAT_LARGE))), _PAGE_PAT);
	assert_int_equal(pgprot_val(pgprot_4k_2_large(__pgprot(0))), 0);
	assert_int_equal(pgprot_val(pgprot_large_2_4k(__pgprot(0))), 0);

	STEP("-");
	for (size_t p = 0; p < 2 * NR_PROTS; p++) {
		bool pat = p >= NR_PROTS;
		pgprot_t small = pat ? with_pat(prots[p % NR_PROTS].prot) : prots[p % NR_PROTS].prot;
		pgprot_t large = pgprot_4k_2_large(small);

		WHERE("%s%s", prots[p % NR_PROTS].name, pat ? " + PAT" : "");
		CHECK_EQ(pgprot_val(large) & ~both, pgprot_val(small) & ~both);
		CHECK_EQ(pgprot_val(large) & both, pat ? _PAGE_PAT_LARGE : 0);
		CHECK_EQ(pgprot_val(pgprot_large_2_4k(large)), pgprot_val(small));
		CHECK_EQ(pgprot_val(pgprot_4k_2_large(pgprot_large_2_4k(large))),
			 pgprot_val(large));
	}
}

/* Base protections with every combination of the 4 KiB cache bits. */
static void check_cache_mode(pgprot_t (*mode)(pgprot_t), const char *name, uint64_t want)
{
	static const uint64_t cache[] = {
		0, _PAGE_PWT, _PAGE_PCD, _PAGE_PAT, _PAGE_PWT | _PAGE_PCD,
		_PAGE_PWT | _PAGE_PAT, _PAGE_PCD | _PAGE_PAT, _PAGE_CACHE_MASK,
	};

	STEP("%s", name);
	for (size_t p = 0; p < NR_BASE_PROTS; p++) {
		for (size_t c = 0; c < ARRAY_SIZE(cache); c++) {
			uint64_t in = pgprot_val(base_prots[p].prot) | cache[c];
			uint64_t out = pgprot_val(mode(__pgprot(in)));

			WHERE("%s | %#llx", base_prots[p].name, (unsigned long long)cache[c]);
			CHECK_EQ(out & (_PAGE_CACHE_MASK | _PAGE_PAT_LARGE), want);
			CHECK_EQ(out & ~_PAGE_CACHE_MASK, in & ~_PAGE_CACHE_MASK);
		}
	}
}

static void test_pgprot_writecombine_sets_pwt_only(void **state)
{
	(void)state;
	check_cache_mode(pgprot_writecombine, "writecombine", _PAGE_PWT);
}

static void test_pgprot_noncached_sets_pcd_only(void **state)
{
	(void)state;
	check_cache_mode(pgprot_noncached, "noncached", _PAGE_PCD);
}

/* ---- 6. dirty bits ------------------------------------------------------ */

static void check_mkdirty_soft_dirty(const struct level *lv, uint64_t e)
{
	uint64_t clean = lv->mkclean(e) & ~_PAGE_SOFT_DIRTY;
	uint64_t dirty = lv->mkdirty(clean);

	CHECK(!lv->dirty(clean));
	CHECK(lv->dirty(dirty));
	CHECK_EQ(dirty ^ clean, (lv->write(e) ? _PAGE_DIRTY : _PAGE_SAVED_DIRTY) |
		 _PAGE_SOFT_DIRTY);
	/* Cleaning does not forget that the page was written since the last scan. */
	CHECK_EQ(lv->mkclean(dirty) ^ clean, _PAGE_SOFT_DIRTY);
}

static void check_saved_dirty_alone(const struct level *lv, uint64_t e)
{
	uint64_t clean = lv->mkclean(e);

	CHECK(!lv->dirty(clean));
	CHECK(lv->dirty(clean | _PAGE_SAVED_DIRTY));
	CHECK(lv->dirty(clean | _PAGE_DIRTY));
}

static void check_mkclean_both(const struct level *lv, uint64_t e)
{
	uint64_t both = e | _PAGE_DIRTY | _PAGE_SAVED_DIRTY;
	uint64_t clean = lv->mkclean(both);

	CHECK(!lv->dirty(clean));
	CHECK_EQ(clean & _PAGE_DIRTY_BITS, 0);
	CHECK_EQ(both ^ clean, _PAGE_DIRTY | _PAGE_SAVED_DIRTY);
	CHECK_EQ(lv->mkclean(e | _PAGE_SAVED_DIRTY), lv->mkclean(e));
}

static void test_mkdirty_sets_soft_dirty(void **state)
{
	(void)state;
	for_each_leaf(false, check_mkdirty_soft_dirty);
	assert_true(pte_soft_dirty(pte_mkdirty(pfn_pte(1, PAGE_SHARED))));
	assert_false(pte_soft_dirty(pfn_pte(1, PAGE_SHARED)));
}

static void test_saved_dirty_alone_is_dirty(void **state)
{
	(void)state;
	for_each_leaf(false, check_saved_dirty_alone);
}

static void test_mkclean_clears_dirty_and_saved_dirty(void **state)
{
	(void)state;
	for_each_leaf(false, check_mkclean_both);
}

/* ---- 7. presence -------------------------------------------------------- */

static void test_pmd_present_for_pse_or_protnone(void **state)
{
	pmd_t leaf = pmd_mkhuge(pfn_pmd(HPAGE_PMD_NR * 5, PAGE_SHARED));

	(void)state;
	assert_true(pmd_present(__pmd(_PAGE_PSE)));
	assert_true(pmd_present(__pmd(_PAGE_PROTNONE)));
	assert_true(pmd_present(__pmd(_PAGE_PRESENT)));
	assert_false(pmd_present(__pmd(0)));
	assert_false(pmd_present(__pmd(_PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY)));
	/* A leaf with PRESENT cleared (being changed) is still present... */
	assert_true(pmd_present(pmd_clear_flags(leaf, _PAGE_PRESENT)));
	/* ...and so is a PROT_NONE leaf. */
	assert_true(pmd_present(pmd_mkhuge(pfn_pmd(HPAGE_PMD_NR * 5, PAGE_NONE))));
	assert_true(pmd_protnone(pmd_mkhuge(pfn_pmd(HPAGE_PMD_NR * 5, PAGE_NONE))));
	assert_false(pmd_protnone(leaf));
}

static void test_pte_protnone(void **state)
{
	pte_t none = pfn_pte(0x1234, PAGE_NONE);

	(void)state;
	assert_true(pte_protnone(none));
	assert_true(pte_present(none));
	assert_false(pte_val(none) & _PAGE_PRESENT);
	assert_int_equal(pte_pfn(none), 0x1234);
	for (size_t p = 1; p < NR_BASE_PROTS; p++) {
		pte_t pte = pfn_pte(0x1234, base_prots[p].prot);

		assert_false(pte_protnone(pte));
		assert_true(pte_present(pte));
	}
	/* GLOBAL on a present entry means global, not PROT_NONE. */
	assert_false(pte_protnone(__pte(_PAGE_PRESENT | _PAGE_GLOBAL)));
	assert_false(pte_present(__pte(0x1234UL << PAGE_SHIFT)));
}

static void test_none_only_for_zero(void **state)
{
	(void)state;
	STEP("-");
	for (size_t l = 0; l < ARRAY_SIZE(levels); l++) {
		const struct level *lv = &levels[l];

		WHERE("%s", lv->name);
		CHECK(lv->none(0));
		CHECK(!lv->none(_PAGE_PRESENT));
		CHECK(!lv->none(_PAGE_PROTNONE));
		CHECK(!lv->none(1ULL << PAGE_SHIFT));
		CHECK(!lv->none(make_leaf(lv, 0, PAGE_NONE)));
		CHECK(!lv->present(0));
	}
	assert_true(p4d_none(__p4d(0)));
	assert_false(p4d_none(__p4d(_PAGE_TABLE)));
	assert_true(pgd_none(__pgd(0)));
	assert_false(pgd_none(__pgd(_PAGE_TABLE)));
}

/* ---- 8. Linux 6.12's hidden encodings: SAVED_DIRTY and the L1TF guard ---- */

/*
 * 6.12's x86 pte_wrprotect(), pmd_wrprotect() and pud_wrprotect() move DIRTY
 * to SAVED_DIRTY on every x86-64 CPU, shadow stacks or not
 * (mksaveddirty_shift()); pXd_mkwrite() moves it back
 * (clear_saveddirty_shift()).  So no helper ever builds Write=0,Dirty=1, and
 * pXd_dirty() sees either bit.
 */
static void check_wrprotect_saves_dirty(const struct level *lv, uint64_t e)
{
	uint64_t rw_dirty = lv->mkdirty(lv->mkwrite(e));
	uint64_t ro_dirty = lv->wrprotect(rw_dirty);

	STEP("writable, dirty");
	CHECK_EQ(rw_dirty & _PAGE_DIRTY_BITS, _PAGE_DIRTY);
	STEP("wrprotect");
	CHECK_EQ(ro_dirty ^ rw_dirty, _PAGE_RW | _PAGE_DIRTY | _PAGE_SAVED_DIRTY);
	CHECK(lv->dirty(ro_dirty));
	STEP("mkwrite");
	CHECK_EQ(lv->mkwrite(ro_dirty), rw_dirty);
	STEP("mkdirty on read-only");
	CHECK_EQ(lv->mkdirty(lv->wrprotect(e)) & _PAGE_DIRTY_BITS, _PAGE_SAVED_DIRTY);
}

static void test_wrprotect_moves_dirty_to_saved_dirty(void **state)
{
	(void)state;
	for_each_leaf(false, check_wrprotect_saves_dirty);
}

/*
 * 6.12's pfn_pte(), pfn_pmd() and pfn_pud() invert the pfn of an entry that
 * is not present to the hardware (PROT_NONE: __pte_needs_invert()), the
 * pXd_pfn() helpers undo it, and pXd_modify() flips it when an entry goes
 * to or from PROT_NONE (flip_protnone_guard(), pgtable-invert.h).
 */
static void check_protnone_inverts_pfn(const struct level *lv, uint64_t e)
{
	unsigned long pfn = lv->pfn(e);
	uint64_t none = lv->modify(e, level_prot(lv, PAGE_NONE));
	uint64_t raw_pfn = (((uint64_t)pfn << PAGE_SHIFT) ^ protnone_mask(e)) & lv->pfn_mask;

	STEP("the leaf as built");
	CHECK_EQ(e & lv->pfn_mask, raw_pfn);
	CHECK_EQ(!!(e & _PAGE_PRESENT), !protnone_mask(e));
	STEP("modify to PAGE_NONE");
	CHECK_EQ(none & lv->pfn_mask, ~((uint64_t)pfn << PAGE_SHIFT) & lv->pfn_mask);
	CHECK_EQ(lv->pfn(none), pfn);
	/* 6.12's pud_present() looks at PRESENT alone; PTEs and PMDs count PROTNONE. */
	CHECK_EQ(lv->present(none), lv->pfn_align != HPAGE_PUD_NR);
	STEP("and back");
	CHECK_EQ(lv->modify(none, level_prot(lv, PAGE_READONLY)) & lv->pfn_mask,
		 ((uint64_t)pfn << PAGE_SHIFT) & lv->pfn_mask);
	CHECK_EQ(lv->pfn(lv->modify(none, level_prot(lv, PAGE_SHARED))), pfn);
}

static void test_protnone_inverts_pfn(void **state)
{
	(void)state;
	for_each_leaf(false, check_protnone_inverts_pfn);
	/* The empty entry is never inverted. */
	assert_int_equal(protnone_mask(0), 0);
	assert_int_equal(pte_pfn(__pte(0)), 0);
}

/*
 * Raw values as Linux 6.12 on x86-64 computes them, worked out from its
 * helpers by hand: an anonymous page written in a private mapping
 * (do_anonymous_page(): pte_mkwrite(pte_mkdirty()) of PAGE_COPY), that page
 * write-protected by fork, a PROT_NONE PTE, and a special uncached PMD of a
 * BAR taken to PROT_NONE and back by mprotect.
 */
static void test_raw_values_match_linux_6_12(void **state)
{
	pte_t anon = pte_mkwrite(pte_mkdirty(pfn_pte(0x1234, PAGE_COPY)));
	pmd_t bar = pmd_mkspecial(pmd_mkhuge(pfn_pmd(0x1000000,
				  pgprot_4k_2_large(pgprot_noncached(PAGE_SHARED)))));
	pmd_t none = pmd_modify(bar, PAGE_NONE);

	(void)state;
	/* NX | pfn 0x1234 | SOFT_DIRTY DIRTY ACCESSED USER RW PRESENT */
	assert_int_equal(pte_val(anon), 0x8000000001234867ULL);
	/* fork: RW off, DIRTY moved to SAVED_DIRTY (bit 58) */
	assert_int_equal(pte_val(pte_wrprotect(anon)), 0x8400000001234825ULL);
	/* PROT_NONE: pfn bits 12..51 inverted, PROTNONE ACCESSED */
	assert_int_equal(pte_val(pfn_pte(0x1234, PAGE_NONE)), 0x000ffffffedcb120ULL);
	assert_int_equal(pmd_val(bar), 0x80000010000002b7ULL);
	/* pfn bits 21..51 inverted; SPECIAL PROTNONE PSE ACCESSED PCD kept or set; NX gone */
	assert_int_equal(pmd_val(none), 0x000fffefffe003b0ULL);
	assert_int_equal(pmd_pfn(none), 0x1000000);
	assert_int_equal(pmd_val(pmd_modify(none, PAGE_SHARED)), pmd_val(bar));
}

/* ---- 8. indices --------------------------------------------------------- */

static void test_index_helpers(void **state)
{
	const unsigned long addr = 0x7f1234567000UL;

	(void)state;
	/* 0x7f1234567000 = 254 << 39 | 72 << 30 | 418 << 21 | 359 << 12 */
	assert_int_equal((254UL << 39) | (72UL << 30) | (418UL << 21) | (359UL << 12), addr);
	assert_int_equal(pgd_index(addr), 254);
	assert_int_equal(pud_index(addr), 72);
	assert_int_equal(pmd_index(addr), 418);
	assert_int_equal(pte_index(addr), 359);

	/* The byte offset within the page does not matter. */
	assert_int_equal(pte_index(addr + 0xabc), 359);
	assert_int_equal(pmd_index(addr + 0xabc), 418);

	assert_int_equal(pgd_index(0), 0);
	assert_int_equal(pud_index(0), 0);
	assert_int_equal(pmd_index(0), 0);
	assert_int_equal(pte_index(0), 0);

	/* The last user page is the last entry at every level below the PGD. */
	assert_int_equal(pgd_index(TASK_SIZE_MAX), 255);
	assert_int_equal(pud_index(TASK_SIZE_MAX), 511);
	assert_int_equal(pmd_index(TASK_SIZE_MAX), 511);
	assert_int_equal(pte_index(TASK_SIZE_MAX), 511);

	/* Crossing a 2 MiB boundary steps the PMD index and resets the PTE index. */
	assert_int_equal(pmd_index(0x200000), 1);
	assert_int_equal(pte_index(0x200000), 0);
	assert_int_equal(pte_index(0x1ff000), 511);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* 1. layout */
		cmocka_unit_test(test_bit_numbers_match_linux_6_12),
		cmocka_unit_test(test_pfn_masks_match_linux),
		/* 2. basic properties */
		cmocka_unit_test(test_basic_same),
		cmocka_unit_test(test_basic_mkyoung_mkold),
		cmocka_unit_test(test_basic_mkdirty_mkclean),
		cmocka_unit_test(test_basic_mkwrite_wrprotect),
		cmocka_unit_test(test_basic_wrprotect_keeps_dirtiness),
		cmocka_unit_test(test_basic_mkhuge_is_leaf_and_bad),
		cmocka_unit_test(test_basic_mkhuge_is_trans_huge),
		cmocka_unit_test(test_transforms_change_only_their_bits),
		cmocka_unit_test(test_mkhuge_sets_only_pse),
		/* 3. special, devmap, modify */
		cmocka_unit_test(test_mkspecial_sets_only_special),
		cmocka_unit_test(test_mkdevmap_bits_per_level),
		cmocka_unit_test(test_trans_huge_excludes_devmap_not_special),
		cmocka_unit_test(test_transforms_preserve_special),
		cmocka_unit_test(test_transforms_preserve_devmap),
		cmocka_unit_test(test_transforms_never_add_special_or_devmap),
		cmocka_unit_test(test_modify_keeps_pfn_and_state_takes_new_prot),
		/* 4. pfns */
		cmocka_unit_test(test_pfn_round_trip_every_level),
		cmocka_unit_test(test_huge_leaf_pfn_excludes_pat_large),
		cmocka_unit_test(test_pfn_huge_rounds_unaligned_pfn_down),
		cmocka_unit_test(test_table_entry_pfn_uses_4k_mask),
		cmocka_unit_test(test_pfn_beyond_physical_limit_never_spills),
		/* 5. pgprot helpers */
		cmocka_unit_test(test_pgprot_pat_moves_between_bit_7_and_12),
		cmocka_unit_test(test_pgprot_writecombine_sets_pwt_only),
		cmocka_unit_test(test_pgprot_noncached_sets_pcd_only),
		/* 6. dirty bits */
		cmocka_unit_test(test_mkdirty_sets_soft_dirty),
		cmocka_unit_test(test_saved_dirty_alone_is_dirty),
		cmocka_unit_test(test_mkclean_clears_dirty_and_saved_dirty),
		/* 7. presence */
		cmocka_unit_test(test_pmd_present_for_pse_or_protnone),
		cmocka_unit_test(test_pte_protnone),
		cmocka_unit_test(test_none_only_for_zero),
		/* 8. indices */
		cmocka_unit_test(test_wrprotect_moves_dirty_to_saved_dirty),
		cmocka_unit_test(test_protnone_inverts_pfn),
		cmocka_unit_test(test_raw_values_match_linux_6_12),

		cmocka_unit_test(test_index_helpers),
	};

	return cmocka_run_group_tests(tests, setup_prots, NULL);
}
