// SPDX-License-Identifier: MIT
/*
 * vmf_insert_*(): how drivers put pfns into page tables.  This file is the
 * one place where a pfn entry is built, so every check (the VMA allows raw
 * pfns, the range lies in the VMA, address and pfn are aligned for the level,
 * the pfn exists) is made here once, and the marker (special, devmap, or
 * nothing) is chosen here by the machine's policy, never by a driver.
 */
#include "mm/internal.h"

#define HP_MAX_PFN	(__PHYSICAL_MASK >> PAGE_SHIFT)

static bool pfn_is_devmap(unsigned long pfn)
{
	struct dev_pagemap *pgmap = get_dev_pagemap(pfn);

	put_dev_pagemap(pgmap);
	return pgmap != NULL;
}

/* A VMA may take raw pfns if it says so, in exactly one way, and is not COW. */
static bool vma_takes_pfns(const struct vm_area_struct *vma)
{
	unsigned long f = vma->vm_flags & (VM_PFNMAP | VM_MIXEDMAP);

	if (f != VM_PFNMAP && f != VM_MIXEDMAP)
		return false;
	return !(f == VM_PFNMAP && is_cow_mapping(vma->vm_flags));
}

/* ---- 4 KiB --------------------------------------------------------------- */

/* The PTE slot for addr, allocating tables; NULL with *ret set if impossible. */
static pte_t *walk_to_pte(struct mm_struct *mm, unsigned long addr, vm_fault_t *ret)
{
	p4d_t *p4d = p4d_offset(pgd_offset(mm, addr), addr);
	pud_t *pud = pud_alloc(mm, p4d, addr);
	pud_t pud_val_now;
	pmd_t pmd_val_now;
	pmd_t *pmd;

	*ret = VM_FAULT_OOM;
	if (!pud)
		return NULL;
	*ret = VM_FAULT_SIGBUS;		/* a huge leaf already covers addr */
	if (pud_leaf(pudp_get_lockless(pud)))
		return NULL;
	if (!pmd_alloc(mm, pud, addr)) {
		*ret = VM_FAULT_OOM;
		return NULL;
	}
	/* Walk on only through values that are tables, and from those values. */
	pud_val_now = pudp_get_lockless(pud);
	if (pud_none(pud_val_now) || pud_leaf(pud_val_now))
		return NULL;
	pmd = pmd_offset_lockless(pud_val_now, addr);
	if (pmd_none(pmdp_get_lockless(pmd)) && __pte_alloc(mm, pmd)) {
		*ret = VM_FAULT_OOM;
		return NULL;
	}
	pmd_val_now = pmdp_get_lockless(pmd);
	if (pmd_none(pmd_val_now) || pmd_leaf(pmd_val_now))
		return NULL;
	return pte_offset_lockless(pmd_val_now, addr);
}

static vm_fault_t insert_pfn(struct vm_area_struct *vma, unsigned long addr,
			     unsigned long pfn, pgprot_t prot, bool mkwrite)
{
	vm_fault_t ret;
	pte_t *pte = walk_to_pte(vma->vm_mm, addr, &ret);
	spinlock_t *ptl;
	pte_t old, entry;

	if (!pte)
		return ret;
	ptl = pte_lockptr(pte);
	spin_lock(ptl);
	old = ptep_get(pte);
	if (!pte_none(old)) {
		ret = VM_FAULT_NOPAGE;
		if (pte_pfn(old) != pfn)
			ret = VM_FAULT_SIGBUS;
		else if (mkwrite)
			set_pte_at(pte, pte_mkwrite(pte_mkyoung(pte_mkdirty(old))));
		spin_unlock(ptl);
		return ret;
	}
	entry = pfn_pte(pfn, prot);
	entry = pfn_is_devmap(pfn) ? pte_mkdevmap(entry) : pte_mkspecial(entry);
	if (mkwrite)
		entry = pte_mkwrite(pte_mkyoung(pte_mkdirty(entry)));
	if (pte_devmap(entry))
		hp_devmap_entry_get(pfn);
	set_pte_at(pte, entry);
	spin_unlock(ptl);
	return VM_FAULT_NOPAGE;
}

static bool pte_insert_ok(const struct vm_area_struct *vma, unsigned long addr,
			  unsigned long pfn)
{
	return addr >= vma->vm_start && addr < vma->vm_end &&
	       !(addr & ~PAGE_MASK) && pfn <= HP_MAX_PFN;
}

vm_fault_t vmf_insert_pfn_prot(struct vm_area_struct *vma, unsigned long addr,
			       unsigned long pfn, pgprot_t pgprot)
{
	if (!vma_takes_pfns(vma) || !pte_insert_ok(vma, addr, pfn))
		return VM_FAULT_SIGBUS;
	return insert_pfn(vma, addr, pfn, pgprot, false);
}

vm_fault_t vmf_insert_pfn(struct vm_area_struct *vma, unsigned long addr,
			  unsigned long pfn)
{
	return vmf_insert_pfn_prot(vma, addr, pfn, vma->vm_page_prot);
}

/*
 * In a mixed map a pfn with a struct page could be mapped as a normal page;
 * with a PTE special bit (x86 has one) Linux maps every pfn special instead.
 */
vm_fault_t vmf_insert_mixed(struct vm_area_struct *vma, unsigned long addr,
			    unsigned long pfn)
{
	if (!(vma->vm_flags & VM_MIXEDMAP) || !vma_takes_pfns(vma) ||
	    !pte_insert_ok(vma, addr, pfn))
		return VM_FAULT_SIGBUS;
	return insert_pfn(vma, addr, pfn, vma->vm_page_prot, false);
}

/* ---- huge ---------------------------------------------------------------- */

/*
 * What marks a huge pfn entry, per policy (see fault.h).  The return value is
 * the bits to set: 0 is an unmarked entry that gup-fast will take for a THP.
 */
static uint64_t huge_pfn_marker(unsigned long pfn)
{
	bool devmap = pfn_is_devmap(pfn);

	switch (hp_policy()) {
	case HP_POLICY_PLAIN:
		return devmap ? _PAGE_DEVMAP : 0;
	case HP_POLICY_DEVMAP:
		return _PAGE_DEVMAP;
	default:
		return devmap ? _PAGE_DEVMAP : _PAGE_SPECIAL;
	}
}

/* The common checks of the huge helpers; 0 if the insert may go ahead. */
static vm_fault_t huge_insert_check(struct vm_fault *vmf, unsigned long pfn,
				    unsigned long size, unsigned long *haddr)
{
	struct vm_area_struct *vma = vmf->vma;

	if (hp_policy() == HP_POLICY_NONE)
		return VM_FAULT_FALLBACK;
	*haddr = vmf->address & ~(size - 1);
	if (!vma_takes_pfns(vma) || *haddr < vma->vm_start ||
	    *haddr + size > vma->vm_end || *haddr + size < *haddr)
		return VM_FAULT_SIGBUS;
	if (pfn & ((size >> PAGE_SHIFT) - 1) || pfn > HP_MAX_PFN)
		return VM_FAULT_SIGBUS;
	return 0;
}

vm_fault_t vmf_insert_pfn_pmd_prot(struct vm_fault *vmf, unsigned long pfn,
				   pgprot_t pgprot, bool write)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long haddr;
	vm_fault_t ret = huge_insert_check(vmf, pfn, PMD_SIZE, &haddr);
	spinlock_t *ptl;
	pmd_t old, entry;

	if (ret)
		return ret;
	if (!vmf->pmd)
		return VM_FAULT_SIGBUS;
	entry = pmd_mkhuge(pfn_pmd(pfn, pgprot_4k_2_large(pgprot)));
	entry = pmd_set_flags(entry, huge_pfn_marker(pfn));
	if (write) {
		entry = pmd_mkyoung(pmd_mkdirty(entry));
		if (vma->vm_flags & VM_WRITE)
			entry = pmd_mkwrite(entry);
	}

	ptl = pmd_lockptr(vmf->pmd);
	spin_lock(ptl);
	old = pmdp_get(vmf->pmd);
	ret = VM_FAULT_NOPAGE;
	if (pmd_none(old)) {
		if (pmd_devmap(entry))
			hp_devmap_entry_get(pfn);
		set_pmd_at(vmf->pmd, entry);
	} else if (!pmd_leaf(old) || pmd_pfn(old) != pfn) {
		ret = VM_FAULT_SIGBUS;
	} else if (write) {
		old = pmd_mkyoung(pmd_mkdirty(old));
		if (vma->vm_flags & VM_WRITE)
			old = pmd_mkwrite(old);
		set_pmd_at(vmf->pmd, old);
	}
	spin_unlock(ptl);
	return ret;
}

vm_fault_t vmf_insert_pfn_pmd(struct vm_fault *vmf, unsigned long pfn, bool write)
{
	return vmf_insert_pfn_pmd_prot(vmf, pfn, vmf->vma->vm_page_prot, write);
}

vm_fault_t vmf_insert_pfn_pud_prot(struct vm_fault *vmf, unsigned long pfn,
				   pgprot_t pgprot, bool write)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long haddr;
	vm_fault_t ret = huge_insert_check(vmf, pfn, PUD_SIZE, &haddr);
	spinlock_t *ptl;
	pud_t old, entry;

	if (ret)
		return ret;
	if (!vmf->pud)
		return VM_FAULT_SIGBUS;
	entry = pud_mkhuge(pfn_pud(pfn, pgprot_4k_2_large(pgprot)));
	entry = pud_set_flags(entry, huge_pfn_marker(pfn));
	if (write) {
		entry = pud_mkyoung(pud_mkdirty(entry));
		if (vma->vm_flags & VM_WRITE)
			entry = pud_mkwrite(entry);
	}

	ptl = pud_lockptr(vma->vm_mm, vmf->pud);
	spin_lock(ptl);
	old = pudp_get(vmf->pud);
	ret = VM_FAULT_NOPAGE;
	if (pud_none(old)) {
		if (pud_devmap(entry))
			hp_devmap_entry_get(pfn);
		set_pud_at(vmf->pud, entry);
	} else if (!pud_leaf(old) || pud_pfn(old) != pfn) {
		ret = VM_FAULT_SIGBUS;
	} else if (write) {
		old = pud_mkyoung(pud_mkdirty(old));
		if (vma->vm_flags & VM_WRITE)
			old = pud_mkwrite(old);
		set_pud_at(vmf->pud, old);
	}
	spin_unlock(ptl);
	return ret;
}

vm_fault_t vmf_insert_pfn_pud(struct vm_fault *vmf, unsigned long pfn, bool write)
{
	return vmf_insert_pfn_pud_prot(vmf, pfn, vmf->vma->vm_page_prot, write);
}
