// SPDX-License-Identifier: MIT
/* Numbers and sizes as every hugepfn program reads them. */
#include <errno.h>
#include <stdlib.h>

#include "size.h"

bool sc_parse_num(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (end == s || *end || errno)
		return false;
	*out = v;
	return true;
}

bool sc_parse_size(const char *s, uint64_t *out)
{
	unsigned int shift = 0;
	unsigned long long v;
	char *end;

	if (*s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (end == s || errno)
		return false;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	}
	if (*end || v > (~0ULL >> shift))
		return false;
	*out = v << shift;
	return true;
}
