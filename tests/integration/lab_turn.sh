#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# TURN relaying in the lab (tests/lab/turn.sh): coturn with long-term credentials and a
# second one with the REST API shared secret, on the internet side; a client behind a
# symmetric NAT (site 1) allocates a relay with coturn's own turnutils_uclient and its
# messages come back from an echo peer (turnutils_peer) through the relay. A wrong
# password gets no allocation. Then the same through stunmesh's own codec
# (build/tools/turn_client: 401 challenge, long-term and REST-API credentials,
# CreatePermission, ChannelBind, ChannelData and Send/Data indications, 438 stale nonce,
# Refresh to delete). Lab "trn": namespaces sm-trn-*.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lib.sh

ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }
check() { _d=$1; shift; if "$@"; then ok "$_d"; else nok "$_d"; fi; }

if [ "$(id -u)" -ne 0 ]; then echo "skip - TURN lab: needs root"; exit 0; fi
for c in turnserver turnutils_uclient turnutils_peer nft ip ss; do
	command -v $c >/dev/null 2>&1 || { echo "skip - TURN lab: $c not installed (coturn)"; exit 0; }
done

trap lab_down EXIT
trap 'exit 1' INT TERM HUP
lab_up trn || { nok "lab: internet and STUN servers"; exit 1; }
lab_site 1 sym || { nok "lab: site 1"; exit 1; }
LT=198.51.100.20 REST=198.51.100.21 PEER=198.51.100.10
lab_turn_start lt $LT lt && ok "coturn with long-term credentials listens on $LT:3478" ||
	{ nok "coturn (long-term) starts"; exit 1; }
lab_turn_start rest $REST secret && ok "coturn with use-auth-secret listens on $REST:3478" ||
	{ nok "coturn (REST API) starts"; exit 1; }
lab_bg stun peer turnutils_peer -L $PEER -p 3480
lab_wait 5 sh -c "ip netns exec sm-$LAB-stun ss -Huln 'src $PEER:3480' | grep -q 3480"

# uclient SERVER ARGS...: 10 messages of 100 bytes through a relay to the echo peer,
# from site 1's host; output in $out
uclient() {
	_srv=$1
	shift
	out=$(timeout 30 ip netns exec "sm-$LAB-h1" turnutils_uclient -n 10 -m 1 -l 100 \
		-c -e $PEER -r 3480 "$@" "$_srv" 2>&1)
	echo "$out" | tail -n 6 | sed 's/^/#   /'
}
relayed_all() { echo "$out" | grep "start_mclient: tot_send_msgs=" | tail -n 1 | grep -q "tot_send_msgs=10, tot_recv_msgs=10$"; }

uclient $LT -u "$LAB_TURN_USER" -w "$LAB_TURN_PASS"
check "long-term: 10 messages out through the relay and 10 echoes back" relayed_all
check "long-term: coturn logged the allocation's relay address on $LT" \
	grep -q "Local relay addr: $LT:" "$LAB_DIR/turn-lt.log"
uclient $LT -u "$LAB_TURN_USER" -w "$LAB_TURN_PASS" -s
check "long-term with Send/Data indications instead of channels: all 10 back" relayed_all
uclient $LT -u "$LAB_TURN_USER" -w not-the-password
check "long-term: a wrong password gets no allocation" \
	eval 'echo "$out" | grep -q "Cannot complete Allocation" && ! relayed_all'
uclient $REST -u "$LAB_TURN_USER" -W "$LAB_TURN_SECRET"
check "REST API: a time-limited credential from the shared secret relays all 10" relayed_all
uclient $REST -u "$LAB_TURN_USER" -W not-the-secret
check "REST API: a credential from another secret gets no allocation" \
	eval 'echo "$out" | grep -q "Cannot complete Allocation" && ! relayed_all'
# Our codec (proto/turn) against the same servers. Peers: udp-probe echo listeners.
TOOL=build/tools/turn_client
PROBE="python3 $PWD/tests/integration/helpers/udp-probe.py"
if [ -x $TOOL ]; then
	lab_bg stun echo1 $PROBE listen $PEER 4001
	lab_bg stun echo2 $PROBE listen $PEER 4002
	lab_wait 5 sh -c "ip netns exec sm-$LAB-stun ss -Huln 'sport = :4002' | grep -q 4002"
	tool() { # SERVER ENV... -- runs turn_client from site 1's host; output in $out, exit in $rc
		_srv=$1
		shift
		out=$(timeout 40 ip netns exec "sm-$LAB-h1" env "$@" $TOOL ${STALE:+--stale-wait $STALE} \
			"$_srv:3478" "$LAB_TURN_USER" $PEER:4001 $PEER:4002 2>&1)
		rc=$?
		echo "$out" | sed 's/^/#   /'
	}
	has() { echo "$out" | grep -q -- "$1"; }
	tool $LT TURN_PASSWORD="$LAB_TURN_PASS"
	check "codec, long-term: 401 challenge with realm $LAB_TURN_REALM" has "challenge: 401 realm $LAB_TURN_REALM"
	check "codec, long-term: allocation relayed from $LT, its MESSAGE-INTEGRITY checked" \
		has "allocate: relayed $LT:4.* (integrity checked)"
	check "codec, long-term: CreatePermission and ChannelBind accepted" \
		eval 'has "permission: created" && has "channel-bind: 0x4000 bound"'
	check "codec, long-term: ChannelData out and back through the relay" has "channel: ChannelData"
	check "codec, long-term: the peer saw it come from the relayed address" \
		grep -q "^got via-channel from $LT:" "$LAB_DIR/echo1.log"
	check "codec, long-term: Send indication out, Data indication back" has "send: Send indication"
	check "codec, long-term: Refresh with lifetime 0 deletes the allocation; exit 0" \
		eval 'has "delete: allocation released" && [ $rc -eq 0 ]'
	tool $LT TURN_PASSWORD=not-the-password
	check "codec, long-term: a wrong password is refused (exit 3, error 401 named)" \
		eval '[ $rc -eq 3 ] && has "allocate: error 401"'
	tool $REST TURN_SECRET="$LAB_TURN_SECRET"
	check "codec, REST API: time-limited credentials relay and clean up (exit 0)" \
		eval 'has "credentials: REST API username [0-9]*:$LAB_TURN_USER" && has "channel: ChannelData" && [ $rc -eq 0 ]'
	tool $REST TURN_SECRET=not-the-secret
	check "codec, REST API: a credential from another secret is refused (exit 3)" [ $rc -eq 3 ]
	# nonces that go stale after 3 s: the Refresh after 5 s gets a 438 and is repeated
	LAB_TURN_EXTRA="--stale-nonce=3" lab_turn_start stale 198.51.100.22 lt ||
		nok "coturn with --stale-nonce=3 starts"
	STALE=5 tool 198.51.100.22 TURN_PASSWORD="$LAB_TURN_PASS"
	check "codec: a stale nonce (438) is answered with the new nonce and the Refresh succeeds" \
		eval 'has "refresh: 438 stale nonce answered with the new one" && [ $rc -eq 0 ]'
else
	nok "build/tools/turn_client is built (make build/tools/turn_client)"
fi

check "both coturn servers still running" \
	eval 'kill -0 "$(cat "$LAB_DIR/turn-lt.pid")" && kill -0 "$(cat "$LAB_DIR/turn-rest.pid")"'
check "coturn's logs hold neither the password nor the secret" \
	eval '! grep -q -e "$LAB_TURN_PASS" -e "$LAB_TURN_SECRET" "$LAB_DIR"/turn-*.log'
