/* SPDX-License-Identifier: MIT */
/*
 * RCU, the one thing that keeps page-table pages alive under lockless walkers.
 * Backed by liburcu's membarrier flavour; every thread that reads under RCU
 * must be registered (hp_thread_register()).  Only this pair of files includes
 * liburcu, so its own list.h never meets ours.
 */
#ifndef HP_HOST_RCU_H
#define HP_HOST_RCU_H

struct hp_rcu_head;
typedef void (*hp_rcu_callback_t)(struct hp_rcu_head *head);
struct hp_rcu_head {
	void *urcu_head[2];	/* storage for liburcu's struct rcu_head */
	hp_rcu_callback_t func;
};

/*
 * liburcu already owns the kernel's names (rcu_read_lock, call_rcu, ...) as
 * macros, hence the hp_ prefix here.
 */
void hp_rcu_read_lock(void);
void hp_rcu_read_unlock(void);
void hp_synchronize_rcu(void);
void hp_call_rcu(struct hp_rcu_head *head, hp_rcu_callback_t func);
void hp_rcu_barrier(void);
void hp_rcu_register_thread(void);
void hp_rcu_unregister_thread(void);

#endif
