// SPDX-License-Identifier: MIT
/* hugepfn: the command. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hugepfn.h"
#include "paths.h"
#include "scenario.h"

#ifndef HP_VERSION
#define HP_VERSION "unknown"
#endif

/* The options every subcommand may take; each subcommand says which apply. */
static const struct option long_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "trace", no_argument, NULL, 't' },
	{ "policy", required_argument, NULL, 'p' },
	{ "size", required_argument, NULL, 's' },
	{ "fail", required_argument, NULL, 'f' },
	{ "cmd", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 }
};

static const char *const opt_help[] = {
	['j'] = "--json          one JSON document per run (docs/hugepfn-result.schema.json)",
	['p'] = "--policy P      none, plain, devmap or special",
	['t'] = "--trace         the per-step trace instead (docs/scenario-language.md, Trace)",
	['s'] = "--size SIZE     each region's size: a multiple of 2M, at most 2G (default 1G)",
	['f'] = "--fail SITE:N   the Nth allocation at SITE fails: pgtable, page, thp, buddy, bo",
	['c'] = "-c, --cmd CMD   a scenario command; repeatable, the commands form a script",
};

struct subcommand {
	const char *name;
	int (*fn)(const struct subcommand *, int, char **);
	const char *synopsis;	/* after "hugepfn NAME" */
	const char *options;	/* the short letters of the options that apply */
	const char *about;
};

static void subcommand_usage(FILE *f, const struct subcommand *sub)
{
	fprintf(f, "usage: hugepfn %s %s\n\n%s\n", sub->name, sub->synopsis, sub->about);
	if (*sub->options)
		fputs("\noptions:\n", f);
	for (const char *o = sub->options; *o; o++)
		fprintf(f, "  %s\n", opt_help[(unsigned char)*o]);
}

static const char *long_name(int c)
{
	for (const struct option *o = long_opts; o->name; o++)
		if (o->val == c)
			return o->name;
	return "?";
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
	bool trace;
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

/* The options of one subcommand; what is left are files. */
static int parse_args(const struct subcommand *sub, int argc, char **argv, struct args *a)
{
	const char *cmd = sub->name;
	int c, li;

	memset(a, 0, sizeof(*a));
	a->policy = -1;
	a->fail_site = -1;
	a->size = 1ULL << 30;
	optind = 1;
	opterr = 0;
	while ((li = -1, c = getopt_long(argc, argv, "+:jtp:s:c:f:h", long_opts, &li)) != -1) {
		if (c == ':') {
			fprintf(stderr, "hugepfn %s: '%s' needs a value\n", cmd, argv[optind - 1]);
			return 2;
		}
		if (c == '?') {
			fprintf(stderr, "hugepfn %s: unknown option '%s' (hugepfn %s --help)\n", cmd,
				argv[optind - 1], cmd);
			return 2;
		}
		if (c != 'h' && !strchr(sub->options, c)) {
			/* Named as typed: li is set only when the long form was used. */
			if (li >= 0)
				fprintf(stderr, "hugepfn %s: option --%s does not apply to %s "
					"(hugepfn %s --help)\n", cmd, long_name(c), cmd, cmd);
			else
				fprintf(stderr, "hugepfn %s: option -%c does not apply to %s "
					"(hugepfn %s --help)\n", cmd, c, cmd, cmd);
			return 2;
		}
		switch (c) {
		case 'j': a->json = true; break;
		case 't': a->trace = true; break;
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
		case 'h': subcommand_usage(stdout, sub); exit(0);
		}
	}
	if (a->json && a->trace) {
		fprintf(stderr, "hugepfn %s: --json and --trace exclude each other\n", cmd);
		return 2;
	}
	a->files = argv + optind;
	a->nfiles = argc - optind;
	return 0;
}

/* A subcommand that takes no file: 0, or 2 after a message. */
static int no_files(const struct subcommand *sub, const struct args *a)
{
	if (!a->nfiles)
		return 0;
	fprintf(stderr, "hugepfn %s: unexpected argument '%s'\n", sub->name, a->files[0]);
	return 2;
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
	/* --trace: standard output is the trace alone; everything else goes to stderr. */
	script.trace = a->trace ? stdout : NULL;
	sc_run(&script, policy, a->json || a->trace ? stderr : stdout, &result);
	if (a->json)
		sc_print_json(stdout, &script, &result);
	else
		sc_print_summary(a->trace ? stderr : stdout, &script, &result);
	sc_free(&script);
	status = sc_status(&result);
	sc_result_free(&result);
	return status;
}

static int cmd_run(const struct subcommand *sub, int argc, char **argv)
{
	struct args a;
	int worst = 0;

	if (parse_args(sub, argc, argv, &a))
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

static int cmd_compare(const struct subcommand *sub, int argc, char **argv)
{
	struct args a;
	int s;

	if (parse_args(sub, argc, argv, &a))
		return 2;
	if ((a.nfiles != 1 || a.inline_cmds) && !(a.nfiles == 0 && a.inline_cmds)) {
		fprintf(stderr, "hugepfn compare: one scenario (a file, - or -c CMD...)\n");
		return 2;
	}
	s = compare_script(a.inline_cmds ? "-c" : a.files[0], NULL, a.inline_cmds, a.json, true);
	free(a.inline_cmds);
	return s;
}

static int cmd_demo(const struct subcommand *sub, int argc, char **argv)
{
	struct args a;
	char path[PATH_MAX];
	int err;

	if (parse_args(sub, argc, argv, &a) || no_files(sub, &a))
		return 2;
	err = hp_find_scenario("seed-thread.hp", path, sizeof(path));
	if (err) {
		fprintf(stderr, "hugepfn demo: cannot find the bundled seed-thread.hp: %s\n",
			strerror(-err));
		return 2;
	}
	return compare_script(path, "scenarios/seed-thread.hp", NULL, a.json, true);
}

static int cmd_tour(const struct subcommand *sub, int argc, char **argv)
{
	struct args a;

	if (parse_args(sub, argc, argv, &a) || no_files(sub, &a))
		return 2;
	return hp_tour(stdout, a.policy >= 0 ? a.policy : HP_POLICY_SPECIAL, a.size, a.fail_site,
		       a.fail_nth);
}

static int cmd_gup(const struct subcommand *sub, int argc, char **argv)
{
	struct args a;

	if (parse_args(sub, argc, argv, &a) || no_files(sub, &a))
		return 2;
	return hp_gup_table(stdout, a.policy >= 0 ? a.policy : HP_POLICY_SPECIAL);
}

static int cmd_bench(const struct subcommand *sub, int argc, char **argv)
{
	char path[PATH_MAX];
	int err = hp_find_bench(path, sizeof(path));

	(void)sub;
	(void)argc;
	if (err) {
		fprintf(stderr, "hugepfn bench: cannot find hugepfn-bench beside hugepfn: %s\n",
			strerror(-err));
		return 2;
	}
	argv[0] = path;
	execv(path, argv);
	fprintf(stderr, "hugepfn bench: cannot run %s: %s\n", path, strerror(errno));
	return 2;
}

static const struct subcommand subcommands[] = {
	{ "run", cmd_run, "[--json|--trace] [--policy P] [--fail SITE:N] [-c CMD]... [SCRIPT|-]...",
	  "jtpfc",
	  "Runs scenarios (docs/scenario-language.md) under one policy: the one given, else\n"
	  "the script's machine policy=, else special.  Exit 0: every expectation met;\n"
	  "1: an expectation failed, a violation nobody expected, a leak; 2: a usage error\n"
	  "or a malformed script; 3: a run stopped (a command failed unchecked)." },
	{ "compare", cmd_compare, "[--json] [-c CMD]... [SCRIPT|-]", "jc",
	  "Runs one scenario under none, plain, devmap and special, side by side, with a\n"
	  "verdict per policy." },
	{ "demo", cmd_demo, "[--json]", "j",
	  "compare on the bundled seed-thread.hp: the March 2021 thread, replayed." },
	{ "tour", cmd_tour, "[--policy P] [--size SIZE] [--fail SITE:N]", "psf",
	  "Maps a BAR, a THP region and two moving TTM BOs, every 4 KiB touched, and says\n"
	  "what each step cost.  With --fail, what a failed step says." },
	{ "gup", cmd_gup, "[--policy P]", "p",
	  "What slow and fast GUP answer for one page behind each kind of entry." },
	{ "bench", cmd_bench, "[--size SIZE] [--reps N] [--only G,...] [--list] [--checker PATH]\n"
	  "                [--kernel-results FILE] [--output FILE.json]", "",
	  "The benchmarks (hugepfn-bench; make bench also draws the chart)." },
};

static void usage(FILE *f)
{
	fputs("usage: hugepfn COMMAND [OPTIONS] ...   (hugepfn COMMAND --help for its options)\n\n", f);
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  hugepfn %s %s\n", subcommands[i].name, subcommands[i].synopsis);
	fputs("\n  hugepfn --help | --version\nP is one of none, plain, devmap, special.\n", f);
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
	if (!strcmp(argv[1], "--version")) {
		printf("hugepfn %s\n", HP_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(&subcommands[i], argc - 1, argv + 1);
	fprintf(stderr, "hugepfn: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
