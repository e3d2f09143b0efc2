/* SPDX-License-Identifier: MIT */
/* The hugepfn command's pieces. */
#ifndef HP_TOOLS_HUGEPFN_H
#define HP_TOOLS_HUGEPFN_H

#include <stdio.h>
#include <hugepfn/hugepfn.h>

/* tour.c: the tour; returns the exit status. */
/* The tour; fail_site >= 0 makes the fail_nth allocation there fail (hp_fail_nth()). */
int hp_tour(FILE *out, enum hugepfn_policy policy, uint64_t size, int fail_site,
	    unsigned long fail_nth);
/* gup_table.c: what GUP answers for each kind of entry. */
int hp_gup_table(FILE *out, enum hugepfn_policy policy);

#endif
