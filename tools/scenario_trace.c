// SPDX-License-Identifier: MIT
/* The per-step trace (scenario_trace.h). */
#include <string.h>

#include "scenario_trace.h"

const char *sc_key_unobservable_on_linux(const struct sc_line *l)
{
	/* minflt counts every fault; the level that resolved one is the kernel's secret. */
	if (l->expect.key == SC_KEY_FAULTS && l->nargs == 5 && l->val[2].faults != HP_LEVEL_NONE)
		return "faults by level or fallback: minflt counts them all";
	return sc_keys[l->expect.key].linux_unobservable;
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
