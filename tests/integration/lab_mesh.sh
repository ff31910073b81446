#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Robustness of a small mesh in the NAT lab (tests/lab/lib.sh), all sites on a shell
# store plugin (tests/lab/store-plugin.sh) that the test can switch off:
#  1. three sites (prc, cone, double) in a full mesh connect pairwise
#  2. a NAT's conntrack table is flushed: the tunnels through it come back
#  3. the first STUN server is down: discovery falls over to the second, and a new
#     site (4, prc) still connects
#  4. the store is down for a while: the tunnels stay up (pinged throughout), and a
#     site added during the outage (5, prc) connects once the store is back
#  5. a daemon killed with SIGKILL while its NAT changes address is restarted: it
#     resumes, the tunnels recover, and nothing of the old run is left behind
# (daemon.sh covers re-addressing with the daemon running, SIGHUP and a failing store
# for one peer; lab_matrix.sh the NAT kinds.)
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lib.sh

if [ "$(id -u)" -ne 0 ]; then echo "skip - mesh lab: needs root"; exit 0; fi
for t in wireguard-go wg turnserver nft conntrack; do
	command -v $t >/dev/null || { echo "skip - mesh lab: $t not installed"; exit 0; }
done
[ -x ./stunmesh ] || { echo "not ok - mesh lab: ./stunmesh not built"; exit 1; }

trap lab_down EXIT
trap 'exit 130' INT TERM
lab_up msh || { echo "not ok - mesh lab: setup"; exit 1; }
lab_site 1 prc && lab_site 2 cone && lab_site 3 double && lab_site 4 prc && lab_site 5 prc ||
	{ echo "not ok - mesh lab: site setup"; exit 1; }
for n in 1 2 3 4 5; do lab_wg $n || { echo "not ok - wireguard-go on site $n"; exit 1; }; done

fail() {
	echo "not ok - $*"
	for f in "$LAB_DIR"/stunmesh*.log; do
		[ -f "$f" ] || continue
		echo "--- $f"
		tail -n 30 "$f"
	done
}

# refresh 20s: the watch (re-reading connected peers' records) and the republish
# both run every 20 s, so the store outage below spans at least one of each
export LAB_REFRESH=20s LAB_PLUGIN=sh
export LAB_EXTRA_PLUGINS="  sh:
    type: shell
    command: $PWD/tests/lab/store-plugin.sh
    args: [\"$LAB_DIR/shstore\"]"
peer() { lab_wg_peer "$1" "$2" && lab_wg_peer "$2" "$1"; }
pid_of() { cat "$LAB_DIR/stunmesh$1.pid"; }
pair_up() { lab_ping "$1" "$2" && lab_ping "$2" "$1"; }
state() { lab_status "$1" | grep "peer site$2:" | sed 's/.*: //'; }

# 1. the mesh
peer 1 2; peer 1 3; peer 2 3
lab_stunmesh_config 1 2 3
lab_stunmesh_config 2 1 3
lab_stunmesh_config 3 1 2
t0=$(lab_ms)
for n in 1 2 3; do lab_stunmesh_start $n; done
for p in 1-2 1-3 2-3; do
	a=${p%-*} b=${p#*-}
	if lab_wait 30 pair_up $a $b; then
		echo "ok - mesh: sites $a and $b ($(cat "$LAB_DIR/site$a.kind")/$(cat "$LAB_DIR/site$b.kind")) connect, $(($(lab_ms) - t0)) ms after start"
	else
		fail "mesh: sites $a and $b did not connect within 30 s"
		exit 1
	fi
done

# 2. conntrack flushed (what a NAT router's reboot does). wait_pairs polls pairs "a-b"
# (a pings b) in one loop until all answered or the bound is over; prints the failures.
wait_pairs() {
	_bound=$1 _what=$2
	shift 2
	_t0=$(lab_ms) _left="$*"
	while [ -n "$_left" ] && [ $(($(lab_ms) - _t0)) -lt $((_bound * 1000)) ]; do
		_next=""
		for _p in $_left; do
			lab_ping ${_p%-*} ${_p#*-} || _next="$_next $_p"
		done
		_left=$_next
		[ -n "$_left" ] && sleep 0.5
	done
	if [ -z "$_left" ]; then
		echo "ok - $_what: $* answer again after $(($(lab_ms) - _t0)) ms"
	else
		fail "$_what: no answer within $_bound s for (a-b: a pings b):$_left"
		for _n in 1 2 3; do lab_exec h$_n wg show sm${LAB}$_n | sed "s/^/  h$_n: /"; done
		return 1
	fi
}
# Site 1's NAT loses its table while site 1 is idle, and its peers have traffic for it:
# their packets are dropped at site 1's NAT (nothing was sent from behind it since) until
# something leaves site 1 again. WireGuard alone never sends then. Wait 12 s first, so
# the passive keepalives (10 s after the last data) are over and no WireGuard timer
# of site 1 is pending: the outcome depends on stunmesh only.
sleep 12
flaps() { grep -c "peer sm${LAB}$1/site$2: connected -> stale" "$LAB_DIR/stunmesh$1.log"; }
before=$(flaps 2 1)
lab_exec r1 conntrack -F 2>/dev/null
wait_pairs 60 "conntrack flushed on site 1's NAT (prc), traffic from its peers" 2-1 3-1
# however long healing takes, a peer that does not answer is not "connected" again
# and again: one detection, then re-discovery
n=$(($(flaps 2 1) - before))
if [ $n -le 2 ]; then
	echo "ok - conntrack flush: site 2 saw site 1 go stale $n time(s), no flapping"
else
	fail "conntrack flush: site 2's state for site 1 flapped connected -> stale $n times"
	grep "site1: " "$LAB_DIR/stunmesh2.log" | tail -n 8
fi
# all NATs at once (both of the double site's), traffic both ways
sleep 12
for r in r1 r2 r3 c3; do lab_exec $r conntrack -F 2>/dev/null; done
wait_pairs 60 "conntrack flushed on every NAT" 2-1 3-1 3-2 1-2 1-3 2-3

# 3. the first STUN server down
lab_stun_stop a
stopped=$(date +%s)
sleep 1
lab_exec h1 ./stunmesh refresh --socket "$LAB_DIR/site1.sock" >/dev/null
learned() { lab_status "$1" --json | python3 -c '
import json, sys
i = json.load(sys.stdin)["interfaces"][0]["ipv4"]
print(i.get("learned_unix", 0), i.get("endpoint", ""))'; }
fresh() { set -- $(learned 1); [ "$1" -gt "$stopped" ] && [ "$2" = "203.0.113.11:51820" ]; }
if lab_wait 20 fresh; then
	echo "ok - STUN server a down: site 1 re-discovers 203.0.113.11:51820 through server b"
else
	fail "STUN server a down: no fresh discovery on site 1 within 20 s ($(learned 1))"
	lab_status 1
fi
peer 1 4
lab_stunmesh_config 4 1
lab_stunmesh_config 1 2 3 4
t0=$(lab_ms)
lab_stunmesh_start 4
kill -HUP "$(pid_of 1)"
if lab_wait 40 pair_up 1 4; then
	echo "ok - STUN server a down: new site 4 connects to site 1 in $(($(lab_ms) - t0)) ms"
else
	fail "STUN server a down: new site 4 did not connect within 40 s"
	lab_status 4
fi
lab_status 4 | grep -q 'public IPv4: 203.0.113.14:51820' &&
	echo "ok - STUN server a down: site 4 learnt its public endpoint" ||
	{ fail "site 4 does not show its public endpoint"; lab_status 4; }

# 4. the store down for 30 s: everything established stays up; site 5, added while it
# is down, connects when it is back
touch "$LAB_DIR/shstore.down"
down_at=$(lab_ms)
peer 1 5
lab_stunmesh_config 5 1
lab_stunmesh_config 1 2 3 4 5
lab_stunmesh_start 5
kill -HUP "$(pid_of 1)"
lost=0 tries=0
while [ $(($(lab_ms) - down_at)) -lt 30000 ]; do
	for p in 1-2 1-3 1-4 2-3; do
		tries=$((tries + 1))
		lab_ping ${p%-*} ${p#*-} || { lost=$((lost + 1)); echo "# ping ${p%-*} -> ${p#*-} lost at $(($(lab_ms) - down_at)) ms"; }
	done
	sleep 1
done
if [ $lost -eq 0 ]; then
	echo "ok - store down 30 s: $tries pings through 4 tunnels, none lost"
else
	fail "store down: $lost of $tries pings lost"
fi
if lab_status 1 | grep -A4 "peer site5" | grep -q "lab switched it off"; then
	echo "ok - store down: status shows the store's error for the new peer"
else
	fail "store down: status does not show the store error"; lab_status 1
fi
if pair_up 1 5; then
	fail "site 5 connected while the store was down?"
fi
rm -f "$LAB_DIR/shstore.down"
t0=$(lab_ms)
if lab_wait 60 pair_up 1 5; then
	echo "ok - store back: site 5 connects to site 1 after $(($(lab_ms) - t0)) ms"
else
	fail "store back: site 5 did not connect within 60 s"
	lab_status 5; lab_status 1
fi
for p in 1-2 1-3 1-4; do
	s=$(state ${p%-*} ${p#*-})
	[ "$s" = connected ] || fail "after the store outage: site ${p%-*} sees site ${p#*-} as $s"
done

# 5. SIGKILL the daemon of site 1, re-address its NAT while it is dead, restart it
echo "# before the kill, site 1's states: $(for m in 2 3 4 5; do printf 'site%s %s, ' $m "$(state 1 $m)"; done)"
echo "# before the kill, site 1's keepalives: $(lab_exec h1 wg show sm${LAB}1 persistent-keepalive | awk '{print $2}' | tr '\n' ' ')"
old=$(pid_of 1)
kill -9 "$old"
lab_wait 5 sh -c "! kill -0 $old"
rm -f "$LAB_DIR/stunmesh1.pid"
[ -S "$LAB_DIR/site1.sock" ] && echo "# the dead daemon's control socket is still there (stale)"
lab_readdress 1
sleep 1
t0=$(lab_ms)
lab_stunmesh_start 1
ok=1
for m in 2 3 4 5; do
	lab_wait 60 pair_up 1 $m || { ok=0; fail "restart: site 1 and site $m did not reconnect within 60 s"; }
done
[ $ok -eq 1 ] && echo "ok - SIGKILL, new NAT address, restart: all 4 tunnels of site 1 back after $(($(lab_ms) - t0)) ms"
if lab_status 1 | grep -q 'public IPv4: 203.0.113.101:51820'; then
	echo "ok - restart: status answers on the control socket and shows the new address"
else
	fail "restart: status does not show 203.0.113.101:51820"; lab_status 1
fi
# nothing of the old run: one daemon, no stray plugin processes, the fast keepalive
# of the punching phase given back (the configured keepalive is none)
procs=$(for p in $(ip netns pids sm-$LAB-h1); do cat /proc/$p/comm; done | sort | tr '\n' ' ')
[ "$procs" = "stunmesh wireguard-go " ] && echo "ok - restart: site 1 runs one stunmesh and wireguard-go only" ||
	fail "restart: processes in site 1's host: $procs"
connected_all() { for m in 2 3 4 5; do [ "$(state 1 $m)" = connected ] || return 1; done; }
if lab_wait 10 connected_all; then
	echo "ok - restart: status shows every peer of site 1 connected"
else
	fail "restart: not every peer of site 1 is connected in status"
	lab_status 1; lab_exec h1 wg show sm${LAB}1
fi
ka=$(lab_exec h1 wg show sm${LAB}1 persistent-keepalive | awk '{print $2}' | sort -u | tr '\n' ' ')
if [ "$ka" = "off " ]; then
	echo "ok - restart: keepalives are back to the configured none"
else
	fail "restart: persistent keepalives left as: $ka"
	for m in 2 3 4 5; do
		echo "  site$m: keepalive $(lab_exec h1 wg show sm${LAB}1 persistent-keepalive |
			awk -v k="$(lab_wg_pub $m)" '$1 == k { print $2 }')"
	done
	lab_status 1
fi
