#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon lab test (daemon.sh) with the static musl binary from `make static`
# (build/static/stunmesh) as the daemon of every site. Skips when it has not been built.
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=$PWD/build/static/stunmesh
if [ ! -x "$bin" ]; then
	echo "skip - daemon lab with the static binary: build/static/stunmesh not built (make static)"
	exit 0
fi
if ! file "$bin" 2>/dev/null | grep -q 'statically linked'; then
	echo "not ok - build/static/stunmesh is not statically linked"
	exit 1
fi
LAB_STUNMESH=$bin sh tests/integration/daemon.sh | sed 's/^\(ok\|not ok\|skip\) - /\1 - static: /'
