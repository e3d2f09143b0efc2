/* SPDX-License-Identifier: MIT */
/*
 * get_user_pages: references on the pages behind user addresses.
 *
 * The slow path (gup.c) holds the mmap lock, finds each VMA, refuses
 * VM_IO | VM_PFNMAP mappings, and faults pages in.  The fast path (gup_fast.c)
 * walks the page tables with no lock and no VMA, so the entries alone must tell
 * it what it may take; whatever it cannot do, the slow path finishes.
 *
 * Linux's functions act on current->mm; these take the mm.  Each returns the
 * number of pages it filled in (from start, contiguous), or a negative errno
 * when it could not do the first one.
 */
#ifndef HUGEPFN_GUP_H
#define HUGEPFN_GUP_H

#include <hugepfn/mm.h>

HP_BEGIN_DECLS

#define FOLL_WRITE	0x01u	/* check the mapping is writable; break COW */
#define FOLL_GET	0x04u	/* take one ordinary reference per page */
#define FOLL_LONGTERM	0x100u	/* the reference may be held indefinitely */
#define FOLL_PIN	0x40000u	/* a pin, for DMA: counted apart from references */
#define FOLL_FAST_ONLY	0x80000u	/* never fall back to the slow path */

/* A pin on a small folio adds this much to its reference count. */
#define GUP_PIN_COUNTING_BIAS (1 << 10)

long get_user_pages(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
		    unsigned int gup_flags, struct page **pages);
long pin_user_pages(struct mm_struct *mm, unsigned long start, unsigned long nr_pages,
		    unsigned int gup_flags, struct page **pages);
int get_user_pages_fast(struct mm_struct *mm, unsigned long start, int nr_pages,
			unsigned int gup_flags, struct page **pages);
int pin_user_pages_fast(struct mm_struct *mm, unsigned long start, int nr_pages,
			unsigned int gup_flags, struct page **pages);
/* Only the lockless walk: what it got, never an error (Linux's _fast_only). */
int get_user_pages_fast_only(struct mm_struct *mm, unsigned long start, int nr_pages,
			     unsigned int gup_flags, struct page **pages);

void unpin_user_page(struct page *page);
void unpin_user_pages(struct page **pages, unsigned long npages);

/* Whether a folio may be pinned for DMA right now (pins are approximate for small folios). */
bool folio_maybe_dma_pinned(struct folio *folio);

HP_END_DECLS

#endif
