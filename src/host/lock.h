/* SPDX-License-Identifier: MIT */
/*
 * Kernel lock primitives on top of POSIX threads.  mm code uses only these
 * names, never pthreads directly.
 *
 * In the model build a logical thread must never block inside the host, where
 * the checker cannot see it: it announces the lock, tries it, and while the
 * lock is busy lets the other logical threads run until one releases it.
 */
#ifndef HP_HOST_LOCK_H
#define HP_HOST_LOCK_H

#include <hugepfn/types.h>
#include "host/model.h"

#ifdef HP_MODEL
/* busy: a try expression, non-zero while the lock is taken. */
#define hp_lock_acquire(lock, busy, block, what) do {				\
	if (hp_model_running()) {						\
		HP_MODEL_POINT(HP_MODEL_LOCK, lock, sizeof(*(lock)), what);	\
		while (busy)							\
			hp_model_wait_unlock(lock);				\
	} else {								\
		block;								\
	}									\
} while (0)
#define hp_lock_release(lock, release, what) do {				\
	HP_MODEL_POINT(HP_MODEL_UNLOCK, lock, sizeof(*(lock)), what);		\
	release;								\
	hp_model_unlocked(lock);						\
} while (0)
#else
#define hp_lock_acquire(lock, busy, block, what) block
#define hp_lock_release(lock, release, what) release
#endif

/* The init macros pass the lock's expression along: the model's traces name it. */
static inline void __spin_lock_init(spinlock_t *l, const char *name)
{
	pthread_spin_init(&l->raw, PTHREAD_PROCESS_PRIVATE);
	HP_MODEL_NAME(l, name);
}
#define spin_lock_init(l) __spin_lock_init(l, #l)
static inline void spin_lock_destroy(spinlock_t *l) { pthread_spin_destroy(&l->raw); }
static inline void spin_lock(spinlock_t *l)
{
	hp_lock_acquire(l, pthread_spin_trylock(&l->raw), pthread_spin_lock(&l->raw), "spin_lock");
}
static inline void spin_unlock(spinlock_t *l)
{
	hp_lock_release(l, pthread_spin_unlock(&l->raw), "spin_unlock");
}

static inline void __init_rwsem(struct rw_semaphore *s, const char *name)
{
	pthread_rwlock_init(&s->raw, NULL);
	HP_MODEL_NAME(s, name);
}
#define init_rwsem(s) __init_rwsem(s, #s)
static inline void destroy_rwsem(struct rw_semaphore *s) { pthread_rwlock_destroy(&s->raw); }
static inline void down_read(struct rw_semaphore *s)
{
	hp_lock_acquire(s, pthread_rwlock_tryrdlock(&s->raw), pthread_rwlock_rdlock(&s->raw), "down_read");
}
static inline void up_read(struct rw_semaphore *s)
{
	hp_lock_release(s, pthread_rwlock_unlock(&s->raw), "up_read");
}
static inline void down_write(struct rw_semaphore *s)
{
	hp_lock_acquire(s, pthread_rwlock_trywrlock(&s->raw), pthread_rwlock_wrlock(&s->raw), "down_write");
}
static inline void up_write(struct rw_semaphore *s)
{
	hp_lock_release(s, pthread_rwlock_unlock(&s->raw), "up_write");
}

static inline void __mutex_init(struct mutex *m, const char *name)
{
	pthread_mutex_init(&m->raw, NULL);
	HP_MODEL_NAME(m, name);
}
#define mutex_init(m) __mutex_init(m, #m)
static inline void mutex_destroy(struct mutex *m) { pthread_mutex_destroy(&m->raw); }
static inline void mutex_lock(struct mutex *m)
{
	hp_lock_acquire(m, pthread_mutex_trylock(&m->raw), pthread_mutex_lock(&m->raw), "mutex_lock");
}
static inline bool mutex_trylock(struct mutex *m)
{
	HP_MODEL_POINT(HP_MODEL_LOCK, m, sizeof(*m), "mutex_trylock");
	return pthread_mutex_trylock(&m->raw) == 0;
}
static inline void mutex_unlock(struct mutex *m)
{
	hp_lock_release(m, pthread_mutex_unlock(&m->raw), "mutex_unlock");
}

#endif
