#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A daemon killed with SIGKILL in the middle of hole punching, in the NAT lab
# (tests/lab/lib.sh). While punching, stunmesh holds the peer's persistent keepalive at
# 1 s; killed then, it cannot give the configured value back, and the 1 s stays on the
# device. Restarted, stunmesh must still end with the configured keepalive (none here)
# once the peer is connected, not adopt its own leftover as the user's setting.
# (lab_mesh.sh covers SIGKILL and restart of a connected daemon with a NAT re-addressed.)
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lib.sh

if [ "$(id -u)" -ne 0 ]; then echo "skip - restart lab: needs root"; exit 0; fi
for t in wireguard-go wg turnserver nft; do
	command -v $t >/dev/null || { echo "skip - restart lab: $t not installed"; exit 0; }
done
[ -x ./stunmesh ] || { echo "not ok - restart lab: ./stunmesh not built"; exit 1; }

trap lab_down EXIT
trap 'exit 130' INT TERM
lab_up rs || { echo "not ok - restart lab: setup"; exit 1; }
lab_site 1 prc && lab_site 2 prc || { echo "not ok - restart lab: sites"; exit 1; }
lab_wg 1 && lab_wg 2 || { echo "not ok - restart lab: wireguard-go"; exit 1; }
lab_wg_peer 1 2
lab_wg_peer 2 1
lab_stunmesh_config 1 2
lab_stunmesh_config 2 1

fail() {
	echo "not ok - $*"
	echo "--- site 1's log"; tail -n 15 "$LAB_DIR/stunmesh1.log"
	lab_status 1
}
ka() { lab_exec h1 wg show "sm${LAB}1" persistent-keepalive | awk '{ print $2 }'; }
state() { lab_status 1 | sed -n 's/.*peer site2: //p'; }

# site 2 publishes its record, then its WireGuard goes silent (link down): site 1
# finds the record and punches in vain
lab_stunmesh_start 2
lab_wait 10 sh -c "ls '$LAB_DIR'/store/*.txt" || { fail "site 2 published nothing"; exit 1; }
lab_stunmesh_stop 2
lab_exec h2 ip link set "sm${LAB}2" down
[ "$(ka)" = off ] || { fail "keepalive before any daemon is $(ka), not off"; exit 1; }
lab_stunmesh_start 1
punching() { [ "$(state)" = punching ] && [ "$(ka)" = 1 ]; }
if lab_wait 10 punching; then
	echo "ok - site 1 punches (keepalive 1 s) towards a silent site 2"
else
	fail "site 1 is not punching (state $(state), keepalive $(ka))"; exit 1
fi
kill -9 "$(cat "$LAB_DIR/stunmesh1.pid")"
rm -f "$LAB_DIR/stunmesh1.pid"
echo "# after SIGKILL the device keeps keepalive $(ka)"

# site 2 comes back; site 1's daemon is restarted
lab_exec h2 ip link set "sm${LAB}2" up
lab_stunmesh_start 2
t0=$(lab_ms)
lab_stunmesh_start 1
if lab_wait 30 lab_ping 1 2 && lab_wait 5 lab_ping 2 1; then
	echo "ok - restarted daemon connects in $(($(lab_ms) - t0)) ms"
else
	fail "restarted daemon did not connect within 35 s"; exit 1
fi
connected_and_off() { [ "$(state)" = connected ] && [ "$(ka)" = off ]; }
if lab_wait 10 connected_and_off; then
	echo "ok - restarted daemon: connected, and the keepalive is back to the configured none"
else
	fail "restarted daemon: state $(state), keepalive left at $(ka) (configured: none)"
fi
