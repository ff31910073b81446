#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The NAT-pair matrix in one lab (tests/lab/lib.sh): every unordered pair of NAT kinds
# from {public, cone, prc, sym, double}, 15 pairs. Sites 1-5 are one site of each kind
# (A), sites 6-10 a second one (B). Pair (k, l) with k != l is A_k-A_l, pair (k, k) is
# A_k-B_k; each site lists exactly its pair partners as peers. All daemons start at
# once; per pair the time to the first handshake and to a ping through the tunnel
# is printed.
#
# Which pairs can connect with STUN alone, no relay and no port prediction:
#  - no side symmetric: always (endpoint-independent mappings on both sides);
#  - one side symmetric: only when the other side accepts unsolicited packets on its
#    WireGuard port (public, or cone with its static port forward). The symmetric side's
#    NAT gives it a fresh port for the peer, never the one STUN saw; a port-restricted
#    NAT (prc, double) only lets in what comes from where it sent to, so it drops
#    the symmetric side's packets, and nobody can learn the port to send to. This is
#    the classic "port-restricted cone x symmetric" case; stunmesh-go's README says
#    the same ("ensure at least one peer is behind a cone NAT").
#  - both symmetric: never; asserted not to connect, and to be reported.
# Expected outcomes are computed from that rule, and every pair is asserted both ways:
# a pair expected to fail that connects is also a failure of the test (the lab's NAT
# would not be what it says).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lib.sh

if [ "$(id -u)" -ne 0 ]; then echo "skip - NAT matrix: needs root"; exit 0; fi
for t in wireguard-go wg turnserver nft conntrack; do
	command -v $t >/dev/null || { echo "skip - NAT matrix: $t not installed"; exit 0; }
done
[ -x ./stunmesh ] || { echo "not ok - NAT matrix: ./stunmesh not built"; exit 1; }

BOUND=${MATRIX_BOUND:-45} # seconds for every connectable pair
NEG_BOUND=${MATRIX_NEG_BOUND:-25} # seconds a pair expected to fail is watched at least

trap lab_down EXIT
trap 'exit 130' INT TERM
lab_up mx || { echo "not ok - NAT matrix: lab setup"; exit 1; }

kinds="public cone prc sym double"
i=0
for k in $kinds; do
	i=$((i + 1))
	lab_site $i "$k" && lab_site $((i + 5)) "$k" ||
		{ echo "not ok - NAT matrix: site setup ($k)"; exit 1; }
done
for n in 1 2 3 4 5 6 7 8 9 10; do
	lab_wg $n || { echo "not ok - NAT matrix: wireguard-go on site $n"; exit 1; }
done

kind_of() { cat "$LAB_DIR/site$1.kind"; }

# expected KIND KIND: "yes" when the pair can connect (see the header)
expected() {
	case "$1/$2" in
	sym/sym) echo no ;;
	sym/public | sym/cone | public/sym | cone/sym) echo yes ;;
	sym/* | */sym) echo no ;;
	*) echo yes ;;
	esac
}

# the pairs, as "a-b" site numbers
pairs=""
for a in 1 2 3 4 5; do
	for b in 1 2 3 4 5; do
		[ $a -lt $b ] && pairs="$pairs $a-$b"
	done
	pairs="$pairs $a-$((a + 5))"
done
peers_of() {
	_out=""
	for _p in $pairs; do
		[ "${_p%-*}" = "$1" ] && _out="$_out ${_p#*-}"
		[ "${_p#*-}" = "$1" ] && _out="$_out ${_p%-*}"
	done
	echo $_out
}
for n in 1 2 3 4 5 6 7 8 9 10; do
	for m in $(peers_of $n); do lab_wg_peer $n $m; done
	# shellcheck disable=SC2046
	lab_stunmesh_config $n $(peers_of $n)
done

# The lab's NATs behave as their names say (before any daemon runs): seen from the two
# STUN servers, a symmetric NAT maps WireGuard's port to two different ports, every
# other kind to the same port, the WireGuard port itself, on the site's public address.
for n in 1 2 3 4 5; do
	k=$(kind_of $n)
	out=$(lab_exec h$n ./stunmesh stun --port 51820 --server 198.51.100.10:3478 --server 198.51.100.11:3478 2>&1)
	ports=$(echo "$out" | awk '$1 == "IPv4" && $2 ~ /:3478$/ { print $3 }' | sort -u)
	pub=$(lab_site_public_ip $n)
	if [ "$k" = sym ]; then
		if [ "$(echo "$ports" | wc -l)" -eq 2 ] && echo "$out" | grep -q 'NAT looks symmetric'; then
			echo "ok - lab: the sym NAT maps port 51820 to a port per server ($(echo $ports))"
		else
			echo "not ok - lab: the sym NAT is not symmetric"; echo "$out"
		fi
	elif [ "$ports" = "$pub:51820" ]; then
		echo "ok - lab: the $k NAT maps port 51820 to $pub:51820 for both servers"
	else
		echo "not ok - lab: the $k NAT maps port 51820 to $(echo $ports), not $pub:51820"; echo "$out"
	fi
done

t0=$(lab_ms)
for n in 1 2 3 4 5 6 7 8 9 10; do lab_stunmesh_start $n; done

# Poll every pair until all expected ones pinged and the bound is over (times are
# when the poller noticed: one polling round, a few hundred ms, is the resolution). A handshake
# is looked for on both devices; the ping is tried once a handshake is seen.
deadline=$((t0 + BOUND * 1000))
neg_deadline=$((t0 + NEG_BOUND * 1000))
while :; do
	pending=0
	for p in $pairs; do
		a=${p%-*} b=${p#*-}
		[ -f "$LAB_DIR/pair$p.ping" ] && continue
		if [ ! -f "$LAB_DIR/pair$p.hs" ]; then
			if lab_handshake $a $b || lab_handshake $b $a; then
				echo $(($(lab_ms) - t0)) >"$LAB_DIR/pair$p.hs"
			fi
		fi
		if [ -f "$LAB_DIR/pair$p.hs" ] && lab_exec h$a ping -c 1 -W 1 198.18.0.$b >/dev/null 2>&1 &&
			lab_exec h$b ping -c 1 -W 1 198.18.0.$a >/dev/null 2>&1; then
			echo $(($(lab_ms) - t0)) >"$LAB_DIR/pair$p.ping"
			continue
		fi
		[ "$(expected "$(kind_of $a)" "$(kind_of $b)")" = yes ] && pending=$((pending + 1))
	done
	now=$(lab_ms)
	[ $pending -eq 0 ] && [ $now -ge $neg_deadline ] && break
	[ $now -ge $deadline ] && break
	sleep 0.3
done
total=$(($(lab_ms) - t0))

show_logs() { # sites...
	for n in "$@"; do
		echo "--- site $n ($(kind_of $n)): stunmesh status"
		lab_status $n 2>&1 | sed 's/^/  /'
		echo "--- site $n: last lines of the log"
		tail -n 25 "$LAB_DIR/stunmesh$n.log" | sed 's/^/  /'
	done
}

# daemon_ms: when the first of the two daemons logged the peer connected (its own view,
# bounded by how often it samples WireGuard); handshake_ms and ping_ms: the poller's view
logged_ms() { # SITE PEER: ms after t0 of "SITE's daemon: peer PEER -> connected", or nothing
	_ts=$(grep -m 1 "peer sm${LAB}$1/site$2: .* -> connected" "$LAB_DIR/stunmesh$1.log" | cut -d' ' -f1)
	[ -n "$_ts" ] && echo $(($(date -d "$_ts" +%s%3N) - t0))
}
printf '# %-16s %-8s %-13s %-12s %-12s %s\n' pair expected daemon_ms handshake_ms ping_ms result
for p in $pairs; do
	a=${p%-*} b=${p#*-}
	ka=$(kind_of $a) kb=$(kind_of $b)
	exp=$(expected "$ka" "$kb")
	hs=$(cat "$LAB_DIR/pair$p.hs" 2>/dev/null || echo -)
	pg=$(cat "$LAB_DIR/pair$p.ping" 2>/dev/null || echo -)
	c=$( (logged_ms $a $b; logged_ms $b $a) | sort -n | head -n 1)
	got=no
	[ "$pg" != - ] && got=yes
	printf '# %-16s %-8s %-13s %-12s %-12s %s\n' "$ka/$kb" "$exp" "${c:--}" "$hs" "$pg" "$got"
	if [ "$exp" = yes ] && [ "$got" = yes ]; then
		echo "ok - $ka/$kb (sites $a, $b) connect: daemon saw it after ${c:-?} ms, poller: handshake $hs ms, ping both ways $pg ms"
	elif [ "$exp" = no ] && [ "$got" = no ]; then
		echo "ok - $ka/$kb (sites $a, $b) do not connect within $((total / 1000)) s, as expected"
	elif [ "$exp" = yes ]; then
		echo "not ok - $ka/$kb (sites $a, $b) did not connect within $BOUND s"
		show_logs $a $b
	else
		echo "not ok - $ka/$kb (sites $a, $b) connected, though the NATs should not allow it"
		show_logs $a $b
	fi
done

# sym/sym: what stunmesh says about it. The NAT type is reported once the daemon
# detects it (two STUN servers disagreeing about the WireGuard port's mapping).
s1=4 s2=9
if lab_status $s1 | grep -q symmetric; then
	if lab_status $s1 | grep -qi 'nat: symmetric' && lab_status $s2 | grep -qi 'nat: symmetric'; then
		echo "ok - sym sites report 'NAT: symmetric' in status"
	else
		echo "not ok - sym sites do not both report 'NAT: symmetric'"; show_logs $s1 $s2
	fi
	if lab_status 3 | grep -qi 'nat: symmetric'; then
		echo "not ok - a prc site reports a symmetric NAT"; show_logs 3
	else
		echo "ok - the prc site does not report a symmetric NAT"
	fi
	if lab_status $s1 | sed -n "/peer site$s2:/,/peer /p" | grep -q symmetric &&
		grep -q "peer .*/site$s2: .*symmetric" "$LAB_DIR/stunmesh$s1.log"; then
		echo "ok - sym/sym peer reported as not connectable (status and log)"
	else
		echo "not ok - sym/sym peer not reported in status and log"; show_logs $s1
	fi
	# only both sides symmetric is hopeless: the sym site's other peers carry no such note
	if lab_status $s1 | sed -n "/peer site1:/,/peer site2:/p" | grep -q symmetric; then
		echo "not ok - sym/public peer reported as symmetric on both sides"; show_logs $s1
	else
		echo "ok - sym/public peer not reported as symmetric on both sides"
	fi
else
	echo "skip - sym-sym reported: daemon does not report NAT type yet"
fi
echo "# matrix done in $total ms after the daemons started"
