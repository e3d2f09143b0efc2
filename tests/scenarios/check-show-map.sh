#!/bin/sh
# show map and expect entries over a sparse terabyte, a split THP and a
# zapped BAR: runs of entries, holes and rights exactly as printed.  The walk
# skips empty table slots, so the terabyte costs what its three runs hold.
hugepfn=$1
out=$("$hugepfn" run -c 'process p' -c 'anon big p 1024G' -c 'touch big 0 4K' \
	-c 'touch big 600G 4K' -c 'touch big 1023G 8K' -c 'anon h p 8M huge' -c 'touch h 2M 2M' \
	-c 'touch h 6M 4K' -c 'mprotect h 6M 4K r' -c 'bar b p 1G align=1G' -c 'touch b 0 4K' \
	-c 'anon w p 2M' -c 'touch w 4K 4K' -c 'munmap b 0 512M' -c 'show map big' \
	-c 'show map h' -c 'show map b' -c 'show map w' -c 'expect entries big pte normal == 4' \
	-c 'expect entries big any any == 4' -c 'expect entries h pmd normal == 1' \
	-c 'expect entries h pte any == 512' -c 'expect entries w any normal == 1') || {
	echo "FAIL: the script failed: $out"; exit 1; }
want='map big in p: 0x7efff7e00000-0x7ffff7e00000 (1073741824 KiB)
  0x7efff7e00000-0x7efff7e01000  pte  normal   pfn 0xffc05     rw-  x1
  0x7efff7e01000-0x7f95f7e00000  none
  0x7f95f7e00000-0x7f95f7e01000  pte  normal   pfn 0xffc09     rw-  x1
  0x7f95f7e01000-0x7fffb7e00000  none
  0x7fffb7e00000-0x7fffb7e02000  pte  normal   pfn 0xffc0c     rw-  x2
  0x7fffb7e02000-0x7ffff7e00000  none
map h in p: 0x7efff7600000-0x7efff7e00000 (8192 KiB)
  0x7efff7600000-0x7efff7800000  none
  0x7efff7800000-0x7efff7a00000  pmd  normal   pfn 0xffe00     rw-  x1
  0x7efff7a00000-0x7efff7c00000  none
  0x7efff7c00000-0x7efff7c01000  pte  normal   pfn 0xff800     r--  x1
  0x7efff7c01000-0x7efff7e00000  pte  normal   pfn 0xff801     rw-  x511
map b in p: 0x7eff80000000-0x7effc0000000 (1048576 KiB)
  0x7eff80000000-0x7effc0000000  none
map w in p: 0x7efff7400000-0x7efff7600000 (2048 KiB)
  0x7efff7400000-0x7efff7401000  none
  0x7efff7401000-0x7efff7402000  pte  normal   pfn 0xffc11     rw-  x1
  0x7efff7402000-0x7efff7600000  none'
got=$(printf '%s\n' "$out" | grep -v '^-c under ')
[ "$got" = "$want" ] && exit 0
echo "FAIL: show map printed"
printf '%s\n' "$got"
echo "instead of"
printf '%s\n' "$want"
exit 1
