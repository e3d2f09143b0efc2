// SPDX-License-Identifier: MIT
/* hugepfn: the command. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hugepfn.h"
#include "scenario.h"

#ifndef HP_SCENARIO_DIR
#define HP_SCENARIO_DIR "scenarios"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hugepfn run [--json] [--policy P] [--fail SITE:N] [-c CMD]... [SCRIPT|-]...\n"
		"       hugepfn compare [--json] [-c CMD]... [SCRIPT|-]\n"
		"       hugepfn demo\n"
		"       hugepfn tour [--policy P] [--size BYTES[K|M|G]]\n"
		"       hugepfn gup [--policy P]\n"
		"       hugepfn bench [-s SIZE] [-r REPS] [-o FILE.json]\n"
		"\n"
		"run      runs scenarios (docs/scenario-language.md) under one policy (default:\n"
		"         the script's machine policy=, else special).  Exit 0: every expectation\n"
		"         met; 1: an expectation failed, a violation nobody expected, a leak;\n"
		"         2: a usage or script error.\n"
		"compare  runs one scenario under none, plain, devmap and special, side by side.\n"
		"demo     compare on the bundled seed-thread.hp: the March 2021 thread, replayed.\n"
		"tour     maps a BAR, a THP region and two moving TTM BOs, every 4 KiB touched.\n"
		"gup      what slow and fast GUP answer for each kind of entry.\n"
		"bench    the benchmarks (make bench also draws the chart).\n"
		"P is one of none, plain, devmap, special.\n");
}

/* --policy NAME into *policy; 0, or 2 after a message. */
static int parse_policy(const char *cmd, const char *arg, int *policy)
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

struct args {
	bool json;
	int fail_site;		/* --fail SITE:N; -1: none */
	unsigned long fail_nth;
	int policy;		/* -1: not given */
	uint64_t size;
	char *inline_cmds;	/* -c commands, one per line */
	size_t inline_len;
	char **files;
	int nfiles;
};

static void add_inline(struct args *a, const char *cmd)
{
	size_t n = strlen(cmd);
	char *buf = realloc(a->inline_cmds, a->inline_len + n + 2);

	if (!buf) {
		perror("hugepfn");
		exit(2);
	}
	memcpy(buf + a->inline_len, cmd, n);
	buf[a->inline_len + n] = '\n';
	buf[a->inline_len + n + 1] = '\0';
	a->inline_cmds = buf;
	a->inline_len += n + 1;
}

/* Options common to every subcommand; what is left are files. */
static int parse_args(const char *cmd, int argc, char **argv, const char *allowed, struct args *a)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "policy", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 's' },
		{ "fail", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->policy = -1;
	a->fail_site = -1;
	a->size = 1ULL << 30;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jp:s:c:f:h", opts, NULL)) != -1) {
		if (c != 'h' && c != '?' && !strchr(allowed, c)) {
			fprintf(stderr, "hugepfn %s: option -%c does not apply\n", cmd, c);
			return 2;
		}
		switch (c) {
		case 'j': a->json = true; break;
		case 'p':
			if (parse_policy(cmd, optarg, &a->policy))
				return 2;
			break;
		case 's':
			if (!sc_parse_size(optarg, &a->size) || !a->size || a->size % (2UL << 20) ||
			    a->size > (2ULL << 30)) {
				fprintf(stderr, "hugepfn %s: --size '%s' must be a multiple of 2 MiB, at most 2 GiB\n",
					cmd, optarg);
				return 2;
			}
			break;
		case 'c': add_inline(a, optarg); break;
		case 'f': {
			char site[16];
			long n = 0;

			if (sscanf(optarg, "%15[a-z]:%ld", site, &n) != 2 || n < 1 ||
			    (a->fail_site = hp_fail_site_parse(site)) < 0) {
				fprintf(stderr, "hugepfn %s: --fail '%s': SITE:N with SITE one of "
					"pgtable, page, thp, buddy, bo and N >= 1\n", cmd, optarg);
				return 2;
			}
			a->fail_nth = n;
			break;
		}
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return 2;
		}
	}
	a->files = argv + optind;
	a->nfiles = argc - optind;
	return 0;
}

/* Parses one script: a file, "-" for standard input, or the -c commands. */
static int load(const char *file, const char *inline_cmds, struct sc_script *script)
{
	FILE *in;
	int err;

	if (inline_cmds)
		in = fmemopen((void *)inline_cmds, strlen(inline_cmds), "r");
	else if (!strcmp(file, "-"))
		in = stdin;
	else
		in = fopen(file, "r");
	if (!in) {
		fprintf(stderr, "hugepfn: cannot read %s: %s\n", file, strerror(errno));
		return 2;
	}
	err = sc_parse(in, file, script);
	if (in != stdin)
		fclose(in);
	return err ? 2 : 0;
}

static int run_one(const char *file, const char *inline_cmds, const struct args *a)
{
	struct sc_script script;
	struct sc_result result;
	int policy, status;

	if (load(file, inline_cmds, &script))
		return 2;
	script.fail_site = a->fail_site;
	script.fail_nth = a->fail_nth;
	policy = a->policy >= 0 ? a->policy : script.policy >= 0 ? script.policy : HP_POLICY_SPECIAL;
	sc_run(&script, policy, a->json ? stderr : stdout, &result);
	if (a->json)
		sc_print_json(stdout, &script, &result);
	else
		sc_print_summary(stdout, &script, &result);
	sc_free(&script);
	status = sc_status(&result);
	sc_result_free(&result);
	return status;
}

static int cmd_run(int argc, char **argv)
{
	struct args a;
	int worst = 0;

	if (parse_args("run", argc, argv, "jpcf", &a))
		return 2;
	if (!a.nfiles && !a.inline_cmds) {
		fprintf(stderr, "hugepfn run: no scenario (give files, - or -c CMD)\n");
		return 2;
	}
	if (a.inline_cmds) {
		int s = run_one("-c", a.inline_cmds, &a);

		worst = s > worst ? s : worst;
	}
	for (int i = 0; i < a.nfiles; i++) {
		int s = run_one(a.files[i], NULL, &a);

		worst = s > worst ? s : worst;
	}
	free(a.inline_cmds);
	return worst;
}

/* Runs a script under every policy; name, if given, is how reports call it. */
static int compare_script(const char *file, const char *name, const char *inline_cmds,
			  bool json, bool verdicts)
{
	struct sc_result results[HP_NR_POLICIES];
	struct sc_script script;
	int worst = 0;

	if (load(file, inline_cmds, &script))
		return 2;
	if (name)
		script.file = name;
	for (int p = 0; p < HP_NR_POLICIES; p++) {
		int s;

		sc_run(&script, p, json ? stderr : stdout, &results[p]);
		s = sc_status(&results[p]);
		worst = s > worst ? s : worst;
		if (json)
			sc_print_json(stdout, &script, &results[p]);
	}
	if (!json) {
		sc_print_compare(stdout, &script, results);
		if (verdicts)
			sc_print_verdicts(stdout, results);
	}
	for (int p = 0; p < HP_NR_POLICIES; p++)
		sc_result_free(&results[p]);
	sc_free(&script);
	return worst;
}

static int cmd_compare(int argc, char **argv)
{
	struct args a;
	int s;

	if (parse_args("compare", argc, argv, "jc", &a))
		return 2;
	if ((a.nfiles != 1 || a.inline_cmds) && !(a.nfiles == 0 && a.inline_cmds)) {
		fprintf(stderr, "hugepfn compare: one scenario (a file, - or -c CMD...)\n");
		return 2;
	}
	s = compare_script(a.inline_cmds ? "-c" : a.files[0], NULL, a.inline_cmds, a.json, true);
	free(a.inline_cmds);
	return s;
}

static int cmd_demo(int argc, char **argv)
{
	struct args a;

	if (parse_args("demo", argc, argv, "j", &a))
		return 2;
	if (a.nfiles) {
		fprintf(stderr, "hugepfn demo: unexpected argument '%s'\n", a.files[0]);
		return 2;
	}
	return compare_script(HP_SCENARIO_DIR "/seed-thread.hp", "scenarios/seed-thread.hp", NULL,
			      a.json, true);
}

static int cmd_tour(int argc, char **argv)
{
	struct args a;

	if (parse_args("tour", argc, argv, "ps", &a))
		return 2;
	if (a.nfiles) {
		fprintf(stderr, "hugepfn tour: unexpected argument '%s'\n", a.files[0]);
		return 2;
	}
	return hp_demo(stdout, a.policy >= 0 ? a.policy : HP_POLICY_SPECIAL, a.size);
}

static int cmd_gup(int argc, char **argv)
{
	struct args a;

	if (parse_args("gup", argc, argv, "p", &a))
		return 2;
	if (a.nfiles) {
		fprintf(stderr, "hugepfn gup: unexpected argument '%s'\n", a.files[0]);
		return 2;
	}
	return hp_gup_table(stdout, a.policy >= 0 ? a.policy : HP_POLICY_SPECIAL);
}

#ifndef HP_BENCH_PATH
#define HP_BENCH_PATH "hugepfn-bench"
#endif

static int cmd_bench(int argc, char **argv)
{
	(void)argc;
	argv[0] = (char *)HP_BENCH_PATH;
	execv(HP_BENCH_PATH, argv);
	fprintf(stderr, "hugepfn bench: cannot run %s: %s\n", HP_BENCH_PATH, strerror(errno));
	return 2;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "run", cmd_run }, { "compare", cmd_compare }, { "demo", cmd_demo },
		{ "tour", cmd_tour }, { "gup", cmd_gup }, { "bench", cmd_bench },
	};

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "hugepfn: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
