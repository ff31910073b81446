#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# net/relay and net/turn-client (build/tools/relay_run) with the lab's coturn and plain
# wireguard-go peers: site 1 behind a symmetric NAT relays through coturn for site 2
# (port-restricted cone: the pair STUN alone cannot connect) and site 3 (symmetric too:
# its NAT's port towards the relay is learnt from the first Data indication). The
# peers' WireGuard endpoint is just the relayed address; site 1's WireGuard talks to
# the relay's loopback endpoints. Pings pass; coturn restarts and the relay allocates
# again (the peers are given the new relayed address, as a republished record would);
# REST API credentials allocate; a wrong password is one clear error and exactly two
# requests on the wire (counted at site 1's router), no retry storm. Lab "rly".
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lib.sh

ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }
check() { _d=$1; shift; if "$@"; then ok "$_d"; else nok "$_d"; fi; }

if [ "$(id -u)" -ne 0 ]; then echo "skip - relay lab: needs root"; exit 0; fi
for c in turnserver wireguard-go wg nft ip ss ping; do
	command -v $c >/dev/null 2>&1 || { echo "skip - relay lab: $c not installed (scripts/deps.sh lab)"; exit 0; }
done
TOOL=build/tools/relay_run
[ -x $TOOL ] || { nok "build/tools/relay_run is built"; exit 1; }

trap lab_down EXIT
trap 'exit 1' INT TERM HUP
lab_up rly || { nok "lab: internet and STUN servers"; exit 1; }
for n in 1 2 3; do lab_site $n "$(echo "sym prc sym" | cut -d' ' -f$n)" || { nok "lab: site $n"; exit 1; }; done
for n in 1 2 3; do lab_wg $n || { nok "lab: wireguard-go on site $n"; exit 1; }; done
lab_wg_peer 1 2
lab_wg_peer 2 1
lab_wg_peer 1 3
lab_wg_peer 3 1
TURN=198.51.100.20
lab_turn_start lt $TURN lt || { nok "coturn (long-term) starts"; exit 1; }
IF1=$(lab_wg_ifname 1) IF2=$(lab_wg_ifname 2) IF3=$(lab_wg_ifname 3)
K1=$(lab_wg_pub 1) K2=$(lab_wg_pub 2) K3=$(lab_wg_pub 3)
LOG=$LAB_DIR/relay.log

# peers 1 and 2 of the relay: site 2 and site 3 at the endpoints STUN would give
lab_bg h1 relay env TURN_PASSWORD="$LAB_TURN_PASS" $TOOL $TURN:3478 "$LAB_TURN_USER" 51820 \
	203.0.113.12:51820 203.0.113.13:51820 --dead 2000
relayed() { sed -n 's/^allocated \([^ ]*\) .*/\1/p' "$LOG" | tail -n 1; }
local_of() { sed -n "s/^ready $1 local \\([^ ]*\\) .*/\\1/p" "$LOG" | tail -n 1; }
check "the relay allocates on coturn (long-term credentials)" lab_wait 5 grep -q "^allocated $TURN:" "$LOG"
check "both peers get a channel" lab_wait 5 sh -c "grep -q '^ready 1 ' '$LOG' && grep -q '^ready 2 ' '$LOG'"
R=$(relayed)
echo "# relayed address $R; site 2 via $(local_of 1), site 3 via $(local_of 2)"
point() { # site 1 -> the relay's loopback endpoints; sites 2, 3 -> the relayed address
	lab_exec h1 wg set "$IF1" peer "$K2" endpoint "$(local_of 1)" peer "$K3" endpoint "$(local_of 2)"
	lab_exec h2 wg set "$IF2" peer "$K1" endpoint "$1" persistent-keepalive 1
	lab_exec h3 wg set "$IF3" peer "$K1" endpoint "$1" persistent-keepalive 1
}
point "$R"
T0=$(lab_ms)
check "sym x prc: site 2 pings site 1 through the relay" lab_wait 20 lab_ping 2 1
echo "# first ping after $(($(lab_ms) - T0)) ms"
check "sym x prc: site 1 pings site 2" lab_wait 5 lab_ping 1 2
check "sym x sym: site 3's port towards the relay is learnt (moved)" lab_wait 10 grep -q "^moved 2 203.0.113.13:" "$LOG"
check "sym x sym: site 3 pings site 1 through the relay" lab_wait 20 lab_ping 3 1
check "sym x sym: site 1 pings site 3" lab_wait 5 lab_ping 1 3
kill -USR1 "$(cat "$LAB_DIR/relay.pid")"
lab_wait 2 grep -q "^stats 2 " "$LOG"
grep "^stats" "$LOG" | sed 's/^/# /'
check "the packets went through the relay both ways" \
	eval "grep '^stats 1 ' '$LOG' | awk '{ exit !(\$4 > 0 && \$6 > 0) }'"
check "site 2's WireGuard talks to the relayed address, site 1's to the loopback endpoint" \
	eval "lab_exec h2 wg show $IF2 endpoints | grep -q '$R' && lab_exec h1 wg show $IF1 endpoints | grep -q '$K2.127.0.0.1:'"

# coturn restarts: its allocations are gone. The relay finds out (traffic with no
# answer: a check; ICMP while it is down) and allocates anew.
lab_turn_stop lt
lab_turn_start lt $TURN lt || nok "coturn starts again"
T0=$(lab_ms)
check "after coturn's restart the relay allocates again" \
	lab_wait 25 sh -c "[ \$(grep -c '^allocated ' '$LOG') -ge 2 ]"
R2=$(relayed)
echo "# allocated again after $(($(lab_ms) - T0)) ms: $R2 (was $R); $(grep '^lost' "$LOG" | tail -n 1)"
check "the loss was told (lost ...)" grep -q "^lost " "$LOG"
lab_wait 5 sh -c "[ \$(grep -c '^ready 1 ' '$LOG') -ge 2 ]"
point "$R2"
check "after the re-allocation site 2 pings site 1 again" lab_wait 20 lab_ping 2 1
check "... and site 3" lab_wait 20 lab_ping 3 1
lab_kill relay

# REST API credentials (coturn use-auth-secret)
REST=198.51.100.21
lab_turn_start rest $REST secret || nok "coturn (REST API) starts"
lab_bg h1 relay-rest env TURN_SECRET="$LAB_TURN_SECRET" $TOOL $REST:3478 "$LAB_TURN_USER" 51820 203.0.113.12:51820
check "REST API credentials from the shared secret allocate" \
	lab_wait 5 grep -q "^allocated $REST:" "$LAB_DIR/relay-rest.log"
lab_kill relay-rest

# A wrong password: one error, two requests (the challenge, the authenticated one),
# then quiet for the 10-minute backoff. Counted at site 1's router.
lab_exec r1 nft -f - <<NFT
table inet smcount {
	chain turnreq {
		type filter hook forward priority filter + 10;
		ip daddr $TURN udp dport 3478 counter
	}
}
NFT
lab_bg h1 relay-bad env TURN_PASSWORD=not-the-password $TOOL $TURN:3478 "$LAB_TURN_USER" 51820 203.0.113.12:51820
BAD=$LAB_DIR/relay-bad.log
lab_wait 5 grep -q "^lost" "$BAD"
sleep 8
sent=$(lab_exec r1 nft list table inet smcount | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
echo "# $(grep '^lost' "$BAD"); $sent requests to coturn in about 10 s"
check "wrong password: one clear error naming the 401 and the backoff" \
	eval "[ \$(grep -c '^lost' '$BAD') -eq 1 ] && grep -q '^lost -13 .*401.*wrong username or password; next try in 10m' '$BAD'"
check "wrong password: exactly 2 requests on the wire, no retry storm" [ "${sent:-0}" -eq 2 ]
check "wrong password: it is in no output" eval "! grep -q not-the-password '$BAD'"
lab_kill relay-bad
check "coturn's logs hold neither password nor secret" \
	eval "! grep -q -e '$LAB_TURN_PASS' -e '$LAB_TURN_SECRET' -e not-the-password '$LAB_DIR'/turn-*.log"
