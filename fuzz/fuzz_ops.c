// SPDX-License-Identifier: MIT
/*
 * Structure-aware libFuzzer harness: the bytes are a sequence of operations
 * on a small machine -- map (anonymous, THP, BAR, BO), touch, fast and slow
 * GUP, release, evict, munmap, fork, mprotect -- under the policy the first
 * byte picks.  After every step the invariants hold: no violation under a
 * safe policy, no pin ever on a pfn mapping; at the end nothing has leaked.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hugepfn/hugepfn.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAPS 6
#define PROCS 3
#define PINS 8

struct map { struct mm_struct *mm; unsigned long addr, len; bool pfnmap; };
struct pin { struct page *pages[16]; int got; };

static struct {
	const uint8_t *p;
	size_t left;
} in;

static unsigned int take(unsigned int n)
{
	unsigned int v;

	if (!in.left || !n)
		return 0;
	v = *in.p++ % n;
	in.left--;
	return v;
}

/* An invariant broken: say which, then crash so that libFuzzer keeps the input. */
#define check(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz_ops.c:%d: invariant broken: %s\n",	\
			__LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

static const struct ttm_place vram = { TTM_PL_VRAM, 0 }, sys = { TTM_PL_SYSTEM, 0 };
static const struct ttm_placement to_vram = { 1, &vram }, to_sys = { 1, &sys };

/* The machine one input drives. */
struct world {
	enum hugepfn_policy policy;
	struct ttm_device *bdev;
	struct mm_struct *procs[PROCS];
	int nprocs;
	struct ttm_buffer_object *bos[MAPS];
	struct map maps[MAPS];
	int nmaps;
	struct pin pins[PINS];
};

/* What one operation works on: a mapping (or none yet), a pin slot, an offset. */
struct target {
	struct map *m;
	struct pin *pin;
	unsigned long off;
};

static unsigned long map_anon(struct mm_struct *mm, unsigned long len)
{
	unsigned long addr = hp_mmap(mm, NULL, 0, len, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, 0);

	if (!IS_ERR_VALUE(addr) && take(2))
		hp_madvise(mm, addr, len, MADV_HUGEPAGE);
	return addr;
}

static unsigned long map_bar(struct mm_struct *mm, unsigned long len, bool zone_device)
{
	struct hp_bar *bar = hp_bar_create("bar", len, zone_device);
	unsigned long addr;

	if (!bar)
		return -EINVAL;
	addr = hp_mmap(mm, hp_bar_file(bar), 0, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	hp_bar_destroy(bar);
	return addr;
}

/* Maps an anonymous region (kind 0), a BAR (1) or a BO (2) into a process. */
static void op_map(struct world *w, unsigned int kind)
{
	struct mm_struct *mm = w->procs[take(w->nprocs)];
	unsigned long len = (1 + take(4)) * PMD_SIZE, addr;
	bool zone_device = false;

	if (w->nmaps == MAPS || !mm)
		return;
	if (kind == 0) {
		addr = map_anon(mm, len);
	} else if (kind == 1) {
		zone_device = take(2);	/* struct pages: pinnable */
		addr = map_bar(mm, len, zone_device);
	} else {
		if (ttm_bo_create(w->bdev, len, take(2) ? &to_vram : &to_sys, &w->bos[w->nmaps]))
			return;
		addr = ttm_bo_mmap(mm, w->bos[w->nmaps], PROT_READ | PROT_WRITE);
	}
	if (!IS_ERR_VALUE(addr))
		w->maps[w->nmaps++] = (struct map){ mm, addr, len, kind != 0 && !zone_device };
}

static void op_map_anon(struct world *w, struct target *t) { (void)t; op_map(w, 0); }
static void op_map_bar(struct world *w, struct target *t) { (void)t; op_map(w, 1); }
static void op_map_bo(struct world *w, struct target *t) { (void)t; op_map(w, 2); }

static void op_touch(struct world *w, struct target *t)
{
	char v = 1;

	(void)w;
	if (t->m)
		hp_access(t->m->mm, t->m->addr + t->off, 1,
			  take(2) ? HP_ACCESS_WRITE : HP_ACCESS_READ, &v);
}

static void op_pin(struct world *w, struct target *t)
{
	struct map *m = t->m;
	struct pin *pin = t->pin;
	int n;

	if (!m || pin->got)
		return;
	n = 1 + take(16);
	if (t->off + n * PAGE_SIZE > m->len)
		return;
	pin->got = take(2) ? pin_user_pages_fast(m->mm, m->addr + t->off, n, FOLL_WRITE, pin->pages)
			   : pin_user_pages(m->mm, m->addr + t->off, n, 0, pin->pages);
	if (pin->got < 0)
		pin->got = 0;
	/* A pfn mapping is never pinned under a safe policy. */
	check(!(m->pfnmap && pin->got && w->policy != HP_POLICY_PLAIN));
}

static void op_unpin(struct world *w, struct target *t)
{
	(void)w;
	unpin_user_pages(t->pin->pages, t->pin->got);
	t->pin->got = 0;
}

static void op_move_bo(struct world *w, struct target *t)
{
	struct ttm_buffer_object *bo = t->m ? w->bos[t->m - w->maps] : NULL;

	if (bo)
		take(2) ? ttm_bo_evict(bo) : ttm_bo_validate(bo, &to_vram);
}

static void op_munmap(struct world *w, struct target *t)
{
	(void)w;
	/* What is mapped there next may be anything: stop judging its pins. */
	if (t->m && !hp_munmap(t->m->mm, t->m->addr + t->off, PMD_SIZE))
		t->m->pfnmap = false;
}

static void op_mprotect(struct world *w, struct target *t)
{
	(void)w;
	if (t->m)
		hp_mprotect(t->m->mm, t->m->addr + (t->off & PMD_MASK), PMD_SIZE,
			    take(2) ? PROT_READ : PROT_READ | PROT_WRITE);
}

static void op_fork(struct world *w, struct target *t)
{
	(void)t;
	if (w->nprocs < PROCS && (w->procs[w->nprocs] = hp_fork(w->procs[0])))
		w->nprocs++;
}

/* The operations, one byte choosing each. */
static void (*const ops[])(struct world *, struct target *) = {
	op_map_anon, op_map_bar, op_map_bo, op_touch, op_pin, op_unpin,
	op_move_bo, op_munmap, op_mprotect, op_fork,
};
#define NR_OPS (sizeof(ops) / sizeof(ops[0]))

static void world_fini(struct world *w)
{
	struct hp_leaks leaks;

	for (int i = 0; i < PINS; i++)
		unpin_user_pages(w->pins[i].pages, w->pins[i].got);
	for (int i = 0; i < w->nprocs; i++)
		if (w->procs[i])
			mmput(w->procs[i]);
	for (int i = 0; i < MAPS; i++)
		if (w->bos[i])
			ttm_bo_destroy(w->bos[i]);
	if (w->bdev)
		ttm_device_fini(w->bdev);
	hp_machine_leaks(&leaks);
	check(!leaks.pages && !leaks.pgmap_refs);
	hp_machine_exit();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hp_config config = { .ram_size = 64 << 20 };
	static struct world w;

	in.p = data;
	in.left = size;
	memset(&w, 0, sizeof(w));
	config.policy = w.policy = take(HP_NR_POLICIES);
	if (hp_machine_init(&config))
		return 0;
	w.bdev = ttm_device_init(&(struct ttm_device_config){ .vram_size = 8 << 20 });
	w.procs[0] = mm_alloc();
	w.nprocs = 1;
	while (in.left && w.bdev && w.procs[0]) {
		unsigned int op = take(NR_OPS);
		struct target t = { .m = w.nmaps ? &w.maps[take(w.nmaps)] : NULL };

		t.pin = &w.pins[take(PINS)];
		t.off = t.m ? (take(64) * PAGE_SIZE) % t.m->len : 0;
		ops[op](&w, &t);
		if (w.policy != HP_POLICY_PLAIN)
			check(hp_violation_count() == 0);
	}
	world_fini(&w);
	return 0;
}
