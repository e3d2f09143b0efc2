/* SPDX-License-Identifier: MIT */
/* What the mm files share with each other and with nobody else. */
#ifndef HP_MM_INTERNAL_H
#define HP_MM_INTERNAL_H

#include <hugepfn/hugepfn.h>
#include "mm/pgtable.h"
#include "host/list.h"

/* Errors in pointers, as the kernel passes them. */
#define MAX_ERRNO 4095
static inline void *ERR_PTR(long err) { return (void *)err; }
static inline long PTR_ERR(const void *p) { return (long)p; }
static inline bool IS_ERR(const void *p) { return (unsigned long)p >= (unsigned long)-MAX_ERRNO; }

/* machine.c */
bool hp_should_fail(enum hp_fail_site site);

/* pgalloc.c: page-table pages.  The *_alloc() return NULL only on OOM. */
struct page *pte_alloc_one(struct mm_struct *mm);
void pte_free(struct mm_struct *mm, struct page *table);
void hp_pagetable_free(struct page *table);
void hp_pgtable_pending(long delta);
void hp_pgtable_stats_reset(void);
pud_t *pud_alloc(struct mm_struct *mm, p4d_t *p4d, unsigned long addr);
pmd_t *pmd_alloc(struct mm_struct *mm, pud_t *pud, unsigned long addr);
int __pte_alloc(struct mm_struct *mm, pmd_t *pmd);
int hp_pgd_alloc(struct mm_struct *mm);
void pgtable_trans_huge_deposit(struct mm_struct *mm, pmd_t *pmdp, struct page *table);
struct page *pgtable_trans_huge_withdraw(struct mm_struct *mm, pmd_t *pmdp);
static inline void mm_inc_tables(struct mm_struct *mm, enum hp_table_level l)
{
	atomic_fetch_add_explicit(&mm->nr_tables[l], 1, memory_order_relaxed);
}
static inline void mm_dec_tables(struct mm_struct *mm, enum hp_table_level l)
{
	atomic_fetch_sub_explicit(&mm->nr_tables[l], 1, memory_order_relaxed);
}

/*
 * mmu_gather: what an unmap takes away is freed only after every walker that
 * could still see it has left.  The software MMU and gup-fast walk under RCU,
 * so the end of a gather (the kernel's TLB flush) is an RCU grace period.
 */
struct mmu_gather {
	struct mm_struct *mm;
	struct folio **folios;		/* one reference each to drop */
	size_t nr_folios, cap_folios;
	struct list_head tables;	/* page-table pages to free */
	bool need_flush;		/* a present entry was cleared */
	bool keep_cows;			/* leave anonymous (COW) pages mapped */
};
void tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm);
void tlb_remove_folio(struct mmu_gather *tlb, struct folio *folio);
void tlb_remove_table(struct mmu_gather *tlb, struct page *table,
		      enum hp_table_level level);
void tlb_finish_mmu(struct mmu_gather *tlb);
/* Drops a reference once every walker that might still use the folio has left. */
void folio_put_rcu(struct folio *folio);
/* Waits until no walker can still be using an entry cleared before the call. */
void flush_tlb_mm(struct mm_struct *mm);

/* memory.c */
struct folio *hp_alloc_anon_folio(void);	/* zeroed, order 0; NULL on OOM */
void vmf_anon_prepare(struct vm_fault *vmf);
void set_pte_range(struct vm_fault *vmf, struct page *page, pte_t *pte, bool write);
pte_t hp_mk_anon_pte(struct vm_area_struct *vma, struct folio *folio);
void hp_zap_range(struct mmu_gather *tlb, struct vm_area_struct *vma,
		  unsigned long addr, unsigned long end);
void unmap_vmas(struct mmu_gather *tlb, struct vm_area_struct *vma);
/* pgalloc.c: frees the tables under [start, end) that no longer map anything. */
void free_pgtables(struct mmu_gather *tlb, struct mm_struct *mm,
		   unsigned long start, unsigned long end);

/* huge_memory.c */
bool thp_vma_allowable_order(struct vm_area_struct *vma, unsigned int order);
vm_fault_t create_huge_pud(struct vm_fault *vmf);
vm_fault_t create_huge_pmd(struct vm_fault *vmf);
vm_fault_t hp_huge_pud_fault(struct vm_fault *vmf, pud_t orig);
vm_fault_t hp_huge_pmd_fault(struct vm_fault *vmf, pmd_t orig);
bool zap_huge_pud(struct mmu_gather *tlb, struct vm_area_struct *vma, pud_t *pud,
		  unsigned long addr);
bool zap_huge_pmd(struct mmu_gather *tlb, struct vm_area_struct *vma, pmd_t *pmd,
		  unsigned long addr);
/* A huge leaf covering addr becomes PTEs (anonymous THP) or goes (special). */
void __split_huge_pmd(struct vm_area_struct *vma, pmd_t *pmd, unsigned long addr);
void __split_huge_pud(struct vm_area_struct *vma, pud_t *pud, unsigned long addr);

/* How many of refs pages from page on lie in page's folio. */
static inline int hp_folio_run(struct page *page, int refs)
{
	struct folio *folio;
	int in_folio;

	if (refs == 1)
		return 1;	/* a page lies in its own folio: gup-fast's PTE case */
	folio = page_folio(page);
	in_folio = (int)folio_nr_pages(folio) - (int)(page - folio_page(folio, 0));

	return in_folio < refs ? in_folio : refs;
}

/* gup.c: taking and dropping GUP references (FOLL_GET or FOLL_PIN). */
int try_grab_folio(struct folio *folio, int refs, unsigned int flags);
void gup_put_folio(struct folio *folio, int refs, unsigned int flags);
/* Drops refs GUP references on consecutive pages, folio by folio. */
void gup_put_pages(struct page *page, int refs, unsigned int flags);
bool gup_must_unshare(struct vm_area_struct *vma, unsigned int flags, struct page *page);
bool is_valid_gup_args(struct page **pages, unsigned int *gup_flags, unsigned int to_set);
long __get_user_pages_locked(struct mm_struct *mm, unsigned long start,
			     unsigned long nr_pages, unsigned int flags,
			     struct page **pages);

/*
 * A devmap entry holds a reference on its dev_pagemap for as long as it
 * exists, so a pagemap cannot go while mapped; these take and drop it.
 */
static inline void hp_devmap_entry_get(unsigned long pfn)
{
	get_dev_pagemap(pfn);
}
static inline void hp_devmap_entry_put(unsigned long pfn)
{
	put_dev_pagemap(hp_pfn_pagemap(pfn));
}

/* shmem.c: the object behind MAP_SHARED | MAP_ANONYMOUS. */
struct file *shmem_file_setup(unsigned long size);
unsigned long shmem_get_unmapped_area(struct file *file, struct mm_struct *mm,
				      unsigned long addr, unsigned long len, unsigned long pgoff);
/* Only shmem keeps a page cache in its address_space (set up with the file). */
static inline bool shmem_mapping(const struct address_space *mapping)
{
	return mapping->pages != NULL;
}

/* mmap.c: a new VMA of mm, zeroed; a copy of one. */
struct vm_area_struct *vm_area_alloc(struct mm_struct *mm);
struct vm_area_struct *vm_area_dup(struct vm_area_struct *orig);

/*
 * vma_tree.c: the mm's VMAs by address (find_vma() is there too).  Callers
 * hold mmap_lock, for write when they change the tree.
 */
void hp_vma_insert(struct mm_struct *mm, struct vm_area_struct *vma);
/* The same, where prev is the VMA that comes right before vma (NULL: none does). */
void hp_vma_insert_after(struct mm_struct *mm, struct vm_area_struct *prev,
			 struct vm_area_struct *vma);
void hp_vma_remove(struct mm_struct *mm, struct vm_area_struct *vma);
/* vma->vm_end changed (its start did not): refresh what the tree knows of it. */
void hp_vma_resized(struct mm_struct *mm, struct vm_area_struct *vma);
/* Empties the tree: its VMAs in address order, linked by vm_node.next. */
struct vm_area_struct *hp_vma_detach_all(struct mm_struct *mm);
/* The VMA with the highest start below addr, or NULL. */
struct vm_area_struct *hp_vma_last_below(struct mm_struct *mm, unsigned long addr);
/* The lowest VMA's start; 0 with no VMA. */
unsigned long hp_vma_lowest_start(struct mm_struct *mm);
/*
 * The highest gap of at least len bytes between two consecutive VMAs, the
 * upper one starting below limit: that upper VMA's start, or 0 if none.
 */
unsigned long hp_vma_highest_gap_below(struct mm_struct *mm, unsigned long limit,
				       unsigned long len);
/* The VMA after vma in address order, or NULL. */
static inline struct vm_area_struct *hp_vma_next(const struct vm_area_struct *vma)
{
	return vma->vm_node.next;
}
/*
 * Each VMA overlapping [start, end), in address order; the body must not
 * change the tree.  A VMA reaching end is the last: its next is not read.
 */
#define hp_for_each_vma(mm, vma, start, end)					\
	for ((vma) = find_vma(mm, start); (vma) && (vma)->vm_start < (end);	\
	     (vma) = (vma)->vm_end < (end) ? hp_vma_next(vma) : NULL)

/* mmap.c */
void hp_vma_link_file(struct vm_area_struct *vma);
bool hp_span_has_vma(struct mm_struct *mm, unsigned long start, unsigned long end);
/* Placement, for get_unmapped_area hooks: caller holds mmap_lock for write. */
unsigned long mm_get_unmapped_area(struct mm_struct *mm, unsigned long addr,
				   unsigned long len);
unsigned long hp_get_aligned_area(struct mm_struct *mm, unsigned long addr, unsigned long len,
				  uint64_t off, unsigned long align);
unsigned long thp_get_unmapped_area(struct mm_struct *mm, unsigned long addr,
				    unsigned long len, unsigned long pgoff,
				    unsigned long size);
int hp_split_vmas_at(struct mm_struct *mm, unsigned long start, unsigned long end);
/* With mmap_lock held for write: munmap, and the address a new mapping would get. */
int hp_do_munmap(struct mm_struct *mm, unsigned long start, size_t len);
unsigned long hp_get_unmapped_area(struct mm_struct *mm, struct file *file, unsigned long addr,
				   unsigned long len, unsigned long pgoff, unsigned long flags);

/* rss accounting */
static inline void hp_mm_add_rss(struct mm_struct *mm, long pages)
{
	atomic_fetch_add_explicit(&mm->rss, pages, memory_order_relaxed);
}

#endif
