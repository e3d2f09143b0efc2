// SPDX-License-Identifier: MIT
/*
 * The VMAs of an address space, in an AVL tree ordered by address.
 *
 * Linux 6.12 keeps them in a maple tree (a B-tree of ranges) whose nodes
 * record the largest gap below them, so that vm_unmapped_area() finds the
 * highest gap that fits without looking at every VMA.  hugepfn does the same
 * with a binary tree: each node knows its subtree's lowest start, highest end
 * and the largest gap between two consecutive VMAs inside it.  What a node
 * knows depends on its own subtree alone, so a change -- an insertion, a
 * removal, a VMA whose end moves -- refreshes the path from the change up to
 * the root, stopping at the first subtree whose summary (height, span, gap)
 * came out as it was, and rotations refresh the two nodes they move.
 * Lookup, insertion, removal, a change of end and the top-down gap search
 * are O(log n); AVL balance keeps the height below 1.45 log2(n + 2), 25 for
 * 100,000 VMAs, which bounds the recursion.
 *
 * VMAs in a tree do not overlap, so ordering by vm_start orders by vm_end as
 * well, and a subtree's highest end is its last VMA's.  The one exception is
 * inside a split, where the new upper half goes in before the lower one
 * shrinks; gaps are counted as 0 where VMAs overlap, so the summaries are
 * right again once it has.  A VMA's vm_start never changes while it is in
 * the tree; its vm_end may, followed by hp_vma_resized().
 *
 * Locking: mm->mmap_lock, for read to look and for write to change.  Nothing
 * reads the tree without it: rmap walkers reach VMAs through their file's
 * i_mmap list, and lockless GUP and the software MMU never look at VMAs.  So
 * the tree needs no memory ordering of its own beyond the lock's.
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

static unsigned long max_ul(unsigned long a, unsigned long b)
{
	return a > b ? a : b;
}

/* The free bytes between a VMA ending at end and the next one, starting at start. */
static unsigned long gap_between(unsigned long end, unsigned long start)
{
	return start > end ? start - end : 0;
}

/* Recomputes what vma knows about its subtree from its children. */
static void refresh(struct vm_area_struct *vma)
{
	struct vm_area_struct *l = node(vma)->left, *r = node(vma)->right;
	struct hp_vma_node *n = node(vma);
	unsigned long gap = 0;

	n->height = 1 + (height(l) > height(r) ? height(l) : height(r));
	n->subtree_start = l ? node(l)->subtree_start : vma->vm_start;
	n->subtree_end = r ? node(r)->subtree_end : vma->vm_end;
	if (l)
		gap = max_ul(node(l)->subtree_gap, gap_between(node(l)->subtree_end, vma->vm_start));
	if (r)
		gap = max_ul(gap, max_ul(node(r)->subtree_gap,
					 gap_between(vma->vm_end, node(r)->subtree_start)));
	n->subtree_gap = gap;
}

static struct vm_area_struct *rotate_right(struct vm_area_struct *vma)
{
	struct vm_area_struct *l = node(vma)->left;

	node(vma)->left = node(l)->right;
	node(l)->right = vma;
	refresh(vma);
	refresh(l);
	return l;
}

static struct vm_area_struct *rotate_left(struct vm_area_struct *vma)
{
	struct vm_area_struct *r = node(vma)->right;

	node(vma)->right = node(r)->left;
	node(r)->left = vma;
	refresh(vma);
	refresh(r);
	return r;
}

static bool same_summary(const struct hp_vma_node *a, const struct hp_vma_node *b)
{
	return a->height == b->height && a->subtree_start == b->subtree_start &&
	       a->subtree_end == b->subtree_end && a->subtree_gap == b->subtree_gap;
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
 * After a change below root: if the child's summary changed (*changed),
 * rebalance root, and tell the caller whether root's subtree's summary
 * changed in turn.  Once one has not, nothing above needs a look.
 */
static struct vm_area_struct *fixup(struct vm_area_struct *root, bool *changed)
{
	struct hp_vma_node before;
	struct vm_area_struct *top;

	if (!*changed)
		return root;	/* the common case on the way up: no copy of the summary */
	before = *node(root);
	top = rebalance(root);
	*changed = !same_summary(&before, node(top));
	return top;
}

static struct vm_area_struct *insert_at(struct vm_area_struct *root, struct vm_area_struct *vma,
					bool *changed)
{
	if (!root) {
		*changed = true;
		return vma;
	}
	if (vma->vm_start < root->vm_start)
		node(root)->left = insert_at(node(root)->left, vma, changed);
	else
		node(root)->right = insert_at(node(root)->right, vma, changed);
	return fixup(root, changed);
}

void hp_vma_insert(struct mm_struct *mm, struct vm_area_struct *vma)
{
	bool changed;

	memset(node(vma), 0, sizeof(*node(vma)));	/* a copied VMA brings its source's links */
	refresh(vma);
	mm->vma_tree = insert_at(mm->vma_tree, vma, &changed);
	mm->map_count++;
}

/* Takes the lowest VMA out of root's subtree into *min: the subtree's new root. */
static struct vm_area_struct *remove_min(struct vm_area_struct *root, struct vm_area_struct **min,
					 bool *changed)
{
	if (!node(root)->left) {
		*min = root;
		*changed = true;
		return node(root)->right;
	}
	node(root)->left = remove_min(node(root)->left, min, changed);
	return fixup(root, changed);
}

static struct vm_area_struct *remove_at(struct vm_area_struct *root, struct vm_area_struct *vma,
					bool *changed)
{
	struct vm_area_struct *successor, *right;
	struct hp_vma_node before;

	if (root == vma) {
		*changed = true;
		if (!node(vma)->right)
			return node(vma)->left;
		before = *node(vma);
		right = remove_min(node(vma)->right, &successor, changed);
		node(successor)->left = node(vma)->left;
		node(successor)->right = right;
		successor = rebalance(successor);
		*changed = !same_summary(&before, node(successor));
		return successor;
	}
	if (vma->vm_start < root->vm_start)
		node(root)->left = remove_at(node(root)->left, vma, changed);
	else
		node(root)->right = remove_at(node(root)->right, vma, changed);
	return fixup(root, changed);
}

void hp_vma_remove(struct mm_struct *mm, struct vm_area_struct *vma)
{
	bool changed;

	mm->vma_tree = remove_at(mm->vma_tree, vma, &changed);
	mm->map_count--;
}

/* Refreshes the path from vma up to root, as far as summaries change: whether root's did. */
static bool refresh_path(struct vm_area_struct *root, struct vm_area_struct *vma)
{
	struct hp_vma_node before;

	if (root != vma &&
	    !refresh_path(vma->vm_start < root->vm_start ? node(root)->left : node(root)->right, vma))
		return false;
	before = *node(root);
	refresh(root);
	return !same_summary(&before, node(root));
}

void hp_vma_resized(struct mm_struct *mm, struct vm_area_struct *vma)
{
	refresh_path(mm->vma_tree, vma);
}

/* Appends root's subtree, in address order, to the list whose last link is *tail. */
static struct vm_area_struct **chain_in_order(struct vm_area_struct *root,
					      struct vm_area_struct **tail)
{
	struct vm_area_struct *right;

	if (!root)
		return tail;
	right = node(root)->right;
	tail = chain_in_order(node(root)->left, tail);
	*tail = root;
	return chain_in_order(right, &node(root)->right);
}

struct vm_area_struct *hp_vma_detach_all(struct mm_struct *mm)
{
	struct vm_area_struct *list = NULL;

	*chain_in_order(mm->vma_tree, &list) = NULL;
	mm->vma_tree = NULL;
	mm->map_count = 0;
	return list;
}

struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma = mm->vma_tree, *found = NULL;

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
	return mm->vma_tree ? node(mm->vma_tree)->subtree_start : 0;
}

/*
 * The highest gap of at least len bytes between consecutive VMAs of root's
 * subtree, as the start of the VMA above it; 0 if there is none.  A subtree
 * whose largest gap is too small is never entered, and one that is entered
 * holds an answer: one path down.
 */
static unsigned long highest_gap(struct vm_area_struct *root, unsigned long len)
{
	struct vm_area_struct *l, *r;
	unsigned long top;

	if (!root || height(root) == 1 || node(root)->subtree_gap < len)
		return 0;
	l = node(root)->left;
	r = node(root)->right;
	if ((top = highest_gap(r, len)))
		return top;
	if (r && gap_between(root->vm_end, node(r)->subtree_start) >= len)
		return node(r)->subtree_start;
	if (l && gap_between(node(l)->subtree_end, root->vm_start) >= len)
		return root->vm_start;
	return highest_gap(l, len);
}

/*
 * The same, among the gaps whose upper VMA starts below limit.  This follows
 * the path to limit, leaving it at most once for highest_gap() below it.
 */
static unsigned long highest_gap_below(struct vm_area_struct *root, unsigned long limit,
				       unsigned long len)
{
	struct vm_area_struct *l, *r;
	unsigned long top;

	if (!root || height(root) == 1 || node(root)->subtree_gap < len ||
	    node(root)->subtree_start >= limit)
		return 0;
	l = node(root)->left;
	r = node(root)->right;
	if (root->vm_start >= limit)
		return highest_gap_below(l, limit, len);
	if ((top = highest_gap_below(r, limit, len)))
		return top;
	if (r && node(r)->subtree_start < limit &&
	    gap_between(root->vm_end, node(r)->subtree_start) >= len)
		return node(r)->subtree_start;
	if (l && gap_between(node(l)->subtree_end, root->vm_start) >= len)
		return root->vm_start;
	return highest_gap(l, len);
}

unsigned long hp_vma_highest_gap_below(struct mm_struct *mm, unsigned long limit,
				       unsigned long len)
{
	return highest_gap_below(mm->vma_tree, limit, len);
}
