/* SPDX-License-Identifier: MIT */
/*
 * The test-only TTM driver "hpvram" (patches/device): 2 GiB of VRAM on
 * QEMU's ivshmem-plain at 0000:00:05.0, dumb buffers, and one ioctl that
 * moves a BO into VRAM or system memory (and leaves it there unpinned) or
 * reports where it is. The ioctl's layout is the driver's
 * (drivers/gpu/drm/tiny/hpvram.c); the two must agree.
 */
#ifndef HUGEPFN_KTEST_HPVRAM_H
#define HUGEPFN_KTEST_HPVRAM_H

#include <stdint.h>

#include "ktest.h"

#define KT_HPVRAM_PCI		"0000:00:05.0"

#define KT_HPVRAM_QUERY		0
#define KT_HPVRAM_VRAM		1
#define KT_HPVRAM_SYSTEM	2

/* HPVRAM_BO: TTM's operations on one BO (the driver's comment says what each does). */
#define KT_HPVRAM_BO_QUERY	0
#define KT_HPVRAM_BO_CREATE	1
#define KT_HPVRAM_BO_VALIDATE	2
#define KT_HPVRAM_BO_EVICT	3
#define KT_HPVRAM_BO_PIN	4
#define KT_HPVRAM_BO_UNPIN	5
#define KT_HPVRAM_BO_LIMIT	6
#define KT_HPVRAM_BO_CONTIGUOUS	1u

struct kt_hpvram_bo {
	uint32_t handle;
	uint32_t op;
	uint32_t place[2];	/* KT_HPVRAM_VRAM, KT_HPVRAM_SYSTEM; 0 ends the list */
	uint32_t flags;		/* KT_HPVRAM_BO_CONTIGUOUS */
	uint32_t pad;
	uint64_t vram_limit;	/* LIMIT: bytes from VRAM's start, 0 for all */
	uint32_t mem_type;	/* out: KT_HPVRAM_VRAM or KT_HPVRAM_SYSTEM */
	uint32_t pin_count;	/* out */
	int64_t vram_offset;	/* out: bytes into VRAM, or -1 */
};

/* Opens the DRM device of hpvram (found by its PCI address). */
int kt_hpvram_open(struct kt_dev *d);
/* A dumb buffer of @mib MiB (4096 pixels of 32 bits per line). */
int kt_hpvram_bo(struct kt_dev *d, struct kt_bo *bo, unsigned int mib);
/*
 * Moves @bo as @how says (KT_HPVRAM_*) and returns in *@vram_offset its
 * byte offset in VRAM afterwards, or -1 if it is in system memory.
 * Returns 0 or -errno.
 */
int kt_hpvram_place(struct kt_dev *d, struct kt_bo *bo, unsigned int how,
		    int64_t *vram_offset);

/* One HPVRAM_BO operation (@a->op and its inputs set); 0 or -errno. */
int kt_hpvram_bo_op(struct kt_dev *d, struct kt_hpvram_bo *a);

/*
 * A buffer of @mib MiB moved into VRAM (its offset in *@vram_offset) and
 * mapped where mm or the driver puts it; NULL on failure.
 */
void *kt_hpvram_vram_map(struct kt_dev *d, struct kt_bo *bo, unsigned int mib,
			 int64_t *vram_offset);

#endif
