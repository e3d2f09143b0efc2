/* SPDX-License-Identifier: MIT */
/*
 * The per-step trace both backends print (`hugepfn run --trace` for the
 * model, the guest's `hpscen` for Linux): one line per command with its
 * result, one per `expect` with the value of its key, and whether Linux
 * lets a process observe it (from the one key table, sc_keys[]).  Both backends share
 * this file, so a line means the same on both sides; kernel/differential.py
 * compares them.
 *
 *   step LINE CMD VALUE                      a command and its result
 *   expect LINE KEY... = VALUE               the key's value (policy= ignored)
 *   expect LINE KEY... unobservable: WHY     Linux does not show it
 *   skip LINE CMD: WHY                       the backend cannot run the line
 *   stop LINE: WHY                           the run stopped there
 *   end                                      the script ran to its end
 */
#ifndef HP_TOOLS_SCENARIO_TRACE_H
#define HP_TOOLS_SCENARIO_TRACE_H

#include "scenario.h"

/* The key of a checked `expect` line. */
static inline enum sc_key sc_key_of(const struct sc_line *l)
{
	return l->expect.key;
}
/* Why Linux does not let a process see this line's key, or NULL if it does (sc_keys[]). */
const char *sc_key_unobservable_on_linux(const struct sc_line *l);

void sc_trace_step(FILE *out, const struct sc_line *l, const struct sc_value *v);
/* v NULL: unobservable, for the reason why. */
void sc_trace_expect(FILE *out, const struct sc_line *l, const struct sc_value *v,
		     const char *why);
void sc_trace_skip(FILE *out, const struct sc_line *l, const char *why);
void sc_trace_stop(FILE *out, unsigned int line, const char *why);
void sc_trace_end(FILE *out);

#endif
