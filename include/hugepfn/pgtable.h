/* SPDX-License-Identifier: MIT */
/*
 * Page-table entry types and helpers.  The format is x86-64's (the only
 * architecture hugepfn simulates); see arch/x86_64/pgtable_types.h for the
 * bit layout and arch/x86_64/pgtable.h for the helpers.
 */
#ifndef HUGEPFN_PGTABLE_H
#define HUGEPFN_PGTABLE_H

#include <hugepfn/arch/x86_64/pgtable_types.h>
#include <hugepfn/arch/x86_64/pgtable.h>

#endif
