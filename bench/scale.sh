#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Scale: one wireguard-go interface (site 1, behind a prc NAT) with N peers, N = 10,
# 100, 1000, 5000. The peers are keys only; bench/wgtool.py scale-gen writes, into the
# file store, the record each of them published for us (sealed for our key, endpoints
# 198.51.100.128-254 with distinct ports). An nftables rule on the host drops what
# WireGuard sends there, and counts the STUN packets that leave.
#  - time from starting stunmesh until every peer has an endpoint (polling the UAPI),
#    CPU seconds and peak RSS (VmHWM) at that moment
#  - then, once the 60 s fast-keepalive phase has ended (the peers never answer, so
#    they stay "punching"), a window with nothing changing: CPU, syscalls, store reads
#    (openat) and writes (rename), UAPI connections, STUN packets
# N = 10 gives the idle RSS of the footprint table.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lab/lib.sh
. bench/common.sh

# "10:nocf": 10 peers with the binary built WITH_CLOUDFLARE=0 by bench/footprint.sh
SIZES=${BENCH_SCALE_SIZES:-$(runs "10 10:nocf 100 1000" "10 10:nocf 100 1000 5000")}
WIN=$(runs 20 45)
REPS=$(runs 1 3) # starts timed for N <= 1000 (the window follows the last one)
SETTLE=65 # punch_max (60 s) after the last endpoint, plus a little
OUT=$BENCH_OUT/scale
mkdir -p "$OUT"
: >"$OUT/scale.tsv"
: >"$OUT/idle.tsv"
: >"$OUT/allset.tsv"

trap lab_down EXIT
lab_up bns || exit 1
lab_site 1 prc || exit 1
lab_exec h1 nft -f - <<'NFT' || exit 1
table inet bench {
	counter stun { }
	chain out {
		type filter hook output priority filter;
		udp dport 3478 counter name stun
		ip daddr 198.51.100.128/25 drop
	}
}
NFT
IF=$(lab_wg_ifname 1)
stun_count() { lab_exec h1 nft list counter inet bench stun | awk '/packets/ { print $2 }'; }

# perf_count FILE EVENT: the count perf stat -x, wrote for EVENT
perf_count() { awk -F, -v e="$2" '$3 == e { print $1 }' "$1"; }

for entry in $SIZES; do
	n=${entry%%:*} variant=${entry#"$n"}
	variant=${variant#:}
	LAB_STUNMESH=./stunmesh
	if [ -n "$variant" ]; then
		LAB_STUNMESH=$BENCH_OUT/footprint/$variant/stunmesh
		[ -x "$LAB_STUNMESH" ] || { bench_log "scale: no $LAB_STUNMESH, skipping $entry"; continue; }
	fi
	export LAB_STUNMESH
	reps=1
	[ "$n" -gt 10 ] && [ "$n" -le 1000 ] && reps=$REPS
	for rep in $(seq 1 "$reps"); do
		lab_stunmesh_stop 1
		lab_kill wg1
		lab_wait 5 sh -c "! test -S /var/run/wireguard/$IF.sock"
		rm -rf "$LAB_DIR/store"
		mkdir -p "$LAB_DIR/store"
		lab_wg 1 || exit 1
		$WGTOOL scale-gen "$n" "$(lab_wg_pub 1)" "$LAB_DIR/store" "$LAB_DIR" || exit 1
		lab_exec h1 wg addconf "$IF" "$LAB_DIR/peers.conf" || exit 1
		# a plain (unexported) variable: 5000 peers are more than one environment string
		# may hold, and a prefix assignment would export it to every command inside
		LAB_EXTRA_PEERS=$(cat "$LAB_DIR/peers.yaml")
		LAB_REFRESH=10m
		lab_stunmesh_config 1
		unset LAB_EXTRA_PEERS
		lab_exec h1 nft reset counter inet bench stun >/dev/null
		t0=$(now_s)
		lab_stunmesh_start 1
		sleep 0.05
		pid=$(stunmesh_pid 1)
		set -- $($WGTOOL all-endpoints "$IF" "$n" "$t0" 300 "$pid") failed -
		t_all=$1 cpu_all=$2
		hwm_all=$(proc_kb "$pid" VmHWM)
		stun_start=$(stun_count)
		bench_log "scale $n peers: all endpoints after $t_all s, $cpu_all CPU s, VmHWM $hwm_all kB"
		echo "$n $t_all $cpu_all $hwm_all" >>"$OUT/allset.tsv"
	done
	if [ "$n" -le 10 ]; then
		sleep 10
		tag=$n${variant:+-$variant}
		r=/proc/$pid/smaps_rollup
		echo "$tag $(proc_kb "$pid" VmRSS) $(proc_kb "$pid" VmHWM) $(awk '$1 == "Pss:" { p = $2 } $1 == "Private_Clean:" || $1 == "Private_Dirty:" { u += $2 } $1 == "Anonymous:" { a = $2 } END { print p, u, a }' "$r")" >>"$OUT/idle.tsv"
		cp "$r" "$OUT/smaps-rollup-$tag.txt"
		grep -E '^[0-9a-f]+-|^Rss:' /proc/"$pid"/smaps | awk '/^[0-9a-f]/ { m = $6 } /^Rss:/ { r[m] += $2 } END { for (k in r) if (r[k]) print r[k], k }' |
			sort -rn >"$OUT/rss-by-mapping-$tag.txt"
		continue
	fi
	# past the fast-keepalive phase: nothing changes any more
	now=$(now_s)
	rest=$(echo "$t0 $t_all $now $SETTLE" | awk '{ r = $1 + $2 + $4 - $3; print (r > 0 ? r : 0) }')
	sleep "$rest"
	lab_exec h1 nft reset counter inet bench stun >/dev/null
	c0=$(proc_cpu "$pid")
	perf stat -x, -o "$OUT/perf-$n.csv" \
		-e 'raw_syscalls:sys_enter,syscalls:sys_enter_openat,syscalls:sys_enter_rename,syscalls:sys_enter_connect' \
		-p "$pid" -- sleep "$WIN" 2>/dev/null
	c1=$(proc_cpu "$pid")
	stun=$(stun_count)
	f=$OUT/perf-$n.csv
	states=$(lab_status 1 --json | /usr/bin/python3 -c 'import json,sys,collections; d=json.load(sys.stdin); print(",".join("%s=%d" % kv for kv in sorted(collections.Counter(p["state"] for i in d["interfaces"] for p in i["peers"]).items())))')
	echo "$n $t_all $cpu_all $hwm_all $WIN $(echo "$c1 $c0" | awk '{ printf "%.4f", $1 - $2 }') $stun \
$(perf_count "$f" raw_syscalls:sys_enter) $(perf_count "$f" syscalls:sys_enter_openat) \
$(perf_count "$f" syscalls:sys_enter_rename) $(perf_count "$f" syscalls:sys_enter_connect) \
$(proc_kb "$pid" VmRSS) $(proc_kb "$pid" VmHWM) $stun_start $states" >>"$OUT/scale.tsv"
	bench_log "scale $n peers: window $WIN s: $(tail -n1 "$OUT/scale.tsv")"
	grep -c "endpoint set to" "$LAB_DIR/stunmesh1.log" >"$OUT/endpoint-lines-$n.txt"
done
