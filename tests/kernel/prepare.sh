#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Fetches and unpacks what the kernel WireGuard VM needs, once, into build/kernel/:
#  - Debian's own kernel (the package linux-image-amd64 depends on), unpacked with
#    dpkg-deb -x and depmod'ed there: never installed, the host kernel stays as it is;
#  - busybox from busybox-static, extracted: installing it would conflict with busybox.
# A second run finds build/kernel/kernel.env and does nothing. Prints the reason and
# exits 1 when something is missing (tests turn that into a skip).
# Usage: tests/kernel/prepare.sh        Environment: KERNEL_PKG=linux-image-6.1.0-N-amd64
set -eu
cd "$(dirname "$0")/../.."
cache=build/kernel
env_file=$cache/kernel.env

ready() {
	[ -f "$env_file" ] || return 1
	. "./$env_file"
	[ -f "$VMLINUZ" ] && [ -x "$BUSYBOX" ] && [ -f "$KROOT/lib/modules/$KVER/modules.dep" ]
}
ready && exit 0

fail() { echo "prepare: $*" >&2; exit 1; }
# Two test runs starting at once must not unpack over each other: the second waits,
# then finds the work done.
mkdir -p $cache
if command -v flock >/dev/null 2>&1; then
	exec 9>$cache/.lock
	flock -w 600 9 || fail "timed out waiting for another preparation ($cache/.lock)"
	ready && exit 0
fi
for tool in apt-get apt-cache dpkg-deb depmod; do
	command -v $tool >/dev/null 2>&1 || fail "$tool not found (Debian tools and kmod are needed)"
done

# The metapackage names the current ABI package; ask the local lists, and refresh them
# once (as root) when they do not know it.
kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1
}
pkg=${KERNEL_PKG:-$(kernel_pkg)}
if [ -z "$pkg" ] && [ "$(id -u)" -eq 0 ]; then
	apt-get update -qq >/dev/null 2>&1 || true
	pkg=$(kernel_pkg)
fi
[ -n "$pkg" ] || fail "apt does not know linux-image-amd64 (no Debian package lists?)"

mkdir -p $cache/debs
# apt-get download writes into the current directory; as root it falls back to an
# unsandboxed download when _apt cannot write there, and says so on stderr.
fetch() { # $1 package: download its .deb into the cache unless it is there
	ls $cache/debs/"$1"_*.deb >/dev/null 2>&1 && return 0
	(cd $cache/debs && apt-get download -q "$1" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) || true
	ls $cache/debs/"$1"_*.deb >/dev/null 2>&1 || fail "could not download $1 (apt-get download $1)"
}
fetch "$pkg"
fetch busybox-static

echo "prepare: unpacking $pkg and busybox-static into $cache" >&2
rm -rf $cache/root $cache/busybox-root $env_file
tmp=$cache/root.tmp
rm -rf $tmp
dpkg-deb -x $cache/debs/"$pkg"_*.deb $tmp
kver=$(ls $tmp/lib/modules | head -n 1)
[ -n "$kver" ] && [ -f "$tmp/boot/vmlinuz-$kver" ] || fail "$pkg has no boot/vmlinuz or lib/modules"
# depmod writes modules.dep(.bin) into the unpacked tree, which is what modprobe -d
# (used by run-vm.sh to pick a module and its dependencies) reads.
depmod -b $tmp "$kver"
mv $tmp $cache/root
# qemu boots an ELF vmlinux directly through its PVH entry (CONFIG_PVH), skipping the
# BIOS and the xz decompressor, which under TCG take about half of the boot. The
# payload is the xz stream inside the bzImage; on any trouble run-vm.sh uses the bzImage.
vmlinux=""
if command -v xz >/dev/null 2>&1 && grep -q '^CONFIG_PVH=y' $cache/root/boot/config-"$kver" 2>/dev/null; then
	off=$(LC_ALL=C grep -abo "$(printf '\3757zXZ')" $cache/root/boot/vmlinuz-"$kver" | head -n 1 | cut -d: -f1)
	if [ -n "$off" ]; then
		tail -c +$((off + 1)) $cache/root/boot/vmlinuz-"$kver" | xz -dcq >$cache/root/boot/vmlinux-"$kver" 2>/dev/null || true
		if [ "$(head -c 4 $cache/root/boot/vmlinux-"$kver" | od -An -c | tr -d ' ')" = '177ELF' ]; then
			vmlinux=$cache/root/boot/vmlinux-$kver
		else
			rm -f $cache/root/boot/vmlinux-"$kver"
		fi
	fi
fi
mkdir -p $cache/busybox-root
dpkg-deb -x $cache/debs/busybox-static_*.deb $cache/busybox-root
[ -x $cache/busybox-root/bin/busybox ] || fail "busybox-static has no bin/busybox"

cat >$env_file <<EOF
KVER=$kver
KROOT=$cache/root
VMLINUZ=$cache/root/boot/vmlinuz-$kver
VMLINUX=$vmlinux
BUSYBOX=$cache/busybox-root/bin/busybox
EOF
echo "prepare: kernel $kver ready" >&2
