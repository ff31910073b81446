#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# packaging/static/mnl (the libmnl subset the static build falls back to when Debian's
# libmnl source cannot be fetched) behaves as libmnl does for stunmesh: the netlink unit
# tests (message building and parsing against a recorded kernel dump, test_wg_netlink)
# and the device tests that open a real generic netlink socket (test_wg) are built
# against it instead of -lmnl and must pass.
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
T=$top/build/mnl-compat
mkdir -p "$T"
for d in src tests Makefile; do
	[ -e "$T/$d" ] || ln -s "$top/$d" "$T/$d"
done
# objects are kept (built with the subset's header every time); the tests relink
rm -f "$T/build/test/test_wg_netlink" "$T/build/test/test_wg"
if ! cc -std=gnu11 -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Werror \
	-O2 -Ipackaging/static/mnl -c -o "$T/mnl.o" packaging/static/mnl/mnl.c 2>"$T/cc.log"; then
	echo "not ok - mnl subset compiles without warnings:"; sed 's/^/#   /' "$T/cc.log"; exit 1
fi
ar rcs "$T/libmnl.a" "$T/mnl.o"
echo "ok - mnl subset compiles without warnings"
pkgs="libsodium yaml-0.1 libcjson"
cf=0
pkg-config --exists libcurl && { pkgs="$pkgs libcurl"; cf=1; }
if ! make -C "$T" --no-print-directory -j2 WITH_CLOUDFLARE=$cf \
	PKG_CFLAGS="-I$top/packaging/static/mnl $(pkg-config --cflags $pkgs)" \
	PKG_LIBS="$(pkg-config --libs $pkgs) $T/libmnl.a -lm" \
	build/test/test_wg_netlink build/test/test_wg >"$T/build.log" 2>&1; then
	echo "not ok - netlink tests build against the mnl subset:"; tail -n 20 "$T/build.log" | sed 's/^/#   /'
	exit 1
fi
for t in test_wg_netlink test_wg; do
	b=$T/build/test/$t
	if ! nm "$b" | grep -q ' T mnl_socket_open$\| T mnl_attr_put$'; then
		echo "not ok - $t: not linked with the mnl subset"; continue
	fi
	if timeout 60 "$b" >"$T/$t.log" 2>&1; then
		echo "ok - $t passes with the mnl subset ($(sed -n 's/^\[  PASSED  \] \([0-9]*\).*/\1/p' "$T/$t.log") cases)"
	else
		echo "not ok - $t fails with the mnl subset:"; grep -E 'ERROR|LINE|FAILED' "$T/$t.log" | sed 's/^/#   /'
	fi
done
