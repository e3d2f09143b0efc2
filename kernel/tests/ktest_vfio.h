/* SPDX-License-Identifier: MIT */
/*
 * A PCI BAR mapped the way vfio users map one: the device is bound to
 * vfio-pci in no-IOMMU mode (by /init), its group is added to a
 * container, and the region of the BAR is mmapped from the device fd.
 * 6.12's vfio-pci maps such a BAR with special PMD and PUD entries where
 * the address, the pfn and the VMA allow (vfio_pci_mmap_huge_fault()).
 */
#ifndef HUGEPFN_KTEST_VFIO_H
#define HUGEPFN_KTEST_VFIO_H

#include <stddef.h>
#include <stdint.h>

/* The BAR of the tests: QEMU's ivshmem-plain at 00:06.0, BAR2, 2 GiB. */
#define KTEST_VFIO_BDF	"0000:00:06.0"
#define KTEST_VFIO_BAR	2

struct ktest_vfio {
	int container, group, device;
	uint64_t bar_offset, bar_size;	/* of the region in the device fd */
};

/*
 * Opens the vfio group of @bdf (bound to vfio-pci, no-IOMMU) and the
 * device, and looks up region @bar. Returns 0 or -errno, with a
 * hugepfn-info line saying which step failed; on error nothing is left
 * open.
 */
int ktest_vfio_open(struct ktest_vfio *v, const char *bdf, int bar);
/*
 * Maps [off, off + len) of the BAR, shared, with @prot. With @hint NULL
 * the address is chosen so that it is congruent to @off modulo 1 GiB
 * (so every 1 GiB-aligned part of the BAR can get a PUD); otherwise the
 * mapping is placed exactly at @hint (MAP_FIXED_NOREPLACE). Returns the
 * address, or NULL with errno set.
 */
void *ktest_vfio_mmap(struct ktest_vfio *v, size_t len, uint64_t off,
		      void *hint, int prot);
void ktest_vfio_close(struct ktest_vfio *v);
/*
 * An address at which @len bytes are free right now, @skew bytes past a
 * multiple of @align (a power of two), for ktest_vfio_mmap()'s @hint;
 * NULL if no such range was found.
 */
void *ktest_free_range(size_t len, size_t align, size_t skew);
/*
 * One 8-byte stamp per 4 KiB page of [p, p + len), which maps the BAR from
 * offset @bar_off: the value depends on @seed and the page's BAR offset
 * only, so any mapping of the same BAR pages checks it. Writing touches
 * every page once; checking reads every page once and returns the number
 * of pages whose stamp differs.
 */
void ktest_vfio_stamp(void *p, size_t len, uint64_t bar_off, uint64_t seed);
/* The stamp of the page at BAR offset @bar_off. */
uint64_t ktest_vfio_stamp_value(uint64_t bar_off, uint64_t seed);
size_t ktest_vfio_stamp_check(const void *p, size_t len, uint64_t bar_off,
			      uint64_t seed);
/* The bus address of BAR @bar of @bdf, from sysfs; 0 or -errno. */
int ktest_vfio_bar_phys(const char *bdf, int bar, uint64_t *phys);

#endif
