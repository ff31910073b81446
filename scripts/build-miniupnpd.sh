#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the lab's port-mapping router daemon (miniupnpd with NAT-PMP, PCP and UPnP IGD,
# nftables backend) into build/miniupnpd/miniupnpd, once: a second run finds the binary
# and does nothing. Run as root (apt-get), from anywhere; prints the binary's path.
#
# Why not Debian's miniupnpd-nftables package: its 2.3.1 refuses every documentation
# range as its external address ("reserved / private address ... not public
# routable"), and the lab may use nothing else; its nft_init.sh also needs a functions
# file the package does not ship. So the same source is built with one lab patch: the
# TEST-NET-3 (203.0.113.0/24, the lab's internet) line goes from reserved[] in
# getifaddr.c. The source comes from Debian (apt-get source) through a private deb-src
# list made from the machine's own deb entries, so /etc/apt is not touched.
# Build dependencies: scripts/deps.sh portmap.
set -eu
cd "$(dirname "$0")/.." || exit 1
out=$PWD/build/miniupnpd
bin=$out/miniupnpd
[ -x "$bin" ] && { echo "$bin"; exit 0; }
mkdir -p "$out"
# Two tests starting at once build it once.
exec 9>"$out/.lock"
flock 9
[ -x "$bin" ] && { echo "$bin"; exit 0; }

log=$out/build.log
start=$(date +%s)
work=$(mktemp -d "$out/src.XXXXXX")
trap 'rm -rf "$work"' EXIT
apt=$work/apt
mkdir -p "$apt/parts" "$apt/lists/partial"
# deb-src twins of the machine's deb sources, one-line and deb822 forms alike
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] && sed 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb-src/' "$f" \
		>"$apt/parts/$(basename "$f")"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -f "$f" ] && sed -n 's/^deb[[:space:]]/deb-src /p' "$f" >>"$apt/parts/lines.list"
done
aptq() {
	apt-get -q -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$apt/parts" \
		-o Dir::State::Lists="$apt/lists" -o APT::Sandbox::User=root "$@"
}
echo "build-miniupnpd: fetching the Debian source (log: $log)" >&2
{
	aptq update
	cd "$work"
	aptq source miniupnpd
} >"$log" 2>&1 || { echo "build-miniupnpd: apt-get source miniupnpd failed, see $log" >&2; exit 1; }
src=$(find "$work" -maxdepth 1 -type d -name 'miniupnpd-*' | head -n 1)
[ -n "$src" ] || { echo "build-miniupnpd: no source tree in $work" >&2; exit 1; }
cd "$src"
grep -q 'TEST-NET-3' getifaddr.c || { echo "build-miniupnpd: getifaddr.c has no TEST-NET-3 line to drop" >&2; exit 1; }
sed -i '/TEST-NET-3/d' getifaddr.c
echo "build-miniupnpd: building $(basename "$src")" >&2
{
	./configure --firewall=nftables --disable-fork
	make -f Makefile.linux_nft -j2 miniupnpd
} >>"$log" 2>&1 || { echo "build-miniupnpd: build failed, see $log" >&2; exit 1; }
cp "$src/miniupnpd" "$bin.tmp"
mv "$bin.tmp" "$bin"
echo "build-miniupnpd: built $bin in $(($(date +%s) - start)) s" >&2
echo "$bin"
