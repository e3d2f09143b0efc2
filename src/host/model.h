/* SPDX-License-Identifier: MIT */
/*
 * Scheduling points: the hooks of the interleaving checker (tests/model/).
 *
 * Every access to state that a lockless walker shares with the rest of mm is
 * announced here just before it happens: entry loads, stores and clears, the
 * grab and the re-read of gup-fast, pin checks, RCU read sections and grace
 * periods, lock operations, page-table frees.  In the normal build the
 * announcements compile to nothing.  In the model build (-DHP_MODEL) each one
 * stops the calling logical thread and lets the checker choose who runs next,
 * so the checker sees, and can reorder, exactly these accesses.
 *
 * The rule that keeps the checker sound: code between two points touches only
 * the thread's own data, or shared data under a lock the thread holds, or
 * counters whose order does not matter.  Known exceptions, and why they do
 * not matter: an entry read under its lock may meanwhile gain ACCESSED or
 * DIRTY from the MMU's lockless update, which every locked path tolerates
 * (it keeps or compares those bits the same either way); the bytes of pages
 * are copied without points, but every path that moves a mapped page's
 * bytes first unmaps it and waits for a grace period; struct page fields of
 * a page being freed or allocated are set outside the allocator's lock, on
 * a page no lockless walker can reach any more, or yet.
 */
#ifndef HP_HOST_MODEL_H
#define HP_HOST_MODEL_H

#include <stdbool.h>
#include <stddef.h>

enum hp_model_kind {
	HP_MODEL_READ,		/* a load of shared memory */
	HP_MODEL_WRITE,		/* a store or read-modify-write */
	HP_MODEL_LOCK,		/* an attempt to take a lock */
	HP_MODEL_UNLOCK,
	HP_MODEL_RCU_LOCK,	/* entering a read-side section */
	HP_MODEL_RCU_UNLOCK,
	HP_MODEL_RCU_SYNC,	/* starting a grace period */
	HP_MODEL_RCU_WAIT,	/* the end of a grace period: callbacks run */
	HP_MODEL_FREE,		/* a page-table page goes back to the allocator */
};

/* What a logical thread is about to do. */
struct hp_model_access {
	enum hp_model_kind kind;
	const void *addr;	/* the object: its first byte */
	size_t size;
	/*
	 * Objects the access also reads, or NULL: the entries a grab relies on
	 * (a PTE and the PMD slot above it, whose table could move or go).
	 */
	const void *also[2];
	size_t also_size[2];
	const char *what;	/* the kernel name of the access */
};

/*
 * Mutations: bugs a model build puts in on purpose, so that the checker shows
 * it finds them (tests/model/meson.build builds one library per mutation with
 * -DHP_MUTATION=HP_MUTATION_...), and the differential oracle against Linux
 * (tools/meson.build: hugepfn-mutant).  Every other build has none.
 */
enum hp_mutation {
	HP_MUTATION_NONE,
	HP_MUTATION_NO_REREAD,		/* gup-fast keeps a grab without re-reading the entry */
	HP_MUTATION_NO_GRACE,		/* unmap frees tables before the grace period */
	HP_MUTATION_NO_WP_SEQ,		/* gup-fast ignores fork's write_protect_seq */
	HP_MUTATION_NO_PMD_RECHECK,	/* a THP fault installs over a racing one's PMD */
	/* For the differential oracle (kernel/differential.py, tools/hugepfn-mutant): */
	HP_MUTATION_THP_ALWAYS,		/* anonymous faults take a THP without MADV_HUGEPAGE */
};
#ifndef HP_MUTATION
#define HP_MUTATION HP_MUTATION_NONE
#endif
#define hp_mutated(m) (HP_MUTATION == (m))

#ifdef HP_MODEL
/* True on a logical thread while the checker drives it. */
bool hp_model_running(void);
void hp_model_point(enum hp_model_kind kind, const void *addr, size_t size,
		    const void *also, size_t also_size, const void *also2, size_t also2_size,
		    const char *what);
/* A lock was busy: let the others run until somebody releases it. */
void hp_model_wait_unlock(const void *lock);
void hp_model_unlocked(const void *lock);
/* Names an object for traces (locks name themselves when initialized). */
void hp_model_name(const void *obj, const char *name);
#define HP_MODEL_POINT(kind, addr, size, what) \
	hp_model_point(kind, addr, size, NULL, 0, NULL, 0, what)
/* also2 may be NULL. */
#define HP_MODEL_POINT_ALSO(kind, addr, size, also, also2, what) \
	hp_model_point(kind, addr, size, also, sizeof(*(also)), also2, sizeof(*(also2)), what)
#define HP_MODEL_NAME(obj, name) hp_model_name(obj, name)

/*
 * The checker's side.  Threads are added, then run: before every step the
 * checker sees each thread's next access and whether it may take it now
 * (not blocked on a lock or a grace period), and picks one.  Returns the
 * number of steps, or -EDEADLK (nobody can move), -E2BIG (max_steps ran
 * out), -EINVAL (a bad pick), -EAGAIN; after an error the threads stay
 * stopped and the process must exit.
 */
#define HP_MODEL_MAX_THREADS 4
struct hp_model_view {
	int nr;
	struct {
		const char *name;
		bool enabled, done;
		struct hp_model_access next;
	} threads[HP_MODEL_MAX_THREADS];
};
typedef int (*hp_model_pick_fn)(const struct hp_model_view *view, void *ctx);
int hp_model_thread_add(const char *name, void (*fn)(void *arg), void *arg);
int hp_model_run(hp_model_pick_fn pick, void *ctx, unsigned int max_steps);
/* The name given to obj, or NULL; forgetting them all (objects die with a run). */
const char *hp_model_name_of(const void *obj);
void hp_model_names_reset(void);
#else
#define HP_MODEL_POINT(kind, addr, size, what) do { } while (0)
#define HP_MODEL_POINT_ALSO(kind, addr, size, also, also2, what) \
	do { (void)(also); (void)(also2); } while (0)
#define HP_MODEL_NAME(obj, name) do { (void)(obj); (void)(name); } while (0)
#endif

#endif
