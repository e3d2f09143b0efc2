// SPDX-License-Identifier: MIT
/*
 * Reading a scenario: one command per line, `#` comments, `key=value`
 * options and bare flags.  Every line is checked before anything runs: the
 * command exists, its arguments have the right number and type, every name
 * it uses was made earlier and is still alive, every name it makes is new.
 * The first mistake is reported as file:line: message.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "scenario.h"
#include "scenario_trace.h"


#define F(x)	(1u << SC_F_##x)
#define O(x)	(1u << SC_O_##x)
#define PLACE_OPTS	(O(AT) | O(ALIGN) | O(SKEW))

/* The one table of commands: their arguments, flags and options. */
const struct sc_cmd_spec sc_cmds[SC_NR_CMDS] = {
	[SC_MACHINE]	 = { "machine", 0, 0, {0}, 0, O(RAM) | O(VRAM) | O(POLICY) },
	[SC_PROCESS]	 = { "process", 1, 1, { A_PROC_NEW } },
	[SC_FORK]	 = { "fork", 2, 2, { A_PROC, A_PROC_NEW } },
	[SC_EXIT]	 = { "exit", 1, 1, { A_PROC } },
	[SC_ANON]	 = { "anon", 3, 3, { A_MAP_NEW, A_PROC, A_SIZE }, F(SHARED) | F(HUGE),
			     O(PROT) | PLACE_OPTS },
	[SC_BAR]	 = { "bar", 3, 3, { A_MAP_NEW, A_PROC, A_SIZE }, F(ZONE_DEVICE),
			     O(PROT) | O(OFFSET) | PLACE_OPTS },
	[SC_BO]		 = { "bo", 3, 3, { A_BO_NEW, A_SIZE, A_PLACES }, F(CONTIGUOUS) },
	[SC_BOMAP]	 = { "bomap", 3, 3, { A_MAP_NEW, A_PROC, A_BO }, 0,
			     O(PROT) | O(OFFSET) | O(SIZE) | PLACE_OPTS },
	[SC_BO_DESTROY]	 = { "bo-destroy", 1, 1, { A_BO } },
	[SC_BO_PIN]	 = { "bo-pin", 1, 1, { A_BO } },
	[SC_BO_UNPIN]	 = { "bo-unpin", 1, 1, { A_BO } },
	[SC_BO_EVICT]	 = { "bo-evict", 1, 1, { A_BO } },
	[SC_BO_VALIDATE] = { "bo-validate", 2, 2, { A_BO, A_PLACES }, F(CONTIGUOUS) },
	[SC_MUNMAP]	 = { "munmap", 1, 3, { A_MAP, A_SIZE, A_SIZE } },
	[SC_MPROTECT]	 = { "mprotect", 4, 4, { A_MAP, A_SIZE, A_SIZE, A_PROT } },
	[SC_TOUCH]	 = { "touch", 1, 3, { A_MAP, A_SIZE, A_SIZE }, F(READ) | F(WRITE), 0,
			     { F(READ) | F(WRITE) } },
	[SC_FILL]	 = { "fill", 4, 4, { A_MAP, A_SIZE, A_SIZE, A_NUM } },
	[SC_VERIFY]	 = { "verify", 4, 4, { A_MAP, A_SIZE, A_SIZE, A_NUM } },
	[SC_GUP]	 = { "gup", 4, 4, { A_GUP_NEW, A_MAP, A_SIZE, A_NUM },
			     F(SLOW) | F(FAST) | F(FAST_ONLY) | F(GET) | F(PIN) | F(WRITE) | F(LONGTERM),
			     0, { F(SLOW) | F(FAST) | F(FAST_ONLY), F(GET) | F(PIN) } },
	[SC_RELEASE]	 = { "release", 1, 1, { A_GUP } },
	[SC_DMA]	 = { "dma", 2, 2, { A_GUP, A_NUM } },
	[SC_SHOW]	 = { "show", 2, 2, { A_VIEW } },
	[SC_EXPECT]	 = { "expect", 3, SC_MAX_ARGS, {0}, 0, O(POLICIES) },
	[SC_MREMAP]	 = { "mremap", 2, 2, { A_MAP, A_SIZE }, F(MAYMOVE) | F(DONTUNMAP), O(FIXED) },
};

static const char *const flag_names[SC_NR_FLAGS] = {
	[SC_F_SHARED] = "shared", [SC_F_HUGE] = "huge", [SC_F_ZONE_DEVICE] = "zone-device",
	[SC_F_CONTIGUOUS] = "contiguous", [SC_F_READ] = "read", [SC_F_WRITE] = "write",
	[SC_F_SLOW] = "slow", [SC_F_FAST] = "fast", [SC_F_FAST_ONLY] = "fast-only",
	[SC_F_GET] = "get", [SC_F_PIN] = "pin", [SC_F_LONGTERM] = "longterm",
	[SC_F_MAYMOVE] = "maymove", [SC_F_DONTUNMAP] = "dontunmap",
};

/* The one table of options: each key has one type (policy= is one policy in machine, a list in expect). */
static const struct { const char *name; enum sc_arg_type type; } opt_sc_cmds[SC_NR_OPTS] = {
	[SC_O_RAM] = { "ram", A_SIZE }, [SC_O_VRAM] = { "vram", A_SIZE },
	[SC_O_POLICY] = { "policy", A_POLICY }, [SC_O_POLICIES] = { "policy", A_POLICIES },
	[SC_O_PROT] = { "prot", A_PROT }, [SC_O_OFFSET] = { "offset", A_SIZE },
	[SC_O_SIZE] = { "size", A_SIZE }, [SC_O_AT] = { "at", A_NUM },
	[SC_O_ALIGN] = { "align", A_SIZE }, [SC_O_SKEW] = { "skew", A_SIZE },
	[SC_O_FIXED] = { "fixed", A_NUM },
};

/*
 * The one table of expectation keys: what follows the key, what its value
 * may be, and what Linux lets a process see of it (scenario_trace.h).  The
 * checker reads it here, the model's runner evaluates every key
 * (scenario_run.c eval_key()), the Linux backend every observable one.
 */
const struct sc_key_spec sc_keys[SC_NR_KEYS] = {
	[SC_KEY_RESULT]	    = { "result", 0, 0, {0}, "", V_RESULT, NULL },
	[SC_KEY_VIOLATIONS] = { "violations", 0, 0, {0}, "", V_NUM,
				"Linux records no violations (its log is checked instead)" },
	[SC_KEY_FAULTS]	    = { "faults", 1, 2, { A_PROC, A_FAULTS }, "PROCESS [WHICH]", V_NUM, NULL },
	[SC_KEY_ENTRIES]    = { "entries", 3, 3, { A_PROC_OR_MAP, A_LEVEL, A_KIND },
				"PROCESS|MAPPING LEVEL KIND", V_NUM, NULL },
	[SC_KEY_TABLES]	    = { "tables", 2, 2, { A_PROC, A_TABLE }, "PROCESS LEVEL", V_NUM,
				"page-table pages by level: Linux shows only their bytes (pgtables)" },
	[SC_KEY_PGTABLES]   = { "pgtables", 1, 1, { A_PROC }, "PROCESS", V_NUM, NULL },
	[SC_KEY_GUP]	    = { "gup", 1, 1, { A_GUP }, "NAME", V_NUM, NULL },
	[SC_KEY_LEVEL]	    = { "level", 2, 2, { A_MAP, A_SIZE }, "MAPPING OFFSET", V_LEVEL, NULL },
	[SC_KEY_KIND]	    = { "kind", 2, 2, { A_MAP, A_SIZE }, "MAPPING OFFSET", V_KIND, NULL },
	[SC_KEY_PLACEMENT]  = { "placement", 1, 1, { A_BO }, "BO", V_PLACE, NULL },
	[SC_KEY_RSS]	    = { "rss", 1, 1, { A_PROC }, "PROCESS", V_NUM, NULL },
};

static const char *const op_names[SC_NR_OPS] = {
	[SC_OP_EQ] = "==", [SC_OP_NE] = "!=", [SC_OP_LT] = "<", [SC_OP_LE] = "<=",
	[SC_OP_GT] = ">", [SC_OP_GE] = ">=",
};

/* The words of page-table levels, by enum hp_table_level, and of placements, by TTM_PL_*. */
static const char *const table_words[HP_NR_TABLE_LEVELS] = {
	[HP_TABLE_PGD] = "pgd", [HP_TABLE_PUD] = "pud", [HP_TABLE_PMD] = "pmd", [HP_TABLE_PTE] = "pte",
};
static const char *const place_words[] = {
	[TTM_PL_SYSTEM] = "system", [TTM_PL_TT] = "tt", [TTM_PL_VRAM] = "vram",
};
#define NR_PLACES	(int)(sizeof(place_words) / sizeof(place_words[0]))

/* What an access can give besides ok: the words of hp_access_result_name(), and mismatch. */
static const char *const result_words = "ok mismatch SIGSEGV SIGBUS OOM";

/* Protections as scripts write them. */
static const struct { const char *word; int prot; } prots[] = {
	{ "none", PROT_NONE }, { "r", PROT_READ }, { "rw", PROT_READ | PROT_WRITE },
	{ "rx", PROT_READ | PROT_EXEC }, { "rwx", PROT_READ | PROT_WRITE | PROT_EXEC },
};

const char *sc_cmd_name(enum sc_cmd cmd)
{
	return cmd < SC_NR_CMDS ? sc_cmds[cmd].name : "?";
}

const char *sc_flag_name(enum sc_flag f)
{
	return f < SC_NR_FLAGS ? flag_names[f] : "?";
}

const char *sc_opt_name(enum sc_opt o)
{
	return o < SC_NR_OPTS ? opt_sc_cmds[o].name : "?";
}

const char *sc_op_name(enum sc_op op)
{
	return op < SC_NR_OPS ? op_names[op] : "?";
}

/* The library names the levels and kinds (src/policy.c); a script says none for no entry. */
const char *sc_level_word(enum hp_level level)
{
	return level == HP_LEVEL_NONE ? "none" : hp_level_name(level);
}

const char *sc_kind_word(int kind)
{
	return kind < 0 ? "none" : hp_entry_kind_name(kind);
}

const char *sc_table_word(enum hp_table_level t)
{
	return t < HP_NR_TABLE_LEVELS ? table_words[t] : "?";
}

const char *sc_place_word(unsigned int mem_type)
{
	return mem_type < NR_PLACES ? place_words[mem_type] : "?";
}

/* Names made by the script so far, with their kind and whether they live. */
enum sym_kind { SYM_PROC, SYM_MAP, SYM_BO, SYM_GUP };
struct sym {
	char *name;
	enum sym_kind kind;
	bool live;
	char *owner;		/* a map's process */
};

struct parser {
	const char *file;
	unsigned int line;
	struct sym *syms;
	int nsyms, cap;
	struct sc_names names;	/* name -> index in syms */
	bool failed;
	bool ran_command;	/* a line other than machine or expect came before */
	/* The line's options as written (into its text), until check_line() read them. */
	int nopts;
	char *opt_key[SC_MAX_OPTS];
	char *opt_val[SC_MAX_OPTS];	/* NULL for a flag */
};

/*
 * A message about a script, which may echo the script's words: cut to
 * SC_MESSAGE_MAX bytes and with every byte that is not printable shown as
 * \xNN, so that a huge or binary word cannot flood or garble a terminal.
 */
void sc_vmessage(FILE *out, const char *file, unsigned int line, const char *fmt, va_list ap)
{
	char buf[SC_MESSAGE_MAX + 1];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	fprintf(out, "%s:%u: ", file, line);
	for (const char *c = buf; *c; c++) {
		if (isprint((unsigned char)*c))
			fputc(*c, out);
		else
			fprintf(out, "\\x%02x", (unsigned char)*c);
	}
	fputs(n > SC_MESSAGE_MAX ? " [...]\n" : "\n", out);
}

static int error(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sc_vmessage(stderr, p->file, p->line, fmt, ap);
	va_end(ap);
	p->failed = true;
	return -1;
}

/* ---- words ------------------------------------------------------------------ */

static int word_index(const char *word, const char *const *words, int n)
{
	for (int i = 0; i < n; i++)
		if (words[i] && !strcmp(word, words[i]))
			return i;
	return -1;
}

static bool word_in(const char *word, const char *list)
{
	size_t n = strlen(word);

	for (const char *p = list; *p;) {
		const char *end = strchr(p, ' ');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && !strncmp(p, word, n))
			return true;
		p += len + (end ? 1 : 0);
	}
	return false;
}

/* Appends a word to a space-separated list in buf. */
static void add_word(char *buf, size_t len, const char *word)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s%s", n ? " " : "", word);
}

/* The leaf levels, largest first, then last ("any" or "none"). */
static const char *level_list(char *buf, size_t len, const char *last)
{
	buf[0] = '\0';
	for (int l = HP_LEVEL_PUD; l >= HP_LEVEL_PTE; l--)
		add_word(buf, len, hp_level_name(l));
	add_word(buf, len, last);
	return buf;
}

static const char *kind_list(char *buf, size_t len, const char *last)
{
	buf[0] = '\0';
	for (int k = 0; k < HP_NR_KINDS; k++)
		add_word(buf, len, hp_entry_kind_name(k));
	add_word(buf, len, last);
	return buf;
}

/* What faults counts: total, the faults a level resolved, those that fell back from one. */
static const char *faults_list(char *buf, size_t len)
{
	char word[32];

	buf[0] = '\0';
	add_word(buf, len, "total");
	for (int l = HP_LEVEL_PUD; l >= HP_LEVEL_PTE; l--)
		add_word(buf, len, hp_level_name(l));
	for (int l = HP_LEVEL_PUD; l > HP_LEVEL_PTE; l--) {
		snprintf(word, sizeof(word), "fallback-%s", hp_level_name(l));
		add_word(buf, len, word);
	}
	return buf;
}

static const char *place_list(char *buf, size_t len)
{
	static const int order[] = { TTM_PL_VRAM, TTM_PL_SYSTEM, TTM_PL_TT };

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		add_word(buf, len, place_words[order[i]]);
	return buf;
}

static const char *flag_list(char *buf, size_t len, unsigned int mask)
{
	buf[0] = '\0';
	for (int f = 0; f < SC_NR_FLAGS; f++)
		if (mask & (1u << f))
			add_word(buf, len, flag_names[f]);
	return buf;
}

/* "pud" into HP_LEVEL_PUD, any into SC_ANY (if any is allowed); -2 if none. */
static int read_level(const char *s, bool any)
{
	if (any && !strcmp(s, "any"))
		return SC_ANY;
	for (int l = HP_LEVEL_PTE; l <= HP_LEVEL_PUD; l++)
		if (!strcmp(s, hp_level_name(l)))
			return l;
	return -2;
}

static int read_kind(const char *s)
{
	if (!strcmp(s, "any"))
		return SC_ANY;
	for (int k = 0; k < HP_NR_KINDS; k++)
		if (!strcmp(s, hp_entry_kind_name(k)))
			return k;
	return -2;
}

static int read_faults(const char *s)
{
	int l;

	if (!strcmp(s, "total"))
		return HP_LEVEL_NONE;
	if (!strncmp(s, "fallback-", 9)) {
		l = read_level(s + 9, false);
		return l > HP_LEVEL_PTE ? l | SC_FAULTS_FALLBACK : -2;
	}
	l = read_level(s, false);
	return l >= HP_LEVEL_PTE ? l : -2;
}

static bool read_prot(const char *s, int *prot)
{
	for (size_t i = 0; i < sizeof(prots) / sizeof(prots[0]); i++)
		if (!strcmp(s, prots[i].word)) {
			*prot = prots[i].prot;
			return true;
		}
	return false;
}

/* "vram,system" into TTM_PL_* in that order; false if a word is none, or too many. */
static bool read_places(const char *s, union sc_arg *v)
{
	unsigned int seen = 0;

	v->places.n = 0;
	for (const char *tok = s;; tok++) {
		size_t len = strcspn(tok, ",");
		char word[16];
		int t;

		if (!len || len >= sizeof(word))
			return false;	/* an empty entry, or no placement's name */
		memcpy(word, tok, len);
		word[len] = '\0';
		t = word_index(word, place_words, NR_PLACES);
		if (t < 0 || seen & (1u << t) || v->places.n == SC_MAX_PLACES)
			return false;
		seen |= 1u << t;
		v->places.type[v->places.n++] = t;
		tok += len;
		if (!*tok)
			return true;
	}
}

/* "none,plain" into a bit per policy; 0 if a name is unknown. */
static unsigned int read_policies(const char *s)
{
	char buf[64], *save, *tok;
	unsigned int bits = 0;

	if (strlen(s) >= sizeof(buf))
		return 0;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int p = hp_policy_parse(tok);

		if (p < 0)
			return 0;
		bits |= 1u << p;
	}
	return bits;
}

/* A word that is a value (not a name) into v; false if it is not one of its type. */
static bool read_word(enum sc_arg_type t, const char *s, union sc_arg *v)
{
	switch (t) {
	case A_SIZE: return sc_parse_size(s, &v->size);
	case A_NUM: return sc_parse_num(s, &v->num);
	case A_PROT: return read_prot(s, &v->prot);
	case A_PLACES: return read_places(s, v);
	case A_LEVEL: return (v->level = read_level(s, true)) != -2;
	case A_KIND: return (v->kind = read_kind(s)) != -2;
	case A_TABLE: return (v->table = word_index(s, table_words, HP_NR_TABLE_LEVELS)) >= 0;
	case A_FAULTS: return (v->faults = read_faults(s)) != -2;
	case A_VIEW:
		v->view = !strcmp(s, "map") ? SC_VIEW_MAP : SC_VIEW_STATS;
		return !strcmp(s, "map") || !strcmp(s, "stats");
	case A_POLICY: return (v->policy = hp_policy_parse(s)) >= 0;
	case A_POLICIES: return (v->policies = read_policies(s)) != 0;
	default: return false;
	}
}

/* ---- names ----------------------------------------------------------------- */

static const char *const kind_names[] = { "process", "mapping", "BO", "GUP result" };

static struct sym *sym_find(struct parser *p, const char *name)
{
	struct sc_name *n = sc_names_find(&p->names, name);

	return n ? &p->syms[n->index] : NULL;
}

static bool valid_name(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

static int sym_add(struct parser *p, const char *name, enum sym_kind kind, const char *owner)
{
	if (p->nsyms == p->cap) {
		int cap = p->cap ? p->cap * 2 : 16;
		struct sym *syms = realloc(p->syms, cap * sizeof(*syms));

		if (!syms)
			return error(p, "out of memory");
		p->syms = syms;
		p->cap = cap;
	}
	if (!sc_names_add(&p->names, name, kind, p->nsyms))
		return error(p, "out of memory");
	p->syms[p->nsyms++] = (struct sym){ strdup(name), kind, true, owner ? strdup(owner) : NULL };
	return 0;
}

static int sym_new(struct parser *p, const char *name, enum sym_kind kind, const char *owner)
{
	struct sym *s = sym_find(p, name);

	if (!valid_name(name) || strlen(name) >= SC_NAME_MAX)
		return error(p, "'%s' is not a valid name (a letter, then letters, digits, _ or -; at most %d)",
			     name, SC_NAME_MAX - 1);
	if (s)
		return error(p, "'%s' is already the name of a %s", name, kind_names[s->kind]);
	return sym_add(p, name, kind, owner);
}

static int sym_use(struct parser *p, const char *name, enum sym_kind kind, struct sym **out)
{
	struct sym *s = sym_find(p, name);

	if (!s)
		return error(p, "no %s named '%s'", kind_names[kind], name);
	if (s->kind != kind)
		return error(p, "'%s' is a %s, not a %s", name, kind_names[s->kind], kind_names[kind]);
	if (!s->live)
		return error(p, "%s '%s' is gone", kind_names[kind], name);
	if (out)
		*out = s;
	return 0;
}

/* ---- lines ----------------------------------------------------------------- */

static int check_arg(struct parser *p, struct sc_line *l, int i, enum sc_arg_type t)
{
	const char *a = l->args[i];
	char list[128];
	struct sym *s;

	if (t == A_PROC || t == A_MAP || t == A_BO || t == A_GUP || t == A_PROC_OR_MAP)
		l->uses |= 1u << i;
	switch (t) {
	case A_PROC_NEW: return sym_new(p, a, SYM_PROC, NULL);
	case A_PROC: return sym_use(p, a, SYM_PROC, NULL);
	case A_MAP_NEW: return sym_new(p, a, SYM_MAP, l->args[i + 1]);
	case A_MAP: return sym_use(p, a, SYM_MAP, NULL);
	case A_BO_NEW: return sym_new(p, a, SYM_BO, NULL);
	case A_BO: return sym_use(p, a, SYM_BO, NULL);
	case A_GUP_NEW: return sym_new(p, a, SYM_GUP, NULL);
	case A_GUP: return sym_use(p, a, SYM_GUP, NULL);
	case A_PROC_OR_MAP:
		s = sym_find(p, a);
		if (!s || (s->kind != SYM_PROC && s->kind != SYM_MAP) || !s->live)
			return error(p, "expect entries: no live process or mapping named '%s'", a);
		return 0;
	default:
		break;
	}
	if (read_word(t, a, &l->val[i]))
		return 0;
	switch (t) {
	case A_SIZE: return error(p, "'%s' is not a size (a number with an optional K, M or G)", a);
	case A_NUM: return error(p, "'%s' is not a number", a);
	case A_PROT: return error(p, "'%s' is not a protection (none, r, rw, rx, rwx)", a);
	case A_PLACES:
		return error(p, "'%s' is not a list of placements (%s, comma separated, each at most once)",
			     a, place_list(list, sizeof(list)));
	case A_LEVEL:
	case A_KIND: {
		char kinds[64];

		return error(p, "expect entries: LEVEL is one of %s, KIND one of %s",
			     level_list(list, sizeof(list), "any"), kind_list(kinds, sizeof(kinds), "any"));
	}
	case A_TABLE:
		list[0] = '\0';
		for (int t = 0; t < HP_NR_TABLE_LEVELS; t++)
			add_word(list, sizeof(list), table_words[t]);
		return error(p, "expect tables: '%s' is not one of %s", a, list);
	case A_FAULTS:
		return error(p, "expect faults: '%s' is not one of %s", a, faults_list(list, sizeof(list)));
	case A_VIEW:
		return error(p, "show: '%s' is not a view (map MAPPING, stats PROCESS)", a);
	default:
		return error(p, "'%s': no such word", a);
	}
}

/* An option of the spec named key (one with a value if has_value, else a flag), or -1. */
static int find_opt(const struct sc_cmd_spec *spec, const char *key)
{
	for (int o = 0; o < SC_NR_OPTS; o++)
		if ((spec->opts & (1u << o)) && !strcmp(opt_sc_cmds[o].name, key))
			return o;
	return -1;
}

static int find_flag(const struct sc_cmd_spec *spec, const char *word)
{
	int f = word_index(word, flag_names, SC_NR_FLAGS);

	return f >= 0 && (spec->flags & (1u << f)) ? f : -1;
}

static int check_opt(struct parser *p, const struct sc_cmd_spec *spec, struct sc_line *l, int i)
{
	const char *key = p->opt_key[i], *val = p->opt_val[i];
	int o;

	if (!val) {
		if (find_flag(spec, key) < 0)
			return error(p, "%s: unknown argument '%s'", spec->name, key);
		l->flags |= 1u << find_flag(spec, key);
		return 0;
	}
	o = find_opt(spec, key);
	if (o < 0)
		return error(p, "%s: unknown option '%s='", spec->name, key);
	l->opts |= 1u << o;
	if (read_word(opt_sc_cmds[o].type, val, &l->opt[o]))
		return 0;
	switch (opt_sc_cmds[o].type) {
	case A_SIZE: return error(p, "%s=%s: not a size", key, val);
	case A_NUM: return error(p, "%s=%s: not a number", key, val);
	case A_PROT: return error(p, "%s=%s: not a protection (none, r, rw, rx, rwx)", key, val);
	case A_POLICY:
		return error(p, "%s=%s: not a policy (none, plain, devmap, special)", key, val);
	default:
		return error(p, "%s=%s: not a list of policies (none, plain, devmap, special)", key, val);
	}
}

/* The value must be one the key can have: a number (or -ERRNO), or one of its words. */
static int check_value(struct parser *p, const struct sc_key_spec *k, const char *value,
		       struct sc_value *want)
{
	char words[128];

	*want = sc_parse_value(value);
	switch (k->value) {
	case V_NUM:
		if (want->is_num)
			return 0;
		return error(p, "expect %s: '%s' is not a number, a size or a known -ERRNO", k->name,
			     value);
	case V_RESULT:
		if (want->is_num || word_in(value, result_words))
			return 0;
		return error(p, "expect %s: '%s' is not a number, a size or a known -ERRNO, nor one of %s",
			     k->name, value, result_words);
	case V_LEVEL:
		level_list(words, sizeof(words), "none");
		break;
	case V_KIND:
		kind_list(words, sizeof(words), "none");
		break;
	case V_PLACE:
		place_list(words, sizeof(words));
		break;
	}
	if (!want->is_num && word_in(value, words))
		return 0;
	return error(p, "expect %s: '%s' is not one of %s", k->name, value, words);
}

static int find_key(const char *word)
{
	for (int k = 0; k < SC_NR_KEYS; k++)
		if (!strcmp(word, sc_keys[k].name))
			return k;
	return -1;
}

static const char *key_list(char *buf, size_t len)
{
	buf[0] = '\0';
	for (int k = 0; k < SC_NR_KEYS; k++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", k ? ", " : "", sc_keys[k].name);
	return buf;
}

/* `expect KEY WORD... OP VALUE`, by the key's entry: the words name what exists now. */
static int check_expect(struct parser *p, struct sc_line *l, struct sc_script *script)
{
	struct sc_expect *e = &l->expect;
	const struct sc_key_spec *k;
	int nkey = l->nargs - 3, key, op;
	char list[160];

	e->policies = sc_has(l, SC_O_POLICIES) ? l->opt[SC_O_POLICIES].policies :
						 (1u << HP_NR_POLICIES) - 1;
	op = word_index(l->args[l->nargs - 2], op_names, SC_NR_OPS);
	if (op < 0)
		return error(p, "expect: '%s' is not a comparison (==, !=, <, <=, >, >=)",
			     l->args[l->nargs - 2]);
	e->op = op;
	key = find_key(l->args[0]);
	if (key < 0)
		return error(p, "expect: unknown key '%s' (%s)", l->args[0], key_list(list, sizeof(list)));
	e->key = key;
	k = &sc_keys[key];
	if (check_value(p, k, l->args[l->nargs - 1], &e->want))
		return -1;
	if (key == SC_KEY_RESULT && !p->ran_command)
		return error(p, "expect result: no command before it gives a result");
	if (nkey < k->min_args || nkey > k->max_args) {
		if (!k->max_args)
			return error(p, "expect %s: takes no argument", k->name);
		return error(p, "expect %s %s", k->name, k->usage);
	}
	for (int i = 0; i < nkey; i++)
		if (check_arg(p, l, i + 1, k->args[i]))
			return -1;
	if (key == SC_KEY_VIOLATIONS)
		for (int pol = 0; pol < HP_NR_POLICIES; pol++)
			if (e->policies & (1u << pol))
				script->expects_violations[pol] = true;
	return 0;
}

static int check_show(struct parser *p, struct sc_line *l)
{
	if (check_arg(p, l, 0, A_VIEW))
		return -1;
	return check_arg(p, l, 1, l->val[0].view == SC_VIEW_MAP ? A_MAP : A_PROC);
}

/*
 * Names that a line ends: exit, munmap of a whole mapping, release.  A
 * bo-destroy can fail (a pinned BO), so the run decides whether its name goes.
 */
static void retire_names(struct parser *p, struct sc_line *l)
{
	struct sym *s;

	switch (l->cmd) {
	case SC_EXIT:
		for (int i = 0; i < p->nsyms; i++)
			if (p->syms[i].kind == SYM_MAP && p->syms[i].owner &&
			    !strcmp(p->syms[i].owner, l->args[0]))
				p->syms[i].live = false;
		/* fall through */
	case SC_RELEASE:
		s = sym_find(p, l->args[0]);
		s->live = false;
		break;
	case SC_MUNMAP:
		if (l->nargs == 1)
			sym_find(p, l->args[0])->live = false;
		break;
	default:
		break;
	}
}

/* An option's value as written, for messages. */
static const char *opt_word(const struct parser *p, enum sc_opt o)
{
	for (int i = 0; i < p->nopts; i++)
		if (p->opt_val[i] && !strcmp(p->opt_key[i], opt_sc_cmds[o].name))
			return p->opt_val[i];
	return "";
}

/* at= is an address; align= (a power of two, a page or more) and skew= ask for one. */
static int check_placement(struct parser *p, const struct sc_line *l)
{
	uint64_t a = l->opt[SC_O_ALIGN].size, k = l->opt[SC_O_SKEW].size;

	if (!sc_has(l, SC_O_ALIGN) && !sc_has(l, SC_O_SKEW))
		return 0;
	if (sc_has(l, SC_O_AT))
		return error(p, "%s: at= gives the address, align= and skew= ask for one: not both",
			     sc_cmds[l->cmd].name);
	if (!sc_has(l, SC_O_ALIGN))
		return error(p, "%s: skew= needs align=", sc_cmds[l->cmd].name);
	if (a < PAGE_SIZE || a & (a - 1) || a > (1ULL << 40))
		return error(p, "align=%s: a power of two from 4K to 1T", opt_word(p, SC_O_ALIGN));
	if (k >= a || k & ~PAGE_MASK)
		return error(p, "skew=%s: a multiple of 4K below align=%s", opt_word(p, SC_O_SKEW),
			     opt_word(p, SC_O_ALIGN));
	return 0;
}

/*
 * A fork child inherits its parent's mappings under names qualified by the
 * child: the parent's `heap` is the child's `kid.heap` (and a grandchild's
 * `gk.heap`: only the last qualifier is kept).
 */
static int inherit_names(struct parser *p, const char *parent, const char *child)
{
	int n = p->nsyms;

	for (int i = 0; i < n; i++) {
		const struct sym *s = &p->syms[i];
		const char *base = s->name, *dot;
		char name[2 * SC_NAME_MAX];

		if (s->kind != SYM_MAP || !s->live || strcmp(s->owner, parent))
			continue;
		dot = strrchr(base, '.');
		snprintf(name, sizeof(name), "%s.%s", child, dot ? dot + 1 : base);
		if (sym_find(p, name))
			return error(p, "fork: the child's '%s' is already a name", name);
		if (sym_add(p, name, SYM_MAP, child))
			return -1;
	}
	return 0;
}

/* The first flag of the group given after word from (in the order written), or -1. */
static int group_member(const struct parser *p, unsigned int group, int from)
{
	for (int i = from; i < p->nopts; i++) {
		int f = p->opt_val[i] ? -1 : word_index(p->opt_key[i], flag_names, SC_NR_FLAGS);

		if (f >= 0 && (group & (1u << f)))
			return i;
	}
	return -1;
}

/* No option twice, no two words of one exclusive group, fast-only only with get. */
static int check_words(struct parser *p, const struct sc_cmd_spec *spec, const struct sc_line *l)
{
	for (int i = 0; i < p->nopts; i++)
		for (int j = i + 1; j < p->nopts; j++)
			if (!strcmp(p->opt_key[i], p->opt_key[j]))
				return error(p, "%s: '%s' given twice", spec->name, p->opt_key[i]);
	for (int g = 0; g < 2 && spec->exclusive[g]; g++) {
		int a = group_member(p, spec->exclusive[g], 0);
		int b = a < 0 ? -1 : group_member(p, spec->exclusive[g], a + 1);

		if (b >= 0)
			return error(p, "%s: '%s' and '%s' exclude each other", spec->name,
				     p->opt_key[a], p->opt_key[b]);
	}
	if (l->cmd == SC_GUP && sc_flag(l, SC_F_FAST_ONLY) && !sc_flag(l, SC_F_GET))
		return error(p, "gup: fast-only needs get (6.12 has get_user_pages_fast_only(), "
			     "no pinning twin)");
	return 0;
}

static int check_line(struct parser *p, struct sc_line *l, struct sc_script *script)
{
	const struct sc_cmd_spec *spec = &sc_cmds[l->cmd];
	char list[128];

	l->opt[SC_O_PROT].prot = PROT_READ | PROT_WRITE;
	if (l->nargs > spec->max_args && spec->flags)
		return error(p, "%s: '%s' is not one of its flags (%s)", spec->name,
			     l->args[spec->max_args], flag_list(list, sizeof(list), spec->flags));
	if (l->nargs < spec->min_args || l->nargs > spec->max_args) {
		if (spec->min_args == spec->max_args)
			return error(p, "%s takes %d argument%s, not %d", spec->name, spec->min_args,
				     spec->min_args == 1 ? "" : "s", l->nargs);
		return error(p, "%s takes %d to %d arguments, not %d", spec->name,
			     spec->min_args, spec->max_args, l->nargs);
	}
	for (int i = 0; i < p->nopts; i++)
		if (check_opt(p, spec, l, i))
			return -1;
	if (check_words(p, spec, l))
		return -1;
	if (l->cmd != SC_EXPECT && l->cmd != SC_MACHINE)
		p->ran_command = true;
	if (l->cmd == SC_EXPECT)
		return check_expect(p, l, script);
	if (l->cmd == SC_SHOW)
		return check_show(p, l);
	if (l->cmd == SC_MUNMAP && l->nargs == 2)
		return error(p, "munmap MAPPING [OFFSET SIZE]: give both or neither");
	if ((l->cmd == SC_TOUCH) && l->nargs == 2)
		return error(p, "touch MAPPING [OFFSET SIZE]: give both or neither");
	/* A new mapping's process comes after its name: check it first. */
	for (int i = spec->args[0] == A_MAP_NEW ? 1 : 0; i < l->nargs; i++)
		if (check_arg(p, l, i, spec->args[i]))
			return -1;
	if (spec->args[0] == A_MAP_NEW && check_arg(p, l, 0, A_MAP_NEW))
		return -1;
	if (check_placement(p, l))
		return -1;
	if (l->cmd == SC_GUP && (sc_num_arg(l, 3) < 1 || sc_num_arg(l, 3) > SC_GUP_MAX_PAGES))
		return error(p, "gup: %ld pages: between 1 and %ld", sc_num_arg(l, 3),
			     SC_GUP_MAX_PAGES);
	if (l->cmd == SC_FORK && inherit_names(p, l->args[0], l->args[1]))
		return -1;
	retire_names(p, l);
	return 0;
}

static int find_cmd(const char *name)
{
	for (int c = 0; c < SC_NR_CMDS; c++)
		if (!strcmp(sc_cmds[c].name, name))
			return c;
	return -1;
}

/* Splits a line into words; false if it holds too many. */
static bool split(struct parser *p, char *text, char **words, int *n, int max)
{
	char *save, *tok;

	*n = 0;
	for (tok = strtok_r(text, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
		if (*n == max) {
			error(p, "too many words on one line");
			return false;
		}
		words[(*n)++] = tok;
	}
	return true;
}

static int parse_line(struct parser *p, char *text, struct sc_line *l)
{
	char *words[SC_MAX_ARGS + SC_MAX_OPTS + 1];
	int n, c;

	memset(l, 0, sizeof(*l));	/* the caller frees whatever this filled in */
	p->nopts = 0;
	if (!split(p, text, words, &n, SC_MAX_ARGS + SC_MAX_OPTS + 1))
		return -1;
	c = find_cmd(words[0]);
	if (c < 0)
		return error(p, "unknown command '%s'", words[0]);
	l->cmd = c;
	l->line = p->line;
	for (int i = 1; i < n; i++) {
		/* In expect, only policy= is an option: ==, <= and the like are arguments. */
		char *eq = c == SC_EXPECT ? (strncmp(words[i], "policy=", 7) ? NULL : words[i] + 6)
					  : strchr(words[i], '=');
		bool is_flag = c != SC_EXPECT && find_flag(&sc_cmds[c], words[i]) >= 0;

		if (eq || is_flag) {
			if (p->nopts == SC_MAX_OPTS)
				return error(p, "too many options");
			if (eq)
				*eq = '\0';
			p->opt_key[p->nopts] = words[i];
			p->opt_val[p->nopts++] = eq ? eq + 1 : NULL;
		} else {
			if (l->nargs == SC_MAX_ARGS)
				return error(p, "%s: too many arguments", sc_cmds[c].name);
			l->args[l->nargs++] = strdup(words[i]);
		}
	}
	return 0;
}

static void free_line(struct sc_line *l)
{
	for (int i = 0; i < l->nargs; i++)
		free(l->args[i]);
}

static int apply_machine(struct parser *p, const struct sc_line *l, struct sc_script *s)
{
	if (sc_has(l, SC_O_RAM))
		s->ram = l->opt[SC_O_RAM].size;
	if (sc_has(l, SC_O_VRAM))
		s->vram = l->opt[SC_O_VRAM].size;
	if (sc_has(l, SC_O_POLICY))
		s->policy = l->opt[SC_O_POLICY].policy;
	if (s->ram % (4 << 20) || s->ram < (16 << 20) || s->ram > (64ULL << 30))
		return error(p, "machine: ram=%llu must be a multiple of 4M between 16M and 64G",
			     (unsigned long long)s->ram);
	if (s->vram % (2 << 20) || s->vram > (64ULL << 30))
		return error(p, "machine: vram=%llu must be a multiple of 2M, at most 64G",
			     (unsigned long long)s->vram);
	return 0;
}

/* A line is text: no NUL byte, no control character but tab and carriage return. */
static int check_text(struct parser *p, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = text[i];

		if (c == '\0')
			return error(p, "a NUL byte at column %zu: a script is text", i + 1);
		if (c < 0x20 && c != '\t' && c != '\r' && c != '\n')
			return error(p, "byte 0x%02x at column %zu: a script is text", c, i + 1);
	}
	return 0;
}

int sc_parse(FILE *in, const char *file, struct sc_script *script)
{
	struct parser p = { .file = file };
	char *text = NULL;
	ssize_t len;
	size_t cap = 0;
	int cap_lines = 0;

	memset(script, 0, sizeof(*script));
	script->file = file;
	script->ram = HP_DEFAULT_RAM_SIZE;
	script->vram = 2ULL << 30;
	script->policy = -1;
	script->fail_site = -1;
	while (!p.failed && (len = getline(&text, &cap, in)) > 0) {
		char *hash, *nl;
		struct sc_line *l;

		p.line++;
		if (check_text(&p, text, (size_t)len))
			break;
		hash = strchr(text, '#');
		nl = strchr(text, '\n');
		if (hash)
			*hash = '\0';
		if (nl)
			*nl = '\0';
		if (strspn(text, " \t\r") == strlen(text))
			continue;
		if (script->nlines == cap_lines) {
			struct sc_line *lines;

			cap_lines = cap_lines ? cap_lines * 2 : 32;
			lines = realloc(script->lines, cap_lines * sizeof(*lines));
			if (!lines) {
				error(&p, "out of memory");
				break;
			}
			script->lines = lines;
		}
		l = &script->lines[script->nlines];
		if (parse_line(&p, text, l)) {
			free_line(l);
			break;
		}
		script->nlines++;
		if (l->cmd == SC_MACHINE && script->nlines != 1)
			error(&p, "machine must come before every other command");
		else if (!check_line(&p, l, script) && l->cmd == SC_MACHINE)
			apply_machine(&p, l, script);
	}
	free(text);
	if (!p.failed && ferror(in))
		error(&p, "cannot read the script: %s", strerror(errno));
	/* A command failing is an error unless the next line expects its result. */
	for (int i = 0; !p.failed && i + 1 < script->nlines; i++) {
		const struct sc_line *next = &script->lines[i + 1];

		script->lines[i].result_expected = next->cmd == SC_EXPECT &&
						   next->expect.key == SC_KEY_RESULT;
	}
	for (int i = 0; i < p.nsyms; i++) {
		free(p.syms[i].name);
		free(p.syms[i].owner);
	}
	free(p.syms);
	sc_names_free(&p.names);
	if (!p.failed && !script->nlines) {
		p.line = 0;
		error(&p, "empty scenario");
	}
	if (p.failed) {
		sc_free(script);
		return -1;
	}
	return 0;
}

void sc_free(struct sc_script *script)
{
	for (int i = 0; i < script->nlines; i++)
		free_line(&script->lines[i]);
	free(script->lines);
	script->lines = NULL;
	script->nlines = 0;
}
