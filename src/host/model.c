// SPDX-License-Identifier: MIT
/*
 * The model build's host: logical threads that run one at a time, each
 * stopping at every scheduling point (host/model.h) until the checker picks
 * it, and the RCU they use.
 *
 * Logical threads are real pthreads running the real library code; only one
 * holds the baton at a time.  A thread hands it back at a point with
 * sem_post(back) and waits for sem_wait(go); the checker's thread does the
 * reverse.  POSIX semaphores synchronize memory, so everything one logical
 * thread wrote is visible to the next: the run is sequentially consistent
 * at the granularity of points, and reproducible from the sequence of picks.
 *
 * RCU here is the textbook one: a grace period that starts while a thread is
 * inside a read-side section ends when that section does.  The thread that
 * waits for it is blocked, so the checker only lets it go on once every
 * section it must wait for has ended.  Callbacks queued before a grace period
 * starts run when it ends, on the thread that waited.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>

#include "host/model.h"
#include "host/rcu.h"

enum model_state {
	MODEL_RUNNABLE,
	MODEL_BLOCKED_LOCK,	/* until the lock it waits for is released */
	MODEL_BLOCKED_RCU,	/* until the grace period it waits for ends */
	MODEL_DONE,
};

struct model_thread {
	const char *name;
	void (*fn)(void *arg);
	void *arg;
	pthread_t tid;
	sem_t go;
	enum model_state state;
	struct hp_model_access next;
	const void *wait_lock;
	bool woken;
	/* RCU: nesting depth, and how many outermost sections it entered. */
	int rcu_nesting;
	unsigned long rcu_sections;
	/* While it waits for a grace period: the sections that must end. */
	bool gp_waits[HP_MODEL_MAX_THREADS];
	unsigned long gp_sections[HP_MODEL_MAX_THREADS];
};

static struct {
	struct model_thread threads[HP_MODEL_MAX_THREADS];
	int nr;
	sem_t back;
} model;

static _Thread_local struct model_thread *current;

/* The object every RCU point names: read sections read it, grace periods write it. */
static char rcu_state;

bool hp_model_running(void)
{
	return current != NULL;
}

/* Hands the baton back to the checker and waits to be picked again. */
static void model_yield(struct model_thread *t)
{
	sem_post(&model.back);
	sem_wait(&t->go);
}

void hp_model_point(enum hp_model_kind kind, const void *addr, size_t size,
		    const void *also, size_t also_size, const void *also2, size_t also2_size,
		    const char *what)
{
	struct model_thread *t = current;

	if (!t)
		return;
	t->next = (struct hp_model_access){ kind, addr, size, { also, also2 },
					    { also_size, also2_size }, what };
	model_yield(t);
}

void hp_model_wait_unlock(const void *lock)
{
	struct model_thread *t = current;

	t->state = MODEL_BLOCKED_LOCK;
	t->wait_lock = lock;
	t->woken = false;
	model_yield(t);
}

void hp_model_unlocked(const void *lock)
{
	if (!current)
		return;
	for (int i = 0; i < model.nr; i++) {
		struct model_thread *t = &model.threads[i];

		if (t->state == MODEL_BLOCKED_LOCK && t->wait_lock == lock)
			t->woken = true;
	}
}

/* ---- RCU ----------------------------------------------------------------- */

static struct hp_rcu_head *rcu_pending;

void hp_rcu_read_lock(void)
{
	struct model_thread *t = current;

	if (!t)
		return;
	HP_MODEL_POINT(HP_MODEL_RCU_LOCK, &rcu_state, 1, "rcu_read_lock");
	if (t->rcu_nesting++ == 0)
		t->rcu_sections++;
}

void hp_rcu_read_unlock(void)
{
	struct model_thread *t = current;

	if (!t)
		return;
	HP_MODEL_POINT(HP_MODEL_RCU_UNLOCK, &rcu_state, 1, "rcu_read_unlock");
	t->rcu_nesting--;
}

static bool grace_period_over(const struct model_thread *t)
{
	for (int i = 0; i < model.nr; i++) {
		const struct model_thread *r = &model.threads[i];

		if (t->gp_waits[i] && r->rcu_nesting && r->rcu_sections == t->gp_sections[i])
			return false;
	}
	return true;
}

/* Waits for the sections open now, by blocking until the checker sees them end. */
static void wait_grace_period(struct model_thread *t)
{
	for (int i = 0; i < model.nr; i++) {
		const struct model_thread *r = &model.threads[i];

		/* Its own section too: real RCU would never return there. */
		t->gp_waits[i] = r->rcu_nesting;
		t->gp_sections[i] = r->rcu_sections;
	}
	t->next = (struct hp_model_access){ .kind = HP_MODEL_RCU_WAIT, .what = "grace period ends" };
	t->state = MODEL_BLOCKED_RCU;
	model_yield(t);
}

void hp_synchronize_rcu(void)
{
	struct model_thread *t = current;
	struct hp_rcu_head *ready;

	if (t)
		HP_MODEL_POINT(HP_MODEL_RCU_SYNC, &rcu_state, 1, "synchronize_rcu");
	ready = rcu_pending;
	rcu_pending = NULL;
	if (t)
		wait_grace_period(t);
	while (ready) {
		struct hp_rcu_head *next = ready->next;

		ready->func(ready);
		ready = next;
	}
}

void hp_call_rcu(struct hp_rcu_head *head, hp_rcu_callback_t func)
{
	/* Whether it lands before or after a grace period starts matters. */
	HP_MODEL_POINT(HP_MODEL_WRITE, &rcu_state, 1, "call_rcu");
	head->func = func;
	head->next = rcu_pending;
	rcu_pending = head;
}

void hp_rcu_barrier(void)
{
	hp_synchronize_rcu();
}

/* Logical threads need no registration: this RCU knows them all. */
void hp_rcu_register_thread(void)
{
}

void hp_rcu_unregister_thread(void)
{
}

/* ---- names for traces ---------------------------------------------------- */

#define MODEL_MAX_NAMES 256
static struct {
	const void *obj;
	const char *name;
} names[MODEL_MAX_NAMES];
static int nr_names;

/* Names outlive nothing: the checker forgets them all before each run. */
void hp_model_name(const void *obj, const char *name)
{
	for (int i = 0; i < nr_names; i++)
		if (names[i].obj == obj) {
			names[i].name = name;
			return;
		}
	if (nr_names < MODEL_MAX_NAMES)
		names[nr_names++] = (typeof(names[0])){ obj, name };
}

const char *hp_model_name_of(const void *obj)
{
	for (int i = 0; i < nr_names; i++)
		if (names[i].obj == obj)
			return names[i].name;
	return NULL;
}

void hp_model_names_reset(void)
{
	nr_names = 0;
}

/* ---- the checker's side -------------------------------------------------- */

int hp_model_thread_add(const char *name, void (*fn)(void *arg), void *arg)
{
	struct model_thread *t;

	if (model.nr == HP_MODEL_MAX_THREADS)
		return -E2BIG;
	t = &model.threads[model.nr++];
	*t = (struct model_thread){ .name = name, .fn = fn, .arg = arg };
	return 0;
}

static void *model_thread_main(void *arg)
{
	struct model_thread *t = arg;

	current = t;
	sem_wait(&t->go);
	t->fn(t->arg);
	t->state = MODEL_DONE;
	current = NULL;
	sem_post(&model.back);
	return NULL;
}

static bool model_enabled(const struct model_thread *t)
{
	switch (t->state) {
	case MODEL_RUNNABLE:
		return true;
	case MODEL_BLOCKED_LOCK:
		return t->woken;
	case MODEL_BLOCKED_RCU:
		return grace_period_over(t);
	case MODEL_DONE:
		return false;
	}
	return false;
}

static void model_resume(struct model_thread *t)
{
	t->state = MODEL_RUNNABLE;
	sem_post(&t->go);
	sem_wait(&model.back);
}

static void model_view(struct hp_model_view *view)
{
	view->nr = model.nr;
	for (int i = 0; i < model.nr; i++) {
		const struct model_thread *t = &model.threads[i];

		view->threads[i].name = t->name;
		view->threads[i].enabled = model_enabled(t);
		view->threads[i].done = t->state == MODEL_DONE;
		view->threads[i].next = t->next;
	}
}

int hp_model_run(hp_model_pick_fn pick, void *ctx, unsigned int max_steps)
{
	struct hp_model_view view;
	unsigned int steps = 0;
	int err = 0;

	sem_init(&model.back, 0, 0);
	for (int i = 0; i < model.nr; i++) {
		struct model_thread *t = &model.threads[i];

		sem_init(&t->go, 0, 0);
		if (pthread_create(&t->tid, NULL, model_thread_main, t))
			return -EAGAIN;	/* those created wait forever: the caller exits */
	}
	/* Up to each thread's first point, in order: no choice to make yet. */
	for (int i = 0; i < model.nr; i++)
		model_resume(&model.threads[i]);
	for (;;) {
		bool any = false, all_done = true;
		int i;

		model_view(&view);
		for (i = 0; i < model.nr; i++) {
			any |= view.threads[i].enabled;
			all_done &= view.threads[i].done;
		}
		if (all_done)
			break;
		if (!any) {
			err = -EDEADLK;
			break;
		}
		if (steps == max_steps) {
			err = -E2BIG;
			break;
		}
		i = pick(&view, ctx);
		if (i < 0 || i >= model.nr || !view.threads[i].enabled) {
			err = -EINVAL;
			break;
		}
		model_resume(&model.threads[i]);
		steps++;
	}
	if (err)
		return err;	/* threads are left stopped: the caller reports and exits */
	for (int i = 0; i < model.nr; i++) {
		pthread_join(model.threads[i].tid, NULL);
		sem_destroy(&model.threads[i].go);
	}
	sem_destroy(&model.back);
	model.nr = 0;
	return (int)steps;
}
