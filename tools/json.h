/* SPDX-License-Identifier: MIT */
/* JSON output as every hugepfn program writes it (scenario reports, the bench). */
#ifndef HP_TOOLS_JSON_H
#define HP_TOOLS_JSON_H

#include <stdio.h>

/* s as a JSON string, quotes, backslashes and control characters escaped. */
void sc_json_string(FILE *out, const char *s);

#endif
