// SPDX-License-Identifier: MIT
/*
 * Test 9, on a boot with 16 MiB of VRAM: double-buffered page flips at
 * 1680x1050, which drm_vram_helper_mode_valid() promises for any mode
 * whose framebuffer fits into half of VRAM.
 *
 * A 1.2 MiB buffer is moved into VRAM first (unpinned, so TTM may evict
 * it). Then two 6.73 MiB framebuffers: the first is scanned out (pinned),
 * the display flips to the second (both pinned during the flip) and back.
 * If large buffers could only be placed at 2 MiB aligned VRAM offsets,
 * the second would not fit: after the first at 2 MiB, the aligned offsets
 * left are 0, which overlaps it, and 10 MiB, which ends beyond 16 MiB.
 * Every kernel must flip; the VRAM offsets are reported.
 */
#include <stdio.h>

#include "ktest.h"

int main(int argc, char **argv)
{
	struct kt_bo small, fb[2];
	int set, flip, back;
	struct kt_args a;
	struct kt_dev d;
	int pass;

	kt_parse_args(argc, argv, &a);
	if (kt_open(&d) || kt_bo_create(&d, &small, 640, 480) ||
	    kt_place_in_vram(&d, &small) || kt_use_mode(&d, 1680, 1050) ||
	    kt_bo_create(&d, &fb[0], 1680, 1050) ||
	    kt_bo_create(&d, &fb[1], 1680, 1050))
		return kt_result("t9-flip", 0, "setup=failed");
	kt_dump_vram_mm();

	set = kt_scanout(&d, &fb[0]);
	flip = set ? -1 : kt_page_flip(&d, &fb[1]);
	kt_dump_vram_mm();
	back = flip ? -1 : kt_page_flip(&d, &fb[0]);
	kt_scanout(&d, NULL);

	pass = !set && !flip && !back;
	kt_result("t9-flip", pass,
		  "kernel=%s vram=16M small=%lluK fb=%lluK setcrtc=%d flip=%d flip_back=%d",
		  a.kernel, (unsigned long long)small.size >> 10,
		  (unsigned long long)fb[0].size >> 10, set, flip, back);
	return !pass;
}
