#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Cross builds tested: for each architecture, build stunmesh, the unit tests and the fuzz
# corpus replays (tests/fuzz/replay.c) with Debian's cross compiler against the
# multiarch -dev packages, into build/cross/ARCH/, then run them under qemu-user.
# s390x is the big-endian one: a byte-order bug shows there as a failing test.
# Usage: scripts/cross.sh [ARCH...]   (armhf arm64 mipsel s390x; default all four)
# Prints "ok"/"FAIL"/"skip" per program or case and "N passed, N failed[, N skipped]"
# last, as tests/run.sh does; exits 1 on any failure.
# The packages come from `scripts/deps.sh cross` (make check-cross runs it).
set -u
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
archs=${*:-armhf arm64 mipsel s390x}
pass=0 fail=0 skip=0
failed=""
jobs=$(nproc 2>/dev/null || echo 2)

triplet() {
	case $1 in
	armhf) echo arm-linux-gnueabihf ;;
	arm64) echo aarch64-linux-gnu ;;
	mipsel) echo mipsel-linux-gnu ;;
	s390x) echo s390x-linux-gnu ;;
	*) return 1 ;;
	esac
}

qemu_for() {
	case $1 in
	armhf) echo qemu-arm ;;
	arm64) echo qemu-aarch64 ;;
	mipsel) echo qemu-mipsel ;;
	s390x) echo qemu-s390x ;;
	esac
}

# Cases that cannot pass under qemu-user, or known test bugs reported and not yet fixed,
# as "PROGRAM:CASE ARCHS why" (ARCHS "all" or a comma list). A listed case that fails is
# counted as skipped with its reason; one that passes counts as passed and is reported
# as stale, so this list cannot hide a new failure. Everything here also runs natively.
KNOWN='test_wg:test_missing_interface all qemu-user has no NETLINK_GENERIC sockets (EPROTONOSUPPORT)
test_wg:test_not_wireguard all qemu-user has no NETLINK_GENERIC sockets (EPROTONOSUPPORT)
test_store_exec:test_missing_command all qemu-user runs the CLONE_VFORK child of posix_spawn as a separate process, so a failed exec shows as exit 127, not its errno'

known_reason() { # $1 program, $2 case, $3 arch: prints the reason, or fails
	echo "$KNOWN" | while read -r id archs why; do
		[ "$id" = "$1:$2" ] || continue
		case ",$archs," in *",all,"* | *",$3,"*) echo "$why"; exit 0 ;; esac
	done | grep .
}

# One cmocka program under qemu: count its cases as tests/run.sh does.
run_cmocka() { # $1 qemu, $2 binary, $3 arch, $4 log
	n=$(basename "$2")
	timeout 300 "$1" "$2" >"$4" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$4" | tail -n 1)
	pass=$((pass + ${p:-0}))
	cases=$(sed -n 's/^\[  FAILED  \] \(test_[A-Za-z0-9_]*\)$/\1/p' "$4" | sort -u)
	bad=0
	for c in $cases; do
		if why=$(known_reason "$n" "$c" "$3"); then
			skip=$((skip + 1)); echo "skip $3/$n:$c: $why"
		else
			bad=$((bad + 1)); echo "FAIL $3/$n:$c"
		fi
	done
	for id in $(echo "$KNOWN" | cut -d' ' -f1 | grep "^$n:"); do
		c=${id#*:}
		known_reason "$n" "$c" "$3" >/dev/null || continue
		echo "$cases" | grep -qx "$c" && continue
		grep -q "^\[       OK \] $c\$" "$4" && echo "note $3/$n:$c passes now: take it off KNOWN in scripts/cross.sh"
	done
	if [ $bad -gt 0 ]; then
		fail=$((fail + bad)); failed="$failed $3/$n"
	elif [ -z "$cases" ] && [ $rc -ne 0 ]; then
		bad=1; fail=$((fail + 1)); failed="$failed $3/$n"
	fi
	if [ $bad -gt 0 ]; then
		echo "FAIL $3/$n (exit $rc), log $4:"
		grep -E '^\[  (ERROR|FAILED) |^\[   LINE' "$4" | head -n 30
	else
		echo "ok   $3/$n (${p:-0} cases)"
	fi
}

for arch in $archs; do
	t=$(triplet "$arch") || { echo "cross.sh: unknown architecture $arch (armhf arm64 mipsel s390x)" >&2; exit 2; }
	qemu=$(qemu_for "$arch")
	for tool in "$t-gcc" "$qemu"; do
		command -v "$tool" >/dev/null || {
			echo "cross.sh: $tool missing (scripts/deps.sh cross installs it)" >&2; exit 2; }
	done
	dir=build/cross/$arch
	mkdir -p "$dir"
	# The Makefile builds relative to its directory: a tree of links gives the cross
	# build its own build/ without another variable in the Makefile.
	for d in src tests Makefile; do
		[ -e "$dir/$d" ] || ln -s "$top/$d" "$dir/$d"
	done
	# objects do not depend on the Makefile's flags: start afresh when it changed
	stamp=$(cat Makefile scripts/cross.sh | cksum)
	if [ "$(cat "$dir/stamp" 2>/dev/null)" != "$stamp" ]; then
		rm -rf "$dir/build"
		echo "$stamp" >"$dir/stamp"
	fi
	start=$(date +%s)
	log=$dir/build.log
	echo "== $arch: building with $t-gcc (log $log)"
	if ! make -C "$dir" --no-print-directory -j"$jobs" \
		CC="$t-gcc" \
		PKG_CONFIG="env PKG_CONFIG_LIBDIR=/usr/lib/$t/pkgconfig:/usr/share/pkgconfig PKG_CONFIG_PATH= pkg-config" \
		WITH_CLOUDFLARE=0 VERSION="$(git describe --tags --always --dirty 2>/dev/null || echo cross)" \
		test-bins >"$log" 2>&1; then
		tail -n 30 "$log"
		fail=$((fail + 1)); failed="$failed $arch/build"
		echo "FAIL $arch build"
		continue
	fi
	if grep -q 'warning:' "$log"; then
		echo "FAIL $arch: compiler warnings:"; grep 'warning:' "$log" | head -n 20
		fail=$((fail + 1)); failed="$failed $arch/warnings"
	fi
	logs=$dir/logs
	mkdir -p "$logs"
	# the binary itself starts and answers on this CPU
	if out=$(timeout 60 "$qemu" "$dir/stunmesh" version 2>&1) && [ -n "$out" ]; then
		pass=$((pass + 1)); echo "ok   $arch/stunmesh version: $out"
	else
		fail=$((fail + 1)); failed="$failed $arch/version"; echo "FAIL $arch/stunmesh version: $out"
	fi
	# unit tests run from the project root, where their fixtures are
	for b in "$dir"/build/test/test_*; do
		[ -x "$b" ] || continue
		n=$(basename "$b")
		run_cmocka "$qemu" "$b" "$arch" "$logs/$n.log"
	done
	for b in "$dir"/build/replay/fuzz_*; do
		[ -x "$b" ] || continue
		n=$(basename "$b")
		corpus=tests/fuzz/corpus/${n#fuzz_}
		[ -d "$corpus" ] || continue
		if out=$(timeout 300 "$qemu" "$b" "$corpus" 2>&1); then
			pass=$((pass + 1)); echo "ok   $arch/$n ($out)"
		else
			fail=$((fail + 1)); failed="$failed $arch/$n"
			echo "FAIL $arch/$n:"; echo "$out" | tail -n 20
		fi
	done
	echo "== $arch: $(($(date +%s) - start)) s"
done

[ -n "$failed" ] && echo "failed:$failed"
if [ $skip -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ $fail -eq 0 ]
