#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# phases.py T0 T1 LOG [PATTERN...]: seconds from T0 (unix) to the first line of the
# stunmesh log LOG (timestamps 2026-01-02T03:04:05.678Z) from T0 up to T1 (0: no end)
# containing each PATTERN; "-" when none. Used to split a convergence or healing time into its steps.
import datetime
import sys


def stamp(line):
    try:
        return datetime.datetime.strptime(line[:23], "%Y-%m-%dT%H:%M:%S.%f").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except ValueError:
        return None


def main():
    t0, t1, path, pats = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4:]
    found = {}
    for line in open(path, errors="replace"):
        t = stamp(line)
        if t is None or t < t0 - 0.0005:
            continue
        if t1 and t > t1:
            break
        for p in pats:
            if p not in found and p in line:
                found[p] = t - t0
    print(" ".join("%.3f" % found[p] if p in found else "-" for p in pats))


if __name__ == "__main__":
    main()
