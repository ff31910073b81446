#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The UAPI backend against real wireguard-go: two namespaces joined by a veth, one
# wireguard-go in each, configured with wg(8) without endpoints. stunmesh must read what
# wg reads (allowed IPs too, never the keys), set endpoints and keepalives that wg then
# shows, carry a ping, and refuse (changing nothing) to touch a peer that is not on the
# device. Then the handle: get, set, get on one connection with the loop running; several
# peers in one set; a replace that keeps preshared key, allowed IPs and keepalive and
# gives a handshake at once where a plain endpoint set waits for WireGuard's 5 s
# back-off (both measured and printed); a hung or dribbling UAPI server that ends in a
# timeout without blocking the loop.
set -u
cd "$(dirname "$0")/../.." || exit 1

# UAPI sockets live in /var/run/wireguard whatever the namespace: names carry a suffix
# so that two runs at once (other branches' checks) do not meet.
sfx=$(($$ % 1000))
NA=sm-wg-a$sfx NB=sm-wg-b$sfx
IA=smwga$sfx IB=smwgb$sfx IC=smwgc$sfx ID=smwgd$sfx IH=smwgh$sfx
VA=sm-wgva$sfx VB=sm-wgvb$sfx
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
	for i in $IA $IB $IC $ID $IH; do rm -f /var/run/wireguard/$i.sock; done
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

for tool in ip wg wireguard-go ping python3; do
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
for k in a b c x c2 d2; do
	wg genkey >"$tmp/$k.key"
	wg pubkey <"$tmp/$k.key" >"$tmp/$k.pub"
done
PA=$(cat "$tmp/a.pub") PB=$(cat "$tmp/b.pub") PC=$(cat "$tmp/c.pub") PX=$(cat "$tmp/x.pub")

wg genpsk >"$tmp/ab.psk"
ip netns exec $NA wg set $IA private-key "$tmp/a.key" listen-port 51820 fwmark 0x1234 \
	peer "$PB" allowed-ips 198.18.0.2/32,2001:db8:2::/64 preshared-key "$tmp/ab.psk" \
	peer "$PC" allowed-ips 198.18.0.3/32
ip netns exec $NB wg set $IB private-key "$tmp/b.key" listen-port 51821 \
	peer "$PA" allowed-ips 198.18.0.1/32 preshared-key "$tmp/ab.psk"
ip -n $NA addr add 198.18.0.1/24 dev $IA
ip -n $NB addr add 198.18.0.2/24 dev $IB
ip -n $NA link set $IA up
ip -n $NB link set $IB up

# stunmesh's view, reduced to wg's dump fields:
# "pub endpoint rx tx keepalive handshake? allowed-ips psk?" (allowed IPs in the order
# the device gives them, which both read the same way).
# Short lists only (insertion sort).
SORT_IPS='function sortips(s,   n, a, i, j, t, out) {
	n = split(s, a, ",")
	for (i = 2; i <= n; i++) {
		t = a[i]
		for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
		a[j + 1] = t
	}
	out = a[1]
	for (i = 2; i <= n; i++) out = out "," a[i]
	return out
}'
sort_ips() { awk "$SORT_IPS"' { print sortips($0) }'; }
show_peers() {
	awk 'function out() { if (k) print k, ep, rx, tx, ka, hs, ips, psk }
	     /^peer: /{ out(); k = $2; psk = "nopsk" }
	     /^  endpoint: /{ ep = $2 }
	     /^  allowed ips: /{ ips = substr($0, 16); gsub(/, /, ",", ips) }
	     /^  preshared key: /{ psk = "psk" }
	     /^  persistent keepalive: /{ ka = ($3 == "every") ? $4 : "off" }
	     /^  latest handshake: /{ hs = ($3 == "never") ? "never" : ($NF == "ago" ? "yes" : "?") }
	     /^  transfer: /{ rx = $2; tx = $5 }
	     END { out() }' "$1" | sort
}
dump_peers() {
	awk 'NR > 1 { print $1, $3, $6, $7, $8, ($5 == 0 ? "never" : "yes"), $4, ($2 == "(none)" ? "nopsk" : "psk") }' "$1" | sort
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
	psk=$(cat "$tmp/ab.psk")
	psk_hex=$(echo "$psk" | base64 -d | od -An -tx1 | tr -d ' \n')
	check "$2: the preshared key is not printed (base64 or hex)" \
		sh -c "! grep -qiF -e '$psk' -e '$psk_hex' '$tmp/show'"
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

# ---- the handle: get, set, get queued at once, one connection, the loop running ----
$WGSET -b uapi $IA "$PB" async 198.51.100.2:51821 >"$tmp/async" 2>&1
rc=$?
sed 's/^/# /' "$tmp/async"
check "handle: get, set endpoint, get queued together all succeed" [ $rc -eq 0 ]
check "... the last get shows the endpoint set" grep -q "^get 3: .*peer endpoint 198.51.100.2:51821$" "$tmp/async"

# ---- several peers in one set; endpoint and keepalive of one peer in one set ----
$WGSET $IA multi "$PB=198.51.100.2:51821/0" "$PC=[2001:db8::4]:51823/7" 2>"$tmp/err"
check "one set for two peers (endpoints and keepalives)" [ $? -eq 0 ]
check "... B at 198.51.100.2:51821, C at [2001:db8::4]:51823" sh -c \
	"ip netns exec $NA wg show $IA endpoints | grep -qxF '$PB	198.51.100.2:51821' &&
	 ip netns exec $NA wg show $IA endpoints | grep -qxF '$PC	[2001:db8::4]:51823'"
check "... C's keepalive 7, B's off" sh -c \
	"ip netns exec $NA wg show $IA persistent-keepalive | grep -qxF '$PC	7' &&
	 ip netns exec $NA wg show $IA persistent-keepalive | grep -qxF '$PB	off'"
$WGSET $IA "$PC" punch '[2001:db8::5]:51824' 2>"$tmp/err"
check "punch: endpoint, keepalive 0 then 1, one set" [ $? -eq 0 ]
check "... C at [2001:db8::5]:51824 with keepalive 1" sh -c \
	"ip netns exec $NA wg show $IA endpoints | grep -qxF '$PC	[2001:db8::5]:51824' &&
	 ip netns exec $NA wg show $IA persistent-keepalive | grep -qxF '$PC	1'"
$WGSET $IA multi "$PB=198.51.100.2:51821" "$PX=198.51.100.9:9" 2>"$tmp/err"
check "one set naming a peer that is not on the device fails (exit 3)" [ $? -eq 3 ]
check "... and creates nothing" sh -c "! ip netns exec $NA wg show $IA peers | grep -qxF '$PX'"

# ---- replace against WireGuard's handshake back-off ----
# A fresh pair C-D with a preshared key (a handshake after replace proves it was kept).
# C's peer D starts without an endpoint; turning keepalive on then makes C attempt a
# handshake it cannot send, which blocks new attempts for 5 s (REKEY_TIMEOUT).
PC2=$(cat "$tmp/c2.pub") PD2=$(cat "$tmp/d2.pub")
wg genpsk >"$tmp/cd.psk"
start_wg $NA $IC && start_wg $NB $ID || { notok "start wireguard-go for $IC/$ID"; exit 1; }
ip netns exec $NA wg set $IC private-key "$tmp/c2.key" listen-port 51840
ip netns exec $NB wg set $ID private-key "$tmp/d2.key" listen-port 51841
ip -n $NA addr add 198.18.2.1/24 dev $IC && ip -n $NA link set $IC up
ip -n $NB addr add 198.18.2.2/24 dev $ID && ip -n $NB link set $ID up
C_IPS="198.18.2.2/32,2001:db8:2:2::/64,198.18.3.0/24"
fresh_pair() { # both peers re-created with wg(8): no session, no back-off
	ip netns exec $NA wg set $IC peer "$PD2" remove
	ip netns exec $NB wg set $ID peer "$PC2" remove
	ip netns exec $NA wg set $IC peer "$PD2" allowed-ips "$C_IPS" preshared-key "$tmp/cd.psk"
	ip netns exec $NB wg set $ID peer "$PC2" allowed-ips 198.18.2.1/32 preshared-key "$tmp/cd.psk"
}
now() { date +%s.%N; }
# Seconds from $1 until C has a handshake with D (or "none" after $2 s).
wait_handshake() {
	end=$(awk -v t="$(now)" -v w="$2" 'BEGIN { printf "%.3f", t + w }')
	while :; do
		hs=$(ip netns exec $NA wg show $IC latest-handshakes | awk -v k="$PD2" '$1 == k { print $2 }')
		if [ "${hs:-0}" -gt 0 ]; then
			awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'
			return 0
		fi
		[ "$(awk -v t="$(now)" -v e="$end" 'BEGIN { print (t > e) }')" = 1 ] && { echo none; return 1; }
		sleep 0.02
	done
}
peer_line() { ip netns exec $NA wg show $IC dump | awk -v k="$PD2" '$1 == k'; }

fresh_pair
ip netns exec $NA wg set $IC peer "$PD2" persistent-keepalive 25
t0=$(now)
$WGSET $IC "$PD2" endpoint 198.51.100.2:51841 2>"$tmp/err"
plain=$(wait_handshake "$t0" 15)
check "plain endpoint set after a failed attempt: a handshake comes ($plain s)" [ "$plain" != none ]

fresh_pair
ip netns exec $NA wg set $IC peer "$PD2" persistent-keepalive 25
peer_line >"$tmp/before"
t0=$(now)
$WGSET $IC "$PD2" replace 198.51.100.2:51841 2>"$tmp/err"
rc=$?
replaced=$(wait_handshake "$t0" 15)
peer_line >"$tmp/after"
[ -s "$tmp/err" ] && sed 's/^/# /' "$tmp/err"
check "replace succeeds" [ $rc -eq 0 ]
echo "# wireguard-go: handshake after a plain endpoint set ${plain} s, after replace ${replaced} s"
check "replace: a handshake at once (${replaced} s < 1 s) where the plain set waited (${plain} s >= 2 s)" \
	awk -v r="$replaced" -v p="$plain" 'BEGIN { exit !(r != "none" && r < 1 && p != "none" && p >= 2) }'
read -r _ psk1 _ ips1 _ _ _ ka1 <"$tmp/before"
read -r _ psk2 ep2 ips2 _ _ _ ka2 <"$tmp/after"
check "replace keeps the preshared key" sh -c "[ '$psk1' = '$psk2' ] && [ '$psk1' != '(none)' ]"
check "replace keeps the allowed IPs ($ips2)" \
	sh -c "[ '$(echo "$ips1" | sort_ips)' = '$(echo "$ips2" | sort_ips)' ] && [ '$(echo "$ips2" | sort_ips)' = '$(echo "$C_IPS" | sort_ips)' ]"
check "replace keeps the keepalive ($ka2)" sh -c "[ '$ka1' = 25 ] && [ '$ka2' = 25 ]"
check "replace sets the new endpoint ($ep2)" [ "$ep2" = 198.51.100.2:51841 ]
check "ping through the replaced peer (its allowed IPs route)" \
	ip netns exec $NA ping -c 2 -i 0.2 -w 5 -q 198.18.2.2 >/dev/null

# Traffic before the endpoint is known (wireguard-go stages it and attempts), no
# keepalive: replace with keepalive off still initiates at once, and leaves it off.
fresh_pair
ip netns exec $NA ping -c 1 -W 1 198.18.2.2 >/dev/null 2>&1
t0=$(now)
$WGSET $IC "$PD2" replace 198.51.100.2:51841 0 2>"$tmp/err"
rc=$?
replaced0=$(wait_handshake "$t0" 15)
echo "# wireguard-go: traffic before the endpoint, replace with keepalive off: handshake after ${replaced0} s"
check "replace with keepalive off: a handshake at once (${replaced0} s)" \
	awk -v r="$replaced0" 'BEGIN { exit !(r != "none" && r < 1) }'
check "... and the keepalive stays off" sh -c \
	"ip netns exec $NA wg show $IC persistent-keepalive | grep -qxF '$PD2	off'"
ip netns exec $NA wg set $IC peer "$PD2" remove
$WGSET $IC "$PD2" replace 198.51.100.2:51841 2>"$tmp/err"
check "replace of a peer the user removed fails (exit 3) and does not re-create it" \
	sh -c "[ $? -eq 3 ] && ! ip netns exec $NA wg show $IC peers | grep -qxF '$PD2'"

# ---- a UAPI server that hangs, or answers a byte at a time ----
cat >"$tmp/hang.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
conns = []
while True:
    c, _ = s.accept()
    conns.append(c)
    if sys.argv[2] == "dribble":
        try:
            c.recv(64)
            for b in b"listen_port=1\n" * 50:
                c.send(bytes([b]))
                time.sleep(0.2)
        except OSError:
            pass
PY
for mode in silent dribble; do
	python3 "$tmp/hang.py" /var/run/wireguard/$IH.sock $mode &
	hpid=$!
	pids="$pids $hpid"
	for _ in $(seq 50); do [ -S /var/run/wireguard/$IH.sock ] && break; sleep 0.1; done
	t0=$(now)
	$WGSET -b uapi $IH "$PB" async 192.0.2.1:1 >"$tmp/hang" 2>&1
	rc=$?
	took=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
	sed 's/^/# /' "$tmp/hang"
	check "$mode UAPI server: the handle fails (exit 1) after $took s" [ $rc -eq 1 ]
	check "... the first get with 'no answer within 5000 ms'" grep -q "^get 1: .*no answer from .*within 5000 ms" "$tmp/hang"
	check "... what was queued behind it answered at the same time, not sent" \
		sh -c "grep -q '^set 2: .*not sent' '$tmp/hang' && grep -q '^get 3: .*not sent' '$tmp/hang'"
	ticks=$(sed -n 's/^ticks \([0-9]*\) .*/\1/p' "$tmp/hang")
	check "... the loop ran meanwhile ($ticks ticks of 20 ms)" [ "${ticks:-0}" -ge 100 ]
	check "... within the deadline and a little ($took s < 8 s)" awk -v t="$took" 'BEGIN { exit !(t < 8) }'
	t0=$(now)
	$SM show $IH >/dev/null 2>"$tmp/err"
	rc=$?
	took=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
	check "$mode UAPI server: stunmesh show fails (exit 1) in $took s saying no answer" \
		sh -c "[ $rc -eq 1 ] && grep -q 'no answer' '$tmp/err'"
	stop_pid $hpid
	rm -f /var/run/wireguard/$IH.sock
done
