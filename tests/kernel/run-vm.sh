#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs SCRIPT inside a throwaway VM that has the real kernel WireGuard module: Debian's
# own kernel (tests/kernel/prepare.sh) under qemu with software emulation, and a small
# initramfs built here from busybox-static, the host's ip and wg, the shared libraries
# they and ./stunmesh need (found with ldd), and the modules the test needs.
#
# Why TCG and never KVM: /dev/kvm on the lab machines is a paravirtual KVM that cannot
# run a stock kernel (the guest never reaches userspace). TCG boots it in about 7 s
# here, booting the ELF vmlinux through its PVH entry (see prepare.sh).
#
# Inside the VM the repository is mounted read-only on /mnt/src (9p) and is the working
# directory, so SCRIPT and ./stunmesh are used from there; /mnt/out (9p, writable) takes
# the script's output and exit status back. /tmp and /run are tmpfs.
# The host prints the script's output and exits with its status; 77 means "could not
# run the VM at all" (no qemu, no kernel), which callers report as a skip.
#
# Usage: tests/kernel/run-vm.sh [-v] SCRIPT [ARG...]     (-v: show the console live)
# Environment: VM_TIMEOUT (whole VM, default 180 s), VM_MEM (MiB, default 512),
#   VM_SMP (default 1), VM_MODULES (extra modules to load), VM_BINARIES (extra host
#   programs to copy in, with their libraries).
set -u
verbose=0
[ "${1:-}" = "-v" ] && { verbose=1; shift; }
[ $# -ge 1 ] || { echo "usage: $0 [-v] SCRIPT [ARG...]" >&2; exit 2; }
script=$1
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
vm_timeout=${VM_TIMEOUT:-180}
# The script gets what is left after a generous boot, so that a hung script still
# returns its output instead of being cut off with the VM.
script_timeout=$((vm_timeout - 45))
[ $script_timeout -ge 10 ] || script_timeout=10

skip() { echo "run-vm: cannot run: $*" >&2; exit 77; }
die() { echo "run-vm: $*" >&2; exit 1; }

[ -f "$script" ] || die "no such script: $script"
qemu=$(command -v qemu-system-x86_64) || skip "qemu-system-x86_64 not found (package qemu-system-x86)"
command -v timeout >/dev/null 2>&1 || skip "timeout not found (coreutils)"
command -v modprobe >/dev/null 2>&1 && command -v depmod >/dev/null 2>&1 ||
	skip "modprobe/depmod not found (package kmod)"
ip_bin=$(command -v ip) || skip "ip not found (package iproute2)"
wg_bin=$(command -v wg) || skip "wg not found (package wireguard-tools)"
if prep=$(sh "$root/tests/kernel/prepare.sh" 2>&1); then
	[ -n "$prep" ] && echo "$prep" >&2
else
	echo "$prep" >&2
	skip "$(echo "$prep" | sed -n 's/^prepare: //p' | tail -n 1)"
fi
. "$root/build/kernel/kernel.env"
kroot=$root/$KROOT
busybox=$root/$BUSYBOX
# The ELF vmlinux boots through PVH, twice as fast as the bzImage (see prepare.sh).
vmlinuz=$root/$VMLINUZ
[ -n "${VMLINUX:-}" ] && [ -f "$root/$VMLINUX" ] && vmlinuz=$root/$VMLINUX

t_start=$(date +%s.%N)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sm-vm.XXXXXX") || die "mktemp failed"
qpid=""
tpid=""
cleanup() {
	# qpid is timeout(1), which passes the signal on to qemu.
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
	[ -n "$tpid" ] && kill "$tpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

rd=$tmp/initrd
out=$tmp/out
mkdir -p "$out" "$rd/bin" "$rd/sbin" "$rd/lib" "$rd/lib64" "$rd/usr/bin" "$rd/usr/sbin" \
	"$rd/proc" "$rd/sys" "$rd/dev" "$rd/run" "$rd/tmp" "$rd/etc" "$rd/var" \
	"$rd/mnt/src" "$rd/mnt/out" || die "cannot make $rd"
ln -s ../run "$rd/var/run"

# busybox supplies the shell and the small tools, except ip: its applet would shadow
# iproute2's, which the tests need for netns, veth and "type wireguard".
cp "$busybox" "$rd/bin/busybox"
for a in $("$busybox" --list); do
	case $a in ip | busybox) continue ;; esac
	ln -s busybox "$rd/bin/$a"
done
ln -s ../bin/busybox "$rd/sbin/modprobe"
cp "$ip_bin" "$rd/sbin/ip"
cp "$wg_bin" "$rd/bin/wg"

# Shared libraries go to the same paths as on the host, so host-built programs run as
# they are. ./stunmesh and the test helpers in build/tools/ are looked at now and run
# later from the share.
copy_libs() { # $1 program
	ldd "$1" 2>/dev/null | while read -r a b c _; do
		case $a in /*) lib=$a ;; *) [ "$b" = "=>" ] && lib=$c || lib="" ;; esac
		case $lib in /*) ;; *) continue ;; esac
		[ -e "$rd$lib" ] && continue
		mkdir -p "$rd$(dirname "$lib")" && cp -L "$lib" "$rd$lib"
	done
}
progs="$ip_bin $wg_bin"
[ -x "$root/stunmesh" ] && progs="$progs $root/stunmesh"
for p in "$root"/build/tools/*; do
	[ -f "$p" ] && [ -x "$p" ] && progs="$progs $p"
done
for p in ${VM_BINARIES:-}; do
	pp=$(command -v "$p") || die "VM_BINARIES: $p not found"
	cp "$pp" "$rd/usr/bin/" && progs="$progs $pp"
done
for p in $progs; do copy_libs "$p"; done

# Modules: each wanted one with what it depends on, as the host's kmod resolves them in
# the unpacked tree, then depmod over the subset so busybox modprobe works inside.
modules="virtio_pci 9pnet_virtio 9p wireguard veth ${VM_MODULES:-}"
kmods=$rd/lib/modules/$KVER
mkdir -p "$kmods"
for m in $modules; do
	deps=$(modprobe -d "$kroot" -S "$KVER" --show-depends "$m" 2>&1) ||
		die "module $m not in kernel $KVER: $deps"
	echo "$deps" | while read -r kind path _; do
		[ "$kind" = insmod ] || continue
		rel=${path#"$kroot/lib/modules/$KVER/"}
		mkdir -p "$kmods/$(dirname "$rel")" && cp "$path" "$kmods/$rel"
	done
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
	[ -f "$kroot/lib/modules/$KVER/$f" ] && cp "$kroot/lib/modules/$KVER/$f" "$kmods/"
done
depmod -b "$rd" "$KVER" || die "depmod on the initramfs failed"

cat >"$rd/init" <<EOF
#!/bin/sh
export PATH=/sbin:/bin:/usr/sbin:/usr/bin HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
for m in $modules; do modprobe \$m || echo "init: modprobe \$m failed"; done
ip link set lo up
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /mnt/out &&
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro src /mnt/src; then
	cut -d' ' -f1 /proc/uptime >/mnt/out/uptime-start
	cd /mnt/src
	timeout $script_timeout sh /mnt/out/run.sh >/mnt/out/output 2>&1
	echo \$? >/mnt/out/status
	cut -d' ' -f1 /proc/uptime >/mnt/out/uptime-end
	cd /
	umount /mnt/out 2>/dev/null
else
	echo "init: cannot mount the 9p shares"
fi
sync
poweroff -f
EOF
chmod +x "$rd/init"

# What init runs: the script, from the repository, with its arguments quoted.
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
case $(cd "$(dirname "$script")" && pwd)/ in
"$root"/*) rel=$(cd "$(dirname "$script")" && pwd)/$(basename "$script"); rel=${rel#"$root/"} ;;
*) cp "$script" "$out/script.sh" && rel=/mnt/out/script.sh ;;
esac
{
	echo "export STUNMESH_VM=1 VM_OUT=/mnt/out"
	printf 'exec sh %s' "$(quote "$rel")"
	for a in "$@"; do printf ' %s' "$(quote "$a")"; done
	echo
} >"$out/run.sh"

(cd "$rd" && find . | "$busybox" cpio -o -H newc 2>/dev/null) >"$tmp/initrd.cpio" ||
	die "cannot build the initramfs"
t_initrd=$(date +%s.%N)
[ $verbose -eq 1 ] && echo "run-vm: initramfs $(du -k "$tmp/initrd.cpio" | cut -f1) KiB" >&2

console=$tmp/console.log
set -- timeout -k 5 "$vm_timeout" "$qemu" -accel tcg -m "${VM_MEM:-512}" -smp "${VM_SMP:-1}" \
	-nographic -no-reboot -nic none \
	-kernel "$vmlinuz" -initrd "$tmp/initrd.cpio" \
	-append "console=ttyS0 panic=-1 ${VM_APPEND:-quiet loglevel=3} rdinit=/init" \
	-virtfs "local,path=$root,mount_tag=src,security_model=none,readonly=on" \
	-virtfs "local,path=$out,mount_tag=out,security_model=none"
"$@" </dev/null >"$console" 2>&1 &
qpid=$!
tpid=""
if [ $verbose -eq 1 ]; then
	tail -n +1 -f "$console" >&2 &
	tpid=$!
fi
wait $qpid
qrc=$?
qpid=""
[ -n "$tpid" ] && { sleep 0.2; kill "$tpid"; wait "$tpid"; } 2>/dev/null
t_end=$(date +%s.%N)

if [ ! -f "$out/status" ]; then
	echo "run-vm: the script did not finish (qemu exit $qrc; 124 = timeout after ${vm_timeout}s)." >&2
	echo "run-vm: last console lines:" >&2
	tail -n 40 "$console" >&2
	[ -f "$out/output" ] && { echo "run-vm: script output so far:" >&2; cat "$out/output" >&2; }
	exit 1
fi
cat "$out/output"
status=$(cat "$out/status")
awk -v a="$t_start" -v b="$t_initrd" -v c="$t_end" \
	-v s="$(cat "$out/uptime-start" 2>/dev/null || echo 0)" \
	-v e="$(cat "$out/uptime-end" 2>/dev/null || echo 0)" 'BEGIN {
	printf "run-vm: initramfs %.1fs, boot to script %.1fs (guest uptime), script %.1fs, total %.1fs\n",
		b - a, s, e - s, c - a }' >&2
case $status in
'' | *[!0-9]*) die "bad status from the VM: $status" ;;
esac
[ "$status" -eq 124 ] || [ "$status" -eq 143 ] && echo "run-vm: the script timed out after ${script_timeout}s" >&2
exit "$status"
