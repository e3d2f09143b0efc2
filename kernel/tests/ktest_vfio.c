// SPDX-License-Identifier: MIT
/* vfio-pci in no-IOMMU mode: the group, the device and a BAR mapping. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "ktest_vfio.h"

#define KV_1G	(1UL << 30)

static void kv_info(const char *step, const char *what, int err)
{
	printf("hugepfn-info: vfio: %s %s: %s\n", step, what, strerror(err));
	fflush(stdout);
}

/* The number of the IOMMU group of @bdf, from sysfs; -errno on error. */
static int kv_group_id(const char *bdf)
{
	char link[PATH_MAX], target[PATH_MAX];
	const char *slash;
	ssize_t n;
	int id;

	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group",
		 bdf);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	slash = strrchr(target, '/');
	if (!slash || sscanf(slash + 1, "%d", &id) != 1)
		return -EPROTO;
	return id;
}

int ktest_vfio_open(struct ktest_vfio *v, const char *bdf, int bar)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	char path[64];
	int id, err;

	memset(v, 0, sizeof(*v));
	v->container = v->group = v->device = -1;
	id = kv_group_id(bdf);
	if (id < 0) {
		kv_info("iommu_group of", bdf, -id);
		return id;
	}
	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v->container < 0) {
		err = errno;
		kv_info("open", "/dev/vfio/vfio", err);
		goto fail;
	}
	/* A no-IOMMU group is /dev/vfio/noiommu-N, a real one /dev/vfio/N. */
	snprintf(path, sizeof(path), "/dev/vfio/noiommu-%d", id);
	v->group = open(path, O_RDWR | O_CLOEXEC);
	if (v->group < 0) {
		err = errno;
		kv_info("open", path, err);
		goto fail;
	}
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &status)) {
		err = errno;
		kv_info("VFIO_GROUP_GET_STATUS", path, err);
		goto fail;
	}
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		err = EBUSY;
		kv_info("group not viable:", path, err);
		goto fail;
	}
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container)) {
		err = errno;
		kv_info("VFIO_GROUP_SET_CONTAINER", path, err);
		goto fail;
	}
	if (ioctl(v->container, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU)) {
		err = errno;
		kv_info("VFIO_SET_IOMMU", "VFIO_NOIOMMU_IOMMU", err);
		goto fail;
	}
	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (v->device < 0) {
		err = errno;
		kv_info("VFIO_GROUP_GET_DEVICE_FD", bdf, err);
		goto fail;
	}
	reg.index = bar;
	if (ioctl(v->device, VFIO_DEVICE_GET_REGION_INFO, &reg)) {
		err = errno;
		kv_info("VFIO_DEVICE_GET_REGION_INFO", bdf, err);
		goto fail;
	}
	if (!(reg.flags & VFIO_REGION_INFO_FLAG_MMAP) || !reg.size) {
		err = ENODEV;
		kv_info("region cannot be mmapped:", bdf, err);
		goto fail;
	}
	v->bar_offset = reg.offset;
	v->bar_size = reg.size;
	return 0;
fail:
	ktest_vfio_close(v);
	return -err;
}

void *ktest_vfio_mmap(struct ktest_vfio *v, size_t len, uint64_t off,
		      void *hint, int prot)
{
	unsigned long want, addr;
	void *p, *res;

	if (!len || off > v->bar_size || len > v->bar_size - off) {
		errno = EINVAL;
		return NULL;
	}
	if (hint) {
		p = mmap(hint, len, prot, MAP_SHARED | MAP_FIXED_NOREPLACE,
			 v->device, v->bar_offset + off);
		return p == MAP_FAILED ? NULL : p;
	}
	/*
	 * Reserve 1 GiB more than needed, then map over the part of the
	 * reservation that starts at an address congruent to @off.
	 */
	res = mmap(NULL, len + KV_1G, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return NULL;
	want = off & (KV_1G - 1);
	addr = ((unsigned long)res & ~(KV_1G - 1)) + want;
	if (addr < (unsigned long)res)
		addr += KV_1G;
	p = mmap((void *)addr, len, prot, MAP_SHARED | MAP_FIXED, v->device,
		 v->bar_offset + off);
	if (p == MAP_FAILED) {
		int err = errno;

		munmap(res, len + KV_1G);
		errno = err;
		return NULL;
	}
	/* Give back the rest of the reservation on both sides. */
	if (addr > (unsigned long)res)
		munmap(res, addr - (unsigned long)res);
	if ((unsigned long)res + len + KV_1G > addr + len)
		munmap((void *)(addr + len),
		       (unsigned long)res + len + KV_1G - addr - len);
	return p;
}

void ktest_vfio_close(struct ktest_vfio *v)
{
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	v->container = v->group = v->device = -1;
}

int ktest_vfio_bar_phys(const char *bdf, int bar, uint64_t *phys)
{
	unsigned long long start, end, flags;
	char path[PATH_MAX], line[128];
	int i, ret = -EPROTO;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	for (i = 0; i <= bar && fgets(line, sizeof(line), f); i++) {
		if (i == bar &&
		    sscanf(line, "%llx %llx %llx", &start, &end, &flags) == 3) {
			*phys = start;
			ret = start ? 0 : -ENODEV;
		}
	}
	fclose(f);
	return ret;
}

uint64_t ktest_vfio_stamp_value(uint64_t bar_off, uint64_t seed)
{
	return (seed * 0x9e3779b97f4a7c15ULL) ^ bar_off ^ 0x5a5a000000000000ULL;
}

void ktest_vfio_stamp(void *p, size_t len, uint64_t bar_off, uint64_t seed)
{
	size_t o;

	for (o = 0; o < len; o += 4096)
		*(volatile uint64_t *)((char *)p + o) = ktest_vfio_stamp_value(bar_off + o, seed);
}

size_t ktest_vfio_stamp_check(const void *p, size_t len, uint64_t bar_off,
			      uint64_t seed)
{
	size_t o, bad = 0;

	for (o = 0; o < len; o += 4096)
		if (*(const volatile uint64_t *)((const char *)p + o) !=
		    ktest_vfio_stamp_value(bar_off + o, seed))
			bad++;
	return bad;
}

void *ktest_free_range(size_t len, size_t align, size_t skew)
{
	char *r = mmap(NULL, len + 2 * align, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uintptr_t a;

	if (r == MAP_FAILED)
		return NULL;
	a = (((uintptr_t)r + align - 1) & ~(uintptr_t)(align - 1)) + skew;
	munmap(r, len + 2 * align);
	return (void *)a;
}
