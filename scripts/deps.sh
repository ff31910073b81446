#!/bin/sh
# Install the Debian 12 packages that building, testing and the lab need, but only
# the ones that are missing, so a second run costs one dpkg query and nothing else.
# Usage: scripts/deps.sh [build|test|lab|kernel|bench|portmap|cross|static|deb|all]   (default: all)
set -eu

BUILD_PKGS="build-essential pkg-config libsodium-dev libyaml-dev libcjson-dev
	libcurl4-openssl-dev libmnl-dev ca-certificates"
# musl-tools: musl-gcc for the musl compile check (scripts/check-musl.sh).
TEST_PKGS="libcmocka-dev clang libclang-rt-14-dev python3 python3-nacl musl-tools"
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
# make check-cross: Debian's cross compilers, the target's -dev packages through
# multiarch (dpkg --add-architecture is done below for any NAME:ARCH), qemu-user to run
# the tests. CROSS_ARCHS picks architectures (default all four). The C library headers
# come from the Architecture: all libc6-dev-ARCH-cross packages, not libc6-dev:ARCH:
# multiarch needs the same version on every architecture, and bookworm's LTS security
# updates (linux-libc-dev, OpenSSL) are not built for mipsel and s390x. For the same
# reason libcurl's -dev package (OpenSSL, krb5, ...) is not co-installable there, so cross
# builds are WITH_CLOUDFLARE=0.
cross_pkgs() {
	for a in ${CROSS_ARCHS:-armhf arm64 mipsel s390x}; do
		case $a in
		armhf) echo gcc-arm-linux-gnueabihf libc6-dev-armhf-cross ;;
		arm64) echo gcc-aarch64-linux-gnu libc6-dev-arm64-cross ;;
		mipsel) echo gcc-mipsel-linux-gnu libc6-dev-mipsel-cross ;;
		s390x) echo gcc-s390x-linux-gnu libc6-dev-s390x-cross ;;
		*) echo "deps.sh: unknown architecture $a" >&2; exit 2 ;;
		esac
		for p in libsodium-dev libyaml-dev libcjson-dev libmnl-dev libcmocka-dev; do
			echo "$p:$a"
		done
	done
	echo qemu-user
}
# make static: musl-gcc; the dependencies are built from Debian source packages
# (scripts/static-deps.sh), which needs dpkg-dev (dpkg-source) and the build tools.
STATIC_PKGS="musl-tools dpkg-dev autoconf automake libtool make xz-utils bzip2 file"
# make deb: debhelper and the build-dependencies in debian/control, lintian.
DEB_PKGS="debhelper dpkg-dev fakeroot lintian systemd man-db"

case "${1:-all}" in
build) want="$BUILD_PKGS" ;;
test) want="$BUILD_PKGS $TEST_PKGS" ;;
lab) want="$BUILD_PKGS $TEST_PKGS $LAB_PKGS" ;;
kernel) want="$BUILD_PKGS $KERNEL_PKGS" ;;
bench) want="$BUILD_PKGS $TEST_PKGS $LAB_PKGS $BENCH_PKGS" ;;
portmap) want="$BUILD_PKGS $TEST_PKGS $LAB_PKGS $PORTMAP_PKGS" ;;
cross) want="$BUILD_PKGS $(cross_pkgs)" ;;
static) want="$BUILD_PKGS $STATIC_PKGS" ;;
deb) want="$BUILD_PKGS $TEST_PKGS $DEB_PKGS" ;;
all) want="$BUILD_PKGS $TEST_PKGS $LAB_PKGS $KERNEL_PKGS $BENCH_PKGS $PORTMAP_PKGS"
	# The big-endian cross test (tests/integration/cross_s390x.sh) in make check: best
	# effort, since the mirror's multiarch versions can drift apart; when they do, that
	# test skips with the reason instead of make check failing here.
	if [ "$(id -u)" -eq 0 ] && [ -z "${DEPS_NO_CROSS:-}" ]; then
		CROSS_ARCHS=s390x DEPS_NO_CROSS=1 sh "$0" cross ||
			echo "deps.sh: the s390x cross packages could not be installed; the big-endian test will skip" >&2
	fi ;;
*) echo "usage: $0 [build|test|lab|kernel|bench|portmap|cross|static|deb|all]" >&2; exit 2 ;;
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
# NAME:ARCH packages (the cross group) need their architecture known to dpkg first.
for p in $missing; do
	case $p in *:*)
		a=${p#*:}
		dpkg --print-foreign-architectures | grep -qx "$a" || dpkg --add-architecture "$a" ;;
	esac
done
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
