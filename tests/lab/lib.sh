# SPDX-License-Identifier: GPL-2.0-or-later
# The NAT lab: a simulated internet in network namespaces, sourced by tests, the demo
# and the benchmarks. POSIX sh.
#
# Topology for lab name L (every namespace is sm-L-*):
#
#   sm-L-inet   the internet: bridge br0 with 203.0.113.1/24 and 2001:db8:ffff::1/64,
#               and 198.51.100.1/24 towards the STUN servers
#   sm-L-stun   two STUN servers: coturn on 198.51.100.10:3478 and 198.51.100.11:3478
#               (and [2001:db8:ffff::10]:3478) -- two addresses so that two servers
#               can disagree about a symmetric NAT's port
#   sm-L-rN     site N's NAT router: WAN 203.0.113.(10+N)/24 and 2001:db8:ffff::(100+N)
#               on the bridge, LAN 192.0.2.(16N+1)/28; IPv6 2001:db8:N::1/64 routed, no NAT
#   sm-L-hN     site N's host: 192.0.2.(16N+2)/28, 2001:db8:N::2/64, wireguard-go
#               interface smLN (tunnel address 198.18.0.N/24)
#
# NAT kinds (lab_site L N KIND):
#   public  no NAT: the host's LAN address is routed (198.51.100.(128+N) on the host)
#   cone    full cone: SNAT to the WAN address keeping the port, plus a static DNAT of
#           UDP 51820 to the host
#   prc     port-restricted cone: nftables masquerade (endpoint-independent mapping,
#           address-and-port-dependent filtering)
#   sym     symmetric: masquerade fully-random (iptables: --random-fully), a new port per destination
#   double  two prc NATs stacked (like carrier-grade NAT): host -> sm-L-cN -> sm-L-rN
#
# Everything started is recorded in $LAB_DIR (PIDs, configs, logs); lab_down stops it
# by PID and deletes the namespaces. Call lab_down from a trap on EXIT.

LAB_WG_PORT=${LAB_WG_PORT:-51820}
. tests/lab/portmap.sh # miniupnpd port-mapping routers
. tests/lab/turn.sh # TURN servers (coturn relaying)

lab_log() { printf '%s lab: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

lab_ns() { ip netns exec "sm-$LAB-$1" "$@"; }

# lab_exec NS CMD...: run in namespace sm-$LAB-NS
lab_exec() {
	_ns=$1
	shift
	ip netns exec "sm-$LAB-$_ns" "$@"
}

# lab_bg NS NAME CMD...: start in the background, PID kept in $LAB_DIR/NAME.pid
lab_bg() {
	_ns=$1 _name=$2
	shift 2
	ip netns exec "sm-$LAB-$_ns" "$@" >"$LAB_DIR/$_name.log" 2>&1 &
	echo $! >"$LAB_DIR/$_name.pid"
}

lab_kill() { # NAME: stop what lab_bg started under NAME
	[ -f "$LAB_DIR/$1.pid" ] || return 0
	_pid=$(cat "$LAB_DIR/$1.pid")
	kill "$_pid" 2>/dev/null
	_i=0
	while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 30 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kill -9 "$_pid" 2>/dev/null
	rm -f "$LAB_DIR/$1.pid"
}

# lab_up NAME: the internet and the STUN servers.
#
# /tmp/sm-lab-NAME.owner holds the PID of the shell that owns lab NAME (0: kept up by
# up.sh). Another worktree running the same test at the same time must neither build
# over it nor, from its trap, tear it down: lab_up then fails and lab_down does nothing.
# A run killed with SIGKILL (no trap ran) leaves namespaces, processes and wireguard-go
# sockets behind with a dead owner: lab_up takes them away before building anew.
lab_up() {
	LAB=$1
	LAB_NOT_OURS=""
	export LAB
	_of=/tmp/sm-lab-$LAB.owner
	if ip netns list | grep -q "^sm-$LAB-" || ls /var/run/wireguard/sm"$LAB"*.sock >/dev/null 2>&1; then
		_owner=$(cat "$_of" 2>/dev/null)
		if [ "$_owner" = 0 ]; then
			lab_log "lab $LAB is kept up by up.sh; tear it down first: tests/lab/down.sh $LAB"
			LAB_NOT_OURS=1
			return 1
		fi
		if [ -n "$_owner" ] && [ "$_owner" != $$ ] && kill -0 "$_owner" 2>/dev/null; then
			lab_log "lab $LAB is in use by another run (PID $_owner); not touching it"
			LAB_NOT_OURS=1
			return 1
		fi
		lab_log "removing what an earlier run of lab $LAB left behind"
		_keep=${LAB_KEEP:-}
		LAB_DIR="" LAB_KEEP=1
		lab_down
		LAB_KEEP=$_keep
		# its directory still holds the PID files (a finished run removed them)
		for _d in /tmp/sm-lab-"$LAB".??????; do
			ls "$_d"/*.pid >/dev/null 2>&1 && rm -rf "$_d"
		done
	fi
	echo $$ >"$_of"
	LAB_DIR=$(mktemp -d "/tmp/sm-lab-$LAB.XXXXXX")
	export LAB_DIR
	for n in inet stun; do
		ip netns add "sm-$LAB-$n" || return 1
		lab_exec $n ip link set lo up
		lab_exec $n sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	done
	lab_exec inet ip link add br0 type bridge
	lab_exec inet ip addr add 203.0.113.1/24 dev br0
	lab_exec inet ip -6 addr add 2001:db8:ffff::1/64 dev br0 nodad
	lab_exec inet ip link set br0 up
	# the STUN servers' link
	ip link add "sm$LAB-st0" netns "sm-$LAB-inet" type veth peer name eth0 netns "sm-$LAB-stun"
	lab_exec inet ip link set "sm$LAB-st0" master br0 up
	lab_exec stun ip addr add 203.0.113.2/24 dev eth0
	lab_exec stun ip addr add 198.51.100.10/25 dev eth0
	lab_exec stun ip addr add 198.51.100.11/25 dev eth0
	lab_exec stun ip -6 addr add 2001:db8:ffff::10/64 dev eth0 nodad
	lab_exec stun ip -6 addr add 2001:db8:ffff::11/64 dev eth0 nodad
	lab_exec stun ip link set eth0 up
	lab_exec inet ip route add 198.51.100.0/25 via 203.0.113.2
	lab_exec stun ip route add default via 203.0.113.1
	lab_exec stun ip -6 route add default via 2001:db8:ffff::1
	lab_stun_start a 198.51.100.10 2001:db8:ffff::10
	lab_stun_start b 198.51.100.11 2001:db8:ffff::11
	lab_wait 10 lab_stun_listening 198.51.100.10 &&
		lab_wait 10 lab_stun_listening 198.51.100.11 ||
		{ lab_log "STUN servers did not start (logs in $LAB_DIR)"; return 1; }
}

lab_stun_listening() { lab_exec stun ss -Huln "src $1:3478" | grep -q 3478; }

# lab_stun_start NAME V4 V6: one coturn STUN-only server listening on both addresses.
lab_stun_start() {
	lab_bg stun "stun-$1" turnserver --stun-only --no-cli --no-tls --no-dtls \
		--listening-ip "$2" --listening-ip "$3" --listening-port 3478 \
		--relay-ip "$2" --no-auth --simple-log --log-file stdout \
		--pidfile "$LAB_DIR/turn-$1.pidfile" --userdb "$LAB_DIR/turn-$1.db" -n
}

lab_stun_stop() { lab_kill "stun-$1"; }

# lab_link A B IFA IFB: a veth pair between namespaces sm-$LAB-A and sm-$LAB-B
lab_link() {
	ip link add "$3" netns "sm-$LAB-$1" type veth peer name "$4" netns "sm-$LAB-$2"
	lab_exec "$1" ip link set "$3" up
	lab_exec "$2" ip link set "$4" up
}

# lab_site N KIND: a NAT router and a host behind it (see the header).
lab_site() {
	_n=$1 _kind=$2
	_r="r$_n" _h="h$_n"
	_wan="203.0.113.$((10 + _n))"
	_lan_r="192.0.2.$((16 * _n + 1))" _lan_h="192.0.2.$((16 * _n + 2))"
	for ns in $_r $_h; do
		ip netns add "sm-$LAB-$ns" || return 1
		lab_exec $ns ip link set lo up
	done
	lab_exec $_r sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip link add "sm$LAB-w$_n" netns "sm-$LAB-inet" type veth peer name wan netns "sm-$LAB-$_r"
	lab_exec inet ip link set "sm$LAB-w$_n" master br0 up
	lab_exec $_r ip link set wan up
	lab_exec $_r ip addr add "$_wan/24" dev wan
	lab_exec $_r ip -6 addr add "2001:db8:ffff::$((100 + _n))/64" dev wan nodad
	lab_exec $_r ip route add default via 203.0.113.1
	lab_exec $_r ip -6 route add default via 2001:db8:ffff::1
	lab_exec inet ip -6 route add "2001:db8:$_n::/64" via "2001:db8:ffff::$((100 + _n))"

	_inner=$_r
	if [ "$_kind" = double ]; then
		# carrier-grade NAT in front: the site router's WAN is the CGN's LAN,
		# 198.19.N.0/24 (benchmarking range) between them
		_inner="c$_n"
		ip netns add "sm-$LAB-$_inner" || return 1
		lab_exec $_inner ip link set lo up
		lab_exec $_inner sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
		lab_link $_r $_inner cgn wan
		lab_exec $_r ip addr add "198.19.$_n.1/24" dev cgn
		lab_exec $_inner ip addr add "198.19.$_n.2/24" dev wan
		lab_exec $_inner ip route add default via "198.19.$_n.1"
		lab_exec $_r ip -6 addr add "2001:db8:$_n:1::1/64" dev cgn nodad
		lab_exec $_inner ip -6 addr add "2001:db8:$_n:1::2/64" dev wan nodad
		lab_exec $_inner ip -6 route add default via "2001:db8:$_n:1::1"
		lab_exec $_r ip -6 route add "2001:db8:$_n::/64" via "2001:db8:$_n:1::2"
		lab_nat $_r prc wan "$_wan" ""
	fi
	lab_link $_inner $_h lan eth0
	lab_exec $_inner ip addr add "$_lan_r/28" dev lan
	lab_exec $_inner ip -6 addr add "2001:db8:$_n::1/64" dev lan nodad
	lab_exec $_h ip -6 addr add "2001:db8:$_n::2/64" dev eth0 nodad
	lab_exec $_h ip -6 route add default via "2001:db8:$_n::1"
	if [ "$_kind" = public ]; then
		_pub="198.51.100.$((128 + _n))"
		lab_exec $_h ip addr add "$_pub/32" dev eth0
		lab_exec $_h ip route add "$_lan_r" dev eth0
		lab_exec $_h ip route add default via "$_lan_r" src "$_pub"
		lab_exec $_inner ip route add "$_pub/32" dev lan
		lab_exec inet ip route add "$_pub/32" via "$_wan"
	else
		lab_exec $_h ip addr add "$_lan_h/28" dev eth0
		lab_exec $_h ip route add default via "$_lan_r"
		case $_kind in
		double) lab_nat $_inner prc wan "198.19.$_n.2" "$_lan_h" ;;
		*) lab_nat $_inner "$_kind" wan "$_wan" "$_lan_h" ;;
		esac
	fi
	echo "$_kind" >"$LAB_DIR/site$_n.kind"
}

# lab_nat NS KIND WANIF WANADDR HOSTADDR: the nftables rules of one NAT kind.
lab_nat() {
	case $2 in
	prc) _post="oifname \"$3\" masquerade" _pre="" ;;
	sym) _post="oifname \"$3\" masquerade fully-random" _pre="" ;;
	cone)
		_post="oifname \"$3\" snat ip to $4"
		_pre="iifname \"$3\" udp dport $LAB_WG_PORT dnat ip to $5"
		;;
	*) lab_log "unknown NAT kind $2"; return 1 ;;
	esac
	# Filtering as home and carrier routers do it: nothing unsolicited from the WAN gets
	# in (only the static DNAT of a cone NAT). Without it, a peer's early packet to the
	# router itself would leave a conntrack entry that collides with the mapping the
	# host's reply needs, and Linux would pick another port: not what a real NAT does.
	lab_exec "$1" nft -f - <<EOF
table inet filter {
	chain input {
		type filter hook input priority filter;
		iifname "$3" ct state new drop
	}
	chain forward {
		type filter hook forward priority filter;
		iifname "$3" ct state new ct status dnat accept
		iifname "$3" ct state new drop
	}
}
table ip nat {
	chain prerouting {
		type nat hook prerouting priority dstnat;
		$_pre
	}
	chain postrouting {
		type nat hook postrouting priority srcnat;
		$_post
	}
}
EOF
}

# lab_site_public_ip N: the site's address as the internet sees it.
lab_site_public_ip() {
	case $(cat "$LAB_DIR/site$1.kind") in
	public) echo "198.51.100.$((128 + $1))" ;;
	*) echo "203.0.113.$((10 + $1))" ;;
	esac
}

# lab_readdress N: give site N's NAT a new public address (what a reconnecting LTE
# modem does); conntrack entries of the old address die with it.
lab_readdress() {
	_n=$1 _old="203.0.113.$((10 + _n))" _new="203.0.113.$((100 + _n))"
	[ -f "$LAB_DIR/site$_n.readdressed" ] && _old=$(cat "$LAB_DIR/site$_n.readdressed") &&
		_new="203.0.113.$((${_old##*.} + 20))"
	# deleting the only address takes the routes with it: put them back
	lab_exec "r$_n" ip addr del "$_old/24" dev wan
	lab_exec "r$_n" ip addr add "$_new/24" dev wan
	lab_exec "r$_n" ip route replace default via 203.0.113.1
	lab_exec "r$_n" conntrack -F 2>/dev/null || true
	echo "$_new" >"$LAB_DIR/site$_n.readdressed"
}

# lab_wg N: wireguard-go on site N's host, interface sm$LAB$N, listening on 51820,
# tunnel address 198.18.0.N/24. Keys in $LAB_DIR/wgN.key/.pub.
lab_wg() {
	_n=$1 _if="sm$LAB$1"
	(umask 077 && wg genkey >"$LAB_DIR/wg$_n.key")
	wg pubkey <"$LAB_DIR/wg$_n.key" >"$LAB_DIR/wg$_n.pub"
	lab_bg "h$_n" "wg$_n" env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=${LAB_WG_LOG:-error} wireguard-go -f "$_if"
	_i=0
	while [ ! -S "/var/run/wireguard/$_if.sock" ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -S "/var/run/wireguard/$_if.sock" ] || { lab_log "wireguard-go $_if did not start"; return 1; }
	lab_exec "h$_n" wg set "$_if" private-key "$LAB_DIR/wg$_n.key" listen-port "$LAB_WG_PORT"
	lab_exec "h$_n" ip addr add "198.18.0.$_n/24" dev "$_if"
	lab_exec "h$_n" ip link set "$_if" up
}

lab_wg_ifname() { echo "sm$LAB$1"; }
lab_wg_pub() { cat "$LAB_DIR/wg$1.pub"; }

# lab_wg_peer N M: site N's WireGuard knows site M as a peer (no endpoint)
lab_wg_peer() {
	lab_exec "h$1" wg set "sm$LAB$1" peer "$(cat "$LAB_DIR/wg$2.pub")" allowed-ips "198.18.0.$2/32"
}

# lab_wait SECONDS CMD...: retry CMD every 0.1 s until it succeeds or time runs out.
lab_wait() {
	_deadline=$(($(date +%s%N) / 1000000 + $1 * 1000))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $(($(date +%s%N) / 1000000)) -ge $_deadline ] && return 1
		sleep 0.1
	done
	return 0
}

# lab_down: stop everything lab_bg started, delete the namespaces and the lab dir.
lab_down() {
	[ -n "${LAB:-}" ] || return 0
	[ -z "${LAB_NOT_OURS:-}" ] || return 0
	if [ -d "${LAB_DIR:-}" ]; then
		for p in "$LAB_DIR"/*.pid; do
			[ -f "$p" ] && lab_kill "$(basename "$p" .pid)"
		done
	fi
	for ns in $(ip netns list | awk '{print $1}' | grep "^sm-$LAB-"); do
		# anything still inside (a process we did not start by name) goes too
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
		ip netns del "$ns"
	done
	rm -f /var/run/wireguard/sm"$LAB"*.sock "/tmp/sm-lab-$LAB.owner"
	[ -n "${LAB_KEEP:-}" ] || rm -rf "${LAB_DIR:-/nonexistent}"
}

# lab_stunmesh_config N PEER...: writes $LAB_DIR/siteN.yaml, a stunmesh configuration for
# site N's interface with the given sites as peers, all using the shared file store
# $LAB_DIR/store. Extra YAML for the interface's peers may come in $LAB_EXTRA_PEERS,
# extra plugins in $LAB_EXTRA_PLUGINS.
lab_stunmesh_config() {
	_n=$1
	shift
	mkdir -p "$LAB_DIR/store"
	{
		echo "refresh_interval: ${LAB_REFRESH:-10m}"
		echo "log: {level: ${LAB_LOG_LEVEL:-info}}"
		echo "stun:"
		echo "  addresses: [${LAB_STUN:-\"198.51.100.10:3478\", \"198.51.100.11:3478\"}]"
		echo "control_socket: $LAB_DIR/site$_n.sock"
		echo "interfaces:"
		echo "  sm$LAB$_n:"
		echo "    protocol: ${LAB_PROTOCOL:-ipv4}"
		echo "    peers:"
		for _m in "$@"; do
			echo "      site$_m:"
			echo "        public_key: \"$(cat "$LAB_DIR/wg$_m.pub")\""
			echo "        plugin: ${LAB_PLUGIN:-shared}"
			[ -n "${LAB_PEER_PROTOCOL:-}" ] && echo "        protocol: $LAB_PEER_PROTOCOL"
		done
		[ -n "${LAB_EXTRA_PEERS:-}" ] && printf '%s\n' "$LAB_EXTRA_PEERS"
		echo "plugins:"
		echo "  shared:"
		echo "    type: builtin"
		echo "    name: file"
		echo "    dir: $LAB_DIR/store"
		[ -n "${LAB_EXTRA_PLUGINS:-}" ] && printf '%s\n' "$LAB_EXTRA_PLUGINS"
	} >"$LAB_DIR/site$_n.yaml"
}

# lab_stunmesh_start N: runs stunmesh on site N's host (binary $LAB_STUNMESH, default
# ./stunmesh), log in $LAB_DIR/stunmeshN.log.
lab_stunmesh_start() {
	lab_bg "h$1" "stunmesh$1" "${LAB_STUNMESH:-./stunmesh}" -c "$LAB_DIR/site$1.yaml"
}

lab_stunmesh_stop() { lab_kill "stunmesh$1"; }

# lab_status N [--json]: the daemon's status on site N
lab_status() {
	_n=$1
	shift
	lab_exec "h$_n" "${LAB_STUNMESH:-./stunmesh}" status --socket "$LAB_DIR/site$_n.sock" "$@"
}

# lab_handshake N M: true when site N's WireGuard has a handshake with site M
lab_handshake() {
	_hs=$(lab_exec "h$1" wg show "sm$LAB$1" latest-handshakes |
		awk -v k="$(cat "$LAB_DIR/wg$2.pub")" '$1 == k { print $2 }')
	[ -n "$_hs" ] && [ "$_hs" -gt 0 ]
}

# lab_ping N M: one ping from site N to site M through the tunnel
lab_ping() { lab_exec "h$1" ping -c 1 -W 1 "198.18.0.$2" >/dev/null 2>&1; }

lab_ms() { echo $(($(date +%s%N) / 1000000)); }
