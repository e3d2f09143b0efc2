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

/* Bare words a command may take (specs[] in scenario_parse.c says which). */
enum sc_flag {
	SC_F_SHARED, SC_F_HUGE, SC_F_ZONE_DEVICE, SC_F_CONTIGUOUS, SC_F_READ, SC_F_WRITE,
	SC_F_SLOW, SC_F_FAST, SC_F_FAST_ONLY, SC_F_GET, SC_F_PIN, SC_F_LONGTERM,
	SC_F_MAYMOVE, SC_F_DONTUNMAP, SC_NR_FLAGS
};

/* key=value options; each has one type (sc_opt_spec[]). */
enum sc_opt {
	SC_O_RAM, SC_O_VRAM, SC_O_POLICY, SC_O_POLICIES, SC_O_PROT, SC_O_OFFSET, SC_O_SIZE,
	SC_O_AT, SC_O_ALIGN, SC_O_SKEW, SC_O_FIXED, SC_NR_OPTS
};

/* What a word of a line is; the parser turns each into its union sc_arg member. */
enum sc_arg_type {
	A_PROC_NEW, A_PROC, A_MAP_NEW, A_MAP, A_BO_NEW, A_BO, A_GUP_NEW, A_GUP,
	A_PROC_OR_MAP,	/* a process or a mapping (expect entries) */
	A_SIZE, A_NUM, A_PROT, A_PLACES,
	A_LEVEL,	/* entries: a leaf level or any (.level) */
	A_KIND,		/* entries: an entry kind or any (.kind) */
	A_TABLE,	/* tables: a page-table level (.table) */
	A_FAULTS,	/* faults: total, a level, fallback-LEVEL (.faults) */
	A_VIEW,		/* show: map or stats (.view) */
	A_POLICY, A_POLICIES,
};

/* .level and .kind for "any"; .faults: the level, | SC_FAULTS_FALLBACK. */
#define SC_ANY			(-1)
#define SC_FAULTS_FALLBACK	0x100
enum sc_view { SC_VIEW_MAP, SC_VIEW_STATS };
#define SC_MAX_PLACES	3

/* One word of a line (an argument or an option's value), as the parser read it. */
union sc_arg {
	uint64_t size;			/* A_SIZE */
	long num;			/* A_NUM */
	int prot;			/* A_PROT: PROT_* bits */
	struct {			/* A_PLACES: TTM_PL_*, in the order given */
		unsigned char n, type[SC_MAX_PLACES];
	} places;
	int level;			/* A_LEVEL: enum hp_level or SC_ANY */
	int kind;			/* A_KIND: enum hp_entry_kind or SC_ANY */
	int table;			/* A_TABLE: enum hp_table_level */
	int faults;			/* A_FAULTS: HP_LEVEL_NONE for total */
	enum sc_view view;		/* A_VIEW */
	int policy;			/* A_POLICY */
	unsigned int policies;		/* A_POLICIES: bit per policy */
};

/* One command: its arguments by position, the flags and options it takes. */
struct sc_cmd_spec {
	const char *name;
	int min_args, max_args;
	enum sc_arg_type args[SC_MAX_ARGS];
	unsigned int flags;		/* bit per enum sc_flag it takes */
	unsigned int opts;		/* bit per enum sc_opt it takes */
	unsigned int exclusive[2];	/* groups of flags that exclude each other */
};
extern const struct sc_cmd_spec sc_cmds[SC_NR_CMDS];

/* The keys of `expect` (sc_keys[] in scenario_parse.c). */
enum sc_key {
	SC_KEY_RESULT, SC_KEY_VIOLATIONS, SC_KEY_FAULTS, SC_KEY_ENTRIES, SC_KEY_TABLES,
	SC_KEY_PGTABLES, SC_KEY_GUP, SC_KEY_LEVEL, SC_KEY_KIND, SC_KEY_PLACEMENT, SC_KEY_RSS,
	SC_NR_KEYS
};

/* What an expectation's value may be. */
enum sc_value_type {
	V_NUM,		/* a number, a size or -ERRNO */
	V_RESULT,	/* that, or a word an access gives: ok mismatch SIGSEGV SIGBUS OOM */
	V_LEVEL,	/* a leaf level or none */
	V_KIND,		/* an entry kind or none */
	V_PLACE,	/* a placement */
};

/* One expectation key: its words after the key, its values, what Linux shows of it. */
struct sc_key_spec {
	const char *name;
	int min_args, max_args;		/* words between the key and the comparison */
	enum sc_arg_type args[3];
	const char *usage;		/* those words, for messages */
	enum sc_value_type value;
	const char *linux_unobservable;	/* NULL: a process can read it on Linux */
};
extern const struct sc_key_spec sc_keys[SC_NR_KEYS];

enum sc_op { SC_OP_EQ, SC_OP_NE, SC_OP_LT, SC_OP_LE, SC_OP_GT, SC_OP_GE, SC_NR_OPS };

/* An `expect` line, resolved: key in val[0], its words in val[1..], then OP VALUE. */
struct sc_expect {
	enum sc_key key;
	enum sc_op op;
	struct sc_value want;
	unsigned int policies;		/* bit per policy it applies to */
};

struct sc_line {
	enum sc_cmd cmd;
	unsigned int line;
	int nargs;
	char *args[SC_MAX_ARGS];	/* the words as written: for messages and the trace */
	union sc_arg val[SC_MAX_ARGS];	/* the same, typed (by the command's or the key's spec) */
	unsigned int flags;		/* bit per enum sc_flag given */
	unsigned int opts;		/* bit per enum sc_opt given */
	union sc_arg opt[SC_NR_OPTS];	/* their values; opt[SC_O_PROT] is rw unless given */
	struct sc_expect expect;	/* SC_EXPECT only */
	bool result_expected;		/* the next line is `expect result ...` */
	unsigned int uses;		/* bit i: args[i] names an object the line needs */
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
	struct hp_violation *violation_list;	/* all of them, in order */
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
/* The typed words of a checked line. */
static inline bool sc_flag(const struct sc_line *l, enum sc_flag f)
{
	return l->flags & (1u << f);
}
static inline bool sc_has(const struct sc_line *l, enum sc_opt o)
{
	return l->opts & (1u << o);
}
static inline uint64_t sc_size_arg(const struct sc_line *l, int i)
{
	return l->val[i].size;
}
/* The most pages one gup may ask for (checked with the script). */
#define SC_GUP_MAX_PAGES	(1L << 20)

static inline long sc_num_arg(const struct sc_line *l, int i)
{
	return l->val[i].num;
}
/* The names of the language's words, one table each (scenario_parse.c). */
const char *sc_cmd_name(enum sc_cmd cmd);
const char *sc_flag_name(enum sc_flag f);
const char *sc_opt_name(enum sc_opt o);
const char *sc_op_name(enum sc_op op);
/* A leaf level as scripts and views write it: pte, pmd, pud, none for HP_LEVEL_NONE. */
const char *sc_level_word(enum hp_level level);
/* An entry kind: normal, special, devmap; none for -1. */
const char *sc_kind_word(int kind);
const char *sc_table_word(enum hp_table_level t);
const char *sc_place_word(unsigned int mem_type);
/* A protection as scripts write it: none, r, rw, rx, rwx. */
const char *sc_prot_word(int prot);
/* The byte `fill` writes at off of a mapping, and the byte `dma` writes, for a seed. */
unsigned char sc_pattern_byte(long seed, uint64_t off);
unsigned char sc_dma_byte(long seed);
/* The same into buf, cut to len. */
void sc_value_text(char *buf, size_t len, const struct sc_value *v);

#endif
