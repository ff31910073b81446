#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Healing: two connected sites behind port-restricted NATs, persistent keepalive 25 s on
# both peers (set with wg, as a user would), no ping target in stunmesh. One NAT gets a
# new public address (lab_readdress: conntrack flushed, a fresh address each time,
# alternating sites 1 and 2); we time until a ping from site 1 through the tunnel gets
# an answer again. The probe is `ping -i 0.2`: traffic that a user would have.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lab/lib.sh
. bench/common.sh

N=$(runs 4 10)
OUT=$BENCH_OUT/healing
mkdir -p "$OUT"
: >"$OUT/heal.tsv"
: >"$OUT/phases.tsv"

trap lab_down EXIT
LAB_WG_LOG=verbose # WireGuard's own account of the handshakes, for the analysis
lab_up bnh || exit 1
lab_site 1 prc && lab_site 2 prc || exit 1
lab_wg 1 && lab_wg 2 || exit 1
lab_wg_peer 1 2
lab_wg_peer 2 1
lab_exec h1 wg set "sm${LAB}1" peer "$(lab_wg_pub 2)" persistent-keepalive 25
lab_exec h2 wg set "sm${LAB}2" peer "$(lab_wg_pub 1)" persistent-keepalive 25
LAB_REFRESH=10m lab_stunmesh_config 1 2
LAB_REFRESH=10m lab_stunmesh_config 2 1
lab_stunmesh_start 1
lab_stunmesh_start 2

connected() { lab_status "$1" | grep -q "peer site$2: connected"; }
settled() { lab_ping 1 2 && lab_ping 2 1 && connected 1 2 && connected 2 1; }

for i in $(seq 1 "$N"); do
	site=$((2 - i % 2))
	lab_wait 90 settled || { bench_log "healing: not connected before run $i"; break; }
	sleep 2
	t0=$(now_s)
	lab_readdress $site
	if lab_exec h1 ping -n -q -c 1 -w 90 -i 0.2 198.18.0.2 >/dev/null 2>&1; then
		t1=$(now_s)
		r=$(echo "$t1 $t0" | awk '{ printf "%.3f", $1 - $2 }')
	else
		r=timeout
	fi
	echo "$i $site $r $t0" >>"$OUT/heal.tsv"
	bench_log "healing run $i/$N (site $site re-addressed): $r s"
done
sleep 2
cp "$LAB_DIR"/stunmesh1.log "$LAB_DIR"/stunmesh2.log "$LAB_DIR"/wg1.log "$LAB_DIR"/wg2.log "$OUT/"
# the steps of each run, from the logs: run i ends where run i+1 starts
awk '{ print $4 }' "$OUT/heal.tsv" >"$OUT/t0s"
i=0
while read -r t0; do
	i=$((i + 1))
	t1=$(sed -n "$((i + 1))p" "$OUT/t0s")
	site=$((2 - i % 2))
	for n in 1 2; do
		echo "$i $site $n $(/usr/bin/python3 bench/phases.py "$t0" "${t1:-0}" "$OUT/stunmesh$n.log" \
			'nothing comes back' 'endpoint changed' 'endpoint set to' '-> connected')" >>"$OUT/phases.tsv"
	done
done <"$OUT/t0s"
