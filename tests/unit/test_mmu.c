// SPDX-License-Identifier: MIT
/*
 * The software MMU: accesses across pages and levels, ACCESSED/DIRTY set as
 * the hardware sets them, faults on misses and protection, bus errors, and
 * threads touching one address space at once.
 */
#include <pthread.h>
#include <string.h>

#include "hp_test.h"

static void test_access_spans_pages(void **state)
{
	struct mm_struct *mm;
	unsigned long addr;
	char in[3 * PAGE_SIZE], out[3 * PAGE_SIZE];

	(void)state;
	mm = mm_alloc();
	addr = hp_test_mmap_anon(mm, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (char)(i * 13);
	assert_int_equal(hp_access(mm, addr + 100, sizeof(in), HP_ACCESS_WRITE, in), HP_ACCESS_OK);
	assert_int_equal(hp_access(mm, addr + 100, sizeof(out), HP_ACCESS_READ, out), HP_ACCESS_OK);
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(hp_test_faults(mm), 4);
	assert_int_equal(hp_access_fill(mm, addr + 10, 2 * PAGE_SIZE, 0x5a), HP_ACCESS_OK);
	assert_int_equal(hp_access(mm, addr, sizeof(out), HP_ACCESS_READ, out), HP_ACCESS_OK);
	assert_int_equal(out[9], 0);	/* below the first write */
	for (size_t i = 10; i < 10 + 2 * PAGE_SIZE; i++)
		assert_int_equal(out[i], 0x5a);
	mmput(mm);
}

static void test_accessed_and_dirty_bits(void **state)
{
	struct mm_struct *mm;
	struct hp_bar *bar;
	unsigned long addr;
	uint64_t val;
	char v = 0;

	(void)state;
	mm = mm_alloc();
	bar = hp_bar_create("bar", PMD_SIZE, false);
	addr = hp_test_map_bar(mm, bar, PMD_SIZE, 0);
	hp_bar_destroy(bar);
	/* A read fault inserts a clean entry; the MMU's write dirties it. */
	assert_int_equal(hp_access(mm, addr, 1, HP_ACCESS_READ, &v), HP_ACCESS_OK);
	assert_int_equal(hp_lookup_entry(mm, addr, &val), HP_LEVEL_PMD);
	assert_false(pmd_dirty(__pmd(val)));
	assert_true(pmd_write(__pmd(val)));
	assert_int_equal(hp_access(mm, addr + 3, 1, HP_ACCESS_WRITE, &v), HP_ACCESS_OK);
	assert_int_equal(hp_test_faults(mm), 1);
	assert_int_equal(hp_lookup_entry(mm, addr, &val), HP_LEVEL_PMD);
	assert_true(pmd_dirty(__pmd(val)) && pmd_young(__pmd(val)));
	/* Only DIRTY changed: special and the pfn are as they were. */
	assert_true(pmd_special(__pmd(val)));
	mmput(mm);
}

static void test_unmapped_is_sigsegv(void **state)
{
	struct mm_struct *mm;
	char v;

	(void)state;
	mm = mm_alloc();
	assert_int_equal(hp_access(mm, 0x100000000UL, 1, HP_ACCESS_READ, &v), HP_ACCESS_SIGSEGV);
	assert_int_equal(hp_access(mm, TASK_SIZE_MAX, 1, HP_ACCESS_READ, &v), HP_ACCESS_SIGSEGV);
	assert_int_equal(hp_access(mm, ~0UL - 1, 4, HP_ACCESS_READ, &v), HP_ACCESS_SIGSEGV);
	mmput(mm);
}

/* A pfn that no memory answers: the access is a bus error, not a crash. */
static vm_fault_t hole_fault(struct vm_fault *vmf)
{
	return vmf_insert_pfn(vmf->vma, vmf->address, 1UL << 36);
}

static const struct vm_operations_struct hole_vm_ops = { .fault = hole_fault };

static int hole_mmap(struct file *file, struct vm_area_struct *vma)
{
	(void)file;
	vma->vm_flags |= VM_PFNMAP | VM_IO;
	vma->vm_ops = &hole_vm_ops;
	return 0;
}

static const struct file_operations hole_fops = { .mmap = hole_mmap };

static void test_pfn_without_memory_is_sigbus(void **state)
{
	struct mm_struct *mm;
	struct file *file;
	unsigned long addr;
	char v;

	(void)state;
	mm = mm_alloc();
	file = hp_file_create(&hole_fops, NULL);
	addr = hp_mmap(mm, file, 0, PAGE_SIZE, PROT_READ, MAP_SHARED, 0);
	assert_int_equal(hp_access(mm, addr, 1, HP_ACCESS_READ, &v), HP_ACCESS_SIGBUS);
	mmput(mm);
	fput(file);
}

struct toucher {
	struct mm_struct *mm;
	unsigned long addr, len;
	int seed;
	bool ok;
};

static void *touch_thread(void *arg)
{
	struct toucher *t = arg;

	hp_thread_register();
	t->ok = true;
	for (unsigned long off = 0; off < t->len; off += PAGE_SIZE) {
		char v = (char)(t->seed + (off >> PAGE_SHIFT));

		t->ok &= hp_access(t->mm, t->addr + off, 1, HP_ACCESS_WRITE, &v) == HP_ACCESS_OK;
	}
	for (unsigned long off = 0; off < t->len; off += PAGE_SIZE) {
		char v = 0;

		t->ok &= hp_access(t->mm, t->addr + off, 1, HP_ACCESS_READ, &v) == HP_ACCESS_OK;
		t->ok &= v == (char)(t->seed + (off >> PAGE_SHIFT));
	}
	hp_thread_unregister();
	return NULL;
}

/* Two threads fault in neighbouring halves of one region: tables are shared. */
static void test_threads_fault_one_mm(void **state)
{
	struct toucher t[2];
	pthread_t tid[2];
	struct mm_struct *mm;
	unsigned long addr, len = 8 * PMD_SIZE;

	(void)state;
	mm = mm_alloc();
	addr = hp_test_mmap_anon(mm, len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	for (int i = 0; i < 2; i++) {
		t[i] = (struct toucher){ mm, addr + i * len / 2, len / 2, i * 100, false };
		assert_int_equal(pthread_create(&tid[i], NULL, touch_thread, &t[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(tid[i], NULL);
		assert_true(t[i].ok);
	}
	assert_int_equal(atomic_load(&mm->rss), len >> PAGE_SHIFT);
	assert_int_equal(atomic_load(&mm->nr_tables[HP_TABLE_PTE]), 8);
	mmput(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		HP_TEST(test_access_spans_pages),
		HP_TEST(test_accessed_and_dirty_bits),
		HP_TEST(test_unmapped_is_sigsegv),
		HP_TEST(test_pfn_without_memory_is_sigbus),
		HP_TEST(test_threads_fault_one_mm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
