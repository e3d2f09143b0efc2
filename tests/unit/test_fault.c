// SPDX-License-Identifier: MIT
/*
 * The fault path and the vmf_insert_* helpers: huge faults first, fallback
 * one level at a time, the marker each policy gives huge pfn entries, every
 * refusal (misaligned, out of range, outside the VMA, a different pfn already
 * there) leaving the tables unchanged, and vm_normal_page*() per entry kind.
 */
#include <string.h>

#include "hp_test.h"

/* ---- a probe device: its huge_fault inserts whatever pfn the test chose --- */

static struct {
	unsigned long pfn;		/* pfn for the huge insert */
	unsigned int order;		/* PMD_ORDER or PUD_ORDER: the one order it maps */
	bool readonly;			/* insert with PAGE_READONLY protection */
	bool mixed;			/* map VM_MIXEDMAP instead of VM_PFNMAP */
	vm_fault_t last;		/* what the helper returned last */
	unsigned int calls;
	struct page *page;		/* if set, ->fault returns this page */
} probe;

static vm_fault_t probe_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	bool write = vmf->flags & FAULT_FLAG_WRITE;

	if (order != probe.order)
		return VM_FAULT_FALLBACK;
	probe.calls++;
	if (order == PMD_ORDER)
		probe.last = probe.readonly ?
			vmf_insert_pfn_pmd_prot(vmf, probe.pfn, PAGE_READONLY, write) :
			vmf_insert_pfn_pmd(vmf, probe.pfn, write);
	else
		probe.last = probe.readonly ?
			vmf_insert_pfn_pud_prot(vmf, probe.pfn, PAGE_READONLY, write) :
			vmf_insert_pfn_pud(vmf, probe.pfn, write);
	return probe.last;
}

static vm_fault_t probe_fault(struct vm_fault *vmf)
{
	if (probe.page) {
		get_page(probe.page);
		vmf->page = probe.page;
		return 0;
	}
	if (probe.mixed)
		return vmf_insert_mixed(vmf->vma, vmf->address, probe.pfn + vmf->pgoff);
	return vmf_insert_pfn(vmf->vma, vmf->address, probe.pfn + vmf->pgoff);
}

static const struct vm_operations_struct probe_vm_ops = {
	.fault = probe_fault,
	.huge_fault = probe_huge_fault,
};

static int probe_mmap(struct file *file, struct vm_area_struct *vma)
{
	(void)file;
	if (probe.mixed)
		vma->vm_flags |= VM_MIXEDMAP;
	else if (!probe.page)
		vma->vm_flags |= VM_PFNMAP | VM_IO;
	vma->vm_ops = &probe_vm_ops;
	return 0;
}

static const struct file_operations probe_fops = { .mmap = probe_mmap };

static unsigned long map_probe(struct mm_struct *mm, struct file *file,
			       unsigned long len, unsigned long prot, unsigned long flags)
{
	unsigned long addr = hp_mmap_aligned(mm, file, len, prot, flags, 0,
					     hp_test_huge_align(len), 0);

	assert_false(IS_ERR_VALUE(addr));
	return addr;
}

/* ---- helpers ----------------------------------------------------------- */

struct bar_run {
	struct mm_struct *mm;
	struct hp_bar *bar;
	unsigned long addr;
};

static void bar_setup(struct bar_run *r, uint64_t size, bool zone_device)
{
	r->mm = mm_alloc();
	r->bar = hp_bar_create("bar", size, zone_device);
	assert_non_null(r->bar);
	r->addr = hp_test_map_bar(r->mm, r->bar, size, 0);
	hp_bar_destroy(r->bar);
}

static void bar_teardown(struct bar_run *r)
{
	mmput(r->mm);
}

static unsigned long resolved_at(struct mm_struct *mm, enum hp_level level)
{
	return atomic_load(&mm->faults.resolved_at[level]);
}

/* ---- a 1 GiB BAR under each policy -------------------------------------- */

static void test_special_bar_is_one_pud_fault(void **state)
{
	struct bar_run r;
	struct hp_entry_counts c;
	uint64_t val;

	(void)state;
	bar_setup(&r, PUD_SIZE, false);
	assert_int_equal(r.addr & (PUD_SIZE - 1), 0);
	for (unsigned long off = 0; off < PUD_SIZE; off += 64 * PAGE_SIZE + 64)
		hp_test_put_byte(r.mm, r.addr + off, (char)(off >> 12));
	assert_int_equal(hp_test_faults(r.mm), 1);
	assert_int_equal(resolved_at(r.mm, HP_LEVEL_PUD), 1);
	c = hp_test_counts(r.mm);
	assert_int_equal(c.leaves[HP_LEVEL_PUD][HP_KIND_SPECIAL], 1);
	assert_int_equal(c.tables[HP_TABLE_PMD], 0);
	assert_int_equal(c.tables[HP_TABLE_PTE], 0);
	assert_int_equal(hp_lookup_entry(r.mm, r.addr + 12345, &val), HP_LEVEL_PUD);
	assert_int_equal(pud_pfn(__pud(val)), hp_bar_pfn(r.bar));
	assert_true(pud_write(__pud(val)) && pud_dirty(__pud(val)) && pud_young(__pud(val)));
	assert_true(pud_special(__pud(val)));
	assert_false(pud_devmap(__pud(val)));
	/* The bytes went to the BAR itself. */
	assert_int_equal(*(char *)__va(((phys_addr_t)hp_bar_pfn(r.bar) << PAGE_SHIFT) +
				       64 * PAGE_SIZE + 64), 64);
	assert_int_equal(hp_test_get_byte(r.mm, r.addr + 2 * (64 * PAGE_SIZE + 64)), (char)(2 * 64));
	bar_teardown(&r);
}

static void test_none_bar_falls_back_to_ptes(void **state)
{
	struct bar_run r;
	struct hp_entry_counts c;

	(void)state;
	bar_setup(&r, 4 * PMD_SIZE, false);
	hp_test_put_byte(r.mm, r.addr, 1);
	assert_int_equal(hp_test_faults(r.mm), 1);
	assert_int_equal(resolved_at(r.mm, HP_LEVEL_PTE), 1);
	assert_int_equal(atomic_load(&r.mm->faults.fallback[HP_LEVEL_PUD]), 1);
	assert_int_equal(atomic_load(&r.mm->faults.fallback[HP_LEVEL_PMD]), 1);
	hp_test_put_byte(r.mm, r.addr + PAGE_SIZE, 2);
	assert_int_equal(hp_test_faults(r.mm), 2);
	c = hp_test_counts(r.mm);
	assert_int_equal(c.leaves[HP_LEVEL_PTE][HP_KIND_SPECIAL], 2);
	assert_int_equal(c.leaves[HP_LEVEL_PMD][HP_KIND_SPECIAL], 0);
	assert_int_equal(c.tables[HP_TABLE_PTE], 1);
	bar_teardown(&r);
}

/* The 2021 state: an unmarked huge pfn entry that looks like a THP. */
static void test_plain_bar_entry_is_unmarked(void **state)
{
	struct bar_run r;
	struct vm_area_struct *vma;
	uint64_t val;

	(void)state;
	bar_setup(&r, PUD_SIZE, false);
	hp_test_put_byte(r.mm, r.addr + 5, 1);
	assert_int_equal(hp_lookup_entry(r.mm, r.addr, &val), HP_LEVEL_PUD);
	assert_false(pud_special(__pud(val)));
	assert_false(pud_devmap(__pud(val)));
	assert_true(pud_trans_huge(__pud(val)));
	assert_int_equal(hp_test_counts(r.mm).leaves[HP_LEVEL_PUD][HP_KIND_NORMAL], 1);
	/* Only the VMA flags keep the slow paths away from the missing struct page. */
	vma = find_vma(r.mm, r.addr);
	assert_null(vm_normal_page_pud(vma, r.addr, __pud(val)));
	assert_int_equal(hp_violation_count(), 0);
	bar_teardown(&r);
}

static void test_devmap_policy_marks_devmap_without_pagemap(void **state)
{
	struct bar_run r;
	uint64_t val;

	(void)state;
	bar_setup(&r, 4 * PMD_SIZE, false);
	hp_test_put_byte(r.mm, r.addr + PMD_SIZE, 1);
	assert_int_equal(hp_lookup_entry(r.mm, r.addr + PMD_SIZE, &val), HP_LEVEL_PMD);
	assert_true(pmd_devmap(__pmd(val)));
	assert_false(pmd_special(__pmd(val)));
	assert_null(get_dev_pagemap(pmd_pfn(__pmd(val))));
	bar_teardown(&r);
}

static void test_pmd_faults_below_pud_size(void **state)
{
	struct bar_run r;
	struct hp_entry_counts c;

	(void)state;
	bar_setup(&r, 4 * PMD_SIZE, false);
	for (unsigned long off = 0; off < 4 * PMD_SIZE; off += PAGE_SIZE)
		hp_test_put_byte(r.mm, r.addr + off, 3);
	assert_int_equal(hp_test_faults(r.mm), 4);
	assert_int_equal(resolved_at(r.mm, HP_LEVEL_PMD), 4);
	c = hp_test_counts(r.mm);
	assert_int_equal(c.leaves[HP_LEVEL_PMD][HP_KIND_SPECIAL], 4);
	assert_int_equal(c.tables[HP_TABLE_PMD], 1);
	assert_int_equal(c.tables[HP_TABLE_PTE], 0);
	bar_teardown(&r);
}

/* A window starting 4 KiB into the BAR: no pfn is aligned, every fault is 4 KiB. */
static void test_misaligned_window_falls_back(void **state)
{
	struct mm_struct *mm;
	struct hp_bar *bar;
	unsigned long addr;
	uint64_t val;

	(void)state;
	mm = mm_alloc();
	bar = hp_bar_create("bar", 4 * PMD_SIZE, false);
	addr = hp_mmap(mm, hp_bar_file(bar), 0, 2 * PMD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, 1);
	hp_bar_destroy(bar);
	hp_test_put_byte(mm, addr, 9);
	assert_int_equal(resolved_at(mm, HP_LEVEL_PTE), 1);
	assert_int_equal(hp_lookup_entry(mm, addr, &val), HP_LEVEL_PTE);
	assert_int_equal(pte_pfn(__pte(val)), hp_bar_pfn(bar) + 1);
	assert_true(pte_special(__pte(val)));
	mmput(mm);
}

static void test_zone_device_gets_devmap(void **state)
{
	static const enum hugepfn_policy policies[] = { HP_POLICY_PLAIN, HP_POLICY_SPECIAL };

	for (unsigned int i = 0; i < 2; i++) {
		struct bar_run r;
		uint64_t val;

		hp_test_restart_under(state, policies[i]);
		bar_setup(&r, 2 * PMD_SIZE, true);
		assert_true(find_vma(r.mm, r.addr)->vm_flags & VM_MIXEDMAP);
		hp_test_put_byte(r.mm, r.addr, 1);
		assert_int_equal(hp_lookup_entry(r.mm, r.addr, &val), HP_LEVEL_PMD);
		assert_true(pmd_devmap(__pmd(val)));
		assert_false(pmd_special(__pmd(val)));
		assert_null(vm_normal_page_pmd(find_vma(r.mm, r.addr), r.addr, __pmd(val)));
		bar_teardown(&r);
	}
	/* 4 KiB: a devmap PTE is special as well. */
	{
		struct bar_run r;
		uint64_t val;

		hp_test_restart_under(state, HP_POLICY_NONE);
		bar_setup(&r, 2 * PMD_SIZE, true);
		hp_test_put_byte(r.mm, r.addr, 1);
		assert_int_equal(hp_lookup_entry(r.mm, r.addr, &val), HP_LEVEL_PTE);
		assert_true(pte_devmap(__pte(val)) && pte_special(__pte(val)));
		bar_teardown(&r);
	}
}

/* ---- refusals of the huge helpers ---------------------------------------- */

static void probe_setup(struct mm_struct **mm, struct file **file, unsigned int order)
{
	unsigned long iomem_pfn;

	memset(&probe, 0, sizeof(probe));
	assert_int_equal(hp_iomem_add("probe", 2 * PUD_SIZE, &iomem_pfn), 0);
	probe.pfn = iomem_pfn;
	probe.order = order;
	*mm = mm_alloc();
	*file = hp_file_create(&probe_fops, NULL);
}

static void probe_teardown(struct mm_struct *mm, struct file *file)
{
	mmput(mm);
	fput(file);
}

static void test_misaligned_pfn_is_sigbus(void **state)
{
	static const unsigned int orders[] = { PMD_ORDER, PUD_ORDER };

	for (unsigned int i = 0; i < 2; i++) {
		struct mm_struct *mm;
		struct file *file;
		unsigned long addr;
		uint64_t val;
		char v = 1;

		probe_setup(&mm, &file, orders[i]);
		probe.pfn += 1;
		addr = map_probe(mm, file, PUD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
		assert_int_equal(hp_access(mm, addr, 1, HP_ACCESS_WRITE, &v), HP_ACCESS_SIGBUS);
		assert_int_equal(probe.last, VM_FAULT_SIGBUS);
		assert_int_equal(hp_lookup_entry(mm, addr, &val), HP_LEVEL_NONE);
		assert_int_equal(atomic_load(&mm->faults.result[HP_FAULT_SIGBUS]), 1);
		/* 6.12's mm_account_fault(): a VM_FAULT_ERROR is no min_flt. */
		assert_int_equal(atomic_load(&mm->faults.total), 0);
		probe_teardown(mm, file);
		hp_test_restart(state);	/* each case on a fresh machine */
	}
}

static void test_pfn_beyond_physical_limit_is_sigbus(void **state)
{
	struct mm_struct *mm;
	struct file *file;
	unsigned long addr;
	char v = 1;

	(void)state;
	probe_setup(&mm, &file, PMD_ORDER);
	probe.pfn = 1UL << 40;		/* bit 52 of a physical address */
	addr = map_probe(mm, file, PMD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
	assert_int_equal(hp_access(mm, addr, 1, HP_ACCESS_WRITE, &v), HP_ACCESS_SIGBUS);
	assert_int_equal(probe.last, VM_FAULT_SIGBUS);
	assert_int_equal(vmf_insert_pfn(find_vma(mm, addr), addr, 1UL << 40), VM_FAULT_SIGBUS);
	probe_teardown(mm, file);
}

/* The aligned-down range must lie inside the VMA, or nothing is written. */
static void test_range_outside_vma_is_sigbus(void **state)
{
	struct mm_struct *mm;
	struct file *file;
	unsigned long addr;
	uint64_t val;
	char v = 1;

	(void)state;
	probe_setup(&mm, &file, PMD_ORDER);
	addr = map_probe(mm, file, PMD_SIZE / 2, PROT_READ | PROT_WRITE, MAP_SHARED);
	assert_int_equal(hp_access(mm, addr, 1, HP_ACCESS_WRITE, &v), HP_ACCESS_SIGBUS);
	assert_int_equal(hp_lookup_entry(mm, addr, &val), HP_LEVEL_NONE);
	probe_teardown(mm, file);
}

/* Same pfn again: only young/dirty/write change.  Another pfn: refused, unchanged. */
static void test_existing_entry_rules(void **state)
{
	static const unsigned int orders[] = { PMD_ORDER, PUD_ORDER };

	for (unsigned int i = 0; i < 2; i++) {
		struct mm_struct *mm;
		struct file *file;
		unsigned long addr, pfn;
		uint64_t before, after;
		enum hp_level level = orders[i] == PMD_ORDER ? HP_LEVEL_PMD : HP_LEVEL_PUD;
		char v = 5;

		probe_setup(&mm, &file, orders[i]);
		probe.readonly = true;
		pfn = probe.pfn;
		addr = map_probe(mm, file, PUD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
		assert_int_equal(hp_test_get_byte(mm, addr), 0);
		assert_int_equal(hp_lookup_entry(mm, addr, &before), level);
		assert_false(before & (_PAGE_RW | _PAGE_DIRTY));

		/* A write re-asks the driver, which inserts the same pfn with write. */
		hp_test_put_byte(mm, addr, v);
		assert_int_equal(probe.calls, 2);
		assert_int_equal(probe.last, VM_FAULT_NOPAGE);
		assert_int_equal(hp_lookup_entry(mm, addr, &after), level);
		assert_int_equal(after, before | _PAGE_RW | _PAGE_DIRTY | _PAGE_SOFT_DIRTY);

		/* Now the driver offers a different pfn on a fresh write fault. */
		probe_teardown(mm, file);
		hp_test_restart(state);
		probe_setup(&mm, &file, orders[i]);
		probe.readonly = true;
		addr = map_probe(mm, file, PUD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
		assert_int_equal(hp_test_get_byte(mm, addr), 0);
		assert_int_equal(hp_lookup_entry(mm, addr, &before), level);
		probe.pfn = pfn + (orders[i] == PMD_ORDER ? HPAGE_PMD_NR : HPAGE_PUD_NR);
		assert_int_equal(hp_access(mm, addr, 1, HP_ACCESS_WRITE, &v), HP_ACCESS_SIGBUS);
		assert_int_equal(probe.last, VM_FAULT_SIGBUS);
		assert_int_equal(hp_lookup_entry(mm, addr, &after), level);
		assert_int_equal(after, before);
		probe_teardown(mm, file);
		hp_test_restart(state);	/* each case on a fresh machine */
	}
}

static void test_none_policy_refuses_huge_inserts(void **state)
{
	struct mm_struct *mm;
	struct file *file;
	unsigned long addr;
	uint64_t val;

	(void)state;
	memset(&probe, 0, sizeof(probe));
	assert_int_equal(hp_iomem_add("probe", PUD_SIZE, &probe.pfn), 0);
	probe.order = PMD_ORDER;
	mm = mm_alloc();
	file = hp_file_create(&probe_fops, NULL);
	addr = map_probe(mm, file, PMD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
	hp_test_put_byte(mm, addr, 1);
	assert_int_equal(probe.last, VM_FAULT_FALLBACK);
	assert_int_equal(hp_lookup_entry(mm, addr, &val), HP_LEVEL_PTE);
	assert_true(pte_special(__pte(val)));
	probe_teardown(mm, file);
}

static void test_pte_insert_rules(void **state)
{
	struct mm_struct *mm;
	struct file *file;
	struct vm_area_struct *vma, *anon;
	unsigned long addr, anon_addr;
	uint64_t val;

	(void)state;
	probe_setup(&mm, &file, 0);
	addr = map_probe(mm, file, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
	vma = find_vma(mm, addr);
	mmap_read_lock(mm);
	assert_int_equal(vmf_insert_pfn(vma, addr, probe.pfn), VM_FAULT_NOPAGE);
	assert_int_equal(vmf_insert_pfn(vma, addr, probe.pfn), VM_FAULT_NOPAGE);
	assert_int_equal(vmf_insert_pfn(vma, addr, probe.pfn + 1), VM_FAULT_SIGBUS);
	assert_int_equal(vmf_insert_pfn(vma, addr + 4 * PAGE_SIZE, probe.pfn), VM_FAULT_SIGBUS);
	assert_int_equal(vmf_insert_pfn(vma, addr + 1, probe.pfn), VM_FAULT_SIGBUS);
	/* Mixed inserts need a VM_MIXEDMAP VMA. */
	assert_int_equal(vmf_insert_mixed(vma, addr + PAGE_SIZE, probe.pfn), VM_FAULT_SIGBUS);
	mmap_read_unlock(mm);
	assert_int_equal(hp_lookup_entry(mm, addr, &val), HP_LEVEL_PTE);
	assert_int_equal(pte_pfn(__pte(val)), probe.pfn);
	assert_true(pte_special(__pte(val)));
	assert_null(vm_normal_page(vma, addr, __pte(val)));

	/* Raw pfns never go into anonymous memory. */
	anon_addr = hp_test_mmap_anon(mm, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	anon = find_vma(mm, anon_addr);
	assert_int_equal(vmf_insert_pfn(anon, anon_addr, probe.pfn), VM_FAULT_SIGBUS);
	probe_teardown(mm, file);
}

/* ---- anonymous memory ---------------------------------------------------- */

static void test_anon_read_maps_zero_page_then_write_copies(void **state)
{
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	unsigned long addr;
	uint64_t val;
	struct page *page;

	(void)state;
	mm = mm_alloc();
	addr = hp_test_mmap_anon(mm, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	vma = find_vma(mm, addr);
	assert_int_equal(hp_test_get_byte(mm, addr + 100), 0);
	assert_int_equal(hp_lookup_entry(mm, addr, &val), HP_LEVEL_PTE);
	assert_int_equal(pte_pfn(__pte(val)), zero_pfn);
	assert_true(pte_special(__pte(val)));
	assert_false(pte_write(__pte(val)));
	assert_null(vm_normal_page(vma, addr, __pte(val)));

	hp_test_put_byte(mm, addr + 100, 42);
	assert_int_equal(hp_test_faults(mm), 2);
	assert_int_equal(hp_lookup_entry(mm, addr, &val), HP_LEVEL_PTE);
	assert_int_not_equal(pte_pfn(__pte(val)), zero_pfn);
	assert_true(pte_write(__pte(val)) && pte_dirty(__pte(val)));
	page = vm_normal_page(vma, addr, __pte(val));
	assert_non_null(page);
	assert_true(PageAnon(page));
	assert_int_equal(page_mapcount(page), 1);
	assert_int_equal(page_ref_count(page), 1);
	assert_int_equal(hp_test_get_byte(mm, addr + 100), 42);
	/* The zero page stayed zero. */
	assert_int_equal(((char *)__va((phys_addr_t)zero_pfn << PAGE_SHIFT))[100], 0);
	mmput(mm);
}

static void test_write_to_readonly_vma_is_sigsegv(void **state)
{
	struct mm_struct *mm;
	unsigned long addr;
	char v = 1;

	(void)state;
	mm = mm_alloc();
	addr = hp_test_mmap_anon(mm, PAGE_SIZE, PROT_READ, MAP_PRIVATE);
	assert_int_equal(hp_access(mm, addr, 1, HP_ACCESS_WRITE, &v), HP_ACCESS_SIGSEGV);
	assert_int_equal(hp_access(mm, addr + PAGE_SIZE, 1, HP_ACCESS_READ, &v), HP_ACCESS_SIGSEGV);
	addr = hp_test_mmap_anon(mm, PAGE_SIZE, PROT_NONE, MAP_PRIVATE);
	assert_int_equal(hp_access(mm, addr, 1, HP_ACCESS_READ, &v), HP_ACCESS_SIGSEGV);
	/* As x86's access_error(): refused before mm sees a fault, none counted. */
	assert_int_equal(hp_test_faults(mm), 0);
	assert_int_equal(atomic_load(&mm->faults.result[HP_FAULT_SIGSEGV]), 0);
	mmput(mm);
}

static void test_thp_maps_pmds_with_deposit(void **state)
{
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	struct hp_entry_counts c;
	struct page *page;
	unsigned long addr;
	uint64_t val;

	(void)state;
	mm = mm_alloc();
	/*
	 * 2 MiB + 1 MiB: one THP, then 4 KiB pages for the tail.  mmap aligns
	 * only multiples of 2 MiB, so map 4 MiB and give the last 1 MiB back.
	 */
	addr = hp_test_mmap_anon(mm, 2 * PMD_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	assert_int_equal(hp_munmap(mm, addr + PMD_SIZE + PMD_SIZE / 2, PMD_SIZE / 2), 0);
	assert_int_equal(hp_madvise(mm, addr, PMD_SIZE + PMD_SIZE / 2, MADV_HUGEPAGE), 0);
	vma = find_vma(mm, addr);
	for (unsigned long off = 0; off < PMD_SIZE + PMD_SIZE / 2; off += PAGE_SIZE)
		hp_test_put_byte(mm, addr + off, (char)(off >> 12));
	assert_int_equal(resolved_at(mm, HP_LEVEL_PMD), 1);
	assert_int_equal(resolved_at(mm, HP_LEVEL_PTE), 256);
	assert_int_equal(atomic_load(&mm->faults.fallback[HP_LEVEL_PMD]), 1);
	c = hp_test_counts(mm);
	assert_int_equal(c.leaves[HP_LEVEL_PMD][HP_KIND_NORMAL], 1);
	assert_int_equal(c.leaves[HP_LEVEL_PTE][HP_KIND_NORMAL], 256);
	assert_int_equal(c.deposited, 1);
	assert_int_equal(atomic_load(&mm->nr_tables[HP_TABLE_PTE]), 2);
	assert_int_equal(atomic_load(&mm->rss), 512 + 256);

	assert_int_equal(hp_lookup_entry(mm, addr + 4096 * 7, &val), HP_LEVEL_PMD);
	page = vm_normal_page_pmd(vma, addr, __pmd(val));
	assert_non_null(page);
	assert_true(folio_test_large(page_folio(page)));
	assert_int_equal(folio_entire_mapcount(page_folio(page)), 1);
	assert_int_equal(folio_ref_count(page_folio(page)), 1);
	assert_int_equal(hp_test_get_byte(mm, addr + 4096 * 7), 7);
	mmput(mm);
}

static void test_thp_unavailable_falls_back(void **state)
{
	struct mm_struct *mm;
	unsigned long addr;

	(void)state;
	mm = mm_alloc();
	addr = hp_test_mmap_anon(mm, PMD_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	assert_int_equal(hp_madvise(mm, addr, PMD_SIZE, MADV_HUGEPAGE), 0);
	hp_fail_nth(HP_FAIL_THP, 1);
	hp_test_put_byte(mm, addr, 1);
	assert_int_equal(resolved_at(mm, HP_LEVEL_PTE), 1);
	assert_int_equal(atomic_load(&mm->faults.fallback[HP_LEVEL_PMD]), 1);
	/* The deposit table failing is OOM, and the THP goes back. */
	hp_fail_nth(HP_FAIL_PGTABLE, 1);
	addr = hp_test_mmap_anon(mm, PMD_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	assert_int_equal(hp_madvise(mm, addr, PMD_SIZE, MADV_HUGEPAGE), 0);
	{
		char v = 1;

		/* The PMD table exists already (same 1 GiB), so the first table asked is the deposit. */
		assert_int_equal(hp_access(mm, addr, 1, HP_ACCESS_WRITE, &v), HP_ACCESS_OOM);
	}
	mmput(mm);
}

static void test_shared_anon_maps_one_page(void **state)
{
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	unsigned long addr;
	uint64_t val;
	struct page *page;

	(void)state;
	mm = mm_alloc();
	addr = hp_test_mmap_anon(mm, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED);
	vma = find_vma(mm, addr);
	assert_int_equal(hp_test_get_byte(mm, addr), 0);
	hp_test_put_byte(mm, addr, 9);	/* the read mapped it writable already */
	assert_int_equal(hp_test_faults(mm), 1);
	assert_int_equal(hp_lookup_entry(mm, addr, &val), HP_LEVEL_PTE);
	page = vm_normal_page(vma, addr, __pte(val));
	assert_non_null(page);
	assert_false(PageAnon(page));
	/* One reference for the object, one for the mapping. */
	assert_int_equal(page_ref_count(page), 2);
	assert_int_equal(page_mapcount(page), 1);
	mmput(mm);
}

/*
 * Shared anonymous memory has read fault-around in 6.12: shmem's map_pages
 * is filemap_map_pages(), and do_read_fault() calls it first
 * (should_fault_around(), fault_around_bytes = 64 KiB) for the aligned
 * 16-page window, mapping every page already in the page cache, clean, one
 * reference each.  Writes get no fault-around (do_shared_fault()), and
 * pages not in the cache are left to ->fault.
 */
static void test_shared_anon_read_faults_around(void **state)
{
	const unsigned long at = 0x7e0000000000UL, len = 32 * PAGE_SIZE;
	struct mm_struct *parent, *child;
	struct hp_entry_counts c;
	unsigned long faults;
	uint64_t val;

	(void)state;
	parent = mm_alloc();
	assert_int_equal(hp_mmap(parent, NULL, at, len, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, 0), at);
	/* Pages 0-11 and 16-19 into the page cache: one write fault each. */
	for (unsigned long i = 0; i < 20; i++)
		if (i < 12 || i >= 16)
			hp_test_put_byte(parent, at + i * PAGE_SIZE, (char)i);
	assert_int_equal(hp_test_faults(parent), 16);
	child = hp_fork(parent);	/* shared memory is not copied: the child refaults */
	assert_int_equal(hp_test_counts(child).leaves[HP_LEVEL_PTE][HP_KIND_NORMAL], 0);

	/* One read of page 5 maps the cached pages of its window, 0-11. */
	assert_int_equal(hp_test_get_byte(child, at + 5 * PAGE_SIZE), 5);
	assert_int_equal(hp_test_faults(child), 1);
	c = hp_test_counts(child);
	assert_int_equal(c.leaves[HP_LEVEL_PTE][HP_KIND_NORMAL], 12);
	assert_int_equal(hp_lookup_entry(child, at + 11 * PAGE_SIZE, &val), HP_LEVEL_PTE);
	assert_false(pte_dirty(__pte(val)));
	assert_int_equal(page_ref_count(pfn_to_page(pte_pfn(__pte(val)))), 3);
	assert_int_equal(hp_lookup_entry(child, at + 12 * PAGE_SIZE, &val), HP_LEVEL_NONE);
	for (unsigned long i = 0; i < 12; i++)
		assert_int_equal(hp_test_get_byte(child, at + i * PAGE_SIZE), (char)i);
	assert_int_equal(hp_test_faults(child), 1);
	/* Page 13 is not cached: ->fault allocates it, the window maps nothing more. */
	assert_int_equal(hp_test_get_byte(child, at + 13 * PAGE_SIZE), 0);
	assert_int_equal(hp_test_faults(child), 2);
	assert_int_equal(hp_test_counts(child).leaves[HP_LEVEL_PTE][HP_KIND_NORMAL], 13);
	/* A write is not a read fault: page 17 alone, then page 18 by a read maps 16-19. */
	faults = hp_test_faults(child);
	hp_test_put_byte(child, at + 17 * PAGE_SIZE, 1);
	assert_int_equal(hp_test_counts(child).leaves[HP_LEVEL_PTE][HP_KIND_NORMAL], 14);
	assert_int_equal(hp_test_get_byte(child, at + 18 * PAGE_SIZE), 18);
	assert_int_equal(hp_test_faults(child), faults + 2);
	assert_int_equal(hp_test_counts(child).leaves[HP_LEVEL_PTE][HP_KIND_NORMAL], 17);
	mmput(child);
	mmput(parent);
}

/* A private write to an object's page copies it; the object keeps its bytes. */
static void test_private_write_copies_object_page(void **state)
{
	struct mm_struct *mm;
	struct file *file;
	unsigned long addr;
	uint64_t val;

	(void)state;
	probe_setup(&mm, &file, 0);
	probe.page = alloc_pages(__GFP_ZERO, 0);
	((char *)page_address(probe.page))[3] = 77;
	addr = map_probe(mm, file, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	assert_int_equal(hp_test_get_byte(mm, addr + 3), 77);
	hp_test_put_byte(mm, addr + 3, 78);
	assert_int_equal(hp_test_get_byte(mm, addr + 3), 78);
	assert_int_equal(((char *)page_address(probe.page))[3], 77);
	assert_int_equal(hp_lookup_entry(mm, addr, &val), HP_LEVEL_PTE);
	assert_int_not_equal(pte_pfn(__pte(val)), page_to_pfn(probe.page));
	mmput(mm);
	{
		struct hp_leaks leaks;

		hp_machine_leaks(&leaks);	/* lets deferred puts finish */
	}
	assert_int_equal(page_ref_count(probe.page), 1);
	put_page(probe.page);
	fput(file);
}

/*
 * FAULT_FLAG_UNSHARE on the zero page in a private mapping (a read-only
 * longterm pin asks for it): 6.12's do_wp_page() finds no anonymous page to
 * reuse and wp_page_copy() gives the process its own zeroed page, mapped
 * read-only and clean with vm_page_prot.  The next write reuses it.
 */
static void test_unshare_of_zero_page_gives_own_page(void **state)
{
	struct mm_struct *mm;
	struct page *page;
	unsigned long addr;
	uint64_t val;

	(void)state;
	mm = mm_alloc();
	addr = hp_test_mmap_anon(mm, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	assert_int_equal(hp_test_get_byte(mm, addr), 0);
	mmap_read_lock(mm);
	assert_int_equal(handle_mm_fault(find_vma(mm, addr), addr, FAULT_FLAG_UNSHARE), 0);
	mmap_read_unlock(mm);
	assert_int_equal(hp_lookup_entry(mm, addr, &val), HP_LEVEL_PTE);
	assert_false(is_zero_pfn(pte_pfn(__pte(val))));
	assert_int_equal(val, pte_val(pfn_pte(pte_pfn(__pte(val)), PAGE_COPY)));
	page = pfn_to_page(pte_pfn(__pte(val)));
	assert_true(PageAnon(page) && PageAnonExclusive(page));
	assert_int_equal(atomic_load(&mm->rss), 1);
	assert_int_equal(hp_test_get_byte(mm, addr), 0);
	hp_test_put_byte(mm, addr, 4);
	assert_int_equal(hp_lookup_entry(mm, addr, &val), HP_LEVEL_PTE);
	assert_int_equal(pte_pfn(__pte(val)), page_to_pfn(page));
	mmput(mm);
}

/* ---- which VMAs may have huge entries ----------------------------------- */

#define PROBE_AT	0x7e0000000000UL	/* PUD-aligned, whatever the placement */

/* Maps the probe at PROBE_AT, madvised as asked (0: not at all), and writes to it. */
static unsigned long probe_huge_faults(struct mm_struct *mm, struct file *file, int advice)
{
	unsigned long addr = hp_mmap(mm, file, PROBE_AT, PUD_SIZE, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_FIXED, 0);

	assert_int_equal(addr, PROBE_AT);
	if (advice)
		assert_int_equal(hp_madvise(mm, addr, PUD_SIZE, advice), 0);
	probe.calls = 0;
	hp_test_put_byte(mm, addr, 1);
	return probe.calls;
}

/*
 * Linux 6.12's thp_vma_allowable_orders() (vma_file_bypass_thp_tuneables(),
 * vma_file_allow_thp_tuneables(), vma_can_map_huge_file()): only a VM_PFNMAP
 * VMA with a huge_fault ignores the THP sysfs mode.  Under "madvise", a
 * VM_MIXEDMAP VMA is offered huge faults only after MADV_HUGEPAGE, and
 * MADV_NOHUGEPAGE takes them from every VMA (vma_thp_disabled()).
 */
static void test_huge_faults_follow_thp_rules(void **state)
{
	static const struct {
		bool mixed;
		int advice;
		unsigned int calls;	/* huge_fault(PMD_ORDER) calls for one write */
		enum hp_level level;
	} cases[] = {
		{ false, 0, 1, HP_LEVEL_PMD },
		{ false, MADV_NOHUGEPAGE, 0, HP_LEVEL_PTE },
		{ true, 0, 0, HP_LEVEL_PTE },
		{ true, MADV_HUGEPAGE, 1, HP_LEVEL_PMD },
		{ true, MADV_NOHUGEPAGE, 0, HP_LEVEL_PTE },
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mm_struct *mm;
		struct file *file;
		uint64_t val;

		probe_setup(&mm, &file, PMD_ORDER);
		probe.mixed = cases[i].mixed;
		assert_int_equal(probe_huge_faults(mm, file, cases[i].advice), cases[i].calls);
		assert_int_equal(hp_lookup_entry(mm, PROBE_AT, &val), cases[i].level);
		probe_teardown(mm, file);
		hp_test_restart(state);	/* each case on a fresh machine */
	}
}

/* A file VMA that is neither PFNMAP nor MIXEDMAP may have PMDs, never a PUD (6.12: THP_ORDERS_ALL_FILE_DEFAULT). */
static void test_plain_file_vma_gets_no_pud_fault(void **state)
{
	struct mm_struct *mm;
	struct file *file;

	(void)state;
	probe_setup(&mm, &file, PUD_ORDER);
	probe.page = alloc_pages(__GFP_ZERO, 0);
	assert_int_equal(probe_huge_faults(mm, file, MADV_HUGEPAGE), 0);
	mmput(mm);
	hp_machine_leaks(&(struct hp_leaks){ 0 });	/* lets deferred puts finish */
	put_page(probe.page);
	fput(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		HP_TEST(test_special_bar_is_one_pud_fault),
		HP_TEST_UNDER(test_none_bar_falls_back_to_ptes, NONE),
		HP_TEST_UNDER(test_plain_bar_entry_is_unmarked, PLAIN),
		HP_TEST_UNDER(test_devmap_policy_marks_devmap_without_pagemap, DEVMAP),
		HP_TEST(test_pmd_faults_below_pud_size),
		HP_TEST(test_misaligned_window_falls_back),
		HP_TEST(test_zone_device_gets_devmap),
		HP_TEST(test_misaligned_pfn_is_sigbus),
		HP_TEST(test_pfn_beyond_physical_limit_is_sigbus),
		HP_TEST(test_range_outside_vma_is_sigbus),
		HP_TEST(test_existing_entry_rules),
		HP_TEST_UNDER(test_none_policy_refuses_huge_inserts, NONE),
		HP_TEST(test_pte_insert_rules),
		HP_TEST(test_anon_read_maps_zero_page_then_write_copies),
		HP_TEST(test_write_to_readonly_vma_is_sigsegv),
		HP_TEST(test_thp_maps_pmds_with_deposit),
		HP_TEST(test_thp_unavailable_falls_back),
		HP_TEST(test_shared_anon_maps_one_page),
		HP_TEST(test_shared_anon_read_faults_around),
		HP_TEST(test_private_write_copies_object_page),
		HP_TEST(test_unshare_of_zero_page_gives_own_page),
		HP_TEST(test_huge_faults_follow_thp_rules),
		HP_TEST(test_plain_file_vma_gets_no_pud_fault),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
