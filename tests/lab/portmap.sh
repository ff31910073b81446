# SPDX-License-Identifier: GPL-2.0-or-later
# The lab's port-mapping router: miniupnpd (NAT-PMP, PCP, UPnP IGD) on a site's NAT
# router, sourced by lib.sh. POSIX sh; callers run from the repository's top.
#
#   lab_site N sym          a site as usual (lib.sh)
#   lab_portmap N [KIND]    site N's router gets miniupnpd's nftables layout, the WAN
#                           NAT of KIND (sym: masquerade random,fully-random, the
#                           default; prc: masquerade), and a miniupnpd serving the LAN
#                           (config $LAB_DIR/miniupnpd-N.conf, log miniupnpd-N.log)
#   lab_portmap_stop N      stops it (miniupnpd leaves its rules in place on SIGTERM)
#   lab_portmap_reboot N    a router reboot: stop, rules and conntrack gone, start
#                           (the NAT-PMP/PCP epoch begins again, SSDP announces anew)
#
# miniupnpd (built by scripts/build-miniupnpd.sh, cached under build/) keeps every rule
# in `table inet filter`: accept rules in chain `miniupnpd` (forward jumps there), DNAT
# rules in `prerouting_miniupnpd`, PCP PEER SNAT rules in `postrouting_miniupnpd`. The
# WAN filtering stays as lab_nat's: nothing unsolicited gets in unless a mapping lets it.

# lab_portmap_bin: the miniupnpd binary (built once per machine if missing)
lab_portmap_bin() {
	if [ -z "${LAB_MINIUPNPD:-}" ]; then
		LAB_MINIUPNPD=$(sh scripts/build-miniupnpd.sh 2>"${LAB_DIR:-/tmp}/miniupnpd-build.err") ||
			{ lab_log "miniupnpd build failed: $(tail -n 3 "${LAB_DIR:-/tmp}/miniupnpd-build.err")"; return 1; }
	fi
	[ -x "$LAB_MINIUPNPD" ] && echo "$LAB_MINIUPNPD"
}

lab_portmap() {
	_n=$1 _kind=${2:-sym}
	case $_kind in
	sym) _masq="masquerade random,fully-random" ;;
	prc) _masq="masquerade" ;;
	*) lab_log "lab_portmap: NAT kind $_kind has no port-mapping router"; return 1 ;;
	esac
	lab_portmap_bin >/dev/null || return 1
	lab_exec "r$_n" nft flush ruleset
	lab_exec "r$_n" nft -f - <<EOF || return 1
table inet filter {
	chain input {
		type filter hook input priority filter;
		iifname "wan" ct state new drop
	}
	chain forward {
		type filter hook forward priority filter;
		iifname "wan" jump miniupnpd
		iifname "wan" ct state new drop
	}
	chain miniupnpd {
	}
	chain prerouting {
		type nat hook prerouting priority dstnat;
		jump prerouting_miniupnpd
	}
	chain postrouting {
		type nat hook postrouting priority srcnat;
		jump postrouting_miniupnpd
		meta nfproto ipv4 oifname "wan" $_masq
	}
	chain prerouting_miniupnpd {
	}
	chain postrouting_miniupnpd {
	}
}
EOF
	echo "$_kind" >"$LAB_DIR/site$_n.portmap"
	lab_portmap_config "$_n"
	lab_portmap_start "$_n"
}

# lab_portmap_config N: $LAB_DIR/miniupnpd-N.conf, a mapping service for site N's LAN
# only (secure mode: a host may map only to itself). The NAT-PMP/PCP epoch counts from
# miniupnpd's start (system_uptime=no), so restarting it looks like a router reboot.
lab_portmap_config() {
	cat >"$LAB_DIR/miniupnpd-$1.conf" <<EOF
ext_ifname=wan
listening_ip=lan
http_port=${LAB_UPNP_HTTP_PORT:-5000}
enable_natpmp=yes
enable_upnp=yes
secure_mode=yes
system_uptime=no
notify_interval=${LAB_UPNP_NOTIFY:-30}
clean_ruleset_interval=600
min_lifetime=${LAB_PCP_MIN_LIFETIME:-20}
max_lifetime=86400
uuid=$(printf '%08x-0000-4000-8000-%012x' "$1" "$$")
allow 1024-65535 192.0.2.$((16 * $1))/28 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
EOF
}

# lab_portmap_start N: miniupnpd in the foreground (-d) on router N, until NAT-PMP and
# UPnP listen on the LAN address.
lab_portmap_start() {
	_bin=$(lab_portmap_bin) || return 1
	lab_bg "r$1" "miniupnpd-$1" "$_bin" -d -f "$LAB_DIR/miniupnpd-$1.conf"
	lab_wait 10 lab_portmap_listening "$1" ||
		{ lab_log "miniupnpd on r$1 did not start: $(tail -n 5 "$LAB_DIR/miniupnpd-$1.log")"; return 1; }
}

lab_portmap_listening() {
	_lan="192.0.2.$((16 * $1 + 1))"
	lab_exec "r$1" ss -Huln "src $_lan:5351" | grep -q 5351 &&
		lab_exec "r$1" ss -Htln "sport = :${LAB_UPNP_HTTP_PORT:-5000}" | grep -q LISTEN
}

lab_portmap_stop() { lab_kill "miniupnpd-$1"; }

lab_portmap_reboot() {
	lab_portmap_stop "$1"
	for _c in miniupnpd prerouting_miniupnpd postrouting_miniupnpd; do
		lab_exec "r$1" nft flush chain inet filter $_c
	done
	lab_exec "r$1" conntrack -F >/dev/null 2>&1
	lab_portmap_start "$1"
}

# lab_portmap_rules N: the DNAT rules miniupnpd holds on router N, one per line
lab_portmap_rules() {
	lab_exec "r$1" nft list chain inet filter prerouting_miniupnpd | grep dnat
}
