/* SPDX-License-Identifier: MIT */
/*
 * hugepfn: huge PFN mappings in a user-space model of Linux memory
 * management.  Include this for everything.
 */
#ifndef HUGEPFN_HUGEPFN_H
#define HUGEPFN_HUGEPFN_H

#include <hugepfn/pgtable.h>
#include <hugepfn/memory.h>
#include <hugepfn/mm.h>
#include <hugepfn/fault.h>
#include <hugepfn/gup.h>
#include <hugepfn/cpu.h>
#include <hugepfn/bar.h>
#include <hugepfn/ttm.h>

HP_BEGIN_DECLS

/* The designs of the March 2021 thread, runnable side by side. */
enum hugepfn_policy {
	HP_POLICY_NONE,		/* no huge pfn mappings: 4 KiB PTEs only */
	HP_POLICY_PLAIN,	/* unmarked huge pfn entries (the bug) */
	HP_POLICY_DEVMAP,	/* devmap entries without a pagemap (rejected) */
	HP_POLICY_SPECIAL,	/* pmd/pud_special (the agreed fix, default) */
	HP_NR_POLICIES
};
const char *hp_policy_name(enum hugepfn_policy policy);
/* Parses "none", "plain", "devmap" or "special"; -1 if none of them. */
int hp_policy_parse(const char *name);

struct hp_config {
	uint64_t ram_size;		/* bytes, a multiple of 4 MiB; 0: 4 GiB */
	enum hugepfn_policy policy;
};
#define HP_DEFAULT_RAM_SIZE (4ULL << 30)

/*
 * One simulated machine per process, as one kernel per machine.  Init
 * registers the calling thread with RCU; other threads that touch the
 * machine call hp_thread_register() first.  Returns 0 or a negative errno.
 */
int hp_machine_init(const struct hp_config *config);
void hp_machine_exit(void);
enum hugepfn_policy hp_policy(void);
void hp_thread_register(void);
void hp_thread_unregister(void);

/* What the machine holds beyond its idle state: all zero after a clean teardown. */
struct hp_leaks {
	unsigned long pages;		/* RAM pages not back in the allocator */
	unsigned long pgmap_refs;	/* dev_pagemap references held */
};
void hp_machine_leaks(struct hp_leaks *leaks);

/*
 * Fault injection: make the nth call (1 = the next one) at an allocation
 * site fail.  n = 0 disarms.  hp_fail_calls() counts calls since init.
 */
enum hp_fail_site {
	HP_FAIL_PGTABLE,	/* a page-table page */
	HP_FAIL_PAGE,		/* an order-0 page for a mapping */
	HP_FAIL_THP,		/* a PMD-order folio for a mapping */
	HP_FAIL_BUDDY,		/* a VRAM allocation from drm_buddy */
	HP_FAIL_BO,		/* a TTM buffer object */
	HP_NR_FAIL_SITES
};
void hp_fail_nth(enum hp_fail_site site, unsigned long n);
unsigned long hp_fail_calls(enum hp_fail_site site);
const char *hp_fail_site_name(enum hp_fail_site site);
/* Parses a site name; -1 if none. */
int hp_fail_site_parse(const char *name);

HP_END_DECLS

#endif
