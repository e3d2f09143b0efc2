/* SPDX-License-Identifier: MIT */
/*
 * The devices of the Linux backend (scenario_linux.c): the vfio BAR of
 * ivshmem 0000:00:06.0 for `bar`, device DAX (/dev/dax0.0, made by the
 * guest's init from a legacy pmem range) for `bar ... zone-device`, the
 * TTM device hpvram (the test-only
 * driver on ivshmem 0000:00:05.0) for `bo` and `bomap`, and the
 * hugepfn_walk debugfs file of the test-only observation patch for
 * entries, level and kind.  They come from the helpers in ktest_vfio.[ch],
 * ktest_hpvram.[ch] and ktest_walk.[ch]; a guest built or booted without
 * them reports those keys unobservable and skips `bar` and the BO commands.
 */
#ifndef HUGEPFN_SCENARIO_LINUX_H
#define HUGEPFN_SCENARIO_LINUX_H

#include <stdbool.h>
#include <stdint.h>

#include "scenario.h"

#ifdef HAVE_KTEST_WALK
#include "ktest_walk.h"
#else
struct ktest_counts { long n[3][3]; };
#endif
#ifdef HAVE_KTEST_VFIO
#include "ktest_vfio.h"
#endif
#ifdef HAVE_KTEST_HPVRAM
#include "ktest_hpvram.h"
#endif

/* The guest's vfio BAR: the PCI address and BAR of interfaces.md. */
#define LX_BAR_BDF	"0000:00:06.0"
#define LX_BAR_INDEX	2
/* ZONE_DEVICE memory: device DAX, MEMORY_DEVICE_GENERIC pages, 2 MiB aligned. */
#define LX_DAX_DEV	"dax0.0"
#define LX_DAX_ALIGN	(2ULL << 20)

struct lx_env {
#ifdef HAVE_KTEST_VFIO
	struct ktest_vfio vfio;
#endif
	bool bar_ok;
	char bar_why[128];
	int dax_fd;		/* /dev/dax0.0, or -1 (then dax_why says why) */
	uint64_t dax_size;
	char dax_why[128];
#ifdef HAVE_KTEST_HPVRAM
	struct kt_dev drm;	/* hpvram's DRM device; the workers inherit it */
#endif
	bool bo_ok;
	char bo_why[128];
	uint64_t vram_size;
	/*
	 * Each bar line of the script gets a window of its own (by line index),
	 * in the vfio BAR or, for zone-device, in the DAX device.
	 */
	uint64_t *window;
	int nwindows;
};

void lx_env_open(struct lx_env *env);
void lx_env_close(struct lx_env *env);
/* Plans a window for every bar line of s, before any process starts. */
void lx_bar_plan(struct lx_env *env, const struct sc_script *s);
/* zone: the DAX device of zone-device bars, else the vfio BAR. */
bool lx_bar_ready(const struct lx_env *env, bool zone);
const char *lx_bar_why(const struct lx_env *env, bool zone);
/* The device offset of line idx's window, or -1 when the device is too small. */
uint64_t lx_bar_window(const struct lx_env *env, int idx);
void *lx_bar_mmap(struct lx_env *env, bool zone, size_t len, uint64_t off, void *hint, int prot,
		  int flags);

/* hpvram's DRM fd, or -1 (then lx_bo_why() says why). */
int lx_bo_fd(const struct lx_env *env);
const char *lx_bo_why(const struct lx_env *env);

bool lx_walk_ready(void);
const char *lx_walk_why(void);
#ifndef HAVE_KTEST_WALK
int ktest_walk_range(const void *start, size_t len, struct ktest_counts *c);
int ktest_walk_addr(const void *addr, int *level, int *kind, uint64_t *raw);
#endif

#endif
