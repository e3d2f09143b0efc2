// SPDX-License-Identifier: MIT
/*
 * The VMAs of an address space, in an AVL tree ordered by address whose
 * nodes are also linked in address order (prev, next), as Linux's VMAs were
 * before 6.1: vm_prev and vm_next beside the augmented rbtree.
 *
 * Linux 6.12 keeps them in a maple tree (a B-tree of ranges) whose nodes
 * record the largest gap below them, so that vm_unmapped_area() finds the
 * highest gap that fits without looking at every VMA.  hugepfn does the same
 * as Linux 6.0 did with its rbtree: a VMA's gap is the free space between the
 * VMA before it and its start (none for the first), and each node knows its
 * subtree's height and largest gap.  A node's summary follows from its
 * children's and its own gap, so a change walks up from each node whose
 * children or gap it changed, refreshing, rebalancing, and stopping at the
 * first subtree whose summary (height, gap) came out as it was.  A node put
 * in or taken out changes its parent's children; the VMA after a VMA put in,
 * taken out or resized has a new gap.  Rotations refresh the two nodes they
 * move; they keep the address order, so no gap changes.
 *
 * What 6.12's vma_iterator does for a run of changes side by side (its
 * maple state keeps its place in the tree), the links do here: a split puts
 * the new upper half in right after the lower one, into a child slot that is
 * free next to it (the lower half's right, or its successor's left), with no
 * descent; a removal finds the successor that takes its place by its link;
 * walks over a range follow next; and the walks up stop where the summaries
 * stop changing, about two nodes up for the mprotect and munmap of page
 * after page, at 1,000 VMAs as at 100,000.  find_vma() first tries
 * mm->vma_hint, the VMA last put in or the neighbour of the one last taken
 * out, and the VMAs on either side of it; lookups that miss them, insertion
 * by address and the top-down gap search are O(log n).  AVL balance keeps
 * the height below 1.45 log2(n + 2), 25 for 100,000 VMAs, which bounds the
 * recursion.  Taking out every VMA at exit hands over the list as it is.
 *
 * VMAs in a tree do not overlap, so ordering by vm_start orders by vm_end as
 * well.  The one exception is inside a split, where the new upper half goes
 * in before the lower one shrinks; gaps are counted as 0 where VMAs overlap,
 * so the summaries are right again once it has.  A VMA's vm_start never
 * changes while it is in the tree; its vm_end may, followed by
 * hp_vma_resized().
 *
 * Locking: mm->mmap_lock, for read to look and for write to change.  Nothing
 * reads the tree without it: rmap walkers reach VMAs through their file's
 * i_mmap list, and lockless GUP and the software MMU never look at VMAs (the
 * MMU's fault path takes the lock for read before find_vma()).  So the tree
 * needs no memory ordering of its own beyond the lock's.  That holds for
 * mm->vma_hint too: only changes write it, under the lock held for write,
 * never find_vma() (unlike Linux's old mm->mmap_cache, which lookups wrote),
 * so lookups running side by side under the lock held for read only read it,
 * and the lock orders each write of it before every later read.  The removal
 * of the hinted VMA moves the hint to a neighbour in the same step, so it
 * never names a VMA that is gone.
 */
#include <string.h>

#include "mm/internal.h"

static struct hp_vma_node *node(struct vm_area_struct *vma)
{
	return &vma->vm_node;
}

static int height(struct vm_area_struct *vma)
{
	return vma ? node(vma)->height : 0;
}

static unsigned long subtree_gap(struct vm_area_struct *vma)
{
	return vma ? node(vma)->subtree_gap : 0;
}

static unsigned long max_ul(unsigned long a, unsigned long b)
{
	return a > b ? a : b;
}

/* The free bytes between the VMA before vma and vma: 0 for the first, and where they overlap. */
static unsigned long vma_gap(struct vm_area_struct *vma)
{
	struct vm_area_struct *prev = node(vma)->prev;

	return prev && vma->vm_start > prev->vm_end ? vma->vm_start - prev->vm_end : 0;
}

/* Is there a VMA before vma, with at least len free bytes between them? */
static bool gap_fits(struct vm_area_struct *vma, unsigned long len)
{
	return node(vma)->prev && vma_gap(vma) >= len;
}

/* Recomputes what vma knows about its subtree from its children and its gap. */
static void refresh(struct vm_area_struct *vma)
{
	struct vm_area_struct *l = node(vma)->left, *r = node(vma)->right;

	node(vma)->height = 1 + (height(l) > height(r) ? height(l) : height(r));
	node(vma)->subtree_gap = max_ul(vma_gap(vma), max_ul(subtree_gap(l), subtree_gap(r)));
}

static void set_parent(struct vm_area_struct *vma, struct vm_area_struct *parent)
{
	if (vma)
		node(vma)->parent = parent;
}

/* Puts new where old was under parent (at the root without one). */
static void replace_child(struct mm_struct *mm, struct vm_area_struct *parent,
			  struct vm_area_struct *old, struct vm_area_struct *new)
{
	if (!parent)
		mm->vma_tree = new;
	else if (node(parent)->left == old)
		node(parent)->left = new;
	else
		node(parent)->right = new;
	set_parent(new, parent);
}

/* These two leave the new subtree root's parent as the old root's; the caller links it. */
static struct vm_area_struct *rotate_right(struct vm_area_struct *vma)
{
	struct vm_area_struct *l = node(vma)->left;

	node(vma)->left = node(l)->right;
	set_parent(node(l)->right, vma);
	node(l)->right = vma;
	node(l)->parent = node(vma)->parent;
	node(vma)->parent = l;
	refresh(vma);
	refresh(l);
	return l;
}

static struct vm_area_struct *rotate_left(struct vm_area_struct *vma)
{
	struct vm_area_struct *r = node(vma)->right;

	node(vma)->right = node(r)->left;
	set_parent(node(r)->left, vma);
	node(r)->left = vma;
	node(r)->parent = node(vma)->parent;
	node(vma)->parent = r;
	refresh(vma);
	refresh(r);
	return r;
}

/* Refreshes vma, whose subtrees are balanced, and rebalances it: the subtree's new root. */
static struct vm_area_struct *rebalance(struct vm_area_struct *vma)
{
	struct vm_area_struct *l = node(vma)->left, *r = node(vma)->right;
	int balance = height(l) - height(r);

	if (balance > 1) {
		if (height(node(l)->left) < height(node(l)->right))
			node(vma)->left = rotate_left(l);
		return rotate_right(vma);
	}
	if (balance < -1) {
		if (height(node(r)->right) < height(node(r)->left))
			node(vma)->right = rotate_right(r);
		return rotate_left(vma);
	}
	refresh(vma);
	return vma;
}

/*
 * vma's children or its gap changed: refreshes and rebalances from vma up,
 * until a subtree's summary comes out as it was -- then nothing above it
 * depends on the change.
 */
static void walk_up(struct mm_struct *mm, struct vm_area_struct *vma)
{
	while (vma) {
		struct vm_area_struct *parent = node(vma)->parent, *top;
		unsigned long gap = node(vma)->subtree_gap;
		int h = node(vma)->height;

		top = rebalance(vma);
		if (top != vma)
			replace_child(mm, parent, vma, top);
		if (node(top)->height == h && node(top)->subtree_gap == gap)
			return;
		vma = parent;
	}
}

static struct vm_area_struct *first_vma(struct mm_struct *mm)
{
	struct vm_area_struct *vma = mm->vma_tree;

	while (vma && node(vma)->left)
		vma = node(vma)->left;
	return vma;
}

void hp_vma_insert_after(struct mm_struct *mm, struct vm_area_struct *prev,
			 struct vm_area_struct *vma)
{
	struct vm_area_struct *next = prev ? node(prev)->next : first_vma(mm);

	memset(node(vma), 0, sizeof(*node(vma)));	/* a copied VMA brings its source's links */
	node(vma)->prev = prev;
	node(vma)->next = next;
	if (prev)
		node(prev)->next = vma;
	if (next)
		node(next)->prev = vma;
	/* The slot next to prev in address order: its right, or else its successor's left. */
	if (prev && !node(prev)->right) {
		node(prev)->right = vma;
		node(vma)->parent = prev;
	} else if (next) {
		node(next)->left = vma;
		node(vma)->parent = next;
	} else {
		mm->vma_tree = vma;
	}
	refresh(vma);
	mm->map_count++;
	mm->vma_hint = vma;
	walk_up(mm, node(vma)->parent);
	if (next)
		walk_up(mm, next);	/* its gap is now to vma */
}

void hp_vma_insert(struct mm_struct *mm, struct vm_area_struct *vma)
{
	hp_vma_insert_after(mm, hp_vma_last_below(mm, vma->vm_start), vma);
}

/*
 * vma has two children: its successor next, the lowest of its right subtree
 * (so without a left child), takes its place.  Returns where the tree's shape
 * changed below that place: next's old parent, or next itself if that was
 * vma.  next takes vma's summary with its place, so that the walk up from
 * there compares each subtree with what it was.
 */
static struct vm_area_struct *replace_by_successor(struct mm_struct *mm, struct vm_area_struct *vma,
						   struct vm_area_struct *next)
{
	struct vm_area_struct *changed = next;

	if (next != node(vma)->right) {
		changed = node(next)->parent;
		node(changed)->left = node(next)->right;
		set_parent(node(next)->right, changed);
		node(next)->right = node(vma)->right;
		set_parent(node(next)->right, next);
	}
	node(next)->left = node(vma)->left;
	set_parent(node(next)->left, next);
	node(next)->height = node(vma)->height;
	node(next)->subtree_gap = node(vma)->subtree_gap;
	replace_child(mm, node(vma)->parent, vma, next);
	return changed;
}

void hp_vma_remove(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *prev = node(vma)->prev, *next = node(vma)->next, *changed;
	struct vm_area_struct *l = node(vma)->left, *r = node(vma)->right;

	if (prev)
		node(prev)->next = next;
	if (next)
		node(next)->prev = prev;
	if (l && r) {
		changed = replace_by_successor(mm, vma, next);
	} else {
		changed = node(vma)->parent;
		replace_child(mm, changed, vma, l ? l : r);
	}
	mm->map_count--;
	mm->vma_hint = next ? next : prev;
	walk_up(mm, changed);
	if (next)
		walk_up(mm, next);	/* its gap is now to prev */
}

void hp_vma_resized(struct mm_struct *mm, struct vm_area_struct *vma)
{
	/* vma's own summary does not depend on its end; the gap after it does. */
	if (node(vma)->next)
		walk_up(mm, node(vma)->next);
}

struct vm_area_struct *hp_vma_detach_all(struct mm_struct *mm)
{
	struct vm_area_struct *list = first_vma(mm);

	mm->vma_tree = NULL;
	mm->vma_hint = NULL;
	mm->map_count = 0;
	return list;
}

/* Is vma, which ends above addr, the first that does?  Their ends are in order too. */
static bool first_above(struct vm_area_struct *vma, unsigned long addr)
{
	return !node(vma)->prev || node(vma)->prev->vm_end <= addr;
}

/*
 * find_vma()'s answer, if it is the hint or one of its neighbours, which is
 * what a run of changes or lookups side by side mostly asks for.
 */
static bool found_near_hint(struct mm_struct *mm, unsigned long addr,
			    struct vm_area_struct **found)
{
	struct vm_area_struct *hint = mm->vma_hint, *vma;

	if (!hint)
		return false;
	if (addr < hint->vm_end)
		vma = first_above(hint, addr) ? hint : node(hint)->prev;  /* prev ends above addr */
	else
		vma = node(hint)->next;	/* NULL if hint is the last VMA: the answer */
	if (vma && (addr >= vma->vm_end || !first_above(vma, addr)))
		return false;
	*found = vma;
	return true;
}

struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = mm->vma_tree, *found = NULL;

	if (found_near_hint(mm, addr, &found))
		return found;
	while (vma) {
		if (vma->vm_end > addr) {
			found = vma;
			vma = node(vma)->left;
		} else {
			vma = node(vma)->right;
		}
	}
	return found;
}

struct vm_area_struct *hp_vma_last_below(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = mm->vma_tree, *found = NULL;

	while (vma) {
		if (vma->vm_start < addr) {
			found = vma;
			vma = node(vma)->right;
		} else {
			vma = node(vma)->left;
		}
	}
	return found;
}

unsigned long hp_vma_lowest_start(struct mm_struct *mm)
{
	struct vm_area_struct *first = first_vma(mm);

	return first ? first->vm_start : 0;
}

/*
 * The highest VMA of root's subtree with a gap of at least len bytes below
 * it, or NULL.  A subtree whose largest gap is too small is never entered,
 * and one that is entered holds an answer: one path down.
 */
static struct vm_area_struct *highest_gap(struct vm_area_struct *root, unsigned long len)
{
	struct vm_area_struct *found;

	if (!root || node(root)->subtree_gap < len)
		return NULL;
	if ((found = highest_gap(node(root)->right, len)))
		return found;
	if (gap_fits(root, len))
		return root;
	return highest_gap(node(root)->left, len);
}

/*
 * The same, among the VMAs that start below limit.  This follows the path to
 * limit, leaving it at most once for highest_gap() below it.
 */
static struct vm_area_struct *highest_gap_below(struct vm_area_struct *root, unsigned long limit,
						unsigned long len)
{
	struct vm_area_struct *found;

	if (!root || node(root)->subtree_gap < len)
		return NULL;
	if (root->vm_start >= limit)
		return highest_gap_below(node(root)->left, limit, len);
	if ((found = highest_gap_below(node(root)->right, limit, len)))
		return found;
	if (gap_fits(root, len))
		return root;
	return highest_gap(node(root)->left, len);
}

unsigned long hp_vma_highest_gap_below(struct mm_struct *mm, unsigned long limit,
				       unsigned long len)
{
	struct vm_area_struct *found = highest_gap_below(mm->vma_tree, limit, len);

	return found ? found->vm_start : 0;
}
