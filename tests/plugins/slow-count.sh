#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# An exec plugin for the concurrency tests: $1 is a directory, $2 how long to take.
# While it runs, a file named by its pid is in $1/run; it appends how many it saw
# running (itself included) to $1/seen and its action and key to $1/started, then
# answers "not found".
d=$1
read -r line
echo "$line" >>"$d/started"
touch "$d/run/$$"
echo "$(ls "$d/run" | wc -l)" >>"$d/seen"
sleep "${2:-0.05}"
rm -f "$d/run/$$"
echo '{"success":false,"error":"not found"}'
