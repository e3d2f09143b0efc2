// SPDX-License-Identifier: MIT
/* Helpers shared by the in-VM tests: DRM set-up, ptdump, GUP probes. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/io_uring.h>

#include <drm/drm.h>
#include <drm/drm_fourcc.h>
#include <drm/drm_mode.h>

#include "ktest.h"
#include "gup_test.h"

_Static_assert(sizeof(struct drm_mode_modeinfo) <= sizeof(((struct kt_dev *)0)->mode),
	       "mode buffer too small");

void kt_parse_args(int argc, char **argv, struct kt_args *a)
{
	a->expect = KT_EXPECT_PTE;
	a->kernel = "unknown";
	if (argc > 1 && !strcmp(argv[1], "huge"))
		a->expect = KT_EXPECT_HUGE;
	if (argc > 2)
		a->kernel = argv[2];
}

void kt_info(const char *fmt, ...)
{
	va_list ap;

	fputs("hugepfn-info: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

int kt_result(const char *name, int pass, const char *fmt, ...)
{
	va_list ap;

	printf("hugepfn-test: %s %s ", name, pass ? "PASS" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	return !pass;
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));
	return ret == -1 ? -errno : 0;
}

/* The modes of the connector; NULL on error. The caller frees them. */
static struct drm_mode_modeinfo *kt_get_modes(struct kt_dev *d,
					      unsigned int *count)
{
	struct drm_mode_get_connector conn = { 0 };
	struct drm_mode_modeinfo *modes;
	int ret;

	/* The first call probes the connector and counts its modes. */
	conn.connector_id = d->connector;
	ret = xioctl(d->fd, DRM_IOCTL_MODE_GETCONNECTOR, &conn);
	if (ret || !conn.count_modes) {
		kt_info("GETCONNECTOR: %d, %u modes", ret, conn.count_modes);
		return NULL;
	}
	modes = calloc(conn.count_modes, sizeof(*modes));
	if (!modes)
		return NULL;
	conn.modes_ptr = (uintptr_t)modes;
	conn.count_props = 0;
	conn.count_encoders = 0;
	ret = xioctl(d->fd, DRM_IOCTL_MODE_GETCONNECTOR, &conn);
	if (ret) {
		kt_info("GETCONNECTOR: %d", ret);
		free(modes);
		return NULL;
	}
	*count = conn.count_modes;
	return modes;
}

int kt_open(struct kt_dev *d)
{
	struct drm_mode_card_res res = { 0 };
	uint32_t crtcs[8], conns[8], encs[8], fbs[8];
	struct drm_mode_modeinfo *modes;
	unsigned int i, count, pick = 0;
	int ret;

	memset(d, 0, sizeof(*d));
	d->fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		kt_info("open /dev/dri/card0: %s", strerror(errno));
		return -errno;
	}

	res.crtc_id_ptr = (uintptr_t)crtcs;
	res.connector_id_ptr = (uintptr_t)conns;
	res.encoder_id_ptr = (uintptr_t)encs;
	res.fb_id_ptr = (uintptr_t)fbs;
	res.count_crtcs = 8;
	res.count_connectors = 8;
	res.count_encoders = 8;
	res.count_fbs = 8;
	ret = xioctl(d->fd, DRM_IOCTL_MODE_GETRESOURCES, &res);
	if (ret || !res.count_crtcs || !res.count_connectors) {
		kt_info("GETRESOURCES: %d crtcs %u connectors %u", ret,
			res.count_crtcs, res.count_connectors);
		return ret ? ret : -ENODEV;
	}
	d->crtc = crtcs[0];
	d->connector = conns[0];

	modes = kt_get_modes(d, &count);
	if (!modes)
		return -ENODEV;
	/*
	 * Take the smallest mode, so that every buffer the tests scan out
	 * (to pin it into VRAM) covers the display.
	 */
	for (i = 1; i < count; i++)
		if ((unsigned long)modes[i].hdisplay * modes[i].vdisplay <
		    (unsigned long)modes[pick].hdisplay * modes[pick].vdisplay)
			pick = i;
	kt_info("display mode %ux%u", modes[pick].hdisplay,
		modes[pick].vdisplay);
	memcpy(d->mode, &modes[pick], sizeof(modes[pick]));
	d->have_mode = 1;
	free(modes);
	return 0;
}

int kt_use_mode(struct kt_dev *d, unsigned int w, unsigned int h)
{
	struct drm_mode_modeinfo *modes;
	unsigned int i, count;

	modes = kt_get_modes(d, &count);
	if (!modes)
		return -ENODEV;
	for (i = 0; i < count; i++)
		if (modes[i].hdisplay == w && modes[i].vdisplay == h)
			break;
	if (i == count) {
		kt_info("no %ux%u mode among %u", w, h, count);
		free(modes);
		return -ENOENT;
	}
	memcpy(d->mode, &modes[i], sizeof(modes[i]));
	free(modes);
	return 0;
}

int kt_dumb_create(struct kt_dev *d, struct kt_bo *bo, uint32_t width,
		   uint32_t height)
{
	struct drm_mode_create_dumb create = { 0 };
	struct drm_mode_map_dumb map = { 0 };
	int ret;

	memset(bo, 0, sizeof(*bo));
	create.width = width;
	create.height = height;
	create.bpp = 32;
	ret = xioctl(d->fd, DRM_IOCTL_MODE_CREATE_DUMB, &create);
	if (ret) {
		kt_info("CREATE_DUMB %ux%u: %s", width, height, strerror(-ret));
		return ret;
	}
	bo->handle = create.handle;
	bo->pitch = create.pitch;
	bo->size = create.size;

	map.handle = bo->handle;
	ret = xioctl(d->fd, DRM_IOCTL_MODE_MAP_DUMB, &map);
	if (ret) {
		kt_info("MAP_DUMB: %s", strerror(-ret));
		return ret;
	}
	bo->offset = map.offset;
	return 0;
}

int kt_bo_create(struct kt_dev *d, struct kt_bo *bo, uint32_t width,
		 uint32_t height)
{
	struct drm_mode_fb_cmd2 fb = { 0 };
	int ret;

	ret = kt_dumb_create(d, bo, width, height);
	if (ret)
		return ret;
	fb.width = width;
	fb.height = height;
	fb.pixel_format = DRM_FORMAT_XRGB8888;
	fb.handles[0] = bo->handle;
	fb.pitches[0] = bo->pitch;
	ret = xioctl(d->fd, DRM_IOCTL_MODE_ADDFB2, &fb);
	if (ret) {
		kt_info("ADDFB2: %s", strerror(-ret));
		return ret;
	}
	bo->fb = fb.fb_id;
	return 0;
}

void kt_bo_destroy(struct kt_dev *d, struct kt_bo *bo)
{
	struct drm_mode_destroy_dumb destroy = { .handle = bo->handle };

	if (bo->fb)
		xioctl(d->fd, DRM_IOCTL_MODE_RMFB, &bo->fb);
	xioctl(d->fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	memset(bo, 0, sizeof(*bo));
}

int kt_scanout(struct kt_dev *d, struct kt_bo *bo)
{
	struct drm_mode_crtc crtc = { 0 };
	uint32_t connector = d->connector;
	int ret;

	crtc.crtc_id = d->crtc;
	if (bo) {
		crtc.fb_id = bo->fb;
		crtc.set_connectors_ptr = (uintptr_t)&connector;
		crtc.count_connectors = 1;
		memcpy(&crtc.mode, d->mode, sizeof(crtc.mode));
		crtc.mode_valid = 1;
	}
	ret = xioctl(d->fd, DRM_IOCTL_MODE_SETCRTC, &crtc);
	if (ret)
		kt_info("SETCRTC fb %u (%llu KiB): %s", bo ? bo->fb : 0,
			bo ? (unsigned long long)bo->size >> 10 : 0ULL,
			strerror(-ret));
	return ret;
}

int kt_page_flip(struct kt_dev *d, struct kt_bo *bo)
{
	struct drm_mode_crtc_page_flip flip = {
		.crtc_id = d->crtc,
		.fb_id = bo->fb,
	};
	int ret, tries;

	/* A flip still pending from the last call answers -EBUSY. */
	for (tries = 0; tries < 100; tries++) {
		ret = xioctl(d->fd, DRM_IOCTL_MODE_PAGE_FLIP, &flip);
		if (ret != -EBUSY)
			break;
		usleep(10000);
	}
	if (ret)
		kt_info("PAGE_FLIP fb %u (%llu KiB): %s", bo->fb,
			(unsigned long long)bo->size >> 10, strerror(-ret));
	return ret;
}

int kt_place_in_vram(struct kt_dev *d, struct kt_bo *bo)
{
	int ret = kt_scanout(d, bo);

	/*
	 * Scan-out pins the BO into VRAM; switching the display off unpins it
	 * and TTM leaves it where it is until it needs the space.
	 */
	if (!ret)
		ret = kt_scanout(d, NULL);
	return ret;
}

void *kt_map(struct kt_dev *d, struct kt_bo *bo, void *fixed_addr)
{
	void *p;

	p = mmap(fixed_addr, bo->size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | (fixed_addr ? MAP_FIXED : 0), d->fd, bo->offset);
	if (p == MAP_FAILED) {
		kt_info("mmap: %s", strerror(errno));
		return NULL;
	}
	return p;
}

/*
 * Lines of /sys/kernel/debug/page_tables/current_kernel look like
 *   0x00007f...000-0x00007f...000   16M  USR RW PWT PCD PSE  ...  NX pmd
 * with a run of equal entries merged into one line and the level last.
 */
int kt_ptdump(const void *addr, size_t len, struct kt_levels *lv)
{
	unsigned long lo = (unsigned long)addr, hi = lo + len;
	unsigned long covered = 0;
	char line[512];
	int shown = 0;
	FILE *f;

	memset(lv, 0, sizeof(*lv));
	f = fopen("/sys/kernel/debug/page_tables/current_kernel", "r");
	if (!f) {
		kt_info("ptdump: %s", strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e, from, to, n;
		char *level;
		int present;

		if (sscanf(line, "0x%lx-0x%lx", &s, &e) != 2)
			continue;
		if (e <= lo || s >= hi)
			continue;
		from = s > lo ? s : lo;
		to = e < hi ? e : hi;
		n = to - from;
		covered += n;

		line[strcspn(line, "\n")] = 0;
		level = strrchr(line, ' ');
		level = level ? level + 1 : line;
		present = strstr(line, " RW ") || strstr(line, " ro ");
		if (strstr(line, " ro "))
			lv->ro += n;
		if (!present)
			lv->none += n;
		else if (!strcmp(level, "pte"))
			lv->pte += n;
		else if (!strcmp(level, "pmd"))
			lv->pmd += n;
		else if (!strcmp(level, "pud"))
			lv->pud += n;
		else
			lv->none += n;
		if (shown++ < 4)
			kt_info("ptdump: %s", line);
		if (present) {
			if (strstr(line, " PWT ") || strstr(line, " PCD "))
				lv->uncached = 1;
			else
				lv->cached = 1;
		}
	}
	fclose(f);
	/* Ranges that ptdump never printed are unmapped too. */
	if (covered < len)
		lv->none += len - covered;
	return 0;
}

const char *kt_entry_name(const struct kt_levels *lv)
{
	if (lv->pud)
		return lv->ro ? "pud-ro" : "pud-rw";
	if (lv->pmd)
		return lv->ro ? "pmd-ro" : "pmd-rw";
	if (lv->pte)
		return lv->ro ? "pte-ro" : "pte-rw";
	return "none";
}

void kt_print_levels(const char *what, const struct kt_levels *lv)
{
	kt_info("%s: pud=%lu pmd=%lu pte=%lu unmapped=%luK caching=%s",
		what, lv->pud / KT_1G, lv->pmd / KT_2M, lv->pte / KT_4K,
		lv->none / 1024,
		lv->uncached ? (lv->cached ? "mixed" : "wc/uc") :
			       (lv->cached ? "wb" : "none"));
}

long kt_minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

long kt_minflt_of(int pid)
{
	char path[64], buf[1024], *s;
	long minflt = -1;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	/* Field 10; the command name (field 2) ends with the last ')'. */
	if (fgets(buf, sizeof(buf), f) && (s = strrchr(buf, ')'))) {
		for (i = 2; s && i < 10; i++)
			s = strchr(s + 1, ' ');
		if (s)
			minflt = strtol(s + 1, NULL, 10);
	}
	fclose(f);
	return minflt;
}

int kt_run_bounded(int (*fn)(void *), void *arg, int timeout_ms,
		   long *faults)
{
	int status, waited;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	for (waited = 0; waited < timeout_ms; waited += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) :
						   256 + WTERMSIG(status);
		usleep(10000);
	}
	*faults = kt_minflt_of(pid);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

int kt_exited_ok(int status)
{
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

const char *kt_pin_child_outcome(const char *who, int status)
{
	if (WIFSIGNALED(status)) {
		kt_info("%s child killed by signal %d", who, WTERMSIG(status));
		return "killed";
	}
	kt_info("%s child exited with %d", who, WEXITSTATUS(status));
	return WEXITSTATUS(status) == 0 ? "pinned-nothing" : "pinned-pages";
}

static inline uint64_t kt_word(uint64_t seed, size_t i)
{
	uint64_t x = seed ^ (i * 0x9e3779b97f4a7c15ULL);

	x ^= x >> 31;
	return x * 0xbf58476d1ce4e5b9ULL;
}

void kt_fill(void *p, size_t len, uint64_t seed)
{
	volatile uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = kt_word(seed, i);
}

size_t kt_check_range(const void *base, size_t off, size_t len,
		      uint64_t seed)
{
	const volatile uint64_t *w = base;
	size_t i, bad = 0;

	for (i = off / 8; i < (off + len) / 8; i++)
		if (w[i] != kt_word(seed, i))
			bad++;
	return bad;
}

size_t kt_check(const void *p, size_t len, uint64_t seed)
{
	return kt_check_range(p, 0, len, seed);
}

int kt_gup_test(unsigned long cmd, void *addr, size_t len, int write,
		uint64_t *pinned)
{
	struct gup_test gup = { 0 };
	int fd, ret;

	*pinned = 0;
	fd = open("/sys/kernel/debug/gup_test", O_RDWR);
	if (fd < 0) {
		kt_info("open gup_test: %s", strerror(errno));
		return -errno;
	}
	gup.addr = (uintptr_t)addr;
	gup.size = len;
	gup.nr_pages_per_call = 512;
	gup.gup_flags = write ? 1 /* FOLL_WRITE */ : 0;
	ret = ioctl(fd, cmd, &gup) ? -errno : 0;
	close(fd);
	/* gup_test reports how far it got in .size. */
	if (!ret)
		*pinned = gup.size;
	return ret;
}

int kt_iouring_register(void *addr, size_t len)
{
	struct io_uring_params params = { 0 };
	struct iovec iov = { .iov_base = addr, .iov_len = len };
	int ring, ret;

	ring = syscall(__NR_io_uring_setup, 4, &params);
	if (ring < 0) {
		kt_info("io_uring_setup: %s", strerror(errno));
		return -errno;
	}
	ret = syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS,
		      &iov, 1);
	ret = ret < 0 ? -errno : 0;
	close(ring);
	return ret;
}

long kt_odirect_read(void *addr, size_t len)
{
	long n;
	int fd;

	fd = open("/dev/ram0", O_RDONLY | O_DIRECT);
	if (fd < 0) {
		kt_info("open /dev/ram0: %s", strerror(errno));
		return -errno;
	}
	n = read(fd, addr, len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n;
}

void kt_dump_vram_mm(void)
{
	char line[256];
	FILE *f;

	f = fopen("/sys/kernel/debug/dri/0/vram-mm", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		kt_info("vram-mm: %s", line);
	}
	fclose(f);
}

static inline uint64_t kt_stamp_word(uint64_t seed, size_t page)
{
	return kt_word(seed ^ 0x5eed, page) | 1;
}

/* The word of a page sits at an offset that moves with the page number. */
static inline size_t kt_stamp_slot(size_t page)
{
	return (page * 8 * 37) % KT_4K / 8;
}

void kt_stamp(void *p, size_t len, uint64_t seed)
{
	size_t i;

	for (i = 0; i < len / KT_4K; i++)
		((volatile uint64_t *)((char *)p + i * KT_4K))[kt_stamp_slot(i)] =
			kt_stamp_word(seed, i);
}

size_t kt_check_stamps_range(const void *base, size_t off, size_t len,
			     uint64_t seed)
{
	size_t i, bad = 0;

	for (i = off / KT_4K; i < (off + len) / KT_4K; i++)
		if (((const volatile uint64_t *)((const char *)base +
						 i * KT_4K))[kt_stamp_slot(i)] !=
		    kt_stamp_word(seed, i))
			bad++;
	return bad;
}

size_t kt_check_stamps(const void *p, size_t len, uint64_t seed)
{
	return kt_check_stamps_range(p, 0, len, seed);
}

int kt_walk_leaves(const void *p, size_t len, long n[3])
{
	static const char *const level[3] = { "pud", "pmd", "pte" };
	long normal, special, devmap;
	char line[128], name[8];
	FILE *f;
	int i;

	for (i = 0; i < 3; i++)
		n[i] = -1;
	f = fopen("/sys/kernel/debug/hugepfn_walk", "r+");
	if (!f)
		return -ENOENT;
	fprintf(f, "range %lx %lx\n", (unsigned long)p,
		(unsigned long)p + len);
	fflush(f);
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%7s %ld %ld %ld", name, &normal, &special,
			   &devmap) != 4)
			continue;
		for (i = 0; i < 3; i++)
			if (!strcmp(name, level[i]))
				n[i] = normal + special + devmap;
	}
	fclose(f);
	return 0;
}

long kt_vmpte_bytes(void)
{
	char line[128];
	long kib = -1;
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPTE: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib < 0 ? -1 : kib * 1024;
}

void *kt_reserve_at(size_t len, size_t align, size_t skew)
{
	uintptr_t start;
	char *p;

	p = mmap(NULL, len + 2 * align, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		kt_info("reserve %zu MiB: %s", len >> 20, strerror(errno));
		return NULL;
	}
	start = ((uintptr_t)p + align - 1) / align * align + skew;
	return (void *)start;
}

/* The whole kernel log (SYSLOG_ACTION_READ_ALL), NUL-terminated, or NULL. */
static char *klog_read(void)
{
	static char buf[1 << 20];
	int n;

	n = klogctl(3, buf, sizeof(buf) - 1);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

int kt_klog_count(const char *needle)
{
	char *s = klog_read();
	int count = 0;

	if (!s)
		return -1;
	for (; (s = strstr(s, needle)); s++)
		count++;
	return count;
}

void kt_klog_print(const char *needle, int skip)
{
	char *buf = klog_read(), *line, *save;
	int seen = 0;

	if (!buf)
		return;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strstr(line, needle) && seen++ >= skip)
			kt_info("kernel log: %s", line);
}

int kt_klog_find(const char *needle, char *out, size_t size)
{
	char *buf = klog_read(), *s, *end;
	size_t n;

	if (!buf || !(s = strstr(buf, needle)))
		return -ENOENT;
	s += strlen(needle);
	end = strchrnul(s, '\n');
	n = (size_t)(end - s) < size - 1 ? (size_t)(end - s) : size - 1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static sigjmp_buf segv_jmp;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(segv_jmp, 1);
}

int kt_faults_at(const void *addr, uint64_t *val)
{
	struct sigaction sa = { .sa_handler = on_segv }, old;
	int faulted;

	sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(segv_jmp, 1)) {
		faulted = 1;
	} else {
		*val = *(const volatile uint64_t *)addr;
		faulted = 0;
	}
	sigaction(SIGSEGV, &old, NULL);
	return faulted;
}
