#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# stats.py FILE COL [SCALE]: p50 p95 min max of column COL (1-based, whitespace-separated)
# of FILE, times SCALE; nearest-rank percentiles. Prints "p50 p95 min max n fails".
import math
import sys


def pct(v, p):
    return v[max(0, math.ceil(p / 100 * len(v)) - 1)]


def main():
    path, col = sys.argv[1], int(sys.argv[2])
    scale = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
    vals, fails = [], 0
    for line in open(path):
        f = line.split()
        if len(f) < col:
            continue
        try:
            vals.append(float(f[col - 1]) * scale)
        except ValueError:
            fails += 1
    vals.sort()
    if not vals:
        print("- - - - 0 %d" % fails)
        return
    print("%.3f %.3f %.3f %.3f %d %d" % (pct(vals, 50), pct(vals, 95), vals[0], vals[-1], len(vals), fails))


if __name__ == "__main__":
    main()
