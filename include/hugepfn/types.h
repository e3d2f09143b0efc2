/* SPDX-License-Identifier: MIT */
/*
 * Basic types shared by every hugepfn header: kernel-style integer names and
 * the lock types embedded in struct page and struct mm_struct.  The lock
 * operations live in src/host/, the one place that talks to the host.
 */
#ifndef HUGEPFN_TYPES_H
#define HUGEPFN_TYPES_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t phys_addr_t;
typedef unsigned long pgoff_t;
typedef unsigned int gfp_t;

/* A spinning lock (page-table locks). */
typedef struct { pthread_spinlock_t raw; } spinlock_t;
/* A sleeping reader/writer lock (mmap_lock, i_mmap_rwsem). */
struct rw_semaphore { pthread_rwlock_t raw; };
/* A sleeping lock (a BO's reservation lock). */
struct mutex { pthread_mutex_t raw; };

struct list_head {
	struct list_head *next, *prev;
};

#endif
