/* SPDX-License-Identifier: MIT */
/*
 * Kernel lock primitives on top of POSIX threads.  mm code uses only these
 * names, never pthreads directly.
 */
#ifndef HP_HOST_LOCK_H
#define HP_HOST_LOCK_H

#include <hugepfn/types.h>

static inline void spin_lock_init(spinlock_t *l) { pthread_spin_init(&l->raw, PTHREAD_PROCESS_PRIVATE); }
static inline void spin_lock_destroy(spinlock_t *l) { pthread_spin_destroy(&l->raw); }
static inline void spin_lock(spinlock_t *l) { pthread_spin_lock(&l->raw); }
static inline void spin_unlock(spinlock_t *l) { pthread_spin_unlock(&l->raw); }

static inline void init_rwsem(struct rw_semaphore *s) { pthread_rwlock_init(&s->raw, NULL); }
static inline void destroy_rwsem(struct rw_semaphore *s) { pthread_rwlock_destroy(&s->raw); }
static inline void down_read(struct rw_semaphore *s) { pthread_rwlock_rdlock(&s->raw); }
static inline void up_read(struct rw_semaphore *s) { pthread_rwlock_unlock(&s->raw); }
static inline void down_write(struct rw_semaphore *s) { pthread_rwlock_wrlock(&s->raw); }
static inline void up_write(struct rw_semaphore *s) { pthread_rwlock_unlock(&s->raw); }

static inline void mutex_init(struct mutex *m) { pthread_mutex_init(&m->raw, NULL); }
static inline void mutex_destroy(struct mutex *m) { pthread_mutex_destroy(&m->raw); }
static inline void mutex_lock(struct mutex *m) { pthread_mutex_lock(&m->raw); }
static inline bool mutex_trylock(struct mutex *m) { return pthread_mutex_trylock(&m->raw) == 0; }
static inline void mutex_unlock(struct mutex *m) { pthread_mutex_unlock(&m->raw); }

#endif
