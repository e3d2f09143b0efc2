// SPDX-License-Identifier: MIT
/* hugepfn: the command. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "hugepfn.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hugepfn demo [--policy none|plain|devmap|special] [--size BYTES[K|M|G]]\n"
		"       hugepfn gup [--policy none|plain|devmap|special]\n"
		"       hugepfn --help\n"
		"\n"
		"demo   maps a device BAR and an anonymous THP region, touches every 4 KiB,\n"
		"       and reports faults, entries and page-table pages per mapping.\n"
		"gup    shows what slow and fast GUP answer for each kind of entry.\n");
}

/* A size with an optional K, M or G suffix; 0 on any error. */
static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	unsigned int shift = 0;

	if (end == s)
		return 0;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	}
	if (*end || v > (~0ULL >> shift))
		return 0;
	return v << shift;
}

/* --policy NAME into *policy; 0, or 2 after a message. */
static int parse_policy(const char *cmd, const char *arg, enum hugepfn_policy *policy)
{
	int p = hp_policy_parse(arg);

	if (p < 0) {
		fprintf(stderr, "hugepfn %s: unknown policy '%s' (none, plain, devmap, special)\n",
			cmd, arg);
		return 2;
	}
	*policy = p;
	return 0;
}

static int cmd_gup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	enum hugepfn_policy policy = HP_POLICY_SPECIAL;
	int c;

	while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
		if (c == 'p' && parse_policy("gup", optarg, &policy))
			return 2;
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c != 'p') {
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "hugepfn gup: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return hp_gup_table(stdout, policy);
}

static int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	enum hugepfn_policy policy = HP_POLICY_SPECIAL;
	uint64_t size = 1ULL << 30;
	int c;

	while ((c = getopt_long(argc, argv, "p:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_policy("demo", optarg, &policy))
				return 2;
			break;
		case 's':
			size = parse_size(optarg);
			if (!size || size % (2UL << 20) || size > (2ULL << 30)) {
				fprintf(stderr, "hugepfn demo: --size '%s' must be a multiple of 2 MiB, at most 2 GiB\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "hugepfn demo: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return hp_demo(stdout, policy, size);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "demo"))
		return cmd_demo(argc - 1, argv + 1);
	if (!strcmp(argv[1], "gup"))
		return cmd_gup(argc - 1, argv + 1);
	fprintf(stderr, "hugepfn: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
