#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The size rule of the style guide, checked: no C file in src/ over 800 lines and no
# function over 120 lines. A function is what lies between a "{" and a "}" that both
# stand alone at the start of a line, which is how every definition here is written
# (the opening brace of a definition on its own line). Prints each violation; exits 1
# if there is any. `make check` runs it.
set -u
cd "$(dirname "$0")/.." || exit 2
FILE_MAX=${FILE_MAX:-800}
FUNC_MAX=${FUNC_MAX:-120}
bad=0
for f in src/*/*.c; do
	n=$(wc -l <"$f")
	if [ "$n" -gt "$FILE_MAX" ]; then
		echo "check-size: $f has $n lines (at most $FILE_MAX)"
		bad=1
	fi
done
long=$(awk -v max="$FUNC_MAX" '
	FNR == 1 { start = 0; prev = "" }
	/^\{/ { start = FNR; name = prev }
	/^\}/ && start { len = FNR - start - 1
		if (len > max) printf "check-size: %s:%d: %s is %d lines (at most %d)\n", FILENAME, start, name, len, max
		start = 0 }
	{ if ($0 !~ /^[[:space:]]*$/) prev = $0 }' src/*/*.c)
if [ -n "$long" ]; then
	echo "$long"
	bad=1
fi
[ $bad -eq 0 ] && echo "check-size: every file within $FILE_MAX lines, every function within $FUNC_MAX"
exit $bad
