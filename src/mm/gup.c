// SPDX-License-Identifier: MIT
/*
 * get_user_pages, the slow path: under the mmap lock, VMA by VMA, entry by
 * entry under the entry's lock, faulting in what is missing.  Also the
 * reference accounting that both paths share.
 *
 * A huge leaf is grabbed once for all the pages of it that the call covers.
 */
#include <errno.h>

#include "mm/internal.h"

/* ---- references ---------------------------------------------------------- */

bool folio_maybe_dma_pinned(struct folio *folio)
{
	/* Fork goes on to share or copy the folio: to the checker, a write. */
	HP_MODEL_POINT(HP_MODEL_WRITE, folio, sizeof(*folio), "folio_maybe_dma_pinned");
	if (folio_test_large(folio))
		return folio_maybe_dma_pinned_count(folio) > 0;
	return folio_ref_count(folio) >= GUP_PIN_COUNTING_BIAS;
}

/*
 * The caller holds the entry's lock, so the folio is mapped and its count
 * cannot be zero.  Pins on the zero page are not counted: it never goes away.
 */
int try_grab_folio(struct folio *folio, int refs, unsigned int flags)
{
	if (folio_ref_count(folio) <= 0)
		return -ENOMEM;
	if (flags & FOLL_GET) {
		folio_ref_add(folio, refs);
	} else if (flags & FOLL_PIN) {
		if (is_zero_page(&folio->page))
			return 0;
		if (folio_test_large(folio)) {
			folio_ref_add(folio, refs);
			atomic_fetch_add_explicit(&folio->page._pincount, refs,
						  memory_order_relaxed);
		} else {
			folio_ref_add(folio, refs * GUP_PIN_COUNTING_BIAS);
		}
	}
	return 0;
}

void gup_put_folio(struct folio *folio, int refs, unsigned int flags)
{
	HP_MODEL_POINT(HP_MODEL_WRITE, folio, sizeof(*folio), "gup_put_folio");
	if (flags & FOLL_PIN) {
		if (is_zero_page(&folio->page))
			return;
		if (folio_test_large(folio))
			atomic_fetch_sub_explicit(&folio->page._pincount, refs,
						  memory_order_relaxed);
		else
			refs *= GUP_PIN_COUNTING_BIAS;
	}
	folio_put_refs(folio, refs);
}

void gup_put_pages(struct page *page, int refs, unsigned int flags)
{
	while (refs > 0) {
		int n = hp_folio_run(page, refs);

		gup_put_folio(page_folio(page), n, flags);
		page += n;
		refs -= n;
	}
}

void unpin_user_page(struct page *page)
{
	gup_put_folio(page_folio(page), 1, FOLL_PIN);
}

/*
 * Folio by folio, as Linux's unpin_user_pages() (gup_folio_next()): a run
 * of pages of one folio gives its pins back in one go.
 */
void unpin_user_pages(struct page **pages, unsigned long npages)
{
	for (unsigned long i = 0; i < npages;) {
		struct folio *folio = page_folio(pages[i]);
		unsigned long run = 1;

		while (i + run < npages && page_folio(pages[i + run]) == folio)
			run++;
		gup_put_folio(folio, (int)run, FOLL_PIN);
		i += run;
	}
}

/* ---- following entries -------------------------------------------------- */

struct follow_ctx {
	unsigned int flags;
	unsigned long nr;	/* pages the leaf covers from the address on, at most asked */
	bool unshare;		/* the page must become this process's first */
};

/*
 * A read-only pin on an anonymous page that fork shares would stay with the
 * page while the process, on its next write, moves to a copy: such a pin
 * must first make the page the process's own (unshare), as in Linux.  page is
 * the page that carries the exclusive mark: the page itself when a PTE maps
 * it (a THP's subpages are marked one by one once it is PTE-mapped), the head
 * when a PMD maps the whole THP.  A longterm read-only pin on a page that is
 * not anonymous (the zero page) in a private writable mapping must unshare
 * too, or a later write would leave the pin behind; without the VMA
 * (gup-fast) that cannot be told, so the slow path decides.  Callers ask only
 * for entries that are not writable.
 *
 * gup-fast reads the exclusive mark with no lock (a relaxed load of the
 * flags): a fork that clears it concurrently does so with write_protect_seq
 * odd, which makes gup-fast give every pin of that walk back.
 */
bool gup_must_unshare(struct vm_area_struct *vma, unsigned int flags, struct page *page)
{
	if ((flags & (FOLL_WRITE | FOLL_PIN)) != FOLL_PIN)
		return false;
	if (!PageAnon(page)) {
		if (!(flags & FOLL_LONGTERM))
			return false;
		return !vma || is_cow_mapping(vma->vm_flags);
	}
	/* To the checker, the whole folio: fork announces its clearing on the head. */
	HP_MODEL_POINT(HP_MODEL_READ, page_folio(page),
		       folio_nr_pages(page_folio(page)) * sizeof(struct page), "PageAnonExclusive");
	return !PageAnonExclusive(page);
}

/*
 * ZONE_DEVICE pages behind a locked devmap entry: each pfn's pagemap must be
 * alive, and its reference is held across the grab (the entry holds one too,
 * so under the lock this cannot fail unless the table is corrupt).
 */
static int grab_devmap_pages(struct page *page, unsigned long nr, unsigned int flags)
{
	for (unsigned long done = 0; done < nr; done++) {
		struct dev_pagemap *pgmap = get_dev_pagemap(page_to_pfn(page + done));
		int err = pgmap ? try_grab_folio(page_folio(page + done), 1, flags) : -EFAULT;

		put_dev_pagemap(pgmap);
		if (err) {
			gup_put_pages(page, (int)done, flags);
			return err;
		}
	}
	return 0;
}

/* One grab per folio: a THP leaf once for all the pages it covers. */
static int grab_pages(struct page *page, unsigned long nr, unsigned int flags)
{
	for (unsigned long done = 0; done < nr;) {
		int n = hp_folio_run(page + done, (int)(nr - done));

		if (try_grab_folio(page_folio(page + done), n, flags)) {
			gup_put_pages(page, (int)done, flags);
			return -ENOMEM;
		}
		done += n;
	}
	return 0;
}

/*
 * The page behind a locked leaf entry at level, with the given pfn (of the
 * address), grabbing ctx->nr references: NULL if a fault must come first
 * (ctx->unshare says which), an error page if the entry maps nothing GUP may
 * take.  As in Linux (follow_page_pte(), follow_devmap_pmd(),
 * follow_huge_pmd(), follow_huge_pud()), a devmap leaf above the PTE level is
 * never unshared: ZONE_DEVICE pages are not anonymous.
 */
static struct page *follow_leaf(struct vm_area_struct *vma, struct page *normal,
				unsigned long pfn, bool devmap, bool writable,
				enum hp_level level, struct follow_ctx *ctx)
{
	struct page *page = normal;
	int err;

	if ((ctx->flags & FOLL_WRITE) && !writable)
		return NULL;
	if (!page && (devmap || is_zero_pfn(pfn)))
		page = pfn_to_page(pfn);
	if (!page)
		return ERR_PTR(-EFAULT);
	if (!writable && !(devmap && level != HP_LEVEL_PTE) &&
	    gup_must_unshare(vma, ctx->flags,
			     level == HP_LEVEL_PMD ? &page_folio(page)->page : page)) {
		ctx->unshare = true;
		return NULL;
	}
	err = devmap ? grab_devmap_pages(page, ctx->nr, ctx->flags) :
		       grab_pages(page, ctx->nr, ctx->flags);
	return err ? ERR_PTR(err) : page;
}

/* The pages of a leaf of size bytes from the page containing addr on, at most remaining. */
static unsigned long leaf_pages(unsigned long addr, unsigned long size,
				unsigned long remaining)
{
	unsigned long n = (size - (addr & (size - 1) & PAGE_MASK)) >> PAGE_SHIFT;

	return n < remaining ? n : remaining;
}

static struct page *follow_pte(struct vm_area_struct *vma, pmd_t *pmd,
			       unsigned long addr, struct follow_ctx *ctx)
{
	pte_t *ptep = pte_offset(pmd, addr);
	spinlock_t *ptl = pte_lockptr(ptep);
	struct page *page = NULL;
	pte_t pte;

	ctx->nr = 1;
	spin_lock(ptl);
	pte = ptep_get(ptep);
	if (pte_present(pte) && !pte_protnone(pte))
		page = follow_leaf(vma, vm_normal_page(vma, addr, pte), pte_pfn(pte),
				   pte_devmap(pte), pte_write(pte), HP_LEVEL_PTE, ctx);
	spin_unlock(ptl);
	return page;
}

static struct page *follow_pmd(struct vm_area_struct *vma, pud_t *pud,
			       unsigned long addr, unsigned long remaining,
			       struct follow_ctx *ctx)
{
	pmd_t *pmdp = pmd_offset(pud, addr);
	spinlock_t *ptl = pmd_lockptr(pmdp);
	struct page *page = NULL;
	pmd_t pmd = pmdp_get_lockless(pmdp);
	unsigned long pfn;

	if (pmd_none(pmd))
		return NULL;
	if (!pmd_leaf(pmd))
		return follow_pte(vma, pmdp, addr, ctx);
	spin_lock(ptl);
	pmd = pmdp_get(pmdp);
	if (pmd_leaf(pmd)) {
		pfn = pmd_pfn(pmd) + ((addr & ~PMD_MASK) >> PAGE_SHIFT);
		ctx->nr = leaf_pages(addr, PMD_SIZE, remaining);
		page = vm_normal_page_pmd(vma, addr, pmd);
		page = follow_leaf(vma, page ? pfn_to_page(pfn) : NULL, pfn,
				   pmd_devmap(pmd), pmd_write(pmd), HP_LEVEL_PMD, ctx);
		spin_unlock(ptl);
		return page;
	}
	spin_unlock(ptl);
	/* It was split or zapped meanwhile: look again at the new state. */
	return pmd_none(pmd) ? NULL : follow_pte(vma, pmdp, addr, ctx);
}

static struct page *follow_page_mask(struct vm_area_struct *vma, unsigned long addr,
				     unsigned long remaining, struct follow_ctx *ctx)
{
	struct mm_struct *mm = vma->vm_mm;
	p4d_t *p4d = p4d_offset(pgd_offset(mm, addr), addr);
	pud_t *pudp;
	pud_t pud;
	unsigned long pfn;
	struct page *page = NULL;

	if (p4d_none(p4dp_get_lockless(p4d)))
		return NULL;
	pudp = pud_offset(p4d, addr);
	pud = pudp_get_lockless(pudp);
	if (pud_none(pud))
		return NULL;
	if (!pud_leaf(pud))
		return follow_pmd(vma, pudp, addr, remaining, ctx);
	spin_lock(pud_lockptr(mm, pudp));
	pud = pudp_get(pudp);
	if (pud_leaf(pud)) {
		pfn = pud_pfn(pud) + ((addr & ~PUD_MASK) >> PAGE_SHIFT);
		ctx->nr = leaf_pages(addr, PUD_SIZE, remaining);
		page = vm_normal_page_pud(vma, addr, pud);
		page = follow_leaf(vma, page ? pfn_to_page(pfn) : NULL, pfn,
				   pud_devmap(pud), pud_write(pud), HP_LEVEL_PUD, ctx);
	}
	spin_unlock(pud_lockptr(mm, pudp));
	if (!pud_leaf(pud) && !pud_none(pud))
		return follow_pmd(vma, pudp, addr, remaining, ctx);
	return page;
}

/*
 * GUP never walks pfn mappings: only the VMA says there is no struct page.
 * Linux also refuses longterm pins of fsdax files here (-EOPNOTSUPP), and
 * secretmem; hugepfn has neither (its ZONE_DEVICE memory is device-dax-like).
 */
static int check_vma_flags(struct vm_area_struct *vma, unsigned int flags)
{
	if (vma->vm_flags & (VM_IO | VM_PFNMAP))
		return -EFAULT;
	if (flags & FOLL_WRITE)
		return vma->vm_flags & VM_WRITE ? 0 : -EFAULT;
	return vma->vm_flags & VM_READ ? 0 : -EFAULT;
}

static int faultin_page(struct vm_area_struct *vma, unsigned long addr,
			unsigned int flags, bool unshare)
{
	vm_fault_t ret = handle_mm_fault(vma, addr, (flags & FOLL_WRITE) ? FAULT_FLAG_WRITE :
						    unshare ? FAULT_FLAG_UNSHARE : 0);

	if (ret & VM_FAULT_OOM)
		return -ENOMEM;
	if (ret & (VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV))
		return -EFAULT;
	return 0;
}

/* A fault that resolves without making the entry usable, this often, is an error. */
#define GUP_MAX_FAULTS 16

/*
 * The caller holds mm->mmap_lock for read.  As Linux's __get_user_pages(),
 * start need not be page aligned (the page containing it comes first), and
 * without pages nothing is grabbed: the range is only faulted in.
 */
long __get_user_pages_locked(struct mm_struct *mm, unsigned long start,
			     unsigned long nr_pages, unsigned int flags,
			     struct page **pages)
{
	unsigned long i = 0;
	long ret = 0;

	if (pages && !(flags & FOLL_PIN))
		flags |= FOLL_GET;
	while (i < nr_pages) {
		unsigned long addr = start + (i << PAGE_SHIFT);
		struct vm_area_struct *vma = find_vma(mm, addr);
		struct follow_ctx ctx = { .flags = flags, .nr = 1 };
		struct page *page = NULL;
		unsigned int faults = 0;

		if (!vma || addr < vma->vm_start) {
			ret = -EFAULT;
			break;
		}
		ret = check_vma_flags(vma, flags);
		if (ret)
			break;
		while (!(page = follow_page_mask(vma, addr, nr_pages - i, &ctx))) {
			ret = faults++ < GUP_MAX_FAULTS ?
			      faultin_page(vma, addr, flags, ctx.unshare) : -EFAULT;
			ctx.unshare = false;
			if (ret)
				break;
		}
		if (!page)
			break;
		if (IS_ERR(page)) {
			ret = PTR_ERR(page);
			break;
		}
		for (unsigned long j = 0; pages && j < ctx.nr; j++)
			pages[i + j] = page + j;
		i += ctx.nr;
	}
	return i ? (long)i : ret;
}

/*
 * The flags hugepfn models that only GUP itself may set: Linux's
 * INTERNAL_GUP_FLAGS, less those (FOLL_TOUCH, FOLL_REMOTE, ...) it does not
 * model.
 */
#define GUP_INTERNAL_FLAGS (FOLL_PIN | FOLL_FAST_ONLY)
#define GUP_MODELLED_FLAGS (FOLL_WRITE | FOLL_GET | FOLL_LONGTERM | GUP_INTERNAL_FLAGS)

/*
 * Linux's is_valid_gup_args(): the caller's flags plus to_set, or false (in
 * Linux, with a warning) for a combination no caller may ask for.  Flags
 * hugepfn does not model are refused as well, rather than ignored.
 */
bool is_valid_gup_args(struct page **pages, unsigned int *gup_flags, unsigned int to_set)
{
	unsigned int flags = *gup_flags;

	if (flags & (GUP_INTERNAL_FLAGS | ~GUP_MODELLED_FLAGS))
		return false;
	flags |= to_set;
	if ((flags & (FOLL_PIN | FOLL_GET)) == (FOLL_PIN | FOLL_GET))
		return false;
	/* Longterm references are pins: only a pin is accounted as DMA. */
	if ((flags & FOLL_LONGTERM) && !(flags & FOLL_PIN))
		return false;
	if ((flags & (FOLL_GET | FOLL_PIN)) && !pages)
		return false;
	*gup_flags = flags;
	return true;
}

static long gup_locked(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
		       unsigned int flags, struct page **pages)
{
	long ret;

	if (!nr_pages)
		return 0;
	mmap_read_lock(mm);
	ret = __get_user_pages_locked(mm, start, nr_pages, flags, pages);
	mmap_read_unlock(mm);
	return ret;
}

long get_user_pages(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
		    unsigned int gup_flags, struct page **pages)
{
	if (!is_valid_gup_args(pages, &gup_flags, 0))
		return -EINVAL;
	return gup_locked(mm, start, nr_pages, gup_flags, pages);
}

/* Linux's pin_user_pages() answers bad arguments with 0 pages, not an errno. */
long pin_user_pages(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
		    unsigned int gup_flags, struct page **pages)
{
	if (!is_valid_gup_args(pages, &gup_flags, FOLL_PIN))
		return 0;
	return gup_locked(mm, start, nr_pages, gup_flags, pages);
}
