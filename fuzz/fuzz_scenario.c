// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the scenario parser: any bytes are parsed and
 * checked; a script that passes the checks is freed again.  Whatever the
 * input, the parser must not crash, leak or read out of bounds.
 */
#include <stdio.h>
#include <stdint.h>

#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sc_script script;
	FILE *in;

	if (!size)
		return 0;
	in = fmemopen((void *)data, size, "r");
	if (!in)
		return 0;
	if (sc_parse(in, "fuzz", &script) == 0)
		sc_free(&script);
	fclose(in);
	return 0;
}
