// SPDX-License-Identifier: MIT
/*
 * The names of the model's enums: policies, leaf levels, entry kinds.  A
 * file of its own, with no other dependency, so that the scenario parser,
 * which reads these names in scripts, can be built without the machine (the
 * Linux backend, kernel/tests/scenario_linux.c, runs the parser inside a
 * QEMU guest).
 */
#include <string.h>

#include <hugepfn/hugepfn.h>

static const char *const policy_names[HP_NR_POLICIES] = {
	[HP_POLICY_NONE] = "none", [HP_POLICY_PLAIN] = "plain",
	[HP_POLICY_DEVMAP] = "devmap", [HP_POLICY_SPECIAL] = "special",
};

const char *hp_policy_name(enum hugepfn_policy p)
{
	return p < HP_NR_POLICIES ? policy_names[p] : "?";
}

int hp_policy_parse(const char *name)
{
	for (int p = 0; p < HP_NR_POLICIES; p++)
		if (!strcmp(name, policy_names[p]))
			return p;
	return -1;
}

const char *hp_level_name(enum hp_level level)
{
	static const char *const names[] = {
		[HP_LEVEL_NONE] = "-", [HP_LEVEL_PTE] = "pte",
		[HP_LEVEL_PMD] = "pmd", [HP_LEVEL_PUD] = "pud",
	};

	return level <= HP_LEVEL_PUD ? names[level] : "?";
}

const char *hp_entry_kind_name(enum hp_entry_kind kind)
{
	static const char *const names[] = {
		[HP_KIND_NORMAL] = "normal", [HP_KIND_SPECIAL] = "special",
		[HP_KIND_DEVMAP] = "devmap",
	};

	return kind < HP_NR_KINDS ? names[kind] : "?";
}
