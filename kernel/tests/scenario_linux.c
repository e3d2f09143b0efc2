// SPDX-License-Identifier: MIT
/*
 * hpscen: the Linux backend of the scenario language, run inside the QEMU
 * guest.  The script is parsed and checked by the model's own parser
 * (tools/scenario_parse.c); every command is then performed as system calls
 * on the running kernel, and the per-step trace of tools/scenario_trace.h is
 * printed, the same lines `hugepfn run --trace` prints for the model.
 *
 * Every `process` is a real process: a worker forked by this controller,
 * which runs a command loop on a pair of pipes.  The controller sends the
 * index of a line; the worker performs it in its own address space and
 * answers with the value.  `fork` is fork() in the parent's worker: the
 * child becomes a worker of its own, on a pair of pipes the controller made
 * for it before any process started (the guest kernel has no AF_UNIX to
 * pass descriptors with).  Messages are smaller than PIPE_BUF, so a read
 * or a write moves one whole message.
 *
 *   hpscen SCRIPT...     one trace per script, each after "begin SCRIPT"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktest_pin.h"
#include "scenario.h"
#include "scenario_trace.h"
#include "scenario_linux.h"

/* Bounds of one script's objects; a script that needs more is refused clearly. */
#define LX_MAX_PROCS	16
#define LX_MAX_MAPS	64
#define LX_MAX_GUPS	32
#define LX_MAX_BOS	16
#define LX_SCRIPT_SECONDS	30
/* All scripts of one boot: the rest are skipped, so the tests after them still run. */
#define LX_TOTAL_SECONDS	150

/* ---- the worker: one process of the script --------------------------------- */

struct lx_map {
	char name[2 * SC_NAME_MAX];
	char *addr;
	size_t len;
	bool live;
};

/* What the worker answers for one line. */
struct lx_reply {
	struct sc_value v;
	enum { LX_VALUE, LX_UNOBSERVABLE, LX_SKIP, LX_STOP } what;
	char why[160];
	pid_t child;		/* fork: the child's pid; its socket comes along */
	uint32_t set;		/* gup: the reference set hugepfn_pin keeps, 0 if none */
};

static const struct sc_script *script;
static struct lx_map maps[LX_MAX_MAPS];
static int nmaps;
/* Faults (minflt) taken inside the measured windows, and the baselines of rss and VmPTE. */
static long faults;
static long rss_base, pte_base;
/* hugepfn_pin, opened for each script before its first worker: shared by all its processes. */
static int pin_fd = -1;
static struct lx_env env;	/* the device handles the controller opened */

static struct lx_map *map_named(const char *name)
{
	for (int i = 0; i < nmaps; i++)
		if (maps[i].live && !strcmp(maps[i].name, name))
			return &maps[i];
	return NULL;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* A "Key:   N kB" line of /proc/self/status, in bytes; -1 if missing. */
static long status_bytes(const char *key)
{
	char line[128];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10) * 1024;
			break;
		}
	fclose(f);
	return v;
}

static bool is_scenario_addr(unsigned long a)
{
	for (int i = 0; i < nmaps; i++)
		if (a >= (unsigned long)maps[i].addr && a < (unsigned long)maps[i].addr + maps[i].len)
			return true;
	return false;
}

/*
 * The worker's own memory (text, data, heap, stack) faulted in and its
 * copy-on-write broken, so that the faults, rss and page tables measured
 * afterwards are the script's.  Pages of the script's mappings are not
 * touched.
 */
static void __attribute__((noinline)) grow_stack(void)
{
	volatile char pad[256 << 10];

	for (size_t i = 0; i < sizeof(pad); i += 4096)
		pad[i] = 0;
}

static void warm_up(void)
{
	char line[512], perms[8];
	unsigned long lo, hi;
	FILE *f;

	grow_stack();
	f = fopen("/proc/self/maps", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || strstr(line, "[v") ||
		    is_scenario_addr(lo) || perms[0] != 'r')
			continue;
		for (unsigned long a = lo; a < hi; a += 4096) {
			volatile char *p = (volatile char *)a;
			char c = *p;

			if (perms[1] == 'w' && perms[3] == 'p')
				*p = c;
		}
	}
	fclose(f);
}

static void set_baselines(void)
{
	warm_up();
	faults = 0;
	rss_base = status_bytes("VmRSS");
	pte_base = status_bytes("VmPTE");
}

/* ---- accesses, with SIGSEGV and SIGBUS caught ---- */

static sigjmp_buf access_jmp;
static volatile sig_atomic_t access_signal;

static void on_fault_signal(int sig)
{
	access_signal = sig;
	siglongjmp(access_jmp, 1);
}

/* A size option's value, 0 when not given (the parser read it). */
static uint64_t size_opt(const struct sc_line *l, enum sc_opt o)
{
	return l->opt[o].size;
}

static struct lx_reply value(struct sc_value v)
{
	return (struct lx_reply){ .v = v, .what = LX_VALUE };
}

static struct lx_reply reply_why(int what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static struct lx_reply reply_why(int what, const char *fmt, ...)
{
	struct lx_reply r = { .what = what };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r.why, sizeof(r.why), fmt, ap);
	va_end(ap);
	return r;
}

static struct lx_reply errno_value(void)
{
	return value(sc_num(-errno));
}

/*
 * Where a new mapping goes, as the model's map_as_asked(): at= is
 * MAP_FIXED_NOREPLACE; align= and skew= reserve len + align, pick the
 * address inside and map there (QEMU's way); else the kernel chooses.
 */
static void *placement(const struct sc_line *l, size_t len, int *flags)
{
	uint64_t align = size_opt(l, SC_O_ALIGN), skew = size_opt(l, SC_O_SKEW);
	char *res;
	unsigned long a;

	if (sc_has(l, SC_O_AT)) {
		*flags |= MAP_FIXED_NOREPLACE;
		return (void *)l->opt[SC_O_AT].num;
	}
	if (!align)
		return NULL;
	res = mmap(NULL, len + align + skew, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (res == MAP_FAILED)
		return NULL;
	munmap(res, len + align + skew);
	a = (((unsigned long)res + align - 1) & ~(align - 1)) + skew;
	*flags |= MAP_FIXED_NOREPLACE;
	return (void *)a;
}

static struct lx_reply add_map(const char *name, void *addr, size_t len)
{
	struct lx_map *m;

	if (nmaps == LX_MAX_MAPS)
		return reply_why(LX_STOP, "more than %d mappings in one process", LX_MAX_MAPS);
	m = &maps[nmaps++];
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->addr = addr;
	m->len = len;
	m->live = true;
	return value(sc_num(0));
}

static struct lx_reply do_anon(const struct sc_line *l)
{
	size_t len = (sc_size_arg(l, 2) + 4095) & ~4095UL;
	int flags = MAP_ANONYMOUS | (sc_flag(l, SC_F_SHARED) ? MAP_SHARED : MAP_PRIVATE);
	void *hint = placement(l, len, &flags);
	void *p = mmap(hint, len, l->opt[SC_O_PROT].prot, flags, -1, 0);

	if (p == MAP_FAILED)
		return errno_value();
	/*
	 * The model's THP mode is madvise: huge is MADV_HUGEPAGE, anything else
	 * never huge.  A kernel without madvise(2) (CONFIG_ADVISE_SYSCALLS) in
	 * that mode gives no VMA a THP: right for the rest, not for huge.
	 */
	if (madvise(p, len, sc_flag(l, SC_F_HUGE) ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		int err = errno;

		if (err == ENOSYS && !sc_flag(l, SC_F_HUGE))
			return add_map(l->args[0], p, len);
		munmap(p, len);
		if (err == ENOSYS)
			return reply_why(LX_SKIP, "huge needs madvise(2): this kernel has no "
					 "CONFIG_ADVISE_SYSCALLS");
		return value(sc_num(-err));
	}
	return add_map(l->args[0], p, len);
}

static struct lx_reply do_bar(const struct sc_line *l, int idx)
{
	size_t len = sc_size_arg(l, 2);
	uint64_t offset = size_opt(l, SC_O_OFFSET);
	int flags = MAP_SHARED;
	bool zone = sc_flag(l, SC_F_ZONE_DEVICE);
	void *hint, *p;
	uint64_t window;

	if (!lx_bar_ready(&env, zone))
		return reply_why(LX_SKIP, "%s", lx_bar_why(&env, zone));
	/*
	 * Device DAX refuses a VMA whose ends are not 2 MiB aligned, and a file
	 * offset off 2 MiB gets the 2 MiB frame below it; the model's device
	 * does neither, so such a bar is not run.
	 */
	if (zone && ((len | offset) & (LX_DAX_ALIGN - 1)))
		return reply_why(LX_SKIP, "device DAX maps 2 MiB aligned sizes and offsets only");
	window = lx_bar_window(&env, idx);
	if (window == (uint64_t)-1)
		return reply_why(LX_SKIP, "the guest's %s has no room for every bar of the script",
				 zone ? "DAX device" : "BAR");
	hint = placement(l, len, &flags);
	p = lx_bar_mmap(&env, zone, len, window + offset, hint, l->opt[SC_O_PROT].prot, flags);
	if (p == MAP_FAILED)
		return errno_value();
	return add_map(l->args[0], p, len);
}

/*
 * A shared mapping of a BO from hpvram's fd (inherited from the
 * controller), as the model's bomap: all of the BO from offset=, or size=
 * bytes; the kernel judges the window (drm_gem_mmap() wants the BO's start).
 */
static struct lx_reply do_bomap(const struct sc_line *l, uint64_t bo_offset, uint64_t bo_size)
{
	uint64_t offset = size_opt(l, SC_O_OFFSET);
	size_t len = offset < bo_size ? bo_size - offset : 0;
	int flags = MAP_SHARED;
	void *hint, *p;

	if (sc_has(l, SC_O_SIZE))
		len = size_opt(l, SC_O_SIZE);
	len = (len + 4095) & ~4095UL;
	hint = placement(l, len, &flags);
	p = mmap(hint, len, l->opt[SC_O_PROT].prot, flags, lx_bo_fd(&env),
		 (off_t)(bo_offset + offset));
	if (p == MAP_FAILED)
		return errno_value();
	return add_map(l->args[0], p, len);
}

static bool range_of(const struct sc_line *l, const struct lx_map *m, uint64_t *off,
		     uint64_t *len, struct lx_reply *err)
{
	*off = l->nargs >= 3 ? sc_size_arg(l, 1) : 0;
	*len = l->nargs >= 3 ? sc_size_arg(l, 2) : m->len;
	if (*off > m->len || *len > m->len - *off) {
		*err = reply_why(LX_STOP, "[%#llx, +%#llx) is outside mapping '%s' (%#zx bytes)",
				 (unsigned long long)*off, (unsigned long long)*len, m->name, m->len);
		return false;
	}
	return true;
}

static struct lx_reply do_munmap_mprotect(const struct sc_line *l)
{
	struct lx_map *m = map_named(l->args[0]);
	struct lx_reply err;
	uint64_t off, len;

	if (!range_of(l, m, &off, &len, &err))
		return err;
	if (l->cmd == SC_MPROTECT)
		return value(sc_num(mprotect(m->addr + off, len, l->val[3].prot) ? -errno : 0));
	if (munmap(m->addr + off, len))
		return errno_value();
	if (l->nargs == 1)
		m->live = false;
	return value(sc_num(0));
}

static struct lx_reply do_mremap(const struct sc_line *l)
{
	struct lx_map *m = map_named(l->args[0]);
	size_t len = (sc_size_arg(l, 1) + 4095) & ~4095UL;
	int flags = (sc_flag(l, SC_F_MAYMOVE) ? MREMAP_MAYMOVE : 0) |
		    (sc_flag(l, SC_F_DONTUNMAP) ? MREMAP_DONTUNMAP : 0) |
		    (sc_has(l, SC_O_FIXED) ? MREMAP_FIXED : 0);
	void *p;

	p = mremap(m->addr, m->len, len, flags, (void *)l->opt[SC_O_FIXED].num);
	if (p == MAP_FAILED)
		return errno_value();
	m->addr = p;
	m->len = len;
	return value(sc_num((long)p));
}

/* touch, fill and verify: one access per page, or every byte; signals become results. */
static struct lx_reply do_access(const struct sc_line *l)
{
	struct lx_map *m = map_named(l->args[0]);
	volatile unsigned char *base = (volatile unsigned char *)m->addr;
	struct lx_reply err;
	uint64_t off, len, o;
	bool read = sc_flag(l, SC_F_READ);
	long seed = l->cmd != SC_TOUCH ? sc_num_arg(l, 3) : 0, before;
	const char *volatile result = "ok";

	if (!range_of(l, m, &off, &len, &err))
		return err;
	access_signal = 0;
	before = minflt();
	if (sigsetjmp(access_jmp, 1)) {
		result = access_signal == SIGBUS ? "SIGBUS" : "SIGSEGV";
		goto out;
	}
	for (o = off; o < off + len; o++) {
		volatile unsigned char *p = base + o;

		if (l->cmd == SC_TOUCH) {
			if (read)
				(void)*p;
			else
				*p = 0x5a;
			o |= 4095;	/* one access per page: the mapping is page-aligned */
		} else if (l->cmd == SC_FILL) {
			*p = sc_pattern_byte(seed, o);
		} else if (*p != sc_pattern_byte(seed, o)) {
			result = "mismatch";
			break;
		}
	}
out:
	faults += minflt() - before;
	return value(sc_word(result));
}

/* ---- gup through hugepfn_pin (patches/observe/0002) ---- */

/*
 * The GUP entry point of the line on the worker's own memory, the way the
 * model calls it; the references are held (in the file every process
 * shares) until the controller releases them.
 */
static struct lx_reply do_gup(const struct sc_line *l)
{
	struct lx_map *m = map_named(l->args[1]);
	long n = sc_num_arg(l, 3), before;
	bool get = sc_flag(l, SC_F_GET), longterm = sc_flag(l, SC_F_LONGTERM);
	struct kt_pin_req q = {
		.addr = (uint64_t)(unsigned long)(m->addr + sc_size_arg(l, 2)),
		.nr_pages = (uint64_t)n,
		.how = sc_flag(l, SC_F_FAST_ONLY) ? KT_PIN_FAST_ONLY :
		       sc_flag(l, SC_F_SLOW) ? KT_PIN_SLOW : KT_PIN_FAST,
		.flags = (get ? KT_PIN_F_GET : 0) | (sc_flag(l, SC_F_WRITE) ? KT_PIN_F_WRITE : 0) |
			 (longterm ? KT_PIN_F_LONGTERM : 0),
	};
	struct lx_reply r;

	if (n <= 0 || n > 1 << 20)
		return reply_why(LX_STOP, "gup: %ld pages: between 1 and 1048576", n);
	if (get && longterm)
		return reply_why(LX_UNOBSERVABLE, "get with FOLL_LONGTERM: 6.12 refuses it with a "
				 "WARN_ON_ONCE (not run, to keep the log clean)");
	if (pin_fd < 0)
		return reply_why(LX_SKIP, "no " KT_PIN_PATH);
	before = minflt();
	if (ioctl(pin_fd, KT_PIN_TAKE, &q)) {
		r = errno_value();
	} else {
		r = value(sc_num((long)q.result));
		r.set = q.id;
	}
	faults += minflt() - before;
	return r;
}

/* ---- keys ---- */

/* hugepfn_walk's levels: 0 pud, 1 pmd, 2 pte; its kinds are enum hp_entry_kind's order. */
static enum hp_level walk_level(int i)
{
	return i >= 0 && i < 3 ? HP_LEVEL_PUD - i : HP_LEVEL_NONE;
}

/* The entries of level and kind (SC_ANY for all) a walk counted. */
static long sum_counts(const struct ktest_counts *c, int level, int kind)
{
	long n = 0;

	for (int i = 0; i < 3; i++)
		for (int k = 0; k < 3; k++)
			if ((level == SC_ANY || level == (int)walk_level(i)) &&
			    (kind == SC_ANY || kind == k))
				n += c->n[i][k];
	return n;
}

static struct lx_reply key_value(const struct sc_line *l)
{
	struct ktest_counts c;
	struct lx_map *m;
	long n = 0;

	switch (sc_key_of(l)) {
	case SC_KEY_FAULTS:
		return value(sc_num(faults));
	case SC_KEY_RSS:
		return value(sc_num((status_bytes("VmRSS") - rss_base) / 4096));
	case SC_KEY_PGTABLES:
		return value(sc_num(status_bytes("VmPTE") - pte_base));
	case SC_KEY_ENTRIES:
		if (!lx_walk_ready())
			return reply_why(LX_UNOBSERVABLE, "%s", lx_walk_why());
		for (int i = 0; i < nmaps; i++) {
			/* A mapping of this process, else the process: all of them. */
			if (!maps[i].live || (map_named(l->args[1]) && strcmp(maps[i].name, l->args[1])))
				continue;
			int err = ktest_walk_range(maps[i].addr, maps[i].len, &c);

			if (err)
				return reply_why(LX_UNOBSERVABLE, "hugepfn_walk failed: %s",
						 strerror(-err));
			n += sum_counts(&c, l->val[2].level, l->val[3].kind);
		}
		return value(sc_num(n));
	case SC_KEY_LEVEL:
	case SC_KEY_KIND: {
		uint64_t off = sc_size_arg(l, 2), raw;
		int level, kind, err;

		m = map_named(l->args[1]);
		if (off >= m->len)
			return reply_why(LX_STOP, "expect %s: offset %#llx is outside mapping '%s'",
					 l->args[0], (unsigned long long)off, m->name);
		if (!lx_walk_ready())
			return reply_why(LX_UNOBSERVABLE, "%s", lx_walk_why());
		err = ktest_walk_addr(m->addr + off, &level, &kind, &raw);
		if (err)
			return reply_why(LX_UNOBSERVABLE, "hugepfn_walk failed: %s", strerror(-err));
		if (sc_key_of(l) == SC_KEY_LEVEL)
			return value(sc_word(sc_level_word(walk_level(level))));
		return value(sc_word(sc_kind_word(kind >= 0 && kind < 3 ? kind : -1)));
	}
	default:
		return reply_why(LX_STOP, "key '%s' evaluated in a worker", l->args[0]);
	}
}

/* ---- the command loop ---- */

/* The pipes of every process slot: commands in, answers out (made before any fork). */
struct lx_chan { int cmd[2], ans[2]; };
static struct lx_chan chans[LX_MAX_PROCS];

/*
 * One command: a line, for fork the slot of the child, for bomap the BO's
 * fake mmap offset and size (the controller holds the BOs); idx -1 ends
 * the worker.
 */
struct lx_msg { int idx, slot; uint64_t bo_offset, bo_size; };

static void worker_loop(int slot);

/* fork: the child inherits the mappings under CHILD.NAME and serves the slot it is given. */
static struct lx_reply do_fork(const struct sc_line *l, int slot)
{
	pid_t pid = fork();

	if (pid < 0)
		return errno_value();
	if (!pid) {
		for (int i = 0; i < nmaps; i++) {
			const char *dot = strrchr(maps[i].name, '.');
			char name[sizeof(maps[i].name)];

			snprintf(name, sizeof(name), "%.*s.%.*s", SC_NAME_MAX - 1, l->args[1],
				 SC_NAME_MAX - 1, dot ? dot + 1 : maps[i].name);
			memcpy(maps[i].name, name, sizeof(name));
		}
		/* The child's own faults start at 0; its rss and tables at the parent's base. */
		warm_up();
		faults = 0;
		worker_loop(slot);
		_exit(0);
	}
	return (struct lx_reply){ .v = sc_num(0), .what = LX_VALUE, .child = pid };
}

static void worker_loop(int slot)
{
	struct lx_msg m;

	while (read(chans[slot].cmd[0], &m, sizeof(m)) == sizeof(m) && m.idx >= 0) {
		const struct sc_line *l = &script->lines[m.idx];
		struct lx_reply r;

		switch (l->cmd) {
		case SC_ANON: r = do_anon(l); break;
		case SC_BAR: r = do_bar(l, m.idx); break;
		case SC_BOMAP: r = do_bomap(l, m.bo_offset, m.bo_size); break;
		case SC_MUNMAP:
		case SC_MPROTECT: r = do_munmap_mprotect(l); break;
		case SC_MREMAP: r = do_mremap(l); break;
		case SC_TOUCH:
		case SC_FILL:
		case SC_VERIFY: r = do_access(l); break;
		case SC_FORK: r = do_fork(l, m.slot); break;
		case SC_GUP: r = do_gup(l); break;
		case SC_EXPECT: r = key_value(l); break;
		default:
			r = reply_why(LX_SKIP, "the Linux backend does not run %s yet",
				      sc_cmd_name(l->cmd));
			break;
		}
		if (write(chans[slot].ans[1], &r, sizeof(r)) != sizeof(r))
			break;
		/* fork write-protected this process's own memory as well: break that again. */
		if (l->cmd == SC_FORK)
			warm_up();
	}
}

/* ---- the controller ---------------------------------------------------------- */

struct lx_proc { char name[SC_NAME_MAX]; pid_t pid; bool live; };
/* A gup line as the guest ran it: set is hugepfn_pin's, 0 once released or if none. */
struct lx_gup {
	char name[SC_NAME_MAX];
	int proc;
	struct sc_value v;
	long pages;
	uint32_t set;
	bool observable, write;
};
/* A BO of the script: a dumb buffer of hpvram, held by the controller. */
struct lx_bo {
	char name[SC_NAME_MAX];
	struct kt_bo bo;
	bool live;
};

/* Which process owns a mapping name (the checker saw to every name being made first). */
struct lx_owner { char name[2 * SC_NAME_MAX]; int proc; };

struct lx_run {
	FILE *out;
	struct lx_proc procs[LX_MAX_PROCS];
	struct lx_gup gups[LX_MAX_GUPS];
	struct lx_owner owners[LX_MAX_MAPS * 4];
	struct lx_bo bos[LX_MAX_BOS];
	int nprocs, ngups, nowners, nbos;
	struct sc_value last;
	bool last_unobservable;
};

static int proc_index(struct lx_run *r, const char *name)
{
	for (int i = 0; i < r->nprocs; i++)
		if (r->procs[i].live && !strcmp(r->procs[i].name, name))
			return i;
	return -1;
}

static int owner_of(struct lx_run *r, const char *map)
{
	for (int i = r->nowners - 1; i >= 0; i--)
		if (!strcmp(r->owners[i].name, map))
			return r->owners[i].proc;
	return -1;
}

/* The newest gup of that name: a name released may be made again. */
static struct lx_gup *gup_named(struct lx_run *r, const char *name)
{
	for (int i = r->ngups - 1; i >= 0; i--)
		if (!strcmp(r->gups[i].name, name))
			return &r->gups[i];
	return NULL;
}

static void add_owner(struct lx_run *r, const char *map, int proc)
{
	if (r->nowners < (int)(sizeof(r->owners) / sizeof(r->owners[0]))) {
		snprintf(r->owners[r->nowners].name, sizeof(r->owners[0].name), "%.*s",
			 (int)sizeof(r->owners[0].name) - 1, map);
		r->owners[r->nowners++].proc = proc;
	}
}

static int start_worker(struct lx_run *r, const char *name)
{
	pid_t pid;

	if (r->nprocs == LX_MAX_PROCS)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		set_baselines();
		worker_loop(r->nprocs);
		_exit(0);
	}
	snprintf(r->procs[r->nprocs].name, SC_NAME_MAX, "%s", name);
	r->procs[r->nprocs].pid = pid;
	r->procs[r->nprocs].live = true;
	r->nprocs++;
	return 0;
}

static void end_worker(struct lx_run *r, int p)
{
	struct lx_msg m = { .idx = -1, .slot = -1 };

	if (write(chans[p].cmd[1], &m, sizeof(m)) != sizeof(m))
		kill(r->procs[p].pid, SIGKILL);
	waitpid(r->procs[p].pid, NULL, 0);
	r->procs[p].live = false;
}

/* Sends a line to process p and waits for the answer. */
static struct lx_reply ask_msg(struct lx_run *r, int p, struct lx_msg m)
{
	struct lx_reply rep;

	if (write(chans[p].cmd[1], &m, sizeof(m)) != sizeof(m) ||
	    read(chans[p].ans[0], &rep, sizeof(rep)) != sizeof(rep))
		return reply_why(LX_STOP, "process '%s' died (or the script ran out of its %d s)",
				 r->procs[p].name, LX_SCRIPT_SECONDS);
	return rep;
}

/* Sends line idx to process p and waits for the answer (slot: a fork's child). */
static struct lx_reply ask(struct lx_run *r, int p, int idx, int slot)
{
	return ask_msg(r, p, (struct lx_msg){ .idx = idx, .slot = slot });
}

/* The process a line runs in, or -1 for the controller. */
static int line_proc(struct lx_run *r, const struct sc_line *l)
{
	switch (l->cmd) {
	case SC_FORK:
	case SC_EXIT:
		return proc_index(r, l->args[0]);
	case SC_ANON:
	case SC_BAR:
	case SC_BOMAP:
		return proc_index(r, l->args[1]);
	case SC_MUNMAP:
	case SC_MPROTECT:
	case SC_MREMAP:
	case SC_TOUCH:
	case SC_FILL:
	case SC_VERIFY:
		return owner_of(r, l->args[0]);
	case SC_GUP:
		return owner_of(r, l->args[1]);
	default:
		return -1;
	}
}

static bool failed(const struct sc_value *v)
{
	return v->is_num ? v->num < 0 : strcmp(v->word, "ok") != 0;
}

/* ---- BOs: hpvram's dumb buffers, moved by its HPVRAM_BO ioctl ---- */

#ifdef HAVE_KTEST_HPVRAM
static struct lx_bo *bo_named(struct lx_run *r, const char *name)
{
	for (int i = 0; i < r->nbos; i++)
		if (r->bos[i].live && !strcmp(r->bos[i].name, name))
			return &r->bos[i];
	return NULL;
}

/* One HPVRAM_BO operation on b (NULL for LIMIT); the driver's answer in *a. */
static int bo_op(struct lx_bo *b, unsigned int op, struct kt_hpvram_bo *a)
{
	a->handle = b ? b->bo.handle : 0;
	a->op = op;
	return kt_hpvram_bo_op(&env.drm, a);
}

/* hpvram's name of a place of the language (a TTM_PL_* the parser read), 0 if it has none. */
static uint32_t hpvram_place(unsigned int mem_type)
{
	const char *w = sc_place_word(mem_type);

	return !strcmp(w, "vram") ? KT_HPVRAM_VRAM : !strcmp(w, "system") ? KT_HPVRAM_SYSTEM : 0;
}

/* The places of a bo or bo-validate line (argument i); false if hpvram has no such place. */
static bool bo_places(const struct sc_line *l, int i, struct kt_hpvram_bo *a, struct lx_reply *why)
{
	const union sc_arg *pl = &l->val[i];

	if (pl->places.n > 2) {
		*why = reply_why(LX_SKIP, "more than two places: hpvram has VRAM and system memory");
		return false;
	}
	for (int n = 0; n < pl->places.n; n++) {
		a->place[n] = hpvram_place(pl->places.type[n]);
		if (!a->place[n]) {
			*why = reply_why(LX_SKIP, "place '%s': hpvram has no GART (no TT domain)",
					 sc_place_word(pl->places.type[n]));
			return false;
		}
	}
	a->flags = sc_flag(l, SC_F_CONTIGUOUS) ? KT_HPVRAM_BO_CONTIGUOUS : 0;
	return true;
}

/* The script's handle goes (DESTROY_DUMB); mappings keep the BO alive, as GEM does. */
static void bo_close(struct lx_bo *b)
{
	kt_bo_destroy(&env.drm, &b->bo);
	b->live = false;
}

/*
 * bo: a dumb buffer of 4096-byte lines (new in system memory, unpopulated),
 * then HPVRAM_BO_CREATE puts it where TTM puts a new BO with these places.
 */
static struct lx_reply do_bo(struct lx_run *r, const struct sc_line *l)
{
	uint64_t size = sc_size_arg(l, 1);
	struct kt_hpvram_bo a = { 0 };
	struct lx_reply why;
	struct lx_bo *b;
	int err;

	if (!bo_places(l, 2, &a, &why))
		return why;
	if (size & 4095 || size >> 32 >= 4096)
		return reply_why(LX_SKIP, "a dumb buffer of %#llx bytes: whole pages below 16 TiB "
				 "only", (unsigned long long)size);
	if (r->nbos == LX_MAX_BOS)
		return reply_why(LX_STOP, "more than %d BOs", LX_MAX_BOS);
	b = &r->bos[r->nbos];
	err = kt_dumb_create(&env.drm, &b->bo, 1024, size / 4096);
	if (err)
		return value(sc_num(err));
	err = bo_op(b, KT_HPVRAM_BO_CREATE, &a);
	if (err) {
		bo_close(b);
		return value(sc_num(err));
	}
	snprintf(b->name, sizeof(b->name), "%s", l->args[0]);
	b->live = true;
	r->nbos++;
	return value(sc_num(0));
}

static struct lx_reply do_bo_op(struct lx_run *r, const struct sc_line *l)
{
	struct lx_bo *b = bo_named(r, l->args[0]);
	struct kt_hpvram_bo a = { 0 };
	struct lx_reply why;

	if (!b)
		return reply_why(LX_STOP, "'%s' does not exist", l->args[0]);
	switch (l->cmd) {
	case SC_BO_DESTROY:
		if (bo_op(b, KT_HPVRAM_BO_QUERY, &a))
			return errno_value();
		/* GEM frees a BO whatever its pins (ttm_bo_release() then warns). */
		if (a.pin_count)
			return reply_why(LX_UNOBSERVABLE, "GEM has no refusal for a pinned BO: "
					 "not closed");
		bo_close(b);
		return value(sc_num(0));
	case SC_BO_PIN:
		return value(sc_num(bo_op(b, KT_HPVRAM_BO_PIN, &a)));
	case SC_BO_UNPIN:
		return value(sc_num(bo_op(b, KT_HPVRAM_BO_UNPIN, &a)));
	case SC_BO_EVICT:
		return value(sc_num(bo_op(b, KT_HPVRAM_BO_EVICT, &a)));
	default:
		if (!bo_places(l, 1, &a, &why))
			return why;
		return value(sc_num(bo_op(b, KT_HPVRAM_BO_VALIDATE, &a)));
	}
}

static struct lx_reply bo_placement(struct lx_run *r, const char *name)
{
	struct lx_bo *b = bo_named(r, name);
	struct kt_hpvram_bo a = { 0 };
	int err;

	if (!b)
		return reply_why(LX_STOP, "'%s' does not exist", name);
	err = bo_op(b, KT_HPVRAM_BO_QUERY, &a);
	if (err)
		return value(sc_num(err));
	return value(sc_word(a.mem_type == KT_HPVRAM_VRAM ? "vram" : "system"));
}

/* VRAM as the script's machine line sizes it: HPVRAM_BO places BOs in its first vram bytes. */
static const char *bo_limit(uint64_t vram)
{
	struct kt_hpvram_bo a = { .vram_limit = vram == env.vram_size ? 0 : vram };

	if (vram > env.vram_size)
		return "the script's VRAM is larger than hpvram's";
	return bo_op(NULL, KT_HPVRAM_BO_LIMIT, &a) ? "hpvram refused the script's VRAM size" :
	       NULL;
}

/* Every BO of the script goes, pins first (the processes, and their mappings, are gone). */
static void bo_teardown(struct lx_run *r)
{
	struct kt_hpvram_bo a = { 0 };

	for (int i = 0; i < r->nbos; i++) {
		if (!r->bos[i].live)
			continue;
		while (!bo_op(&r->bos[i], KT_HPVRAM_BO_QUERY, &a) && a.pin_count)
			bo_op(&r->bos[i], KT_HPVRAM_BO_UNPIN, &a);
		bo_close(&r->bos[i]);
	}
	bo_op(NULL, KT_HPVRAM_BO_LIMIT, &(struct kt_hpvram_bo){ 0 });
}
#endif

/* A BO command in the controller, or why it cannot run. */
static struct lx_reply run_bo_line(struct lx_run *r, const struct sc_line *l)
{
#ifdef HAVE_KTEST_HPVRAM
	const char *why;

	if (lx_bo_fd(&env) < 0)
		return reply_why(LX_SKIP, "%s", lx_bo_why(&env));
	if (!r->nbos && l->cmd == SC_BO && (why = bo_limit(script->vram)))
		return reply_why(LX_SKIP, "%s", why);
	return l->cmd == SC_BO ? do_bo(r, l) : do_bo_op(r, l);
#else
	(void)r;
	(void)l;
	return reply_why(LX_SKIP, "%s", lx_bo_why(&env));
#endif
}

static struct lx_reply run_expect(struct lx_run *r, int idx)
{
	const struct sc_line *l = &script->lines[idx];
	const char *why = sc_key_unobservable_on_linux(l);
	struct lx_gup *g;
	int p;

	if (why)
		return reply_why(LX_UNOBSERVABLE, "%s", why);
	switch (sc_key_of(l)) {
	case SC_KEY_RESULT:
		return r->last_unobservable ? reply_why(LX_UNOBSERVABLE, "the command's was") :
		       value(r->last);
	case SC_KEY_GUP:
		g = gup_named(r, l->args[1]);
		return g && g->observable ? value(g->v) :
		       reply_why(LX_UNOBSERVABLE, "that gup was not run on Linux");
	case SC_KEY_PLACEMENT:
#ifdef HAVE_KTEST_HPVRAM
		return bo_placement(r, l->args[1]);
#else
		return reply_why(LX_SKIP, "%s", lx_bo_why(&env));
#endif
	default:
		break;
	}
	p = proc_index(r, l->args[1]);
	if (p < 0)
		p = owner_of(r, l->args[1]);
	if (p < 0 || !r->procs[p].live)
		return reply_why(LX_STOP, "'%s' does not exist", l->args[1]);
	return ask(r, p, idx, -1);
}

/* Drops what a gup holds; a gup that took nothing (or was released) holds nothing: 0. */
static struct lx_reply release_gup(struct lx_gup *g)
{
	struct kt_pin_req q = { .id = g ? g->set : 0 };

	if (!q.id)
		return value(sc_num(0));
	g->set = 0;
	return ioctl(pin_fd, KT_PIN_RELEASE, &q) ? errno_value() : value(sc_num(0));
}

/*
 * The device's write through a gup's references: every page gets the
 * model's byte for the seed.  Through a gup that took nothing: 0 pages, as
 * the model.  hugepfn_pin writes only through references taken with
 * FOLL_WRITE, so that a read-only get of the shared zero page stays clean.
 */
static struct lx_reply do_dma(struct lx_gup *g, long seed)
{
	struct kt_pin_req q = { .id = g ? g->set : 0, .byte = sc_dma_byte(seed) };

	if (g && g->observable && !g->pages)
		return value(sc_num(0));
	if (!q.id)
		return reply_why(LX_SKIP, "dma through references this guest does not hold");
	/* The model writes them: going on without would leave the data of both sides apart. */
	if (!g->write)
		return reply_why(LX_SKIP, "dma through references taken without write "
				 "(hugepfn_pin writes only through FOLL_WRITE ones)");
	return ioctl(pin_fd, KT_PIN_WRITE, &q) ? errno_value() : value(sc_num(g->pages));
}

static struct lx_reply run_line(struct lx_run *r, int idx)
{
	const struct sc_line *l = &script->lines[idx];
	struct lx_reply rep;
	int p;

	switch (l->cmd) {
	case SC_MACHINE:
		return value(sc_num(0));
	case SC_PROCESS:
		return start_worker(r, l->args[0]) ? errno_value() : value(sc_num(0));
	case SC_EXPECT:
		return run_expect(r, idx);
	case SC_EXIT:
		end_worker(r, proc_index(r, l->args[0]));
		return value(sc_num(0));
	case SC_RELEASE:
		return release_gup(gup_named(r, l->args[0]));
	case SC_DMA:
		return do_dma(gup_named(r, l->args[0]), sc_num_arg(l, 1));
	case SC_BO:
	case SC_BO_DESTROY:
	case SC_BO_PIN:
	case SC_BO_UNPIN:
	case SC_BO_EVICT:
	case SC_BO_VALIDATE:
		return run_bo_line(r, l);
	default:
		break;
	}
	p = line_proc(r, l);
	if (p < 0 || !r->procs[p].live)
		return reply_why(LX_STOP, "no live process for line %u", l->line);
	if (l->cmd == SC_FORK && r->nprocs == LX_MAX_PROCS)
		return reply_why(LX_STOP, "more than %d processes", LX_MAX_PROCS);
	if (l->cmd == SC_BOMAP) {
#ifdef HAVE_KTEST_HPVRAM
		struct lx_bo *b = bo_named(r, l->args[2]);

		if (!b)
			return reply_why(LX_STOP, "'%s' does not exist", l->args[2]);
		rep = ask_msg(r, p, (struct lx_msg){ .idx = idx, .slot = -1,
				 .bo_offset = b->bo.offset, .bo_size = b->bo.size });
#else
		return reply_why(LX_SKIP, "%s", lx_bo_why(&env));
#endif
	} else {
		rep = ask(r, p, idx, r->nprocs);
	}
	if (l->cmd == SC_FORK && rep.what == LX_VALUE && !failed(&rep.v)) {
		int c = r->nprocs++;

		snprintf(r->procs[c].name, SC_NAME_MAX, "%s", l->args[1]);
		r->procs[c].pid = rep.child;
		r->procs[c].live = true;
		/* The child's names for the parent's mappings. */
		for (int i = 0, n = r->nowners; i < n; i++) {
			const char *dot = strrchr(r->owners[i].name, '.');
			char name[2 * SC_NAME_MAX];

			if (r->owners[i].proc != p)
				continue;
			snprintf(name, sizeof(name), "%.*s.%.*s", SC_NAME_MAX - 1, l->args[1],
				 SC_NAME_MAX - 1, dot ? dot + 1 : r->owners[i].name);
			add_owner(r, name, c);
		}
	}
	if ((l->cmd == SC_ANON || l->cmd == SC_BAR || l->cmd == SC_BOMAP) && rep.what == LX_VALUE &&
	    !failed(&rep.v))
		add_owner(r, l->args[0], p);
	if (l->cmd == SC_GUP && (rep.what == LX_VALUE || rep.what == LX_UNOBSERVABLE) &&
	    r->ngups < LX_MAX_GUPS) {
		struct lx_gup *g = &r->gups[r->ngups++];

		snprintf(g->name, sizeof(g->name), "%s", l->args[0]);
		g->proc = p;
		g->v = rep.v;
		g->observable = rep.what == LX_VALUE;
		g->pages = rep.v.is_num && rep.v.num > 0 ? rep.v.num : 0;
		g->set = rep.set;
		g->write = sc_flag(l, SC_F_WRITE);
	}
	return rep;
}

static struct lx_run *running;	/* for the alarm: the script's processes */

/*
 * A script that hangs (a worker stuck in the kernel, say) loses its
 * processes: the controller's wait for an answer then fails, and the trace
 * says where it stopped.  kill() is async-signal-safe.
 */
static void alarm_stop(int sig)
{
	(void)sig;
	for (int i = 0; running && i < running->nprocs; i++)
		if (running->procs[i].live)
			kill(running->procs[i].pid, SIGKILL);
}

/* Runs one parsed script; prints its trace. */
static void run_script(FILE *out)
{
	struct lx_run *r = calloc(1, sizeof(*r));
	unsigned int stop_line = 0;
	char stop_why[200] = "";

	if (!r) {
		sc_trace_stop(out, 0, "out of memory");
		return;
	}
	/* Fresh pipes for every script: nothing a killed process left behind is read. */
	for (int i = 0; i < LX_MAX_PROCS; i++) {
		for (int j = 0; j < 2 && chans[i].cmd[0] >= 0; j++) {
			close(chans[i].cmd[j]);
			close(chans[i].ans[j]);
		}
		if (pipe(chans[i].cmd) || pipe(chans[i].ans)) {
			sc_trace_stop(out, 0, "no pipes for the processes");
			free(r);
			return;
		}
	}
	r->out = out;
	r->last = sc_num(0);
	/*
	 * A file of its own for every script: its last close, once the script's
	 * processes are gone, drops whatever references are left (a gup beyond
	 * LX_MAX_GUPS, a worker killed in the middle of one).
	 */
	pin_fd = open(KT_PIN_PATH, O_RDWR);
	running = r;
	for (int i = 0; i < script->nlines; i++) {
		const struct sc_line *l = &script->lines[i];
		struct lx_reply rep;

		if (l->cmd == SC_SHOW)
			continue;
		rep = run_line(r, i);
		if (rep.what == LX_SKIP) {
			sc_trace_skip(out, l, rep.why);
			stop_line = l->line;
			snprintf(stop_why, sizeof(stop_why), "skipped");
			break;
		}
		if (rep.what == LX_STOP) {
			stop_line = l->line;
			snprintf(stop_why, sizeof(stop_why), "%s", rep.why);
			break;
		}
		if (l->cmd == SC_EXPECT) {
			sc_trace_expect(out, l, rep.what == LX_VALUE ? &rep.v : NULL, rep.why);
			continue;
		}
		r->last_unobservable = rep.what == LX_UNOBSERVABLE;
		if (rep.what == LX_UNOBSERVABLE) {
			fprintf(out, "step %u %s unobservable: %s\n", l->line, sc_cmd_name(l->cmd),
				rep.why);
			continue;
		}
		r->last = rep.v;
		sc_trace_step(out, l, &rep.v);
		if (!l->result_expected && failed(&rep.v)) {
			char text[32];

			sc_value_text(text, sizeof(text), &rep.v);
			stop_line = l->line;
			snprintf(stop_why, sizeof(stop_why), "%s failed: %s", sc_cmd_name(l->cmd), text);
			break;
		}
		fflush(out);
	}
	if (stop_line && strcmp(stop_why, "skipped"))
		sc_trace_stop(out, stop_line, stop_why);
	else if (!stop_line)
		sc_trace_end(out);
	for (int i = 0; i < r->nprocs; i++)
		if (r->procs[i].live) {
			kill(r->procs[i].pid, SIGKILL);
			waitpid(r->procs[i].pid, NULL, 0);
			r->procs[i].live = false;
		}
	close(pin_fd);
	pin_fd = -1;
#ifdef HAVE_KTEST_HPVRAM
	bo_teardown(r);
#endif
	fflush(out);
	running = NULL;
	free(r);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_fault_signal, .sa_flags = SA_NODEFER };
	time_t start = time(NULL);
	int status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: hpscen SCRIPT...\n");
		return 2;
	}
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sa.sa_handler = alarm_stop;
	sa.sa_flags = 0;	/* no SA_RESTART: the controller's read of an answer ends */
	sigaction(SIGALRM, &sa, NULL);
	for (int i = 0; i < LX_MAX_PROCS; i++)
		chans[i].cmd[0] = -1;	/* no pipes yet */

	lx_env_open(&env);
	for (int i = 1; i < argc; i++) {
		struct sc_script s;
		FILE *in;

		printf("begin %s\n", argv[i]);
		if (time(NULL) - start > LX_TOTAL_SECONDS) {
			printf("skip 0 all: past the %d s this boot gives the differential\n",
			       LX_TOTAL_SECONDS);
			continue;
		}
		in = fopen(argv[i], "r");
		if (!in || sc_parse(in, argv[i], &s)) {
			printf("stop 0: cannot read or parse %s\n", argv[i]);
			status = 1;
			if (in)
				fclose(in);
			continue;
		}
		fclose(in);
		script = &s;
		lx_bar_plan(&env, &s);
		fflush(stdout);
		alarm(LX_SCRIPT_SECONDS);
		run_script(stdout);
		alarm(0);
		sc_free(&s);
	}
	lx_env_close(&env);
	return status;
}
