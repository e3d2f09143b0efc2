/* SPDX-License-Identifier: MIT */
/* Numbers and sizes as every hugepfn program reads them (scripts, options). */
#ifndef HP_TOOLS_SIZE_H
#define HP_TOOLS_SIZE_H

#include <stdbool.h>
#include <stdint.h>

/* A number with an optional K, M or G suffix (binary); false if it is not one. */
bool sc_parse_size(const char *s, uint64_t *out);
/* A decimal or 0x hexadecimal number, signed. */
bool sc_parse_num(const char *s, long *out);

#endif
