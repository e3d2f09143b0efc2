// SPDX-License-Identifier: MIT
/*
 * The scenario language's one-table property: every command of sc_cmds[]
 * and every key of sc_keys[] is accepted by the checker as its entry says
 * and has a case in the model's runner; every flag and option of the tables
 * belongs to a command; the trace says of each key what its entry says
 * Linux shows.  Adding an entry without its handler fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "scenario.h"
#include "scenario_trace.h"

/* Made before the line under test: one object of every kind. */
static const char prelude[] =
	"process p\n"
	"anon m p 2M\n"
	"touch m\n"
	"bo b 4K system\n"
	"gup g m 0 1\n";

/* A word a checked line accepts for an argument of type t (names: the prelude's). */
static const char *word_for(enum sc_arg_type t)
{
	switch (t) {
	case A_PROC_NEW: return "q";
	case A_PROC: return "p";
	case A_MAP_NEW: return "n";
	case A_MAP: return "m";
	case A_BO_NEW: return "c";
	case A_BO: return "b";
	case A_GUP_NEW: return "h";
	case A_GUP: return "g";
	case A_PROC_OR_MAP: return "m";
	case A_SIZE: return "4K";
	case A_NUM: return "1";
	case A_PROT: return "rw";
	case A_PLACES: return "system";
	case A_LEVEL: return "any";
	case A_KIND: return "any";
	case A_TABLE: return "pte";
	case A_FAULTS: return "pmd";
	case A_VIEW: return "stats p";	/* the view, then what it shows */
	case A_POLICY: return "special";
	case A_POLICIES: return "special";
	}
	return "?";
}

static const char *value_for(enum sc_value_type v)
{
	switch (v) {
	case V_NUM: return "12345";
	case V_RESULT: return "ok";
	case V_LEVEL: return "none";
	case V_KIND: return "none";
	case V_PLACE: return "vram";
	}
	return "?";
}

static int parse_text(const char *text, struct sc_script *s)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	int err;

	assert_non_null(in);
	err = sc_parse(in, "table-test", s);
	fclose(in);
	return err;
}

/* Runs text under the special policy; the run's result in res. */
static void run_text(const char *text, struct sc_result *res)
{
	struct sc_script s;
	FILE *out = fopen("/dev/null", "w");

	assert_non_null(out);
	if (parse_text(text, &s))
		fail_msg("the checker refused:\n%s", text);
	sc_run(&s, HP_POLICY_SPECIAL, out, res);
	fclose(out);
	sc_free(&s);
}

/* The line `expect KEY WORDS... != VALUE` with n words after the key. */
static void key_line(char *buf, size_t len, enum sc_key k, int n)
{
	const struct sc_key_spec *ks = &sc_keys[k];

	snprintf(buf, len, "%sexpect %s", prelude, ks->name);
	for (int i = 0; i < n; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), " %s", word_for(ks->args[i]));
	snprintf(buf + strlen(buf), len - strlen(buf), " != %s\n", value_for(ks->value));
}

static void every_key_is_checked_and_evaluated(void **state)
{
	char text[512];

	(void)state;
	for (int k = 0; k < SC_NR_KEYS; k++) {
		assert_non_null(sc_keys[k].name);
		assert_true(sc_keys[k].min_args <= sc_keys[k].max_args);
		for (int n = sc_keys[k].min_args; n <= sc_keys[k].max_args; n++) {
			struct sc_result res;

			key_line(text, sizeof(text), k, n);
			run_text(text, &res);
			if (res.script_error || res.expect_passed + res.expect_failed != 1)
				fail_msg("expect %s with %d words: not evaluated (%s)", sc_keys[k].name,
					 n, res.error);
			sc_result_free(&res);
		}
	}
}

/* The trace's word on Linux is the key table's, for every key. */
static void trace_and_table_agree(void **state)
{
	char text[512];

	(void)state;
	for (int k = 0; k < SC_NR_KEYS; k++) {
		struct sc_script s;
		const struct sc_line *l;

		key_line(text, sizeof(text), k, sc_keys[k].min_args);
		assert_int_equal(parse_text(text, &s), 0);
		l = &s.lines[s.nlines - 1];
		assert_int_equal(sc_key_of(l), k);
		assert_ptr_equal(sc_key_unobservable_on_linux(l), sc_keys[k].linux_unobservable);
		sc_free(&s);
	}
}

/* The prelude and command c with its least arguments, then more (no newline). */
static void cmd_words(char *buf, size_t len, enum sc_cmd c, const char *more)
{
	const struct sc_cmd_spec *cs = &sc_cmds[c];

	snprintf(buf, len, "%s%s", prelude, cs->name);
	for (int i = 0; i < cs->min_args; i++) {
		snprintf(buf + strlen(buf), len - strlen(buf), " %s", word_for(cs->args[i]));
		if (cs->args[i] == A_VIEW)
			break;
	}
	snprintf(buf + strlen(buf), len - strlen(buf), "%s", more);
}

static void every_command_has_a_model_handler(void **state)
{
	char text[512];

	(void)state;
	for (int c = 0; c < SC_NR_CMDS; c++) {
		struct sc_result res;

		assert_non_null(sc_cmds[c].name);
		if (c == SC_EXPECT)
			continue;	/* every key, above */
		if (c == SC_MACHINE)
			snprintf(text, sizeof(text), "machine\n%s", prelude);
		else
			cmd_words(text, sizeof(text), c, "\nexpect result != 12345\n");
		run_text(text, &res);
		if (res.script_error ||
		    res.expect_passed + res.expect_failed != (c == SC_MACHINE ? 0u : 1u))
			fail_msg("%s: not run by the model (%s)", sc_cmds[c].name, res.error);
		sc_result_free(&res);
	}
}

/* The first command whose flags (or options) include bit; SC_NR_CMDS if none. */
static int first_cmd_taking(bool flag, int bit)
{
	int c = 0;

	while (c < SC_NR_CMDS && !((flag ? sc_cmds[c].flags : sc_cmds[c].opts) & (1u << bit)))
		c++;
	return c;
}

/* Every flag and option of the tables is taken by a command, which accepts it. */
static void every_flag_and_option_belongs_to_a_command(void **state)
{
	char text[512], word[64];
	struct sc_script s;

	(void)state;
	for (int f = 0; f < SC_NR_FLAGS; f++) {
		int c = first_cmd_taking(true, f);

		if (c == SC_NR_CMDS)
			fail_msg("flag %s: no command takes it", sc_flag_name(f));
		snprintf(word, sizeof(word), " %s%s\n", sc_flag_name(f),
			 f == SC_F_FAST_ONLY ? " get" : "");	/* the one flag that needs another */
		cmd_words(text, sizeof(text), c, word);
		assert_int_equal(parse_text(text, &s), 0);
		assert_true(sc_flag(&s.lines[s.nlines - 1], f));
		sc_free(&s);
	}
	for (int o = 0; o < SC_NR_OPTS; o++)
		if (first_cmd_taking(false, o) == SC_NR_CMDS)
			fail_msg("option %s=: no command takes it", sc_opt_name(o));
}

/* The level and kind words scripts write are the library's names. */
static void levels_and_kinds_are_the_librarys(void **state)
{
	char text[512];
	struct sc_script s;

	(void)state;
	for (int l = HP_LEVEL_PTE; l <= HP_LEVEL_PUD; l++)
		for (int k = 0; k < HP_NR_KINDS; k++) {
			snprintf(text, sizeof(text), "%sexpect entries p %s %s == 0\n", prelude,
				 hp_level_name(l), hp_entry_kind_name(k));
			assert_int_equal(parse_text(text, &s), 0);
			assert_int_equal(s.lines[s.nlines - 1].val[2].level, l);
			assert_int_equal(s.lines[s.nlines - 1].val[3].kind, k);
			sc_free(&s);
		}
	assert_string_equal(sc_level_word(HP_LEVEL_NONE), "none");
	assert_string_equal(sc_level_word(HP_LEVEL_PMD), hp_level_name(HP_LEVEL_PMD));
	assert_string_equal(sc_kind_word(HP_KIND_DEVMAP), hp_entry_kind_name(HP_KIND_DEVMAP));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_key_is_checked_and_evaluated),
		cmocka_unit_test(trace_and_table_agree),
		cmocka_unit_test(every_command_has_a_model_handler),
		cmocka_unit_test(every_flag_and_option_belongs_to_a_command),
		cmocka_unit_test(levels_and_kinds_are_the_librarys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
