// SPDX-License-Identifier: MIT
/*
 * A program of a library user, built out of the tree against an installed
 * libhugepfn with nothing but `pkg-config --cflags --libs hugepfn`, once as
 * C11 and once as C++17 (check-install.sh).  It includes what such a program
 * includes first (<sys/user.h> defines PAGE_SIZE, <linux/const.h> a
 * two-argument _AT()), then hugepfn: the build fails if a hugepfn name
 * collides with theirs (check-install.sh tries the other order).
 *
 * A 1 GiB BAR is mapped with one special PUD entry; as in Linux 6.12,
 * gup-fast refuses the special leaf (mm/gup.c: gup_fast_pud_leaf) and the slow
 * path refuses the VM_IO | VM_PFNMAP mapping (check_vma_flags): -EFAULT.  A
 * pinned anonymous page is then read through the inline helpers, which in
 * C++ see the atomic fields as std::atomic: wrong layouts give wrong counts.
 */
#include <sys/mman.h>
#include <errno.h>
#include <limits.h>
#include <linux/const.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/user.h>
#ifdef __cplusplus
#include <atomic>
#include <mutex>
#include <vector>
using namespace std;
#define LANGUAGE "C++"
#else
#include <stdatomic.h>
#define LANGUAGE "C"
#endif

#include <hugepfn/hugepfn.h>

static int failures;

#define CHECK(cond) do {							\
	if (!(cond)) {								\
		fprintf(stderr, "consumer: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		failures++;							\
	}									\
} while (0)

static void pin_a_bar(struct mm_struct *mm)
{
	struct hp_bar *bar = hp_bar_create("bar", PUD_SIZE, false);
	char in[64] = "written through the special PUD entry", out[64];
	struct page *page = NULL;
	struct hp_entry_counts counts;
	unsigned long addr;

	CHECK(bar != NULL);
	if (!bar)
		return;
	addr = hp_mmap_aligned(mm, hp_bar_file(bar), PUD_SIZE, PROT_READ | PROT_WRITE,
			       MAP_SHARED, 0, PUD_SIZE, 0);
	hp_bar_destroy(bar);
	CHECK(!IS_ERR_VALUE(addr));
	if (IS_ERR_VALUE(addr))
		return;
	CHECK(hp_access(mm, addr, sizeof(in), HP_ACCESS_WRITE, in) == HP_ACCESS_OK);
	CHECK(hp_access(mm, addr, sizeof(out), HP_ACCESS_READ, out) == HP_ACCESS_OK);
	CHECK(memcmp(in, out, sizeof(in)) == 0);
	hp_mm_count_entries(mm, &counts);
	CHECK(counts.leaves[HP_LEVEL_PUD][HP_KIND_SPECIAL] == 1);
	CHECK(pin_user_pages_fast(mm, addr, 1, FOLL_WRITE | FOLL_LONGTERM, &page) == -EFAULT);
	CHECK(page == NULL);
}

static void pin_anon(struct mm_struct *mm)
{
	/* No file: anonymous memory (strict C11 has no MAP_ANONYMOUS, nor needs it here). */
	unsigned long addr = hp_mmap(mm, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE, 0);
	char byte = 1;
#ifdef __cplusplus
	vector<struct page *> pages(1);
#else
	struct page *pages[1];
#endif

	CHECK(!IS_ERR_VALUE(addr));
	if (IS_ERR_VALUE(addr))
		return;
	CHECK(hp_access(mm, addr, 1, HP_ACCESS_WRITE, &byte) == HP_ACCESS_OK);
	CHECK(pin_user_pages_fast(mm, addr, 1, FOLL_WRITE, &pages[0]) == 1);
	CHECK(page_ref_count(pages[0]) == 1 + GUP_PIN_COUNTING_BIAS);
	CHECK(folio_maybe_dma_pinned(page_folio(pages[0])));
	CHECK(atomic_load(&mm->rss) == 1);
	unpin_user_pages(&pages[0], 1);
	CHECK(page_ref_count(pages[0]) == 1);
}

int main(void)
{
	struct hp_config config;
	struct hp_leaks leaks;
	struct mm_struct *mm;
#ifdef __cplusplus
	mutex serial;	/* std::mutex: hugepfn keeps its struct mutex to itself */
	lock_guard<mutex> hold(serial);
#endif

	/* The kernel's names mean what they mean in the kernel. */
	CHECK(PAGE_SIZE == 4096 && (pgprot_val(PAGE_SHARED) & _PAGE_RW));
	CHECK(_AT(unsigned long, 3) == 3UL);
	memset(&config, 0, sizeof(config));
	config.ram_size = 64ULL << 20;
	config.policy = HP_POLICY_SPECIAL;
	if (hp_machine_init(&config)) {
		fprintf(stderr, "consumer: hp_machine_init failed\n");
		return 1;
	}
	mm = mm_alloc();
	CHECK(mm != NULL);
	if (mm) {
		pin_a_bar(mm);
		pin_anon(mm);
		/* One fault for the BAR (a PUD entry), one for the anonymous page. */
		CHECK(atomic_load(&mm->faults.total) == 2);
		CHECK(atomic_load(&mm->faults.resolved_at[HP_LEVEL_PUD]) == 1);
		mmput(mm);
	}
	hp_machine_leaks(&leaks);
	CHECK(leaks.pages == 0 && leaks.pgmap_refs == 0);
	CHECK(hp_violation_count() == 0);
	hp_machine_exit();
	printf("consumer (" LANGUAGE "): %s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}
