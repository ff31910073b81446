#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The kernel WireGuard checks. Runs inside the VM of tests/kernel/run-vm.sh (cwd is the
# repository, read-only; /tmp is writable), or on any host whose kernel has WireGuard.
#  1. wireguard-tools alone: two namespaces joined by veth, `ip link add wg0 type
#     wireguard` in each, endpoints set with `wg set`: a handshake and a ping.
#  2. stunmesh's netlink backend, with the checks tests/integration/wg_uapi.sh makes
#     against wireguard-go: `stunmesh show` reads what `wg show dump` reads (backend
#     netlink chosen by itself), build/tools/wgset sets endpoints and keepalives that wg
#     then shows, a peer that is not on the device is refused and not created, a ping
#     brings a handshake and counters; plus a dump of 301 peers with several allowed IPs
#     each, which the kernel sends as a multi-part netlink reply. Allowed IPs and
#     preshared keys are read (never printed).
#  3. The handle on netlink: get, set, get queued at once; several peers in one set; a
#     replace that keeps preshared key, allowed IPs and keepalive and gives a handshake
#     at once where a plain endpoint set waits for the 5 s back-off (both printed).
#     Skipped, saying so, while the tree has no `show` command or no wgset yet.
set -u
cd "$(dirname "$0")/../.." || exit 1
A=sm-k-a
B=sm-k-b
tmp=$(mktemp -d /tmp/sm-k.XXXXXX)
cleanup() {
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

IP=/sbin/ip
[ -x $IP ] || IP=$(command -v ip)
a() { $IP netns exec $A "$@"; }
b() { $IP netns exec $B "$@"; }
fails=0
ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; fails=$((fails + 1)); }
skip() { echo "skip - $*"; }
now() { cut -d' ' -f1 /proc/uptime; }

# ---- 1. the kernel module with wireguard-tools only ----
cleanup
mkdir -p "$tmp"
if ! { $IP netns add $A && $IP netns add $B &&
	$IP link add sm-k-va netns $A type veth peer name sm-k-vb netns $B &&
	a $IP addr add 198.51.100.1/24 dev sm-k-va && a $IP link set sm-k-va up &&
	b $IP addr add 198.51.100.2/24 dev sm-k-vb && b $IP link set sm-k-vb up &&
	a $IP link set lo up && b $IP link set lo up; }; then
	nok "namespaces $A/$B joined by veth"
	exit 1
fi
if ! a $IP link add wg0 type wireguard || ! b $IP link add wg0 type wireguard; then
	nok "ip link add wg0 type wireguard (kernel module missing?)"
	exit 1
fi
ok "kernel wireguard interfaces created ($(uname -r))"

umask 077
wg genkey >"$tmp/a.key" && wg genkey >"$tmp/b.key" || { nok "wg genkey"; exit 1; }
apub=$(wg pubkey <"$tmp/a.key")
bpub=$(wg pubkey <"$tmp/b.key")
apriv=$(cat "$tmp/a.key")
a wg set wg0 listen-port 51820 private-key "$tmp/a.key" \
	peer "$bpub" allowed-ips 198.18.0.2/32 endpoint 198.51.100.2:51820 &&
	b wg set wg0 listen-port 51820 private-key "$tmp/b.key" \
		peer "$apub" allowed-ips 198.18.0.1/32 endpoint 198.51.100.1:51820 &&
	a $IP addr add 198.18.0.1/24 dev wg0 && a $IP link set wg0 up &&
	b $IP addr add 198.18.0.2/24 dev wg0 && b $IP link set wg0 up ||
	{ nok "configure wg0 with wg set"; exit 1; }

t0=$(now)
if a ping -c 1 -W 5 198.18.0.2 >"$tmp/ping" 2>&1; then
	t1=$(now)
	ok "kernel handshake and ping through the tunnel ($(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b - a}') s guest time)"
else
	nok "ping through the kernel tunnel:"
	cat "$tmp/ping"
	a wg show wg0
	exit 1
fi
hs=$(a wg show wg0 latest-handshakes | awk '{print $2}')
if [ "${hs:-0}" -gt 0 ]; then ok "wg show: latest handshake $hs"; else nok "wg show: no handshake"; fi

# ---- 2. stunmesh's netlink backend: the same checks as against wireguard-go ----
SM=./stunmesh
WGSET=build/tools/wgset
if [ ! -x $SM ]; then
	skip "stunmesh on kernel wireguard: ./stunmesh is not built"
	exit $((fails > 0))
fi
if ! $SM show -h >/dev/null 2>&1; then
	skip "stunmesh on kernel wireguard: this build has no 'show' command yet"
	exit $((fails > 0))
fi
have_wgset=0
[ -x $WGSET ] && have_wgset=1

check() { # check DESCRIPTION COMMAND...
	d=$1
	shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
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

compare_with_wg() { # ns-function iface label [show options]
	ns=$1 ifc=$2 label=$3
	shift 3
	$ns wg show "$ifc" dump >"$tmp/dump1"
	$ns $SM show "$@" "$ifc" >"$tmp/show" 2>"$tmp/show.err"
	rc=$?
	$ns wg show "$ifc" dump >"$tmp/dump2"
	check "$label: stunmesh show $ifc succeeds" [ $rc -eq 0 ]
	[ $rc -eq 0 ] || sed 's/^/# /' "$tmp/show.err"
	read -r _ pub port fwmark <"$tmp/dump1"
	check "$label: backend is netlink" [ "$(field "$tmp/show" backend)" = netlink ]
	check "$label: public key matches wg ($pub)" [ "$(field "$tmp/show" 'public key')" = "$pub" ]
	check "$label: listen port matches wg ($port)" [ "$(field "$tmp/show" 'listening port')" = "$port" ]
	check "$label: fwmark matches wg ($fwmark)" [ "$(field "$tmp/show" fwmark)" = "$fwmark" ]
	show_peers "$tmp/show" >"$tmp/p.show"
	dump_peers "$tmp/dump1" >"$tmp/p.dump1"
	dump_peers "$tmp/dump2" >"$tmp/p.dump2"
	# Counters may move between the reads; the view must equal one side of it.
	if cmp -s "$tmp/p.show" "$tmp/p.dump1" || cmp -s "$tmp/p.show" "$tmp/p.dump2"; then
		ok "$label: $(wc -l <"$tmp/p.show") peers, endpoints, counters, keepalives agree with wg show $ifc dump"
	else
		nok "$label: peers agree with wg show $ifc dump"
		diff "$tmp/p.dump1" "$tmp/p.show" | head -n 20 | sed 's/^/# /'
	fi
	privkey=$(sed -n '1{s/\t.*//;p}' "$tmp/dump1")
	check "$label: the private key is not printed" sh -c "! grep -qF -- '$privkey' '$tmp/show'"
	psk=$(cat "$tmp/ab.psk")
	psk_hex=$(echo "$psk" | base64 -d | od -An -tx1 | tr -d ' \n')
	check "$label: the preshared key is not printed (base64 or hex)" \
		sh -c "! grep -qiF -e '$psk' -e '$psk_hex' '$tmp/show'"
}

# A second pair of kernel interfaces, configured like the wireguard-go test: no endpoints,
# A with two peers (B and C, C never answers) and a fwmark.
IA=wg1 IB=wg1
wg genpsk >"$tmp/ab.psk"
for k in a2 b2 c x c3 d3; do
	wg genkey >"$tmp/$k.key"
	wg pubkey <"$tmp/$k.key" >"$tmp/$k.pub"
done
PA=$(cat "$tmp/a2.pub") PB=$(cat "$tmp/b2.pub") PC=$(cat "$tmp/c.pub") PX=$(cat "$tmp/x.pub")
a $IP link add $IA type wireguard && b $IP link add $IB type wireguard &&
	a wg set $IA private-key "$tmp/a2.key" listen-port 51830 fwmark 0x1234 \
		peer "$PB" allowed-ips 198.18.1.2/32,2001:db8:1:2::/64 preshared-key "$tmp/ab.psk" \
		peer "$PC" allowed-ips 198.18.1.3/32 &&
	b wg set $IB private-key "$tmp/b2.key" listen-port 51831 \
		peer "$PA" allowed-ips 198.18.1.1/32 preshared-key "$tmp/ab.psk" &&
	a $IP addr add 198.18.1.1/24 dev $IA && a $IP link set $IA up &&
	b $IP addr add 198.18.1.2/24 dev $IB && b $IP link set $IB up ||
	{ nok "configure the second kernel pair ($IA)"; exit 1; }

# Replace against WireGuard's handshake back-off, on a fresh pair wg2 with a preshared
# key (a handshake after replace proves it was kept). C's peer D has no endpoint;
# turning keepalive on makes C attempt a handshake it cannot send, which blocks new
# attempts for 5 s (REKEY_TIMEOUT).
replace_checks() {
	PC3=$(cat "$tmp/c3.pub") PD3=$(cat "$tmp/d3.pub")
	wg genpsk >"$tmp/cd.psk"
	a $IP link add wg2 type wireguard && b $IP link add wg2 type wireguard &&
		a wg set wg2 private-key "$tmp/c3.key" listen-port 51840 &&
		b wg set wg2 private-key "$tmp/d3.key" listen-port 51841 &&
		a $IP addr add 198.18.2.1/24 dev wg2 && a $IP link set wg2 up &&
		b $IP addr add 198.18.2.2/24 dev wg2 && b $IP link set wg2 up ||
		{ nok "configure the replace pair wg2"; return; }
	C_IPS="198.18.2.2/32,2001:db8:2:2::/64,198.18.3.0/24"
	fresh_pair() {
		a wg set wg2 peer "$PD3" remove
		b wg set wg2 peer "$PC3" remove
		a wg set wg2 peer "$PD3" allowed-ips "$C_IPS" preshared-key "$tmp/cd.psk"
		b wg set wg2 peer "$PC3" allowed-ips 198.18.2.1/32 preshared-key "$tmp/cd.psk"
	}
	# Seconds (guest uptime) from $1 until wg2 on A has a handshake with D, or "none".
	wait_handshake() {
		while :; do
			hs=$(a wg show wg2 latest-handshakes | awk -v k="$PD3" '$1 == k { print $2 }')
			t=$(now)
			if [ "${hs:-0}" -gt 0 ]; then
				awk -v a="$1" -v b="$t" 'BEGIN { printf "%.2f", b - a }'
				return 0
			fi
			[ "$(awk -v a="$1" -v b="$t" -v w="$2" 'BEGIN { print (b - a > w) }')" = 1 ] &&
				{ echo none; return 1; }
			sleep 0.02
		done
	}
	peer_line() { a wg show wg2 dump | awk -v k="$PD3" '$1 == k'; }

	fresh_pair
	a wg set wg2 peer "$PD3" persistent-keepalive 25
	t0=$(now)
	a $WGSET wg2 "$PD3" endpoint 198.51.100.2:51841 2>"$tmp/err"
	plain=$(wait_handshake "$t0" 20)
	check "netlink: plain endpoint set after a failed attempt: a handshake comes ($plain s)" [ "$plain" != none ]

	fresh_pair
	a wg set wg2 peer "$PD3" persistent-keepalive 25
	peer_line >"$tmp/before"
	t0=$(now)
	a $WGSET wg2 "$PD3" replace 198.51.100.2:51841 2>"$tmp/err"
	rc=$?
	replaced=$(wait_handshake "$t0" 20)
	peer_line >"$tmp/after"
	[ -s "$tmp/err" ] && sed 's/^/# /' "$tmp/err"
	check "netlink: replace succeeds" [ $rc -eq 0 ]
	echo "# kernel $(uname -r) under TCG: handshake after a plain endpoint set ${plain} s, after replace ${replaced} s"
	# Under TCG every process and handshake is slow: the times include starting wgset
	# (which reads the device twice) and polling with wg(8); the 5 s back-off must be
	# gone, not the emulation's overhead.
	check "netlink replace: a handshake at once (${replaced} s < 3.5 s) where the plain set waited for the back-off (${plain} s, 2.5 s more)" \
		awk -v r="$replaced" -v p="$plain" 'BEGIN { exit !(r != "none" && r < 3.5 && p != "none" && p - r >= 2.5) }'
	read -r _ psk1 _ ips1 _ _ _ ka1 <"$tmp/before"
	read -r _ psk2 ep2 ips2 _ _ _ ka2 <"$tmp/after"
	check "netlink replace keeps the preshared key" sh -c "[ '$psk1' = '$psk2' ] && [ '$psk1' != '(none)' ]"
	check "netlink replace keeps the allowed IPs ($ips2)" \
		sh -c "[ '$(echo "$ips1" | sort_ips)' = '$(echo "$ips2" | sort_ips)' ] && [ '$(echo "$ips2" | sort_ips)' = '$(echo "$C_IPS" | sort_ips)' ]"
	check "netlink replace keeps the keepalive ($ka2)" sh -c "[ '$ka1' = 25 ] && [ '$ka2' = 25 ]"
	check "netlink replace sets the new endpoint ($ep2)" [ "$ep2" = 198.51.100.2:51841 ]
	check "ping through the replaced peer (its allowed IPs route)" \
		a ping -c 2 -i 0.2 -w 10 -q 198.18.2.2 >/dev/null

	# No keepalive and no traffic: a plain endpoint set would start no handshake at all
	# (the kernel drops traffic sent before the endpoint was known instead of staging
	# it); replace with keepalive off initiates at once (1 then 0).
	fresh_pair
	t0=$(now)
	a $WGSET wg2 "$PD3" replace 198.51.100.2:51841 0 2>"$tmp/err"
	replaced0=$(wait_handshake "$t0" 20)
	echo "# kernel: replace with keepalive off: handshake after ${replaced0} s"
	check "netlink replace with keepalive off: a handshake at once (${replaced0} s)" \
		awk -v r="$replaced0" 'BEGIN { exit !(r != "none" && r < 5) }'
	check "... and the keepalive stays off" sh -c \
		"$IP netns exec $A wg show wg2 persistent-keepalive | grep -qxF '$PD3	off'"
	a wg set wg2 peer "$PD3" remove
	a $WGSET wg2 "$PD3" replace 198.51.100.2:51841 2>"$tmp/err"
	check "netlink replace of a peer the user removed fails (exit 3) and does not re-create it" \
		sh -c "[ $? -eq 3 ] && ! $IP netns exec $A wg show wg2 peers | grep -qxF '$PD3'"
}

# The module unloaded and loaded again under a handle that stays open: the generic
# netlink family comes back with a new id, which the handle must look up again.
reload_checks() {
	a $WGSET $IA "$PB" reget "$tmp/reloaded" >"$tmp/reget" 2>&1 &
	rpid=$!
	# the first read done before the module goes
	for _ in $(seq 100); do grep -q '^get 1' "$tmp/reget" 2>/dev/null && break; sleep 0.1; done
	for ns in a b; do
		for l in $($ns $IP -o link show type wireguard | awk -F': ' '{ print $2 }'); do
			$ns $IP link del "$l"
		done
	done
	if rmmod wireguard && modprobe wireguard &&
		a $IP link add $IA type wireguard &&
		a wg set $IA private-key "$tmp/a2.key" peer "$PB" allowed-ips 198.18.1.2/32; then
		ok "wireguard module unloaded and loaded again, $IA re-created"
		touch "$tmp/reloaded"
	else
		touch "$tmp/reloaded"
		nok "reload the wireguard module"
	fi
	wait $rpid
	rc=$?
	sed 's/^/# /' "$tmp/reget"
	check "a handle kept across the module reload reads the device again (new family id)" \
		sh -c "[ $rc -eq 0 ] && grep -q '^get 2: 1 peers, backend netlink, peer present' '$tmp/reget'"
}

compare_with_wg a $IA "fresh device"
check "fresh device: peers have no endpoint and no handshake" \
	[ "$(show_peers "$tmp/show" | awk '$2 != "(none)" || $6 != "never"' | wc -l)" -eq 0 ]
check "fresh device: both peers listed" [ "$(field "$tmp/show" peers)" = 2 ]

if [ $have_wgset -eq 0 ]; then
	skip "setting endpoints and keepalives through netlink: $WGSET is not built"
else
	: >"$tmp/err"
	a $WGSET $IA "$PB" endpoint 198.51.100.2:51831 2>>"$tmp/err"
	check "netlink: set endpoint of B on A" [ $? -eq 0 ]
	b $WGSET $IB "$PA" endpoint 198.51.100.1:51830 2>>"$tmp/err"
	check "netlink: set endpoint of A on B" [ $? -eq 0 ]
	a $WGSET $IA "$PC" endpoint '[2001:db8::3]:51832' 2>>"$tmp/err"
	check "netlink: set an IPv6 endpoint of C on A" [ $? -eq 0 ]
	[ -s "$tmp/err" ] && sed 's/^/# /' "$tmp/err"
	check "wg show $IA endpoints has B at 198.51.100.2:51831" \
		sh -c "$IP netns exec $A wg show $IA endpoints | grep -qxF '$PB	198.51.100.2:51831'"
	check "wg show $IA endpoints has C at [2001:db8::3]:51832" \
		sh -c "$IP netns exec $A wg show $IA endpoints | grep -qxF '$PC	[2001:db8::3]:51832'"
	check "wg show $IB endpoints has A at 198.51.100.1:51830" \
		sh -c "$IP netns exec $B wg show $IB endpoints | grep -qxF '$PA	198.51.100.1:51830'"
	compare_with_wg a $IA "after endpoints"

	# A peer that is not on the device: nothing changes, and the caller is told.
	a wg show $IA dump | cut -f1-4,8 | sort >"$tmp/before"
	a $WGSET $IA "$PX" endpoint 198.51.100.9:9 2>"$tmp/err"
	check "netlink: endpoint for an absent peer fails with ENOENT (exit 3)" [ $? -eq 3 ]
	check "... and says the peer is not on $IA" grep -q "is not on $IA" "$tmp/err"
	a $WGSET $IA "$PX" keepalive 5 2>"$tmp/err"
	check "netlink: keepalive for an absent peer fails with ENOENT (exit 3)" [ $? -eq 3 ]
	a wg show $IA dump | cut -f1-4,8 | sort >"$tmp/after"
	check "... and the device is unchanged (no peer created)" cmp -s "$tmp/before" "$tmp/after"
	cmp -s "$tmp/before" "$tmp/after" || diff "$tmp/before" "$tmp/after" | sed 's/^/# /'
	check "... $PX is not a peer of $IA" sh -c "! $IP netns exec $A wg show $IA peers | grep -qxF '$PX'"

	# Traffic over the endpoints stunmesh set: a handshake and counters in its view.
	check "ping through the tunnel 198.18.1.1 -> 198.18.1.2 (endpoints set by stunmesh)" \
		a ping -c 3 -i 0.2 -w 10 -q 198.18.1.2 >/dev/null
	compare_with_wg a $IA "after ping"
	b_line=$(show_peers "$tmp/show" | awk -v k="$PB" '$1 == k')
	check "after ping: B has a handshake in stunmesh show" [ "$(echo "$b_line" | awk '{print $6}')" = yes ]
	check "after ping: B has rx and tx bytes in stunmesh show" \
		[ "$(echo "$b_line" | awk '$3 > 0 && $4 > 0' | wc -l)" -eq 1 ]
	compare_with_wg b $IB "after ping, other side"

	a $WGSET $IA "$PB" keepalive 25 2>"$tmp/err"
	check "netlink: set keepalive 25 for B on A" [ $? -eq 0 ]
	check "wg show $IA persistent-keepalive has B at 25" \
		sh -c "$IP netns exec $A wg show $IA persistent-keepalive | grep -qxF '$PB	25'"
	a $WGSET $IA "$PC" keepalive 0 2>"$tmp/err"
	check "netlink: set keepalive 0 (off) for C on A" [ $? -eq 0 ]
	check "wg show $IA persistent-keepalive has C off" \
		sh -c "$IP netns exec $A wg show $IA persistent-keepalive | grep -qxF '$PC	off'"
	compare_with_wg a $IA "after keepalive"

	# ---- 3. the handle ----
	a $WGSET -b netlink $IA "$PB" async 198.51.100.2:51831 >"$tmp/async" 2>&1
	rc=$?
	sed 's/^/# /' "$tmp/async"
	check "handle: get, set endpoint, get queued together all succeed" [ $rc -eq 0 ]
	check "... the last get shows the endpoint set" grep -q "^get 3: .*backend netlink, peer endpoint 198.51.100.2:51831$" "$tmp/async"

	a $WGSET $IA multi "$PB=198.51.100.2:51831/0" "$PC=[2001:db8::4]:51833/7" 2>"$tmp/err"
	check "netlink: one set for two peers (endpoints and keepalives)" [ $? -eq 0 ]
	check "... B at 198.51.100.2:51831, C at [2001:db8::4]:51833" sh -c \
		"$IP netns exec $A wg show $IA endpoints | grep -qxF '$PB	198.51.100.2:51831' &&
		 $IP netns exec $A wg show $IA endpoints | grep -qxF '$PC	[2001:db8::4]:51833'"
	check "... C's keepalive 7, B's off" sh -c \
		"$IP netns exec $A wg show $IA persistent-keepalive | grep -qxF '$PC	7' &&
		 $IP netns exec $A wg show $IA persistent-keepalive | grep -qxF '$PB	off'"
	a $WGSET $IA "$PC" punch '[2001:db8::5]:51834' 2>"$tmp/err"
	check "netlink punch: endpoint, keepalive 0 then 1, one set" [ $? -eq 0 ]
	check "... C at [2001:db8::5]:51834 with keepalive 1" sh -c \
		"$IP netns exec $A wg show $IA endpoints | grep -qxF '$PC	[2001:db8::5]:51834' &&
		 $IP netns exec $A wg show $IA persistent-keepalive | grep -qxF '$PC	1'"
	a $WGSET $IA multi "$PB=198.51.100.2:51831" "$PX=198.51.100.9:9" 2>"$tmp/err"
	check "netlink: one set naming a peer that is not on the device fails (exit 3)" [ $? -eq 3 ]
	check "... and creates nothing" sh -c "! $IP netns exec $A wg show $IA peers | grep -qxF '$PX'"

	replace_checks
fi

# Errors users meet.
a $SM show sm-k-none0 >/dev/null 2>"$tmp/err"
rc=$?
check "show of a missing interface fails (exit 1) naming it" \
	sh -c "[ $rc -eq 1 ] && grep -q 'sm-k-none0' '$tmp/err'"
a $SM show sm-k-va >/dev/null 2>"$tmp/err"
rc=$?
check "show of a veth fails (exit 1): not a WireGuard interface" \
	sh -c "[ $rc -eq 1 ] && grep -q 'not a WireGuard interface' '$tmp/err'"
[ $rc -eq 1 ] || sed 's/^/# /' "$tmp/err"
a $SM show -b uapi $IA >/dev/null 2>"$tmp/err"
check "show -b uapi of a kernel interface says there is no UAPI socket" grep -q "no UAPI socket" "$tmp/err"

# Many peers with several allowed IPs each do not fit one netlink message: the kernel
# sends the dump in parts. The peer with 2000 allowed IPs (about 80 KB of attributes) is
# itself split across parts and must come out as one peer.
n=300
# One awk over random bytes instead of 300 base64 processes (3x faster under TCG).
# Any 32 bytes are a valid peer key for the kernel.
od -An -tu1 -v -N $((32 * n)) /dev/urandom | awk -v n=$n '
BEGIN { A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" }
function c4(v, pad) {
	return substr(A, int(v / 262144) + 1, 1) substr(A, int(v / 4096) % 64 + 1, 1) \
		substr(A, int(v / 64) % 64 + 1, 1) (pad ? "=" : substr(A, v % 64 + 1, 1))
}
{ for (i = 1; i <= NF; i++) b[m++] = $i }
END {
	for (k = 0; k < n; k++) {
		o = 32 * k; s = ""
		for (j = 0; j < 30; j += 3)
			s = s c4(b[o + j] * 65536 + b[o + j + 1] * 256 + b[o + j + 2], 0)
		s = s c4(b[o + 30] * 65536 + b[o + 31] * 256, 1)
		printf "[Peer]\nPublicKey = %s\nAllowedIPs = ", s
		if (k == n - 1) {
			# The last one alone has more allowed IPs than fit in one message.
			for (j = 1; j <= 2000; j++)
				printf "2001:db8:ffff::%x/128%s", j, (j < 2000 ? ", " : "\n")
		} else {
			printf "198.18.%d.%d/32, 2001:db8:%x::/64, 2001:db8:%x:1::/64\n",
				int(k / 250) + 10, k % 250 + 1, k + 1, k + 1
		}
	}
}' >"$tmp/many.conf"
if b wg addconf wg0 "$tmp/many.conf"; then
	compare_with_wg b wg0 "$((n + 1)) peers (multi-part dump)" -b netlink
	check "$((n + 1)) peers: show counts them all" [ "$(field "$tmp/show" peers)" = $((n + 1)) ]
	check "$((n + 1)) peers: wg show has the 2000 allowed IPs of the split peer" \
		[ "$(b wg show wg0 allowed-ips | awk 'NF > 2000' | wc -l)" -eq 1 ]
	check "$((n + 1)) peers: no peer listed twice" \
		[ "$(sed -n 's/^peer: //p' "$tmp/show" | sort -u | wc -l)" -eq $((n + 1)) ]
else
	nok "wg addconf with $n peers"
fi
# Last: it deletes every WireGuard interface.
[ $have_wgset -eq 1 ] && reload_checks
[ $fails -eq 0 ]
