#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make static`: stunmesh linked statically against musl (Debian's musl-tools), with the
# libraries from scripts/static-deps.sh, into build/static/stunmesh (stripped).
# WITH_CLOUDFLARE=0 leaves out the Cloudflare store and so libcurl and mbedTLS.
# musl has no getaddrinfo_a: sources that call it are left out of the build, and a
# portable resolver backend (a src/net/resolve-*.c without it) must provide the same
# functions; until one exists the link says which symbols are missing.
set -eu
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
with_cf=${WITH_CLOUDFLARE:-1}
[ "$with_cf" = 0 ] && tls=none || tls=mbedtls
sh scripts/static-deps.sh $tls
D=$top/build/static-deps
P=$D/prefix
K=$D/kernel-include
[ "$with_cf" = 0 ] && T=$top/build/static/nocf || T=$top/build/static/default
mkdir -p "$T"

# The build tree: links to every source except the glibc-only ones, so the Makefile
# builds here unchanged (its wildcard sees only what is linked).
rm -rf "$T/src"
excluded=""
for f in src/*/*; do
	mkdir -p "$T/$(dirname "$f")"
	case $f in *.c)
		if grep -q 'getaddrinfo_a' "$f"; then
			excluded="$excluded $f"
			continue
		fi ;;
	esac
	ln -s "$top/$f" "$T/$f"
done
# STATIC_RESOLVER=FILE: a resolver source from outside src/ stands in for the portable
# backend (to try this pipeline before that backend exists; never for a release).
if [ -n "${STATIC_RESOLVER:-}" ]; then
	ln -s "$(readlink -f "$STATIC_RESOLVER")" "$T/src/net/resolve-portable.c"
	echo "static: resolver from $STATIC_RESOLVER" >&2
fi
for d in tests Makefile; do
	[ -e "$T/$d" ] || ln -s "$top/$d" "$T/$d"
done
[ -n "$excluded" ] && echo "static: left out (glibc only):$excluded" >&2

stamp=$(cat Makefile scripts/static.sh "$D/VERSIONS" | cksum)
if [ "$(cat "$T/stamp" 2>/dev/null)" != "$stamp" ]; then
	rm -rf "$T/build" "$T/stunmesh"
	echo "$stamp" >"$T/stamp"
fi
log=$T/build.log
echo "static: building in $T (log $log)" >&2
if ! make -C "$T" --no-print-directory -j"$(nproc 2>/dev/null || echo 2)" \
	CC=musl-gcc \
	PKG_CONFIG="env PKG_CONFIG_LIBDIR=$P/lib/pkgconfig PKG_CONFIG_PATH= pkg-config --static" \
	CFLAGS="-Os -ffunction-sections -fdata-sections -isystem $K" \
	LDFLAGS="-static -Wl,--gc-sections -s" \
	WITH_CLOUDFLARE="$with_cf" VERSION="$(git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)" \
	stunmesh >"$log" 2>&1; then
	grep -E 'error|undefined reference' "$log" | sort -u | head -n 30 >&2
	if grep -q 'undefined reference to .resolve' "$log"; then
		echo "static: the resolver functions are missing: musl needs a portable resolver backend (src/net/resolve-*.c without getaddrinfo_a)" >&2
	fi
	exit 1
fi
if grep -q 'warning:' "$log"; then
	echo "static: compiler warnings:" >&2
	grep 'warning:' "$log" | sort -u >&2
	exit 1
fi
mkdir -p build/static
out=build/static/stunmesh
[ "$with_cf" != 0 ] || out=build/static/stunmesh-nocf
cp "$T/stunmesh" "$out"
file "$out" 2>/dev/null | grep -q 'statically linked' || ! ldd "$out" >/dev/null 2>&1 ||
	{ echo "static: $out is not statically linked" >&2; exit 1; }
# the CA bundle the Cloudflare store's TLS reads, for packaging/Containerfile
[ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt build/static/
echo "static: $out $(wc -c <"$out") bytes ($(cat "$D/MNL"); $(tr '\n' ' ' <"$D/VERSIONS"))" >&2
