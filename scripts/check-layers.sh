#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The include rule of docs/ARCHITECTURE.md, checked: every #include "layer/file.h" in
# src/ must name a layer the including file's layer may use, and no chain of includes
# between our own files may lead back to where it started. Prints one line per
# violation and exits 1 if there is any; `make check` runs it.
set -u
cd "$(dirname "$0")/.." || exit 2
# layer: the layers it may include (itself included)
allowed() {
	case $1 in
	lib) echo "lib" ;;
	proto) echo "lib proto" ;;
	config) echo "lib proto config" ;;
	net) echo "lib proto net" ;;
	wg) echo "lib proto config net wg" ;;
	store) echo "lib proto config net store" ;;
	daemon) echo "lib proto config net wg store daemon" ;;
	cmd) echo "lib proto config net wg store daemon cmd" ;;
	*) echo "" ;;
	esac
}
bad=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
for f in src/*/*.[ch]; do
	layer=$(basename "$(dirname "$f")")
	ok=$(allowed "$layer")
	if [ -z "$ok" ]; then
		echo "check-layers: $f: folder '$layer' is not a layer (add it to scripts/check-layers.sh and docs/ARCHITECTURE.md)"
		bad=1
		continue
	fi
	for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
		case $inc in
		*/*) ;;
		*)
			# a header beside the file (private to its folder)
			inc="$layer/$inc" ;;
		esac
		il=${inc%%/*}
		[ -f "src/$inc" ] || { echo "check-layers: $f includes \"$inc\", which is not in src/"; bad=1; continue; }
		case " $ok " in
		*" $il "*) ;;
		*) echo "check-layers: $f ($layer) includes $inc ($il): $layer may include only: $ok"; bad=1 ;;
		esac
		echo "${f#src/} $inc" >>"$edges"
	done
done
# cycles: a .c/.h pair counts as one module (foo.c including foo.h is not a cycle)
cyc=$(awk '
	function mod(p) { sub(/\.[ch]$/, "", p); return p }
	{ a = mod($1); b = mod($2); if (a != b && !((a, b) in seen)) { seen[a, b] = 1; out[a] = out[a] " " b } }
	function visit(n, path,   k, parts, i) {
		if (state[n] == 1) { print "check-layers: include cycle: " path " " n; found = 1; return }
		if (state[n] == 2) return
		state[n] = 1
		k = split(out[n], parts, " ")
		for (i = 1; i <= k; i++) visit(parts[i], path " " n " ->")
		state[n] = 2
	}
	END { for (n in out) visit(n, ""); exit found }' "$edges") || true
if [ -n "$cyc" ]; then
	echo "$cyc"
	bad=1
fi
[ $bad -eq 0 ] && echo "check-layers: every include follows the layer rule, no cycles"
exit $bad
