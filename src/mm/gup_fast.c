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

/* The struct page of a pfn the walk is about to reference. */
static struct page *gup_fast_page(unsigned long pfn, enum hp_level level)
{
	if (!pfn_valid(pfn)) {
		hp_report_violation(pfn, level, "gup_fast",
				    "reference on a pfn with no struct page");
		return NULL;
	}
	return pfn_to_page(pfn);
}

/* The thread's proposal: a devmap entry is usable only if a pagemap backs it. */
static bool gup_fast_devmap_allowed(unsigned long pfn, unsigned int flags)
{
	struct dev_pagemap *pgmap;

	if (flags & FOLL_LONGTERM)
		return false;
	pgmap = get_dev_pagemap(pfn);
	put_dev_pagemap(pgmap);
	return pgmap != NULL;
}

/*
 * References on refs consecutive pages: one try per folio, so a THP leaf is
 * grabbed once for all its pages.  All or nothing.  A folio its driver maps
 * special is taken (as 2021 Linux would) and reported.  They are taken on the
 * strength of the entry at slot, which the interleaving checker is told.
 */
static bool gup_fast_grab(uint64_t *slot, struct page *page, int refs, unsigned int flags,
			  enum hp_level level)
{
	int done = 0;

	while (done < refs) {
		int n = hp_folio_run(page + done, refs - done);
		struct folio *folio;

		HP_MODEL_POINT_ALSO(HP_MODEL_WRITE, page_folio(page + done),
				    sizeof(struct folio), slot, "try_grab_folio_fast");
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
 * One present leaf at any level: refs pages from pfn on.  parent is the slot
 * above a PTE (its table could be freed and reused), rechecked as well.
 */
static bool gup_fast_leaf(uint64_t *slot, uint64_t seen, uint64_t *parent,
			  uint64_t parent_seen, unsigned long pfn, int refs,
			  enum hp_level level, unsigned int flags,
			  struct page **pages, int *nr)
{
	struct page *page;

	if ((flags & FOLL_WRITE) && !(seen & _PAGE_RW))
		return false;
	if (seen & _PAGE_DEVMAP) {
		if (!gup_fast_devmap_allowed(pfn, flags))
			return false;
	} else if (seen & _PAGE_SPECIAL) {
		return false;
	}
	page = gup_fast_page(pfn, level);
	if (!page || !gup_fast_grab(slot, page, refs, flags, level))
		return false;
	if (!gup_fast_unchanged(slot, seen) ||
	    (parent && !gup_fast_unchanged(parent, parent_seen)) ||
	    gup_must_unshare(flags, page, seen & _PAGE_RW)) {
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
		/* A devmap PTE is special too: the devmap rule comes first. */
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

static int gup_fast_fallback(struct mm_struct *mm, unsigned long start,
			     unsigned long nr_pages, unsigned int flags,
			     struct page **pages)
{
	unsigned long end;
	long ret;
	int nr;

	if (flags & ~(FOLL_WRITE | FOLL_LONGTERM | FOLL_PIN | FOLL_GET | FOLL_FAST_ONLY))
		return -EINVAL;
	if (!nr_pages)
		return 0;
	if (!pages || nr_pages > (unsigned long)INT32_MAX)
		return -EINVAL;
	start &= PAGE_MASK;
	end = start + (nr_pages << PAGE_SHIFT);
	if (end < start || end > TASK_SIZE_MAX)
		return -EFAULT;
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

int get_user_pages_fast(struct mm_struct *mm, unsigned long start, int nr_pages,
			unsigned int gup_flags, struct page **pages)
{
	if (gup_flags & (FOLL_PIN | FOLL_GET) || nr_pages < 0)
		return -EINVAL;
	return gup_fast_fallback(mm, start, nr_pages, gup_flags | FOLL_GET, pages);
}

int pin_user_pages_fast(struct mm_struct *mm, unsigned long start, int nr_pages,
			unsigned int gup_flags, struct page **pages)
{
	if (gup_flags & (FOLL_PIN | FOLL_GET) || nr_pages < 0)
		return -EINVAL;
	return gup_fast_fallback(mm, start, nr_pages, gup_flags | FOLL_PIN, pages);
}

int get_user_pages_fast_only(struct mm_struct *mm, unsigned long start, int nr_pages,
			     unsigned int gup_flags, struct page **pages)
{
	if (gup_flags & (FOLL_PIN | FOLL_GET) || nr_pages < 0)
		return -EINVAL;
	return gup_fast_fallback(mm, start, nr_pages,
				 gup_flags | FOLL_GET | FOLL_FAST_ONLY, pages);
}
