// SPDX-License-Identifier: MIT
/* Helpers for the tests on hpvram, the test-only 2 GiB TTM VRAM device. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <drm/drm.h>

#include "ktest_hpvram.h"

/* As in drivers/gpu/drm/tiny/hpvram.c. */
struct drm_hpvram_place {
	uint32_t handle;
	uint32_t flags;
	int64_t vram_offset;
};

#define DRM_IOCTL_HPVRAM_PLACE \
	DRM_IOWR(DRM_COMMAND_BASE + 0x00, struct drm_hpvram_place)
#define DRM_IOCTL_HPVRAM_BO \
	DRM_IOWR(DRM_COMMAND_BASE + 0x01, struct kt_hpvram_bo)

int kt_hpvram_open(struct kt_dev *d)
{
	char link[PATH_MAX], path[PATH_MAX + 32], node[300];
	struct dirent *e;
	DIR *dir;
	ssize_t n;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	dir = opendir("/sys/class/drm");
	if (!dir) {
		kt_info("opendir /sys/class/drm: %s", strerror(errno));
		return -errno;
	}
	while ((e = readdir(dir))) {
		if (strncmp(e->d_name, "card", 4) || strchr(e->d_name, '-'))
			continue;
		snprintf(path, sizeof(path), "/sys/class/drm/%s/device",
			 e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = 0;
		if (strcmp(strrchr(link, '/') ? strrchr(link, '/') + 1 : link,
			   KT_HPVRAM_PCI))
			continue;
		snprintf(node, sizeof(node), "/dev/dri/%s", e->d_name);
		d->fd = open(node, O_RDWR | O_CLOEXEC);
		if (d->fd < 0)
			kt_info("open %s: %s", node, strerror(errno));
		break;
	}
	closedir(dir);
	if (d->fd < 0) {
		kt_info("no hpvram DRM device at %s", KT_HPVRAM_PCI);
		return -ENODEV;
	}
	return 0;
}

int kt_hpvram_bo(struct kt_dev *d, struct kt_bo *bo, unsigned int mib)
{
	return kt_dumb_create(d, bo, 4096, mib * 64);
}

int kt_hpvram_place(struct kt_dev *d, struct kt_bo *bo, unsigned int how,
		    int64_t *vram_offset)
{
	struct drm_hpvram_place place = {
		.handle = bo->handle,
		.flags = how,
	};
	int ret;

	do {
		ret = ioctl(d->fd, DRM_IOCTL_HPVRAM_PLACE, &place);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));
	if (ret) {
		ret = -errno;
		kt_info("HPVRAM_PLACE %u of %llu MiB: %s", how,
			(unsigned long long)bo->size >> 20, strerror(errno));
		return ret;
	}
	*vram_offset = place.vram_offset;
	return 0;
}

int kt_hpvram_bo_op(struct kt_dev *d, struct kt_hpvram_bo *a)
{
	int ret;

	do {
		ret = ioctl(d->fd, DRM_IOCTL_HPVRAM_BO, a);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));
	return ret ? -errno : 0;
}

void *kt_hpvram_vram_map(struct kt_dev *d, struct kt_bo *bo, unsigned int mib,
			 int64_t *vram_offset)
{
	if (kt_hpvram_bo(d, bo, mib) ||
	    kt_hpvram_place(d, bo, KT_HPVRAM_VRAM, vram_offset))
		return NULL;
	return kt_map(d, bo, NULL);
}
