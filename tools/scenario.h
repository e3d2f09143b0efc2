/* SPDX-License-Identifier: MIT */
/*
 * The scenario language (docs/scenario-language.md): scripts are parsed and
 * checked whole before anything runs, then run on a fresh machine per policy.
 */
#ifndef HP_TOOLS_SCENARIO_H
#define HP_TOOLS_SCENARIO_H

#include <stdarg.h>
#include <stdio.h>
#include <hugepfn/hugepfn.h>

#include "size.h"

#define SC_MAX_ARGS	8
#define SC_MAX_OPTS	8
/* Names a script makes; a fork child's inherited ones are CHILD.NAME, up to twice that. */
#define SC_NAME_MAX	32

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
	unsigned int uses;		/* bit i: args[i] names an object the line needs */
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
	FILE *trace;			/* --trace: the per-step trace (scenario_trace.h), or NULL */
};

/* Longest message about a script, before it is cut. */
#define SC_MESSAGE_MAX	240
/* Prints file:line: message, cut and with unprintable bytes escaped. */
void sc_vmessage(FILE *out, const char *file, unsigned int line, const char *fmt, va_list ap);

/* Parses and checks a script; on error prints file:line: message, returns -1. */
int sc_parse(FILE *in, const char *file, struct sc_script *script);
void sc_free(struct sc_script *script);

/* What one gup line did. */
struct sc_gup_result {
	char name[SC_NAME_MAX];
	char how[32];
	long result;
};

/* An expectation that did not hold. */
struct sc_failed_expect {
	unsigned int line;
	char key[2 * SC_NAME_MAX + 32];	/* the words before the comparison */
	char op[4];
	char expected[32], actual[32];
};

/* What one run of a script under one policy did; sc_result_free() when done. */
struct sc_result {
	enum hugepfn_policy policy;
	bool script_error;		/* stopped by an impossible request */
	unsigned int expect_passed, expect_failed;
	unsigned long faults, resolved_at[HP_LEVEL_PUD + 1], fallback[HP_LEVEL_PUD + 1];
	unsigned long leaves[HP_LEVEL_PUD + 1][HP_NR_KINDS];	/* at their peak */
	unsigned long tables[HP_NR_TABLE_LEVELS];		/* at their peak */
	int ngups, cap_gups;
	struct sc_gup_result *gups;		/* every gup line that ran, in order */
	unsigned long violations;
	struct hp_violation first_violation;
	struct hp_violation *violation_list;	/* the first HP_MAX_VIOLATIONS of them */
	unsigned long nviolations_listed;
	int nfailed, cap_failed;
	struct sc_failed_expect *failed;	/* every expectation that did not hold */
	char error[SC_MESSAGE_MAX + 1];		/* why the run stopped, if it did */
	char *shown;				/* what every show printed */
	size_t shown_len;
	bool violations_expected;
	unsigned long verified, mismatches;
	unsigned long unexpected_mismatches;	/* not checked by an expect result */
	struct hp_leaks leaks;
	bool fail_fired;		/* --fail: the allocation was reached and failed */
};

void sc_result_free(struct sc_result *result);
/* Runs the script under policy; output (show, failed expectations) goes to out. */
void sc_run(const struct sc_script *script, enum hugepfn_policy policy, FILE *out,
	    struct sc_result *result);
/*
 * 0 all good, 1 an expectation failed / unexpected violation / leak, 3 the run
 * stopped (a command failed unchecked, or an impossible request).  2 is for
 * a malformed script, found before anything runs.
 */
int sc_status(const struct sc_result *result);

/* Reports. */
void sc_print_summary(FILE *out, const struct sc_script *script, const struct sc_result *r);
void sc_print_compare(FILE *out, const struct sc_script *script,
		      const struct sc_result r[HP_NR_POLICIES]);
void sc_print_verdicts(FILE *out, const struct sc_result r[HP_NR_POLICIES]);
void sc_print_json(FILE *out, const struct sc_script *script, const struct sc_result *r);

/* Names made by a script, each with what it names (its kind and index). */
struct sc_name {
	char *name;		/* NULL: a free slot */
	int kind, index;
};
struct sc_names {
	struct sc_name *slots;
	size_t cap, used;
};
struct sc_name *sc_names_find(const struct sc_names *t, const char *name);
/* NULL when out of memory or when the name is already there. */
struct sc_name *sc_names_add(struct sc_names *t, const char *name, int kind, int index);
void sc_names_free(struct sc_names *t);

/* Helpers shared by the parser and the runner. */
/* A value as an expectation writes it: a size, a number, -ERRNO (known), else a word. */
struct sc_value sc_parse_value(const char *s);
struct sc_value sc_num(long n);
struct sc_value sc_word(const char *w);
const char *sc_errno_name(long err);
void sc_value_print(FILE *out, const struct sc_value *v);
/* A line's option (value, "" for a flag, NULL if absent), size argument i, prot= word. */
const char *sc_opt(const struct sc_line *l, const char *key);
uint64_t sc_size_arg(const struct sc_line *l, int i);
int sc_prot(const char *s);	/* PROT_* bits; NULL is rw */
/* The byte `fill` writes at off of a mapping, and the byte `dma` writes, for a seed. */
unsigned char sc_pattern_byte(long seed, uint64_t off);
unsigned char sc_dma_byte(long seed);
/* The same into buf, cut to len. */
void sc_value_text(char *buf, size_t len, const struct sc_value *v);

#endif
