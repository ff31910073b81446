#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# An exec plugin for the concurrency tests: $1 is a directory, $2 how long to take.
# While it runs, a file named by its pid is in $1/run; it appends how many plugin
# processes it saw alive (itself included: a file in $1/run whose process exists and
# is not a zombie, since a killed plugin leaves its file behind) to $1/seen and its
# request to $1/started, then answers "not found".
d=$1
read -r line
echo "$line" >>"$d/started"
touch "$d/run/$$"
n=0
for f in "$d"/run/*; do
	p=${f##*/}
	if [ -r "/proc/$p/stat" ] && ! grep -q "^$p ([^)]*) Z" "/proc/$p/stat" 2>/dev/null; then
		n=$((n + 1))
	fi
done
echo "$n" >>"$d/seen"
sleep "${2:-0.05}"
rm -f "$d/run/$$"
echo '{"success":false,"error":"not found"}'
