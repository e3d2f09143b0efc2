/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the in-VM tests of the TTM huge fault series.
 *
 * Every test is a small static program run by /init in QEMU. It sets up
 * dumb buffers on the bochs-display DRM device, maps them, and reports one
 * line per test on stdout:
 *
 *   hugepfn-test: <name> PASS|FAIL <figures as key=value>
 *
 * plus "hugepfn-info:" lines with details. The host script counts the
 * PASS/FAIL lines and checks the kernel log.
 */
#ifndef HUGEPFN_KTEST_H
#define HUGEPFN_KTEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#define KT_4K		4096UL
#define KT_2M		(2UL << 20)
#define KT_1G		(1UL << 30)

/* What the kernel under test should do with a well-placed BO. */
enum kt_expect {
	KT_EXPECT_PTE,		/* unpatched: 4 KiB PTEs, 16-page prefault */
	KT_EXPECT_HUGE,		/* patched or control: PMD entries */
};

struct kt_dev {
	int fd;
	uint32_t crtc;
	uint32_t connector;
	unsigned char mode[68];	/* struct drm_mode_modeinfo, opaque here */
	int have_mode;
};

struct kt_bo {
	uint32_t handle;
	uint32_t fb;
	uint32_t pitch;
	uint64_t size;
	uint64_t offset;	/* fake mmap offset */
};

/* Page-table levels covering a user range, from the kernel's ptdump. */
struct kt_levels {
	unsigned long pud;	/* bytes mapped by 1 GiB entries */
	unsigned long pmd;	/* bytes mapped by 2 MiB entries */
	unsigned long pte;	/* bytes mapped by 4 KiB entries */
	unsigned long none;	/* bytes not mapped */
	unsigned long ro;	/* bytes mapped by present, read-only entries */
	int uncached;		/* some entry has PWT or PCD: VRAM caching */
	int cached;		/* some present entry has neither */
};

/* Parsed from argv: "<huge|pte> <kernel name>". */
struct kt_args {
	enum kt_expect expect;
	const char *kernel;
};

void kt_parse_args(int argc, char **argv, struct kt_args *a);

int kt_open(struct kt_dev *d);
/* Makes the w x h mode of the connector the one kt_scanout() sets. */
int kt_use_mode(struct kt_dev *d, unsigned int w, unsigned int h);
/* A dumb buffer, mapped for mmap(): what kt_bo_create() does before ADDFB. */
int kt_dumb_create(struct kt_dev *d, struct kt_bo *bo, uint32_t width,
		   uint32_t height);
/* A dumb buffer with a framebuffer, for scan-out. */
int kt_bo_create(struct kt_dev *d, struct kt_bo *bo, uint32_t width,
		 uint32_t height);
void kt_bo_destroy(struct kt_dev *d, struct kt_bo *bo);
/* Scan out @bo (pins it into VRAM); NULL switches the display off. */
int kt_scanout(struct kt_dev *d, struct kt_bo *bo);
/* Flips the active CRTC to @bo (pins it, then unpins the old buffer). */
int kt_page_flip(struct kt_dev *d, struct kt_bo *bo);
/* Move @bo into VRAM and leave it there unpinned. */
int kt_place_in_vram(struct kt_dev *d, struct kt_bo *bo);
void *kt_map(struct kt_dev *d, struct kt_bo *bo, void *fixed_addr);

int kt_ptdump(const void *addr, size_t len, struct kt_levels *lv);
/* "pmd-rw", "pte-ro", ...: the kind of entry mapping a single page. */
const char *kt_entry_name(const struct kt_levels *lv);
void kt_print_levels(const char *what, const struct kt_levels *lv);
long kt_minflt(void);
/* Minor faults of another process so far (from /proc/PID/stat), or -1. */
long kt_minflt_of(int pid);
/*
 * Runs @fn(@arg) in a child and waits at most @timeout_ms for it: returns
 * its exit status (0-255), 256 + signal if it was killed by one, or -1 on
 * timeout, in which case the child is killed and *@faults holds the minor
 * faults it took until then.
 */
int kt_run_bounded(int (*fn)(void *), void *arg, int timeout_ms,
		   long *faults);

/*
 * For a child that ran a fast pin and exits 0 if it pinned nothing: prints
 * how it ended and returns "killed", "pinned-nothing" or "pinned-pages".
 */
const char *kt_pin_child_outcome(const char *who, int status);
/* The child came back normally with exit status 0. */
int kt_exited_ok(int status);

void kt_fill(void *p, size_t len, uint64_t seed);
/* Returns the number of 8-byte words that differ from the pattern. */
size_t kt_check(const void *p, size_t len, uint64_t seed);
/* The same for [off, off + len) of a buffer filled from @base. */
size_t kt_check_range(const void *base, size_t off, size_t len,
		      uint64_t seed);

/*
 * Sparse patterns for buffers of a gigabyte: one write per 4 KiB page (a
 * word that names the page and the seed, at a page-dependent offset), so
 * a page mapped from the wrong pfn reads a wrong word. Returns the number
 * of pages whose word differs.
 */
void kt_stamp(void *p, size_t len, uint64_t seed);
size_t kt_check_stamps(const void *p, size_t len, uint64_t seed);
/* The same for the pages of [off, off + len) of a buffer stamped at @base. */
size_t kt_check_stamps_range(const void *base, size_t off, size_t len,
			     uint64_t seed);

/*
 * Present leaves in [p, p + len) by level, from the observe patch's
 * /sys/kernel/debug/hugepfn_walk: n[0..2] = PUD, PMD, PTE leaves. Returns
 * -ENOENT (and -1 in each) on a kernel without it.
 */
int kt_walk_leaves(const void *p, size_t len, long n[3]);
/* VmPTE of this process in bytes, or -1. */
long kt_vmpte_bytes(void);
/*
 * A free range of @len bytes that starts @skew bytes past an @align
 * aligned address (reserved PROT_NONE; map over it with MAP_FIXED), or
 * NULL.
 */
void *kt_reserve_at(size_t len, size_t align, size_t skew);

/* gup_test ioctl; returns 0 or -errno, bytes pinned in *pinned. */
int kt_gup_test(unsigned long cmd, void *addr, size_t len, int write,
		uint64_t *pinned);
/* io_uring fixed-buffer registration; returns 0 or -errno. */
int kt_iouring_register(void *addr, size_t len);
/* O_DIRECT read from /dev/ram0; returns bytes read or -errno. */
long kt_odirect_read(void *addr, size_t len);

/* Occurrences of @needle in the kernel log so far, or -1. */
int kt_klog_count(const char *needle);
/* Prints the kernel log lines containing @needle after the first @skip. */
void kt_klog_print(const char *needle, int skip);
/*
 * Copies the rest of the first kernel log line containing @needle, from
 * just after it, into @out (at most @size bytes with the NUL). 0, or
 * -ENOENT if no line has it.
 */
int kt_klog_find(const char *needle, char *out, size_t size);
/*
 * Reads the word at @addr, which should not be mapped: 1 if that faults
 * (SIGSEGV), 0 if it reads something (a stale translation), the value in
 * *@val.
 */
int kt_faults_at(const void *addr, uint64_t *val);

/* Prints the vram-mm allocation list from debugfs as info lines. */
void kt_dump_vram_mm(void);

void kt_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the result line; returns 0 for PASS, 1 for FAIL. */
int kt_result(const char *name, int pass, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
