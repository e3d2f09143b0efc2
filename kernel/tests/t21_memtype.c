// SPDX-License-Identifier: MIT
/*
 * Test 21: the exact memory type of the entries that map device memory.
 *
 * For each entry the raw value comes from hugepfn_walk ("addr"), and its
 * PAT index is decoded as the CPU does: PWT (bit 3) + 2 * PCD (bit 4) +
 * 4 * PAT, where the PAT bit is bit 7 of a 4 KiB PTE and bit 12 of a PMD or
 * PUD leaf (bit 7 is PSE there). The index selects a slot of the PAT MSR;
 * the slots are those Linux programs (arch/x86/mm/pat/memtype.c,
 * pat_bp_init(): WB WC UC- UC WB WP UC- WT), or with "nopat" those the
 * firmware left (the reset value WB WT UC- UC WB WT UC- UC), checked
 * against the "x86/PAT: Configuration [0-7]:" line of the kernel log.
 *
 * What is mapped:
 *  - an hpvram BO in VRAM (the BAR reserved write-combining by the driver):
 *    a 1 GiB BO (PUD with the series, PTEs without), a 16 MiB BO (PMDs with
 *    the series, PTEs without) and the 16 MiB BO again 64 KiB past a 2 MiB
 *    boundary (PTEs everywhere);
 *  - the vfio-pci BAR (reserved uncached-minus by the pci_iomap() of
 *    vfio_pci_core_mmap(); the VMA asks for UC- too, x86's
 *    pgprot_noncached()): a PUD, a PMD, a PTE;
 *  - with PAT on (without it there is no resource<N>_wc), the same BAR
 *    once more, after its first page of GiB 1 was mapped
 *    through sysfs resource2_wc (remap_pfn_range() reserves WC for it):
 *    vfio's pci_iomap() of the whole BAR then gets WC too (the type found
 *    wins a compatible conflict), so every vfio entry must be WC while
 *    the VMA still says UC-. That is the case patch 0001 is about.
 *
 * With PAT on, every entry must have the memtype that
 * /sys/kernel/debug/x86/pat_memtype_list records for its physical address
 * (track_pfn_insert() puts it there). One exception, on the unpatched
 * kernel: 6.12's vmf_insert_pfn_pud() drops the looked-up memtype and
 * builds the PUD from vm_page_prot (fixed by patch 0001), so the PUD of
 * the WC-reserved BAR is UC- there; the test expects exactly that, so it
 * notices the bug in 6.12 as well as the fix missing from the series.
 *
 * With nopat there is no memtype list and track_pfn_insert() does nothing:
 * the entry keeps the protection the driver built, in the PAT-less
 * encoding, where WC is not available and becomes UC- (PCD): every entry
 * here is UC-, at every level and on every kernel. (arch_phys_wc_add()
 * sets a write-combining MTRR over the hpvram BAR instead; the test
 * reports /proc/mtrr.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ktest.h"
#include "ktest_hpvram.h"
#include "ktest_vfio.h"
#include "ktest_walk.h"

#define NAME	"t21-memtype"
#define MIB	(1UL << 20)

enum memtype { MT_WB, MT_WC, MT_UC_MINUS, MT_UC, MT_WT, MT_WP, MT_NONE };

static const struct {
	const char *pat;	/* in the "x86/PAT: Configuration" line */
	const char *list;	/* in pat_memtype_list */
} mt_names[] = {
	[MT_WB] = { "WB", "write-back" },
	[MT_WC] = { "WC", "write-combining" },
	[MT_UC_MINUS] = { "UC-", "uncached-minus" },
	[MT_UC] = { "UC", "uncached" },
	[MT_WT] = { "WT", "write-through" },
	[MT_WP] = { "WP", "write-protected" },
	[MT_NONE] = { "none", "none" },
};

/* The PAT MSR as Linux programs it, and as the firmware leaves it. */
static const enum memtype pat_linux[8] = {
	MT_WB, MT_WC, MT_UC_MINUS, MT_UC, MT_WB, MT_WP, MT_UC_MINUS, MT_WT,
};
static const enum memtype pat_reset[8] = {
	MT_WB, MT_WT, MT_UC_MINUS, MT_UC, MT_WB, MT_WT, MT_UC_MINUS, MT_UC,
};

static enum memtype memtype_of(const char *name, int list)
{
	unsigned int i;

	for (i = 0; i < MT_NONE; i++)
		if (!strcmp(name, list ? mt_names[i].list : mt_names[i].pat))
			return i;
	return MT_NONE;
}

/* The PAT slot a leaf of @level selects. */
static int pat_index(uint64_t raw, int level)
{
	int pat_bit = level == KW_PTE ? 7 : 12;

	return (int)(((raw >> pat_bit) & 1) << 2 | ((raw >> 4) & 1) << 1 |
		     ((raw >> 3) & 1));
}

/* The PAT slots from the kernel log; 0, or -1 if the line is missing. */
static int pat_layout(enum memtype slot[8])
{
	char line[256], name[8][8];
	int i;

	if (kt_klog_find("x86/PAT: Configuration [0-7]: ", line, sizeof(line)) ||
	    sscanf(line, "%7s %7s %7s %7s %7s %7s %7s %7s", name[0], name[1],
		   name[2], name[3], name[4], name[5], name[6], name[7]) != 8)
		return -1;
	for (i = 0; i < 8; i++)
		slot[i] = memtype_of(name[i], 0);
	return 0;
}

/*
 * The memtype pat_memtype_list records for @phys (the first range that
 * holds it, as lookup_memtype() finds it), MT_NONE if none does, -1 if
 * the list cannot be read.
 */
static int reserved_memtype(uint64_t phys)
{
	unsigned long long start, end;
	char line[256], type[32];
	int found = MT_NONE;
	FILE *f;

	f = fopen("/sys/kernel/debug/x86/pat_memtype_list", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "PAT: [mem 0x%llx-0x%llx] %31s", &start, &end,
			   type) == 3 && start <= phys && phys < end) {
			found = memtype_of(type, 1);
			break;
		}
	fclose(f);
	return found;
}

struct probe {
	const char *what;
	const char *addr;
	uint64_t phys;		/* what the entry must map */
	int level;		/* the level it must have */
	enum memtype want;	/* the memtype it must select */
	int off_list;		/* 6.12's PUD: built from the VMA, not the list */
};

static uint64_t level_size(int level)
{
	return level == KW_PUD ? KT_1G : level == KW_PMD ? KT_2M : KT_4K;
}

/*
 * Touches @p->addr and checks the entry that maps it; with PAT on, also
 * that the memtype list agrees (unless @p->off_list). Appends
 * " what=level/index/memtype" to *@out.
 */
static int probe_ok(const struct probe *p, const enum memtype slot[8],
		    int pat_on, char **out, size_t *room)
{
	int level, kind, idx, reserved = MT_NONE, ok, n;
	enum memtype got;
	uint64_t raw;

	*(volatile const char *)p->addr;
	if (ktest_walk_addr(p->addr, &level, &kind, &raw) || level == KW_NONE) {
		kt_info("%s: no entry", p->what);
		return 0;
	}
	idx = pat_index(raw, level);
	got = slot[idx];
	if (pat_on)
		reserved = reserved_memtype(p->phys);
	ok = level == p->level && got == p->want &&
	     ktest_entry_phys(raw, level) == (p->phys & ~(level_size(level) - 1)) &&
	     (!pat_on || p->off_list || reserved == (int)got);
	kt_info("%s: %s raw=%#llx PAT index %d = %s (want %s %s), reserved for %#llx: %s%s: %s",
		p->what, ktest_walk_level_name(level), (unsigned long long)raw,
		idx, mt_names[got].pat, ktest_walk_level_name(p->level),
		mt_names[p->want].pat, (unsigned long long)p->phys,
		reserved < 0 ? "unreadable" : mt_names[reserved].list,
		p->off_list ? " (not expected to match: 6.12's PUD)" : "",
		ok ? "ok" : "WRONG");
	n = snprintf(*out, *room, " %s=%s/%d/%s", p->what,
		     ktest_walk_level_name(level), idx, mt_names[got].pat);
	if (n > 0 && (size_t)n < *room) {
		*out += n;
		*room -= n;
	}
	return ok;
}

/* Prints the MTRRs (nopat: arch_phys_wc_add() sets one for hpvram). */
static void print_mtrr(void)
{
	char line[256];
	FILE *f = fopen("/proc/mtrr", "r");

	if (!f) {
		kt_info("/proc/mtrr: %s", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		kt_info("mtrr: %s", line);
	}
	fclose(f);
}

/* Runs the probes of @n; 1 if all are right. */
static int probe_all(const struct probe *p, unsigned int n,
		     const enum memtype slot[8], int pat_on, char **out,
		     size_t *room)
{
	int ok = 1;

	while (n--)
		ok &= probe_ok(p++, slot, pat_on, out, room);
	return ok;
}

/*
 * Maps @len bytes of BAR @bar of @bdf at @off through sysfs
 * resource<bar>_wc; NULL on failure.
 */
static void *map_resource_wc(const char *bdf, int bar, size_t len, uint64_t off)
{
	char path[96];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource%d_wc",
		 bdf, bar);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		kt_info("open %s: %s", path, strerror(errno));
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	close(fd);
	if (p == MAP_FAILED) {
		kt_info("mmap %s: %s", path, strerror(errno));
		return NULL;
	}
	return p;
}

/* PAT on: the reservations the probes are checked against. */
static int reservations_ok(uint64_t hv_phys, uint64_t vf_phys, int vf_want)
{
	int hv_res = reserved_memtype(hv_phys);
	int vf_res = reserved_memtype(vf_phys);

	kt_info("t21: reserved: hpvram BAR %s, vfio BAR %s",
		hv_res < 0 ? "unreadable" : mt_names[hv_res].list,
		vf_res < 0 ? "unreadable" : mt_names[vf_res].list);
	return hv_res == MT_WC && vf_res == vf_want;
}

/*
 * PAT on: the vfio BAR once more, after its first page of GiB 1 was mapped
 * through sysfs resource<N>_wc, which reserves it write-combining; vfio's
 * pci_iomap() of the whole BAR then gets WC too, while its VMA still says
 * UC-. Every entry must be WC, but for the PUD on the unpatched kernel,
 * which 6.12 builds from vm_page_prot (patch 0001). 1 if all are right.
 */
static int probe_wc_reserved(const char *kernel, uint64_t hv_phys,
			     uint64_t vf_phys, const enum memtype slot[8],
			     char **out, size_t *room)
{
	int bug_0001 = !strcmp(kernel, "unpatched"), pass;
	char *wc, *vpud = NULL, *vpte = NULL;
	struct ktest_vfio v;

	wc = map_resource_wc(KTEST_VFIO_BDF, KTEST_VFIO_BAR, KT_4K, KT_1G);
	if (!wc || ktest_vfio_open(&v, KTEST_VFIO_BDF, KTEST_VFIO_BAR)) {
		kt_info("t21: setup_wc=failed");
		return 0;
	}
	vpud = ktest_vfio_mmap(&v, 2 * KT_1G, 0, NULL, PROT_READ | PROT_WRITE);
	vpte = ktest_free_range(8 * MIB, KT_2M, 64 << 10);
	vpte = vpte ? ktest_vfio_mmap(&v, 8 * MIB, 0, vpte,
				      PROT_READ | PROT_WRITE) : NULL;
	if (!vpud || !vpte) {
		kt_info("t21: mmap_wc=failed");
		pass = 0;
	} else {
		const struct probe probes[] = {
			{ "sysfs_wc_pte", wc, vf_phys + KT_1G, KW_PTE, MT_WC, 0 },
			{ "vfio_wc_pud", vpud + KT_1G + 7 * MIB,
			  vf_phys + KT_1G + 7 * MIB, KW_PUD,
			  bug_0001 ? MT_UC_MINUS : MT_WC, bug_0001 },
			{ "vfio_wc_pte", vpte + 5 * KT_4K, vf_phys + 5 * KT_4K,
			  KW_PTE, MT_WC, 0 },
		};

		pass = probe_all(probes, sizeof(probes) / sizeof(probes[0]),
				 slot, 1, out, room) &&
		       reservations_ok(hv_phys, vf_phys, MT_WC);
	}
	if (vpud)
		munmap(vpud, 2 * KT_1G);
	if (vpte)
		munmap(vpte, 8 * MIB);
	munmap(wc, KT_4K);
	ktest_vfio_close(&v);
	return pass;
}

int main(int argc, char **argv)
{
	enum memtype slot[8], hv_want, vf_want;
	char figures[1024], *out = figures, cmdline[1024] = "";
	int pat_on, huge, layout_ok, list_ok, pass;
	size_t room = sizeof(figures);
	uint64_t hv_phys, vf_phys;
	int64_t off_big, off_small;
	struct kt_bo big, small;
	struct ktest_vfio v;
	struct kt_args a;
	struct kt_dev d;
	char *b, *s, *s2, *vpud, *vpmd, *vpte;
	FILE *f;

	kt_parse_args(argc, argv, &a);
	huge = a.expect == KT_EXPECT_HUGE;
	f = fopen("/proc/cmdline", "r");
	if (f) {
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = '\0';
		fclose(f);
	}
	pat_on = !strstr(cmdline, "nopat");
	figures[0] = '\0';

	layout_ok = !pat_layout(slot) &&
		    !memcmp(slot, pat_on ? pat_linux : pat_reset, sizeof(slot));
	if (!layout_ok) {
		kt_info("PAT layout from the kernel log is not the expected one");
		memcpy(slot, pat_on ? pat_linux : pat_reset, sizeof(slot));
	}
	/* The list exists exactly when PAT is on. */
	list_ok = (access("/sys/kernel/debug/x86/pat_memtype_list", R_OK) == 0) == pat_on;

	if (ktest_vfio_bar_phys(KT_HPVRAM_PCI, 2, &hv_phys) ||
	    ktest_vfio_bar_phys(KTEST_VFIO_BDF, KTEST_VFIO_BAR, &vf_phys) ||
	    kt_hpvram_open(&d) || kt_hpvram_bo(&d, &small, 16) ||
	    kt_hpvram_place(&d, &small, KT_HPVRAM_VRAM, &off_small) ||
	    kt_hpvram_bo(&d, &big, 1024) ||
	    kt_hpvram_place(&d, &big, KT_HPVRAM_VRAM, &off_big) ||
	    ktest_vfio_open(&v, KTEST_VFIO_BDF, KTEST_VFIO_BAR))
		return kt_result(NAME, 0, "setup=failed");
	kt_info("t21: PAT %s, hpvram BAR at %#llx (16 MiB BO at +%#llx, 1 GiB BO at +%#llx), vfio BAR at %#llx",
		pat_on ? "on" : "off (nopat)", (unsigned long long)hv_phys,
		(long long)off_small, (long long)off_big,
		(unsigned long long)vf_phys);

	b = kt_map(&d, &big, NULL);
	s = kt_map(&d, &small, NULL);
	s2 = kt_reserve_at(small.size, KT_2M, 64 << 10);
	s2 = s2 ? kt_map(&d, &small, s2) : NULL;
	vpud = ktest_vfio_mmap(&v, 2 * KT_1G, 0, NULL, PROT_READ | PROT_WRITE);
	vpmd = ktest_free_range(64 * MIB, KT_1G, 64 * MIB);
	vpmd = vpmd ? ktest_vfio_mmap(&v, 64 * MIB, 64 * MIB, vpmd,
				      PROT_READ | PROT_WRITE) : NULL;
	vpte = ktest_free_range(8 * MIB, KT_2M, 64 << 10);
	vpte = vpte ? ktest_vfio_mmap(&v, 8 * MIB, 0, vpte,
				      PROT_READ | PROT_WRITE) : NULL;
	if (!b || !s || !s2 || !vpud || !vpmd || !vpte)
		return kt_result(NAME, 0, "mmap=failed");

	/* What each entry must select, by PAT mode (and kernel, below). */
	hv_want = pat_on ? MT_WC : MT_UC_MINUS;
	vf_want = MT_UC_MINUS;
	{
		const struct probe probes[] = {
			{ "hpvram_1G", b + 300 * MIB + 5 * KT_4K,
			  hv_phys + off_big + 300 * MIB + 5 * KT_4K,
			  huge ? KW_PUD : KW_PTE, hv_want, 0 },
			{ "hpvram_16M", s + 5 * MIB + 3 * KT_4K,
			  hv_phys + off_small + 5 * MIB + 3 * KT_4K,
			  huge ? KW_PMD : KW_PTE, hv_want, 0 },
			{ "hpvram_16M_unaligned", s2 + 5 * MIB + 3 * KT_4K,
			  hv_phys + off_small + 5 * MIB + 3 * KT_4K,
			  KW_PTE, hv_want, 0 },
			{ "vfio_pud", vpud + KT_1G + 7 * MIB, vf_phys + KT_1G + 7 * MIB,
			  KW_PUD, vf_want, 0 },
			{ "vfio_pmd", vpmd + 3 * MIB, vf_phys + 67 * MIB, KW_PMD,
			  vf_want, 0 },
			{ "vfio_pte", vpte + 5 * KT_4K, vf_phys + 5 * KT_4K, KW_PTE,
			  vf_want, 0 },
		};

		pass = layout_ok && list_ok &&
		       probe_all(probes, sizeof(probes) / sizeof(probes[0]),
				 slot, pat_on, &out, &room);
	}
	if (pat_on)
		pass &= reservations_ok(hv_phys, vf_phys, MT_UC_MINUS);
	else
		print_mtrr();
	munmap(b, big.size);
	munmap(s, small.size);
	munmap(s2, small.size);
	munmap(vpud, 2 * KT_1G);
	munmap(vpmd, 64 * MIB);
	munmap(vpte, 8 * MIB);
	/* The last mapping gone, closing the device drops vfio's pci_iomap(). */
	ktest_vfio_close(&v);

	/* Without PAT there is no resource<N>_wc (arch_can_pci_mmap_wc()). */
	if (pat_on)
		pass &= probe_wc_reserved(a.kernel, hv_phys, vf_phys, slot, &out,
					  &room);
	kt_result(NAME, pass, "kernel=%s pat=%s layout=%s memtype_list=%s%s",
		  a.kernel, pat_on ? "on" : "off", layout_ok ? "ok" : "WRONG",
		  pat_on ? (list_ok ? "present" : "MISSING") :
			   (list_ok ? "absent" : "PRESENT"),
		  figures);
	return !pass;
}
