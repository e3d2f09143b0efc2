/* SPDX-License-Identifier: MIT */
/* The fault path, the vmf_insert_* helpers, and vm_normal_page*(). */
#ifndef HUGEPFN_FAULT_H
#define HUGEPFN_FAULT_H

#include <hugepfn/mm.h>

HP_BEGIN_DECLS

typedef unsigned int vm_fault_t;

#define VM_FAULT_OOM		0x000001u
#define VM_FAULT_SIGBUS		0x000002u
#define VM_FAULT_MAJOR		0x000004u
#define VM_FAULT_SIGSEGV	0x000040u
#define VM_FAULT_NOPAGE		0x000100u	/* the handler installed the entry */
#define VM_FAULT_LOCKED		0x000200u
#define VM_FAULT_RETRY		0x000400u
#define VM_FAULT_FALLBACK	0x000800u	/* huge fault: try the next level down */
#define VM_FAULT_ERROR		(VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV)

#define FAULT_FLAG_WRITE	0x01u
#define FAULT_FLAG_USER		0x40u
/* Not a write: make a shared anonymous page this process's own (for a R/O pin). */
#define FAULT_FLAG_UNSHARE	0x400u

struct vm_fault {
	struct vm_area_struct *vma;
	unsigned long address;		/* faulting address, page aligned */
	unsigned int flags;		/* FAULT_FLAG_* */
	pgoff_t pgoff;			/* page offset in the mapped object */
	pud_t *pud;
	pmd_t *pmd;
	pte_t *pte;
	pmd_t orig_pmd;
	pud_t orig_pud;
	pte_t orig_pte;
	struct page *page;		/* ->fault may return a page to map */
};

struct vm_operations_struct {
	void (*open)(struct vm_area_struct *vma);
	void (*close)(struct vm_area_struct *vma);
	vm_fault_t (*fault)(struct vm_fault *vmf);
	/* order is PMD_ORDER or PUD_ORDER; VM_FAULT_FALLBACK to go smaller. */
	vm_fault_t (*huge_fault)(struct vm_fault *vmf, unsigned int order);
	/*
	 * Read fault-around: map whatever of the object's pages start_pgoff to
	 * end_pgoff are ready, into empty PTEs of vmf->pte's table;
	 * VM_FAULT_NOPAGE if vmf->address got one.
	 */
	vm_fault_t (*map_pages)(struct vm_fault *vmf, pgoff_t start_pgoff, pgoff_t end_pgoff);
	const char *(*name)(struct vm_area_struct *vma);
};

/* Resolve a fault at address; the caller holds mm->mmap_lock for read. */
vm_fault_t handle_mm_fault(struct vm_area_struct *vma, unsigned long address,
			   unsigned int flags);

/*
 * Insert pfns from a driver's fault handlers.  The entries are special (no
 * struct page is referenced); a pfn of ZONE_DEVICE memory gets a devmap entry.
 * The huge variants decide that themselves according to the machine's policy,
 * so drivers never choose (see docs/architecture.md):
 *   none:    refuse with VM_FAULT_FALLBACK
 *   plain:   an unmarked huge entry (the 2021 state the thread found)
 *   devmap:  a devmap entry, with or without a dev_pagemap (the rejected idea)
 *   special: devmap for ZONE_DEVICE pfns, special for everything else
 * A misaligned address or pfn is VM_FAULT_SIGBUS with nothing written.  If the
 * slot is already mapped to the same pfn, only young/dirty (and write when
 * asked) are updated; a different pfn or a table there is VM_FAULT_SIGBUS and
 * nothing changes (Linux warns and reports VM_FAULT_NOPAGE instead).
 */
vm_fault_t vmf_insert_pfn(struct vm_area_struct *vma, unsigned long addr,
			  unsigned long pfn);
vm_fault_t vmf_insert_pfn_prot(struct vm_area_struct *vma, unsigned long addr,
			       unsigned long pfn, pgprot_t pgprot);
vm_fault_t vmf_insert_mixed(struct vm_area_struct *vma, unsigned long addr,
			    unsigned long pfn);
vm_fault_t vmf_insert_pfn_pmd(struct vm_fault *vmf, unsigned long pfn, bool write);
vm_fault_t vmf_insert_pfn_pmd_prot(struct vm_fault *vmf, unsigned long pfn,
				   pgprot_t pgprot, bool write);
vm_fault_t vmf_insert_pfn_pud(struct vm_fault *vmf, unsigned long pfn, bool write);
vm_fault_t vmf_insert_pfn_pud_prot(struct vm_fault *vmf, unsigned long pfn,
				   pgprot_t pgprot, bool write);

/* The struct page an entry maps, or NULL for special and pure-pfn entries. */
struct page *vm_normal_page(struct vm_area_struct *vma, unsigned long addr, pte_t pte);
struct page *vm_normal_page_pmd(struct vm_area_struct *vma, unsigned long addr, pmd_t pmd);
struct page *vm_normal_page_pud(struct vm_area_struct *vma, unsigned long addr, pud_t pud);

HP_END_DECLS

#endif
