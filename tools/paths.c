// SPDX-License-Identifier: MIT
/*
 * The command's companions are found from its own location (/proc/self/exe),
 * never from a path fixed at build time: an installed tree may move, and the
 * binaries hold no path of the build.  Installed, the scenarios are at
 * HP_SCENARIO_RELDIR from the command's directory and hugepfn-bench sits
 * beside it; uninstalled, the command is <build>/tools/hugepfn, beside
 * <build>/scenarios (copies the build makes) and <build>/bench.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"

#ifndef HP_SCENARIO_RELDIR
#define HP_SCENARIO_RELDIR "../share/hugepfn/scenarios"
#endif

static const char *const scenario_dirs[] = { HP_SCENARIO_RELDIR, "../scenarios" };
static const char *const bench_dirs[] = { ".", "../bench" };

/* The running executable's directory into dir; 0 or a negative errno. */
static int exe_dir(char *dir, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", dir, size);
	char *slash;

	if (n < 0)
		return -errno;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	return 0;
}

/*
 * The first dirs[i]/name that access() allows with mode; each dirs[i] is
 * relative to the executable's directory unless it is absolute.
 */
static int find_beside_exe(const char *const *dirs, size_t ndirs, const char *name,
			   int mode, char *out, size_t size)
{
	char dir[4096];
	int err = exe_dir(dir, sizeof(dir));

	if (err)
		return err;
	for (size_t i = 0; i < ndirs; i++) {
		int n = dirs[i][0] == '/' ? snprintf(out, size, "%s/%s", dirs[i], name)
					  : snprintf(out, size, "%s/%s/%s", dir, dirs[i], name);

		if (n < 0 || (size_t)n >= size)
			return -ENAMETOOLONG;
		if (!access(out, mode))
			return 0;
	}
	return -ENOENT;
}

int hp_find_scenario(const char *name, char *out, size_t size)
{
	return find_beside_exe(scenario_dirs, sizeof(scenario_dirs) / sizeof(scenario_dirs[0]),
			       name, R_OK, out, size);
}

int hp_find_bench(char *out, size_t size)
{
	return find_beside_exe(bench_dirs, sizeof(bench_dirs) / sizeof(bench_dirs[0]),
			       "hugepfn-bench", X_OK, out, size);
}
