// SPDX-License-Identifier: MIT
#include <assert.h>
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

static_assert(sizeof(((struct hp_rcu_head *)0)->urcu_head) == sizeof(struct rcu_head),
	      "hp_rcu_head must hold liburcu's rcu_head");

void hp_rcu_read_lock(void)
{
	urcu_memb_read_lock();
}

void hp_rcu_read_unlock(void)
{
	tsan_release_token();
	urcu_memb_read_unlock();
}

void hp_synchronize_rcu(void)
{
	urcu_memb_synchronize_rcu();
	tsan_acquire_token();
}

static void hp_rcu_trampoline(struct rcu_head *urcu_head)
{
	struct hp_rcu_head *head = (struct hp_rcu_head *)urcu_head;

	tsan_acquire_token();
	head->func(head);
}

void hp_call_rcu(struct hp_rcu_head *head, hp_rcu_callback_t func)
{
	head->func = func;
	urcu_memb_call_rcu((struct rcu_head *)head->urcu_head, hp_rcu_trampoline);
}

void hp_rcu_barrier(void)
{
	urcu_memb_barrier();
	tsan_acquire_token();
}

void hp_rcu_register_thread(void)
{
	urcu_memb_register_thread();
}

void hp_rcu_unregister_thread(void)
{
	urcu_memb_unregister_thread();
}
