// SPDX-License-Identifier: MIT
/*
 * hugepfn gup: what slow and fast GUP answer for one page behind each kind
 * of entry, under one policy.  Every reference taken is given back.  Exits 1
 * if a violation occurred (as under the plain policy).
 */
#include <errno.h>
#include <string.h>

#include "hugepfn.h"

struct gup_case {
	const char *name;
	unsigned long addr;
};

static const char *result(long r, char *buf, size_t len)
{
	if (r < 0)
		snprintf(buf, len, "-%s", strerrorname_np((int)-r));
	else
		snprintf(buf, len, "%ld", r);
	return buf;
}

/* Calls one GUP flavour for one page, reports, and drops what it took. */
static void try_one(FILE *out, struct mm_struct *mm, unsigned long addr, int how)
{
	struct page *page = NULL;
	char buf[32];
	long r;

	switch (how) {
	case 0: r = get_user_pages(mm, addr, 1, 0, &page); break;
	case 1: r = get_user_pages_fast(mm, addr, 1, 0, &page); break;
	case 2: r = pin_user_pages_fast(mm, addr, 1, FOLL_WRITE, &page); break;
	default: r = pin_user_pages_fast(mm, addr, 1, FOLL_WRITE | FOLL_LONGTERM, &page); break;
	}
	if (r == 1) {
		struct folio *folio = page_folio(page);

		fprintf(out, " %-4s ref %-5d", result(r, buf, sizeof(buf)), folio_ref_count(folio));
		if (how >= 2)
			unpin_user_page(page);
		else
			put_page(page);
	} else {
		fprintf(out, " %-15s", result(r, buf, sizeof(buf)));
	}
}

static void describe_entry(FILE *out, struct mm_struct *mm, unsigned long addr)
{
	uint64_t val;
	enum hp_level level = hp_lookup_entry(mm, addr, &val);
	const char *kind = (val & _PAGE_DEVMAP) ? "devmap" : (val & _PAGE_SPECIAL) ? "special" : "normal";

	fprintf(out, " %s %-7s 0x%016llx", hp_level_name(level), kind, (unsigned long long)val);
}

static unsigned long map_bar(struct mm_struct *mm, const char *name, uint64_t size,
			     bool zone_device)
{
	struct hp_bar *bar = hp_bar_create(name, size, zone_device);
	unsigned long addr;

	if (!bar)
		return -ENOMEM;
	addr = hp_mmap(mm, hp_bar_file(bar), 0, size, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	hp_bar_destroy(bar);
	return addr;
}

int hp_gup_table(FILE *out, enum hugepfn_policy policy)
{
	struct hp_config config = { .policy = policy };
	struct gup_case cases[5];
	struct mm_struct *mm;
	unsigned long anon, thp;
	int ok = 1;

	if (hp_machine_init(&config))
		return 2;
	mm = mm_alloc();
	anon = hp_mmap(mm, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	thp = hp_mmap(mm, NULL, 0, PMD_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	hp_madvise(mm, thp, PMD_SIZE, MADV_HUGEPAGE);
	cases[0] = (struct gup_case){ "anonymous 4 KiB page", anon };
	cases[1] = (struct gup_case){ "anonymous THP", thp };
	cases[2] = (struct gup_case){ "BAR, 2 MiB", map_bar(mm, "bar-2m", PMD_SIZE, false) };
	cases[3] = (struct gup_case){ "BAR, 1 GiB", map_bar(mm, "bar-1g", PUD_SIZE, false) };
	cases[4] = (struct gup_case){ "ZONE_DEVICE, 2 MiB", map_bar(mm, "pmem-2m", PMD_SIZE, true) };

	fprintf(out, "policy %s: one page behind each kind of entry, after a CPU write\n\n",
		hp_policy_name(policy));
	fprintf(out, "%-20s %-3s %-7s %-18s  %-15s %-15s %-15s %s\n", "mapping", "lvl", "kind",
		"entry", "get_user_pages", "gup_fast", "pin_fast", "pin_fast longterm");
	for (int i = 0; i < 5; i++) {
		unsigned long vbefore = hp_violation_count();

		if (IS_ERR_VALUE(cases[i].addr) ||
		    hp_access_fill(mm, cases[i].addr, 1, 0x5a) != HP_ACCESS_OK) {
			fprintf(out, "%-20s cannot be mapped\n", cases[i].name);
			ok = 0;
			continue;
		}
		fprintf(out, "%-20s", cases[i].name);
		describe_entry(out, mm, cases[i].addr);
		for (int how = 0; how < 4; how++)
			try_one(out, mm, cases[i].addr, how);
		fputc('\n', out);
		if (hp_violation_count() != vbefore) {
			struct hp_violation v;

			hp_violation_get(vbefore, &v);
			fprintf(out, "%20s violation: %s on pfn 0x%lx (%s level, %s)\n", "",
				v.what, v.pfn, hp_level_name(v.level), v.op);
			ok = 0;
		}
	}
	fprintf(out, "\nref: the folio's reference count while the reference is held"
		" (a pin on a small folio adds %d)\n", GUP_PIN_COUNTING_BIAS);
	fprintf(out, "pin_fast longterm: gup-fast leaves devmap entries to the slow path,"
		" which pins them\n");
	mmput(mm);
	hp_machine_exit();
	return ok ? 0 : 1;
}
