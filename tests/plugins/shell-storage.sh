#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A shell-type plugin (STUNMESH_* lines on stdin), parsed with a case loop as
# stunmesh-go's contrib README advises. Directory: $1.
dir=$1
action= key= value=
while IFS= read -r line; do
	case "$line" in
	STUNMESH_ACTION=*) action=${line#STUNMESH_ACTION=} ;;
	STUNMESH_KEY=*) key=${line#STUNMESH_KEY=} ;;
	STUNMESH_VALUE=*) value=${line#STUNMESH_VALUE=} ;;
	esac
done
echo "shell-storage: $action $key" >&2
case "$action" in
get) [ -f "$dir/$key" ] && cat "$dir/$key"; exit 0 ;;
set) printf '%s\n' "$value" >"$dir/$key" ;;
*) echo "unknown action '$action'" >&2; exit 2 ;;
esac
