/* SPDX-License-Identifier: MIT */
/*
 * A test device: one PCI BAR of device memory, mapped into processes the way
 * vfio-pci maps BARs (VM_PFNMAP | VM_IO, 4 KiB faults plus PMD and PUD huge
 * faults when the address and the pfn are both aligned).  With zone_device the
 * BAR is ZONE_DEVICE memory (it has struct pages and a dev_pagemap) and is
 * mapped VM_MIXEDMAP (without VM_IO) instead.
 */
#ifndef HUGEPFN_BAR_H
#define HUGEPFN_BAR_H

#include <hugepfn/mm.h>

HP_BEGIN_DECLS

struct hp_bar;

struct hp_bar *hp_bar_create(const char *name, uint64_t size, bool zone_device);
/* Drops the creator's reference; mappings keep the BAR until they go. */
void hp_bar_destroy(struct hp_bar *bar);
struct file *hp_bar_file(struct hp_bar *bar);
unsigned long hp_bar_pfn(const struct hp_bar *bar);

HP_END_DECLS

#endif
