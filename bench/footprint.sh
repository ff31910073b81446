#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Footprint: the stripped size of stunmesh as `make` builds it (CFLAGS -O2 -g) and with
# each optional store left out (WITH_CLOUDFLARE=0), plus -Os; the shared libraries it
# needs. Built from a copy of src/ and the Makefile so the tree's build/ stays as it is.
# The idle RSS with 10 peers is measured by bench/scale.sh (N=10) with these binaries.
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/common.sh

OUT=$BENCH_OUT/footprint
rm -rf "$OUT"
mkdir -p "$OUT"
: >"$OUT/sizes.tsv"
VARIANTS=$(runs "full:WITH_CLOUDFLARE=1:-O2_-g nocf:WITH_CLOUDFLARE=0:-O2_-g" \
	"full:WITH_CLOUDFLARE=1:-O2_-g nocf:WITH_CLOUDFLARE=0:-O2_-g full-Os:WITH_CLOUDFLARE=1:-Os_-g nocf-Os:WITH_CLOUDFLARE=0:-Os_-g")
for v in $VARIANTS; do
	name=${v%%:*} rest=${v#*:}
	toggle=${rest%%:*} cflags=$(echo "${rest#*:}" | tr _ ' ')
	d=$OUT/$name
	mkdir -p "$d/tree"
	cp -r src Makefile "$d/tree/"
	if ! make -C "$d/tree" -j"$(nproc)" "$toggle" CFLAGS="$cflags" VERSION=bench stunmesh >"$d/build.log" 2>&1; then
		bench_log "footprint: build $name failed (see $d/build.log)"
		continue
	fi
	cp "$d/tree/stunmesh" "$d/stunmesh"
	strip -o "$d/stunmesh.stripped" "$d/stunmesh"
	rm -rf "$d/tree"
	needed=$(readelf -d "$d/stunmesh" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
	nldd=$(ldd "$d/stunmesh" | grep -c '=>')
	ldd "$d/stunmesh" >"$d/ldd.txt"
	echo "$name|$toggle CFLAGS=\"$cflags\"|$(stat -c %s "$d/stunmesh.stripped")|$(size "$d/stunmesh.stripped" | awk 'NR == 2 { print $1 "|" $2 "|" $3 }')|$needed|$nldd" >>"$OUT/sizes.tsv"
	bench_log "footprint $name: $(stat -c %s "$d/stunmesh.stripped") bytes stripped, $nldd libraries"
done
