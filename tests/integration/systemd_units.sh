#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd units in packaging/systemd/: `systemd-analyze verify` finds no problem, the
# hardening gives a `systemd-analyze security --offline=yes` exposure of 2.0 or lower,
# and the capability set is exactly CAP_NET_ADMIN CAP_NET_RAW. The units name
# /usr/sbin/stunmesh and man:stunmesh(8); a copy points at the built binary and the man
# page is offered through MANPATH, so nothing needs to be installed.
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
max_exposure=2.0

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "skip - systemd units: systemd-analyze is not installed"
	exit 0
fi
if [ ! -x ./stunmesh ]; then
	echo "not ok - systemd units: ./stunmesh is not built"
	exit 1
fi
tmp=$(mktemp -d /tmp/sm-units.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/units" "$tmp/man/man8"
cp docs/stunmesh.8 "$tmp/man/man8/"
export MANPATH="$tmp/man"

for unit in packaging/systemd/stunmesh.service packaging/systemd/stunmesh@.service; do
	name=$(basename "$unit")
	# an instance is what systemd runs; the template itself cannot be verified
	case $name in *@.service) inst=${name%@.service}@wg0.service ;; *) inst=$name ;; esac
	sed "s|/usr/sbin/stunmesh|$top/stunmesh|g" "$unit" >"$tmp/units/$inst"

	out=$(timeout 60 systemd-analyze verify "$tmp/units/$inst" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then
		echo "ok - $name: systemd-analyze verify is clean"
	else
		echo "not ok - $name: systemd-analyze verify (exit $rc):"
		echo "$out" | sed 's/^/#   /'
	fi

	out=$(timeout 60 systemd-analyze security --offline=yes "$tmp/units/$inst" 2>&1)
	level=$(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	if [ -z "$level" ]; then
		echo "not ok - $name: no exposure level from systemd-analyze security:"
		echo "$out" | tail -n 5 | sed 's/^/#   /'
	elif awk -v l="$level" -v m="$max_exposure" 'BEGIN { exit !(l <= m) }'; then
		echo "ok - $name: security exposure $level <= $max_exposure"
	else
		echo "not ok - $name: security exposure $level > $max_exposure; what counts:"
		echo "$out" | grep '✗' | sed 's/^/#   /'
	fi

	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr ' ' '\n' | sort | tr '\n' ' ')
	if [ "$caps" = "CAP_NET_ADMIN CAP_NET_RAW " ] && ! grep -q '^AmbientCapabilities=' "$unit"; then
		echo "ok - $name: only CAP_NET_ADMIN and CAP_NET_RAW"
	else
		echo "not ok - $name: capabilities are '$caps'"
	fi
	for want in 'Type=notify' 'ExecReload=/bin/kill -HUP $MAINPID' 'ProtectSystem=strict' \
		'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK'; do
		grep -qxF "$want" "$unit" || echo "not ok - $name: no '$want' line"
	done
done

# The example configuration the packages install is valid, and the runtime directory is
# where the daemon puts its control socket by default.
if out=$(CLOUDFLARE_API_TOKEN=example-token ./stunmesh check-config -c packaging/config.yaml.example 2>&1); then
	echo "ok - packaging/config.yaml.example passes check-config"
else
	echo "not ok - packaging/config.yaml.example fails check-config:"
	echo "$out" | tail -n 10 | sed 's/^/#   /'
fi
sock=$(echo "$out" | sed -n 's/^control_socket: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p')
rdir=$(sed -n 's/^RuntimeDirectory=//p' packaging/systemd/stunmesh.service)
if [ -n "$sock" ] && [ "$(dirname "$sock")" = "/run/$rdir" ]; then
	echo "ok - stunmesh.service: RuntimeDirectory /run/$rdir holds the default control socket"
else
	echo "not ok - stunmesh.service: RuntimeDirectory /run/$rdir, default control socket '$sock'"
fi
