#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A plugin that goes wrong in the way $1 names; $2 is a scratch file for pids.
# Used by the exec and shell store tests: every case must end as a store error (or
# the stated result) within the plugin timeout, and leave no process behind.
cat >/dev/null
case "$1" in
hang) sleep 60 ;;
hang-group) # a helper that would keep stdout open after the plugin is killed
	sleep 60 &
	echo $! >"$2"
	wait ;;
hang-term) trap '' TERM; sleep 60 ;;
crash) kill -SEGV $$ ;;
garbage) echo 'this is not json'; exit 0 ;;
flood) yes '{"success":true,"value":"aa"}' ;;
flood-stderr) yes 'noise on stderr' | head -c 300000 >&2; echo '{"success":true}' ;;
exit-after-success) echo '{"success":true,"value":"aa"}'; exit 3 ;;
fail-message) echo 'backend: connection refused' >&2; echo '{"success":false,"error":"backend down"}' ;;
fail-stderr) echo 'backend: connection refused' >&2; exit 1 ;;
notfound) echo '{"success":false,"error":"Key not found"}' ;;
empty-value) echo '{"success":true,"value":""}' ;;
trailing) printf '  {"Success":true,"VALUE":"abcd"} trailing junk' ;;
fwmark) printf '{"success":true,"value":"%s"}\n' "${STUNMESH_FWMARK:-none}" ;;
shell-fwmark) echo "${STUNMESH_FWMARK:-none}" ;;
echo-args) echo "called with: $*" >&2; echo "called with: $*"; exit 1 ;;
stderr-lines) printf 'first line\nsecond line\n' >&2; echo '{"success":true,"value":"ab"}' ;;
*) echo "unknown mode $1" >&2; exit 2 ;;
esac
