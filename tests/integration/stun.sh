#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `stunmesh stun` against real coturn servers through real nftables NATs, from the port
# a real wireguard-go holds. Topology: tests/lab/lib.sh with LAB=stun (namespaces
# sm-stun-*): coturn on 198.51.100.10 and .11 (and 2001:db8:ffff::10/::11), site 2
# behind masquerade (port-preserving), site 3 behind masquerade fully-random
# (symmetric), site 4 public (a WireGuard peer that sees site 2's real mapping).
# Site 1 is not used: its router's IPv6 WAN address (2001:db8:ffff::11) is also the
# second STUN server's.
# Prints ok/not ok/skip lines; run as root: sh tests/run.sh stun
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lib.sh

BIN=$PWD/stunmesh
HOSTS_DIR=/etc/netns/sm-stun-h2
made_hosts=0
cleanup() {
	lab_down
	[ $made_hosts -eq 1 ] && rm -rf "$HOSTS_DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }
check() { # DESCRIPTION CMD...
	_d=$1
	shift
	if "$@"; then ok "$_d"; else nok "$_d"; fi
}
checkx() { # DESCRIPTION 'SHELL EXPRESSION' (for && and ||)
	if eval "$2"; then ok "$1"; else nok "$1"; fi
}

if [ "$(id -u)" -ne 0 ]; then
	echo "skip - stun integration: needs root (network namespaces, raw sockets)"
	exit 0
fi
for c in turnserver wireguard-go wg nft ip ss ping; do
	command -v $c >/dev/null 2>&1 || { echo "skip - stun integration: $c not installed"; exit 0; }
done
[ -x "$BIN" ] || { nok "stunmesh is built (run make stunmesh)"; exit 1; }

S1=198.51.100.10:3478
S2=198.51.100.11:3478
S1V6=[2001:db8:ffff::10]:3478
S2V6=[2001:db8:ffff::11]:3478
DEAD=203.0.113.99:3478 # on the internet bridge, nobody there

# run_stun HOSTNS ARGS...: stunmesh stun in that namespace, bounded; output in $out,
# exit status in $rc, and both in the log.
run_stun() {
	_ns=$1
	shift
	out=$(timeout 30 ip netns exec "sm-$LAB-$_ns" "$BIN" stun "$@" 2>&1)
	rc=$?
	echo "# $_ns: stunmesh stun $* -> exit $rc"
	echo "$out" | sed 's/^/#   /'
}

# answer SERVER: the endpoint the last run reports for SERVER ("" if none)
answer() {
	echo "$out" | awk -v s="$1" '$2 == s && $3 != "failed:" { print $3; exit }'
}

has() { echo "$out" | grep -q -- "$1"; }
hasnt() { ! echo "$out" | grep -q -- "$1"; }

wg_holds_port() { # HOSTNS: wireguard-go still owns UDP 51820
	lab_exec "$1" ss -Hulpn "sport = :51820" | grep -q wireguard-go
}

ping_peer() { lab_exec "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1; }

lab_up stun || { nok "lab: internet and coturn STUN servers start"; exit 1; }
ok "lab: coturn STUN servers listen on 198.51.100.10 and .11"
lab_site 2 prc && lab_site 3 sym && lab_site 4 public || { nok "lab: sites"; exit 1; }
lab_wg 2 && lab_wg 3 && lab_wg 4 || { nok "lab: wireguard-go on the hosts"; exit 1; }

# A tunnel from site 2 (behind the NAT) to site 4 (public): site 4 then sees the
# public endpoint the NAT gave wireguard-go's own socket, an observation that does not
# involve stunmesh or STUN at all.
IF2=$(lab_wg_ifname 2) IF3=$(lab_wg_ifname 3) IF4=$(lab_wg_ifname 4)
lab_exec h2 wg set "$IF2" peer "$(lab_wg_pub 4)" allowed-ips 198.18.0.4/32 \
	endpoint "$(lab_site_public_ip 4):51820"
lab_exec h4 wg set "$IF4" peer "$(lab_wg_pub 2)" allowed-ips 198.18.0.2/32
check "wireguard-go site 2 -> site 4 passes traffic before probing" \
	lab_wait 10 ping_peer h2 198.18.0.4
seen=$(lab_exec h4 wg show "$IF4" endpoints | awk '{ print $2 }')
echo "# site 4 sees site 2's WireGuard at $seen"
PUB2=$(lab_site_public_ip 2)

# 1. port-preserving masquerade
run_stun h2 --port 51820 -s $S1 -s $S2
check "prc: exit 0" [ $rc -eq 0 ]
check "prc: server 1 reports the NAT's address and WireGuard's mapped port ($seen)" \
	[ "$(answer $S1)" = "$seen" ]
check "prc: server 2 reports the same ($seen)" [ "$(answer $S2)" = "$seen" ]
check "prc: the mapping is $PUB2:51820 (masquerade keeps the port)" \
	[ "$seen" = "$PUB2:51820" ]
check "prc: public endpoint line" has "IPv4  public endpoint $seen for local port 51820"
check "prc: no symmetric-NAT warning" hasnt "symmetric"
check "prc: wireguard-go still holds UDP 51820" wg_holds_port h2
check "prc: wireguard-go still passes traffic after probing" \
	lab_wait 10 ping_peer h2 198.18.0.4

# 1b. the same through -i: port and fwmark read from the WireGuard device (UAPI)
run_stun h2 -i "$IF2" -s $S1 -s $S2
check "prc -i: exit 0" [ $rc -eq 0 ]
check "prc -i: reads port 51820 from $IF2" has "local UDP port 51820 of $IF2"
checkx "prc -i: both servers report $seen" \
	'[ "$(answer $S1)" = "$seen" ] && [ "$(answer $S2)" = "$seen" ]'
lab_exec h2 wg set "$IF2" fwmark 0x77
run_stun h2 -i "$IF2" -s $S1
checkx "prc -i: uses $IF2's fwmark 0x77 and still gets $seen" \
	'has "of $IF2, fwmark 0x77" && [ "$(answer $S1)" = "$seen" ]'
lab_exec h2 wg set "$IF2" fwmark 0
run_stun h2 -i smstunnone -s $S1
checkx "-i with no such interface: exit 1 and says so" \
	'[ $rc -eq 1 ] && has "smstunnone"'

# 2. masquerade fully-random: a new port per destination
run_stun h3 --port 51820 -s $S1 -s $S2
a1=$(answer $S1) a2=$(answer $S2)
PUB3=$(lab_site_public_ip 3)
check "sym: exit 0" [ $rc -eq 0 ]
checkx "sym: both servers answered with the NAT's address $PUB3" \
	'[ "${a1%:*}" = "$PUB3" ] && [ "${a2%:*}" = "$PUB3" ]'
checkx "sym: the two servers saw different ports (${a1##*:}, ${a2##*:})" \
	'[ -n "$a1" ] && [ -n "$a2" ] && [ "${a1##*:}" != "${a2##*:}" ]'
checkx "sym: a reported port differs from 51820" \
	'[ "${a1##*:}" != 51820 ] || [ "${a2##*:}" != 51820 ]'
check "sym: symmetric-NAT warning printed" has "the NAT looks symmetric"
check "sym: wireguard-go still holds UDP 51820" wg_holds_port h3

# 3. IPv6, no NAT: the host's own address and port
run_stun h2 --port 51820 -6 -s $S1V6 -s $S2V6
check "ipv6: exit 0" [ $rc -eq 0 ]
check "ipv6: server 1 reports [2001:db8:2::2]:51820" [ "$(answer $S1V6)" = "[2001:db8:2::2]:51820" ]
check "ipv6: server 2 reports [2001:db8:2::2]:51820" [ "$(answer $S2V6)" = "[2001:db8:2::2]:51820" ]
check "ipv6: no symmetric-NAT warning" hasnt "symmetric"

# 4. first server unreachable: the second answers, the first is reported failed
run_stun h2 --port 51820 -s $DEAD -s $S2
check "failover: exit 0" [ $rc -eq 0 ]
check "failover: first server reported failed" \
	has "IPv4  $DEAD *failed: no answer to 4 requests in 3.0 s"
check "failover: second server reports $seen" [ "$(answer $S2)" = "$seen" ]

# 5. nobody answers: exit 1, every server named
run_stun h2 --port 51820 -s $DEAD -s 203.0.113.98:3478
check "all fail: exit 1" [ $rc -eq 1 ]
checkx "all fail: both servers named as failed" \
	'has "$DEAD *failed" && has "203.0.113.98:3478 *failed"'

# 6. the fwmark is on the probes: a policy rule sends marked packets nowhere
lab_exec h2 ip rule add fwmark 0x5a5a table 90
lab_exec h2 ip route add unreachable default table 90
run_stun h2 --port 51820 --fwmark 0x5a5a -s $S1
checkx "fwmark: marked probes follow the policy rule (unreachable)" \
	'[ $rc -eq 1 ] && has "failed: .*sending"'
lab_exec h2 ip -6 rule add fwmark 0x5a5a table 90
lab_exec h2 ip -6 route add unreachable default table 90
run_stun h2 --port 51820 --fwmark 0x5a5a -6 -s $S1V6
checkx "fwmark: marked IPv6 probes follow the policy rule (unreachable)" \
	'[ $rc -eq 1 ] && has "failed: sending"'
lab_exec h2 ip rule del fwmark 0x5a5a table 90
lab_exec h2 ip -6 rule del fwmark 0x5a5a table 90
# The mark is on the probe packets themselves, not only on the route lookup: count
# what leaves with it.
lab_exec h2 nft -f - <<'NFT'
table inet smstun {
	chain out {
		type filter hook output priority 0;
		meta mark 0x5a5a udp sport 51820 udp dport 3478 counter
	}
}
NFT
marked() { lab_exec h2 nft list chain inet smstun out | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'; }
run_stun h2 --port 51820 --fwmark 0x5a5a -s $S1 -6 -4 -s $S1V6
checkx "fwmark: without the rule marked probes get through (IPv4 and IPv6)" \
	'[ "$(answer $S1)" = "$seen" ] && [ "$(answer $S1V6)" = "[2001:db8:2::2]:51820" ]'
check "fwmark: the probes left carrying mark 0x5a5a ($(marked) packets)" [ "$(marked)" -ge 2 ]
lab_exec h2 nft delete table inet smstun

# 7. server names (from /etc/netns/NS/hosts) and stun.addresses from a config file
if [ -e "$HOSTS_DIR" ]; then
	echo "skip - names from config: $HOSTS_DIR exists already"
else
	mkdir -p "$HOSTS_DIR" && made_hosts=1
	printf '127.0.0.1 localhost\n198.51.100.10 stun-a.lab.test\n198.51.100.11 stun-b.lab.test\n' \
		>"$HOSTS_DIR/hosts"
	printf 'stun:\n  addresses:\n    - stun-a.lab.test:3478\n    - stun-b.lab.test:3478\n' \
		>"$LAB_DIR/config.yaml"
	run_stun h2 --port 51820 -c "$LAB_DIR/config.yaml"
	checkx "config: servers by name from stun.addresses both answer $seen" \
		'[ "$(answer stun-a.lab.test:3478)" = "$seen" ] &&
		[ "$(answer stun-b.lab.test:3478)" = "$seen" ]'
fi

# 8. an RFC 3489-era server (stund 0.97): besides XOR-MAPPED-ADDRESS it sends
# SOURCE-ADDRESS and CHANGED-ADDRESS, which RFC 8489 no longer knows and whose types
# are comprehension-required; they are ignored with a note
if command -v stund >/dev/null 2>&1; then
	lab_bg stun stund stund -h 198.51.100.10 -a 198.51.100.11 -p 3480 -o 3481
	if lab_wait 10 sh -c "ip netns exec sm-$LAB-stun ss -Huln 'sport = :3480' | grep -q 3480"; then
		run_stun h2 --port 51820 -s 198.51.100.10:3480
		checkx "stund: answer reports $seen, old attributes ignored with a note" \
			'[ "$(answer 198.51.100.10:3480)" = "$seen" ] &&
			has "note: 2 unknown comprehension-required"'
	else
		nok "stund: starts (log: $(tail -n 3 "$LAB_DIR/stund.log" | tr '\n' ' '))"
	fi
else
	echo "skip - stund: not installed"
fi

# 9. replies with IPv4 options (IHL 6): the filter must find the UDP header after them
if command -v python3 >/dev/null 2>&1; then
	lab_bg stun ipopts python3 "$PWD/tests/integration/helpers/stun-responder.py" \
		198.51.100.10 3490 --ip-options
	lab_bg stun mapped python3 "$PWD/tests/integration/helpers/stun-responder.py" \
		198.51.100.10 3491 --mapped-only
	lab_exec h2 nft -f - <<'NFT'
table ip smstunopt {
	chain in {
		type filter hook input priority 0;
		ip hdrlength 6 udp sport 3490 udp dport 51820 counter
	}
}
NFT
	optpkts() { lab_exec h2 nft list chain ip smstunopt in | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'; }
	lab_wait 5 sh -c "ip netns exec sm-$LAB-stun ss -Huln 'sport = :3490' | grep -q 3490"
	run_stun h2 --port 51820 -s 198.51.100.10:3490
	check "ip options: replies arrived with a 24-byte IPv4 header ($(optpkts) packets)" \
		[ "$(optpkts)" -ge 1 ]
	check "ip options: the reply got through the filter and reports $seen" \
		[ "$(answer 198.51.100.10:3490)" = "$seen" ]
	lab_exec h2 nft delete table ip smstunopt
	lab_wait 5 sh -c "ip netns exec sm-$LAB-stun ss -Huln 'sport = :3491' | grep -q 3491"
	run_stun h2 --port 51820 -s 198.51.100.10:3491
	checkx "mapped-only: MAPPED-ADDRESS fallback reports $seen" \
		'[ "$(answer 198.51.100.10:3491)" = "$seen" ] && has "RFC 3489 MAPPED-ADDRESS"'
else
	echo "skip - ip options and mapped-only replies: python3 not installed"
fi

check "coturn servers still running" kill -0 "$(cat "$LAB_DIR/stun-a.pid")"
