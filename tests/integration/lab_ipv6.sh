#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Dual stack: two sites whose IPv4 is behind port-restricted NATs and whose IPv6
# (2001:db8:N::/64) is routed but firewalled statefully, as home routers do. Both
# interfaces are `protocol: dualstack`, the peers `protocol: prefer_ipv6`: each publishes
# both endpoints, each picks the other's IPv6 one, and WireGuard connects over IPv6.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lib.sh

if [ "$(id -u)" -ne 0 ]; then echo "skip - dual-stack lab: needs root"; exit 0; fi
for t in wireguard-go wg turnserver nft; do
	command -v $t >/dev/null || { echo "skip - dual-stack lab: $t not installed"; exit 0; }
done
trap lab_down EXIT
lab_up v6 || { echo "not ok - lab setup"; exit 1; }
for n in 1 2; do lab_site $n prc; lab_wg $n || { echo "not ok - wireguard-go"; exit 1; }; done
lab_wg_peer 1 2
lab_wg_peer 2 1
export LAB_PROTOCOL=dualstack LAB_PEER_PROTOCOL=prefer_ipv6
# IPv4 and IPv6 servers: each family asks the servers it can reach
export LAB_STUN='"198.51.100.10:3478", "[2001:db8:ffff::10]:3478", "198.51.100.11:3478", "[2001:db8:ffff::11]:3478"'
lab_stunmesh_config 1 2
lab_stunmesh_config 2 1
t0=$(lab_ms)
lab_stunmesh_start 1
lab_stunmesh_start 2
v6_used() { lab_exec h1 wg show "sm${LAB}1" endpoints | grep -q "\[2001:db8:2::2\]:51820"; }
if lab_wait 30 lab_handshake 1 2 && lab_wait 10 lab_ping 1 2 && lab_wait 10 v6_used; then
	echo "ok - dual-stack sites connect in $(($(lab_ms) - t0)) ms"
else
	echo "not ok - dual-stack sites did not connect"
	tail -n 30 "$LAB_DIR"/stunmesh*.log
	exit 1
fi
ep=$(lab_exec h1 wg show "sm${LAB}1" endpoints | awk '{print $2}')
case $ep in
"[2001:db8:2::2]:51820") echo "ok - the peer's IPv6 endpoint is used: $ep" ;;
*) echo "not ok - expected [2001:db8:2::2]:51820, WireGuard has $ep" ;;
esac
st=$(lab_status 1)
if echo "$st" | grep -q "public IPv6: \[2001:db8:1::2\]:51820" &&
	echo "$st" | grep -q "public IPv4: 203.0.113.11:51820"; then
	echo "ok - status shows both public endpoints"
else
	echo "not ok - status does not show both public endpoints:"; echo "$st"
fi
# what site 1 published for site 2 carries both families
if grep -q '"ipv4":"203.0.113.11:51820","ipv6":"\[2001:db8:1::2\]:51820"' "$LAB_DIR/stunmesh1.log"; then
	echo "ok - the record carries both families in stunmesh-go's order"
else
	echo "not ok - record contents not seen in the log"; grep published "$LAB_DIR/stunmesh1.log"
fi
