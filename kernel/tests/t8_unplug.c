// SPDX-License-Identifier: MIT
/*
 * Test 8: device removal while a process faults on a huge mapping.
 *
 * drm_dev_unplug() marks the device gone, waits for SRCU, unregisters it
 * and only then zaps every CPU mapping. A TTM fault in between finds the
 * device gone and maps the dummy page over the whole VMA with PTEs, while
 * the first 2 MiB block of that VMA may still be mapped by a huge PMD:
 * with CONFIG_DEBUG_VM that is a BUG in walk_to_pmd(), without it the
 * fault returns VM_FAULT_OOM.
 *
 * A child maps a 3 MiB VRAM buffer again and again, touching its first
 * block (one PMD with the series) and then its 1 MiB tail (PTE faults),
 * while the parent unbinds bochs through sysfs. The child must end
 * normally once mmap() fails, every fault must succeed (the tail reads
 * the dummy page once the device is gone), and afterwards an old mapping
 * must read zeros from the dummy page over its whole range. The host
 * checks the kernel log for the BUG. Run last: the device is gone after.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktest.h"

#define TAIL_STEP	(64UL << 10)	/* TTM prefaults 16 pages per fault */

struct faulter {
	volatile long iterations;	/* mappings faulted completely */
	volatile long dummy_reads;	/* tail reads that saw the dummy page */
	volatile int mmap_errno;	/* why the last mmap() failed */
};

static struct faulter *shared;
static struct kt_dev d;
static struct kt_bo bo;

/* Maps the buffer until the device is gone; each mapping starts huge. */
static int fault_until_unplugged(void *arg)
{
	unsigned long off;
	volatile char *q;

	(void)arg;
	for (;;) {
		q = mmap(NULL, bo.size, PROT_READ, MAP_SHARED, d.fd, bo.offset);
		if (q == MAP_FAILED) {
			shared->mmap_errno = errno;
			return 0;
		}
		(void)q[0];
		for (off = KT_2M; off < bo.size; off += TAIL_STEP)
			if (!q[off])
				shared->dummy_reads++;
		munmap((void *)q, bo.size);
		shared->iterations++;
	}
}

/*
 * Reads an old mapping after the removal: zeros from the dummy page,
 * which must then map the whole VMA with PTEs. Returns 0 if so, 1 if some
 * page is not zero, 2 if the VMA is not mapped by PTEs all over.
 */
static char *old_map;

static int read_old_mapping(void *arg)
{
	size_t i, nonzero = 0;
	struct kt_levels lv;

	(void)arg;
	for (i = 0; i < bo.size; i += KT_4K)
		nonzero += old_map[i] != 0;
	kt_ptdump(old_map, bo.size, &lv);
	kt_print_levels("t8 old mapping after removal", &lv);
	if (nonzero)
		return 1;
	return lv.pte == bo.size ? 0 : 2;
}

static int unbind_device(void)
{
	char link[256], path[320];
	ssize_t n;
	int fd, ret;

	n = readlink("/sys/class/drm/card0/device", link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	fd = open("/sys/class/drm/card0/device/driver/unbind", O_WRONLY);
	if (fd < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s", basename(link));
	ret = write(fd, path, strlen(path)) < 0 ? -errno : 0;
	close(fd);
	kt_info("t8 unbound %s: %s", path, ret ? strerror(-ret) : "ok");
	return ret;
}

int main(int argc, char **argv)
{
	int waited, status = -1, unbind, old_rc;
	struct kt_levels lv;
	long hung = 0;
	struct kt_args a;
	pid_t pid;
	int pass;

	kt_parse_args(argc, argv, &a);
	shared = mmap(NULL, KT_4K, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED || kt_open(&d) ||
	    kt_bo_create(&d, &bo, 1024, 768) || kt_place_in_vram(&d, &bo))
		return kt_result("t8-unplug", 0, "setup=failed");
	old_map = kt_map(&d, &bo, NULL);
	if (!old_map)
		return kt_result("t8-unplug", 0, "mmap=failed");
	memset(old_map, 0xa5, bo.size);
	kt_ptdump(old_map, bo.size, &lv);
	kt_print_levels("t8 before removal", &lv);

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(fault_until_unplugged(NULL));
	for (waited = 0; shared->iterations < 10 && waited < 10000; waited += 10)
		usleep(10000);
	unbind = unbind_device();

	for (waited = 0; waited < 20000; waited += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		usleep(10000);
	}
	if (waited >= 20000) {
		kill(pid, SIGKILL);
		status = -1;
	}

	old_rc = kt_run_bounded(read_old_mapping, NULL, 10000, &hung);

	pass = !unbind && status == 0 && shared->iterations >= 10 &&
	       shared->mmap_errno == ENODEV && old_rc == 0;
	kt_result("t8-unplug", pass,
		  "kernel=%s unbind=%s faulter=%s iterations=%ld dummy_tail_reads=%ld last_mmap=%s old_mapping=%s",
		  a.kernel, unbind ? strerror(-unbind) : "ok",
		  status == -1 ? "stuck" :
		  WIFEXITED(status) ? (WEXITSTATUS(status) ? "failed" : "ok") :
		  strsignal(WTERMSIG(status)),
		  shared->iterations, shared->dummy_reads,
		  shared->mmap_errno ? strerror(shared->mmap_errno) : "-",
		  old_rc == 0 ? "dummy-pte" : old_rc < 0 ? "stuck" :
		  old_rc > 255 ? strsignal(old_rc - 256) :
		  old_rc == 1 ? "not-zero" : "not-all-pte");
	return !pass;
}
