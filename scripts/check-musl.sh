#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make check-musl`: the daemon builds against musl (OpenWrt's libc), as far as it can
# before the dependencies exist as musl builds (`make static` builds those):
#  1. every source file the Makefile picks for LIBC=musl (the portable stub resolver,
#     no getaddrinfo_a) compiles with musl-gcc, warnings as errors, against
#     build/musl/include, a folder holding only the dependencies' headers and the
#     kernel's (links to the host's copies), so no glibc header can mix in;
#  2. the objects, linked against musl's libc, need no C library function that musl
#     lacks: the only undefined symbols left are the dependencies' own.
# Prints ok/not ok/skip lines (tests/run.sh counts them); exit 1 on a failure.
set -u
cd "$(dirname "$0")/.." || exit 1
MUSL_CC=${MUSL_CC:-musl-gcc}
MAKE=${MAKE:-make}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
inc=build/musl/include
log=build/musl/build.log

if ! command -v "$MUSL_CC" >/dev/null 2>&1; then
	echo "skip - musl: $MUSL_CC not installed (Debian package musl-tools)"
	exit 0
fi
mkdir -p build/musl

# The headers the sources (and the dependencies' headers) include, found where the host
# compiler finds them; the top-level name of each is linked into $inc.
rm -rf "$inc"
mkdir -p "$inc"
flags=$($PKG_CONFIG --cflags libsodium yaml-0.1 libcjson libmnl libcurl 2>/dev/null)
for h in sodium.h yaml.h cjson/cJSON.h libmnl/libmnl.h curl/curl.h linux/netlink.h \
	asm/types.h asm-generic/types.h; do
	# shellcheck disable=SC2086
	p=$(printf '#include <%s>\n' "$h" | ${HOST_CC:-cc} $flags -M -x c - 2>/dev/null |
		tr ' \\' '\n\n' | grep -m1 "/$h\$")
	if [ -z "$p" ]; then
		echo "not ok - musl: header <$h> not found on this machine (scripts/deps.sh build)"
		exit 1
	fi
	top=${h%%/*}
	src=${p%"/$h"}/$top
	ln -s "$src" "$inc/$top" || exit 1
	# a top-level header may come with its folder: sodium.h and sodium/
	case $h in
	*/*) ;;
	*) [ -d "${src%.h}" ] && { ln -s "${src%.h}" "$inc/${top%.h}" || exit 1; } ;;
	esac
done

# -isystem: the dependencies' headers are theirs, not ours to warn about.
if $MAKE --no-print-directory CC="$MUSL_CC" LIBC=musl \
	PKG_CFLAGS="-isystem $inc -isystem $inc/cjson" musl-objs >"$log" 2>&1; then
	echo "ok - musl: every source compiles with $MUSL_CC (LIBC=musl), no warnings"
else
	echo "not ok - musl: compiling with $MUSL_CC (log $log):"
	grep -E 'error|warning' "$log" | head -n 30
	exit 1
fi

objs=$($MAKE --no-print-directory -s CC="$MUSL_CC" LIBC=musl print-musl-objs)
# shellcheck disable=SC2086
$MUSL_CC -o build/musl/stunmesh.unlinked $objs -lm -Wl,--warn-unresolved-symbols \
	>build/musl/link.log 2>&1
rm -f build/musl/stunmesh.unlinked
missing=$(sed -n "s/.*undefined reference to \`\([^']*\)'.*/\1/p" build/musl/link.log |
	grep -Ev '^(sodium_|crypto_|randombytes_|yaml_|cJSON_|mnl_|curl_)' | sort -u)
if [ -n "$(sed -n 's/.*undefined reference.*/x/p' build/musl/link.log)" ] && [ -z "$missing" ]; then
	echo "ok - musl: linked against musl libc, only the dependencies' symbols are missing"
elif [ -n "$missing" ]; then
	echo "not ok - musl: functions musl's libc does not have:" $missing
	exit 1
else
	echo "not ok - musl: the trial link did not run (log build/musl/link.log):"
	tail -n 20 build/musl/link.log
	exit 1
fi
