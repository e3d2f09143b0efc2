// SPDX-License-Identifier: MIT
/*
 * The names a script makes, for the checker and the runner alike: a hash
 * table (FNV-1a, open addressing, at most half full) from a name to what
 * it names, so that a script of 100,000 objects costs what it holds.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static struct sc_name *slot_of(struct sc_name *slots, size_t cap, const char *name)
{
	size_t i = name_hash(name) & (cap - 1);

	while (slots[i].name && strcmp(slots[i].name, name))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int grow(struct sc_names *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	struct sc_name *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].name)
			*slot_of(slots, cap, t->slots[i].name) = t->slots[i];
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

struct sc_name *sc_names_find(const struct sc_names *t, const char *name)
{
	struct sc_name *s;

	if (!t->cap)
		return NULL;
	s = slot_of(t->slots, t->cap, name);
	return s->name ? s : NULL;
}

struct sc_name *sc_names_add(struct sc_names *t, const char *name, int kind, int index)
{
	struct sc_name *s;

	if ((t->used + 1) * 2 > t->cap && grow(t))
		return NULL;
	s = slot_of(t->slots, t->cap, name);
	if (s->name)
		return NULL;
	s->name = strdup(name);
	if (!s->name)
		return NULL;
	s->kind = kind;
	s->index = index;
	t->used++;
	return s;
}

void sc_names_free(struct sc_names *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->slots[i].name);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}
