// SPDX-License-Identifier: MIT
/*
 * The policies' names.  A file of its own, with no other dependency, so that
 * the scenario parser can be built without the machine (the Linux backend,
 * kernel/tests/scenario_linux.c, runs the parser inside a QEMU guest).
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
