#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make bench`: every benchmark in turn, each bounded by a timeout, then bench/RESULTS.md
# from what they measured. Needs root (network namespaces) and ./stunmesh built.
# BENCH_QUICK=1: fewer runs and shorter windows (a few minutes instead of ~15).
# BENCH_ONLY="convergence healing": a subset. BENCH_OUT: raw data (default build/bench).
set -u
cd "$(dirname "$0")/.." || exit 1
[ "$(id -u)" -eq 0 ] || { echo "make bench needs root (network namespaces)"; exit 1; }
for t in wireguard-go wg turnserver nft conntrack perf /usr/bin/python3; do
	command -v $t >/dev/null || { echo "bench: $t is not installed (scripts/deps.sh)"; exit 1; }
done
/usr/bin/python3 -c 'import nacl' 2>/dev/null || { echo "bench: python3-nacl missing"; exit 1; }
[ -x ./stunmesh ] || { echo "bench: build ./stunmesh first (make)"; exit 1; }

BENCH_OUT=${BENCH_OUT:-build/bench}
export BENCH_OUT BENCH_QUICK="${BENCH_QUICK:-0}"
rm -rf "$BENCH_OUT"
mkdir -p "$BENCH_OUT"
ONLY=${BENCH_ONLY:-footprint convergence healing scale relay}
start=$(date +%s)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
others=$(ip netns list | awk '{ print $1 }' | grep '^sm-' | grep -vc '^sm-bn[chs]-')

for b in $ONLY; do
	echo "== bench: $b" >&2
	timeout 1200 sh "bench/$b.sh" || echo "bench: $b stopped with status $? (see above)" >&2
done

# (a benchmark killed by its timeout leaves its lab behind; the next lab_up of that name
# clears it, see tests/lab/lib.sh)
end=$(date +%s)
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
{
	echo "# stunmesh benchmarks"
	echo
	echo "Written by \`make bench\` (bench/run.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'); every number below"
	echo "comes from that run. Raw data and the daemons' logs stay in \`$BENCH_OUT/\`."
	echo
	echo "| | |"
	echo "|---|---|"
	echo "| stunmesh | $(git describe --tags --always --dirty 2>/dev/null || echo unknown) |"
	echo "| machine | $(nproc) CPUs, $model, $mem |"
	echo "| kernel | $(uname -sr) |"
	echo "| WireGuard | wireguard-go $(dpkg-query -W -f='${Version}' wireguard-go 2>/dev/null) (userspace; no kernel module here) |"
	echo "| STUN servers | coturn $(dpkg-query -W -f='${Version}' coturn 2>/dev/null) |"
	echo "| load average | $load0 before, $(cut -d' ' -f1-3 /proc/loadavg) after; $others other sm-* lab namespaces existed at the start (other tests sharing the CPUs) |"
	echo "| mode | $([ "$BENCH_QUICK" = 1 ] && echo "BENCH_QUICK=1 (fewer runs)" || echo full), $((end - start)) s in all |"
	echo "| reproduce | \`sudo make bench\` (or \`sudo BENCH_QUICK=1 make bench\`); one part: \`sudo BENCH_ONLY=healing sh bench/run.sh\` |"
	echo
} >"$BENCH_OUT/header.md"
/usr/bin/python3 bench/report.py "$BENCH_OUT" bench/RESULTS.md
echo "bench: wrote bench/RESULTS.md in $((end - start)) s" >&2
