#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The musl build check (scripts/check-musl.sh, `make check-musl`) as part of `make check`:
# every source a musl build takes compiles with musl-gcc against only the dependencies'
# headers, and needs no C library function musl lacks. Skips without musl-tools.
cd "$(dirname "$0")/../.." || exit 1
exec sh scripts/check-musl.sh
