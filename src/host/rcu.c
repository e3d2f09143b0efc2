// SPDX-License-Identifier: MIT
#include <pthread.h>
#include <stdbool.h>
#include <urcu/urcu-memb.h>

#include "host/rcu.h"

/*
 * ThreadSanitizer cannot see the ordering a grace period provides (liburcu's
 * barriers are inline assembly and membarrier()), so it would report every
 * free after synchronize_rcu() as a race with the readers that came before.
 * We tell it: a reader's unlock releases a token that the end of a grace
 * period, and the start of every callback, acquires.
 */
#if defined(__SANITIZE_THREAD__)
#define HP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HP_TSAN 1
#endif
#endif

#ifdef HP_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
static char grace_token;
#define tsan_release_token() __tsan_release(&grace_token)
#define tsan_acquire_token() __tsan_acquire(&grace_token)
#else
#define tsan_release_token() do { } while (0)
#define tsan_acquire_token() do { } while (0)
#endif

/* Callbacks waiting for a grace period, newest first. */
static pthread_mutex_t pending_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hp_rcu_head *pending;
static unsigned long nr_pending;
#define HP_RCU_MAX_PENDING 4096

void hp_rcu_read_lock(void)
{
	urcu_memb_read_lock();
}

void hp_rcu_read_unlock(void)
{
	tsan_release_token();
	urcu_memb_read_unlock();
}

static struct hp_rcu_head *take_pending(void)
{
	struct hp_rcu_head *list;

	pthread_mutex_lock(&pending_lock);
	list = pending;
	pending = NULL;
	nr_pending = 0;
	pthread_mutex_unlock(&pending_lock);
	return list;
}

static void run_callbacks(struct hp_rcu_head *list)
{
	while (list) {
		struct hp_rcu_head *next = list->next;

		list->func(list);
		list = next;
	}
}

/* Callbacks queued before the grace period began are safe to run after it. */
void hp_synchronize_rcu(void)
{
	struct hp_rcu_head *ready = take_pending();

	urcu_memb_synchronize_rcu();
	tsan_acquire_token();
	run_callbacks(ready);
}

void hp_call_rcu(struct hp_rcu_head *head, hp_rcu_callback_t func)
{
	bool full;

	head->func = func;
	pthread_mutex_lock(&pending_lock);
	head->next = pending;
	pending = head;
	full = ++nr_pending >= HP_RCU_MAX_PENDING;
	pthread_mutex_unlock(&pending_lock);
	if (full)
		hp_synchronize_rcu();
}

void hp_rcu_barrier(void)
{
	hp_synchronize_rcu();
}

/* Registering twice is harmless here (liburcu itself would abort). */
static _Thread_local bool registered;

void hp_rcu_register_thread(void)
{
	if (!registered)
		urcu_memb_register_thread();
	registered = true;
}

void hp_rcu_unregister_thread(void)
{
	if (registered)
		urcu_memb_unregister_thread();
	registered = false;
}
