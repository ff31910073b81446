#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every test and prints "N passed, N failed" as the last line; exits 1 on any failure.
#  - unit tests: build/test/* and their ASan/UBSan twins build/asan/test/* (cmocka);
#    each cmocka case counts once per build.
#  - fuzz regression: each build/fuzz/* target over tests/fuzz/corpus/<name>/ plus a few
#    thousand fresh inputs (a smoke run; the long runs are `scripts/fuzz.sh`).
#  - the include rule between layers: scripts/check-layers.sh; the size rule:
#    scripts/check-size.sh.
#  - integration: tests/integration/*.sh, each bounded by a timeout; they print
#    "ok - what", "not ok - what" or "skip - what: why" lines.
# Usage: tests/run.sh [--unit-only] [PATTERN]   (PATTERN filters test names)
set -u
cd "$(dirname "$0")/.." || exit 1
unit_only=0
[ "${1:-}" = "--unit-only" ] && { unit_only=1; shift; }
pattern=${1:-}
pass=0 fail=0 skip=0
failed=""
logdir=build/test-logs
mkdir -p $logdir

want() { [ -z "$pattern" ] || case "$1" in *"$pattern"*) return 0 ;; *) return 1 ;; esac; }

note_fail() { fail=$((fail + $2)); failed="$failed $1"; }

run_cmocka() { # $1 binary, $2 label
	log=$logdir/$(echo "$2" | tr '/' '_').log
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
		timeout 120 "$1" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	pass=$((pass + ${p:-0}))
	if [ -n "$f" ] && [ "$f" -gt 0 ]; then
		note_fail "$2" "$f"
	elif [ $rc -ne 0 ]; then
		note_fail "$2" 1
	fi
	if [ $rc -ne 0 ]; then
		echo "FAIL $2 (exit $rc), log $log:"
		sed -n '1,60p' "$log"
	else
		echo "ok   $2 (${p:-0} cases)"
	fi
}

for t in build/test/test_* build/asan/test/test_*; do
	[ -x "$t" ] || continue
	want "$t" || continue
	run_cmocka "$t" "$t"
done

if [ $unit_only -eq 0 ]; then
	# the include rule between the layers (docs/ARCHITECTURE.md)
	if want check-layers; then
		if sh scripts/check-layers.sh >$logdir/check-layers.log 2>&1; then
			pass=$((pass + 1)); echo "ok   check-layers (the include rule, no cycles)"
		else
			note_fail check-layers 1; echo "FAIL check-layers:"; cat $logdir/check-layers.log
		fi
	fi
	# the size rule (files, functions) of the style guide
	if want check-size; then
		if sh scripts/check-size.sh >$logdir/check-size.log 2>&1; then
			pass=$((pass + 1)); echo "ok   check-size (files <= 800 lines, functions <= 120)"
		else
			note_fail check-size 1; echo "FAIL check-size:"; cat $logdir/check-size.log
		fi
	fi

	for f in build/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		want "$f" || continue
		name=$(basename "$f")
		corpus=tests/fuzz/corpus/${name#fuzz_}
		log=$logdir/$name.log
		tmp=$(mktemp -d)
		set -- "$tmp"
		[ -d "$corpus" ] && set -- "$tmp" "$corpus"
		if timeout 120 "$f" -runs=3000 -max_len=4096 -rss_limit_mb=2048 "$@" >"$log" 2>&1; then
			pass=$((pass + 1)); echo "ok   $name (corpus + 3000 runs)"
		else
			note_fail "$name" 1; echo "FAIL $name, log $log:"; tail -n 40 "$log"
		fi
		rm -rf "$tmp"
	done

	for s in tests/integration/*.sh; do
		[ -f "$s" ] || continue
		want "$s" || continue
		name=$(basename "$s" .sh)
		log=$logdir/integration-$name.log
		timeout -k 10 600 sh "$s" >"$log" 2>&1
		rc=$?
		p=$(grep -c '^ok - ' "$log")
		f=$(grep -c '^not ok - ' "$log")
		k=$(grep -c '^skip - ' "$log")
		pass=$((pass + p)); skip=$((skip + k))
		if [ "$f" -gt 0 ]; then
			note_fail "$name" "$f"
		elif [ $rc -ne 0 ]; then
			note_fail "$name" 1
		fi
		grep -E '^(ok|not ok|skip) - ' "$log" | sed "s/^/$name: /"
		if [ "$f" -gt 0 ] || [ $rc -ne 0 ]; then
			echo "FAIL $name (exit $rc), last lines of $log:"
			tail -n 60 "$log"
		fi
	done
fi

[ -n "$failed" ] && echo "failed:$failed"
if [ $skip -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ $fail -eq 0 ]
