#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The kernel WireGuard tests (tests/kernel/wg_kernel.sh) in a qemu VM running Debian's
# own kernel, as `make check-kernel` runs them. This machine's kernel may lack the
# module, the VM does not. Skips, saying why, when qemu or the kernel cannot be had.
# Bounded: the VM is killed after VM_TIMEOUT (180 s) and leaves nothing behind.
set -u
cd "$(dirname "$0")/../.." || exit 1
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	echo "skip - kernel wireguard: qemu-system-x86_64 is not installed (package qemu-system-x86, scripts/deps.sh kernel)"
	exit 0
fi
tmp=$(mktemp -d /tmp/sm-kvm.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
VM_TIMEOUT=${VM_TIMEOUT:-180} sh tests/kernel/run-vm.sh tests/kernel/wg_kernel.sh >"$tmp/out" 2>"$tmp/err"
rc=$?
cat "$tmp/out"
sed 's/^/# /' "$tmp/err"
if [ $rc -eq 77 ]; then
	why=$(sed -n 's/^run-vm: cannot run: //p' "$tmp/err" | tail -n 1)
	echo "skip - kernel wireguard: ${why:-the VM could not be started}"
	exit 0
fi
if [ $rc -ne 0 ] && ! grep -q '^not ok - ' "$tmp/out"; then
	echo "not ok - kernel wireguard VM run (exit $rc)"
fi
exit $rc
