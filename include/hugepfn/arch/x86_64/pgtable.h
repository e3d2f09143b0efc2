/* SPDX-License-Identifier: MIT */
/*
 * x86-64 entry helpers: tiny predicates and transforms on pte_t, pmd_t and
 * pud_t values, computing the values Linux 6.12 computes.  None of them
 * touches memory; each transform changes exactly the bits its name says
 * (write-protecting and dirtying also keep DIRTY off read-only entries, see
 * mksaveddirty_shift()) and keeps every other bit, SPECIAL and DEVMAP
 * included, which tests/unit/test_pgtable.c proves for each one.
 */
#ifndef HUGEPFN_ARCH_X86_64_PGTABLE_H
#define HUGEPFN_ARCH_X86_64_PGTABLE_H

#include <stdbool.h>
#include <hugepfn/arch/x86_64/pgtable_types.h>

static inline pteval_t pte_val(pte_t pte) { return pte.pte; }
static inline pmdval_t pmd_val(pmd_t pmd) { return pmd.pmd; }
static inline pudval_t pud_val(pud_t pud) { return pud.pud; }
static inline p4dval_t p4d_val(p4d_t p4d) { return p4d.p4d; }
static inline pgdval_t pgd_val(pgd_t pgd) { return pgd.pgd; }
static inline pgprotval_t pgprot_val(pgprot_t p) { return p.pgprot; }
static inline pte_t __pte(pteval_t v) { pte_t e = { v }; return e; }
static inline pmd_t __pmd(pmdval_t v) { pmd_t e = { v }; return e; }
static inline pud_t __pud(pudval_t v) { pud_t e = { v }; return e; }
static inline p4d_t __p4d(p4dval_t v) { p4d_t e = { v }; return e; }
static inline pgd_t __pgd(pgdval_t v) { pgd_t e = { v }; return e; }
static inline pgprot_t __pgprot(pgprotval_t v) { pgprot_t e = { v }; return e; }

/*
 * A huge leaf keeps its PAT bit at bit 12 because bit 7 is PSE there.  These
 * move a protection between the 4 KiB and the huge encoding.
 */
static inline pgprot_t pgprot_4k_2_large(pgprot_t prot)
{
	pgprotval_t v = pgprot_val(prot);
	pgprotval_t pat = (v & _PAGE_PAT) ? _PAGE_PAT_LARGE : 0;

	return __pgprot((v & ~(_PAGE_PAT | _PAGE_PAT_LARGE)) | pat);
}

static inline pgprot_t pgprot_large_2_4k(pgprot_t prot)
{
	pgprotval_t v = pgprot_val(prot);
	pgprotval_t pat = (v & _PAGE_PAT_LARGE) ? _PAGE_PAT : 0;

	return __pgprot((v & ~(_PAGE_PAT | _PAGE_PAT_LARGE)) | pat);
}

/*
 * Caching modes, with Linux's PAT programming (entry 1 = write-combining,
 * entry 2 = uncached-minus).  4 KiB encoding.
 */
static inline pgprot_t pgprot_writecombine(pgprot_t prot)
{
	return __pgprot((pgprot_val(prot) & ~_PAGE_CACHE_MASK) | _PAGE_PWT);
}

static inline pgprot_t pgprot_noncached(pgprot_t prot)
{
	return __pgprot((pgprot_val(prot) & ~_PAGE_CACHE_MASK) | _PAGE_PCD);
}

/* ---- bits shared by every level ---------------------------------------- */

/*
 * L1TF: an entry that is not present to the hardware (PROT_NONE, or a leaf
 * being changed) keeps its pfn bits inverted, so that a speculative walk of
 * it points at memory that does not exist.  The all-zero entry is left as it
 * is.  pfn_pXd() inverts, pXd_pfn() undoes it, pXd_modify() flips the bits
 * when an entry goes from present to not or back (Linux 6.12,
 * arch/x86/include/asm/pgtable-invert.h).
 */
static inline bool __pte_needs_invert(uint64_t val)
{
	return val && !(val & _PAGE_PRESENT);
}

static inline uint64_t protnone_mask(uint64_t val)
{
	return __pte_needs_invert(val) ? ~0ULL : 0;
}

static inline uint64_t flip_protnone_guard(uint64_t oldval, uint64_t val, uint64_t mask)
{
	if (__pte_needs_invert(oldval) == __pte_needs_invert(val))
		return val;
	return (val & ~mask) | (~val & mask);
}

/*
 * The hardware reads Write=0,Dirty=1 as a shadow-stack page, so Linux 6.12
 * never builds one, shadow stacks enabled or not: a dirty entry made
 * read-only keeps its dirtiness in SAVED_DIRTY, and one made writable again
 * gets it back in DIRTY.  pXd_dirty() looks at both.
 */
static inline uint64_t mksaveddirty_shift(uint64_t v)
{
	if (v & _PAGE_RW)
		return v;
	if (v & _PAGE_DIRTY)
		v |= _PAGE_SAVED_DIRTY;
	return v & ~_PAGE_DIRTY;
}

static inline uint64_t clear_saveddirty_shift(uint64_t v)
{
	if (!(v & _PAGE_RW))
		return v;
	if (v & _PAGE_SAVED_DIRTY)
		v |= _PAGE_DIRTY;
	return v & ~_PAGE_SAVED_DIRTY;
}

/*
 * pXd_modify(): the bits in chg_mask stay, the rest come from the new
 * protection, the pfn is inverted again if presence changed, and dirtiness
 * follows the new RW bit (DIRTY on a writable entry, SAVED_DIRTY on a
 * read-only one).  An old read-only entry with DIRTY set -- a shadow-stack
 * page, which hugepfn never builds -- would keep it, as in Linux.
 */
static inline uint64_t hp_entry_modify(uint64_t old, uint64_t prot, uint64_t chg_mask,
				       uint64_t pfn_mask)
{
	uint64_t val = (old & chg_mask) | (prot & ~chg_mask);

	val = flip_protnone_guard(old, val, pfn_mask);
	return (old & _PAGE_RW) ? mksaveddirty_shift(val) : clear_saveddirty_shift(val);
}

/* ---- PTE ---------------------------------------------------------------- */

static inline pteval_t pte_flags(pte_t pte) { return pte_val(pte) & PTE_FLAGS_MASK; }
static inline bool pte_none(pte_t pte) { return pte_val(pte) == 0; }
static inline bool pte_present(pte_t pte)
{
	return pte_flags(pte) & (_PAGE_PRESENT | _PAGE_PROTNONE);
}
static inline bool pte_protnone(pte_t pte)
{
	return (pte_flags(pte) & (_PAGE_PROTNONE | _PAGE_PRESENT)) == _PAGE_PROTNONE;
}
static inline bool pte_write(pte_t pte) { return pte_flags(pte) & _PAGE_RW; }
static inline bool pte_dirty(pte_t pte) { return pte_flags(pte) & _PAGE_DIRTY_BITS; }
static inline bool pte_young(pte_t pte) { return pte_flags(pte) & _PAGE_ACCESSED; }
static inline bool pte_special(pte_t pte) { return pte_flags(pte) & _PAGE_SPECIAL; }
static inline bool pte_devmap(pte_t pte) { return pte_flags(pte) & _PAGE_DEVMAP; }
static inline bool pte_exec(pte_t pte) { return !(pte_flags(pte) & _PAGE_NX); }
static inline bool pte_soft_dirty(pte_t pte) { return pte_flags(pte) & _PAGE_SOFT_DIRTY; }
static inline bool pte_same(pte_t a, pte_t b) { return pte_val(a) == pte_val(b); }
static inline unsigned long pte_pfn(pte_t pte)
{
	return ((pte_val(pte) ^ protnone_mask(pte_val(pte))) & PTE_PFN_MASK) >> PAGE_SHIFT;
}
static inline pte_t pfn_pte(unsigned long pfn, pgprot_t prot)
{
	pteval_t phys = ((pteval_t)pfn << PAGE_SHIFT) ^ protnone_mask(pgprot_val(prot));

	return __pte((phys & PTE_PFN_MASK) | (pgprot_val(prot) & PTE_FLAGS_MASK));
}
static inline pgprot_t pte_pgprot(pte_t pte) { return __pgprot(pte_flags(pte)); }

static inline pte_t pte_set_flags(pte_t pte, pteval_t set) { return __pte(pte_val(pte) | set); }
static inline pte_t pte_clear_flags(pte_t pte, pteval_t clr) { return __pte(pte_val(pte) & ~clr); }
static inline pte_t pte_mkspecial(pte_t pte) { return pte_set_flags(pte, _PAGE_SPECIAL); }
/* A devmap PTE is also special, so PTE walkers that ignore devmap stay safe. */
static inline pte_t pte_mkdevmap(pte_t pte)
{
	return pte_set_flags(pte, _PAGE_SPECIAL | _PAGE_DEVMAP);
}
static inline pte_t pte_mkwrite(pte_t pte)
{
	return __pte(clear_saveddirty_shift(pte_val(pte) | _PAGE_RW));
}
static inline pte_t pte_wrprotect(pte_t pte)
{
	return __pte(mksaveddirty_shift(pte_val(pte) & ~_PAGE_RW));
}
/* As in Linux, dirtying also marks the entry soft-dirty. */
static inline pte_t pte_mkdirty(pte_t pte)
{
	return __pte(mksaveddirty_shift(pte_val(pte) | _PAGE_DIRTY | _PAGE_SOFT_DIRTY));
}
static inline pte_t pte_mkclean(pte_t pte) { return pte_clear_flags(pte, _PAGE_DIRTY_BITS); }
static inline pte_t pte_mkyoung(pte_t pte) { return pte_set_flags(pte, _PAGE_ACCESSED); }
static inline pte_t pte_mkold(pte_t pte) { return pte_clear_flags(pte, _PAGE_ACCESSED); }
static inline pte_t pte_modify(pte_t pte, pgprot_t newprot)
{
	return __pte(hp_entry_modify(pte_val(pte), pgprot_val(newprot), _PAGE_CHG_MASK,
				     PTE_PFN_MASK));
}

/* ---- PMD ---------------------------------------------------------------- */

/* A leaf's pfn starts at bit 21; below that are flags (PAT_LARGE at 12). */
static inline pmdval_t pmd_pfn_mask(pmd_t pmd)
{
	return (pmd_val(pmd) & _PAGE_PSE) ? PHYSICAL_PMD_PAGE_MASK : PTE_PFN_MASK;
}
static inline pmdval_t pmd_flags(pmd_t pmd) { return pmd_val(pmd) & ~pmd_pfn_mask(pmd); }
static inline bool pmd_none(pmd_t pmd) { return pmd_val(pmd) == 0; }
/* A leaf whose PRESENT bit is cleared while it is being changed still counts. */
static inline bool pmd_present(pmd_t pmd)
{
	return pmd_flags(pmd) & (_PAGE_PRESENT | _PAGE_PROTNONE | _PAGE_PSE);
}
static inline bool pmd_leaf(pmd_t pmd) { return pmd_val(pmd) & _PAGE_PSE; }
/* True for a table pointer that is not a well-formed user table entry. */
static inline bool pmd_bad(pmd_t pmd)
{
	return (pmd_flags(pmd) & ~(_PAGE_USER | _PAGE_ACCESSED)) !=
	       (_KERNPG_TABLE & ~_PAGE_ACCESSED);
}
static inline bool pmd_protnone(pmd_t pmd)
{
	return (pmd_flags(pmd) & (_PAGE_PROTNONE | _PAGE_PRESENT)) == _PAGE_PROTNONE;
}
/* As in Linux 6.12, a devmap leaf is not trans-huge; a special one is. */
static inline bool pmd_trans_huge(pmd_t pmd)
{
	return (pmd_val(pmd) & (_PAGE_PSE | _PAGE_DEVMAP)) == _PAGE_PSE;
}
static inline bool pmd_write(pmd_t pmd) { return pmd_flags(pmd) & _PAGE_RW; }
static inline bool pmd_dirty(pmd_t pmd) { return pmd_flags(pmd) & _PAGE_DIRTY_BITS; }
static inline bool pmd_young(pmd_t pmd) { return pmd_flags(pmd) & _PAGE_ACCESSED; }
static inline bool pmd_special(pmd_t pmd) { return pmd_flags(pmd) & _PAGE_SPECIAL; }
static inline bool pmd_devmap(pmd_t pmd) { return pmd_flags(pmd) & _PAGE_DEVMAP; }
static inline bool pmd_exec(pmd_t pmd) { return !(pmd_flags(pmd) & _PAGE_NX); }
static inline bool pmd_same(pmd_t a, pmd_t b) { return pmd_val(a) == pmd_val(b); }
static inline unsigned long pmd_pfn(pmd_t pmd)
{
	return ((pmd_val(pmd) ^ protnone_mask(pmd_val(pmd))) & pmd_pfn_mask(pmd)) >> PAGE_SHIFT;
}
/* Builds a leaf value: the pfn is cut to 2 MiB alignment, never spilling into flags. */
static inline pmd_t pfn_pmd(unsigned long pfn, pgprot_t prot)
{
	pmdval_t phys = ((pmdval_t)pfn << PAGE_SHIFT) ^ protnone_mask(pgprot_val(prot));

	return __pmd((phys & PHYSICAL_PMD_PAGE_MASK) |
		     (pgprot_val(prot) & ~PHYSICAL_PMD_PAGE_MASK));
}
static inline pgprot_t pmd_pgprot(pmd_t pmd) { return __pgprot(pmd_flags(pmd)); }

static inline pmd_t pmd_set_flags(pmd_t pmd, pmdval_t set) { return __pmd(pmd_val(pmd) | set); }
static inline pmd_t pmd_clear_flags(pmd_t pmd, pmdval_t clr) { return __pmd(pmd_val(pmd) & ~clr); }
static inline pmd_t pmd_mkhuge(pmd_t pmd) { return pmd_set_flags(pmd, _PAGE_PSE); }
static inline pmd_t pmd_mkspecial(pmd_t pmd) { return pmd_set_flags(pmd, _PAGE_SPECIAL); }
/* Unlike a PTE, a devmap PMD is not also special. */
static inline pmd_t pmd_mkdevmap(pmd_t pmd) { return pmd_set_flags(pmd, _PAGE_DEVMAP); }
static inline pmd_t pmd_mkwrite(pmd_t pmd)
{
	return __pmd(clear_saveddirty_shift(pmd_val(pmd) | _PAGE_RW));
}
static inline pmd_t pmd_wrprotect(pmd_t pmd)
{
	return __pmd(mksaveddirty_shift(pmd_val(pmd) & ~_PAGE_RW));
}
static inline pmd_t pmd_mkdirty(pmd_t pmd)
{
	return __pmd(mksaveddirty_shift(pmd_val(pmd) | _PAGE_DIRTY | _PAGE_SOFT_DIRTY));
}
static inline pmd_t pmd_mkclean(pmd_t pmd) { return pmd_clear_flags(pmd, _PAGE_DIRTY_BITS); }
static inline pmd_t pmd_mkyoung(pmd_t pmd) { return pmd_set_flags(pmd, _PAGE_ACCESSED); }
static inline pmd_t pmd_mkold(pmd_t pmd) { return pmd_clear_flags(pmd, _PAGE_ACCESSED); }
static inline pmd_t pmd_modify(pmd_t pmd, pgprot_t newprot)
{
	return __pmd(hp_entry_modify(pmd_val(pmd), pgprot_val(newprot), _HPAGE_CHG_MASK,
				     PHYSICAL_PMD_PAGE_MASK));
}

/* ---- PUD ---------------------------------------------------------------- */

static inline pudval_t pud_pfn_mask(pud_t pud)
{
	return (pud_val(pud) & _PAGE_PSE) ? PHYSICAL_PUD_PAGE_MASK : PTE_PFN_MASK;
}
static inline pudval_t pud_flags(pud_t pud) { return pud_val(pud) & ~pud_pfn_mask(pud); }
static inline bool pud_none(pud_t pud) { return pud_val(pud) == 0; }
static inline bool pud_present(pud_t pud) { return pud_flags(pud) & _PAGE_PRESENT; }
static inline bool pud_leaf(pud_t pud) { return pud_val(pud) & _PAGE_PSE; }
/* Any flag beyond a table entry's (PSE of a leaf included) makes it bad. */
static inline bool pud_bad(pud_t pud)
{
	return (pud_flags(pud) & ~(_KERNPG_TABLE | _PAGE_USER)) != 0;
}
static inline bool pud_trans_huge(pud_t pud)
{
	return (pud_val(pud) & (_PAGE_PSE | _PAGE_DEVMAP)) == _PAGE_PSE;
}
static inline bool pud_write(pud_t pud) { return pud_flags(pud) & _PAGE_RW; }
static inline bool pud_dirty(pud_t pud) { return pud_flags(pud) & _PAGE_DIRTY_BITS; }
static inline bool pud_young(pud_t pud) { return pud_flags(pud) & _PAGE_ACCESSED; }
static inline bool pud_special(pud_t pud) { return pud_flags(pud) & _PAGE_SPECIAL; }
static inline bool pud_devmap(pud_t pud) { return pud_flags(pud) & _PAGE_DEVMAP; }
static inline bool pud_exec(pud_t pud) { return !(pud_flags(pud) & _PAGE_NX); }
static inline bool pud_same(pud_t a, pud_t b) { return pud_val(a) == pud_val(b); }
static inline unsigned long pud_pfn(pud_t pud)
{
	return ((pud_val(pud) ^ protnone_mask(pud_val(pud))) & pud_pfn_mask(pud)) >> PAGE_SHIFT;
}
static inline pud_t pfn_pud(unsigned long pfn, pgprot_t prot)
{
	pudval_t phys = ((pudval_t)pfn << PAGE_SHIFT) ^ protnone_mask(pgprot_val(prot));

	return __pud((phys & PHYSICAL_PUD_PAGE_MASK) |
		     (pgprot_val(prot) & ~PHYSICAL_PUD_PAGE_MASK));
}
static inline pgprot_t pud_pgprot(pud_t pud) { return __pgprot(pud_flags(pud)); }

static inline pud_t pud_set_flags(pud_t pud, pudval_t set) { return __pud(pud_val(pud) | set); }
static inline pud_t pud_clear_flags(pud_t pud, pudval_t clr) { return __pud(pud_val(pud) & ~clr); }
static inline pud_t pud_mkhuge(pud_t pud) { return pud_set_flags(pud, _PAGE_PSE); }
static inline pud_t pud_mkspecial(pud_t pud) { return pud_set_flags(pud, _PAGE_SPECIAL); }
static inline pud_t pud_mkdevmap(pud_t pud) { return pud_set_flags(pud, _PAGE_DEVMAP); }
static inline pud_t pud_mkwrite(pud_t pud)
{
	return __pud(clear_saveddirty_shift(pud_val(pud) | _PAGE_RW));
}
static inline pud_t pud_wrprotect(pud_t pud)
{
	return __pud(mksaveddirty_shift(pud_val(pud) & ~_PAGE_RW));
}
static inline pud_t pud_mkdirty(pud_t pud)
{
	return __pud(mksaveddirty_shift(pud_val(pud) | _PAGE_DIRTY | _PAGE_SOFT_DIRTY));
}
static inline pud_t pud_mkclean(pud_t pud) { return pud_clear_flags(pud, _PAGE_DIRTY_BITS); }
static inline pud_t pud_mkyoung(pud_t pud) { return pud_set_flags(pud, _PAGE_ACCESSED); }
static inline pud_t pud_mkold(pud_t pud) { return pud_clear_flags(pud, _PAGE_ACCESSED); }
static inline pud_t pud_modify(pud_t pud, pgprot_t newprot)
{
	return __pud(hp_entry_modify(pud_val(pud), pgprot_val(newprot), _HPAGE_CHG_MASK,
				     PHYSICAL_PUD_PAGE_MASK));
}

/* ---- P4D / PGD (table entries only in 4-level paging) -------------------- */

static inline bool p4d_none(p4d_t p4d) { return p4d_val(p4d) == 0; }
static inline bool p4d_present(p4d_t p4d) { return p4d_val(p4d) & _PAGE_PRESENT; }
static inline unsigned long p4d_pfn(p4d_t p4d)
{
	return (p4d_val(p4d) & PTE_PFN_MASK) >> PAGE_SHIFT;
}
static inline bool pgd_none(pgd_t pgd) { return pgd_val(pgd) == 0; }
static inline bool pgd_present(pgd_t pgd) { return pgd_val(pgd) & _PAGE_PRESENT; }

/* ---- indices ------------------------------------------------------------ */

static inline unsigned long pgd_index(unsigned long addr)
{
	return (addr >> PGDIR_SHIFT) & (PTRS_PER_PGD - 1);
}
static inline unsigned long pud_index(unsigned long addr)
{
	return (addr >> PUD_SHIFT) & (PTRS_PER_PUD - 1);
}
static inline unsigned long pmd_index(unsigned long addr)
{
	return (addr >> PMD_SHIFT) & (PTRS_PER_PMD - 1);
}
static inline unsigned long pte_index(unsigned long addr)
{
	return (addr >> PAGE_SHIFT) & (PTRS_PER_PTE - 1);
}

#endif
