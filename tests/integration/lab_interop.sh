#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Interop with stunmesh-go's record format in the NAT lab (tests/lab/lib.sh). Site 1 runs
# stunmesh; site 2 is a "stunmesh-go node" played by tests/lab/stunmesh_go_sim.py, an
# independent implementation of the format (storage keys, Go-compact JSON, NaCl box):
#  0. the script agrees with the stunmesh-go vectors (tests/lab/stunmesh-go-vectors.txt)
#  1. site 2's endpoint, learnt with `stunmesh stun` on its host, is published by the
#     script; stunmesh on site 1 reads it and sets it as site 2's endpoint
#  2. the script reads and opens what stunmesh published for site 2: the record
#     stunmesh-go would write, {"ipv4":"<site 1's public endpoint>"} (stunmesh may add
#     fields, which Go's json.Unmarshal ignores)
#  3. with that endpoint set by `wg set` on site 2, the two sites connect through their
#     port-restricted NATs (handshake and ping both ways)
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lib.sh

PY=/usr/bin/python3 # Debian's, with python3-nacl (not a pyenv or venv one)
SIM=tests/lab/stunmesh_go_sim.py
if [ "$(id -u)" -ne 0 ]; then echo "skip - interop lab: needs root"; exit 0; fi
for t in wireguard-go wg turnserver nft $PY; do
	command -v $t >/dev/null || { echo "skip - interop lab: $t not installed"; exit 0; }
done
$PY -c 'import nacl' 2>/dev/null || { echo "skip - interop lab: python3-nacl not installed"; exit 0; }
[ -x ./stunmesh ] || { echo "not ok - interop lab: ./stunmesh not built"; exit 1; }

# 0. the script itself
out=$($PY $SIM selftest tests/lab/stunmesh-go-vectors.txt)
n_ok=$(echo "$out" | grep -c '^ok - ')
if echo "$out" | grep -q '^not ok' || [ "$n_ok" -lt 30 ]; then
	echo "$out" | grep -v '^ok - '
	echo "not ok - stunmesh_go_sim.py selftest against the vectors"
	exit 1
fi
echo "ok - stunmesh_go_sim.py agrees with the stunmesh-go vectors ($n_ok checks)"

trap lab_down EXIT
trap 'exit 130' INT TERM
lab_up gi || { echo "not ok - interop lab: setup"; exit 1; }
lab_site 1 prc && lab_site 2 prc || { echo "not ok - interop lab: sites"; exit 1; }
lab_wg 1 && lab_wg 2 || { echo "not ok - interop lab: wireguard-go"; exit 1; }
lab_wg_peer 1 2
lab_wg_peer 2 1
store=$LAB_DIR/store
lab_stunmesh_config 1 2 # creates the store directory

fail() {
	echo "not ok - $*"
	echo "--- stunmesh on site 1"; tail -n 30 "$LAB_DIR/stunmesh1.log"
	lab_status 1
	lab_exec h2 wg show "sm${LAB}2"
}

# 1. site 2 learns its public endpoint as stunmesh-go does (STUN from the WireGuard
# port) and publishes it for site 1
stun=$(lab_exec h2 ./stunmesh stun --port 51820 --server 198.51.100.10:3478 2>&1)
ep2=$(echo "$stun" | sed -n 's/.*public endpoint \([0-9.]*:[0-9]*\) for local port.*/\1/p')
if [ "$ep2" = "203.0.113.12:51820" ]; then
	echo "ok - site 2's public endpoint by STUN: $ep2"
else
	echo "not ok - site 2's public endpoint by STUN is '$ep2'"; echo "$stun"; exit 1
fi
$PY $SIM publish "$store" "$LAB_DIR/wg2.key" "$(lab_wg_pub 1)" --ipv4 "$ep2" ||
	{ echo "not ok - the script could not publish"; exit 1; }

t0=$(lab_ms)
lab_stunmesh_start 1
dev_ep() { lab_exec h1 wg show "sm${LAB}1" endpoints | awk -v k="$(lab_wg_pub 2)" '$1 == k { print $2 }'; }
ep_is() { [ "$(dev_ep)" = "$1" ]; }
if lab_wait 15 ep_is "$ep2"; then
	echo "ok - stunmesh read the script's record: site 2's endpoint on site 1 is $ep2"
else
	fail "stunmesh did not set the script's endpoint (device has '$(dev_ep)')"
	exit 1
fi

# 2. what stunmesh published for site 2, opened by the script
read_rec() { $PY $SIM read "$store" "$LAB_DIR/wg2.key" "$(lab_wg_pub 1)" --protocol ipv4; }
if lab_wait 15 read_rec; then
	rec=$(read_rec)
	pt=$(echo "$rec" | sed -n 1p) ep1=$(echo "$rec" | sed -n 2p)
	# stunmesh-go readers (Go json.Unmarshal) take the ipv4 field and ignore any other
	# (stunmesh may add a "ts"); the script parses the same way and chose $ep1
	case $pt in
	'{"ipv4":"203.0.113.11:51820"}' | '{"ipv4":"203.0.113.11:51820",'*'}')
		echo "ok - the script opened stunmesh's record for site 2: $pt" ;;
	*) echo "not ok - stunmesh's record for site 2 holds '$pt', want {\"ipv4\":\"203.0.113.11:51820\"...}" ;;
	esac
	[ "$ep1" = 203.0.113.11:51820 ] && echo "ok - the script picks site 1's endpoint $ep1" ||
		echo "not ok - the script picks '$ep1' from the record"
	# the value as stored: lowercase hex of nonce, tag and ciphertext
	key=$($PY -c 'import hashlib,base64,sys; print(hashlib.sha1(base64.b64decode(sys.argv[1]) + base64.b64decode(sys.argv[2])).hexdigest())' \
		"$(lab_wg_pub 1)" "$(lab_wg_pub 2)")
	val=$(cat "$store/$key.txt")
	want=$((2 * (24 + 16 + ${#pt})))
	if echo "$val" | grep -qx "[0-9a-f]\{$want\}"; then
		echo "ok - stored under sha1(site1 || site2) = $key as $want lowercase hex characters"
	else
		echo "not ok - stored value under $key is not $want lowercase hex characters: '$val'"
	fi
else
	fail "the script cannot read stunmesh's record for site 2"
	ls -l "$store"
	exit 1
fi

# 3. site 2's WireGuard gets the endpoint by hand, as stunmesh-go would set it, and sends
lab_exec h2 wg set "sm${LAB}2" peer "$(lab_wg_pub 1)" endpoint "$ep1"
if lab_wait 30 lab_ping 2 1 && lab_wait 5 lab_ping 1 2; then
	echo "ok - stunmesh site and script site connect: ping both ways $(($(lab_ms) - t0)) ms after stunmesh started"
else
	fail "stunmesh site and script site did not connect within 35 s"
fi
connected() { lab_status 1 | grep -q 'peer site2: connected'; }
lab_wait 10 connected && echo "ok - stunmesh status shows site2 connected" ||
	fail "status does not show site2 connected"
