#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon end to end, in the NAT lab (tests/lab/lib.sh): real wireguard-go, real
# nftables NATs, real coturn STUN servers, the file store.
#  1. two sites behind port-restricted NATs, no keepalive, refresh 10m: they connect
#     (handshake and ping), and the time is printed
#  2. one NAT's public address changes: the tunnel heals by itself (no ping target)
#  3. SIGHUP with a peer added connects it and leaves the other peer's handshake alone
#  4. the wireguard-go interface is deleted and recreated: stunmesh follows
#  5. a store that fails for one peer leaves the others connected, and status says why
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lib.sh

if [ "$(id -u)" -ne 0 ]; then echo "skip - daemon lab: needs root"; exit 0; fi
for t in wireguard-go wg turnserver nft; do
	command -v $t >/dev/null || { echo "skip - daemon lab: $t not installed"; exit 0; }
done

trap lab_down EXIT
lab_up dmn || { echo "not ok - lab setup"; exit 1; }
for n in 1 2 3; do lab_site $n prc; lab_wg $n || { echo "not ok - wireguard-go"; exit 1; }; done
lab_wg_peer 1 2; lab_wg_peer 2 1
lab_wg_peer 1 3; lab_wg_peer 3 1

fail() { echo "not ok - $*"; for f in "$LAB_DIR"/stunmesh*.log; do echo "--- $f"; tail -n 40 "$f"; done; }

# site 1 starts knowing only site 2; site 3 already lists site 1
lab_stunmesh_config 1 2
lab_stunmesh_config 2 1
lab_stunmesh_config 3 1
t0=$(lab_ms)
lab_stunmesh_start 1
lab_stunmesh_start 2
if lab_wait 30 lab_handshake 1 2 && lab_wait 10 lab_ping 1 2; then
	echo "ok - two prc sites connect without keepalive in $(($(lab_ms) - t0)) ms (handshake and ping)"
else
	fail "two prc sites did not connect within 40 s"
	exit 1
fi
connected() { lab_status "$1" | grep -q "peer site$2: connected"; }
lab_wait 5 connected 1 2 && echo "ok - status shows site2 connected" ||
	{ fail "status does not show site2 connected"; lab_status 1; }

# 2. healing after the public address of site 1's NAT changes
sleep 1
t0=$(lab_ms)
lab_readdress 1
if lab_wait 90 lab_ping 1 2; then
	echo "ok - tunnel healed after NAT re-addressing in $(($(lab_ms) - t0)) ms"
else
	fail "no healing within 90 s after re-addressing"
fi

# 3. SIGHUP with site 3 added on site 1
hs12=$(lab_exec h1 wg show "sm${LAB}1" latest-handshakes | awk -v k="$(lab_wg_pub 2)" '$1==k {print $2}')
lab_stunmesh_start 3
lab_stunmesh_config 1 2 3
kill -HUP "$(cat "$LAB_DIR/stunmesh1.pid")"
t0=$(lab_ms)
if lab_wait 30 lab_handshake 1 3 && lab_wait 10 lab_ping 1 3; then
	echo "ok - SIGHUP: added peer connected in $(($(lab_ms) - t0)) ms"
else
	fail "SIGHUP: added peer did not connect"
fi
if lab_ping 1 2 && lab_wait 5 connected 1 2; then
	hs12b=$(lab_exec h1 wg show "sm${LAB}1" latest-handshakes | awk -v k="$(lab_wg_pub 2)" '$1==k {print $2}')
	echo "ok - SIGHUP: site2 still connected (handshake $hs12 -> $hs12b)"
else
	fail "SIGHUP disturbed site2"
fi
grep -q "reload: configuration applied (1 peer added, 0 removed, 1 unchanged)" "$LAB_DIR/stunmesh1.log" &&
	echo "ok - SIGHUP: the log says what changed" || fail "SIGHUP: no reload summary in the log"

# 4. recreate site 2's interface
lab_kill wg2
lab_wait 5 sh -c "! test -S /var/run/wireguard/sm${LAB}2.sock"
priv=$LAB_DIR/wg2.key
lab_bg h2 wg2 env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=verbose wireguard-go -f "sm${LAB}2"
lab_wait 5 test -S "/var/run/wireguard/sm${LAB}2.sock"
lab_exec h2 wg set "sm${LAB}2" private-key "$priv" listen-port 51820
lab_exec h2 ip addr add 198.18.0.2/24 dev "sm${LAB}2"
lab_exec h2 ip link set "sm${LAB}2" up
lab_wg_peer 2 1
t0=$(lab_ms)
if lab_wait 40 lab_ping 2 1; then
	echo "ok - recreated interface reconnected in $(($(lab_ms) - t0)) ms without restarting stunmesh"
else
	fail "recreated interface did not reconnect"
	lab_exec h2 wg show; lab_exec h1 wg show; lab_status 2; lab_status 1
	tail -n 20 "$LAB_DIR/wg2.log"
fi

# 5. a failing store for one peer (site 3 on site 2's daemon), the others unaffected
cat >"$LAB_DIR/broken-plugin.sh" <<'EOS'
#!/bin/sh
cat >/dev/null
echo '{"success":false,"error":"backend is down for maintenance"}'
exit 1
EOS
chmod +x "$LAB_DIR/broken-plugin.sh"
lab_wg_peer 2 3
LAB_EXTRA_PEERS="      site3:
        public_key: \"$(lab_wg_pub 3)\"
        plugin: broken" LAB_EXTRA_PLUGINS="  broken:
    type: exec
    command: $LAB_DIR/broken-plugin.sh" lab_stunmesh_config 2 1
kill -HUP "$(cat "$LAB_DIR/stunmesh2.pid")"
sleep 3
if lab_status 2 | grep -A4 "peer site3" | grep -q "backend is down for maintenance"; then
	echo "ok - status shows the failing store's error"
else
	fail "status does not show the store error"; lab_status 2
fi
if lab_ping 2 1 && lab_wait 5 connected 2 1; then
	echo "ok - a failing store for one peer leaves the other connected"
else
	fail "the failing store disturbed another peer"
fi
lab_status 2 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print("ok - status --json parses:", [p["state"] for p in d["interfaces"][0]["peers"]])' ||
	echo "not ok - status --json"

# 6. --oneshot: site 3's daemon stops; a oneshot run on site 3 finds its tunnel to site 1
# in place and exits 0; with a peer whose store fails it exits 1 and names that peer.
lab_stunmesh_stop 3
if lab_exec h3 ./stunmesh --oneshot --timeout 20s -c "$LAB_DIR/site3.yaml" >"$LAB_DIR/oneshot-ok.log" 2>&1; then
	echo "ok - --oneshot exits 0 when every peer has its endpoint and our record is published"
else
	fail "--oneshot failed: $(tail -n 5 "$LAB_DIR/oneshot-ok.log")"
fi
lab_wg_peer 3 2
LAB_EXTRA_PEERS="      site2:
        public_key: \"$(lab_wg_pub 2)\"
        plugin: broken" LAB_EXTRA_PLUGINS="  broken:
    type: exec
    command: $LAB_DIR/broken-plugin.sh" lab_stunmesh_config 3 1
t0=$(lab_ms)
if lab_exec h3 ./stunmesh --oneshot --timeout 5s -c "$LAB_DIR/site3.yaml" >"$LAB_DIR/oneshot-fail.log" 2>&1; then
	echo "not ok - --oneshot with a failing store exited 0"
elif grep -q "peer sm${LAB}3/site2: .*backend is down for maintenance" "$LAB_DIR/oneshot-fail.log"; then
	echo "ok - --oneshot with a failing store exits 1 after $(($(lab_ms) - t0)) ms and names the peer and why"
else
	echo "not ok - --oneshot failure message"; cat "$LAB_DIR/oneshot-fail.log"
fi
