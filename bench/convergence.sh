#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Convergence: two sites behind port-restricted NATs (nftables masquerade), no
# keepalive, refresh_interval 10m. Each run starts from nothing: daemons stopped, the
# peers removed from WireGuard and added back (no endpoint, no session), the NATs'
# conntrack flushed, the store emptied. Then both daemons start at once; we time the
# WireGuard handshake (site 1's view, at WireGuard's nanosecond timestamp) and the
# first ping through the tunnel, sent only after the handshake is seen (a packet sent
# into WireGuard before it has an endpoint makes it wait 5 s; see DESIGN lab facts).
# Interleaved with the floor: the same reset, then both endpoints set by hand at once
# (bench/wgtool.py floor): what WireGuard itself needs.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lab/lib.sh
. bench/common.sh

N=$(runs 5 20)
OUT=$BENCH_OUT/convergence
mkdir -p "$OUT/logs"
: >"$OUT/ours.tsv"
: >"$OUT/floor.tsv"
: >"$OUT/phases.tsv"

trap lab_down EXIT
lab_up bnc || exit 1
lab_site 1 prc && lab_site 2 prc || exit 1
lab_wg 1 && lab_wg 2 || exit 1
lab_wg_peer 1 2
lab_wg_peer 2 1
LAB_REFRESH=10m lab_stunmesh_config 1 2
LAB_REFRESH=10m lab_stunmesh_config 2 1
IF1=$(lab_wg_ifname 1) IF2=$(lab_wg_ifname 2)
PING="ip netns exec sm-$LAB-h1 ping -n -c 1 -W 1 198.18.0.2"

reset() {
	lab_stunmesh_stop 1
	lab_stunmesh_stop 2
	for n in 1 2; do
		m=$((3 - n))
		lab_exec "h$n" wg set "sm$LAB$n" peer "$(lab_wg_pub $m)" remove
		lab_wg_peer $n $m
		lab_exec "r$n" conntrack -F >/dev/null 2>&1
	done
	rm -f "$LAB_DIR"/store/*
	sleep 0.3
}

for i in $(seq 1 "$N"); do
	reset
	t0=$(now_s)
	lab_stunmesh_start 1
	lab_stunmesh_start 2
	r=$($WGTOOL converge "$IF1" "$(lab_wg_pub 2)" "$t0" 30 $PING)
	echo "$i $r" >>"$OUT/ours.tsv"
	sleep 0.5 # the daemons log "-> connected" at their next device reading
	for n in 1 2; do
		cp "$LAB_DIR/stunmesh$n.log" "$OUT/logs/run$i-site$n.log"
		echo "$i $n $(/usr/bin/python3 bench/phases.py "$t0" 0 "$LAB_DIR/stunmesh$n.log" \
			'running' 'found via' 'public IPv4 endpoint is' 'published' 'endpoint set to' \
			'-> connected')" >>"$OUT/phases.tsv"
	done
	reset
	r=$($WGTOOL floor "$IF1" "$(lab_wg_pub 1)" 203.0.113.11:51820 \
		"$IF2" "$(lab_wg_pub 2)" 203.0.113.12:51820 $PING)
	echo "$i $r" >>"$OUT/floor.tsv"
	bench_log "convergence run $i/$N: ours $(tail -n1 "$OUT/ours.tsv" | cut -d' ' -f2-), floor $r"
done
reset

# Idle cost of one connected peer: start, connect, then count over a window.
WIN=$(runs 20 60)
lab_stunmesh_start 1
lab_stunmesh_start 2
$WGTOOL converge "$IF1" "$(lab_wg_pub 2)" "$(now_s)" 30 $PING >/dev/null
sleep 5
pid=$(stunmesh_pid 1)
c0=$(proc_cpu "$pid")
perf stat -x, -o "$OUT/perf-idle.csv" -e 'raw_syscalls:sys_enter,syscalls:sys_enter_openat,syscalls:sys_enter_rename,syscalls:sys_enter_connect' \
	-p "$pid" -- sleep "$WIN" 2>/dev/null
c1=$(proc_cpu "$pid")
echo "$WIN $c0 $c1 $(proc_kb "$pid" VmRSS) $(proc_kb "$pid" VmHWM)" >"$OUT/idle.tsv"
lab_status 1 >"$OUT/status-site1.txt" 2>&1
