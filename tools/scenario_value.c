// SPDX-License-Identifier: MIT
/*
 * Values of the scenario language: what a command returns and what an
 * expectation names (a number, -ERRNO or a word), as both backends print
 * them (the model, scenario_run.c; Linux, kernel/tests/scenario_linux.c).
 */
#include <errno.h>
#include <string.h>

#include "scenario.h"

static const struct { int err; const char *name; } errnos[] = {
	{ EFAULT, "EFAULT" }, { EINVAL, "EINVAL" }, { ENOMEM, "ENOMEM" }, { ENOSPC, "ENOSPC" },
	{ EBUSY, "EBUSY" }, { EEXIST, "EEXIST" }, { EOPNOTSUPP, "EOPNOTSUPP" },
	{ EACCES, "EACCES" }, { EOVERFLOW, "EOVERFLOW" }, { EAGAIN, "EAGAIN" },
	/* Only the Linux backend meets these. */
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EIO, "EIO" }, { ENXIO, "ENXIO" },
	{ ENODEV, "ENODEV" }, { EINTR, "EINTR" },
};

const char *sc_errno_name(long err)
{
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].err == -err)
			return errnos[i].name;
	return "E?";
}

struct sc_value sc_num(long n)
{
	return (struct sc_value){ .is_num = true, .num = n };
}

struct sc_value sc_word(const char *w)
{
	struct sc_value v = { .is_num = false };

	snprintf(v.word, sizeof(v.word), "%s", w);
	return v;
}

void sc_value_print(FILE *out, const struct sc_value *v)
{
	if (!v->is_num)
		fputs(v->word, out);
	else if (v->num < 0 && v->num > -4096)
		fprintf(out, "-%s", sc_errno_name(v->num));
	else
		fprintf(out, "%ld", v->num);
}

/* An expected value as written: a size, a number, -ERRNO, or a word. */
struct sc_value sc_parse_value(const char *s)
{
	uint64_t size;
	long n;

	if (sc_parse_size(s, &size))
		return sc_num((long)size);
	if (sc_parse_num(s, &n))
		return sc_num(n);
	if (s[0] == '-' && s[1] == 'E')
		for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
			if (!strcmp(s + 1, errnos[i].name))
				return sc_num(-errnos[i].err);
	return sc_word(s);
}

void sc_value_text(char *buf, size_t len, const struct sc_value *v)
{
	FILE *f = fmemopen(buf, len, "w");

	buf[0] = '\0';
	if (f) {
		sc_value_print(f, v);
		fclose(f);
	}
}

unsigned char sc_pattern_byte(long seed, uint64_t off)
{
	return (unsigned char)(seed * 251 + (off >> 12) * 7 + (off & 4095));
}

unsigned char sc_dma_byte(long seed)
{
	return (unsigned char)((seed * 37 + 11) & 0xff);
}
