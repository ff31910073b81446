#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The kernel WireGuard checks. Runs inside the VM of tests/kernel/run-vm.sh (cwd is the
# repository, read-only; /tmp is writable), or on any host whose kernel has WireGuard.
#  1. wireguard-tools alone: two namespaces joined by veth, `ip link add wg0 type
#     wireguard` in each, endpoints set with `wg set`: a handshake and a ping.
#  2. stunmesh's netlink backend (through build/test/wg_probe, when the backends are in
#     the tree): reads listen port, keys, peers, handshake and transfer as `wg show`
#     does, sets an endpoint and a keepalive, refuses a peer that is not on the device
#     without creating it, and reads a dump of many peers (a multi-part netlink reply).
#  3. `stunmesh show` (when the command exists) prints the same facts, not the private key.
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

# ---- 2. stunmesh's netlink backend, through the test driver ----
probe=build/test/wg_probe
# wg.h's errors (Linux errno values), as wg_probe prints them: "message (-N)".
ENOENT=2 ENODEV=19 EOPNOTSUPP=95
# Facts from wireguard-tools, in wg_probe's line format, for exact comparison.
wg_facts() { # $1 ns function
	$1 wg show wg0 dump | awk -F'\t' 'NR == 1 {
		printf "listen_port=%s\npublic_key=%s\nfwmark=%s\n", $3, $2, ($4 == "off" ? 0 : $4)
		next }
		{ ep = ($3 == "(none)") ? "(none)" : $3; ka = ($8 == "off") ? 0 : $8
		printf "peer=%s endpoint=%s keepalive=%s handshake=%s rx=%s tx=%s\n", $1, ep, ka, $5, $6, $7 }'
}
probe_facts() { # $1 ns function, $2 backend: the same lines, backend= dropped, sorted peers
	$1 $probe get wg0 "$2" >"$tmp/probe.out" 2>"$tmp/probe.err" || return 1
	grep -v '^backend=' "$tmp/probe.out"
}
same() { # $1 what: compares $tmp/want and $tmp/got
	if cmp -s "$tmp/want" "$tmp/got"; then
		ok "$1"
	else
		nok "$1: wg show and stunmesh differ (< wg show, > stunmesh):"
		diff "$tmp/want" "$tmp/got" | head -n 20
	fi
}

if [ ! -x $probe ]; then
	skip "netlink backend checks: $probe not built (the WireGuard backends, src/wg.c, are not in this tree yet)"
else
	wg_facts a | sort >"$tmp/want"
	probe_facts a netlink | sort >"$tmp/got" || { nok "wg_probe get wg0 netlink:"; cat "$tmp/probe.err"; }
	same "netlink reads listen port, keys, peer endpoint, handshake and transfer like wg show"
	if grep -qF "$apriv" "$tmp/probe.out" "$tmp/probe.err"; then
		nok "wg_probe output contains the private key"
	fi
	if a $probe get wg0 auto 2>&1 | grep -qx 'backend=netlink'; then
		ok "backend auto picks netlink when there is no UAPI socket"
	else
		nok "backend auto does not pick netlink for a kernel interface"
	fi
	if a $probe get sm-k-va netlink >"$tmp/err" 2>&1; then
		nok "reading a veth as WireGuard succeeded"
	else
		if grep -q "(-$EOPNOTSUPP)" "$tmp/err"; then
			ok "reading a non-WireGuard interface fails: $(head -n 1 "$tmp/err")"
		else
			nok "reading a non-WireGuard interface: want -EOPNOTSUPP, got: $(head -n 1 "$tmp/err")"
		fi
	fi
	if a $probe get sm-k-none netlink >"$tmp/err" 2>&1; then
		nok "reading a missing interface succeeded"
	else
		if grep -q "(-$ENODEV)" "$tmp/err"; then
			ok "reading a missing interface fails: $(head -n 1 "$tmp/err")"
		else
			nok "reading a missing interface: want -ENODEV, got: $(head -n 1 "$tmp/err")"
		fi
	fi

	# Endpoint: away and back again, each time as wg show sees it; the tunnel still works.
	if a $probe set-endpoint wg0 netlink "$bpub" 198.51.100.99:4242 &&
		[ "$(a wg show wg0 endpoints | awk '{print $2}')" = 198.51.100.99:4242 ]; then
		ok "netlink sets a peer endpoint (wg show agrees)"
	else
		nok "netlink set-endpoint: wg show says $(a wg show wg0 endpoints)"
	fi
	a $probe set-endpoint wg0 netlink "$bpub" 198.51.100.2:51820
	if [ "$(a wg show wg0 endpoints | awk '{print $2}')" = 198.51.100.2:51820 ] &&
		a ping -c 1 -W 5 198.18.0.2 >/dev/null 2>&1; then
		ok "endpoint set back by netlink, ping through the tunnel"
	else
		nok "endpoint set back by netlink: $(a wg show wg0 endpoints), ping failed?"
	fi

	stranger=$(wg genkey | wg pubkey)
	a wg show wg0 peers | sort >"$tmp/peers.before"
	if a $probe set-endpoint wg0 netlink "$stranger" 198.51.100.77:1 >"$tmp/err" 2>&1; then
		nok "set-endpoint of a peer not on the device reported success"
	else
		if grep -q "(-$ENOENT)" "$tmp/err"; then
			ok "set-endpoint of a peer not on the device is refused: $(head -n 1 "$tmp/err")"
		else
			nok "set-endpoint of an unknown peer: want -ENOENT, got: $(head -n 1 "$tmp/err")"
		fi
	fi
	a wg show wg0 peers | sort >"$tmp/peers.after"
	if cmp -s "$tmp/peers.before" "$tmp/peers.after"; then
		ok "no peer was created by the refused update"
	else
		nok "the peer list changed after updating an unknown peer"
	fi

	if a $probe set-keepalive wg0 netlink "$bpub" 25 &&
		[ "$(a wg show wg0 persistent-keepalive | awk '{print $2}')" = 25 ] &&
		a $probe set-keepalive wg0 netlink "$bpub" 0 &&
		[ "$(a wg show wg0 persistent-keepalive | awk '{print $2}')" = off ]; then
		ok "netlink sets and clears persistent keepalive (wg show agrees)"
	else
		nok "netlink set-keepalive: wg show says $(a wg show wg0 persistent-keepalive)"
	fi

	# Many peers with several allowed IPs each do not fit one netlink message: the dump
	# arrives in parts, and a peer may be split across two of them.
	n=300
	# One awk over random bytes instead of 300 base64 processes: 3x faster under TCG.
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
			printf "[Peer]\nPublicKey = %s\nAllowedIPs = 198.18.%d.%d/32, 2001:db8:%x::/64, 2001:db8:%x:1::/64\n",
				s, int(k / 250) + 1, k % 250 + 1, k + 1, k + 1
		}
	}' >"$tmp/many.conf"
	if b wg addconf wg0 "$tmp/many.conf"; then
		wg_facts b | sort >"$tmp/want"
		probe_facts b netlink | sort >"$tmp/got" || { nok "wg_probe get (many peers):"; cat "$tmp/probe.err"; }
		same "netlink reads all $((n + 1)) peers of a multi-part dump like wg show"
	else
		nok "wg addconf with $n peers"
	fi
fi

# ---- 3. stunmesh show ----
if [ ! -x ./stunmesh ]; then
	skip "stunmesh show: ./stunmesh not built"
elif ! ./stunmesh show -h >/dev/null 2>&1; then
	skip "stunmesh show: this build has no show command yet"
else
	if a ./stunmesh show wg0 >"$tmp/show" 2>&1; then
		port=$(a wg show wg0 listen-port)
		ep=$(a wg show wg0 endpoints | awk '{print $2}')
		miss=""
		for want in "$port" "$apub" "$bpub" "$ep"; do
			grep -qF -- "$want" "$tmp/show" || miss="$miss $want"
		done
		if [ -z "$miss" ]; then
			ok "stunmesh show wg0: listen port, public key, peer and endpoint as wg show"
		else
			nok "stunmesh show wg0 lacks:$miss"
			cat "$tmp/show"
		fi
		if grep -qF -- "$apriv" "$tmp/show"; then
			nok "stunmesh show prints the private key"
		else
			ok "stunmesh show does not print the private key"
		fi
	else
		nok "stunmesh show wg0 failed on a kernel interface:"
		cat "$tmp/show"
	fi
fi
[ $fails -eq 0 ]
