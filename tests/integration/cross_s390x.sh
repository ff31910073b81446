#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The big-endian cross check inside `make check`: when the s390x cross toolchain and
# qemu-user are installed (`CROSS_ARCHS=s390x sh scripts/deps.sh cross`), the unit
# tests and fuzz corpus replays are built for s390x and run under qemu-s390x
# (scripts/cross.sh s390x, about a minute). Without the toolchain this skips.
set -u
cd "$(dirname "$0")/../.." || exit 1
for tool in s390x-linux-gnu-gcc qemu-s390x; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "skip - s390x cross tests: $tool not installed (CROSS_ARCHS=s390x sh scripts/deps.sh cross)"
		exit 0
	fi
done
for p in libsodium-dev libyaml-dev libcjson-dev libmnl-dev libcmocka-dev; do
	if ! dpkg-query -W -f='${Status}' "$p:s390x" 2>/dev/null | grep -q "install ok installed"; then
		echo "skip - s390x cross tests: $p:s390x not installed (CROSS_ARCHS=s390x sh scripts/deps.sh cross)"
		exit 0
	fi
done
log=build/cross/s390x.out
mkdir -p build/cross
sh scripts/cross.sh s390x >"$log" 2>&1
rc=$?
# one TAP-ish line per program (ok), per failing or skipped case
sed -n -e 's/^ok   \(.*\)$/ok - \1/p' -e 's/^skip \([^:]*:[^:]*\): \(.*\)$/skip - \1: \2/p' \
	-e 's/^FAIL \(.*\)$/not ok - \1/p' "$log" | grep -v '^not ok - .*log build' || true
grep -q '^not ok\|^FAIL' "$log" || [ $rc -eq 0 ] || echo "not ok - scripts/cross.sh s390x exited $rc"
tail -n 1 "$log" | sed 's/^/# /'
exit $rc
