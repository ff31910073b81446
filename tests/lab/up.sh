#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds a NAT lab and leaves it running, for debugging by hand.
#   tests/lab/up.sh [-s] [-n NAME] KIND...
# One site per KIND (public, cone, prc, sym, double), numbered 1..N in order, each with
# wireguard-go (interface smNAMEn, tunnel 198.18.0.n) knowing every other site as a
# peer, and a stunmesh configuration $LAB_DIR/siteN.yaml (file store $LAB_DIR/store).
# -s also starts stunmesh on every site. NAME defaults to "up" (namespaces sm-up-*).
# Tear it down with: tests/lab/down.sh [NAME]
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lib.sh

start=0 name=up
while getopts sn: o; do
	case $o in
	s) start=1 ;;
	n) name=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-s] [-n NAME] KIND... (public cone prc sym double)" >&2; exit 2; }
[ $# -le 15 ] || { echo "at most 15 sites" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }
[ ${#name} -le 6 ] || { echo "NAME: at most 6 characters (interface names sm<NAME><n>)" >&2; exit 2; }
if ip netns list | grep -q "^sm-$name-"; then
	echo "a lab named $name is up already: tests/lab/down.sh $name" >&2
	exit 1
fi
for k in "$@"; do
	case $k in public | cone | prc | sym | double) ;; *) echo "unknown kind $k" >&2; exit 2 ;; esac
done
[ $start -eq 0 ] || [ -x ./stunmesh ] || { echo "./stunmesh is not built (make)" >&2; exit 1; }

# the daemons must outlive this script and the terminal it ran in
trap '' HUP
fail() { echo "$*; tearing down" >&2; lab_down; exit 1; }
lab_up "$name" || fail "lab setup failed"
n=0
for k in "$@"; do
	n=$((n + 1))
	lab_site $n "$k" || fail "site $n failed"
	lab_wg $n || fail "wireguard-go on site $n failed"
done
sites=$(seq 1 $n)
for a in $sites; do
	others=""
	for b in $sites; do
		[ "$a" = "$b" ] && continue
		lab_wg_peer "$a" "$b"
		others="$others $b"
	done
	# shellcheck disable=SC2086
	lab_stunmesh_config "$a" $others
done
if [ $start -eq 1 ]; then
	for a in $sites; do lab_stunmesh_start "$a"; done
fi
echo "$LAB_DIR" >"/tmp/sm-lab-$name.dir"
echo 0 >"/tmp/sm-lab-$name.owner" # kept: only down.sh takes it away

cat <<TXT
lab "$name" is up; files, configs, logs and PIDs in $LAB_DIR
  namespaces:     $(ip netns list | awk '{print $1}' | grep "^sm-$name-" | sort | tr '\n' ' ')
TXT
for a in $sites; do
	echo "  site $a ($(cat "$LAB_DIR/site$a.kind")): public $(lab_site_public_ip "$a"), interface sm$name$a, tunnel 198.18.0.$a"
done
cat <<TXT
enter a site's host:  ip netns exec sm-$name-h1 bash
  wg show sm${name}1
  ./stunmesh -c $LAB_DIR/site1.yaml          (if not started with -s)
  ./stunmesh status --socket $LAB_DIR/site1.sock
  ./stunmesh stun --port 51820 --server 198.51.100.10:3478 --server 198.51.100.11:3478
  ping 198.18.0.2
a NAT router:         ip netns exec sm-$name-r1 nft list ruleset; ... conntrack -L
the STUN servers:     sm-$name-stun (198.51.100.10 and .11, port 3478)
tear down:            tests/lab/down.sh $name
TXT
