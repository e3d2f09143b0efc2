/* SPDX-License-Identifier: MIT */
/*
 * The scenario language (docs/scenario-language.md): scripts are parsed and
 * checked whole before anything runs, then run on a fresh machine per policy.
 */
#ifndef HP_TOOLS_SCENARIO_H
#define HP_TOOLS_SCENARIO_H

#include <stdio.h>
#include <hugepfn/hugepfn.h>

#define SC_MAX_ARGS	8
#define SC_MAX_OPTS	6

enum sc_cmd {
	SC_MACHINE, SC_PROCESS, SC_FORK, SC_EXIT, SC_ANON, SC_BAR, SC_BO, SC_BOMAP,
	SC_BO_DESTROY, SC_BO_PIN, SC_BO_UNPIN, SC_BO_EVICT, SC_BO_VALIDATE,
	SC_MUNMAP, SC_MPROTECT, SC_TOUCH, SC_FILL, SC_VERIFY, SC_GUP, SC_RELEASE, SC_DMA,
	SC_SHOW, SC_EXPECT, SC_MREMAP, SC_NR_CMDS
};

/* A value a command returns or an expectation names: a number or a word. */
struct sc_value {
	bool is_num;
	long num;
	char word[24];
};

struct sc_line {
	enum sc_cmd cmd;
	unsigned int line;
	int nargs;
	char *args[SC_MAX_ARGS];
	int nopts;
	char *opt_key[SC_MAX_OPTS];
	char *opt_val[SC_MAX_OPTS];	/* NULL for a flag */
	bool result_expected;		/* the next line is `expect result ...` */
	unsigned int policies;		/* expect: bit per policy it applies to */
};

struct sc_script {
	const char *file;
	struct sc_line *lines;
	int nlines;
	uint64_t ram, vram;
	int policy;			/* from `machine policy=`, -1 if none */
	int fail_site;			/* --fail SITE:N, -1 if none */
	unsigned long fail_nth;
	bool expects_violations[HP_NR_POLICIES];
};

/* Parses and checks a script; on error prints file:line: message, returns -1. */
int sc_parse(FILE *in, const char *file, struct sc_script *script);
void sc_free(struct sc_script *script);

/* What one run of a script under one policy did. */
#define SC_MAX_GUPS 32
struct sc_result {
	enum hugepfn_policy policy;
	bool script_error;		/* stopped by an impossible request */
	unsigned int expect_passed, expect_failed;
	unsigned long faults, resolved_at[HP_LEVEL_PUD + 1], fallback[HP_LEVEL_PUD + 1];
	unsigned long leaves[HP_LEVEL_PUD + 1][HP_NR_KINDS];	/* at their peak */
	unsigned long tables[HP_NR_TABLE_LEVELS];		/* at their peak */
	int ngups;
	struct { char name[32]; char how[32]; long result; } gups[SC_MAX_GUPS];
	unsigned long violations;
	struct hp_violation first_violation;
	bool violations_expected;
	unsigned long verified, mismatches;
	unsigned long unexpected_mismatches;	/* not checked by an expect result */
	struct hp_leaks leaks;
	bool fail_fired;		/* --fail: the allocation was reached and failed */
};

/* Runs the script under policy; output (show, failed expectations) goes to out. */
void sc_run(const struct sc_script *script, enum hugepfn_policy policy, FILE *out,
	    struct sc_result *result);
/* 0 all good, 1 an expectation failed / unexpected violation / leak, 2 script error. */
int sc_status(const struct sc_result *result);

/* Reports. */
void sc_print_summary(FILE *out, const struct sc_script *script, const struct sc_result *r);
void sc_print_compare(FILE *out, const struct sc_script *script,
		      const struct sc_result r[HP_NR_POLICIES]);
void sc_print_verdicts(FILE *out, const struct sc_result r[HP_NR_POLICIES]);
void sc_print_json(FILE *out, const struct sc_script *script, const struct sc_result *r);

/* Helpers shared by the parser and the runner. */
bool sc_parse_size(const char *s, uint64_t *out);
bool sc_parse_num(const char *s, long *out);
const char *sc_errno_name(long err);
void sc_value_print(FILE *out, const struct sc_value *v);

#endif
