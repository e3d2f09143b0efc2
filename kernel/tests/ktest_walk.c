// SPDX-License-Identifier: MIT
/* User side of the observe patch's /sys/kernel/debug/hugepfn_walk. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ktest_walk.h"

#define KW_PATH "/sys/kernel/debug/hugepfn_walk"

static const char *const level_names[] = { "pud", "pmd", "pte", "none" };
static const char *const kind_names[] = { "normal", "special", "devmap", "none" };

const char *ktest_walk_level_name(int level)
{
	return level >= 0 && level <= KW_NONE ? level_names[level] : "?";
}

const char *ktest_walk_kind_name(int kind)
{
	return kind >= 0 && kind <= KW_KIND_NONE ? kind_names[kind] : "?";
}

static int lookup(const char *const *names, int n, const char *s)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

/* Writes one command and reads the whole answer into buf. */
static int kw_query(const char *cmd, char *buf, size_t size)
{
	ssize_t n, got = 0;
	int fd, err;

	fd = open(KW_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd)) {
		err = -errno;
		close(fd);
		return err ? err : -EIO;
	}
	while ((size_t)got < size - 1) {
		n = pread(fd, buf + got, size - 1 - got, got);
		if (n < 0) {
			err = -errno;
			close(fd);
			return err;
		}
		if (!n)
			break;
		got += n;
	}
	buf[got] = '\0';
	close(fd);
	return 0;
}

int ktest_walk_command(const char *cmd)
{
	char buf[256];

	return kw_query(cmd, buf, sizeof(buf));
}

int ktest_walk_range(const void *start, size_t len, struct ktest_counts *c)
{
	char cmd[64], buf[256], name[8];
	const char *p = buf;
	int ret, i, lvl, used;
	long v[3];

	memset(c, 0, sizeof(*c));
	snprintf(cmd, sizeof(cmd), "range %" PRIxPTR " %" PRIxPTR,
		 (uintptr_t)start, (uintptr_t)start + len);
	ret = kw_query(cmd, buf, sizeof(buf));
	if (ret)
		return ret;
	for (i = 0; i < 3; i++) {
		if (sscanf(p, "%7s %ld %ld %ld\n%n", name, &v[0], &v[1], &v[2],
			   &used) != 4)
			return -EPROTO;
		lvl = lookup(level_names, 3, name);
		if (lvl < 0)
			return -EPROTO;
		memcpy(c->n[lvl], v, sizeof(v));
		p += used;
	}
	return 0;
}

int ktest_walk_addr(const void *addr, int *level, int *kind, uint64_t *raw)
{
	char cmd[64], buf[128], lname[8], kname[8];
	int ret;

	snprintf(cmd, sizeof(cmd), "addr %" PRIxPTR, (uintptr_t)addr);
	ret = kw_query(cmd, buf, sizeof(buf));
	if (ret)
		return ret;
	if (sscanf(buf, "%7s %7s %" SCNx64, lname, kname, raw) != 3)
		return -EPROTO;
	*level = lookup(level_names, 4, lname);
	*kind = lookup(kind_names, 4, kname);
	if (*level < 0 || *kind < 0)
		return -EPROTO;
	return 0;
}

long ktest_counts_level(const struct ktest_counts *c, int level)
{
	return c->n[level][0] + c->n[level][1] + c->n[level][2];
}

void ktest_print_counts(const char *what, const struct ktest_counts *c)
{
	printf("hugepfn-info: %s: pud %ld/%ld/%ld pmd %ld/%ld/%ld pte %ld/%ld/%ld (normal/special/devmap)\n",
	       what, c->n[0][0], c->n[0][1], c->n[0][2], c->n[1][0], c->n[1][1],
	       c->n[1][2], c->n[2][0], c->n[2][1], c->n[2][2]);
	fflush(stdout);
}

uint64_t ktest_entry_phys(uint64_t raw, int level)
{
	static const int shift[] = { 30, 21, 12 };
	uint64_t mask;

	if (level < KW_PUD || level > KW_PTE)
		return 0;
	mask = ((1ULL << 52) - 1) & ~((1ULL << shift[level]) - 1);
	return raw & mask;
}
