/* SPDX-License-Identifier: MIT */
/*
 * Basic types shared by every hugepfn header: kernel-style integer names, the
 * atomic types (C11's, or std::atomic for C++), and the lock types embedded in
 * struct page and struct mm_struct.  The lock operations live in src/host/,
 * the one place that talks to the host; here the locks are storage only, so
 * that the headers need no POSIX feature macros (plain -std=c11 works).
 */
#ifndef HUGEPFN_TYPES_H
#define HUGEPFN_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
/*
 * C++ sees the C11 atomic types as std::atomic: with GCC and Clang both have
 * the size and alignment of the plain type and the same lock-free
 * representation, which is how C++23's <stdatomic.h> makes them one type.
 * The inline helpers below call the free functions by their C names.
 */
#include <atomic>
using std::atomic_bool;
using std::atomic_int;
using std::atomic_uint;
using std::atomic_long;
using std::atomic_ulong;
using std::memory_order_relaxed;
using std::memory_order_acquire;
using std::memory_order_release;
using std::memory_order_acq_rel;
using std::memory_order_seq_cst;
using std::atomic_load;
using std::atomic_load_explicit;
using std::atomic_store_explicit;
using std::atomic_fetch_add_explicit;
using std::atomic_fetch_sub_explicit;
using std::atomic_fetch_or_explicit;
using std::atomic_fetch_and_explicit;
using std::atomic_compare_exchange_weak_explicit;
#define HP_ATOMIC_LAYOUT_AS(a, t) \
	static_assert(sizeof(a) == sizeof(t) && alignof(a) == alignof(t), \
		      #a " is laid out as " #t " in C")
#else
#include <stdatomic.h>
#include <stdbool.h>
#define HP_ATOMIC_LAYOUT_AS(a, t) \
	_Static_assert(sizeof(a) == sizeof(t) && _Alignof(a) == _Alignof(t), \
		       #a " is laid out as " #t " in C++")
#endif
HP_ATOMIC_LAYOUT_AS(atomic_bool, bool);
HP_ATOMIC_LAYOUT_AS(atomic_int, int);
HP_ATOMIC_LAYOUT_AS(atomic_uint, unsigned int);
HP_ATOMIC_LAYOUT_AS(atomic_long, long);
HP_ATOMIC_LAYOUT_AS(atomic_ulong, unsigned long);
#undef HP_ATOMIC_LAYOUT_AS

/*
 * Brackets each public header's declarations: C linkage for C++, and default
 * visibility, so that libhugepfn (built with -fvisibility=hidden) exports
 * what the headers declare and nothing else.
 */
#ifdef __cplusplus
#define HP_BEGIN_DECLS extern "C" { _Pragma("GCC visibility push(default)")
#define HP_END_DECLS _Pragma("GCC visibility pop") }
#else
#define HP_BEGIN_DECLS _Pragma("GCC visibility push(default)")
#define HP_END_DECLS _Pragma("GCC visibility pop")
#endif

typedef uint64_t phys_addr_t;
typedef unsigned long pgoff_t;
typedef unsigned int gfp_t;

/*
 * Storage for the host's locks, sized and aligned for the pthread types
 * (src/host/lock.h checks each fits).  A spinning lock (page-table locks):
 */
typedef struct { int raw; } spinlock_t;
/* A sleeping reader/writer lock (mmap_lock, i_mmap_rwsem). */
struct rw_semaphore { union { unsigned char bytes[56]; long align; } raw; };

struct list_head {
	struct list_head *next, *prev;
};

#endif
