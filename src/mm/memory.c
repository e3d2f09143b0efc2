// SPDX-License-Identifier: MIT
/*
 * The fault path (PGD -> PUD -> PMD -> PTE, huge faults first, falling back
 * one level at a time), the 4 KiB fault handlers, vm_normal_page*(), and the
 * zapping of mappings.
 *
 * Locking: the fault path runs with mmap_lock held for read.  Page-table pages
 * are freed only with mmap_lock held for write, so the fault path may walk
 * tables without RCU; it reads entries with lockless loads and rechecks them
 * under the entry's lock before changing anything.
 */
#include <string.h>

#include "host/rcu.h"
#include "mm/internal.h"

static inline pgoff_t linear_page_index(const struct vm_area_struct *vma,
					unsigned long address)
{
	return ((address - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff;
}

/* ---- vm_normal_page*() --------------------------------------------------- */

/*
 * Which mapped pfns are struct pages that the mapping holds a reference on.
 * Special entries never are.  Without the special bit (the plain policy's
 * huge entries), only the VMA tells: pfnmap VMAs map raw pfns unless a COW
 * copy replaced one, mixedmap VMAs map raw pfns where no memmap exists.
 */
static struct page *normal_page_by_vma(struct vm_area_struct *vma,
				       unsigned long addr, unsigned long pfn,
				       bool devmap)
{
	if (vma->vm_flags & VM_MIXEDMAP) {
		if (!pfn_valid(pfn))
			return NULL;
	} else if (vma->vm_flags & VM_PFNMAP) {
		if (pfn == linear_page_index(vma, addr) ||
		    !is_cow_mapping(vma->vm_flags))
			return NULL;
	}
	if (devmap || is_zero_pfn(pfn) || !pfn_valid(pfn))
		return NULL;
	return pfn_to_page(pfn);
}

struct page *vm_normal_page(struct vm_area_struct *vma, unsigned long addr, pte_t pte)
{
	if (pte_special(pte))
		return NULL;
	return normal_page_by_vma(vma, addr, pte_pfn(pte), pte_devmap(pte));
}

struct page *vm_normal_page_pmd(struct vm_area_struct *vma, unsigned long addr, pmd_t pmd)
{
	if (pmd_special(pmd))
		return NULL;
	return normal_page_by_vma(vma, addr & PMD_MASK, pmd_pfn(pmd), pmd_devmap(pmd));
}

struct page *vm_normal_page_pud(struct vm_area_struct *vma, unsigned long addr, pud_t pud)
{
	if (pud_special(pud))
		return NULL;
	return normal_page_by_vma(vma, addr & PUD_MASK, pud_pfn(pud), pud_devmap(pud));
}

/* ---- 4 KiB faults --------------------------------------------------------- */

struct folio *hp_alloc_anon_folio(void)
{
	struct folio *folio;

	if (hp_should_fail(HP_FAIL_PAGE))
		return NULL;
	folio = folio_alloc(__GFP_ZERO, 0);
	if (folio) {
		SetPageFlag(&folio->page, PG_anon);
		SetPageFlag(&folio->page, PG_anon_exclusive);
	}
	return folio;
}

/*
 * The VMA is about to map an anonymous page: from now on fork copies its
 * entries (Linux's vmf_anon_prepare() allocating vma->anon_vma; nothing to
 * allocate here, so it cannot fail).  Faults that race here under the read
 * lock all store true; the flag is read only with the mmap lock held for
 * write, so neither the order of these stores nor a scheduling point
 * matters.
 */
void vmf_anon_prepare(struct vm_fault *vmf)
{
	atomic_store_explicit(&vmf->vma->anon_vma, true, memory_order_relaxed);
}

/* Maps page at vmf->pte, which must still hold vmf->orig_pte; takes over its reference. */
static bool map_page_locked(struct vm_fault *vmf, struct page *page, pte_t entry)
{
	if (!pte_same(ptep_get(vmf->pte), vmf->orig_pte))
		return false;
	atomic_fetch_add_explicit(&page->_mapcount, 1, memory_order_relaxed);
	hp_mm_add_rss(vmf->vma->vm_mm, 1);
	set_pte_at(vmf->pte, entry);
	return true;
}

pte_t hp_mk_anon_pte(struct vm_area_struct *vma, struct folio *folio)
{
	pte_t entry = pfn_pte(folio_pfn(folio), vma->vm_page_prot);

	if (vma->vm_flags & VM_WRITE)
		entry = pte_mkwrite(pte_mkdirty(entry));
	return entry;
}

/* An empty PTE in anonymous memory: the zero page to read, a new page to write. */
static vm_fault_t do_anonymous_page(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	spinlock_t *ptl = pte_lockptr(vmf->pte);
	struct folio *folio;

	if (!(vmf->flags & FAULT_FLAG_WRITE)) {
		pte_t entry = pte_mkspecial(pfn_pte(zero_pfn, vma->vm_page_prot));

		spin_lock(ptl);
		if (pte_none(ptep_get(vmf->pte)))
			set_pte_at(vmf->pte, entry);
		spin_unlock(ptl);
		return 0;
	}
	vmf_anon_prepare(vmf);
	folio = hp_alloc_anon_folio();
	if (!folio)
		return VM_FAULT_OOM;
	spin_lock(ptl);
	if (!map_page_locked(vmf, &folio->page, hp_mk_anon_pte(vma, folio)))
		folio_put(folio);	/* a racing fault mapped it */
	spin_unlock(ptl);
	return 0;
}

/* A private write to a page of a mapped object: map a private copy. */
static vm_fault_t do_cow_fault(struct vm_fault *vmf, struct page *page)
{
	spinlock_t *ptl = pte_lockptr(vmf->pte);
	struct folio *copy;

	vmf_anon_prepare(vmf);
	copy = hp_alloc_anon_folio();
	if (!copy) {
		put_page(page);
		return VM_FAULT_OOM;
	}
	memcpy(page_address(&copy->page), page_address(page), PAGE_SIZE);
	put_page(page);
	spin_lock(ptl);
	if (!map_page_locked(vmf, &copy->page, hp_mk_anon_pte(vmf->vma, copy)))
		folio_put(copy);
	spin_unlock(ptl);
	return 0;
}

/*
 * Maps an object's page at pte with the VMA's protection, dirty for a write
 * (6.12's set_pte_range()), taking over a reference on it.  PTE lock held.
 */
void set_pte_range(struct vm_fault *vmf, struct page *page, pte_t *pte, bool write)
{
	pte_t entry = pfn_pte(page_to_pfn(page), vmf->vma->vm_page_prot);

	if (write)
		entry = pte_mkdirty(entry);
	atomic_fetch_add_explicit(&page->_mapcount, 1, memory_order_relaxed);
	hp_mm_add_rss(vmf->vma->vm_mm, 1);
	set_pte_at(pte, entry);
}

/* 6.12's fault_around_bytes default: 64 KiB. */
#define FAULT_AROUND_PAGES	(65536 >> PAGE_SHIFT)

/*
 * A read fault first lets the object map what it has ready around the
 * address (6.12's do_fault_around()): the FAULT_AROUND_PAGES-aligned window
 * holding it, clipped to the VMA and to the PTE table.  (6.12 holds RCU for
 * its page-cache walk; hugepfn's page cache never frees a page while the
 * object is mapped.)
 */
static vm_fault_t do_fault_around(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long pte_off = pte_index(vmf->address);
	unsigned long vma_off = vmf->pgoff - vma->vm_pgoff;
	unsigned long vma_pages = (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
	unsigned long from = pte_off & ~(FAULT_AROUND_PAGES - 1UL);
	unsigned long to = from + FAULT_AROUND_PAGES;

	if (pte_off - from > vma_off)
		from = pte_off - vma_off;
	if (to > PTRS_PER_PTE)
		to = PTRS_PER_PTE;
	if (to > pte_off + vma_pages - vma_off)
		to = pte_off + vma_pages - vma_off;
	return vma->vm_ops->map_pages(vmf, vmf->pgoff - (pte_off - from),
				      vmf->pgoff + (to - 1 - pte_off));
}

/* An empty PTE in a mapped object: the object's ->fault inserts or returns a page. */
static vm_fault_t do_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	spinlock_t *ptl;
	vm_fault_t ret;

	if (!vma->vm_ops->fault)
		return VM_FAULT_SIGBUS;
	/* 6.12's do_read_fault() and should_fault_around() (there is no userfaultfd). */
	if (!(vmf->flags & FAULT_FLAG_WRITE) && vma->vm_ops->map_pages) {
		ret = do_fault_around(vmf);
		if (ret)
			return ret;
	}
	vmf->page = NULL;
	ret = vma->vm_ops->fault(vmf);
	if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY) || !vmf->page)
		return ret & ~VM_FAULT_LOCKED;
	if ((vmf->flags & FAULT_FLAG_WRITE) && !(vma->vm_flags & VM_SHARED))
		return do_cow_fault(vmf, vmf->page);

	ptl = pte_lockptr(vmf->pte);
	spin_lock(ptl);
	if (pte_same(ptep_get(vmf->pte), vmf->orig_pte))
		set_pte_range(vmf, vmf->page, vmf->pte, vmf->flags & FAULT_FLAG_WRITE);
	else
		put_page(vmf->page);	/* a racing fault mapped it */
	spin_unlock(ptl);
	return 0;
}

/*
 * No copy needed: the entry becomes young, dirty and writable where it is
 * (6.12's wp_page_reuse(); a write fault always has VM_WRITE here, there is
 * no FOLL_FORCE).  Called with the PTE lock held; drops it.
 */
static vm_fault_t wp_page_reuse(struct vm_fault *vmf)
{
	set_pte_at(vmf->pte, pte_mkwrite(pte_mkdirty(pte_mkyoung(vmf->orig_pte))));
	spin_unlock(pte_lockptr(vmf->pte));
	return 0;
}

/* 6.12's wp_can_reuse_anon_folio(): a small folio whose one reference is the mapping's. */
static bool wp_can_reuse_anon_folio(struct folio *folio)
{
	return folio_nr_pages(folio) == 1 && folio_ref_count(folio) == 1;
}

/* The bytes behind the old entry: a page, or a raw pfn (device memory is not freed under a mapping). */
static void wp_copy_bytes(struct folio *copy, pte_t orig)
{
	void *src = __va((phys_addr_t)pte_pfn(orig) << PAGE_SHIFT);

	if (src)
		memcpy(page_address(&copy->page), src, PAGE_SIZE);
}

/*
 * What cannot be reused -- the zero page, a page fork shares, an object's
 * page in a private mapping, a COWed raw pfn -- is copied into a new
 * anonymous page, this process's alone (6.12's wp_page_copy()).  A write
 * maps it writable and dirty; an unshare maps it read-only and clean,
 * keeping only the soft-dirty bit, so that a read-only pin sees what the
 * process will see.  Called without the PTE lock, holding a reference on
 * vmf->page if there is one.
 */
static vm_fault_t wp_page_copy(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	spinlock_t *ptl = pte_lockptr(vmf->pte);
	struct page *old = vmf->page;
	struct folio *copy;
	pte_t entry;

	vmf_anon_prepare(vmf);
	copy = hp_alloc_anon_folio();
	if (!copy)
		goto out;
	/* The old entry is read-only: nothing changes the source while it is copied. */
	if (!is_zero_pfn(pte_pfn(vmf->orig_pte)))
		wp_copy_bytes(copy, vmf->orig_pte);
	if (vmf->flags & FAULT_FLAG_UNSHARE)
		entry = pte_set_flags(pfn_pte(folio_pfn(copy), vma->vm_page_prot),
				      pte_val(vmf->orig_pte) & _PAGE_SOFT_DIRTY);
	else
		entry = hp_mk_anon_pte(vma, copy);

	spin_lock(ptl);
	if (!pte_same(ptep_get(vmf->pte), vmf->orig_pte)) {
		spin_unlock(ptl);
		folio_put(copy);
		goto out;
	}
	if (pte_devmap(vmf->orig_pte))
		hp_devmap_entry_put(pte_pfn(vmf->orig_pte));
	atomic_fetch_add_explicit(&copy->page._mapcount, 1, memory_order_relaxed);
	set_pte_at(vmf->pte, entry);
	if (old)
		atomic_fetch_sub_explicit(&old->_mapcount, 1, memory_order_relaxed);
	else
		hp_mm_add_rss(vma->vm_mm, 1);
	spin_unlock(ptl);
	/* The mapping's reference: readers that walked to the old page may still copy from it. */
	if (old)
		folio_put_rcu(page_folio(old));
out:
	if (old)
		put_page(old);
	return copy ? 0 : VM_FAULT_OOM;
}

/*
 * A write to a present, write-protected PTE, or an unshare (a read-only pin
 * of a page the process does not own alone), as 6.12's do_wp_page().  A
 * shared mapping becomes writable.  In a private one, an anonymous page that
 * is the process's alone is reused -- marked exclusive, or the only
 * reference; a pinned exclusive page in particular stays, so the pin keeps
 * backing the mapping -- and an unshare of it has nothing to do.  Anything
 * else is copied.  Called with the PTE lock held.
 */
static vm_fault_t do_wp_page(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct folio *folio;

	vmf->page = vm_normal_page(vma, vmf->address, vmf->orig_pte);
	if (vma->vm_flags & VM_SHARED)
		return wp_page_reuse(vmf);
	folio = vmf->page ? page_folio(vmf->page) : NULL;
	if (folio && PageAnon(vmf->page) &&
	    (PageAnonExclusive(vmf->page) || wp_can_reuse_anon_folio(folio))) {
		SetPageFlag(vmf->page, PG_anon_exclusive);
		if (vmf->flags & FAULT_FLAG_UNSHARE) {
			spin_unlock(pte_lockptr(vmf->pte));
			return 0;
		}
		return wp_page_reuse(vmf);
	}
	/* Held across the copy: an rmap zap could otherwise free it meanwhile. */
	if (vmf->page)
		get_page(vmf->page);
	spin_unlock(pte_lockptr(vmf->pte));
	return wp_page_copy(vmf);
}

/* do_wp_page() on the entry as it is under the lock, if it is still the one the walk saw. */
static vm_fault_t do_wp_page_locked(struct vm_fault *vmf)
{
	spin_lock(pte_lockptr(vmf->pte));
	if (!pte_same(ptep_get(vmf->pte), vmf->orig_pte)) {
		spin_unlock(pte_lockptr(vmf->pte));
		return 0;
	}
	return do_wp_page(vmf);
}

static vm_fault_t handle_pte_fault(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf->vma->vm_mm;
	pmd_t pmd = pmdp_get_lockless(vmf->pmd);

	if (pmd_none(pmd)) {
		if (__pte_alloc(mm, vmf->pmd))
			return VM_FAULT_OOM;
		pmd = pmdp_get_lockless(vmf->pmd);
	}
	/* A racing fault made it a huge leaf: the access retries and finds it. */
	if (pmd_leaf(pmd) || !pmd_present(pmd))
		return 0;
	vmf->pte = pte_offset_lockless(pmd, vmf->address);
	vmf->orig_pte = ptep_get_lockless(vmf->pte);
	if (pte_none(vmf->orig_pte))
		return vma_is_anonymous(vmf->vma) ? do_anonymous_page(vmf) : do_fault(vmf);
	if ((vmf->flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE)) && !pte_write(vmf->orig_pte))
		return do_wp_page_locked(vmf);
	return 0;	/* spurious: another thread resolved it */
}

/* ---- the walk down ------------------------------------------------------- */

static vm_fault_t __handle_mm_fault(struct vm_fault *vmf, enum hp_level *level)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	p4d_t *p4d = p4d_offset(pgd_offset(mm, vmf->address), vmf->address);
	vm_fault_t ret;
	pud_t pud;
	pmd_t pmd;

	vmf->pud = pud_alloc(mm, p4d, vmf->address);
	if (!vmf->pud)
		return VM_FAULT_OOM;
retry_pud:
	*level = HP_LEVEL_PUD;
	pud = pudp_get_lockless(vmf->pud);
	if (pud_none(pud) && thp_vma_allowable_order(vma, PUD_ORDER)) {
		ret = create_huge_pud(vmf);
		if (!(ret & VM_FAULT_FALLBACK))
			return ret;
		atomic_fetch_add(&mm->faults.fallback[HP_LEVEL_PUD], 1);
	} else if (pud_leaf(pud)) {
		ret = hp_huge_pud_fault(vmf, pud);
		if (!(ret & VM_FAULT_FALLBACK))
			return ret;
	}

	if (!pmd_alloc(mm, vmf->pud, vmf->address))
		return VM_FAULT_OOM;
	/*
	 * A huge PUD may have raced in (and even been zapped again) since the
	 * look above: only a PUD that points at a table may be walked through,
	 * and the PMD slot is computed from that very value.
	 */
	pud = pudp_get_lockless(vmf->pud);
	if (pud_none(pud) || pud_leaf(pud))
		goto retry_pud;
	vmf->pmd = pmd_offset_lockless(pud, vmf->address);

	*level = HP_LEVEL_PMD;
	pmd = pmdp_get_lockless(vmf->pmd);
	if (pmd_none(pmd) && thp_vma_allowable_order(vma, PMD_ORDER)) {
		ret = create_huge_pmd(vmf);
		if (!(ret & VM_FAULT_FALLBACK))
			return ret;
		atomic_fetch_add(&mm->faults.fallback[HP_LEVEL_PMD], 1);
	} else if (pmd_leaf(pmd)) {
		ret = hp_huge_pmd_fault(vmf, pmd);
		if (!(ret & VM_FAULT_FALLBACK))
			return ret;
	}

	*level = HP_LEVEL_PTE;
	return handle_pte_fault(vmf);
}

static void count_fault(struct mm_struct *mm, vm_fault_t ret, enum hp_level level)
{
	enum hp_fault_result r = HP_FAULT_RESOLVED;

	if (ret & VM_FAULT_OOM)
		r = HP_FAULT_OOM;
	else if (ret & VM_FAULT_SIGBUS)
		r = HP_FAULT_SIGBUS;
	else if (ret & VM_FAULT_SIGSEGV)
		r = HP_FAULT_SIGSEGV;
	atomic_fetch_add_explicit(&mm->faults.result[r], 1, memory_order_relaxed);
	/* 6.12 counts a retried fault once, when the retry completes. */
	if (ret & VM_FAULT_RETRY)
		return;
	/* As 6.12's mm_account_fault(): a fault that ends in an error is no min_flt. */
	if (r != HP_FAULT_RESOLVED)
		return;
	atomic_fetch_add_explicit(&mm->faults.total, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&mm->faults.resolved_at[level], 1, memory_order_relaxed);
}

vm_fault_t handle_mm_fault(struct vm_area_struct *vma, unsigned long address,
			   unsigned int flags)
{
	struct vm_fault vmf = {
		.vma = vma,
		.address = address & PAGE_MASK,
		.flags = flags,
		.pgoff = linear_page_index(vma, address),
	};
	bool write = flags & FAULT_FLAG_WRITE;
	enum hp_level level = HP_LEVEL_NONE;
	vm_fault_t ret;

	/* 6.12's sanitize_fault_flags(): only COW mappings have anything to unshare. */
	if (!is_cow_mapping(vma->vm_flags))
		vmf.flags &= ~FAULT_FLAG_UNSHARE;
	/* As x86: a write needs VM_WRITE; a read, any of read, write or exec. */
	if (address < vma->vm_start || address >= vma->vm_end ||
	    !(vma->vm_flags & (write ? VM_WRITE : VM_READ | VM_WRITE | VM_EXEC)))
		ret = VM_FAULT_SIGSEGV;
	else
		ret = __handle_mm_fault(&vmf, &level);
	count_fault(vma->vm_mm, ret, level);
	return ret;
}

/* ---- zap ----------------------------------------------------------------- */

static void zap_pte_range(struct mmu_gather *tlb, struct vm_area_struct *vma,
			  pmd_t *pmd, unsigned long addr, unsigned long end)
{
	pte_t *pte = pte_offset(pmd, addr);
	spinlock_t *ptl = pte_lockptr(pte);

	spin_lock(ptl);
	for (; addr < end; addr += PAGE_SIZE, pte++) {
		pte_t old = ptep_get(pte);
		struct page *page;

		if (pte_none(old))
			continue;
		if (tlb->keep_cows && (page = vm_normal_page(vma, addr, old)) && PageAnon(page))
			continue;
		old = ptep_get_and_clear(pte);
		tlb->need_flush = true;
		if (pte_devmap(old))
			hp_devmap_entry_put(pte_pfn(old));
		page = vm_normal_page(vma, addr, old);
		if (!page)
			continue;
		atomic_fetch_sub_explicit(&page->_mapcount, 1, memory_order_relaxed);
		hp_mm_add_rss(vma->vm_mm, -1);
		tlb_remove_folio(tlb, page_folio(page));
	}
	spin_unlock(ptl);
}

static void zap_pmd_range(struct mmu_gather *tlb, struct vm_area_struct *vma,
			  pud_t *pud, unsigned long addr, unsigned long end)
{
	pmd_t *pmd = pmd_offset(pud, addr);

	for (; addr < end; pmd++) {
		unsigned long next = pmd_addr_end(addr, end);
		pmd_t val = pmdp_get_lockless(pmd);

		if (pmd_leaf(val)) {
			if (next - addr == PMD_SIZE && zap_huge_pmd(tlb, vma, pmd, addr)) {
				addr = next;
				continue;
			}
			__split_huge_pmd(vma, pmd, addr);
			val = pmdp_get_lockless(pmd);
		}
		if (!pmd_none(val) && !pmd_leaf(val))
			zap_pte_range(tlb, vma, pmd, addr, next);
		addr = next;
	}
}

static void zap_pud_range(struct mmu_gather *tlb, struct vm_area_struct *vma,
			  p4d_t *p4d, unsigned long addr, unsigned long end)
{
	pud_t *pud = pud_offset(p4d, addr);

	for (; addr < end; pud++) {
		unsigned long next = pud_addr_end(addr, end);
		pud_t val = pudp_get_lockless(pud);

		if (pud_leaf(val)) {
			if (next - addr == PUD_SIZE && zap_huge_pud(tlb, vma, pud, addr)) {
				addr = next;
				continue;
			}
			__split_huge_pud(vma, pud, addr);
			val = pudp_get_lockless(pud);
		}
		if (!pud_none(val) && !pud_leaf(val))
			zap_pmd_range(tlb, vma, pud, addr, next);
		addr = next;
	}
}

/* Unmaps [addr, end) of vma; the page-table pages stay. */
void hp_zap_range(struct mmu_gather *tlb, struct vm_area_struct *vma,
		  unsigned long addr, unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;

	for (; addr < end;) {
		unsigned long next = pgd_addr_end(addr, end);
		p4d_t *p4d = p4d_offset(pgd_offset(mm, addr), addr);

		if (!p4d_none(p4dp_get(p4d)))
			zap_pud_range(tlb, vma, p4d, addr, next);
		addr = next;
	}
}

void unmap_vmas(struct mmu_gather *tlb, struct vm_area_struct *vma)
{
	hp_zap_range(tlb, vma, vma->vm_start, vma->vm_end);
}
