/* SPDX-License-Identifier: MIT */
/*
 * The per-step trace both backends print (`hugepfn run --trace` for the
 * model, the guest's `hpscen` for Linux): one line per command with its
 * result, one per `expect` with the value of its key, and the table of keys
 * that says which of them Linux lets a process observe.  Both backends share
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

enum sc_key {
	SC_KEY_RESULT, SC_KEY_VIOLATIONS, SC_KEY_FAULTS, SC_KEY_ENTRIES, SC_KEY_TABLES,
	SC_KEY_PGTABLES, SC_KEY_GUP, SC_KEY_LEVEL, SC_KEY_KIND, SC_KEY_PLACEMENT, SC_KEY_RSS,
	SC_NR_KEYS
};

/* The key of an `expect` line; SC_NR_KEYS for a word that is none. */
enum sc_key sc_key_parse(const char *word);
static inline enum sc_key sc_key_of(const struct sc_line *l)
{
	return sc_key_parse(l->args[0]);
}
/* The key words of the table, space separated, for messages. */
const char *sc_key_names(void);
/* Why Linux does not let a process see this key's value, or NULL if it does. */
const char *sc_key_unobservable_on_linux(const struct sc_line *l);

const char *sc_cmd_name(enum sc_cmd cmd);

void sc_trace_step(FILE *out, const struct sc_line *l, const struct sc_value *v);
/* v NULL: unobservable, for the reason why. */
void sc_trace_expect(FILE *out, const struct sc_line *l, const struct sc_value *v,
		     const char *why);
void sc_trace_skip(FILE *out, const struct sc_line *l, const char *why);
void sc_trace_stop(FILE *out, unsigned int line, const char *why);
void sc_trace_end(FILE *out);

#endif
