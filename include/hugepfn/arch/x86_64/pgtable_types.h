/* SPDX-License-Identifier: MIT */
/*
 * x86-64 page-table entry format, bit for bit as Linux 6.12 lays it out.
 *
 * Four-level paging with 48-bit virtual addresses: PGD -> (P4D, folded into
 * the PGD) -> PUD -> PMD -> PTE.  Every level is a 4 KiB table of 512 eight-byte
 * entries.  A PUD or PMD entry with PSE set is a leaf (1 GiB or 2 MiB page).
 */
#ifndef HUGEPFN_ARCH_X86_64_PGTABLE_TYPES_H
#define HUGEPFN_ARCH_X86_64_PGTABLE_TYPES_H

#include <stdint.h>

#define _PAGE_BIT_PRESENT	0	/* entry is valid */
#define _PAGE_BIT_RW		1	/* writable */
#define _PAGE_BIT_USER		2	/* user-mode accessible */
#define _PAGE_BIT_PWT		3	/* page write-through (PAT index bit 0) */
#define _PAGE_BIT_PCD		4	/* page cache disabled (PAT index bit 1) */
#define _PAGE_BIT_ACCESSED	5	/* set by the MMU on any access */
#define _PAGE_BIT_DIRTY		6	/* set by the MMU on a write (leaves only) */
#define _PAGE_BIT_PSE		7	/* PMD/PUD: this entry is a huge leaf */
#define _PAGE_BIT_PAT		7	/* 4 KiB PTE: PAT index bit 2 */
#define _PAGE_BIT_GLOBAL	8	/* global TLB entry */
#define _PAGE_BIT_SOFTW1	9	/* available to software */
#define _PAGE_BIT_SOFTW2	10	/* available to software */
#define _PAGE_BIT_SOFTW3	11	/* available to software */
#define _PAGE_BIT_PAT_LARGE	12	/* PMD/PUD leaf: PAT index bit 2 */
/*
 * SOFTW4 moved from bit 58 to bit 57 in Linux 6.6, when the shadow-stack work
 * took bit 58 as SOFTW5 (SAVED_DIRTY).  Linux 6.1 and older therefore have
 * DEVMAP at bit 58; this layout is the 6.12 one.
 */
#define _PAGE_BIT_SOFTW4	57	/* available to software */
#define _PAGE_BIT_SOFTW5	58	/* available to software */
#define _PAGE_BIT_PKEY_BIT0	59	/* protection key, bit 0 */
#define _PAGE_BIT_PKEY_BIT1	60
#define _PAGE_BIT_PKEY_BIT2	61
#define _PAGE_BIT_PKEY_BIT3	62
#define _PAGE_BIT_NX		63	/* no execute */

/* Software meanings given to the free bits. */
#define _PAGE_BIT_SPECIAL	_PAGE_BIT_SOFTW1 /* no struct page to refcount */
#define _PAGE_BIT_CPA_TEST	_PAGE_BIT_SOFTW1 /* kernel CPA self-test only */
#define _PAGE_BIT_UFFD_WP	_PAGE_BIT_SOFTW2 /* userfaultfd write-protect */
#define _PAGE_BIT_SOFT_DIRTY	_PAGE_BIT_SOFTW3 /* soft-dirty tracking */
#define _PAGE_BIT_KERNEL_4K	_PAGE_BIT_SOFTW3 /* kernel mappings never merged */
#define _PAGE_BIT_DEVMAP	_PAGE_BIT_SOFTW4 /* ZONE_DEVICE page with a dev_pagemap */
#define _PAGE_BIT_SAVED_DIRTY	_PAGE_BIT_SOFTW5 /* the dirty bit of a read-only leaf */
#define _PAGE_BIT_NOPTISHADOW	_PAGE_BIT_SOFTW5 /* root entries only */
/* A non-present entry with GLOBAL set is PROT_NONE (present to software). */
#define _PAGE_BIT_PROTNONE	_PAGE_BIT_GLOBAL

/* Not the kernel's _AT(T, X): <linux/const.h> defines that one, with two arguments. */
#define __HP_BIT(n)		(((uint64_t)1) << (n))
#define _PAGE_PRESENT		__HP_BIT(_PAGE_BIT_PRESENT)
#define _PAGE_RW		__HP_BIT(_PAGE_BIT_RW)
#define _PAGE_USER		__HP_BIT(_PAGE_BIT_USER)
#define _PAGE_PWT		__HP_BIT(_PAGE_BIT_PWT)
#define _PAGE_PCD		__HP_BIT(_PAGE_BIT_PCD)
#define _PAGE_ACCESSED		__HP_BIT(_PAGE_BIT_ACCESSED)
#define _PAGE_DIRTY		__HP_BIT(_PAGE_BIT_DIRTY)
#define _PAGE_PSE		__HP_BIT(_PAGE_BIT_PSE)
#define _PAGE_PAT		__HP_BIT(_PAGE_BIT_PAT)
#define _PAGE_GLOBAL		__HP_BIT(_PAGE_BIT_GLOBAL)
#define _PAGE_SOFTW1		__HP_BIT(_PAGE_BIT_SOFTW1)
#define _PAGE_SOFTW2		__HP_BIT(_PAGE_BIT_SOFTW2)
#define _PAGE_SOFTW3		__HP_BIT(_PAGE_BIT_SOFTW3)
#define _PAGE_PAT_LARGE		__HP_BIT(_PAGE_BIT_PAT_LARGE)
#define _PAGE_SOFTW4		__HP_BIT(_PAGE_BIT_SOFTW4)
#define _PAGE_SOFTW5		__HP_BIT(_PAGE_BIT_SOFTW5)
#define _PAGE_PKEY_BIT0		__HP_BIT(_PAGE_BIT_PKEY_BIT0)
#define _PAGE_PKEY_BIT1		__HP_BIT(_PAGE_BIT_PKEY_BIT1)
#define _PAGE_PKEY_BIT2		__HP_BIT(_PAGE_BIT_PKEY_BIT2)
#define _PAGE_PKEY_BIT3		__HP_BIT(_PAGE_BIT_PKEY_BIT3)
#define _PAGE_NX		__HP_BIT(_PAGE_BIT_NX)
#define _PAGE_SPECIAL		__HP_BIT(_PAGE_BIT_SPECIAL)
#define _PAGE_CPA_TEST		__HP_BIT(_PAGE_BIT_CPA_TEST)
#define _PAGE_UFFD_WP		__HP_BIT(_PAGE_BIT_UFFD_WP)
#define _PAGE_SOFT_DIRTY	__HP_BIT(_PAGE_BIT_SOFT_DIRTY)
#define _PAGE_DEVMAP		__HP_BIT(_PAGE_BIT_DEVMAP)
#define _PAGE_SAVED_DIRTY	__HP_BIT(_PAGE_BIT_SAVED_DIRTY)
#define _PAGE_PROTNONE		__HP_BIT(_PAGE_BIT_PROTNONE)

#define _PAGE_PKEY_MASK		(_PAGE_PKEY_BIT0 | _PAGE_PKEY_BIT1 | \
				 _PAGE_PKEY_BIT2 | _PAGE_PKEY_BIT3)
/* Either bit records a dirty page: SAVED_DIRTY on read-only leaves, DIRTY on writable ones. */
#define _PAGE_DIRTY_BITS	(_PAGE_DIRTY | _PAGE_SAVED_DIRTY)
#define _PAGE_CACHE_MASK	(_PAGE_PWT | _PAGE_PCD | _PAGE_PAT)
#define _PAGE_LARGE_CACHE_MASK	(_PAGE_PWT | _PAGE_PCD | _PAGE_PAT_LARGE)

/* What an upper-level entry pointing at a table carries. */
#define _PAGE_TABLE		(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | \
				 _PAGE_ACCESSED | _PAGE_DIRTY)
#define _KERNPG_TABLE		(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | \
				 _PAGE_DIRTY)

/*
 * Geometry.  glibc's <sys/user.h> spells the first three exactly so, which
 * makes either order of inclusion a benign redefinition; a libc that spells
 * them otherwise (musl's <limits.h> has PAGE_SIZE 4096) gets these instead.
 */
#undef PAGE_SHIFT
#undef PAGE_SIZE
#undef PAGE_MASK
#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#define PAGE_MASK		(~(PAGE_SIZE-1))
#define PMD_SHIFT		21
#define PMD_SIZE		(1UL << PMD_SHIFT)
#define PMD_MASK		(~(PMD_SIZE - 1))
#define PUD_SHIFT		30
#define PUD_SIZE		(1UL << PUD_SHIFT)
#define PUD_MASK		(~(PUD_SIZE - 1))
#define P4D_SHIFT		39	/* folded: one P4D entry per PGD entry */
#define PGDIR_SHIFT		39
#define PGDIR_SIZE		(1UL << PGDIR_SHIFT)
#define PTRS_PER_PTE		512
#define PTRS_PER_PMD		512
#define PTRS_PER_PUD		512
#define PTRS_PER_P4D		1
#define PTRS_PER_PGD		512
#define PMD_ORDER		(PMD_SHIFT - PAGE_SHIFT)	/* 9 */
#define PUD_ORDER		(PUD_SHIFT - PAGE_SHIFT)	/* 18 */
#define HPAGE_PMD_NR		(1UL << PMD_ORDER)
#define HPAGE_PUD_NR		(1UL << PUD_ORDER)
/* User addresses: the lower half of the 48-bit space, less the guard page. */
#define TASK_SIZE_MAX		((1UL << 47) - PAGE_SIZE)

/* Physical addresses are at most 52 bits wide. */
#define __PHYSICAL_MASK_SHIFT	52
#define __PHYSICAL_MASK		((uint64_t)((1ULL << __PHYSICAL_MASK_SHIFT) - 1))
#define PHYSICAL_PAGE_MASK	((uint64_t)PAGE_MASK & __PHYSICAL_MASK)
#define PHYSICAL_PMD_PAGE_MASK	((uint64_t)PMD_MASK & __PHYSICAL_MASK)
#define PHYSICAL_PUD_PAGE_MASK	((uint64_t)PUD_MASK & __PHYSICAL_MASK)
#define PTE_PFN_MASK		PHYSICAL_PAGE_MASK	/* bits 12..51 */
#define PTE_FLAGS_MASK		(~PTE_PFN_MASK)
#define PMD_PAGE_MASK		PHYSICAL_PMD_PAGE_MASK	/* bits 21..51 */
#define PUD_PAGE_MASK		PHYSICAL_PUD_PAGE_MASK	/* bits 30..51 */

/*
 * Bits that pXd_modify() (mprotect) must carry over from the old entry: the
 * pfn, caching, and every software bit, SPECIAL and DEVMAP included.  Huge
 * leaves also keep PSE and their relocated PAT bit.
 */
#define _COMMON_PAGE_CHG_MASK	(PTE_PFN_MASK | _PAGE_PCD | _PAGE_PWT | \
				 _PAGE_SPECIAL | _PAGE_ACCESSED | \
				 _PAGE_DIRTY_BITS | _PAGE_SOFT_DIRTY | \
				 _PAGE_DEVMAP | _PAGE_UFFD_WP)
#define _PAGE_CHG_MASK		(_COMMON_PAGE_CHG_MASK | _PAGE_PAT)
#define _HPAGE_CHG_MASK		(_COMMON_PAGE_CHG_MASK | _PAGE_PSE | \
				 _PAGE_PAT_LARGE)

typedef uint64_t pteval_t;
typedef uint64_t pmdval_t;
typedef uint64_t pudval_t;
typedef uint64_t p4dval_t;
typedef uint64_t pgdval_t;
typedef uint64_t pgprotval_t;

/* Distinct types per level: a pmd_t can never be passed where a pte_t goes. */
typedef struct { pteval_t pte; } pte_t;
typedef struct { pmdval_t pmd; } pmd_t;
typedef struct { pudval_t pud; } pud_t;
typedef struct { p4dval_t p4d; } p4d_t;
typedef struct { pgdval_t pgd; } pgd_t;
typedef struct { pgprotval_t pgprot; } pgprot_t;

/* A constant pgprot_t, for static initializers too (C++ has no compound literals). */
#ifdef __cplusplus
#define __HP_PGPROT(v)		(pgprot_t{ (v) })
#else
#define __HP_PGPROT(v)		((pgprot_t){ (v) })
#endif

/* Protections of user mappings (4 KiB encoding; PAT at bit 7). */
#define __PP	_PAGE_PRESENT
#define __RW	_PAGE_RW
#define _USR	_PAGE_USER
#define ___A	_PAGE_ACCESSED
#define __NX	_PAGE_NX
#define PAGE_NONE		__HP_PGPROT(_PAGE_PROTNONE | ___A)
#define PAGE_SHARED		__HP_PGPROT(__PP | __RW | _USR | ___A | __NX)
#define PAGE_SHARED_EXEC	__HP_PGPROT(__PP | __RW | _USR | ___A)
#define PAGE_COPY		__HP_PGPROT(__PP | _USR | ___A | __NX)
#define PAGE_COPY_EXEC		__HP_PGPROT(__PP | _USR | ___A)
#define PAGE_READONLY		__HP_PGPROT(__PP | _USR | ___A | __NX)
#define PAGE_READONLY_EXEC	__HP_PGPROT(__PP | _USR | ___A)

#endif
