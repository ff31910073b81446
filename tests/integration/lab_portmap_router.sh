#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The lab's port-mapping router (tests/lab/portmap.sh): miniupnpd on a symmetric NAT
# (masquerade random,fully-random) serving NAT-PMP, PCP and UPnP IGD to its LAN. With
# Debian's own clients (natpmpc, upnpc) and stunmesh's NAT-PMP/PCP codecs
# (build/tools/portmap_client) from the LAN host: the router says its public address,
# maps UDP 51820 / 51821 / 51822, and a packet from the internet to the mapped port
# reaches the host, whose answer leaves from the mapped port (not a random one);
# deleting the mapping closes it again; a restart starts the epoch again. Lab "pmr":
# namespaces sm-pmr-*.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lib.sh

ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }
check() { _d=$1; shift; if "$@"; then ok "$_d"; else nok "$_d"; fi; }

if [ "$(id -u)" -ne 0 ]; then echo "skip - port-mapping router: needs root"; exit 0; fi
for c in nft ip ss python3 natpmpc upnpc conntrack; do
	command -v $c >/dev/null 2>&1 || { echo "skip - port-mapping router: $c not installed (scripts/deps.sh portmap)"; exit 0; }
done
for h in libnftnl/common.h libmnl/libmnl.h uuid/uuid.h openssl/ssl.h cap-ng.h; do
	[ -f "/usr/include/$h" ] || { echo "skip - port-mapping router: /usr/include/$h missing (scripts/deps.sh portmap)"; exit 0; }
done

trap lab_down EXIT
trap 'exit 1' INT TERM HUP
PROBE="python3 $PWD/tests/integration/helpers/udp-probe.py"
T0=$(date +%s)
check "miniupnpd is built (once per machine, build/miniupnpd/)" eval "lab_portmap_bin >/dev/null"
echo "# miniupnpd ready after $(($(date +%s) - T0)) s: $(lab_portmap_bin)"
lab_up pmr || { nok "lab: internet and STUN servers"; exit 1; }
lab_site 1 sym || { nok "lab: site 1"; exit 1; }
lab_portmap 1 sym || { nok "lab: miniupnpd on r1 (log: $(tail -n 5 "$LAB_DIR/miniupnpd-1.log" 2>/dev/null))"; exit 1; }
ok "miniupnpd on sm-pmr-r1 listens on 192.0.2.17 (NAT-PMP/PCP 5351, UPnP 5000)"
WAN=203.0.113.11 HOST=192.0.2.18

# inet_send PORT PAYLOAD [SPORT]: from the internet (sm-pmr-inet) to WAN:PORT; the
# reply line (or "no reply") in $reply
inet_send() {
	reply=$(timeout 10 ip netns exec "sm-$LAB-inet" $PROBE send $WAN "$1" "$2" ${3:+--sport "$3"} --wait 2)
	echo "# inet -> $WAN:$1 '$2': $reply"
}
got() { grep -q "^got $2 from 203.0.113.1:" "$LAB_DIR/$1.log"; }

lab_bg h1 listen-51820 $PROBE listen 0.0.0.0 51820
lab_bg h1 listen-51821 $PROBE listen 0.0.0.0 51821
lab_wait 5 sh -c "ip netns exec sm-$LAB-h1 ss -Huln 'sport = :51821' | grep -q 51821"

# The router really is a symmetric NAT: two destinations see two different ports for
# the host's port 51820 (each random; equal by chance with probability 1/64000).
lab_bg inet sink-a $PROBE listen 203.0.113.1 4001
lab_bg inet sink-b $PROBE listen 203.0.113.1 4002
lab_wait 5 sh -c "ip netns exec sm-$LAB-inet ss -Huln 'sport = :4002' | grep -q 4002"
lab_kill listen-51820
timeout 5 ip netns exec "sm-$LAB-h1" $PROBE send 203.0.113.1 4001 sym-a --sport 51820 --wait 1 >/dev/null
timeout 5 ip netns exec "sm-$LAB-h1" $PROBE send 203.0.113.1 4002 sym-b --sport 51820 --wait 1 >/dev/null
pa=$(sed -n 's/^got sym-a from 203.0.113.11:\([0-9]*\)$/\1/p' "$LAB_DIR/sink-a.log")
pb=$(sed -n 's/^got sym-b from 203.0.113.11:\([0-9]*\)$/\1/p' "$LAB_DIR/sink-b.log")
echo "# host port 51820 seen from the internet as $WAN:$pa and $WAN:$pb"
check "the WAN NAT is symmetric: two destinations saw ports $pa and $pb" \
	[ -n "$pa" ] && [ -n "$pb" ] && [ "$pa" != "$pb" ]
lab_kill sink-a
lab_kill sink-b
lab_exec r1 conntrack -F >/dev/null 2>&1
lab_bg h1 listen-51820 $PROBE listen 0.0.0.0 51820
lab_wait 5 sh -c "ip netns exec sm-$LAB-h1 ss -Huln 'sport = :51820' | grep -q 51820"

inet_send 51820 before-map
check "before any mapping, a packet to $WAN:51820 does not reach the host" \
	eval '! got listen-51820 before-map'

# NAT-PMP (natpmpc from Debian's libnatpmp)
out=$(timeout 15 ip netns exec "sm-$LAB-h1" natpmpc 2>&1)
echo "$out" | sed 's/^/#   /'
check "NAT-PMP: public address is $WAN" eval 'echo "$out" | grep -q "Public IP address : $WAN"'
epoch1=$(echo "$out" | sed -n 's/^epoch = \([0-9]*\)$/\1/p' | tail -n 1)
out=$(timeout 15 ip netns exec "sm-$LAB-h1" natpmpc -a 51820 51820 udp 3600 2>&1)
echo "$out" | sed 's/^/#   /'
check "NAT-PMP: natpmpc -a 51820 51820 udp 3600 is mapped" \
	eval 'echo "$out" | grep -q "Mapped public port 51820 protocol UDP to local port 51820 liftime 3600"'
check "NAT-PMP: the router holds a DNAT of UDP 51820 to $HOST:51820" \
	eval 'lab_portmap_rules 1 | grep -q "dport 51820 dnat ip to $HOST:51820"'
inet_send 51820 via-natpmp
check "NAT-PMP: a packet from the internet to $WAN:51820 reaches the host" got listen-51820 via-natpmp
check "NAT-PMP: the host's answer comes back from $WAN:51820 (the mapped port)" \
	eval 'echo "$reply" | grep -q "^reply echo via-natpmp from $WAN:51820$"'
out=$(timeout 15 ip netns exec "sm-$LAB-h1" natpmpc -a 51820 51820 udp 0 2>&1)
check "NAT-PMP: lifetime 0 deletes the mapping" eval '! lab_portmap_rules 1 | grep -q "dport 51820 "'
inet_send 51820 after-delete 40001
check "NAT-PMP: after the delete a new flow to $WAN:51820 does not get in" \
	eval '! got listen-51820 after-delete'

# The same gateway through stunmesh's own codecs (proto/natpmp, proto/pcp) from one
# socket: NAT-PMP and PCP answers are told apart by their version byte.
TOOL=build/tools/portmap_client
pm() { out=$(timeout 15 ip netns exec "sm-$LAB-h1" $TOOL 192.0.2.17 "$@" 2>&1); rc=$?; echo "# portmap_client $*: $out"; }
if [ -x $TOOL ]; then
	lab_bg h1 listen-51822 $PROBE listen 0.0.0.0 51822
	lab_wait 5 sh -c "ip netns exec sm-$LAB-h1 ss -Huln 'sport = :51822' | grep -q 51822"
	pm natpmp public
	check "codec NAT-PMP: public address $WAN" eval 'echo "$out" | grep -q "^natpmp: public $WAN epoch [0-9]*$"'
	pm natpmp map 51820 51820 120
	check "codec NAT-PMP: UDP 51820 mapped for 120 s" \
		eval 'echo "$out" | grep -q "^natpmp: mapped udp 51820 -> 51820 lifetime 120 "'
	inet_send 51820 via-codec-natpmp 40010
	check "codec NAT-PMP: the mapping lets a packet from the internet in" got listen-51820 via-codec-natpmp
	pm natpmp map 51820 0 0
	check "codec NAT-PMP: lifetime 0 deletes it" eval '[ $rc -eq 0 ] && ! lab_portmap_rules 1 | grep -q "dport 51820 "'
	pm pcp announce
	check "codec PCP: ANNOUNCE answered with the epoch" eval 'echo "$out" | grep -q "^pcp: announce epoch [0-9]*$"'
	pm pcp map 51822 51822 120
	check "codec PCP: MAP of UDP 51822 granted on $WAN:51822" \
		eval 'echo "$out" | grep -q "^pcp: mapped udp 51822 -> $WAN:51822 lifetime 120 "'
	nonce=$(echo "$out" | sed -n 's/.* nonce \([0-9a-f]*\)$/\1/p')
	inet_send 51822 via-pcp 40011
	check "PCP: a packet from the internet to $WAN:51822 reaches the host" got listen-51822 via-pcp
	check "PCP: the host's answer comes back from $WAN:51822" \
		eval 'echo "$reply" | grep -q "^reply echo via-pcp from $WAN:51822$"'
	pm pcp map 51822 51822 300 "$nonce"
	check "codec PCP: renewing with the same nonce extends the lifetime (300 s)" \
		eval 'echo "$out" | grep -q "^pcp: mapped udp 51822 -> $WAN:51822 lifetime 300 "'
	pm pcp map 51822 51822 0 "$nonce"
	check "codec PCP: lifetime 0 with the mapping's nonce deletes it" \
		eval '[ $rc -eq 0 ] && ! lab_portmap_rules 1 | grep -q "dport 51822 "'
	inet_send 51822 after-pcp-delete 40012
	check "PCP: after the delete a new flow to $WAN:51822 does not get in" \
		eval '! got listen-51822 after-pcp-delete'
else
	nok "build/tools/portmap_client is built"
fi

# A router reboot: miniupnpd restarted, its epoch (seconds since it started) begins
# again, which is how a client notices that its mappings are gone.
sleep 2
out=$(timeout 15 ip netns exec "sm-$LAB-h1" natpmpc -a 51820 51820 udp 3600 2>&1)
epoch1=$(echo "$out" | sed -n 's/^epoch = \([0-9]*\)$/\1/p' | tail -n 1)
check "reboot: mapped again before the reboot" eval 'lab_portmap_rules 1 | grep -q "dport 51820 "'
lab_portmap_reboot 1
out=$(timeout 15 ip netns exec "sm-$LAB-h1" natpmpc 2>&1)
epoch2=$(echo "$out" | sed -n 's/^epoch = \([0-9]*\)$/\1/p' | tail -n 1)
check "reboot: the NAT-PMP epoch starts again ($epoch1 before, $epoch2 after)" \
	[ -n "$epoch1" ] && [ -n "$epoch2" ] && [ "$epoch2" -lt "$epoch1" ]
inet_send 51820 after-reboot 40003
check "reboot: the mapping is gone with it" eval '! got listen-51820 after-reboot'

# UPnP IGD (upnpc from Debian's miniupnpc). -i: the lab's WAN is a documentation
# address, which miniupnpc's own reserved-address check calls "not connected".
upnp() { timeout 30 ip netns exec "sm-$LAB-h1" upnpc -i "$@" 2>&1; }
out=$(upnp -s)
echo "$out" | sed 's/^/#   /'
check "UPnP: SSDP finds the IGD at http://192.0.2.17:5000/rootDesc.xml" \
	eval 'echo "$out" | grep -q "desc: http://192.0.2.17:5000/rootDesc.xml"'
check "UPnP: ExternalIPAddress = $WAN" eval 'echo "$out" | grep -q "ExternalIPAddress = $WAN"'
out=$(upnp -e stunmesh-lab -a $HOST 51821 51821 UDP 3600)
echo "$out" | sed 's/^/#   /'
check "UPnP: AddPortMapping UDP 51821 -> $HOST:51821" \
	eval 'echo "$out" | grep -q "external $WAN:51821 UDP is redirected to internal $HOST:51821"'
out=$(upnp -l)
check "UPnP: the mapping is listed with its description" \
	eval 'echo "$out" | grep "51821->$HOST:51821" | grep -q stunmesh-lab'
inet_send 51821 via-upnp
check "UPnP: a packet from the internet to $WAN:51821 reaches the host" got listen-51821 via-upnp
check "UPnP: the host's answer comes back from $WAN:51821" \
	eval 'echo "$reply" | grep -q "^reply echo via-upnp from $WAN:51821$"'
out=$(upnp -d 51821 UDP)
check "UPnP: DeletePortMapping removes the rule" eval '! lab_portmap_rules 1 | grep -q "dport 51821 "'
inet_send 51821 after-upnp-delete 40002
check "UPnP: after the delete a new flow to $WAN:51821 does not get in" \
	eval '! got listen-51821 after-upnp-delete'
check "miniupnpd still running" kill -0 "$(cat "$LAB_DIR/miniupnpd-1.pid")"
