// SPDX-License-Identifier: MIT
/* The simulated machine: set-up and teardown, the policy, fault injection. */
#include <errno.h>
#include <string.h>

#include "host/rcu.h"
#include "mem/physmem.h"
#include "mm/internal.h"

static enum hugepfn_policy policy = HP_POLICY_SPECIAL;

enum hugepfn_policy hp_policy(void)
{
	return policy;
}

/* ---- fault injection ----------------------------------------------------- */

static struct {
	atomic_ulong calls;
	atomic_ulong fail_at;	/* the call number that fails; 0: none */
} fail_sites[HP_NR_FAIL_SITES];

const char *hp_fail_site_name(enum hp_fail_site site)
{
	static const char *const names[] = {
		[HP_FAIL_PGTABLE] = "pgtable", [HP_FAIL_PAGE] = "page",
		[HP_FAIL_THP] = "thp", [HP_FAIL_BUDDY] = "buddy", [HP_FAIL_BO] = "bo",
	};

	return site < HP_NR_FAIL_SITES ? names[site] : "?";
}

int hp_fail_site_parse(const char *name)
{
	for (int site = 0; site < HP_NR_FAIL_SITES; site++)
		if (!strcmp(name, hp_fail_site_name(site)))
			return site;
	return -1;
}

void hp_fail_nth(enum hp_fail_site site, unsigned long n)
{
	unsigned long calls = atomic_load(&fail_sites[site].calls);

	atomic_store(&fail_sites[site].fail_at, n ? calls + n : 0);
}

unsigned long hp_fail_calls(enum hp_fail_site site)
{
	return atomic_load(&fail_sites[site].calls);
}

bool hp_should_fail(enum hp_fail_site site)
{
	unsigned long call = atomic_fetch_add(&fail_sites[site].calls, 1) + 1;

	return call == atomic_load(&fail_sites[site].fail_at);
}

/* ---- the machine --------------------------------------------------------- */

void hp_thread_register(void)
{
	hp_rcu_register_thread();
}

void hp_thread_unregister(void)
{
	hp_rcu_unregister_thread();
}

int hp_machine_init(const struct hp_config *config)
{
	uint64_t ram = config->ram_size ? config->ram_size : HP_DEFAULT_RAM_SIZE;
	int err;

	if (ram % (PAGE_SIZE << MAX_PAGE_ORDER) || ram < (16ULL << 20) ||
	    ram > (1ULL << 46) || config->policy >= HP_NR_POLICIES)
		return -EINVAL;
	err = hp_physmem_init(ram);
	if (err)
		return err;
	if (hp_page_alloc_init()) {
		hp_physmem_exit();
		return -ENOMEM;
	}
	hp_violations_reset();
	memset(fail_sites, 0, sizeof(fail_sites));
	hp_pgtable_stats_reset();
	policy = config->policy;
	hp_rcu_register_thread();
	return 0;
}

void hp_machine_leaks(struct hp_leaks *leaks)
{
	hp_rcu_barrier();	/* deferred frees count as done */
	/* The zero page is the one page the idle machine holds. */
	leaks->pages = hp_totalram_pages() - nr_free_pages() - 1;
	leaks->pgmap_refs = hp_pgmap_refs_held();
}

void hp_machine_exit(void)
{
	hp_rcu_barrier();
	hp_violations_reset();	/* the record goes with the machine */
	hp_rcu_unregister_thread();
	hp_page_alloc_exit();
	hp_physmem_exit();
}
