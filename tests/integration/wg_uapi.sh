#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The UAPI backend against real wireguard-go: two namespaces joined by a veth, one
# wireguard-go in each, configured with wg(8) without endpoints. stunmesh must read what
# wg reads, set endpoints and keepalives that wg then shows, carry a ping, and refuse
# (changing nothing) to touch a peer that is not on the device.
set -u
cd "$(dirname "$0")/../.." || exit 1

NA=sm-wg-a NB=sm-wg-b
IA=smwga0 IB=smwgb0
VA=sm-wgva VB=sm-wgvb
SM=./stunmesh
WGSET=build/tools/wgset
tmp=$(mktemp -d /tmp/sm-wg-uapi.XXXXXX)
pids=""

stop_pid() {
	kill "$1" 2>/dev/null || return 0
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.2
	done
	kill -9 "$1" 2>/dev/null
}

cleanup() {
	for p in $pids; do stop_pid "$p"; done
	ip netns del $NA 2>/dev/null
	ip netns del $NB 2>/dev/null
	rm -f /var/run/wireguard/$IA.sock /var/run/wireguard/$IB.sock
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; }
check() { # check DESCRIPTION COMMAND...
	d=$1
	shift
	if "$@"; then ok "$d"; else notok "$d"; fi
}

for tool in ip wg wireguard-go ping; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "skip - wireguard UAPI: $tool not installed (scripts/deps.sh lab)"
		exit 0
	fi
done
if [ "$(id -u)" -ne 0 ]; then
	echo "skip - wireguard UAPI: needs root for network namespaces"
	exit 0
fi
if [ ! -x $SM ] || [ ! -x $WGSET ]; then
	make -s stunmesh $WGSET >"$tmp/make.log" 2>&1 || { notok "build stunmesh and $WGSET"; cat "$tmp/make.log"; exit 1; }
fi

# A previous run killed hard may have left these behind.
ip netns del $NA 2>/dev/null
ip netns del $NB 2>/dev/null

ip netns add $NA && ip netns add $NB || { notok "create namespaces"; exit 1; }
ip -n $NA link add $VA type veth peer name $VB netns $NB
ip -n $NA addr add 198.51.100.1/24 dev $VA
ip -n $NB addr add 198.51.100.2/24 dev $VB
ip -n $NA link set lo up
ip -n $NB link set lo up
ip -n $NA link set $VA up
ip -n $NB link set $VB up

start_wg() { # namespace interface
	ip netns exec "$1" env WG_PROCESS_FOREGROUND=1 wireguard-go -f "$2" >"$tmp/$2.log" 2>&1 &
	pids="$pids $!"
	for _ in $(seq 50); do
		[ -S /var/run/wireguard/$2.sock ] && return 0
		sleep 0.1
	done
	return 1
}
start_wg $NA $IA && start_wg $NB $IB || { notok "start wireguard-go"; cat "$tmp"/*.log; exit 1; }

umask 077
for k in a b c x; do
	wg genkey >"$tmp/$k.key"
	wg pubkey <"$tmp/$k.key" >"$tmp/$k.pub"
done
PA=$(cat "$tmp/a.pub") PB=$(cat "$tmp/b.pub") PC=$(cat "$tmp/c.pub") PX=$(cat "$tmp/x.pub")

ip netns exec $NA wg set $IA private-key "$tmp/a.key" listen-port 51820 fwmark 0x1234 \
	peer "$PB" allowed-ips 198.18.0.2/32 peer "$PC" allowed-ips 198.18.0.3/32
ip netns exec $NB wg set $IB private-key "$tmp/b.key" listen-port 51821 \
	peer "$PA" allowed-ips 198.18.0.1/32
ip -n $NA addr add 198.18.0.1/24 dev $IA
ip -n $NB addr add 198.18.0.2/24 dev $IB
ip -n $NA link set $IA up
ip -n $NB link set $IB up

# stunmesh's view, reduced to wg's dump fields: "pub endpoint rx tx keepalive handshake?"
show_peers() {
	awk '/^peer: /{ if (k) print k, ep, rx, tx, ka, hs; k = $2 }
	     /^  endpoint: /{ ep = $2 }
	     /^  persistent keepalive: /{ ka = ($3 == "every") ? $4 : "off" }
	     /^  latest handshake: /{ hs = ($3 == "never") ? "never" : ($NF == "ago" ? "yes" : "?") }
	     /^  transfer: /{ rx = $2; tx = $5 }
	     END { if (k) print k, ep, rx, tx, ka, hs }' "$1" | sort
}
dump_peers() {
	awk 'NR > 1 { print $1, $3, $6, $7, $8, ($5 == 0 ? "never" : "yes") }' "$1" | sort
}
field() { sed -n "s/^  $2: //p" "$1"; }

compare_with_wg() { # iface label
	ip netns exec $NA wg show "$1" dump >"$tmp/dump1" 2>/dev/null ||
		ip netns exec $NB wg show "$1" dump >"$tmp/dump1"
	$SM show "$1" >"$tmp/show" 2>"$tmp/show.err"
	rc=$?
	ip netns exec $NA wg show "$1" dump >"$tmp/dump2" 2>/dev/null ||
		ip netns exec $NB wg show "$1" dump >"$tmp/dump2"
	check "$2: stunmesh show $1 succeeds" [ $rc -eq 0 ]
	read -r _ pub port fwmark <"$tmp/dump1"
	check "$2: backend is uapi" [ "$(field "$tmp/show" backend)" = uapi ]
	check "$2: public key matches wg ($pub)" [ "$(field "$tmp/show" 'public key')" = "$pub" ]
	check "$2: listen port matches wg ($port)" [ "$(field "$tmp/show" 'listening port')" = "$port" ]
	check "$2: fwmark matches wg ($fwmark)" [ "$(field "$tmp/show" fwmark)" = "$fwmark" ]
	show_peers "$tmp/show" >"$tmp/p.show"
	dump_peers "$tmp/dump1" >"$tmp/p.dump1"
	dump_peers "$tmp/dump2" >"$tmp/p.dump2"
	# Counters may move between the reads; the view must equal one side of it.
	if cmp -s "$tmp/p.show" "$tmp/p.dump1" || cmp -s "$tmp/p.show" "$tmp/p.dump2"; then
		ok "$2: peers, endpoints, counters, keepalives agree with wg show $1 dump"
	else
		notok "$2: peers agree with wg show $1 dump"
		echo "# stunmesh:"; sed 's/^/#   /' "$tmp/p.show"
		echo "# wg:"; sed 's/^/#   /' "$tmp/p.dump1"
	fi
	privkey=$(sed -n '1{s/\t.*//;p}' "$tmp/dump1")
	check "$2: the private key is not printed" sh -c "! grep -qF -- '$privkey' '$tmp/show'"
}

compare_with_wg $IA "fresh device"
check "fresh device: peers have no endpoint and no handshake" \
	[ "$(show_peers "$tmp/show" | awk '$2 != "(none)" || $6 != "never"' | wc -l)" -eq 0 ]
check "fresh device: both peers listed" [ "$(field "$tmp/show" peers)" = 2 ]

# Endpoints through the UAPI backend.
$WGSET $IA "$PB" endpoint 198.51.100.2:51821 2>"$tmp/err"
check "set endpoint of B on A" [ $? -eq 0 ]
$WGSET $IB "$PA" endpoint 198.51.100.1:51820 2>>"$tmp/err"
check "set endpoint of A on B" [ $? -eq 0 ]
$WGSET $IA "$PC" endpoint '[2001:db8::3]:51822' 2>>"$tmp/err"
check "set an IPv6 endpoint of C on A" [ $? -eq 0 ]
[ -s "$tmp/err" ] && sed 's/^/# /' "$tmp/err"
check "wg show $IA endpoints has B at 198.51.100.2:51821" \
	sh -c "ip netns exec $NA wg show $IA endpoints | grep -qxF '$PB	198.51.100.2:51821'"
check "wg show $IA endpoints has C at [2001:db8::3]:51822" \
	sh -c "ip netns exec $NA wg show $IA endpoints | grep -qxF '$PC	[2001:db8::3]:51822'"
check "wg show $IB endpoints has A at 198.51.100.1:51820" \
	sh -c "ip netns exec $NB wg show $IB endpoints | grep -qxF '$PA	198.51.100.1:51820'"
compare_with_wg $IA "after endpoints"

# A peer that is not on the device: nothing changes, and the caller is told.
# wireguard-go lists peers in Go map order, which changes from call to call: sort.
ip netns exec $NA wg show $IA dump | cut -f1-4,8 | sort >"$tmp/before"
$WGSET $IA "$PX" endpoint 198.51.100.9:9 2>"$tmp/err"
rc=$?
check "endpoint for an absent peer fails with ENOENT (exit 3)" [ $rc -eq 3 ]
check "... and says the peer is not on $IA" grep -q "is not on $IA" "$tmp/err"
$WGSET $IA "$PX" keepalive 5 2>"$tmp/err"
check "keepalive for an absent peer fails with ENOENT (exit 3)" [ $? -eq 3 ]
ip netns exec $NA wg show $IA dump | cut -f1-4,8 | sort >"$tmp/after"
check "... and the device is unchanged (no peer created)" cmp -s "$tmp/before" "$tmp/after"
cmp -s "$tmp/before" "$tmp/after" || diff "$tmp/before" "$tmp/after" | sed 's/^/# /'
check "... $PX is not a peer of $IA" sh -c "! ip netns exec $NA wg show $IA peers | grep -qxF '$PX'"

# Traffic: a handshake and counters must appear in stunmesh's view.
check "ping through the tunnel 198.18.0.1 -> 198.18.0.2" \
	ip netns exec $NA ping -c 3 -i 0.2 -w 10 -q 198.18.0.2 >/dev/null
compare_with_wg $IA "after ping"
sed 's/^/# /' "$tmp/show"
b=$(show_peers "$tmp/show" | awk -v k="$PB" '$1 == k')
check "after ping: B has a handshake in stunmesh show" [ "$(echo "$b" | awk '{print $6}')" = yes ]
check "after ping: B has rx and tx bytes in stunmesh show" \
	[ "$(echo "$b" | awk '$3 > 0 && $4 > 0' | wc -l)" -eq 1 ]
compare_with_wg $IB "after ping, other side"

# Keepalive through the UAPI backend.
$WGSET $IA "$PB" keepalive 25 2>"$tmp/err"
check "set keepalive 25 for B on A" [ $? -eq 0 ]
check "wg show $IA persistent-keepalive has B at 25" \
	sh -c "ip netns exec $NA wg show $IA persistent-keepalive | grep -qxF '$PB	25'"
$WGSET $IA "$PC" keepalive 0 2>"$tmp/err"
check "set keepalive 0 (off) for C on A" [ $? -eq 0 ]
check "wg show $IA persistent-keepalive has C off" \
	sh -c "ip netns exec $NA wg show $IA persistent-keepalive | grep -qxF '$PC	off'"
compare_with_wg $IA "after keepalive"

# Errors users meet.
$SM show smwgnone0 >/dev/null 2>"$tmp/err"
rc=$?
check "show of a missing interface fails (exit 1) naming it" \
	sh -c "[ $rc -eq 1 ] && grep -q 'smwgnone0' '$tmp/err'"
$SM show -b uapi $VA >/dev/null 2>"$tmp/err"
check "show -b uapi of an interface without a UAPI socket says so" grep -q "no UAPI socket" "$tmp/err"
if command -v setpriv >/dev/null 2>&1; then
	# wireguard-go's socket is root's (mode 0755): an unprivileged user cannot write to it.
	setpriv --reuid=65534 --regid=65534 --clear-groups $SM show $IA >/dev/null 2>"$tmp/err"
	rc=$?
	check "show as an unprivileged user fails (exit 1) with 'permission denied'" \
		sh -c "[ $rc -eq 1 ] && grep -q 'permission denied connecting to /var/run/wireguard/$IA.sock' '$tmp/err'"
	sed 's/^/# /' "$tmp/err"
else
	echo "skip - show as an unprivileged user: setpriv not installed (util-linux)"
fi

# With a configuration: no interface named means the configured ones; peers carry their
# configured names; a configured peer the device lacks is listed as such.
cat >"$tmp/config.yaml" <<CFG
interfaces:
  $IA:
    backend: uapi
    peers:
      site-b:
        public_key: "$PB"
        plugin: p1
      site-x:
        public_key: "$PX"
        plugin: p1
plugins:
  p1:
    type: exec
    command: /bin/true
CFG
$SM show -c "$tmp/config.yaml" >"$tmp/show" 2>"$tmp/err"
check "show -c FILE succeeds" [ $? -eq 0 ]
check "... shows the configured interface $IA" grep -qxF "interface: $IA" "$tmp/show"
check "... names the configured peer (site-b)" grep -qxF "peer: $PB (site-b)" "$tmp/show"
check "... leaves an unconfigured peer unnamed" grep -qxF "peer: $PC" "$tmp/show"
check "... lists the configured peer missing from the device" \
	grep -qxF "configured peer not on $IA: $PX (site-x)" "$tmp/show"
check "... still only the two device peers" [ "$(field "$tmp/show" peers)" = 2 ]
