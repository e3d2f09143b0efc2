// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the scenario language: any bytes are parsed and
 * checked, and a script that passes the checks is run under the special
 * policy and freed.  Whatever the input, neither the parser nor the runner
 * may crash, leak or read out of bounds; the run must end with nothing left
 * behind (no page, no pagemap reference).
 *
 * To keep each input fast, scripts with any size above 64 MiB are only
 * parsed, and the machine is given at most 256 MiB of RAM.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

#include "scenario.h"

#define FUZZ_MAX_SIZE	(64ULL << 20)
#define FUZZ_MAX_RAM	(256ULL << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool too_big(const char *word)
{
	uint64_t v;

	return word && sc_parse_size(word, &v) && v > FUZZ_MAX_SIZE;
}

/* Small enough to run: no argument or option that is a size over the limit. */
static bool small_script(const struct sc_script *script)
{
	for (int i = 0; i < script->nlines; i++) {
		const struct sc_line *l = &script->lines[i];

		if (l->cmd == SC_MACHINE)
			continue;
		for (int a = 0; a < l->nargs; a++)
			if (too_big(l->args[a]))
				return false;
		for (int o = 0; o < SC_NR_OPTS; o++)
			if (sc_has(l, o) && (o == SC_O_OFFSET || o == SC_O_SIZE || o == SC_O_ALIGN ||
					     o == SC_O_SKEW) && l->opt[o].size > FUZZ_MAX_SIZE)
				return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sc_script script;
	struct sc_result result;
	FILE *in, *out;

	if (!size)
		return 0;
	in = fmemopen((void *)data, size, "r");
	if (!in)
		return 0;
	if (sc_parse(in, "fuzz", &script) == 0) {
		out = fopen("/dev/null", "w");
		if (out && small_script(&script)) {
			if (script.ram > FUZZ_MAX_RAM)
				script.ram = FUZZ_MAX_RAM;
			sc_run(&script, HP_POLICY_SPECIAL, out, &result);
			if (result.leaks.pages || result.leaks.pgmap_refs)
				abort();
			sc_result_free(&result);
		}
		if (out)
			fclose(out);
		sc_free(&script);
	}
	fclose(in);
	return 0;
}
