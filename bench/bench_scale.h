/* SPDX-License-Identifier: MIT */
/* Scale: VMAs by the hundred thousand, and a 64 TiB BAR (bench_scale.c). */
#ifndef HP_BENCH_SCALE_H
#define HP_BENCH_SCALE_H

/* How a benchmark hands bench.c one measurement of a row. */
typedef void bench_record_fn(const char *name, const char *unit, double v, const char *note);

void bench_scale(int reps, bench_record_fn *record);

#endif
