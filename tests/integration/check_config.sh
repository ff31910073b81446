#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `stunmesh check-config` on the seed README's examples and stunmesh-go's current schema
# (all accepted), and on broken variants, each of which must be rejected with the
# file:line:column its first line names.
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=./stunmesh
out=$(mktemp -d /tmp/sm-cc.XXXXXX)
trap 'rm -rf "$out"' EXIT
export CLOUDFLARE_API_TOKEN=token-one-TOPSECRET CLOUDFLARE2_API_TOKEN=token-two-TOPSECRET

for f in tests/configs/*.yaml; do
	name=$(basename "$f" .yaml)
	if $bin check-config -c "$f" >"$out/$name.out" 2>"$out/$name.err"; then
		if grep -q TOPSECRET "$out/$name.out" "$out/$name.err"; then
			echo "not ok - accepts $name but prints a secret"
		elif grep -q ': error:' "$out/$name.err"; then
			echo "not ok - accepts $name yet printed errors"
		else
			echo "ok - accepts $name"
		fi
	else
		echo "not ok - rejects $name:"; cat "$out/$name.err"
	fi
done

for f in tests/configs/broken/*.yaml; do
	name=$(basename "$f" .yaml)
	want=$(sed -n '1s/^# expect: //p' "$f")
	$bin check-config -c "$f" >"$out/$name.out" 2>"$out/$name.err"
	rc=$?
	if [ $rc -ne 3 ]; then
		echo "not ok - $name: exit $rc, want 3"; cat "$out/$name.err"
	elif ! grep -qF "$f:$want" "$out/$name.err"; then
		echo "not ok - $name: no '$f:$want' in:"; cat "$out/$name.err"
	else
		echo "ok - rejects $name with $f:${want%%: error*}"
	fi
	# the daemon refuses it with the same words, before touching anything
	timeout 20 $bin run -c "$f" --oneshot --timeout 1s >/dev/null 2>"$out/$name.run"
	rc=$?
	if [ $rc -eq 3 ] && grep -qF "$f:$want" "$out/$name.run"; then
		echo "ok - the daemon rejects $name the same way"
	else
		echo "not ok - the daemon on $name: exit $rc"; cat "$out/$name.run"
	fi
done

# The option tables in docs/configuration.md are the ones this build prints.
$bin check-config --store-options >"$out/options.md"
if python3 - "$out/options.md" docs/configuration.md <<'EOF'
import sys
blocks = [b for b in open(sys.argv[1]).read().split("\n\n") if b.strip()]
docs = open(sys.argv[2]).read()
missing = [b.splitlines()[0] for b in blocks if b.strip("\n") not in docs]
for m in missing:
    print("  not in the docs:", m)
sys.exit(1 if missing or not blocks else 0)
EOF
then
	echo "ok - docs/configuration.md has every store's options as the schema says"
else
	echo "not ok - docs/configuration.md and the store schemas differ (stunmesh check-config --store-options)"
fi

# Secrets the schema marks are masked, argument secrets by their flag; what is
# printed reads back.
cat >"$out/secrets.yaml" <<'EOF'
plugins:
  cf: {type: cloudflare, zone_name: example.com, api_token: "tok-TOPSECRET-1"}
  ex: {type: exec, command: p, args: [-zone, example.com, --token=TOPSECRET-2, -password, TOPSECRET-3]}
EOF
if $bin check-config -c "$out/secrets.yaml" >"$out/secrets.out" 2>"$out/secrets.err" &&
	! grep -q TOPSECRET "$out/secrets.out" "$out/secrets.err" &&
	grep -qF '"--token=********"' "$out/secrets.out" &&
	$bin check-config -q -c "$out/secrets.out" 2>/dev/null; then
	echo "ok - check-config masks secrets and prints a file that reads back"
else
	echo "not ok - secrets in check-config output"; cat "$out/secrets.out" "$out/secrets.err"
fi

# No file at all: a clear message, exit 3; a missing -c file likewise.
if $bin check-config --config-dir "$out" 2>"$out/nodir.err"; then
	echo "not ok - empty --config-dir accepted"
elif grep -q "no config.yaml or config.yml in $out" "$out/nodir.err"; then
	echo "ok - empty --config-dir is reported"
else
	echo "not ok - empty --config-dir message"; cat "$out/nodir.err"
fi
# Go-style single-dash flags that stunmesh-go service files use.
if $bin -version | grep -q '^stunmesh '; then echo "ok - -version"; else echo "not ok - -version"; fi
$bin -config tests/configs/seed-vyos.yaml -oneshot >/dev/null 2>"$out/dash.err"
if grep -q "unrecognized option" "$out/dash.err"; then
	echo "not ok - -config/-oneshot flags"; cat "$out/dash.err"
else
	echo "ok - -config and -oneshot are accepted as stunmesh-go spells them"
fi
