#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A store for the lab as a `type: shell` plugin (stunmesh-go's shell plugin protocol):
#   store-plugin.sh DIR
# stdin: STUNMESH_ACTION=get|set, STUNMESH_KEY=<40 hex>, [STUNMESH_VALUE=<hex>], one a
# line. Values are files DIR/<key>.txt (the file store's layout). While DIR.down exists
# every operation fails, as a store that is down does: tests switch it off and on.
dir=$1
action="" key="" value=""
while IFS='=' read -r k v || [ -n "$k" ]; do
	case $k in
	STUNMESH_ACTION) action=$v ;;
	STUNMESH_KEY) key=$v ;;
	STUNMESH_VALUE) value=$v ;;
	esac
done
if [ -e "$dir.down" ]; then
	echo "store unreachable (the lab switched it off)" >&2
	exit 1
fi
case $key in "" | *[!0-9a-f]*) echo "bad key" >&2; exit 1 ;; esac
case $action in
get)
	[ -f "$dir/$key.txt" ] && cat "$dir/$key.txt"
	exit 0
	;;
set)
	case $value in "" | *[!0-9a-f]*) echo "bad value" >&2; exit 1 ;; esac
	mkdir -p "$dir" && printf '%s\n' "$value" >"$dir/.$key.$$" && mv "$dir/.$key.$$" "$dir/$key.txt"
	;;
*) echo "unknown action $action" >&2; exit 1 ;;
esac
