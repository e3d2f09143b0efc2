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

#include "scenario.h"
#include "scenario_trace.h"

enum arg_type {
	A_PROC_NEW, A_PROC, A_MAP_NEW, A_MAP, A_BO_NEW, A_BO, A_GUP_NEW, A_GUP,
	A_SIZE, A_NUM, A_PROT, A_PLACES,
};

struct spec {
	const char *name;
	int min_args, max_args;
	enum arg_type args[SC_MAX_ARGS];
	const char *flags;	/* allowed bare words, space separated */
	const char *opts;	/* allowed key:type pairs */
	const char *exclusive;	/* groups of words that exclude each other: "a|b c|d" */
};

static const struct spec specs[SC_NR_CMDS] = {
	[SC_MACHINE]	 = { "machine", 0, 0, {0}, "", "ram:size vram:size policy:policy" },
	[SC_PROCESS]	 = { "process", 1, 1, { A_PROC_NEW }, "", "" },
	[SC_FORK]	 = { "fork", 2, 2, { A_PROC, A_PROC_NEW }, "", "" },
	[SC_EXIT]	 = { "exit", 1, 1, { A_PROC }, "", "" },
	[SC_ANON]	 = { "anon", 3, 3, { A_MAP_NEW, A_PROC, A_SIZE }, "shared huge",
			     "prot:prot at:num align:size skew:size" },
	[SC_BAR]	 = { "bar", 3, 3, { A_MAP_NEW, A_PROC, A_SIZE }, "zone-device",
			     "prot:prot offset:size at:num align:size skew:size" },
	[SC_BO]		 = { "bo", 3, 3, { A_BO_NEW, A_SIZE, A_PLACES }, "contiguous", "" },
	[SC_BOMAP]	 = { "bomap", 3, 3, { A_MAP_NEW, A_PROC, A_BO }, "",
			     "prot:prot offset:size size:size at:num align:size skew:size" },
	[SC_BO_DESTROY]	 = { "bo-destroy", 1, 1, { A_BO }, "", "" },
	[SC_BO_PIN]	 = { "bo-pin", 1, 1, { A_BO }, "", "" },
	[SC_BO_UNPIN]	 = { "bo-unpin", 1, 1, { A_BO }, "", "" },
	[SC_BO_EVICT]	 = { "bo-evict", 1, 1, { A_BO }, "", "" },
	[SC_BO_VALIDATE] = { "bo-validate", 2, 2, { A_BO, A_PLACES }, "contiguous", "" },
	[SC_MUNMAP]	 = { "munmap", 1, 3, { A_MAP, A_SIZE, A_SIZE }, "", "" },
	[SC_MPROTECT]	 = { "mprotect", 4, 4, { A_MAP, A_SIZE, A_SIZE, A_PROT }, "", "" },
	[SC_TOUCH]	 = { "touch", 1, 3, { A_MAP, A_SIZE, A_SIZE }, "read write", "", "read|write" },
	[SC_FILL]	 = { "fill", 4, 4, { A_MAP, A_SIZE, A_SIZE, A_NUM }, "", "" },
	[SC_VERIFY]	 = { "verify", 4, 4, { A_MAP, A_SIZE, A_SIZE, A_NUM }, "", "" },
	[SC_GUP]	 = { "gup", 4, 4, { A_GUP_NEW, A_MAP, A_SIZE, A_NUM },
			     "slow fast fast-only get pin write longterm", "",
			     "slow|fast|fast-only get|pin" },
	[SC_RELEASE]	 = { "release", 1, 1, { A_GUP }, "", "" },
	[SC_DMA]	 = { "dma", 2, 2, { A_GUP, A_NUM }, "", "" },
	[SC_SHOW]	 = { "show", 2, 2, {0}, "", "" },
	[SC_EXPECT]	 = { "expect", 3, SC_MAX_ARGS, {0}, "", "policy:policies" },
	[SC_MREMAP]	 = { "mremap", 2, 2, { A_MAP, A_SIZE }, "maymove dontunmap", "fixed:num" },
};

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

static bool valid_prot(const char *s)
{
	return !strcmp(s, "none") || !strcmp(s, "r") || !strcmp(s, "rw") ||
	       !strcmp(s, "rx") || !strcmp(s, "rwx");
}

static bool valid_places(const char *s)
{
	char buf[64], *save, *tok;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (strcmp(tok, "vram") && strcmp(tok, "system") && strcmp(tok, "tt"))
			return false;
	return s[0] && s[strlen(s) - 1] != ',';
}

/* "none,plain" into a bit per policy; 0 if a name is unknown. */
static unsigned int parse_policies(const char *s)
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

/* The type of option key in a "key:type ..." list, or NULL. */
static const char *opt_type(const char *key, const char *opts, char *buf, size_t len)
{
	size_t n = strlen(key);

	for (const char *p = opts; *p;) {
		const char *colon = strchr(p, ':'), *end = strchr(p, ' ');
		size_t tlen;

		if (!colon)
			break;
		tlen = end ? (size_t)(end - colon - 1) : strlen(colon + 1);
		if ((size_t)(colon - p) == n && !strncmp(p, key, n) && tlen < len) {
			memcpy(buf, colon + 1, tlen);
			buf[tlen] = '\0';
			return buf;
		}
		if (!end)
			break;
		p = end + 1;
	}
	return NULL;
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

static int check_arg(struct parser *p, struct sc_line *l, int i, enum arg_type t)
{
	const char *a = l->args[i];
	uint64_t size;
	long num;

	if (t == A_PROC || t == A_MAP || t == A_BO || t == A_GUP)
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
	case A_SIZE:
		return sc_parse_size(a, &size) ? 0 :
		       error(p, "'%s' is not a size (a number with an optional K, M or G)", a);
	case A_NUM:
		return sc_parse_num(a, &num) ? 0 : error(p, "'%s' is not a number", a);
	case A_PROT:
		return valid_prot(a) ? 0 : error(p, "'%s' is not a protection (none, r, rw, rx, rwx)", a);
	case A_PLACES:
		return valid_places(a) ? 0 :
		       error(p, "'%s' is not a list of placements (vram, system, tt, comma separated)", a);
	}
	return 0;
}

static int check_opt(struct parser *p, const struct spec *spec, struct sc_line *l, int i)
{
	const char *key = l->opt_key[i], *val = l->opt_val[i];
	char type[16];
	uint64_t size;
	long num;

	if (!val)
		return word_in(key, spec->flags) ? 0 :
		       error(p, "%s: unknown argument '%s'", spec->name, key);
	if (!opt_type(key, spec->opts, type, sizeof(type)))
		return error(p, "%s: unknown option '%s='", spec->name, key);
	if (!strcmp(type, "size") && !sc_parse_size(val, &size))
		return error(p, "%s=%s: not a size", key, val);
	if (!strcmp(type, "num") && !sc_parse_num(val, &num))
		return error(p, "%s=%s: not a number", key, val);
	if (!strcmp(type, "prot") && !valid_prot(val))
		return error(p, "%s=%s: not a protection (none, r, rw, rx, rwx)", key, val);
	if (!strcmp(type, "policy") && hp_policy_parse(val) < 0)
		return error(p, "%s=%s: not a policy (none, plain, devmap, special)", key, val);
	if (!strcmp(type, "policies") && !parse_policies(val))
		return error(p, "%s=%s: not a list of policies (none, plain, devmap, special)", key, val);
	return 0;
}

static const char *const levels = "pud pmd pte any";
static const char *const kinds = "normal special devmap any";
static const char *const table_levels = "pgd pud pmd pte";
static const char *const fault_keys = "total pud pmd pte fallback-pud fallback-pmd";

/* The words a key's value may be; NULL for keys whose values are numbers. */
static const char *value_words(const char *key)
{
	if (!strcmp(key, "result"))
		return "ok mismatch SIGSEGV SIGBUS OOM";
	if (!strcmp(key, "level"))
		return "pud pmd pte none";
	if (!strcmp(key, "kind"))
		return "normal special devmap none";
	if (!strcmp(key, "placement"))
		return "vram system tt";
	return NULL;
}

/* The value must be one the key can have: a number (or -ERRNO), or one of its words. */
static int check_value(struct parser *p, const char *key, const char *value)
{
	struct sc_value v = sc_parse_value(value);
	const char *words = value_words(key);

	if (v.is_num && (!words || !strcmp(key, "result")))
		return 0;
	if (!v.is_num && words && word_in(value, words))
		return 0;
	if (words && strcmp(key, "result"))
		return error(p, "expect %s: '%s' is not one of %s", key, value, words);
	return error(p, "expect %s: '%s' is not a number, a size or a known -ERRNO%s%s", key, value,
		     words ? ", nor one of " : "", words ? words : "");
}

/* `expect KEY... OP VALUE`: the key must name something that exists now. */
static int check_expect(struct parser *p, struct sc_line *l, struct sc_script *script)
{
	static const char *const ops = "== != < <= > >=";
	const char *key = l->args[0];
	int nkey = l->nargs - 2;
	struct sym *s;

	if (!word_in(l->args[l->nargs - 2], ops))
		return error(p, "expect: '%s' is not a comparison (==, !=, <, <=, >, >=)",
			     l->args[l->nargs - 2]);
	if (strcmp(key, "result") && strcmp(key, "violations"))
		l->uses |= 1u << 1;
	if (check_value(p, key, l->args[l->nargs - 1]))
		return -1;
	if (!strcmp(key, "result") && !p->ran_command)
		return error(p, "expect result: no command before it gives a result");
	if (!strcmp(key, "result") || !strcmp(key, "violations")) {
		if (nkey != 1)
			return error(p, "expect %s: takes no argument", key);
		if (!strcmp(key, "violations"))
			for (int pol = 0; pol < HP_NR_POLICIES; pol++)
				if (l->policies & (1u << pol))
					script->expects_violations[pol] = true;
		return 0;
	}
	if (!strcmp(key, "faults")) {
		if (nkey < 2 || nkey > 3 || sym_use(p, l->args[1], SYM_PROC, NULL))
			return p->failed ? -1 : error(p, "expect faults PROCESS [%s]", fault_keys);
		if (nkey == 3 && !word_in(l->args[2], fault_keys))
			return error(p, "expect faults: '%s' is not one of %s", l->args[2], fault_keys);
		return 0;
	}
	if (!strcmp(key, "entries")) {
		if (nkey != 4)
			return error(p, "expect entries PROCESS|MAPPING LEVEL KIND");
		s = sym_find(p, l->args[1]);
		if (!s || (s->kind != SYM_PROC && s->kind != SYM_MAP) || !s->live)
			return error(p, "expect entries: no live process or mapping named '%s'", l->args[1]);
		if (!word_in(l->args[2], levels) || !word_in(l->args[3], kinds))
			return error(p, "expect entries: LEVEL is one of %s, KIND one of %s", levels, kinds);
		return 0;
	}
	if (!strcmp(key, "tables")) {
		if (nkey != 3 || sym_use(p, l->args[1], SYM_PROC, NULL))
			return p->failed ? -1 : error(p, "expect tables PROCESS LEVEL");
		return word_in(l->args[2], table_levels) ? 0 :
		       error(p, "expect tables: '%s' is not one of %s", l->args[2], table_levels);
	}
	if (!strcmp(key, "gup"))
		return nkey == 2 ? sym_use(p, l->args[1], SYM_GUP, NULL) :
		       error(p, "expect gup NAME");
	if (!strcmp(key, "level") || !strcmp(key, "kind")) {
		uint64_t off;

		if (nkey != 3 || sym_use(p, l->args[1], SYM_MAP, NULL))
			return p->failed ? -1 : error(p, "expect %s MAPPING OFFSET", key);
		return sc_parse_size(l->args[2], &off) ? 0 : error(p, "'%s' is not a size", l->args[2]);
	}
	if (!strcmp(key, "placement"))
		return nkey == 2 ? sym_use(p, l->args[1], SYM_BO, NULL) :
		       error(p, "expect placement BO");
	if (!strcmp(key, "rss") || !strcmp(key, "pgtables"))
		return nkey == 2 ? sym_use(p, l->args[1], SYM_PROC, NULL) :
		       error(p, "expect %s PROCESS", key);
	return error(p, "expect: unknown key '%s' (%s)", key, sc_key_names());
}

static int check_show(struct parser *p, struct sc_line *l)
{
	l->uses |= 1u << 1;
	if (!strcmp(l->args[0], "map"))
		return sym_use(p, l->args[1], SYM_MAP, NULL);
	if (!strcmp(l->args[0], "stats"))
		return sym_use(p, l->args[1], SYM_PROC, NULL);
	return error(p, "show: '%s' is not a view (map MAPPING, stats PROCESS)", l->args[0]);
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

/* at= is an address; align= (a power of two, a page or more) and skew= ask for one. */
static int check_placement(struct parser *p, const struct sc_line *l)
{
	const char *align = sc_opt(l, "align"), *skew = sc_opt(l, "skew");
	uint64_t a = 0, k = 0;

	if (!align && !skew)
		return 0;
	if (sc_opt(l, "at"))
		return error(p, "%s: at= gives the address, align= and skew= ask for one: not both",
			     specs[l->cmd].name);
	if (!align)
		return error(p, "%s: skew= needs align=", specs[l->cmd].name);
	sc_parse_size(align, &a);
	if (skew)
		sc_parse_size(skew, &k);
	if (a < PAGE_SIZE || a & (a - 1) || a > (1ULL << 40))
		return error(p, "align=%s: a power of two from 4K to 1T", align);
	if (k >= a || k & ~PAGE_MASK)
		return error(p, "skew=%s: a multiple of 4K below align=%s", skew, align);
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

/* One word of a line's options that is in the group starting at g ("a|b"), or NULL. */
static const char *group_member(const struct sc_line *l, const char *g, size_t glen, int from,
				int *at)
{
	for (int i = from; i < l->nopts; i++) {
		size_t n = strlen(l->opt_key[i]);

		for (const char *w = g; w < g + glen;) {
			const char *bar = memchr(w, '|', g + glen - w);
			size_t wlen = bar ? (size_t)(bar - w) : (size_t)(g + glen - w);

			if (wlen == n && !strncmp(w, l->opt_key[i], n)) {
				*at = i;
				return l->opt_key[i];
			}
			w += wlen + 1;
		}
	}
	return NULL;
}

/* No option twice, no two words of one exclusive group, fast-only only with get. */
static int check_words(struct parser *p, const struct spec *spec, const struct sc_line *l)
{
	for (int i = 0; i < l->nopts; i++)
		for (int j = i + 1; j < l->nopts; j++)
			if (!strcmp(l->opt_key[i], l->opt_key[j]))
				return error(p, "%s: '%s' given twice", spec->name, l->opt_key[i]);
	for (const char *g = spec->exclusive ? spec->exclusive : ""; *g;) {
		const char *end = strchr(g, ' ');
		size_t glen = end ? (size_t)(end - g) : strlen(g);
		const char *a, *b;
		int at;

		if ((a = group_member(l, g, glen, 0, &at)) && (b = group_member(l, g, glen, at + 1, &at)))
			return error(p, "%s: '%s' and '%s' exclude each other", spec->name, a, b);
		g += glen + (end ? 1 : 0);
	}
	if (l->cmd == SC_GUP && sc_opt(l, "fast-only") && !sc_opt(l, "get"))
		return error(p, "gup: fast-only needs get (6.12 has get_user_pages_fast_only(), "
			     "no pinning twin)");
	return 0;
}

static int check_line(struct parser *p, struct sc_line *l, struct sc_script *script)
{
	const struct spec *spec = &specs[l->cmd];

	if (l->nargs > spec->max_args && spec->flags[0])
		return error(p, "%s: '%s' is not one of its flags (%s)", spec->name,
			     l->args[spec->max_args], spec->flags);
	if (l->nargs < spec->min_args || l->nargs > spec->max_args) {
		if (spec->min_args == spec->max_args)
			return error(p, "%s takes %d argument%s, not %d", spec->name, spec->min_args,
				     spec->min_args == 1 ? "" : "s", l->nargs);
		return error(p, "%s takes %d to %d arguments, not %d", spec->name,
			     spec->min_args, spec->max_args, l->nargs);
	}
	for (int i = 0; i < l->nopts; i++)
		if (check_opt(p, spec, l, i))
			return -1;
	if (check_words(p, spec, l))
		return -1;
	if (l->cmd != SC_EXPECT && l->cmd != SC_MACHINE)
		p->ran_command = true;
	if (l->cmd == SC_EXPECT) {
		l->policies = (1u << HP_NR_POLICIES) - 1;
		for (int i = 0; i < l->nopts; i++)
			if (!strcmp(l->opt_key[i], "policy"))
				l->policies = parse_policies(l->opt_val[i]);
		return check_expect(p, l, script);
	}
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
	if (l->cmd == SC_FORK && inherit_names(p, l->args[0], l->args[1]))
		return -1;
	retire_names(p, l);
	return 0;
}

const char *sc_cmd_name(enum sc_cmd cmd)
{
	return cmd < SC_NR_CMDS ? specs[cmd].name : "?";
}

static int find_cmd(const char *name)
{
	for (int c = 0; c < SC_NR_CMDS; c++)
		if (!strcmp(specs[c].name, name))
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
		bool is_flag = c != SC_EXPECT && word_in(words[i], specs[c].flags);

		if (eq) {
			if (l->nopts == SC_MAX_OPTS)
				return error(p, "too many options");
			*eq = '\0';
			l->opt_key[l->nopts] = strdup(words[i]);
			l->opt_val[l->nopts++] = strdup(eq + 1);
		} else if (is_flag) {
			if (l->nopts == SC_MAX_OPTS)
				return error(p, "too many options");
			l->opt_key[l->nopts++] = strdup(words[i]);
		} else {
			if (l->nargs == SC_MAX_ARGS)
				return error(p, "%s: too many arguments", specs[c].name);
			l->args[l->nargs++] = strdup(words[i]);
		}
	}
	return 0;
}

static void free_line(struct sc_line *l)
{
	for (int i = 0; i < l->nargs; i++)
		free(l->args[i]);
	for (int i = 0; i < l->nopts; i++) {
		free(l->opt_key[i]);
		free(l->opt_val[i]);
	}
}

static int apply_machine(struct parser *p, const struct sc_line *l, struct sc_script *s)
{
	const char *v;

	if ((v = sc_opt(l, "ram")))
		sc_parse_size(v, &s->ram);
	if ((v = sc_opt(l, "vram")))
		sc_parse_size(v, &s->vram);
	if ((v = sc_opt(l, "policy")))
		s->policy = hp_policy_parse(v);
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
		else if (l->cmd == SC_MACHINE && !check_line(&p, l, script))
			apply_machine(&p, l, script);
		else
			check_line(&p, l, script);
	}
	free(text);
	if (!p.failed && ferror(in))
		error(&p, "cannot read the script: %s", strerror(errno));
	/* A command failing is an error unless the next line expects its result. */
	for (int i = 0; !p.failed && i + 1 < script->nlines; i++) {
		const struct sc_line *next = &script->lines[i + 1];

		script->lines[i].result_expected = next->cmd == SC_EXPECT && next->nargs &&
						   !strcmp(next->args[0], "result");
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
