#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Full-tunnel safety of the cloudflare store: with a fwmark, the connections to the API
# carry it from their first packet (SO_MARK is set before connect). Runs the fwmark
# case of the cmocka test (which starts tests/cloudflare_fake.py on 127.0.0.1) inside
# a fresh network namespace whose nftables output chain counts client SYNs per mark.
set -u
cd "$(dirname "$0")/../.." || exit 1
ns=sm-cf-mark
bin=build/test/test_store_cloudflare
log=$(mktemp /tmp/sm-cf-mark.XXXXXX)
cleanup() {
	ip netns del "$ns" 2>/dev/null
	rm -f "$log"
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then
	echo "skip - cloudflare fwmark: needs root (network namespace, nftables)"
	exit 0
fi
for c in ip nft python3; do
	if ! command -v $c >/dev/null 2>&1; then
		echo "skip - cloudflare fwmark: $c is not installed"
		exit 0
	fi
done
if [ ! -x $bin ]; then
	echo "skip - cloudflare fwmark: $bin is not built (make $bin)"
	exit 0
fi

ip netns del "$ns" 2>/dev/null
ip netns add "$ns" || { echo "not ok - cloudflare fwmark: cannot create $ns"; exit 1; }
ip -n "$ns" link set lo up
ip netns exec "$ns" nft -f - <<'NFT' || { echo "not ok - cloudflare fwmark: nft"; exit 1; }
table inet smcfmark {
	chain out {
		type filter hook output priority 0; policy accept;
		meta mark 0x00005a5a tcp flags & (syn | ack) == syn counter
		meta mark 0x00000077 tcp flags & (syn | ack) == syn counter
	}
}
NFT

if timeout 120 ip netns exec "$ns" env CF_TEST_FILTER=test_fwmark $bin >"$log" 2>&1 &&
	grep -q '^\[  PASSED  \] 1 test' "$log"; then
	echo "ok - cloudflare store works with fwmarks 0x5a5a and 0x77"
else
	echo "not ok - cloudflare store with a fwmark:"; cat "$log"
fi

rules=$(ip netns exec "$ns" nft list chain inet smcfmark out)
for m in 00005a5a 00000077; do
	n=$(echo "$rules" | sed -n "s/.*meta mark 0x$m .*counter packets \([0-9]*\) .*/\1/p")
	if [ -n "$n" ] && [ "$n" -gt 0 ]; then
		echo "ok - connections of an operation with fwmark 0x$m carry it from the SYN ($n)"
	else
		echo "not ok - no SYN with mark 0x$m; rules:"; echo "$rules"
	fi
done
