#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Tears down a lab left running by tests/lab/up.sh (or by a test run with LAB_KEEP=1):
#   tests/lab/down.sh [NAME]      (default NAME: up)
# Stops what the lab started (by the PIDs it recorded), deletes the namespaces
# sm-NAME-*, the wireguard-go sockets smNAME*, and the lab's directory.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lib.sh
[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 1; }
LAB=${1:-up}
LAB_DIR=""
if [ -f "/tmp/sm-lab-$LAB.dir" ]; then
	LAB_DIR=$(cat "/tmp/sm-lab-$LAB.dir")
else
	# a kept test lab: the newest directory of that name
	LAB_DIR=$(ls -dt /tmp/sm-lab-"$LAB".?????? 2>/dev/null | head -n 1)
fi
export LAB LAB_DIR
unset LAB_KEEP LAB_NOT_OURS
lab_down
rm -f "/tmp/sm-lab-$LAB.dir"
# directories of earlier runs killed before their trap ran still hold PID files
for d in /tmp/sm-lab-"$LAB".??????; do
	ls "$d"/*.pid >/dev/null 2>&1 && rm -rf "$d"
done
left=$(ip netns list | awk '{print $1}' | grep "^sm-$LAB-")
[ -z "$left" ] || { echo "still there: $left" >&2; exit 1; }
echo "lab $LAB is down"
