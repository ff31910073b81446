#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Relay throughput (build/tools/relay_bench): packets per second through net/relay on
# one core, (1) against a TURN server played in a second process that echoes
# ChannelData, so the relay is what is measured, at two packet sizes (a full WireGuard
# packet at MTU 1420, and a small one); (2) end to end in the NAT lab through coturn to
# an echo peer, from behind a symmetric NAT, where coturn is the bottleneck. Each line
# of $BENCH_OUT/relay/results.txt is relay_bench's output with a "mode" in front.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lab/lib.sh
. bench/common.sh

OUT=$BENCH_OUT/relay
rm -rf "$OUT"
mkdir -p "$OUT"
TOOL=build/tools/relay_bench
make --no-print-directory $TOOL >"$OUT/build.log" 2>&1 || { bench_log "relay: building $TOOL failed"; exit 1; }
SECS=$(runs 3 8)

for size in 1452 148; do
	for i in $(seq "$(runs 1 3)"); do
		line=$(timeout 60 $TOOL local --size $size --seconds "$SECS" --window 1024) &&
			echo "local $line" >>"$OUT/results.txt"
		bench_log "relay local: $line"
	done
done

trap lab_down EXIT
lab_up bnr || exit 1
lab_site 1 sym || exit 1
lab_turn_start lt 198.51.100.20 lt || exit 1
ECHO=198.51.100.30
lab_exec stun ip addr add $ECHO/25 dev eth0
lab_bg stun echo $TOOL echo $ECHO:7000
sleep 0.5
for size in 1452 148; do
	c0=$(proc_cpu "$(cat "$LAB_DIR/turn-lt.pid")")
	line=$(timeout 60 ip netns exec sm-bnr-h1 env TURN_PASSWORD="$LAB_TURN_PASS" $TOOL turn \
		198.51.100.20:3478 "$LAB_TURN_USER" $ECHO:7000 --size $size --seconds "$SECS" --window 256)
	c1=$(proc_cpu "$(cat "$LAB_DIR/turn-lt.pid")")
	# coturn's CPU over the whole run (setup and warm-up too), per second of the window
	cot=$(echo "$c0 $c1 $SECS" | awk '{ printf "%.0f", 100 * ($2 - $1) / ($3 + 1) }')
	[ -n "$line" ] && echo "coturn $line coturn_cpu $cot%" >>"$OUT/results.txt"
	bench_log "relay through coturn: $line (coturn ~$cot% of a core)"
done
