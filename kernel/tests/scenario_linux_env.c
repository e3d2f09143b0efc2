// SPDX-License-Identifier: MIT
/* The devices of the Linux backend (scenario_linux.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scenario_linux.h"

#define LX_2M	(2ULL << 20)
#define LX_1G	(1ULL << 30)

/* The device DAX instance the guest's init made, and its size (sysfs, in bytes). */
static void dax_open(struct lx_env *env)
{
	FILE *f = fopen("/sys/bus/dax/devices/" LX_DAX_DEV "/size", "r");
	unsigned long long size = 0;

	env->dax_fd = -1;
	if (!f || fscanf(f, "%llu", &size) != 1 || !size) {
		snprintf(env->dax_why, sizeof(env->dax_why),
			 "no device DAX %s (ZONE_DEVICE memory) in this guest", LX_DAX_DEV);
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	env->dax_fd = open("/dev/" LX_DAX_DEV, O_RDWR);
	if (env->dax_fd < 0)
		snprintf(env->dax_why, sizeof(env->dax_why), "cannot open /dev/%s: %s",
			 LX_DAX_DEV, strerror(errno));
	else
		env->dax_size = size;
}

void lx_env_open(struct lx_env *env)
{
	memset(env, 0, sizeof(*env));
	dax_open(env);
#ifdef HAVE_KTEST_VFIO
	if (ktest_vfio_open(&env->vfio, LX_BAR_BDF, LX_BAR_INDEX))
		snprintf(env->bar_why, sizeof(env->bar_why), "no vfio BAR at %s (BAR%d)",
			 LX_BAR_BDF, LX_BAR_INDEX);
	else
		env->bar_ok = true;
#else
	snprintf(env->bar_why, sizeof(env->bar_why), "built without ktest_vfio (no vfio BAR)");
#endif
#ifdef HAVE_KTEST_HPVRAM
	if (kt_hpvram_open(&env->drm)) {
		snprintf(env->bo_why, sizeof(env->bo_why), "no hpvram TTM device at %s",
			 KT_HPVRAM_PCI);
	} else {
		/* Its VRAM: the size of the PCI BAR it drives. */
		unsigned long long lo, hi;
		FILE *f = fopen("/sys/bus/pci/devices/" KT_HPVRAM_PCI "/resource", "r");
		char line[128];

		for (int i = 0; f && fgets(line, sizeof(line), f); i++)
			if (i == 2 && sscanf(line, "%llx %llx", &lo, &hi) == 2 && hi > lo)
				env->vram_size = hi - lo + 1;
		if (f)
			fclose(f);
		env->bo_ok = env->vram_size > 0;
		if (!env->bo_ok)
			snprintf(env->bo_why, sizeof(env->bo_why), "no size for hpvram's BAR 2");
	}
#else
	snprintf(env->bo_why, sizeof(env->bo_why), "built without ktest_hpvram (no TTM device)");
#endif
}

void lx_env_close(struct lx_env *env)
{
#ifdef HAVE_KTEST_VFIO
	if (env->bar_ok)
		ktest_vfio_close(&env->vfio);
#endif
	if (env->dax_fd >= 0)
		close(env->dax_fd);
#ifdef HAVE_KTEST_HPVRAM
	if (env->drm.fd >= 0)
		close(env->drm.fd);
#endif
	free(env->window);
	env->window = NULL;
}

int lx_bo_fd(const struct lx_env *env)
{
#ifdef HAVE_KTEST_HPVRAM
	return env->bo_ok ? env->drm.fd : -1;
#else
	(void)env;
	return -1;
#endif
}

const char *lx_bo_why(const struct lx_env *env)
{
	return env->bo_why;
}

/*
 * The model makes a new BAR, 1 GiB aligned, for every bar line; here they
 * share the one BAR, each in a window of its own so that no data aliases:
 * 1 GiB aligned for a window of 1 GiB or more (PUD entries need it), else
 * 2 MiB aligned, which is all a PMD needs.  Zone-device bars share the DAX
 * device the same way.
 */
void lx_bar_plan(struct lx_env *env, const struct sc_script *s)
{
	uint64_t next[2] = { 0, 0 }, size[2] = { 0, env->dax_size };

	free(env->window);
	env->window = calloc(s->nlines, sizeof(*env->window));
	env->nwindows = env->window ? s->nlines : 0;
#ifdef HAVE_KTEST_VFIO
	size[0] = env->bar_ok ? env->vfio.bar_size : 0;
#endif
	for (int i = 0; i < env->nwindows; i++) {
		const struct sc_line *l = &s->lines[i];
		uint64_t len, offset, align;
		int dev;

		env->window[i] = (uint64_t)-1;
		if (l->cmd != SC_BAR)
			continue;
		dev = sc_flag(l, SC_F_ZONE_DEVICE);
		len = sc_size_arg(l, 2);
		offset = l->opt[SC_O_OFFSET].size;
		align = len + offset >= LX_1G ? LX_1G : LX_2M;
		next[dev] = (next[dev] + align - 1) & ~(align - 1);
		if (next[dev] + offset + len > size[dev])
			continue;
		env->window[i] = next[dev];
		next[dev] += offset + len;
	}
}

bool lx_bar_ready(const struct lx_env *env, bool zone)
{
	return zone ? env->dax_fd >= 0 : env->bar_ok;
}

const char *lx_bar_why(const struct lx_env *env, bool zone)
{
	return zone ? env->dax_why : env->bar_why;
}

uint64_t lx_bar_window(const struct lx_env *env, int idx)
{
	return idx < env->nwindows ? env->window[idx] : (uint64_t)-1;
}

/*
 * The region of the BAR as vfio users map it: from the device fd at the
 * region's offset; device DAX from its own character device.
 */
void *lx_bar_mmap(struct lx_env *env, bool zone, size_t len, uint64_t off, void *hint, int prot,
		  int flags)
{
	if (zone)
		return mmap(hint, len, prot, flags, env->dax_fd, (off_t)off);
#ifdef HAVE_KTEST_VFIO
	return mmap(hint, len, prot, flags, env->vfio.device, (off_t)(env->vfio.bar_offset + off));
#else
	(void)env; (void)len; (void)off; (void)hint; (void)prot; (void)flags;
	errno = ENODEV;
	return MAP_FAILED;
#endif
}

#ifdef HAVE_KTEST_WALK
bool lx_walk_ready(void)
{
	return access("/sys/kernel/debug/hugepfn_walk", R_OK | W_OK) == 0;
}

const char *lx_walk_why(void)
{
	return "this kernel has no /sys/kernel/debug/hugepfn_walk";
}
#else
bool lx_walk_ready(void)
{
	return false;
}

const char *lx_walk_why(void)
{
	return "built without ktest_walk (no hugepfn_walk)";
}

int ktest_walk_range(const void *start, size_t len, struct ktest_counts *c)
{
	(void)start; (void)len; (void)c;
	return -ENOSYS;
}

int ktest_walk_addr(const void *addr, int *level, int *kind, uint64_t *raw)
{
	(void)addr; (void)level; (void)kind; (void)raw;
	return -ENOSYS;
}
#endif
