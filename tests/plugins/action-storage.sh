#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# An exec plugin that reads only "action", as stunmesh-go sends it, in plain sh (no
# jq): keys and values are hex, so a sed pattern can pick them out. Directory: $1.
dir=$1
req=$(cat)
field() { printf '%s\n' "$req" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
action=$(field action)
key=$(field key)
case "$key" in *[!0-9a-f]* | "") echo '{"success":false,"error":"bad key"}'; exit 1 ;; esac
case "$action" in
get)
	if [ -f "$dir/$key" ]; then
		printf '{"success":true,"value":"%s"}\n' "$(cat "$dir/$key")"
	else
		echo '{"success":false,"error":"record not found: '"$key"'"}'
		exit 1 # like stunmesh-go's contrib Cloudflare plugin
	fi
	;;
set)
	field value >"$dir/$key.tmp" && mv "$dir/$key.tmp" "$dir/$key"
	echo '{"success":true}'
	;;
*)
	echo '{"success":false,"error":"unknown action"}'
	exit 1
	;;
esac
