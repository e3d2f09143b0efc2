// SPDX-License-Identifier: MIT
/*
 * Address spaces and their VMAs: creation, mmap, placement, splitting,
 * munmap and the final teardown.  The VMAs themselves are kept in a tree
 * (vma_tree.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mm/internal.h"

/*
 * Unaddressed mappings are placed top-down below mmap_base, above
 * mmap_min_addr.  x86's mmap_base() without address-space randomization and
 * with the default 8 MiB stack limit: 128 MiB below the top of user space.
 */
#define MMAP_BASE	(TASK_SIZE_MAX - (128UL << 20))
#define MMAP_MIN	0x10000UL

struct mm_struct *mm_alloc(void)
{
	struct mm_struct *mm = calloc(1, sizeof(*mm));

	if (!mm)
		return NULL;
	if (hp_pgd_alloc(mm)) {
		free(mm);
		return NULL;
	}
	init_rwsem(&mm->mmap_lock);
	spin_lock_init(&mm->page_table_lock);
	mm->mmap_base = MMAP_BASE;
	return mm;
}

struct file *hp_file_create(const struct file_operations *f_op, void *private_data)
{
	struct file *file = calloc(1, sizeof(*file));
	struct address_space *mapping = calloc(1, sizeof(*mapping));

	if (!file || !mapping) {
		free(file);
		free(mapping);
		return NULL;
	}
	init_rwsem(&mapping->i_mmap_rwsem);
	INIT_LIST_HEAD(&mapping->i_mmap);
	file->f_op = f_op;
	file->f_mapping = mapping;
	file->private_data = private_data;
	atomic_init(&file->f_count, 1);
	return file;
}

void fput(struct file *file)
{
	if (atomic_fetch_sub(&file->f_count, 1) != 1)
		return;
	if (file->f_op->release)
		file->f_op->release(file);
	destroy_rwsem(&file->f_mapping->i_mmap_rwsem);
	free(file->f_mapping);
	free(file);
}

void mmap_read_lock(struct mm_struct *mm)
{
	down_read(&mm->mmap_lock);
}

void mmap_read_unlock(struct mm_struct *mm)
{
	up_read(&mm->mmap_lock);
}

static bool range_is_free(struct mm_struct *mm, unsigned long addr, unsigned long len)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	return !vma || vma->vm_start >= addr + len;
}

/* The highest page-aligned a in [lo, hi - len], or 0. */
static unsigned long fit_top_down(unsigned long lo, unsigned long hi, unsigned long len)
{
	if (hi < lo || hi - lo < len)
		return 0;
	return hi - len;
}

/*
 * x86's arch_get_unmapped_area_topdown(): a free hint is taken as it is,
 * else the highest gap below mmap_base that fits, in O(log n) with the VMA
 * tree's gap bookkeeping (6.12: the maple tree's, in vm_unmapped_area()).
 * The gaps, from the top: from the highest VMA starting below mmap_base up
 * to mmap_base, those between VMAs, and from mmap_min_addr up to the lowest
 * VMA.  The file offset plays no part (x86 aligns to it only on AMD family
 * 15h).
 */
unsigned long mm_get_unmapped_area(struct mm_struct *mm, unsigned long addr,
				   unsigned long len)
{
	unsigned long hi = mm->mmap_base;
	struct vm_area_struct *top;

	if (len > TASK_SIZE_MAX)
		return -ENOMEM;
	addr &= PAGE_MASK;
	if (addr >= MMAP_MIN && addr <= TASK_SIZE_MAX - len && range_is_free(mm, addr, len))
		return addr;
	top = hp_vma_last_below(mm, hi);
	if (top) {
		addr = fit_top_down(top->vm_end, hi, len);
		if (addr)
			return addr;
		addr = hp_vma_highest_gap_below(mm, hi, len);
		if (addr)
			return addr - len;
		hi = hp_vma_lowest_start(mm);
	}
	addr = fit_top_down(MMAP_MIN, hi, len);
	return addr ? addr : (unsigned long)-ENOMEM;
}

/*
 * Every aligning placement, as 6.12's __thp_get_unmapped_area(): room for
 * len plus align bytes, then the address in it that is congruent to the
 * file offset off modulo align.  mm places top-down, so the padded range
 * ends where the used address space above begins, and the highest such
 * address is taken: a range whose start already is congruent is left by a
 * whole align, so that no align bytes stay unused above the mapping.  The
 * hint if mm honours it; 0 when the padded length overflows or finds no
 * room (the caller falls back).
 */
unsigned long hp_get_aligned_area(struct mm_struct *mm, unsigned long addr, unsigned long len,
				  uint64_t off, unsigned long align)
{
	unsigned long ret, off_sub;

	if (len + align < len)
		return 0;
	ret = mm_get_unmapped_area(mm, addr, len + align);
	if (IS_ERR_VALUE(ret))
		return 0;
	if (ret == addr)
		return ret;
	off_sub = (off - ret) & (align - 1);
	return ret + (off_sub ? off_sub : align);
}

/*
 * __thp_get_unmapped_area() for the file offset off: 0 when padding is
 * impossible or pointless (the range of offsets holds no aligned block),
 * else hp_get_aligned_area().
 */
static unsigned long thp_get_unmapped_area_size(struct mm_struct *mm, unsigned long addr,
						unsigned long len, uint64_t off,
						unsigned long size)
{
	uint64_t off_end = off + len, off_align = (off + size - 1) & ~((uint64_t)size - 1);

	if (off_end <= off_align || off_end - off_align < size)
		return 0;
	if (off + len + size < off)
		return 0;
	return hp_get_aligned_area(mm, addr, len, off, size);
}

unsigned long thp_get_unmapped_area(struct mm_struct *mm, unsigned long addr,
				    unsigned long len, unsigned long pgoff,
				    unsigned long size)
{
	unsigned long ret = thp_get_unmapped_area_size(mm, addr, len,
						       (uint64_t)pgoff << PAGE_SHIFT, size);

	return ret ? ret : mm_get_unmapped_area(mm, addr, len);
}

/*
 * __get_unmapped_area(): the file's own hook if it has one; otherwise, with
 * no hint, a length that is a multiple of PMD_SIZE is placed congruent to
 * its file offset modulo PMD_SIZE (anonymous memory counts as offset 0), so
 * that THPs and huge pfn entries can line up.  Shared anonymous memory is
 * shmem, whose huge pages are off ("never"): no alignment.  mm never aligns
 * to PUD_SIZE (only the TTM file's hook does, for BOs of 1 GiB or more):
 * user space that wants a 1 GiB entry on a BAR asks for an aligned address.
 */
static unsigned long get_unmapped_area(struct mm_struct *mm, struct file *file,
				       unsigned long addr, unsigned long len,
				       unsigned long pgoff, unsigned long flags)
{
	if (file && file->f_op->get_unmapped_area)
		return file->f_op->get_unmapped_area(file, mm, addr, len, pgoff);
	if (!file && (flags & MAP_TYPE) == MAP_SHARED)
		return shmem_get_unmapped_area(NULL, mm, addr, len, 0);
	if (!file)
		pgoff = 0;
	if (!addr && !(len & (PMD_SIZE - 1)))
		return thp_get_unmapped_area(mm, addr, len, pgoff, PMD_SIZE);
	return mm_get_unmapped_area(mm, addr, len);
}

void hp_vma_link_file(struct vm_area_struct *vma)
{
	struct address_space *mapping = vma->vm_file->f_mapping;

	down_write(&mapping->i_mmap_rwsem);
	list_add_tail(&vma->shared, &mapping->i_mmap);
	up_write(&mapping->i_mmap_rwsem);
}

static void vma_unlink_file(struct vm_area_struct *vma)
{
	struct address_space *mapping = vma->vm_file->f_mapping;

	down_write(&mapping->i_mmap_rwsem);
	list_del(&vma->shared);
	up_write(&mapping->i_mmap_rwsem);
}

/* A zeroed VMA of mm, not yet in its tree. */
struct vm_area_struct *vm_area_alloc(struct mm_struct *mm)
{
	struct vm_area_struct *vma = calloc(1, sizeof(*vma));

	if (vma)
		vma->vm_mm = mm;
	return vma;
}

/* A copy of orig, to be given its own bounds and put in a tree. */
struct vm_area_struct *vm_area_dup(struct vm_area_struct *orig)
{
	struct vm_area_struct *vma = malloc(sizeof(*vma));

	if (vma)
		*vma = *orig;
	return vma;
}

/*
 * The VMA is unmapped, off its file's rmap, and every access through it has
 * finished: let it go.  Only now may the object behind it (a BO's backing)
 * be freed by ->close.
 */
static void vma_free(struct vm_area_struct *vma)
{
	if (vma->vm_ops && vma->vm_ops->close)
		vma->vm_ops->close(vma);
	if (vma->vm_file)
		fput(vma->vm_file);
	free(vma);
}

static unsigned long calc_vm_flags(unsigned long prot, unsigned long flags)
{
	unsigned long vm_flags = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;

	if (prot & PROT_READ)
		vm_flags |= VM_READ;
	if (prot & PROT_WRITE)
		vm_flags |= VM_WRITE;
	if (prot & PROT_EXEC)
		vm_flags |= VM_EXEC;
	if ((flags & MAP_TYPE) == MAP_SHARED)
		vm_flags |= VM_SHARED | VM_MAYSHARE;
	return vm_flags;
}

static long check_mmap_args(unsigned long addr, unsigned long *len,
			    unsigned long prot, unsigned long flags,
			    unsigned long pgoff)
{
	unsigned long type = flags & MAP_TYPE;

	if (!*len || *len > TASK_SIZE_MAX)
		return -EINVAL;
	*len = (*len + PAGE_SIZE - 1) & PAGE_MASK;
	if (prot & ~(unsigned long)(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	if (type != MAP_SHARED && type != MAP_PRIVATE)
		return -EINVAL;
	if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) &&
	    (addr & ~PAGE_MASK || addr > TASK_SIZE_MAX - *len))
		return -EINVAL;
	if (pgoff + (*len >> PAGE_SHIFT) < pgoff)
		return -EOVERFLOW;
	return 0;
}

/* Picks the address: the fixed one if it is free, else as get_unmapped_area(). */
static long choose_address(struct mm_struct *mm, struct file *file, unsigned long addr,
			   unsigned long len, unsigned long flags,
			   unsigned long pgoff, unsigned long *out)
{
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (!range_is_free(mm, addr, len))
			return -EEXIST;
		*out = addr;
		return 0;
	}
	*out = get_unmapped_area(mm, file, addr, len, pgoff, flags);
	return IS_ERR_VALUE(*out) ? (long)*out : 0;
}

unsigned long hp_get_unmapped_area(struct mm_struct *mm, struct file *file, unsigned long addr,
				   unsigned long len, unsigned long pgoff, unsigned long flags)
{
	long err = choose_address(mm, file, addr, len, flags, pgoff, &addr);

	return err ? (unsigned long)err : addr;
}

unsigned long hp_mmap(struct mm_struct *mm, struct file *file, unsigned long addr,
		      unsigned long len, unsigned long prot, unsigned long flags,
		      unsigned long pgoff)
{
	struct vm_area_struct *vma;
	long err = check_mmap_args(addr, &len, prot, flags, pgoff);

	if (err)
		return err;
	down_write(&mm->mmap_lock);
	err = choose_address(mm, file, addr, len, flags, pgoff, &addr);
	if (err)
		goto out;
	err = -ENOMEM;
	vma = vm_area_alloc(mm);
	if (!vma)
		goto out;
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	vma->vm_flags = calc_vm_flags(prot, flags);
	vma->vm_page_prot = vm_get_page_prot(vma->vm_flags);
	vma->vm_pgoff = pgoff;
	if (file) {
		atomic_fetch_add(&file->f_count, 1);
	} else if (vma->vm_flags & VM_SHARED) {
		file = shmem_file_setup(len);
		vma->vm_pgoff = 0;
		if (!file)
			goto free_vma;
	}
	vma->vm_file = file;
	if (file) {
		err = file->f_op->mmap(file, vma);
		if (err)
			goto put_file;
	}
	hp_vma_insert(mm, vma);
	if (file)
		hp_vma_link_file(vma);
	up_write(&mm->mmap_lock);
	return addr;

put_file:
	fput(file);
free_vma:
	free(vma);
out:
	up_write(&mm->mmap_lock);
	return err;
}

unsigned long hp_mmap_aligned(struct mm_struct *mm, struct file *file, unsigned long len,
			      unsigned long prot, unsigned long flags, unsigned long pgoff,
			      unsigned long align, unsigned long skew)
{
	unsigned long resv, addr;

	if (align < PAGE_SIZE || align & (align - 1) || skew >= align || skew & ~PAGE_MASK ||
	    !len || len > TASK_SIZE_MAX - align)
		return -EINVAL;
	len = (len + PAGE_SIZE - 1) & PAGE_MASK;
	resv = hp_mmap(mm, NULL, 0, len + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(resv))
		return resv;
	addr = ((resv - skew + align - 1) & ~(align - 1)) + skew;
	hp_munmap(mm, resv, len + align);
	return hp_mmap(mm, file, addr, len, prot, flags | MAP_FIXED_NOREPLACE, pgoff);
}

int hp_madvise(struct mm_struct *mm, unsigned long addr, unsigned long len,
	       int advice)
{
	unsigned long end = addr + len;
	struct vm_area_struct *vma;
	int err = 0;

	if (addr & ~PAGE_MASK || end < addr)
		return -EINVAL;
	if (advice != MADV_HUGEPAGE && advice != MADV_NOHUGEPAGE)
		return -EINVAL;
	down_write(&mm->mmap_lock);
	hp_for_each_vma(mm, vma, addr, end) {
		/* Whole VMAs only: hugepfn does not split VMAs for madvise. */
		if (vma->vm_start < addr || vma->vm_end > end) {
			err = -EINVAL;
			break;
		}
		vma->vm_flags &= ~(VM_HUGEPAGE | VM_NOHUGEPAGE);
		vma->vm_flags |= advice == MADV_HUGEPAGE ? VM_HUGEPAGE : VM_NOHUGEPAGE;
	}
	up_write(&mm->mmap_lock);
	return err;
}

/* ---- splitting and removing VMAs ---------------------------------------- */

/* Is any part of [start, end) mapped by a VMA still in the mm? */
bool hp_span_has_vma(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	struct vm_area_struct *vma = find_vma(mm, start);

	return vma && vma->vm_start < end;
}

/*
 * Splits vma at addr into [vm_start, addr) and new = [addr, vm_end).  A file
 * VMA changes only under its i_mmap lock, because rmap walkers
 * (unmap_mapping_range) read its bounds without the mmap lock.
 */
static void split_vma(struct mm_struct *mm, struct vm_area_struct *vma,
		      unsigned long addr, struct vm_area_struct *new)
{
	struct address_space *mapping = vma->vm_file ? vma->vm_file->f_mapping : NULL;

	*new = *vma;
	new->vm_start = addr;
	new->vm_pgoff += (addr - vma->vm_start) >> PAGE_SHIFT;
	/* Into the tree first, right after vma: no gap opens between the halves. */
	hp_vma_insert_after(mm, vma, new);
	if (mapping) {
		atomic_fetch_add(&vma->vm_file->f_count, 1);
		down_write(&mapping->i_mmap_rwsem);
		vma->vm_end = addr;
		list_add_tail(&new->shared, &mapping->i_mmap);
		up_write(&mapping->i_mmap_rwsem);
	} else {
		vma->vm_end = addr;
	}
	hp_vma_resized(mm, vma);
	if (new->vm_ops && new->vm_ops->open)
		new->vm_ops->open(new);
}

/*
 * Makes start and end VMA boundaries.  The VMAs a split needs are allocated
 * before anything changes, so a failure leaves the mm as it was; a range
 * whose ends are boundaries already allocates nothing.
 */
int hp_split_vmas_at(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	struct vm_area_struct *at_start = find_vma(mm, start), *at_end = find_vma(mm, end);
	bool split_start = at_start && at_start->vm_start < start;
	bool split_end = at_end && at_end->vm_start < end;
	struct vm_area_struct *new_start = NULL, *new_end = NULL;

	if ((split_start && !(new_start = vm_area_alloc(mm))) ||
	    (split_end && !(new_end = vm_area_alloc(mm)))) {
		free(new_start);
		return -ENOMEM;
	}
	if (split_start) {
		split_vma(mm, at_start, start, new_start);
		if (at_end == at_start)
			at_end = new_start;	/* end lies in the upper half now */
	}
	if (split_end)
		split_vma(mm, at_end, end, new_end);
	return 0;
}

/*
 * Takes the VMAs inside [start, end) out of the mm; they become the caller's,
 * in address order, linked by vm_node.next.
 */
static struct vm_area_struct *detach_vmas(struct mm_struct *mm, unsigned long start,
					  unsigned long end)
{
	struct vm_area_struct *list = NULL, **tail = &list, *vma, *next;

	for (vma = find_vma(mm, start); vma && vma->vm_start < end; vma = next) {
		next = vma->vm_end < end ? hp_vma_next(vma) : NULL;
		if (vma->vm_start < start || vma->vm_end > end)
			continue;
		hp_vma_remove(mm, vma);
		*tail = vma;
		tail = &vma->vm_node.next;
	}
	*tail = NULL;
	return list;
}

/*
 * Unmaps and frees detached VMAs, then the page tables under [start, end)
 * that no remaining VMA uses.  As in Linux: the VMAs leave their files' rmap
 * before any table is queued (an rmap walker never walks a freed table), and
 * are closed only after the gather's grace period (no access is still in
 * flight into the object when its owner learns it is unmapped).
 */
static void remove_vmas(struct mm_struct *mm, struct vm_area_struct *detached,
			unsigned long start, unsigned long end)
{
	struct vm_area_struct *vma, *next;
	struct mmu_gather tlb;

	tlb_gather_mmu(&tlb, mm);
	for (vma = detached; vma; vma = hp_vma_next(vma))
		unmap_vmas(&tlb, vma);
	for (vma = detached; vma; vma = hp_vma_next(vma))
		if (vma->vm_file)
			vma_unlink_file(vma);
	free_pgtables(&tlb, mm, start, end);
	tlb_finish_mmu(&tlb);
	for (vma = detached; vma; vma = next) {
		next = hp_vma_next(vma);
		vma_free(vma);
	}
}

/* munmap with mmap_lock already held for write (6.12's do_munmap). */
int hp_do_munmap(struct mm_struct *mm, unsigned long start, size_t len)
{
	unsigned long end = start + ((len + PAGE_SIZE - 1) & PAGE_MASK);
	int err;

	if (start & ~PAGE_MASK || !len || end <= start || end > TASK_SIZE_MAX)
		return -EINVAL;
	err = hp_split_vmas_at(mm, start, end);
	if (!err)
		remove_vmas(mm, detach_vmas(mm, start, end), start, end);
	return err;
}

int hp_munmap(struct mm_struct *mm, unsigned long start, size_t len)
{
	int err;

	down_write(&mm->mmap_lock);
	err = hp_do_munmap(mm, start, len);
	up_write(&mm->mmap_lock);
	return err;
}

void mmput(struct mm_struct *mm)
{
	down_write(&mm->mmap_lock);
	remove_vmas(mm, hp_vma_detach_all(mm), 0, TASK_SIZE_MAX + PAGE_SIZE);
	up_write(&mm->mmap_lock);

	hp_pagetable_free(hp_table_page(mm->pgd));
	mm_dec_tables(mm, HP_TABLE_PGD);
	destroy_rwsem(&mm->mmap_lock);
	spin_lock_destroy(&mm->page_table_lock);
	free(mm);
}
