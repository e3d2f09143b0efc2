/* SPDX-License-Identifier: MIT */
/* Where the command finds its bundled scenarios and hugepfn-bench. */
#ifndef HP_TOOLS_PATHS_H
#define HP_TOOLS_PATHS_H

#include <stddef.h>

/* The bundled scenario name (e.g. "seed-thread.hp") into out; 0 or a negative errno. */
int hp_find_scenario(const char *name, char *out, size_t size);
/* The hugepfn-bench executable into out; 0 or a negative errno. */
int hp_find_bench(char *out, size_t size);

#endif
