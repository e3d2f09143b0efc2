#!/bin/sh
# Draws the per-4-KiB costs of bench/results/latest.json as a bar chart (log scale).
json=$1
png=$2
dat=$(mktemp)
/usr/bin/python3 - "$json" > "$dat" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for r in doc["results"]:
    if r["unit"] == "ns/4KiB" and not r["name"].startswith(("move+refault", "munmap")):
        print('"%s" %f %f %f' % (r["name"], r["median"], r["min"], r["max"]))
PY
gnuplot <<GP
set terminal png size 1800,1000 font ",10" noenhanced
set output "$png"
set title "hugepfn: ns per 4 KiB page (median, min-max bars), log scale"
set logscale y
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.6
set yrange [0.1:*]
set xtics rotate by -35 left
set ylabel "ns per 4 KiB"
set grid ytics
set bmargin 24
set rmargin 36
plot "$dat" using 2:3:4:xtic(1) notitle lc rgb "#3070b0"
GP
rm -f "$dat"
