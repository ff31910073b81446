#!/bin/sh
# Install the Debian 12 packages that building, testing and the lab need, but only
# the ones that are missing, so a second run costs one dpkg query and nothing else.
# Usage: scripts/deps.sh [build|test|lab|kernel|bench|portmap|all]   (default: all)
set -eu

BUILD_PKGS="build-essential pkg-config libsodium-dev libyaml-dev libcjson-dev
	libcurl4-openssl-dev libmnl-dev ca-certificates"
TEST_PKGS="libcmocka-dev clang libclang-rt-14-dev python3 python3-nacl"
LAB_PKGS="iproute2 nftables wireguard-go wireguard-tools coturn stun-server
	stun-client iputils-ping procps psmisc conntrack"
# make bench: perf counts syscalls through tracepoints (store reads/writes, UAPI calls).
BENCH_PKGS="linux-perf python3-nacl"
# The kernel WireGuard VM (tests/kernel/): qemu with its BIOS (seabios is a dependency),
# kmod for modprobe -d/depmod -b on the unpacked kernel, xz-utils to unpack vmlinux.
# The kernel and busybox-static themselves are downloaded and unpacked by
# tests/kernel/prepare.sh into build/kernel/, never installed.
KERNEL_PKGS="qemu-system-x86 kmod xz-utils iproute2 wireguard-tools"
# The lab's port-mapping router: scripts/build-miniupnpd.sh builds miniupnpd from its
# Debian source (dpkg-dev for apt-get source) with these; natpmpc and upnpc are the
# reference clients; libnatpmp/libminiupnpc are the client libraries stunmesh links.
PORTMAP_PKGS="dpkg-dev libnftnl-dev libmnl-dev uuid-dev libssl-dev libcap-ng-dev
	natpmpc miniupnpc libnatpmp-dev libminiupnpc-dev python3"

case "${1:-all}" in
build) want="$BUILD_PKGS" ;;
test) want="$BUILD_PKGS $TEST_PKGS" ;;
lab) want="$BUILD_PKGS $TEST_PKGS $LAB_PKGS" ;;
kernel) want="$BUILD_PKGS $KERNEL_PKGS" ;;
bench) want="$BUILD_PKGS $TEST_PKGS $LAB_PKGS $BENCH_PKGS" ;;
portmap) want="$BUILD_PKGS $TEST_PKGS $LAB_PKGS $PORTMAP_PKGS" ;;
all) want="$BUILD_PKGS $TEST_PKGS $LAB_PKGS $KERNEL_PKGS $BENCH_PKGS $PORTMAP_PKGS" ;;
*) echo "usage: $0 [build|test|lab|kernel|bench|portmap|all]" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages:$missing" >&2
	echo "deps.sh: run as root (or install them yourself) and try again" >&2
	exit 1
fi
echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# coturn's postinst may try to start a system service; policy-rc.d keeps it (and any
# other daemon) from starting, since tests start their own servers by PID.
prc=/usr/sbin/policy-rc.d
made_prc=0
if [ ! -e $prc ]; then
	printf '#!/bin/sh\nexit 101\n' >$prc && chmod +x $prc && made_prc=1
fi
apt-get install -y -qq --no-install-recommends $missing >/dev/null || rc=$?
[ $made_prc -eq 1 ] && rm -f $prc
exit ${rc:-0}
