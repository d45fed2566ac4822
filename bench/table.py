#!/usr/bin/python3
"""table.py RUNS.TXT - the medians of bench/run.sh's runs, and ratios.
Lines: KIND SIZE TOOL WALL_S CPU_S RSS_KIB PACKAGE_BYTES."""
import statistics
import sys

runs = {}
for line in open(sys.argv[1]):
    kind, size, tool, wall, cpu, rss, pkg = line.split()
    runs.setdefault((kind, int(size), tool), []).append(
        (float(wall), float(cpu), int(rss), int(pkg)))


def med(key, i):
    return statistics.median(r[i] for r in runs[key])


print("%-9s %8s %-7s %4s %9s %9s %10s %9s %13s %12s" % (
    "source", "answers", "tool", "runs", "wall (s)", "CPU (s)", "peak RSS",
    "pkg (MB)", "portex/floor", "python/portex"))
for kind, size, tool in sorted(runs, key=lambda k: (k[0], k[1], k[2])):
    if tool.startswith("small"):
        continue
    key = (kind, size, tool)
    ratio = ""
    if tool == "portex" and (kind, size, "floor") in runs:
        ratio = "%.2fx" % (med(key, 0) / med((kind, size, "floor"), 0))
    pyr = ""
    if tool == "portex" and (kind, size, "python") in runs:
        pyr = "%.2fx" % (med((kind, size, "python"), 0) / med(key, 0))
    if tool == "before" and (kind, size, "portex") in runs:
        ratio = "(%.2fx now)" % (med((kind, size, "portex"), 0) / med(key, 0))
    print("%-9s %8d %-7s %4d %9.2f %9.2f %6.1f MiB %9.1f %13s %12s" % (
        kind, size, tool, len(runs[key]), med(key, 0), med(key, 1),
        max(r[2] for r in runs[key]) / 1024, med(key, 3) / 1e6, ratio, pyr))
for key in sorted(runs):
    if key[2].startswith("small"):
        print("%s (301 records, 13 collections, SQLite): median %.1f ms "
              "CPU, %.1f ms wall over %d runs; package %.1f kB" % (
                  "small subject" if key[2] == "small" else "  before",
                  med(key, 1) * 1000, med(key, 0) * 1000, len(runs[key]),
                  med(key, 3) / 1e3))
