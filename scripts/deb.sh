#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make deb`: the Debian package from debian/, built with dpkg-buildpackage -us -uc -b
# in a copy of the source (the files git knows and new ones it does not ignore), so
# that the results land in build/deb/ and not beside the checkout; then lintian.
# DEB_BUILD_OPTIONS passes through (e.g. nocheck to skip the unit tests).
set -eu
cd "$(dirname "$0")/.." || exit 1
ver=$(dpkg-parsechangelog -S Version)
out=build/deb
src=$out/stunmesh-$ver
rm -rf "$out"
mkdir -p "$src"
git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$src"
chmod +x "$src/debian/rules"
echo "deb: building stunmesh $ver in $src (log $out/build.log)" >&2
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	exit 1
fi
ls "$out"/*.deb >&2
# lintian: errors fail the build; warnings and notes are shown
if command -v lintian >/dev/null; then
	lintian --fail-on error "$out"/stunmesh_*.changes >&2 || { echo "deb: lintian reports errors" >&2; exit 1; }
fi
