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

#include <pthread.h>

#include <hugepfn/types.h>
#include "host/model.h"

/* A sleeping lock (a BO's reservation lock); no public structure embeds one. */
struct mutex { pthread_mutex_t raw; };

/* The public headers hold the other two as storage; the host types must fit. */
_Static_assert(sizeof(pthread_spinlock_t) <= sizeof(((spinlock_t *)0)->raw) &&
	       _Alignof(pthread_spinlock_t) <= _Alignof(spinlock_t),
	       "pthread_spinlock_t fits spinlock_t");
_Static_assert(sizeof(pthread_rwlock_t) <= sizeof(((struct rw_semaphore *)0)->raw) &&
	       _Alignof(pthread_rwlock_t) <= _Alignof(struct rw_semaphore),
	       "pthread_rwlock_t fits struct rw_semaphore");

static inline pthread_spinlock_t *spin_host(spinlock_t *l)
{
	return (pthread_spinlock_t *)(void *)&l->raw;
}
static inline pthread_rwlock_t *rwsem_host(struct rw_semaphore *s)
{
	return (pthread_rwlock_t *)(void *)&s->raw;
}

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
	pthread_spin_init(spin_host(l), PTHREAD_PROCESS_PRIVATE);
	HP_MODEL_NAME(l, name);
}
#define spin_lock_init(l) __spin_lock_init(l, #l)
static inline void spin_lock_destroy(spinlock_t *l) { pthread_spin_destroy(spin_host(l)); }
static inline void spin_lock(spinlock_t *l)
{
	hp_lock_acquire(l, pthread_spin_trylock(spin_host(l)), pthread_spin_lock(spin_host(l)),
			"spin_lock");
}
static inline void spin_unlock(spinlock_t *l)
{
	hp_lock_release(l, pthread_spin_unlock(spin_host(l)), "spin_unlock");
}

static inline void __init_rwsem(struct rw_semaphore *s, const char *name)
{
	pthread_rwlock_init(rwsem_host(s), NULL);
	HP_MODEL_NAME(s, name);
}
#define init_rwsem(s) __init_rwsem(s, #s)
static inline void destroy_rwsem(struct rw_semaphore *s) { pthread_rwlock_destroy(rwsem_host(s)); }
static inline void down_read(struct rw_semaphore *s)
{
	hp_lock_acquire(s, pthread_rwlock_tryrdlock(rwsem_host(s)),
			pthread_rwlock_rdlock(rwsem_host(s)), "down_read");
}
static inline void up_read(struct rw_semaphore *s)
{
	hp_lock_release(s, pthread_rwlock_unlock(rwsem_host(s)), "up_read");
}
static inline void down_write(struct rw_semaphore *s)
{
	hp_lock_acquire(s, pthread_rwlock_trywrlock(rwsem_host(s)),
			pthread_rwlock_wrlock(rwsem_host(s)), "down_write");
}
static inline void up_write(struct rw_semaphore *s)
{
	hp_lock_release(s, pthread_rwlock_unlock(rwsem_host(s)), "up_write");
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
