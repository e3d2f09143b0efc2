/* SPDX-License-Identifier: MIT */
/*
 * The test-only page-table walker of the observe patch, from user space:
 * /sys/kernel/debug/hugepfn_walk answers for the process that writes the
 * command, so these calls describe the caller's own page tables.
 */
#ifndef HUGEPFN_KTEST_WALK_H
#define HUGEPFN_KTEST_WALK_H

#include <stddef.h>
#include <stdint.h>

enum ktest_walk_level { KW_PUD, KW_PMD, KW_PTE, KW_NONE };
enum ktest_walk_kind { KW_NORMAL, KW_SPECIAL, KW_DEVMAP, KW_KIND_NONE };

/* Present leaves by [pud, pmd, pte][normal, special, devmap]. */
struct ktest_counts {
	long n[3][3];
};

/*
 * Counts the present leaves whose first address lies in
 * [start, start + len). Returns 0 or -errno (-ENOENT: the kernel has no
 * walker, -EINVAL: a range the kernel refused).
 */
int ktest_walk_range(const void *start, size_t len, struct ktest_counts *c);
/*
 * The entry mapping @addr: *level is a ktest_walk_level, *kind a
 * ktest_walk_kind (KW_NONE/KW_KIND_NONE when nothing present maps it)
 * and *raw the entry's value (for none, the last entry the kernel read
 * on the way down). Returns 0 or -errno.
 */
int ktest_walk_addr(const void *addr, int *level, int *kind, uint64_t *raw);

/* x86-64 entry bits, for checking the raw values. */
#define KW_X86_PRESENT	(1ULL << 0)
#define KW_X86_RW	(1ULL << 1)
#define KW_X86_PWT	(1ULL << 3)
#define KW_X86_PCD	(1ULL << 4)
#define KW_X86_PSE	(1ULL << 7)	/* a leaf above the PTE level */
#define KW_X86_SPECIAL	(1ULL << 9)	/* _PAGE_SPECIAL (software bit 1) */
#define KW_X86_DEVMAP	(1ULL << 57)	/* _PAGE_DEVMAP (software bit 4) */
#define KW_X86_NX	(1ULL << 63)
/* The physical address an entry of @level maps (bits 51..12, or 51..21/30). */
uint64_t ktest_entry_phys(uint64_t raw, int level);

/* Writes @cmd as it is; 0 if the kernel took it, else -errno. */
int ktest_walk_command(const char *cmd);

/* "pud", "pmd", "pte", "none" and "normal", "special", "devmap", "none". */
const char *ktest_walk_level_name(int level);
const char *ktest_walk_kind_name(int kind);
/* Sum of the leaves of one level over all kinds. */
long ktest_counts_level(const struct ktest_counts *c, int level);
/* Prints the counts as an info line: "<what>: pud n/s/d pmd n/s/d pte n/s/d". */
void ktest_print_counts(const char *what, const struct ktest_counts *c);

#endif
