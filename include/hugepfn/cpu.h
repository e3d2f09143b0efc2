/* SPDX-License-Identifier: MIT */
/*
 * The software MMU.  An access walks the page tables with the hardware's
 * rules (present, RW and USER at every level, PSE marking PUD and PMD leaves),
 * sets ACCESSED and DIRTY atomically as the CPU does, enters the fault path on
 * a miss or a protection fault, and copies the real bytes.
 */
#ifndef HUGEPFN_CPU_H
#define HUGEPFN_CPU_H

#include <hugepfn/mm.h>

HP_BEGIN_DECLS

#define HP_ACCESS_READ	0u
#define HP_ACCESS_WRITE	1u

enum hp_access_result {
	HP_ACCESS_OK,
	HP_ACCESS_SIGSEGV,	/* no mapping, or a mapping that forbids it */
	HP_ACCESS_SIGBUS,	/* the object behind the mapping refused */
	HP_ACCESS_OOM,
};
const char *hp_access_result_name(enum hp_access_result r);

/* Reads (HP_ACCESS_READ) into buf or writes from buf len bytes at addr. */
enum hp_access_result hp_access(struct mm_struct *mm, unsigned long addr,
				size_t len, unsigned int how, void *buf);
/* Fills len bytes at addr with byte c; touches every page once. */
enum hp_access_result hp_access_fill(struct mm_struct *mm, unsigned long addr,
				     size_t len, int c);

HP_END_DECLS

#endif
