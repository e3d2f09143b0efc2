// SPDX-License-Identifier: MIT
/*
 * get_user_pages_fast: the lockless walk.
 *
 * What keeps it safe: the walk runs inside one RCU read-side section, and a
 * page-table page is freed only after a grace period (mm/mmu_gather.c), so
 * every table the walk reaches stays allocated until it leaves, even if it is
 * unmapped meanwhile.  It takes no lock and never looks at a VMA.  Each entry
 * is loaded once, with acquire (it may point at a table published a moment
 * ago), and only what that entry says decides what may be referenced: special
 * entries never, devmap entries only with a live dev_pagemap, anything else
 * is taken for a struct page.  A reference is taken with a try that fails on a
 * folio whose count already reached zero; then the entry is loaded again, and
 * if it changed the reference is given back: the mapping may be gone, and with
 * it any right to the page.  Whatever the walk cannot do ends it, and the slow
 * path (gup.c) takes over from the first page not done.
 *
 * Under the plain policy an unmarked huge pfn entry looks like a THP here,
 * exactly as in 2021 Linux.  Taking a reference on its pfn, which has no
 * struct page, is where a real kernel would corrupt memory: it is reported as
 * a violation and refused.  A reference on a page its driver maps special is
 * taken (as Linux would) and reported.
 */
#include <errno.h>

#include "host/rcu.h"
#include "mm/internal.h"

/*
 * The leaf's work is inlined into each level's walk, so that the PTE level,
 * one small folio at a time (the hot case), loses the loops and the checks
 * that only larger runs need: constants fold them away.
 */
#define gup_fast_inline inline __attribute__((always_inline))

/* The struct page of a pfn the walk is about to reference. */
static gup_fast_inline struct page *gup_fast_page(unsigned long pfn, enum hp_level level)
{
	if (pfn < hp_ram_pages)
		return &hp_mem_map[pfn];	/* RAM, the common case: pfn_to_page() inline */
	if (!pfn_valid(pfn)) {
		hp_report_violation(pfn, level, "gup_fast",
				    "reference on a pfn with no struct page");
		return NULL;
	}
	return pfn_to_page(pfn);
}

/*
 * With no lock: the folio may be on its way to the allocator.  The first
 * increment must therefore be a try (it fails on zero), and the folio must
 * still be the page's after it: if the page moved to another folio meanwhile
 * (freed and reused, or split), the reference goes back and the page's
 * folio now is tried, as Linux's try_get_folio() does.  The caller's refs
 * pages from page on must lie in the folio it ends with, or it could not
 * give them back folio by folio: if they no longer do, the grab fails (in
 * Linux the entry's re-read would, as only a split changes the folio of a
 * mapped page).  Every folio hugepfn has is longterm pinnable (no CMA, no
 * ZONE_MOVABLE, no coherent device memory), so Linux's
 * folio_is_longterm_pinnable() test has nothing to refuse here.  Linux
 * keeps it in gup.c; here it is the fast path's alone, so it lives (and is
 * inlined) where the walk is.
 */
static gup_fast_inline struct folio *try_grab_folio_fast(struct page *page, int refs,
							unsigned int flags)
{
	bool pin = flags & FOLL_PIN;
	struct folio *folio = page_folio(page);
	int add;

	if (pin && is_zero_page(page))
		return folio;
	for (;;) {
		/* A small folio's pin is the whole bias at once: one atomic operation. */
		add = pin && !folio_test_large(folio) ? refs * GUP_PIN_COUNTING_BIAS : refs;
		if (!folio_ref_try_add(folio, add))
			return NULL;
		if (folio == page_folio(page))
			break;
		folio_put_refs(folio, add);
		folio = page_folio(page);
		HP_MODEL_POINT(HP_MODEL_WRITE, folio, sizeof(*folio), "try_get_folio retry");
	}
	if (hp_folio_run(page, refs) < refs) {
		folio_put_refs(folio, add);
		return NULL;
	}
	/* Still this page's folio, so still the size it was when add was chosen. */
	if (pin && add == refs)
		atomic_fetch_add_explicit(&folio->page._pincount, refs, memory_order_relaxed);
	return folio;
}

/*
 * References on refs consecutive pages: one try per folio, so a THP leaf is
 * grabbed once for all its pages.  All or nothing.  A folio its driver maps
 * special is taken (as 2021 Linux would) and reported.  They are taken on the
 * strength of the entry at slot and, for a PTE, of the PMD slot above it
 * (mremap can move the whole table): the interleaving checker is told both.
 */
static gup_fast_inline bool gup_fast_grab(uint64_t *slot, uint64_t *parent, struct page *page,
					  int refs, unsigned int flags, enum hp_level level)
{
	int done = 0;

	while (done < refs) {
		int n = hp_folio_run(page + done, refs - done);
		struct folio *folio;

		HP_MODEL_POINT_ALSO(HP_MODEL_WRITE, page_folio(page + done),
				    sizeof(struct folio), slot, parent, "try_grab_folio_fast");
		folio = try_grab_folio_fast(page + done, n, flags);

		if (!folio) {
			gup_put_pages(page, done, flags);
			return false;
		}
		if (PageFlag(&folio->page, PG_owner_priv))
			hp_report_violation(page_to_pfn(page + done), level, "gup_fast",
					    "reference on a page its driver maps special");
		done += n;
	}
	return true;
}

/* The re-read after the grab: has the entry stayed what the walk saw? */
static bool gup_fast_unchanged(uint64_t *slot, uint64_t seen)
{
	HP_MODEL_POINT(HP_MODEL_READ, slot, sizeof(*slot), "gup_fast_unchanged");
	if (hp_mutated(HP_MUTATION_NO_REREAD))
		return true;
	return __atomic_load_n(slot, __ATOMIC_ACQUIRE) == seen;
}

static void gup_fast_record(struct page *page, int refs, struct page **pages, int *nr)
{
	for (int i = 0; i < refs; i++)
		pages[(*nr)++] = page + i;
}

/*
 * Linux's gup_fast_folio_allowed(), for a folio already grabbed on the
 * strength of an entry that has been re-read since: may gup-fast keep it?
 * Without the VMA it cannot tell a longterm writable pin of a file page that
 * needs dirty tracking from a harmless one, nor see secretmem, so it lets
 * only what is known to be fine through and leaves the rest to the slow
 * path.  Linux looks at small folios whenever CONFIG_SECRETMEM is set (its
 * default, and Debian's), as secretmem folios are small.  hugepfn has no
 * secretmem and no file with writeback, so what remains observable is that a
 * folio without a mapping (a driver's pages, a truncated page) is refused.
 *
 * The mapping is read once, with no lock: the grab keeps the folio, and the
 * file a mapping belongs to is released only after the grace period of the
 * munmap that cleared the last entry this walk could have used (mmap.c's
 * vma_free()), so the address_space outlives this read-side section.
 */
static gup_fast_inline bool gup_fast_folio_allowed(struct folio *folio, unsigned int flags)
{
	bool reject_file_backed = (flags & (FOLL_PIN | FOLL_LONGTERM | FOLL_WRITE)) ==
				  (FOLL_PIN | FOLL_LONGTERM | FOLL_WRITE);
	const struct address_space *mapping;

	if (!reject_file_backed && folio_test_large(folio))
		return true;
	/* Linux finds anonymous folios by a tag in ->mapping; hugepfn has a flag (on the head). */
	if (PageFlag(&folio->page, PG_anon))
		return true;
	HP_MODEL_POINT(HP_MODEL_READ, &folio->page.mapping, sizeof(folio->page.mapping),
		       "folio->mapping");
	mapping = __atomic_load_n(&folio->page.mapping, __ATOMIC_RELAXED);
	if (!mapping)
		return false;
	return !reject_file_backed || shmem_mapping(mapping);
}

/*
 * The reference on the pagemap covering pfn, reusing held if it covers pfn
 * (Linux's get_dev_pagemap() with a cached pagemap); NULL if none covers it.
 */
static struct dev_pagemap *gup_fast_pagemap(unsigned long pfn, struct dev_pagemap *held)
{
	if (held && pfn - held->start_pfn < held->nr_pages)
		return held;
	put_dev_pagemap(held);
	return get_dev_pagemap(pfn);
}

/*
 * refs ZONE_DEVICE pages from pfn on, one grab each, each pfn's pagemap
 * checked and held until all are grabbed (Linux's gup_fast_devmap_leaf()).
 * All or nothing.
 */
static bool gup_fast_devmap_grab(uint64_t *slot, uint64_t *parent, unsigned long pfn, int refs,
				 unsigned int flags, enum hp_level level)
{
	struct dev_pagemap *pgmap = NULL;
	int done = 0;

	for (; done < refs; done++) {
		pgmap = gup_fast_pagemap(pfn + done, pgmap);
		if (!pgmap || !gup_fast_grab(slot, parent, pfn_to_page(pfn + done), 1, flags, level))
			break;
	}
	put_dev_pagemap(pgmap);
	if (done == refs)
		return true;
	if (done)
		gup_put_pages(pfn_to_page(pfn), done, flags);
	return false;
}

/*
 * What the walk may do with a leaf before touching its page: take its pages
 * as folios, take them as ZONE_DEVICE pages, or nothing.  As in Linux: at
 * the PTE level the devmap test comes first (x86 marks a devmap PTE special
 * as well), at PMD and PUD level the special one; a longterm pin never takes
 * ZONE_DEVICE pages here (gup_fast_pte_range(), gup_fast_pmd_leaf(),
 * gup_fast_pud_leaf()): the slow path does.
 */
enum gup_fast_kind { GUP_FAST_NONE, GUP_FAST_PAGES, GUP_FAST_DEVMAP };

static enum gup_fast_kind gup_fast_leaf_kind(uint64_t seen, enum hp_level level,
					     unsigned int flags)
{
	bool devmap = seen & _PAGE_DEVMAP, special = seen & _PAGE_SPECIAL;

	if ((flags & FOLL_WRITE) && !(seen & _PAGE_RW))
		return GUP_FAST_NONE;
	if (special && !(devmap && level == HP_LEVEL_PTE))
		return GUP_FAST_NONE;
	if (devmap)
		return flags & FOLL_LONGTERM ? GUP_FAST_NONE : GUP_FAST_DEVMAP;
	return GUP_FAST_PAGES;
}

/*
 * One present leaf at any level: refs pages from pfn on.  parent is the slot
 * above a PTE (its table could be freed and reused), rechecked as well.
 * After the re-read, the folio must pass gup_fast_folio_allowed() and, for a
 * read-only pin, need no unsharing; a devmap leaf above the PTE level skips
 * both, as in Linux (its pages are never anonymous).  The exclusive mark of
 * a PMD-mapped THP is on its head (gup_must_unshare()).
 */
static gup_fast_inline bool gup_fast_leaf(uint64_t *slot, uint64_t seen, uint64_t *parent,
					  uint64_t parent_seen, unsigned long pfn, int refs,
					  enum hp_level level, unsigned int flags,
					  struct page **pages, int *nr)
{
	enum gup_fast_kind kind = gup_fast_leaf_kind(seen, level, flags);
	bool checked = kind == GUP_FAST_PAGES || level == HP_LEVEL_PTE;
	struct page *page;
	struct folio *folio;

	if (kind == GUP_FAST_NONE)
		return false;
	if (kind == GUP_FAST_DEVMAP) {
		if (!gup_fast_devmap_grab(slot, parent, pfn, refs, flags, level))
			return false;
		page = pfn_to_page(pfn);
	} else {
		page = gup_fast_page(pfn, level);
		if (!page || !gup_fast_grab(slot, parent, page, refs, flags, level))
			return false;
	}
	folio = page_folio(page);
	if (!gup_fast_unchanged(slot, seen) ||
	    (parent && !gup_fast_unchanged(parent, parent_seen)) ||
	    (checked && !gup_fast_folio_allowed(folio, flags)) ||
	    (checked && !(seen & _PAGE_RW) &&
	     gup_must_unshare(NULL, flags, level == HP_LEVEL_PTE ? page : &folio->page))) {
		gup_put_pages(page, refs, flags);
		return false;
	}
	gup_fast_record(page, refs, pages, nr);
	return true;
}

static bool gup_fast_pte_range(pmd_t pmd, pmd_t *pmdp, unsigned long addr,
			       unsigned long end, unsigned int flags,
			       struct page **pages, int *nr)
{
	pte_t *ptep = pte_offset_lockless(pmd, addr);

	for (; addr != end; addr += PAGE_SIZE, ptep++) {
		pte_t pte = ptep_get_lockless(ptep);

		if (!pte_present(pte) || pte_protnone(pte))
			return false;
		if (!gup_fast_leaf(&ptep->pte, pte_val(pte), &pmdp->pmd, pmd_val(pmd),
				   pte_pfn(pte), 1, HP_LEVEL_PTE, flags, pages, nr))
			return false;
	}
	return true;
}

static bool gup_fast_pmd_leaf(pmd_t pmd, pmd_t *pmdp, unsigned long addr,
			      unsigned long end, unsigned int flags,
			      struct page **pages, int *nr)
{
	unsigned long pfn = pmd_pfn(pmd) + ((addr & ~PMD_MASK) >> PAGE_SHIFT);

	if (pmd_protnone(pmd))
		return false;
	return gup_fast_leaf(&pmdp->pmd, pmd_val(pmd), NULL, 0, pfn,
			     (end - addr) >> PAGE_SHIFT, HP_LEVEL_PMD, flags, pages, nr);
}

static bool gup_fast_pud_leaf(pud_t pud, pud_t *pudp, unsigned long addr,
			      unsigned long end, unsigned int flags,
			      struct page **pages, int *nr)
{
	unsigned long pfn = pud_pfn(pud) + ((addr & ~PUD_MASK) >> PAGE_SHIFT);

	return gup_fast_leaf(&pudp->pud, pud_val(pud), NULL, 0, pfn,
			     (end - addr) >> PAGE_SHIFT, HP_LEVEL_PUD, flags, pages, nr);
}

static bool gup_fast_pmd_range(pud_t pud, unsigned long addr, unsigned long end,
			       unsigned int flags, struct page **pages, int *nr)
{
	pmd_t *pmdp = pmd_offset_lockless(pud, addr);

	for (; addr != end; pmdp++) {
		unsigned long next = pmd_addr_end(addr, end);
		pmd_t pmd = pmdp_get_lockless(pmdp);

		if (!pmd_present(pmd))
			return false;
		if (pmd_leaf(pmd)) {
			if (!gup_fast_pmd_leaf(pmd, pmdp, addr, next, flags, pages, nr))
				return false;
		} else if (!gup_fast_pte_range(pmd, pmdp, addr, next, flags, pages, nr)) {
			return false;
		}
		addr = next;
	}
	return true;
}

static bool gup_fast_pud_range(p4d_t p4d, unsigned long addr, unsigned long end,
			       unsigned int flags, struct page **pages, int *nr)
{
	pud_t *pudp = pud_offset_lockless(p4d, addr);

	for (; addr != end; pudp++) {
		unsigned long next = pud_addr_end(addr, end);
		pud_t pud = pudp_get_lockless(pudp);

		if (!pud_present(pud))
			return false;
		if (pud_leaf(pud)) {
			if (!gup_fast_pud_leaf(pud, pudp, addr, next, flags, pages, nr))
				return false;
		} else if (!gup_fast_pmd_range(pud, addr, next, flags, pages, nr)) {
			return false;
		}
		addr = next;
	}
	return true;
}

static void gup_fast_pgd_range(struct mm_struct *mm, unsigned long addr,
			       unsigned long end, unsigned int flags,
			       struct page **pages, int *nr)
{
	for (; addr != end;) {
		unsigned long next = pgd_addr_end(addr, end);
		p4d_t p4d = p4dp_get_lockless(p4d_offset(pgd_offset(mm, addr), addr));

		if (!p4d_present(p4d))
			return;
		if (!gup_fast_pud_range(p4d, addr, next, flags, pages, nr))
			return;
		addr = next;
	}
}

/*
 * A pin taken while fork write-protects the address space could end up on a
 * page that parent and child then share copy-on-write.  Fork makes
 * write_protect_seq odd around that work; a pinning walk that saw it odd, or
 * saw it change, gives its pins back and lets the slow path (which waits for
 * fork on the mmap lock) do the work.  This is a store-then-load pattern on
 * both sides (fork: seq, then pin counts; here: pin counts, then seq), so both
 * sides put a full fence between them.
 */
static int gup_fast(struct mm_struct *mm, unsigned long start, unsigned long end,
		    unsigned int flags, struct page **pages)
{
	unsigned int seq = 0;
	int nr = 0;

	if (flags & FOLL_PIN) {
		HP_MODEL_POINT(HP_MODEL_READ, &mm->write_protect_seq,
			       sizeof(mm->write_protect_seq), "raw_seqcount_begin");
		seq = atomic_load_explicit(&mm->write_protect_seq, memory_order_acquire);
		if (seq & 1)
			return 0;
	}
	hp_rcu_read_lock();
	gup_fast_pgd_range(mm, start, end, flags, pages, &nr);
	hp_rcu_read_unlock();
	if ((flags & FOLL_PIN) && !hp_mutated(HP_MUTATION_NO_WP_SEQ)) {
		atomic_thread_fence(memory_order_seq_cst);
		HP_MODEL_POINT(HP_MODEL_READ, &mm->write_protect_seq,
			       sizeof(mm->write_protect_seq), "read_seqcount_retry");
		if (atomic_load_explicit(&mm->write_protect_seq, memory_order_relaxed) != seq) {
			for (int i = 0; i < nr; i++)
				gup_put_folio(page_folio(pages[i]), 1, flags);
			return 0;
		}
	}
	return nr;
}

/*
 * Linux's gup_fast_fallback().  nr_pages is the caller's int taken as an
 * unsigned long, as in Linux: a negative count is a huge one, which the range
 * checks refuse (-EOVERFLOW if the range wraps, else -EFAULT).
 */
static int gup_fast_fallback(struct mm_struct *mm, unsigned long start,
			     unsigned long nr_pages, unsigned int flags,
			     struct page **pages)
{
	unsigned long len, end;
	long ret;
	int nr;

	start &= PAGE_MASK;
	len = nr_pages << PAGE_SHIFT;
	if (__builtin_add_overflow(start, len, &end))
		return -EOVERFLOW;
	if (end > TASK_SIZE_MAX)
		return -EFAULT;
	/* Linux would walk one entry even for no pages: none is asked, none is taken. */
	if (!nr_pages)
		return 0;
	nr = gup_fast(mm, start, end, flags, pages);
	if ((unsigned long)nr == nr_pages || (flags & FOLL_FAST_ONLY))
		return nr;

	mmap_read_lock(mm);
	ret = __get_user_pages_locked(mm, start + ((unsigned long)nr << PAGE_SHIFT),
				      nr_pages - nr, flags, pages + nr);
	mmap_read_unlock(mm);
	if (ret < 0)
		return nr ? nr : (int)ret;
	return nr + (int)ret;
}

static int gup_fast_checked(struct mm_struct *mm, unsigned long start, int nr_pages,
			    unsigned int gup_flags, unsigned int to_set, struct page **pages)
{
	if (!is_valid_gup_args(pages, &gup_flags, to_set))
		return -EINVAL;
	return gup_fast_fallback(mm, start, (unsigned long)(long)nr_pages, gup_flags, pages);
}

int get_user_pages_fast(struct mm_struct *mm, unsigned long start, int nr_pages,
			unsigned int gup_flags, struct page **pages)
{
	return gup_fast_checked(mm, start, nr_pages, gup_flags, FOLL_GET, pages);
}

int pin_user_pages_fast(struct mm_struct *mm, unsigned long start, int nr_pages,
			unsigned int gup_flags, struct page **pages)
{
	return gup_fast_checked(mm, start, nr_pages, gup_flags, FOLL_PIN, pages);
}

int get_user_pages_fast_only(struct mm_struct *mm, unsigned long start, int nr_pages,
			     unsigned int gup_flags, struct page **pages)
{
	return gup_fast_checked(mm, start, nr_pages, gup_flags, FOLL_GET | FOLL_FAST_ONLY,
				pages);
}
