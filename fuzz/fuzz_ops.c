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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ttm_place vram = { TTM_PL_VRAM, 0 }, sys = { TTM_PL_SYSTEM, 0 };
	static const struct ttm_placement to_vram = { 1, &vram }, to_sys = { 1, &sys };
	struct hp_config config = { .ram_size = 64 << 20 };
	struct mm_struct *procs[PROCS] = { NULL };
	struct ttm_buffer_object *bos[MAPS] = { NULL };
	struct map maps[MAPS];
	struct pin pins[PINS];
	struct ttm_device *bdev;
	struct hp_leaks leaks;
	int nmaps = 0, nprocs = 1;

	in.p = data;
	in.left = size;
	config.policy = take(HP_NR_POLICIES);
	if (hp_machine_init(&config))
		return 0;
	bdev = ttm_device_init(&(struct ttm_device_config){ .vram_size = 8 << 20 });
	procs[0] = mm_alloc();
	memset(pins, 0, sizeof(pins));
	memset(maps, 0, sizeof(maps));
	while (in.left && bdev && procs[0]) {
		unsigned int op = take(10);
		struct map *m = nmaps ? &maps[take(nmaps)] : NULL;
		struct pin *pin = &pins[take(PINS)];
		unsigned long off = m ? (take(64) * PAGE_SIZE) % m->len : 0;
		char v = 1;

		switch (op) {
		case 0: case 1: case 2: {	/* map something */
			struct mm_struct *mm = procs[take(nprocs)];
			unsigned long len = (1 + take(4)) * PMD_SIZE, addr;
			struct hp_bar *bar = NULL;
			bool zone_device = false;

			if (nmaps == MAPS || !mm)
				break;
			if (op == 0) {
				addr = hp_mmap(mm, NULL, 0, len, PROT_READ | PROT_WRITE,
					       MAP_PRIVATE | MAP_ANONYMOUS, 0);
				if (!IS_ERR_VALUE(addr) && take(2))
					hp_madvise(mm, addr, len, MADV_HUGEPAGE);
			} else if (op == 1) {
				zone_device = take(2);	/* struct pages: pinnable */
				bar = hp_bar_create("bar", len, zone_device);
				addr = bar ? hp_mmap(mm, hp_bar_file(bar), 0, len, PROT_READ | PROT_WRITE,
						     MAP_SHARED, 0) : (unsigned long)-EINVAL;
				if (bar)
					hp_bar_destroy(bar);
			} else {
				if (ttm_bo_create(bdev, len, take(2) ? &to_vram : &to_sys, &bos[nmaps]))
					break;
				addr = ttm_bo_mmap(mm, bos[nmaps], PROT_READ | PROT_WRITE);
			}
			if (IS_ERR_VALUE(addr))
				break;
			maps[nmaps++] = (struct map){ mm, addr, len, op != 0 && !zone_device };
			break;
		}
		case 3:
			if (m)
				hp_access(m->mm, m->addr + off, 1, take(2) ? HP_ACCESS_WRITE : HP_ACCESS_READ, &v);
			break;
		case 4:
			if (m && !pin->got) {
				int n = 1 + take(16);

				if (off + n * PAGE_SIZE > m->len)
					break;
				pin->got = take(2) ? pin_user_pages_fast(m->mm, m->addr + off, n, FOLL_WRITE, pin->pages)
						   : pin_user_pages(m->mm, m->addr + off, n, 0, pin->pages);
				if (pin->got < 0)
					pin->got = 0;
				/* A pfn mapping is never pinned under a safe policy. */
				check(!(m->pfnmap && pin->got && config.policy != HP_POLICY_PLAIN));
			}
			break;
		case 5:
			unpin_user_pages(pin->pages, pin->got);
			pin->got = 0;
			break;
		case 6:
			if (m && bos[m - maps])
				take(2) ? ttm_bo_evict(bos[m - maps]) : ttm_bo_validate(bos[m - maps], &to_vram);
			break;
		case 7:
			/* What is mapped there next may be anything: stop judging its pins. */
			if (m && !hp_munmap(m->mm, m->addr + off, PMD_SIZE))
				m->pfnmap = false;
			break;
		case 8:
			if (m)
				hp_mprotect(m->mm, m->addr + (off & PMD_MASK), PMD_SIZE,
					    take(2) ? PROT_READ : PROT_READ | PROT_WRITE);
			break;
		case 9:
			if (nprocs < PROCS && (procs[nprocs] = hp_fork(procs[0])))
				nprocs++;
			break;
		}
		if (config.policy != HP_POLICY_PLAIN)
			check(hp_violation_count() == 0);
	}
	for (int i = 0; i < PINS; i++)
		unpin_user_pages(pins[i].pages, pins[i].got);
	for (int i = 0; i < nprocs; i++)
		if (procs[i])
			mmput(procs[i]);
	for (int i = 0; i < MAPS; i++)
		if (bos[i])
			ttm_bo_destroy(bos[i]);
	if (bdev)
		ttm_device_fini(bdev);
	hp_machine_leaks(&leaks);
	check(!leaks.pages && !leaks.pgmap_refs);
	hp_machine_exit();
	return 0;
}
