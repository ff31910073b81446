#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# RFC 5780 NAT behaviour discovery through proto/stun (CHANGE-REQUEST, OTHER-ADDRESS,
# RESPONSE-ORIGIN) against coturn on two addresses, from each NAT kind of the lab, from
# the WireGuard port: build/tools/nat_behavior must classify every kind as it is built
# (tests/lab/README.md): public and cone endpoint-independent both ways; prc and double
# endpoint-independent mapping, address-and-port-dependent filtering; sym
# address-and-port-dependent both ways, with or without a port-mapping router.
# Lab "nbh": namespaces sm-nbh-*.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lib.sh

ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }

if [ "$(id -u)" -ne 0 ]; then echo "skip - NAT behaviour: needs root"; exit 0; fi
for c in turnserver nft ip ss; do
	command -v $c >/dev/null 2>&1 || { echo "skip - NAT behaviour: $c not installed"; exit 0; }
done
TOOL=build/tools/nat_behavior
[ -x $TOOL ] || { nok "build/tools/nat_behavior is built"; exit 1; }

trap lab_down EXIT
trap 'exit 1' INT TERM HUP
lab_up nbh || { nok "lab: internet and STUN servers"; exit 1; }
kinds="public cone prc sym double"
i=0
for k in $kinds; do
	i=$((i + 1))
	lab_site $i "$k" || { nok "lab: site $i ($k)"; exit 1; }
done
lab_stun5780_start a 198.51.100.23 198.51.100.24 || { nok "coturn with RFC 5780 on .23/.24"; exit 1; }
ok "coturn with RFC 5780 listens on 198.51.100.23 and .24, ports 3478 and 3479"

expect() { # KIND -> "MAPPING FILTERING"
	case $1 in
	public | cone) echo "endpoint-independent endpoint-independent" ;;
	prc | double) echo "endpoint-independent address-and-port-dependent" ;;
	sym) echo "address-and-port-dependent address-and-port-dependent" ;;
	esac
}
i=0
for k in $kinds; do
	i=$((i + 1))
	out=$(timeout 30 ip netns exec "sm-$LAB-h$i" $TOOL --port 51820 198.51.100.23:3478 2>&1)
	echo "$out" | sed "s/^/# site $i ($k): /"
	set -- $(expect $k)
	m=$(echo "$out" | sed -n 's/^mapping: \([a-z-]*\).*/\1/p')
	f=$(echo "$out" | sed -n 's/^filtering: \([a-z-]*\)$/\1/p')
	if [ "$m" = "$1" ] && [ "$f" = "$2" ]; then
		ok "$k: mapping $m, filtering $f"
	else
		nok "$k: mapping '$m' (want $1), filtering '$f' (want $2)"
	fi
	if [ "$k" = public ]; then
		if echo "$out" | grep -q "^answer from 198.51.100.24:3479$"; then
			ok "public: the CHANGE-REQUEST answer says it came from the other address and port (RESPONSE-ORIGIN)"
		else
			nok "public: RESPONSE-ORIGIN of the changed answer is 198.51.100.24:3479"
		fi
	fi
done
out=$(timeout 30 ip netns exec "sm-$LAB-h1" $TOOL --port 51820 198.51.100.10:3478 2>&1)
# coturn on one address names its other port (same IP) as OTHER-ADDRESS: not enough
echo "$out" | sed "s/^/# one-address server: /"
if echo "$out" | grep -q "^OTHER-ADDRESS has the server's own IP"; then
	ok "a server on one address (the lab's usual STUN server) is not taken for an RFC 5780 one"
else
	nok "a one-address server is not taken for an RFC 5780 one"
fi
