#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# net/portmap on the event loop (build/tools/portmap_run) against the lab's real
# port-mapping router (miniupnpd on a symmetric NAT), once per protocol: the mapping is
# made on the WAN address with a short lease and lets a packet from the internet in,
# it is renewed at half the lease, made again after the router "reboots" (its rules,
# conntrack and epoch gone), and removed on a clean stop; a mapping on an address STUN
# does not see is reported as an inner NAT. Lab "pmp": namespaces sm-pmp-*.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lib.sh

ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }
check() { _d=$1; shift; if "$@"; then ok "$_d"; else nok "$_d"; fi; }

if [ "$(id -u)" -ne 0 ]; then echo "skip - port mapping: needs root"; exit 0; fi
for c in nft ip ss python3 conntrack; do
	command -v $c >/dev/null 2>&1 || { echo "skip - port mapping: $c not installed (scripts/deps.sh portmap)"; exit 0; }
done
for h in libnftnl/common.h libmnl/libmnl.h uuid/uuid.h openssl/ssl.h cap-ng.h; do
	[ -f "/usr/include/$h" ] || { echo "skip - port mapping: /usr/include/$h missing (scripts/deps.sh portmap)"; exit 0; }
done
TOOL=build/tools/portmap_run
[ -x $TOOL ] || { nok "build/tools/portmap_run is built"; exit 1; }

trap lab_down EXIT
trap 'exit 1' INT TERM HUP
PROBE="python3 $PWD/tests/integration/helpers/udp-probe.py"
LEASE=${LAB_PORTMAP_LEASE:-6} # seconds: renewed every 3 s (miniupnpd min_lifetime lowered)
export LAB_PCP_MIN_LIFETIME=$LEASE
lab_up pmp || { nok "lab: internet and STUN servers"; exit 1; }
lab_site 1 sym || { nok "lab: site 1"; exit 1; }
lab_portmap 1 sym || { nok "lab: miniupnpd on r1 (log: $(tail -n 5 "$LAB_DIR/miniupnpd-1.log" 2>/dev/null))"; exit 1; }
WAN=203.0.113.11
lab_bg h1 listen $PROBE listen 0.0.0.0 51820
lab_wait 5 sh -c "ip netns exec sm-$LAB-h1 ss -Huln 'sport = :51820' | grep -q 51820"

mapped_count() { grep -c "^mapped $1 $WAN:51820 lease" "$LAB_DIR/pm-$2.log"; }
has_rule() { lab_portmap_rules 1 | grep -q "dport 51820 "; }
no_rule() { ! has_rule; }
inet_reaches() { # PAYLOAD SPORT: from the internet to WAN:51820, seen by the host?
	timeout 10 ip netns exec "sm-$LAB-inet" $PROBE send $WAN 51820 "$1" --sport "$2" --wait 1 >/dev/null 2>&1
	grep -q "^got $1 from 203.0.113.1:" "$LAB_DIR/listen.log"
}

# run_proto NAME ONLY: the whole life of a mapping with one protocol
run_proto() {
	_p=$1 _only=$2 _sp=$3
	lab_bg h1 "pm-$_only" $TOOL --only "$_only" --lifetime $LEASE --public $WAN --debug
	_t0=$(lab_ms)
	if ! lab_wait 10 grep -q "^mapped $_p $WAN:51820 lease" "$LAB_DIR/pm-$_only.log"; then
		nok "$_p: mapped on $WAN:51820 (log: $(tail -n 5 "$LAB_DIR/pm-$_only.log"))"
		lab_kill "pm-$_only"
		return
	fi
	ok "$_p: UDP 51820 mapped on $WAN:51820 in $(($(lab_ms) - _t0)) ms ($(grep -m1 '^mapped' "$LAB_DIR/pm-$_only.log"))"
	check "$_p: the router holds the mapping's DNAT rule" has_rule
	check "$_p: a packet from the internet to $WAN:51820 reaches the host" inet_reaches "via-$_only" "$_sp"
	check "$_p: renewed at half the $LEASE s lease" lab_wait 6 sh -c "[ \$(grep -c '^mapped $_p' '$LAB_DIR/pm-$_only.log') -ge 2 ]"
	_before=$(mapped_count "$_p" "$_only")
	lab_portmap_reboot 1
	_t0=$(lab_ms)
	check "$_p: after the router's reboot the mapping is made again" \
		lab_wait 8 sh -c "[ \$(grep -c '^mapped $_p' '$LAB_DIR/pm-$_only.log') -gt $_before ] && ip netns exec sm-$LAB-r1 nft list chain inet filter prerouting_miniupnpd | grep -q 'dport 51820 '"
	echo "# $_p: mapped again $(($(lab_ms) - _t0)) ms after the reboot"
	# miniupnpd multicasts a PCP ANNOUNCE when it starts (RFC 6887 14.1.3): its epoch
	# tells the restart before any renewal (NAT-PMP compares it with its own epoch).
	# UPnP alone has no epoch: its renewal checks the mapping is still there.
	if [ $_only = upnp ]; then
		check "$_p: the renewal found the IGD had lost the mapping and added it again" \
			grep -q "IGD had lost the mapping" "$LAB_DIR/pm-$_only.log"
	else
		check "$_p: the restart was seen in the gateway's announcement" \
			grep -q "gateway restarted (.*epoch .*): mapping again" "$LAB_DIR/pm-$_only.log"
	fi
	check "$_p: the new mapping lets a packet in" inet_reaches "after-reboot-$_only" $((_sp + 1))
	kill -TERM "$(cat "$LAB_DIR/pm-$_only.pid")"
	check "$_p: a clean stop deletes the mapping" lab_wait 5 grep -q "^stopped" "$LAB_DIR/pm-$_only.log"
	check "$_p: the router's rule is gone" lab_wait 2 no_rule
	lab_kill "pm-$_only"
	check "$_p: no error or warning logged" eval "! grep -E ' (ERROR|WARN) ' '$LAB_DIR/pm-$_only.log'"
}

run_proto NAT-PMP natpmp 40100
run_proto PCP pcp 40200
run_proto UPnP upnp 40300

# The gateway's external address is not the one STUN saw: an inner NAT, not used.
lab_bg h1 pm-inner $TOOL --only natpmp --lifetime $LEASE --public 198.51.100.99
check "a mapping on an address STUN does not see is reported as an inner NAT" \
	lab_wait 5 grep -q "^lost inner NAT: .*$WAN:51820, but STUN sees 198.51.100.99" "$LAB_DIR/pm-inner.log"
check "... and never as mapped" eval "! grep -q '^mapped' '$LAB_DIR/pm-inner.log'"
lab_kill pm-inner
check "miniupnpd still running" kill -0 "$(cat "$LAB_DIR/miniupnpd-1.pid")"
