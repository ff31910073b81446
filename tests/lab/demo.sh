#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make demo`: two sites, each behind its own NAT, each running wireguard-go that knows
# the other's public key but not where it is. stunmesh on each finds its public
# endpoint through STUN, publishes it encrypted in a shared folder (the file store),
# reads the other's, and WireGuard connects. Everything lives in network namespaces
# named sm-demo-* and is removed at the end (also on Ctrl-C).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lib.sh
[ "$(id -u)" -eq 0 ] || { echo "make demo needs root (network namespaces)"; exit 1; }

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
cleanup() { lab_down; }
trap cleanup EXIT
trap 'exit 130' INT TERM

say "building the lab: an internet (203.0.113.0/24), two STUN servers, two sites behind NAT"
lab_up demo || exit 1
lab_site 1 prc
lab_site 2 prc
lab_wg 1 && lab_wg 2 || exit 1
lab_wg_peer 1 2
lab_wg_peer 2 1
echo "site 1: host 192.0.2.18 behind NAT 203.0.113.11, WireGuard $(lab_wg_ifname 1) on port 51820, tunnel 198.18.0.1"
echo "site 2: host 192.0.2.34 behind NAT 203.0.113.12, WireGuard $(lab_wg_ifname 2) on port 51820, tunnel 198.18.0.2"
echo "both NATs are port-restricted (nftables masquerade); neither WireGuard knows an endpoint:"
lab_exec h1 wg show "$(lab_wg_ifname 1)" endpoints

say "starting stunmesh on both sites (refresh_interval 10m, no keepalive configured)"
lab_stunmesh_config 1 2
lab_stunmesh_config 2 1
t0=$(lab_ms)
lab_stunmesh_start 1
lab_stunmesh_start 2

if lab_wait 30 lab_handshake 1 2; then
	t1=$(lab_ms)
	echo "WireGuard handshake after $((t1 - t0)) ms"
else
	echo "no handshake within 30 s; the logs:"
	cat "$LAB_DIR"/stunmesh*.log
	exit 1
fi
lab_wait 10 lab_ping 1 2 && echo "ping 198.18.0.2 through the tunnel: ok after $(($(lab_ms) - t0)) ms"

lab_wait 5 sh -c ". tests/lab/lib.sh; lab_status 1 | grep -q 'peer site2: connected'"
say "stunmesh status on site 1"
lab_status 1
say "stunmesh status on site 2"
lab_status 2
say "what site 1 logged"
sed 's/^/  /' "$LAB_DIR/stunmesh1.log"
say "a ping from site 1 to site 2 through the tunnel"
lab_exec h1 ping -c 3 -i 0.2 198.18.0.2

say "what happened"
cat <<TXT
Each stunmesh sent a STUN request from WireGuard's own port 51820 (through a raw socket,
so WireGuard kept its socket) and learnt the public address and port its NAT gave to
WireGuard. It sealed that endpoint for the other site with NaCl box (the WireGuard keys
are Curve25519 keys) and wrote it to the shared store under sha1(own key || peer key),
the same record stunmesh-go writes. Each read the other's record, set it as the WireGuard
peer's endpoint and held the keepalive at 1 s until the first handshake, so both NATs
opened at once. Then it put the configured keepalive back. Tearing the lab down now.
TXT
