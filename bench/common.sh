# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the benchmark scripts (sourced after tests/lab/lib.sh).
# BENCH_OUT: where each benchmark leaves its markdown section and raw numbers.
# BENCH_QUICK=1: fewer runs, shorter windows.

BENCH_OUT=${BENCH_OUT:-build/bench}
BENCH_QUICK=${BENCH_QUICK:-0}
WGTOOL="/usr/bin/python3 bench/wgtool.py"
mkdir -p "$BENCH_OUT"

bench_log() { printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

now_s() { date +%s.%N; }

# runs QUICK FULL: the number of repetitions
runs() { [ "$BENCH_QUICK" = 1 ] && echo "$1" || echo "$2"; }

# proc_cpu PID: CPU seconds used so far, all threads, at nanosecond resolution
# (schedstat; /proc/PID/stat counts in 10 ms ticks, too coarse for an idle daemon)
proc_cpu() { cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%.6f\n", s / 1e9 }'; }

# proc_kb PID FIELD: VmRSS, VmHWM... in kB
proc_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# stats FILE COLUMN [SCALE]: "p50 p95 min max n" of a column of numbers ("timeout"s are
# counted apart: they print as fails=N)
stats() { /usr/bin/python3 bench/stats.py "$@"; }

# The daemon's PID as lab_bg recorded it (ip netns exec execs into it).
stunmesh_pid() { cat "$LAB_DIR/stunmesh$1.pid"; }
