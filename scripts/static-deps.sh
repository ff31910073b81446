#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The libraries of the static musl build, built once per machine from their Debian
# source packages into build/static-deps/ (a later run finds them there and does nothing).
# Sources come through a private apt configuration in build/static-deps/apt/ with a
# deb-src entry for the mirror this machine already uses, so the system's sources list
# is not touched; apt checks each source package against the signed Release files, and
# the versions used are written to build/static-deps/VERSIONS.
# Usage: scripts/static-deps.sh [TLS]   TLS: mbedtls (default) or none (no libcurl)
# Why mbedTLS: with the same curl options, the stripped static stunmesh is 944 KiB with
# mbedTLS 2.28 and 1036 KiB with wolfSSL 5.5 (--enable-curl), idle RSS 588 KB against
# 636 KB; both are Debian source packages.
set -eu
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
tls=${1:-mbedtls}
case $tls in mbedtls | none) ;; *) echo "static-deps.sh: TLS is mbedtls or none" >&2; exit 2 ;; esac
D=$top/build/static-deps
P=$D/prefix
K=$D/kernel-include
jobs=$(nproc 2>/dev/null || echo 2)
CC=musl-gcc
# -Os: the binary is for routers; -ffunction-sections lets the final link drop what
# stunmesh does not call.
CFLAGS="-Os -ffunction-sections -fdata-sections -isystem $K"
export CC CFLAGS

command -v musl-gcc >/dev/null || { echo "static-deps.sh: musl-gcc missing (scripts/deps.sh static)" >&2; exit 2; }
mkdir -p "$D/src" "$P/lib/pkgconfig" "$P/include" "$K"

# musl's headers do not include the kernel's; libmnl and stunmesh need linux/*.h, so
# the host's kernel headers are offered through links (they are libc-independent).
for h in linux asm-generic; do
	[ -e "$K/$h" ] || ln -s "/usr/include/$h" "$K/$h"
done
[ -e "$K/asm" ] || ln -s "/usr/include/$(gcc -print-multiarch)/asm" "$K/asm"

# The private apt configuration: deb-src lines for each suite of the Debian mirror
# (and security mirror) the machine's own sources name.
A=$D/apt
apt_private() { # $1 apt-get or apt-cache, then its arguments
	tool=$1; shift
	$tool -q -o Dir::Etc::SourceList="$A/sources.list" -o Dir::Etc::SourceParts="$A/none" \
		-o Dir::State::Lists="$A/lists" -o Dir::Cache="$A/cache" \
		-o Dir::State::Status=/var/lib/dpkg/status -o Debug::NoLocking=1 "$@"
}
mirror_of() { # $1 suite: the URI the system's sources give for it
	{
		cat /etc/apt/sources.list.d/*.sources 2>/dev/null
		sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) \([^ ]*\) .*/URIs: \2\nSuites: \3\n/p' \
			/etc/apt/sources.list 2>/dev/null
	} | awk -v want="$1" '
		/^URIs:/ { uri = $2 }
		/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == want && !found) { print uri; found = 1 } }
		/^$/ { uri = "" }'
}
setup_apt() {
	[ -s "$A/sources.list" ] && [ -d "$A/lists" ] && ls "$A/lists/"*Sources* >/dev/null 2>&1 && return 0
	mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/none"
	: >"$A/sources.list.new"
	for suite in bookworm bookworm-updates bookworm-security; do
		uri=$(mirror_of "$suite")
		[ -n "$uri" ] || continue
		echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main" \
			>>"$A/sources.list.new"
	done
	[ -s "$A/sources.list.new" ] || { echo "static-deps.sh: no bookworm mirror in the apt sources" >&2; exit 1; }
	mv "$A/sources.list.new" "$A/sources.list"
	apt_private apt-get update >/dev/null
}

# fetch SRCPKG: unpacks the newest source of SRCPKG under $D/src, prints its directory
fetch() {
	setup_apt
	ver=$(apt_private apt-cache showsrc "$1" 2>/dev/null | awk '/^Version:/ { print $2 }' |
		sort -V | tail -n 1)
	[ -n "$ver" ] || { echo "static-deps.sh: no source package $1" >&2; exit 1; }
	upver=${ver#*:}
	upver=${upver%-*}
	dir=$D/src/$1-$upver
	if [ ! -d "$dir" ]; then
		(cd "$D/src" && apt_private apt-get source "$1=$ver" >"$D/src/$1.log" 2>&1) ||
			{ tail -n 20 "$D/src/$1.log" >&2; exit 1; }
	fi
	grep -v "^$1 " "$D/VERSIONS" 2>/dev/null >"$D/VERSIONS.new" || true
	echo "$1 $ver" >>"$D/VERSIONS.new"
	sort "$D/VERSIONS.new" >"$D/VERSIONS" && rm -f "$D/VERSIONS.new"
	echo "$dir"
}

# done_mark NAME: whether NAME was built with these flags already
stamp() { echo "$CC $CFLAGS" | cksum | cut -d' ' -f1; }
built() { [ "$(cat "$D/.built-$1" 2>/dev/null)" = "$(stamp)" ]; }
mark() { stamp >"$D/.built-$1"; }

autotools() { # $1 directory, rest: configure options
	dir=$1; shift
	(cd "$dir" && { [ -x configure ] || autoreconf -fi; } &&
		./configure --prefix="$P" --disable-shared --enable-static "$@" &&
		make -j"$jobs" && make install) >"$dir.build.log" 2>&1 ||
		{ tail -n 30 "$dir.build.log" >&2; exit 1; }
}

if ! built libsodium; then
	echo "static-deps: libsodium" >&2
	dir=$(fetch libsodium)
	autotools "$dir" --disable-pie --disable-debug
	mark libsodium
fi
if ! built libyaml; then
	echo "static-deps: libyaml" >&2
	dir=$(fetch libyaml)
	autotools "$dir"
	mark libyaml
fi
if ! built libmnl; then
	echo "static-deps: libmnl" >&2
	if dir=$(fetch libmnl 2>"$D/src/libmnl.err"); then
		autotools "$dir"
		echo "libmnl: Debian source" >"$D/MNL"
	else
		# The mirror may not carry libmnl's source (its orig tarball is missing on some):
		# then the subset stunmesh uses, packaging/static/mnl/, takes its place.
		echo "static-deps: libmnl source not available ($(grep -m1 '^E:' "$D/src/libmnl.err")); using packaging/static/mnl" >&2
		rm -f "$P/lib/libmnl.a"
		$CC $CFLAGS -std=gnu11 -Ipackaging/static/mnl -c -o "$D/src/mnl.o" packaging/static/mnl/mnl.c
		ar rcs "$P/lib/libmnl.a" "$D/src/mnl.o"
		mkdir -p "$P/include/libmnl"
		cp packaging/static/mnl/libmnl/libmnl.h "$P/include/libmnl/"
		cat >"$P/lib/pkgconfig/libmnl.pc" <<EOF
prefix=$P
Name: libmnl
Description: the libmnl subset in packaging/static/mnl (static, for musl)
Version: 1.0.4
Libs: -L\${prefix}/lib -lmnl
Cflags: -I\${prefix}/include
EOF
		echo "libmnl: packaging/static/mnl" >"$D/MNL"
	fi
	mark libmnl
fi
if ! built cjson; then
	# one C file; its CMake build would add nothing here
	echo "static-deps: cjson" >&2
	dir=$(fetch cjson)
	cjver=$(sed -n 's/.*CJSON_VERSION_MAJOR \([0-9]*\).*/\1/p;' "$dir/cJSON.h" | head -n 1)
	(cd "$dir" && $CC $CFLAGS -c -o cJSON.o cJSON.c && ar rcs "$P/lib/libcjson.a" cJSON.o) \
		>"$dir.build.log" 2>&1 || { cat "$dir.build.log" >&2; exit 1; }
	mkdir -p "$P/include/cjson"
	cp "$dir/cJSON.h" "$P/include/cjson/"
	cat >"$P/lib/pkgconfig/libcjson.pc" <<EOF
prefix=$P
Name: libcjson
Description: cJSON (static, for musl)
Version: $cjver
Libs: -L\${prefix}/lib -lcjson
Cflags: -I\${prefix}/include/cjson
EOF
	mark cjson
fi
if [ "$tls" = mbedtls ]; then
	if ! built mbedtls; then
		echo "static-deps: mbedtls" >&2
		dir=$(fetch mbedtls)
		(cd "$dir" && make -C library -j"$jobs" CC="$CC" CFLAGS="$CFLAGS -Iinclude -I../include" \
			libmbedcrypto.a libmbedx509.a libmbedtls.a &&
			cp library/libmbedcrypto.a library/libmbedx509.a library/libmbedtls.a "$P/lib/" &&
			rm -rf "$P/include/mbedtls" && cp -r include/mbedtls "$P/include/") \
			>"$dir.build.log" 2>&1 || { tail -n 30 "$dir.build.log" >&2; exit 1; }
		mark mbedtls
	fi
	if ! built curl; then
		# only what the Cloudflare store uses: HTTPS with the system's CA bundle
		echo "static-deps: curl" >&2
		dir=$(fetch curl)
		autotools "$dir" --with-mbedtls="$P" --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt \
			--without-ca-path --disable-ldap --disable-ldaps --disable-rtsp --disable-dict \
			--disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smtp \
			--disable-gopher --disable-mqtt --disable-ftp --disable-file --disable-smb \
			--disable-manual --disable-ntlm --disable-alt-svc --disable-cookies \
			--disable-hsts --disable-doh --disable-netrc --disable-progress-meter \
			--disable-aws --disable-kerberos-auth --disable-negotiate-auth --disable-proxy \
			--without-zlib --without-brotli --without-zstd --without-libpsl --without-libidn2 \
			--without-nghttp2 --without-nghttp3 --without-ngtcp2 --without-libssh2 \
			--without-libssh --without-librtmp --without-libgsasl --disable-docs
		mark curl
	fi
fi
echo "static-deps: ready in $P ($(tr '\n' ' ' <"$D/VERSIONS"))" >&2
