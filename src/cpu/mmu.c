// SPDX-License-Identifier: MIT
/*
 * The software MMU.
 *
 * A walk reads each entry once with an acquire load, checks PRESENT, USER and
 * (for writes) RW at every level as the hardware does, stops at a PUD or PMD
 * with PSE, and sets ACCESSED (and DIRTY on a write) on the leaf with a locked
 * compare-and-exchange, as the page walker's locked update does.
 *
 * Safety: the walk and the copy of the bytes happen inside one RCU read-side
 * section.  Whoever clears an entry waits for a grace period before freeing
 * the page or table it pointed at (mm/mmu_gather.c), which is what a TLB
 * shootdown guarantees on real hardware: no access is still in flight.
 */
#include <string.h>

#include "host/rcu.h"
#include "mm/internal.h"

/* A fault that resolves but leaves the access impossible, this many times, is a bug. */
#define HP_MAX_FAULT_RETRIES 16

const char *hp_access_result_name(enum hp_access_result r)
{
	static const char *const names[] = {
		[HP_ACCESS_OK] = "ok", [HP_ACCESS_SIGSEGV] = "SIGSEGV",
		[HP_ACCESS_SIGBUS] = "SIGBUS", [HP_ACCESS_OOM] = "OOM",
	};

	return r <= HP_ACCESS_OOM ? names[r] : "?";
}

static bool entry_allows(uint64_t val, bool write)
{
	return (val & _PAGE_PRESENT) && (val & _PAGE_USER) &&
	       (!write || (val & _PAGE_RW));
}

enum walk_result { WALK_OK, WALK_FAULT, WALK_RACED };

/* The leaf permits the access: mark it accessed (and dirty), find the byte. */
static enum walk_result leaf_access(uint64_t *slot, uint64_t val, uint64_t pfn_mask,
				    unsigned long size, unsigned long addr,
				    bool write, phys_addr_t *phys)
{
	uint64_t need = _PAGE_ACCESSED | (write ? _PAGE_DIRTY : 0);

	if ((val & need) != need && !hp_entry_cmpxchg(slot, val, val | need))
		return WALK_RACED;
	*phys = (val & pfn_mask) + (addr & (size - 1));
	return WALK_OK;
}

static enum walk_result mmu_walk(struct mm_struct *mm, unsigned long addr,
				 bool write, phys_addr_t *phys)
{
	p4d_t *p4dp = p4d_offset(pgd_offset(mm, addr), addr);
	p4d_t p4d = p4dp_get_lockless(p4dp);
	pud_t *pudp;
	pmd_t *pmdp;
	pte_t *ptep;
	pud_t pud;
	pmd_t pmd;
	pte_t pte;

	if (!entry_allows(p4d_val(p4d), write))
		return WALK_FAULT;
	pudp = pud_offset_lockless(p4d, addr);
	pud = pudp_get_lockless(pudp);
	if (!entry_allows(pud_val(pud), write))
		return WALK_FAULT;
	if (pud_leaf(pud))
		return leaf_access(&pudp->pud, pud_val(pud), PHYSICAL_PUD_PAGE_MASK,
				   PUD_SIZE, addr, write, phys);
	pmdp = pmd_offset_lockless(pud, addr);
	pmd = pmdp_get_lockless(pmdp);
	if (!entry_allows(pmd_val(pmd), write))
		return WALK_FAULT;
	if (pmd_leaf(pmd))
		return leaf_access(&pmdp->pmd, pmd_val(pmd), PHYSICAL_PMD_PAGE_MASK,
				   PMD_SIZE, addr, write, phys);
	ptep = pte_offset_lockless(pmd, addr);
	pte = ptep_get_lockless(ptep);
	if (!entry_allows(pte_val(pte), write))
		return WALK_FAULT;
	return leaf_access(&ptep->pte, pte_val(pte), PTE_PFN_MASK, PAGE_SIZE,
			   addr, write, phys);
}

/*
 * x86's access_error(): a write needs VM_WRITE; a read, any of read, write
 * or exec.  Checked before mm sees the fault, so a refused access is no
 * fault of mm's (6.12's do_user_addr_fault() signals it as a bad area).
 */
static bool access_error(const struct vm_area_struct *vma, bool write)
{
	return !(vma->vm_flags & (write ? VM_WRITE : VM_READ | VM_WRITE | VM_EXEC));
}

/* The page-fault handler's part: find the VMA and let mm resolve the fault. */
static enum hp_access_result do_user_fault(struct mm_struct *mm, unsigned long addr,
					   bool write)
{
	struct vm_area_struct *vma;
	vm_fault_t ret;

	down_read(&mm->mmap_lock);
	vma = find_vma(mm, addr);
	if (!vma || addr < vma->vm_start || access_error(vma, write)) {
		up_read(&mm->mmap_lock);
		return HP_ACCESS_SIGSEGV;
	}
	ret = handle_mm_fault(vma, addr, FAULT_FLAG_USER | (write ? FAULT_FLAG_WRITE : 0));
	up_read(&mm->mmap_lock);
	if (ret & VM_FAULT_OOM)
		return HP_ACCESS_OOM;
	if (ret & VM_FAULT_SIGBUS)
		return HP_ACCESS_SIGBUS;
	if (ret & VM_FAULT_SIGSEGV)
		return HP_ACCESS_SIGSEGV;
	return HP_ACCESS_OK;
}

/* One access within one page: walk, fault until the walk succeeds, copy. */
static enum hp_access_result access_page(struct mm_struct *mm, unsigned long addr,
					 size_t len, bool write, void *buf)
{
	for (unsigned int faults = 0; faults <= HP_MAX_FAULT_RETRIES;) {
		enum hp_access_result r;
		enum walk_result w;
		phys_addr_t phys;
		char *host;

		hp_rcu_read_lock();
		w = mmu_walk(mm, addr, write, &phys);
		if (w == WALK_OK) {
			host = __va(phys);
			if (host && write)
				memcpy(host, buf, len);
			else if (host)
				memcpy(buf, host, len);
			hp_rcu_read_unlock();
			/* A pfn that no memory answers: a bus error. */
			return host ? HP_ACCESS_OK : HP_ACCESS_SIGBUS;
		}
		hp_rcu_read_unlock();
		if (w == WALK_RACED)
			continue;
		r = do_user_fault(mm, addr, write);
		if (r != HP_ACCESS_OK)
			return r;
		faults++;
	}
	hp_report_violation(addr >> PAGE_SHIFT, HP_LEVEL_NONE, "hp_access",
			    "fault resolved but the access still faults");
	return HP_ACCESS_SIGBUS;
}

enum hp_access_result hp_access(struct mm_struct *mm, unsigned long addr,
				size_t len, unsigned int how, void *buf)
{
	char *p = buf;

	if (addr + len < addr || addr + len > TASK_SIZE_MAX)
		return HP_ACCESS_SIGSEGV;
	while (len) {
		size_t chunk = PAGE_SIZE - (addr & ~PAGE_MASK);
		enum hp_access_result r;

		if (chunk > len)
			chunk = len;
		r = access_page(mm, addr, chunk, how == HP_ACCESS_WRITE, p);
		if (r != HP_ACCESS_OK)
			return r;
		addr += chunk;
		p += chunk;
		len -= chunk;
	}
	return HP_ACCESS_OK;
}

enum hp_access_result hp_access_fill(struct mm_struct *mm, unsigned long addr,
				     size_t len, int c)
{
	static _Thread_local char pattern[PAGE_SIZE];
	enum hp_access_result r = HP_ACCESS_OK;

	memset(pattern, c, sizeof(pattern));
	while (len && r == HP_ACCESS_OK) {
		size_t chunk = PAGE_SIZE - (addr & ~PAGE_MASK);

		if (chunk > len)
			chunk = len;
		r = hp_access(mm, addr, chunk, HP_ACCESS_WRITE, pattern);
		addr += chunk;
		len -= chunk;
	}
	return r;
}
