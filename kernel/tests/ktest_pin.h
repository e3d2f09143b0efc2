/* SPDX-License-Identifier: MIT */
/*
 * /sys/kernel/debug/hugepfn_pin, the test-only GUP reference holder of
 * patches/observe/0002 (mm/hugepfn_pin.c): its request and ioctls, which
 * must match that file.  A set of references belongs to the open file, so
 * processes forked after the open share it: any of them may write through
 * or release a set another one took.
 */
#ifndef HUGEPFN_KTEST_PIN_H
#define HUGEPFN_KTEST_PIN_H

#include <stdint.h>
#include <sys/ioctl.h>

#define KT_PIN_PATH	"/sys/kernel/debug/hugepfn_pin"

struct kt_pin_req {
	uint64_t addr;
	uint64_t nr_pages;
	uint32_t how;		/* enum kt_pin_how */
	uint32_t flags;		/* KT_PIN_F_* */
	int64_t result;		/* TAKE: what the GUP call returned */
	uint32_t id;		/* TAKE: the set kept (0: none); WRITE, RELEASE: the set */
	uint32_t byte;		/* WRITE: the byte every page gets */
};

enum kt_pin_how {
	KT_PIN_SLOW,		/* get_user_pages() / pin_user_pages() under the mmap lock */
	KT_PIN_FAST,		/* get_user_pages_fast() / pin_user_pages_fast() */
	KT_PIN_FAST_ONLY,	/* get_user_pages_fast_only() */
};

#define KT_PIN_F_GET		(1u << 0)	/* FOLL_GET references, not pins */
#define KT_PIN_F_WRITE		(1u << 1)	/* FOLL_WRITE */
#define KT_PIN_F_LONGTERM	(1u << 2)	/* FOLL_LONGTERM */

#define KT_PIN_TAKE	_IOWR(0xB9, 1, struct kt_pin_req)
#define KT_PIN_WRITE	_IOW(0xB9, 2, struct kt_pin_req)
#define KT_PIN_RELEASE	_IOW(0xB9, 3, struct kt_pin_req)

#endif
