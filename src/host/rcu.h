/* SPDX-License-Identifier: MIT */
/*
 * RCU, the one thing that keeps page-table pages alive under lockless walkers.
 * Backed by liburcu's membarrier flavour (rcu.c); every thread that reads under
 * RCU must be registered (hp_thread_register()).  Only rcu.c includes liburcu,
 * so its own list.h never meets ours.  The interleaving checker's build
 * implements the same calls in model.c instead.
 */
#ifndef HP_HOST_RCU_H
#define HP_HOST_RCU_H

struct hp_rcu_head;
typedef void (*hp_rcu_callback_t)(struct hp_rcu_head *head);
struct hp_rcu_head {
	struct hp_rcu_head *next;
	hp_rcu_callback_t func;
};

/*
 * liburcu already owns the kernel's names (rcu_read_lock, call_rcu, ...) as
 * macros, hence the hp_ prefix here.
 *
 * Callbacks are not run by a background thread: each hp_synchronize_rcu()
 * runs, after its grace period, the callbacks queued before it began.  That
 * keeps them deterministic and visible to ThreadSanitizer.  hp_call_rcu() may
 * itself wait for a grace period when too many are queued, so it must not be
 * called inside a read-side section.
 */
void hp_rcu_read_lock(void);
void hp_rcu_read_unlock(void);
void hp_synchronize_rcu(void);
void hp_call_rcu(struct hp_rcu_head *head, hp_rcu_callback_t func);
/* Waits for a grace period and runs every queued callback. */
void hp_rcu_barrier(void);
void hp_rcu_register_thread(void);
void hp_rcu_unregister_thread(void);

#endif
