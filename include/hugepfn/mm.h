/* SPDX-License-Identifier: MIT */
/* Address spaces: mm_struct, VMAs, mappable objects, mmap. */
#ifndef HUGEPFN_MM_H
#define HUGEPFN_MM_H

#include <sys/mman.h>	/* PROT_* and MAP_*: the host's values are Linux's */

#include <hugepfn/memory.h>

HP_BEGIN_DECLS

/* vm_flags, with Linux's values. */
#define VM_NONE		0x00000000UL
#define VM_READ		0x00000001UL
#define VM_WRITE	0x00000002UL
#define VM_EXEC		0x00000004UL
#define VM_SHARED	0x00000008UL
#define VM_MAYREAD	0x00000010UL
#define VM_MAYWRITE	0x00000020UL
#define VM_MAYEXEC	0x00000040UL
#define VM_MAYSHARE	0x00000080UL
#define VM_PFNMAP	0x00000400UL	/* pure pfns, no struct page behind them */
#define VM_IO		0x00004000UL	/* memory-mapped I/O */
#define VM_DONTEXPAND	0x00040000UL
#define VM_DONTDUMP	0x04000000UL
#define VM_MIXEDMAP	0x10000000UL	/* struct pages and pure pfns mixed */
#define VM_HUGEPAGE	0x20000000UL	/* MADV_HUGEPAGE */
#define VM_NOHUGEPAGE	0x40000000UL

#define IS_ERR_VALUE(x)	((unsigned long)(x) >= (unsigned long)-4095)

struct vm_area_struct;
struct vm_operations_struct;
struct file;
struct mm_struct;

/* The pages or pfns behind a mappable object, and who maps them (rmap). */
struct address_space {
	struct rw_semaphore i_mmap_rwsem;
	struct list_head i_mmap;	/* VMAs mapping this object */
	struct page **pages;		/* page cache of shared anonymous memory */
	unsigned long nr_pages;
};

struct file_operations {
	int (*mmap)(struct file *file, struct vm_area_struct *vma);
	/* Where to map len bytes from page pgoff (Linux has no mm argument: current's). */
	unsigned long (*get_unmapped_area)(struct file *file, struct mm_struct *mm,
					   unsigned long addr, unsigned long len,
					   unsigned long pgoff);
	void (*release)(struct file *file);	/* the last reference went */
};

/* A mappable object: a device, a BO, shared anonymous memory. */
struct file {
	const struct file_operations *f_op;
	struct address_space *f_mapping;
	void *private_data;
	atomic_long f_count;
};

/*
 * A VMA's links in its mm's VMA tree (src/mm/vma_tree.c): an AVL tree by
 * address whose nodes are also linked in address order, each node knowing
 * its subtree's height and the largest gap below one of its VMAs.  Written
 * and read only under the mmap lock.  Between its removal from the tree and
 * its end, next links the VMAs an unmap has taken out.
 */
struct hp_vma_node {
	struct vm_area_struct *left, *right;	/* first: what a lookup reads */
	struct vm_area_struct *parent;
	struct vm_area_struct *prev, *next;	/* in address order (Linux < 6.1: vm_prev, vm_next) */
	unsigned long subtree_gap;	/* largest gap between a VMA in it and the one before */
	int height;			/* of the subtree: 1 for a leaf */
};

struct vm_area_struct {
	unsigned long vm_start;		/* first byte */
	unsigned long vm_end;		/* first byte after */
	/* In vm_mm->vma_tree; beside the bounds, so a lookup reads one cache line a VMA. */
	struct hp_vma_node vm_node;
	struct mm_struct *vm_mm;
	pgprot_t vm_page_prot;
	unsigned long vm_flags;
	const struct vm_operations_struct *vm_ops;
	unsigned long vm_pgoff;		/* offset in vm_file, in pages */
	struct file *vm_file;
	void *vm_private_data;
	struct list_head shared;	/* link in vm_file->f_mapping->i_mmap */
	/*
	 * An anonymous page was mapped here (Linux: vma->anon_vma is set).  Set
	 * by the first fault that maps one (vmf_anon_prepare()), kept by splits
	 * and fork; fork copies a private VMA's entries only if it is set.
	 */
	atomic_bool anon_vma;
};

/* Page-table pages by level. */
enum hp_table_level { HP_TABLE_PGD, HP_TABLE_PUD, HP_TABLE_PMD, HP_TABLE_PTE,
		      HP_NR_TABLE_LEVELS };

/* Fault outcomes counted per address space. */
enum hp_fault_result {
	HP_FAULT_RESOLVED,	/* no error: mapped, or found mapped */
	HP_FAULT_SIGSEGV,
	HP_FAULT_SIGBUS,
	HP_FAULT_OOM,
	HP_NR_FAULT_RESULTS
};

struct hp_fault_stats {
	atomic_ulong total;	/* min_flt: faults that did not end in an error */
	atomic_ulong result[HP_NR_FAULT_RESULTS];
	atomic_ulong resolved_at[HP_LEVEL_PUD + 1];	/* by enum hp_level */
	atomic_ulong fallback[HP_LEVEL_PUD + 1];	/* huge attempts that fell back */
};

struct mm_struct {
	pgd_t *pgd;
	struct rw_semaphore mmap_lock;
	spinlock_t page_table_lock;	/* populating PGD/PUD slots, PUD leaves */
	struct vm_area_struct *vma_tree;	/* root of the VMA tree, under mmap_lock */
	/* In the tree, or NULL: where a lookup tries first.  Written under mmap_lock for write. */
	struct vm_area_struct *vma_hint;
	unsigned int map_count;		/* VMAs in it */
	unsigned long mmap_base;	/* unaddressed mappings go below */
	atomic_long nr_tables[HP_NR_TABLE_LEVELS];
	atomic_long rss;		/* pages mapped with a reference */
	/* Odd while fork write-protects: gup-fast pins taken meanwhile are undone. */
	atomic_uint write_protect_seq;
	struct hp_fault_stats faults;
};

struct mm_struct *mm_alloc(void);
/* Tears the address space down (every mapping, every table) and frees it. */
void mmput(struct mm_struct *mm);

/*
 * Maps len bytes.  addr is a hint unless flags has MAP_FIXED; file is NULL for
 * anonymous memory (MAP_SHARED anonymous memory gets its own shared object).
 * Returns the address, or a negative errno as an IS_ERR_VALUE() value.
 */
unsigned long hp_mmap(struct mm_struct *mm, struct file *file, unsigned long addr,
		      unsigned long len, unsigned long prot, unsigned long flags,
		      unsigned long pgoff);
/*
 * What user space does when it wants a mapping at an address that is skew
 * past a multiple of align (QEMU for a vfio BAR it wants on 1 GiB entries):
 * reserve len + align bytes of PROT_NONE memory, give them back, and map at
 * the chosen address inside with MAP_FIXED_NOREPLACE.  mm itself never
 * aligns to more than PMD_SIZE; only a file's hook may (the series' for BOs).  align: a power of two, at least a
 * page; skew: page-aligned and below align.  Returns as hp_mmap().
 */
unsigned long hp_mmap_aligned(struct mm_struct *mm, struct file *file, unsigned long len,
			      unsigned long prot, unsigned long flags, unsigned long pgoff,
			      unsigned long align, unsigned long skew);
/* Unmaps [addr, addr + len), splitting VMAs at the edges; 0 or -EINVAL/-ENOMEM. */
int hp_munmap(struct mm_struct *mm, unsigned long addr, size_t len);
/* Changes the protection of [addr, addr + len), which must be fully mapped. */
int hp_mprotect(struct mm_struct *mm, unsigned long addr, size_t len, unsigned long prot);
/*
 * mremap(2) as Linux 6.12: flags are MREMAP_MAYMOVE, MREMAP_FIXED (new_addr)
 * and MREMAP_DONTUNMAP.  Returns the mapping's address, or a negative errno as
 * an IS_ERR_VALUE() value.
 */
unsigned long hp_mremap(struct mm_struct *mm, unsigned long addr, unsigned long old_len,
			unsigned long new_len, unsigned long flags, unsigned long new_addr);
/* Huge PUD leaves that mremap found and cleared as bad puds (machine-wide, ever). */
unsigned long hp_bad_pud_count(void);
/* A copy of mm as fork() makes it (private memory copy-on-write); NULL on OOM. */
struct mm_struct *hp_fork(struct mm_struct *mm);
/* MADV_HUGEPAGE / MADV_NOHUGEPAGE on whole VMAs inside [addr, addr + len). */
int hp_madvise(struct mm_struct *mm, unsigned long addr, unsigned long len,
	       int advice);

/* The first VMA that ends above addr (it may start above it too), or NULL; O(log n). */
struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr);
/* The mmap lock: held for read by faults and lookups, for write by changes. */
void mmap_read_lock(struct mm_struct *mm);
void mmap_read_unlock(struct mm_struct *mm);
pgprot_t vm_get_page_prot(unsigned long vm_flags);

static inline bool vma_is_anonymous(const struct vm_area_struct *vma)
{
	return !vma->vm_ops;
}
static inline bool is_cow_mapping(unsigned long flags)
{
	return (flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE;
}
/* Mappings whose huge entries are zapped, never split into PTEs. */
static inline bool vma_is_special_huge(const struct vm_area_struct *vma)
{
	return vma->vm_file && (vma->vm_flags & (VM_PFNMAP | VM_MIXEDMAP));
}

/* Unmaps [address, address + size) of one VMA (the page tables stay). */
void zap_page_range_single(struct vm_area_struct *vma, unsigned long address,
			   unsigned long size);
/*
 * Unmaps bytes [holebegin, holebegin + holelen) of an object (0: to the end)
 * from every VMA mapping it, in every process.  Without even_cows, private
 * (copy-on-write) mappings keep what they have.
 */
void unmap_mapping_range(struct address_space *mapping, uint64_t holebegin,
			 uint64_t holelen, bool even_cows);

/* A file for a driver: f_op and private data, one reference. */
struct file *hp_file_create(const struct file_operations *f_op, void *private_data);
void fput(struct file *file);

/* Page-table pages machine-wide: ever allocated, ever freed, waiting for a grace period. */
struct hp_pgtable_stats {
	unsigned long allocated, freed, pending;
};
void hp_pgtable_stats(struct hp_pgtable_stats *stats);

/* Present leaf entries, by level and kind. */
enum hp_entry_kind { HP_KIND_NORMAL, HP_KIND_SPECIAL, HP_KIND_DEVMAP, HP_NR_KINDS };
const char *hp_entry_kind_name(enum hp_entry_kind kind);
struct hp_entry_counts {
	unsigned long leaves[HP_LEVEL_PUD + 1][HP_NR_KINDS];	/* by enum hp_level */
	unsigned long tables[HP_NR_TABLE_LEVELS];	/* reachable table pages */
	unsigned long deposited;	/* PTE tables held in reserve by THPs */
};
/* Walks mm's tables (under its mmap lock) and counts what is there. */
void hp_mm_count_entries(struct mm_struct *mm, struct hp_entry_counts *counts);
/*
 * The entry that maps addr: its level (HP_LEVEL_NONE if nothing maps it) and
 * raw value.  Read under the mmap lock; a snapshot.
 */
enum hp_level hp_lookup_entry(struct mm_struct *mm, unsigned long addr, uint64_t *val);
/* The same with no lock: the caller keeps the tables still (the checker's threads are stopped). */
enum hp_level __hp_lookup_entry(struct mm_struct *mm, unsigned long addr, uint64_t *val);
/* What a leaf at level maps: PAGE_SIZE, PMD_SIZE or PUD_SIZE; 0 for HP_LEVEL_NONE. */
static inline unsigned long hp_level_size(enum hp_level level)
{
	return level == HP_LEVEL_PUD ? PUD_SIZE : level == HP_LEVEL_PMD ? PMD_SIZE :
	       level == HP_LEVEL_PTE ? PAGE_SIZE : 0;
}
/*
 * The first entry that hp_lookup_entry() would find at an address in
 * [*addr, end): its level (HP_LEVEL_NONE if there is none) and raw value, and
 * in *addr where what it maps begins (a huge leaf's start, which lies below
 * the *addr given when the leaf covers it).  Empty table slots are skipped
 * whole: the cost is what the tables hold, not the span.  Read under the mmap
 * lock; a snapshot.  Walking a range:
 *     for (a = start; (l = hp_next_entry(mm, &a, end, &v)); a += hp_level_size(l))
 */
enum hp_level hp_next_entry(struct mm_struct *mm, unsigned long *addr, unsigned long end,
			    uint64_t *val);

HP_END_DECLS

#endif
