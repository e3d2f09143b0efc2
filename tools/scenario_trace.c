// SPDX-License-Identifier: MIT
/* The per-step trace and the table of expect keys (scenario_trace.h). */
#include <string.h>

#include "scenario_trace.h"

static const struct {
	const char *name;
	const char *linux_unobservable;	/* NULL: a process can read it on Linux */
} keys[SC_NR_KEYS] = {
	[SC_KEY_RESULT]	    = { "result", NULL },
	[SC_KEY_VIOLATIONS] = { "violations", "Linux records no violations (its log is checked instead)" },
	[SC_KEY_FAULTS]	    = { "faults", NULL },
	[SC_KEY_ENTRIES]    = { "entries", NULL },
	[SC_KEY_TABLES]	    = { "tables", "page-table pages by level: Linux shows only their bytes (pgtables)" },
	[SC_KEY_PGTABLES]   = { "pgtables", NULL },
	[SC_KEY_GUP]	    = { "gup", NULL },
	[SC_KEY_LEVEL]	    = { "level", NULL },
	[SC_KEY_KIND]	    = { "kind", NULL },
	[SC_KEY_PLACEMENT]  = { "placement", NULL },
	[SC_KEY_RSS]	    = { "rss", NULL },
};

enum sc_key sc_key_parse(const char *word)
{
	for (int k = 0; k < SC_NR_KEYS; k++)
		if (!strcmp(word, keys[k].name))
			return k;
	return SC_NR_KEYS;
}

const char *sc_key_names(void)
{
	static char buf[128];

	if (!buf[0])
		for (int k = 0; k < SC_NR_KEYS; k++)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", k ? ", " : "",
				 keys[k].name);
	return buf;
}

const char *sc_key_unobservable_on_linux(const struct sc_line *l)
{
	enum sc_key k = sc_key_of(l);

	/* minflt counts every fault; the level that resolved one is the kernel's secret. */
	if (k == SC_KEY_FAULTS && l->nargs == 5 && strcmp(l->args[2], "total"))
		return "faults by level or fallback: minflt counts them all";
	return k < SC_NR_KEYS ? keys[k].linux_unobservable : "unknown key";
}

/* The words before the comparison. */
static void print_key(FILE *out, const struct sc_line *l)
{
	fprintf(out, "expect %u", l->line);
	for (int i = 0; i < l->nargs - 2; i++)
		fprintf(out, " %s", l->args[i]);
}

void sc_trace_step(FILE *out, const struct sc_line *l, const struct sc_value *v)
{
	fprintf(out, "step %u %s ", l->line, sc_cmd_name(l->cmd));
	sc_value_print(out, v);
	fputc('\n', out);
}

void sc_trace_expect(FILE *out, const struct sc_line *l, const struct sc_value *v,
		     const char *why)
{
	print_key(out, l);
	if (v) {
		fputs(" = ", out);
		sc_value_print(out, v);
		fputc('\n', out);
	} else {
		fprintf(out, " unobservable: %s\n", why);
	}
}

void sc_trace_skip(FILE *out, const struct sc_line *l, const char *why)
{
	fprintf(out, "skip %u %s: %s\n", l->line, sc_cmd_name(l->cmd), why);
}

void sc_trace_stop(FILE *out, unsigned int line, const char *why)
{
	fprintf(out, "stop %u: %s\n", line, why);
}

void sc_trace_end(FILE *out)
{
	fputs("end\n", out);
}
