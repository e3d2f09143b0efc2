// SPDX-License-Identifier: MIT
/*
 * Running a checked scenario on a fresh machine under one policy, and
 * tearing everything down afterwards so that leaks show.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "scenario_trace.h"

struct proc { char name[SC_NAME_MAX]; struct mm_struct *mm; bool live; };
struct map { char name[2 * SC_NAME_MAX]; int proc; unsigned long addr, len; bool live; };
struct bo { char name[SC_NAME_MAX]; struct ttm_buffer_object *bo; bool live; };
struct gup {
	char name[SC_NAME_MAX];
	struct page **pages;
	long got;
	unsigned int flags;
	bool live;
};

struct run {
	const struct sc_script *script;
	const struct sc_line *l;
	FILE *out;
	struct sc_result *res;
	struct ttm_device *bdev;
	/* Every object the run made, by kind; names maps a name to its index. */
	struct proc *procs;
	struct map *maps;
	struct bo *bos;
	struct gup *gups;
	int nprocs, nmaps, nbos, ngups;
	int cap_procs, cap_maps, cap_bos, cap_gups;
	struct sc_names names;
	struct sc_value last;
	bool stop;
};

static bool value_failed(const struct sc_value *v)
{
	return v->is_num ? v->num < 0 : strcmp(v->word, "ok") != 0;
}

/* ---- objects ---------------------------------------------------------------- */

static void runtime_error(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sc_vmessage(stderr, r->script->file, r->l->line, fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	vsnprintf(r->res->error, sizeof(r->res->error), fmt, ap);
	va_end(ap);
	r->res->script_error = true;
	r->stop = true;
}

enum obj_kind { OBJ_PROC, OBJ_MAP, OBJ_BO, OBJ_GUP };

/*
 * Room for one more object in an array of the run; names are registered
 * by the caller once the object is made.
 */
#define ROOM(r, kind) room(r, (void **)&(r)->kind, &(r)->cap_##kind, (r)->n##kind, \
			   sizeof(*(r)->kind))
/* Room for element n of a growing array; false when out of memory. */
static bool grow_array(void **arr, int *cap, int n, size_t size)
{
	int want = *cap ? *cap * 2 : 16;
	void *grown;

	if (n < *cap)
		return true;
	grown = realloc(*arr, (size_t)want * size);
	if (!grown)
		return false;
	*arr = grown;
	*cap = want;
	return true;
}

static bool room(struct run *r, void **arr, int *cap, int n, size_t size)
{
	if (grow_array(arr, cap, n, size))
		return true;
	runtime_error(r, "out of memory for %d objects", n + 1);
	return false;
}

static bool name_object(struct run *r, const char *name, enum obj_kind kind, int index)
{
	if (sc_names_add(&r->names, name, kind, index))
		return true;
	runtime_error(r, "out of memory for the name '%s'", name);
	return false;
}

/* The index of the object of that kind and name; the checker saw to it existing. */
static int object_index(const struct run *r, const char *name)
{
	const struct sc_name *n = sc_names_find(&r->names, name);

	return n ? n->index : -1;
}

static struct proc *proc_of(struct run *r, const char *name)
{
	return &r->procs[object_index(r, name)];
}

static struct map *map_of(struct run *r, const char *name)
{
	return &r->maps[object_index(r, name)];
}

static struct bo *bo_of(struct run *r, const char *name)
{
	return &r->bos[object_index(r, name)];
}

static struct gup *gup_of(struct run *r, const char *name)
{
	return &r->gups[object_index(r, name)];
}

/* Is there a live object of that name (names are unique across kinds)? */
static bool object_lives(const struct run *r, const char *name)
{
	const struct sc_name *n = sc_names_find(&r->names, name);

	if (!n)
		return false;
	switch (n->kind) {
	case OBJ_PROC: return r->procs[n->index].live;
	case OBJ_MAP: return r->maps[n->index].live;
	case OBJ_BO: return r->bos[n->index].live;
	default: return r->gups[n->index].live;
	}
}

/*
 * The checker knows which names a line uses and that some line made them;
 * only the run knows whether that line succeeded (a failure checked by
 * `expect result`) or whether a bo-destroy went through.
 */
static bool uses_exist(struct run *r, const struct sc_line *l)
{
	for (int i = 0; i < l->nargs; i++) {
		if (!(l->uses & (1u << i)) || object_lives(r, l->args[i]))
			continue;
		runtime_error(r, "'%s' does not exist: the line that makes it failed, or it was destroyed or unmapped",
			      l->args[i]);
		return false;
	}
	return true;
}

static bool add_map(struct run *r, const char *name, int proc, unsigned long addr,
		    unsigned long len)
{
	struct map *m;

	if (!ROOM(r, maps) || !name_object(r, name, OBJ_MAP, r->nmaps))
		return false;
	m = &r->maps[r->nmaps++];
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->proc = proc;
	m->addr = addr;
	m->len = len;
	m->live = true;
	return true;
}

/* Adds an mm's fault counters to the run's before the mm goes. */
static void account_faults(struct run *r, struct mm_struct *mm)
{
	r->res->faults += atomic_load(&mm->faults.total);
	for (int l = HP_LEVEL_PTE; l <= HP_LEVEL_PUD; l++) {
		r->res->resolved_at[l] += atomic_load(&mm->faults.resolved_at[l]);
		r->res->fallback[l] += atomic_load(&mm->faults.fallback[l]);
	}
}

/* The child's names for the parent's live mappings (see inherit_names()). */
static bool inherit_maps(struct run *r, int parent, int child)
{
	int n = r->nmaps;

	for (int i = 0; i < n; i++) {
		struct map m = r->maps[i];	/* a copy: add_map() may move the array */
		const char *dot = strrchr(m.name, '.');
		char name[sizeof(m.name) + SC_NAME_MAX];	/* the checker keeps it below 2 * SC_NAME_MAX */

		if (m.proc != parent || !m.live)
			continue;
		snprintf(name, sizeof(name), "%s.%s", r->procs[child].name, dot ? dot + 1 : m.name);
		if (!add_map(r, name, child, m.addr, m.len))
			return false;
	}
	return true;
}

static void proc_exit(struct run *r, int p)
{
	account_faults(r, r->procs[p].mm);
	mmput(r->procs[p].mm);
	r->procs[p].live = false;
	for (int i = 0; i < r->nmaps; i++)
		if (r->maps[i].proc == p)
			r->maps[i].live = false;
}

/* ---- commands --------------------------------------------------------------- */

static struct sc_value do_mmap_result(struct run *r, const char *name, int proc,
				      unsigned long addr, unsigned long len)
{
	if (IS_ERR_VALUE(addr))
		return sc_num((long)addr);
	if (!add_map(r, name, proc, addr, len))
		hp_munmap(r->procs[proc].mm, addr, len);
	return sc_num(0);
}

/*
 * mmap at the address the line asks for: at= fixed (MAP_FIXED_NOREPLACE),
 * align= and skew= as user space asks for alignment, else the kernel's
 * choice.
 */
static unsigned long map_as_asked(struct run *r, const struct sc_line *l, int proc,
				  struct file *file, unsigned long len, unsigned long flags,
				  unsigned long pgoff)
{
	struct mm_struct *mm = r->procs[proc].mm;
	unsigned long prot = l->opt[SC_O_PROT].prot;

	if (sc_has(l, SC_O_ALIGN))
		return hp_mmap_aligned(mm, file, len, prot, flags, pgoff, l->opt[SC_O_ALIGN].size,
				       l->opt[SC_O_SKEW].size);
	if (sc_has(l, SC_O_AT))
		flags |= MAP_FIXED_NOREPLACE;
	return hp_mmap(mm, file, l->opt[SC_O_AT].num, len, prot, flags, pgoff);
}

static struct sc_value cmd_anon(struct run *r, const struct sc_line *l)
{
	int p = object_index(r, l->args[1]);
	uint64_t len = sc_size_arg(l, 2);
	unsigned long flags = MAP_ANONYMOUS | (sc_flag(l, SC_F_SHARED) ? MAP_SHARED : MAP_PRIVATE);
	unsigned long addr = map_as_asked(r, l, p, NULL, len, flags, 0);

	if (!IS_ERR_VALUE(addr) && sc_flag(l, SC_F_HUGE))
		hp_madvise(r->procs[p].mm, addr, (len + PAGE_SIZE - 1) & PAGE_MASK, MADV_HUGEPAGE);
	return do_mmap_result(r, l->args[0], p, addr, (len + PAGE_SIZE - 1) & PAGE_MASK);
}

static struct sc_value cmd_bar(struct run *r, const struct sc_line *l)
{
	int p = object_index(r, l->args[1]);
	uint64_t len = sc_size_arg(l, 2), offset = l->opt[SC_O_OFFSET].size;
	struct hp_bar *bar;
	unsigned long addr;

	bar = hp_bar_create(l->args[0], len + offset, sc_flag(l, SC_F_ZONE_DEVICE));
	if (!bar)
		return sc_num(-EINVAL);
	addr = map_as_asked(r, l, p, hp_bar_file(bar), len, MAP_SHARED, offset >> PAGE_SHIFT);
	hp_bar_destroy(bar);	/* the mapping keeps it */
	return do_mmap_result(r, l->args[0], p, addr, len);
}

/* A line's placements (argument i) into places; contiguous applies to every one. */
static struct ttm_placement places_of(const struct sc_line *l, int i,
				      struct ttm_place places[SC_MAX_PLACES])
{
	unsigned int flags = sc_flag(l, SC_F_CONTIGUOUS) ? TTM_PL_FLAG_CONTIGUOUS : 0;

	for (int n = 0; n < l->val[i].places.n; n++)
		places[n] = (struct ttm_place){ .mem_type = l->val[i].places.type[n], .flags = flags };
	return (struct ttm_placement){ l->val[i].places.n, places };
}

static struct sc_value cmd_bo(struct run *r, const struct sc_line *l)
{
	struct ttm_place places[SC_MAX_PLACES];
	struct ttm_placement placement = places_of(l, 2, places);
	struct bo *b = &r->bos[r->nbos];
	int err;

	if (!r->bdev) {
		r->bdev = ttm_device_init(&(struct ttm_device_config){ .vram_size = r->script->vram });
		if (!r->bdev)
			return sc_num(-ENOMEM);
	}
	err = ttm_bo_create(r->bdev, sc_size_arg(l, 1), &placement, &b->bo);
	if (!err) {
		snprintf(b->name, sizeof(b->name), "%s", l->args[0]);
		b->live = true;
		r->nbos++;
		name_object(r, b->name, OBJ_BO, r->nbos - 1);
	}
	return sc_num(err);
}

/* A window of a BO: all of it, or size bytes from offset (both page-aligned). */
static struct sc_value cmd_bomap(struct run *r, const struct sc_line *l)
{
	int p = object_index(r, l->args[1]);
	struct ttm_buffer_object *bo = bo_of(r, l->args[2])->bo;
	uint64_t offset = l->opt[SC_O_OFFSET].size, len = ttm_bo_size(bo);
	unsigned long addr;

	len = offset < len ? len - offset : 0;
	if (sc_has(l, SC_O_SIZE))
		len = l->opt[SC_O_SIZE].size;
	if (offset & ~PAGE_MASK)
		return sc_num(-EINVAL);
	addr = map_as_asked(r, l, p, ttm_device_file(r->bdev), len, MAP_SHARED,
			    ttm_bo_mmap_offset(bo) + (offset >> PAGE_SHIFT));
	return do_mmap_result(r, l->args[0], p, addr, (len + PAGE_SIZE - 1) & PAGE_MASK);
}

/*
 * mremap with MREMAP_FIXED unmaps whatever was at the target first: a name
 * whose whole range lay there is gone, as after munmap of all of it.  A
 * mapping only partly covered keeps its name, and accesses to the hole fault.
 */
static void retire_covered(struct run *r, const struct map *moved)
{
	for (int i = 0; i < r->nmaps; i++) {
		struct map *m = &r->maps[i];

		if (m != moved && m->live && m->proc == moved->proc && m->addr >= moved->addr &&
		    m->addr + m->len <= moved->addr + moved->len)
			m->live = false;
	}
}

/* The whole mapping to NEWSIZE; its name follows it.  Result: the address or -errno. */
static struct sc_value cmd_mremap(struct run *r, const struct sc_line *l)
{
	struct map *m = map_of(r, l->args[0]);
	uint64_t len = sc_size_arg(l, 1);
	unsigned long flags = (sc_flag(l, SC_F_MAYMOVE) ? MREMAP_MAYMOVE : 0) |
			      (sc_flag(l, SC_F_DONTUNMAP) ? MREMAP_DONTUNMAP : 0) |
			      (sc_has(l, SC_O_FIXED) ? MREMAP_FIXED : 0);
	unsigned long addr;

	addr = hp_mremap(r->procs[m->proc].mm, m->addr, m->len, len, flags, l->opt[SC_O_FIXED].num);
	if (!IS_ERR_VALUE(addr)) {
		m->addr = addr;
		m->len = (len + PAGE_SIZE - 1) & PAGE_MASK;
		if (flags & MREMAP_FIXED)
			retire_covered(r, m);
	}
	return sc_num((long)addr);
}

static struct sc_value cmd_bo_op(struct run *r, const struct sc_line *l)
{
	struct bo *b = bo_of(r, l->args[0]);
	struct ttm_place places[SC_MAX_PLACES];
	struct ttm_placement placement;
	int err = 0;

	switch (l->cmd) {
	case SC_BO_DESTROY:
		err = ttm_bo_destroy(b->bo);
		if (!err)
			b->live = false;
		break;
	case SC_BO_PIN: ttm_bo_pin(b->bo); break;
	case SC_BO_UNPIN: ttm_bo_unpin(b->bo); break;
	case SC_BO_EVICT: err = ttm_bo_evict(b->bo); break;
	default:
		placement = places_of(l, 1, places);
		err = ttm_bo_validate(b->bo, &placement);
		break;
	}
	return sc_num(err);
}

static const char *access_word(enum hp_access_result a)
{
	return a == HP_ACCESS_OK ? "ok" : hp_access_result_name(a);
}

static bool range_arg(struct run *r, const struct sc_line *l, const struct map *m,
		      uint64_t *off, uint64_t *len)
{
	*off = l->nargs >= 3 ? sc_size_arg(l, 1) : 0;
	*len = l->nargs >= 3 ? sc_size_arg(l, 2) : m->len;
	if (*off > m->len || *len > m->len - *off) {
		runtime_error(r, "[%#llx, +%#llx) is outside mapping '%s' (%#lx bytes)",
			      (unsigned long long)*off,
			      (unsigned long long)*len, m->name, m->len);
		return false;
	}
	return true;
}

static struct sc_value cmd_access(struct run *r, const struct sc_line *l)
{
	struct map *m = map_of(r, l->args[0]);
	struct mm_struct *mm = r->procs[m->proc].mm;
	unsigned char buf[PAGE_SIZE];
	uint64_t off, len;
	long seed = l->cmd != SC_TOUCH ? sc_num_arg(l, 3) : 0;

	if (!range_arg(r, l, m, &off, &len))
		return sc_num(0);
	for (uint64_t o = off; o < off + len;) {
		uint64_t chunk = PAGE_SIZE - ((m->addr + o) & (PAGE_SIZE - 1));
		enum hp_access_result a;

		if (chunk > off + len - o)
			chunk = off + len - o;
		if (l->cmd == SC_TOUCH) {
			buf[0] = 0x5a;
			a = hp_access(mm, m->addr + o, 1, sc_flag(l, SC_F_READ) ? HP_ACCESS_READ :
				      HP_ACCESS_WRITE, buf);
		} else if (l->cmd == SC_FILL) {
			for (uint64_t i = 0; i < chunk; i++)
				buf[i] = sc_pattern_byte(seed, o + i);
			a = hp_access(mm, m->addr + o, chunk, HP_ACCESS_WRITE, buf);
		} else {
			a = hp_access(mm, m->addr + o, chunk, HP_ACCESS_READ, buf);
			for (uint64_t i = 0; a == HP_ACCESS_OK && i < chunk; i++) {
				if (buf[i] != sc_pattern_byte(seed, o + i)) {
					r->res->mismatches++;
					if (!l->result_expected)
						r->res->unexpected_mismatches++;
					return sc_word("mismatch");
				}
			}
		}
		if (a != HP_ACCESS_OK)
			return sc_word(access_word(a));
		o += chunk;
	}
	if (l->cmd == SC_VERIFY)
		r->res->verified++;
	return sc_word("ok");
}

/* What the report says of a GUP: every one, in order. */
static bool record_gup(struct run *r, const struct sc_line *l, const struct gup *g)
{
	struct sc_gup_result *res;

	if (!room(r, (void **)&r->res->gups, &r->res->cap_gups, r->res->ngups, sizeof(*res)))
		return false;
	res = &r->res->gups[r->res->ngups++];
	snprintf(res->name, sizeof(res->name), "%s", g->name);
	snprintf(res->how, sizeof(res->how), "%s %s%s%s",
		 sc_flag(l, SC_F_FAST_ONLY) ? "fast-only" : sc_flag(l, SC_F_SLOW) ? "slow" : "fast",
		 sc_flag(l, SC_F_GET) ? "get" : "pin", sc_flag(l, SC_F_WRITE) ? " write" : "",
		 sc_flag(l, SC_F_LONGTERM) ? " longterm" : "");
	res->result = g->got;
	return true;
}

static struct sc_value cmd_gup(struct run *r, const struct sc_line *l)
{
	struct map *m = map_of(r, l->args[1]);
	struct mm_struct *mm = r->procs[m->proc].mm;
	struct gup *g = &r->gups[r->ngups];
	unsigned int flags = (sc_flag(l, SC_F_WRITE) ? FOLL_WRITE : 0) |
			     (sc_flag(l, SC_F_LONGTERM) ? FOLL_LONGTERM : 0);
	bool get = sc_flag(l, SC_F_GET), slow = sc_flag(l, SC_F_SLOW);
	unsigned long addr = m->addr + sc_size_arg(l, 2);
	long n = sc_num_arg(l, 3);

	g->pages = calloc(n, sizeof(*g->pages));
	if (!g->pages)
		return sc_num(-ENOMEM);
	if (sc_flag(l, SC_F_FAST_ONLY))
		g->got = get ? get_user_pages_fast_only(mm, addr, n, flags, g->pages) : 0;
	else if (slow)
		g->got = get ? get_user_pages(mm, addr, n, flags, g->pages) :
			       pin_user_pages(mm, addr, n, flags, g->pages);
	else
		g->got = get ? get_user_pages_fast(mm, addr, n, flags, g->pages) :
			       pin_user_pages_fast(mm, addr, n, flags, g->pages);
	g->flags = get ? FOLL_GET : FOLL_PIN;
	g->live = true;
	snprintf(g->name, sizeof(g->name), "%s", l->args[0]);
	r->ngups++;
	/* The name is made only now: an early failure leaves it unmade. */
	if (name_object(r, g->name, OBJ_GUP, r->ngups - 1))
		record_gup(r, l, g);
	return sc_num(g->got);
}

static void gup_release(struct gup *g)
{
	for (long i = 0; i < g->got; i++) {
		if (g->flags == FOLL_PIN)
			unpin_user_page(g->pages[i]);
		else
			put_page(g->pages[i]);
	}
	free(g->pages);
	g->pages = NULL;
	g->live = false;
}

/*
 * A device writing through the pins, as an O_DIRECT read or an RDMA write
 * would: every pinned page gets a byte from the seed.  Returns pages written.
 */
static struct sc_value cmd_dma(struct run *r, const struct sc_line *l)
{
	struct gup *g = gup_of(r, l->args[0]);
	long seed = sc_num_arg(l, 1);

	for (long i = 0; i < g->got; i++)
		memset(page_address(g->pages[i]), sc_dma_byte(seed), PAGE_SIZE);
	return sc_num(g->got > 0 ? g->got : 0);
}

/* ---- views ------------------------------------------------------------------ */

static enum hp_entry_kind kind_of(uint64_t val)
{
	return (val & _PAGE_DEVMAP) ? HP_KIND_DEVMAP : (val & _PAGE_SPECIAL) ? HP_KIND_SPECIAL :
	       HP_KIND_NORMAL;
}

/* What the CPU may do through an entry: r, w, x as /proc/PID/maps; --- for PROT_NONE. */
static const char *rights_word(uint64_t val)
{
	static const char *const words[] = { "r--", "rw-", "r-x", "rwx" };

	if (!(val & _PAGE_PRESENT))
		return "---";
	return words[((val & _PAGE_RW) ? 1 : 0) + ((val & _PAGE_NX) ? 0 : 2)];
}

static unsigned long leaf_pfn(enum hp_level level, uint64_t val)
{
	return level == HP_LEVEL_PUD ? pud_pfn(__pud(val)) :
	       level == HP_LEVEL_PMD ? pmd_pfn(__pmd(val)) : pte_pfn(__pte(val));
}

/* A run of show_map(): unmapped bytes, or entries of one level, kind and rights, pfns consecutive. */
struct entry_run {
	unsigned long start, end, pfn, n;	/* n == 0: nothing yet */
	enum hp_level level;
	uint64_t flags;
};

static void print_run(struct run *r, const struct entry_run *run)
{
	if (!run->n)
		return;
	if (run->level == HP_LEVEL_NONE)
		fprintf(r->out, "  0x%lx-0x%lx  %-4s\n", run->start, run->end, "none");
	else
		fprintf(r->out, "  0x%lx-0x%lx  %-4s %-8s pfn 0x%-9lx %s  x%lu\n",
			run->start, run->end, hp_level_name(run->level), sc_kind_word(kind_of(run->flags)),
			run->pfn, rights_word(run->flags), run->n);
}

/* Ends the run and starts an unmapped one up to end, if the next entry begins after it. */
static void run_hole(struct run *r, struct entry_run *run, unsigned long end)
{
	if (end <= run->end)
		return;
	print_run(r, run);
	*run = (struct entry_run){ .start = run->end, .end = end, .n = 1, .level = HP_LEVEL_NONE };
}

/*
 * One line per run, from the entries the tables hold (hp_next_entry()), so a
 * huge mapping with few entries costs what it holds.  A huge leaf that begins
 * before the mapping or ends after it is shown clipped to it.
 */
static void show_map(struct run *r, const struct map *m)
{
	struct mm_struct *mm = r->procs[m->proc].mm;
	unsigned long start = m->addr, end = m->addr + m->len, addr = start;
	struct entry_run run = { .start = start, .end = start };
	enum hp_level level;
	uint64_t val;

	fprintf(r->out, "map %s in %s: 0x%lx-0x%lx (%lu KiB)\n", m->name, r->procs[m->proc].name,
		start, end, m->len >> 10);
	while ((level = hp_next_entry(mm, &addr, end, &val)) != HP_LEVEL_NONE) {
		unsigned long size = hp_level_size(level), pfn = leaf_pfn(level, val);
		unsigned long from = addr > start ? addr : start;
		uint64_t flags = val & (_PAGE_PRESENT | _PAGE_RW | _PAGE_NX | _PAGE_SPECIAL |
					_PAGE_DEVMAP);

		run_hole(r, &run, from);
		if (!run.n || run.level != level || run.flags != flags ||
		    pfn != run.pfn + run.n * (size >> PAGE_SHIFT)) {
			print_run(r, &run);
			run = (struct entry_run){ .start = from, .pfn = pfn, .level = level,
						  .flags = flags };
		}
		run.n++;
		addr += size;
		run.end = addr < end ? addr : end;
	}
	run_hole(r, &run, end);
	print_run(r, &run);
}

static void show_stats(struct run *r, struct proc *p)
{
	struct hp_entry_counts c;
	struct mm_struct *mm = p->mm;

	hp_mm_count_entries(mm, &c);
	fprintf(r->out, "stats %s: faults %lu (pud %lu, pmd %lu, pte %lu; fallbacks pud %lu, pmd %lu), "
		"rss %ld pages\n", p->name, atomic_load(&mm->faults.total),
		atomic_load(&mm->faults.resolved_at[HP_LEVEL_PUD]),
		atomic_load(&mm->faults.resolved_at[HP_LEVEL_PMD]),
		atomic_load(&mm->faults.resolved_at[HP_LEVEL_PTE]),
		atomic_load(&mm->faults.fallback[HP_LEVEL_PUD]),
		atomic_load(&mm->faults.fallback[HP_LEVEL_PMD]), atomic_load(&mm->rss));
	for (int l = HP_LEVEL_PUD; l >= HP_LEVEL_PTE; l--)
		fprintf(r->out, "  %s entries: %lu normal, %lu special, %lu devmap\n",
			hp_level_name(l), c.leaves[l][HP_KIND_NORMAL], c.leaves[l][HP_KIND_SPECIAL],
			c.leaves[l][HP_KIND_DEVMAP]);
	fputs("  tables:", r->out);
	for (int t = 0; t < HP_NR_TABLE_LEVELS; t++)
		fprintf(r->out, "%s %s %lu", t ? "," : "", sc_table_word(t), c.tables[t]);
	fprintf(r->out, " (%lu deposited)\n", c.deposited);
}

/* ---- expectations ----------------------------------------------------------- */

static bool entry_matches(int level, int kind, enum hp_level l, enum hp_entry_kind k)
{
	return (level == SC_ANY || level == (int)l) && (kind == SC_ANY || kind == (int)k);
}

/* Counts entries of level and kind (SC_ANY for all) in [start, end) of mm. */
static long count_entries(struct mm_struct *mm, unsigned long start, unsigned long end,
			  int level, int kind)
{
	unsigned long addr = start;
	enum hp_level l;
	long n = 0;
	uint64_t val;

	for (; (l = hp_next_entry(mm, &addr, end, &val)) != HP_LEVEL_NONE; addr += hp_level_size(l))
		if (entry_matches(level, kind, l, kind_of(val)))
			n++;
	return n;
}

/* The same over a whole address space, from its table walk. */
static long count_mm_entries(struct mm_struct *mm, int level, int kind)
{
	struct hp_entry_counts c;
	long n = 0;

	hp_mm_count_entries(mm, &c);
	for (int l = HP_LEVEL_PTE; l <= HP_LEVEL_PUD; l++)
		for (int k = 0; k < HP_NR_KINDS; k++)
			if (entry_matches(level, kind, l, k))
				n += c.leaves[l][k];
	return n;
}

static struct sc_value eval_faults(struct mm_struct *mm, int which)
{
	if (which == HP_LEVEL_NONE)
		return sc_num(atomic_load(&mm->faults.total));
	if (which & SC_FAULTS_FALLBACK)
		return sc_num(atomic_load(&mm->faults.fallback[which & ~SC_FAULTS_FALLBACK]));
	return sc_num(atomic_load(&mm->faults.resolved_at[which]));
}

/* expect level|kind MAPPING OFFSET: the entry that maps the byte. */
static struct sc_value eval_entry(struct run *r, const struct sc_line *l)
{
	struct map *m = map_of(r, l->args[1]);
	uint64_t off = sc_size_arg(l, 2), val;
	enum hp_level lvl;

	if (off >= m->len) {
		runtime_error(r, "expect %s: offset %#llx is outside mapping '%s'", l->args[0],
			      (unsigned long long)off, m->name);
		return sc_num(0);
	}
	lvl = hp_lookup_entry(r->procs[m->proc].mm, m->addr + off, &val);
	if (sc_key_of(l) == SC_KEY_LEVEL)
		return sc_word(sc_level_word(lvl));
	return sc_word(sc_kind_word(lvl == HP_LEVEL_NONE ? -1 : (int)kind_of(val)));
}

/* The value of every key of sc_keys[]: a key without a case here stops the run. */
static struct sc_value eval_key(struct run *r, const struct sc_line *l)
{
	const struct sc_name *n;
	struct mm_struct *mm;

	switch (sc_key_of(l)) {
	case SC_KEY_RESULT:
		return r->last;
	case SC_KEY_VIOLATIONS:
		return sc_num((long)hp_violation_count());
	case SC_KEY_FAULTS:
		return eval_faults(proc_of(r, l->args[1])->mm,
				   l->nargs == 5 ? l->val[2].faults : HP_LEVEL_NONE);
	case SC_KEY_ENTRIES:
		n = sc_names_find(&r->names, l->args[1]);
		if (n->kind == OBJ_MAP) {
			const struct map *m = &r->maps[n->index];

			return sc_num(count_entries(r->procs[m->proc].mm, m->addr, m->addr + m->len,
						    l->val[2].level, l->val[3].kind));
		}
		return sc_num(count_mm_entries(proc_of(r, l->args[1])->mm, l->val[2].level,
					       l->val[3].kind));
	case SC_KEY_TABLES:
		mm = proc_of(r, l->args[1])->mm;
		return sc_num(atomic_load(&mm->nr_tables[l->val[2].table]));
	case SC_KEY_PGTABLES:
		/* VmPTE: PUD, PMD and PTE tables (deposited ones too), not the PGD. */
		mm = proc_of(r, l->args[1])->mm;
		return sc_num((long)(atomic_load(&mm->nr_tables[HP_TABLE_PUD]) +
				     atomic_load(&mm->nr_tables[HP_TABLE_PMD]) +
				     atomic_load(&mm->nr_tables[HP_TABLE_PTE])) * (long)PAGE_SIZE);
	case SC_KEY_GUP:
		return sc_num(gup_of(r, l->args[1])->got);
	case SC_KEY_RSS:
		return sc_num(atomic_load(&proc_of(r, l->args[1])->mm->rss));
	case SC_KEY_PLACEMENT:
		return sc_word(sc_place_word(ttm_bo_mem_type(bo_of(r, l->args[1])->bo)));
	case SC_KEY_LEVEL:
	case SC_KEY_KIND:
		return eval_entry(r, l);
	case SC_NR_KEYS:
		break;
	}
	runtime_error(r, "expect %s: the model does not evaluate this key", l->args[0]);
	return sc_num(0);
}

static bool compare(const struct sc_value *a, enum sc_op op, const struct sc_value *b)
{
	int c;

	if (a->is_num != b->is_num)
		return op == SC_OP_NE;
	c = a->is_num ? (a->num > b->num) - (a->num < b->num) : strcmp(a->word, b->word);
	switch (op) {
	case SC_OP_EQ: return c == 0;
	case SC_OP_NE: return c != 0;
	default: break;
	}
	if (!a->is_num)
		return false;
	switch (op) {
	case SC_OP_LT: return c < 0;
	case SC_OP_LE: return c <= 0;
	case SC_OP_GT: return c > 0;
	default: return c >= 0;
	}
}

static void record_failed_expect(struct run *r, const struct sc_line *l, const struct sc_value *got)
{
	struct sc_result *res = r->res;
	struct sc_failed_expect *f;
	size_t n = 0;

	if (!room(r, (void **)&res->failed, &res->cap_failed, res->nfailed, sizeof(*f)))
		return;
	f = &res->failed[res->nfailed++];
	f->line = l->line;
	f->key[0] = '\0';
	for (int i = 0; i < l->nargs - 2 && n < sizeof(f->key); i++)
		n += snprintf(f->key + n, sizeof(f->key) - n, "%s%s", i ? " " : "", l->args[i]);
	snprintf(f->op, sizeof(f->op), "%s", l->args[l->nargs - 2]);
	snprintf(f->expected, sizeof(f->expected), "%s", l->args[l->nargs - 1]);
	sc_value_text(f->actual, sizeof(f->actual), got);
}

static void cmd_expect(struct run *r, const struct sc_line *l)
{
	const struct sc_expect *e = &l->expect;
	struct sc_value got;
	bool applies = e->policies & (1u << r->res->policy);

	if (!applies && !r->script->trace)
		return;
	got = eval_key(r, l);
	if (r->stop)
		return;
	if (r->script->trace)
		sc_trace_expect(r->script->trace, l, &got, NULL);
	if (!applies)
		return;
	if (compare(&got, e->op, &e->want)) {
		r->res->expect_passed++;
		return;
	}
	r->res->expect_failed++;
	fprintf(r->out, "%s:%u: expectation failed under %s:", r->script->file, l->line,
		hp_policy_name(r->res->policy));
	for (int i = 0; i < l->nargs; i++)
		fprintf(r->out, " %s", l->args[i]);
	fputs(" -- actual ", r->out);
	sc_value_print(r->out, &got);
	fputc('\n', r->out);
	record_failed_expect(r, l, &got);
}

/* ---- the run ---------------------------------------------------------------- */


/* A view goes to the output and into the result (JSON carries it). */
static void cmd_show(struct run *r, const struct sc_line *l)
{
	FILE *out = r->out;
	char *text = NULL;
	size_t len = 0;
	char *all;

	r->out = open_memstream(&text, &len);
	if (!r->out) {
		r->out = out;
		runtime_error(r, "show: out of memory");
		return;
	}
	if (l->val[0].view == SC_VIEW_MAP)
		show_map(r, map_of(r, l->args[1]));
	else
		show_stats(r, proc_of(r, l->args[1]));
	fclose(r->out);
	r->out = out;
	fputs(text ? text : "", out);
	all = realloc(r->res->shown, r->res->shown_len + len + 1);
	if (all) {
		memcpy(all + r->res->shown_len, text, len);
		r->res->shown_len += len;
		all[r->res->shown_len] = '\0';
		r->res->shown = all;
	}
	free(text);
}

static struct sc_value exec_line(struct run *r, const struct sc_line *l)
{
	struct map *m;
	int p;

	switch (l->cmd) {
	case SC_MACHINE:
		return sc_num(0);
	case SC_PROCESS:
	case SC_FORK:
		if (!ROOM(r, procs))
			return sc_num(0);
		p = r->nprocs;
		r->procs[p].mm = l->cmd == SC_PROCESS ? mm_alloc() :
				 hp_fork(proc_of(r, l->args[0])->mm);
		if (!r->procs[p].mm)
			return sc_num(-ENOMEM);
		snprintf(r->procs[p].name, sizeof(r->procs[p].name), "%s",
			 l->args[l->cmd == SC_PROCESS ? 0 : 1]);
		r->procs[p].live = true;
		r->nprocs++;
		if (!name_object(r, r->procs[p].name, OBJ_PROC, p))
			return sc_num(0);
		if (l->cmd == SC_FORK)
			inherit_maps(r, object_index(r, l->args[0]), p);
		return sc_num(0);
	case SC_EXIT:
		proc_exit(r, object_index(r, l->args[0]));
		return sc_num(0);
	case SC_ANON:
		return cmd_anon(r, l);
	case SC_BAR:
		return cmd_bar(r, l);
	case SC_BO:
		return ROOM(r, bos) ? cmd_bo(r, l) : sc_num(0);
	case SC_BOMAP:
		return cmd_bomap(r, l);
	case SC_BO_DESTROY:
	case SC_BO_PIN:
	case SC_BO_UNPIN:
	case SC_BO_EVICT:
	case SC_BO_VALIDATE:
		return cmd_bo_op(r, l);
	case SC_MUNMAP:
	case SC_MPROTECT: {
		uint64_t off, len;
		int err;

		m = map_of(r, l->args[0]);
		if (!range_arg(r, l, m, &off, &len))
			return sc_num(0);
		if (l->cmd == SC_MUNMAP) {
			err = hp_munmap(r->procs[m->proc].mm, m->addr + off, len);
			if (!err && l->nargs == 1)
				m->live = false;
		} else {
			err = hp_mprotect(r->procs[m->proc].mm, m->addr + off, len,
					  l->val[3].prot);
		}
		return sc_num(err);
	}
	case SC_TOUCH:
	case SC_FILL:
	case SC_VERIFY:
		return cmd_access(r, l);
	case SC_GUP:
		return ROOM(r, gups) ? cmd_gup(r, l) : sc_num(0);
	case SC_RELEASE:
		gup_release(gup_of(r, l->args[0]));
		return sc_num(0);
	case SC_DMA:
		return cmd_dma(r, l);
	case SC_SHOW:
		cmd_show(r, l);
		return r->last;
	case SC_EXPECT:
		cmd_expect(r, l);
		return r->last;
	case SC_MREMAP:
		return cmd_mremap(r, l);
	case SC_NR_CMDS:
		break;
	}
	runtime_error(r, "%s: the model has no handler for this command", sc_cmd_name(l->cmd));
	return sc_num(0);
}

/* show and expect leave result as the command before them left it: they have none. */
static bool makes_result(enum sc_cmd cmd)
{
	return cmd != SC_SHOW && cmd != SC_EXPECT;
}

/* The peak of entries and tables across live processes, after each command. */
static void sample_peaks(struct run *r)
{
	unsigned long leaves[HP_LEVEL_PUD + 1][HP_NR_KINDS] = { { 0 } };
	unsigned long tables[HP_NR_TABLE_LEVELS] = { 0 };

	for (int p = 0; p < r->nprocs; p++) {
		struct hp_entry_counts c;

		if (!r->procs[p].live)
			continue;
		hp_mm_count_entries(r->procs[p].mm, &c);
		for (int l = 0; l <= HP_LEVEL_PUD; l++)
			for (int k = 0; k < HP_NR_KINDS; k++)
				leaves[l][k] += c.leaves[l][k];
		for (int t = 0; t < HP_NR_TABLE_LEVELS; t++)
			tables[t] += atomic_load(&r->procs[p].mm->nr_tables[t]);
	}
	for (int l = 0; l <= HP_LEVEL_PUD; l++)
		for (int k = 0; k < HP_NR_KINDS; k++)
			if (leaves[l][k] > r->res->leaves[l][k])
				r->res->leaves[l][k] = leaves[l][k];
	for (int t = 0; t < HP_NR_TABLE_LEVELS; t++)
		if (tables[t] > r->res->tables[t])
			r->res->tables[t] = tables[t];
}

/* Everything the script made goes, in an order that lets nothing dangle. */
static void teardown(struct run *r)
{
	for (int i = 0; i < r->ngups; i++)
		if (r->gups[i].live)
			gup_release(&r->gups[i]);
	for (int p = 0; p < r->nprocs; p++)
		if (r->procs[p].live)
			proc_exit(r, p);
	for (int i = 0; i < r->nbos; i++) {
		if (!r->bos[i].live)
			continue;
		while (ttm_bo_destroy(r->bos[i].bo) == -EBUSY)
			ttm_bo_unpin(r->bos[i].bo);
	}
	if (r->bdev)
		ttm_device_fini(r->bdev);
	free(r->procs);
	free(r->maps);
	free(r->bos);
	free(r->gups);
	sc_names_free(&r->names);
}

void sc_result_free(struct sc_result *res)
{
	free(res->gups);
	free(res->failed);
	free(res->violation_list);
	free(res->shown);
	memset(res, 0, sizeof(*res));
}

/* Every violation the machine recorded. */
static void collect_violations(struct sc_result *res)
{
	unsigned long n = hp_violation_count();

	res->violations = n;
	hp_violation_get(0, &res->first_violation);
	res->violation_list = n ? calloc(n, sizeof(*res->violation_list)) : NULL;
	for (unsigned long i = 0; res->violation_list && i < n; i++)
		if (hp_violation_get(i, &res->violation_list[i]))
			res->nviolations_listed = i + 1;
}

void sc_run(const struct sc_script *script, enum hugepfn_policy policy, FILE *out,
	    struct sc_result *res)
{
	struct hp_config config = { .ram_size = script->ram, .policy = policy };
	struct run *r = calloc(1, sizeof(*r));
	int err;

	memset(res, 0, sizeof(*res));
	res->policy = policy;
	res->violations_expected = script->expects_violations[policy];
	if (!r) {
		res->script_error = true;
		return;
	}
	err = hp_machine_init(&config);
	if (err) {
		fprintf(stderr, "%s: cannot set up a machine with %llu bytes of RAM: %s\n",
			script->file, (unsigned long long)script->ram, strerror(-err));
		res->script_error = true;
		free(r);
		return;
	}
	r->script = script;
	r->out = out;
	r->res = res;
	if (script->fail_site >= 0)
		hp_fail_nth(script->fail_site, script->fail_nth);
	for (int i = 0; i < script->nlines && !r->stop; i++) {
		r->l = &script->lines[i];
		if (!uses_exist(r, r->l))
			break;
		r->last = exec_line(r, r->l);
		if (r->stop)
			break;
		if (script->trace && makes_result(r->l->cmd))
			sc_trace_step(script->trace, r->l, &r->last);
		if (makes_result(r->l->cmd) && !r->l->result_expected && value_failed(&r->last)) {
			char text[32];

			sc_value_text(text, sizeof(text), &r->last);
			fprintf(stderr, "%s:%u: %s failed: %s (under %s)\n", script->file, r->l->line,
				sc_cmd_name(r->l->cmd), text, hp_policy_name(policy));
			snprintf(res->error, sizeof(res->error), "%s failed: %s", sc_cmd_name(r->l->cmd),
				 text);
			res->script_error = true;
			break;
		}
		sample_peaks(r);
	}
	if (script->trace) {
		if (res->script_error)
			sc_trace_stop(script->trace, r->l->line, res->error);
		else
			sc_trace_end(script->trace);
	}
	if (script->fail_site >= 0) {
		res->fail_fired = hp_fail_calls(script->fail_site) >= script->fail_nth;
		hp_fail_nth(script->fail_site, 0);	/* teardown allocates nothing, but be sure */
	}
	teardown(r);
	collect_violations(res);
	hp_machine_leaks(&res->leaks);
	hp_machine_exit();
	free(r);
}

int sc_status(const struct sc_result *r)
{
	if (r->script_error)
		return 3;
	if (r->expect_failed || r->unexpected_mismatches || r->leaks.pages || r->leaks.pgmap_refs ||
	    (r->violations && !r->violations_expected))
		return 1;
	return 0;
}
