#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# packaging/openwrt/files/stunmesh.init against stand-ins for OpenWrt's rc.common, UCI
# and procd shell functions, which record what the script asks procd for: the command
# line, respawn, reload by SIGHUP, the environment from env_file, the reload triggers
# (procd_add_reload_trigger) and the interface triggers; and that it does not start
# without a configuration file or when disabled.
set -u
cd "$(dirname "$0")/../.." || exit 1
init=packaging/openwrt/files/stunmesh.init
tmp=$(mktemp -d /tmp/sm-owrt.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM

# run_init ENABLED CONFIG_DIR FUNCTION: prints the recorded procd calls
run_init() {
	(
		enabled=$1 cdir=$2
		config_load() { :; }
		config_get() { # var section option default
			case $3 in
			config_dir) eval "$1=\$cdir" ;;
			env_file) eval "$1=\$cdir/env" ;;
			reload_on) eval "$1='network firewall'" ;;
			*) eval "$1=\${4:-}" ;;
			esac
		}
		config_get_bool() { eval "$1=\$enabled"; }
		config_list_foreach() { [ "$3" = add_refresh ] && { $3 wan; $3 wwan; }; }
		logger() { echo "logger $*"; }
		for f in procd_open_instance procd_close_instance procd_set_param procd_append_param \
			procd_add_reload_trigger procd_add_interface_trigger; do
			eval "$f() { echo \"$f \$*\"; }"
		done
		. "./$init"
		"$3"
	)
}

mkdir -p "$tmp/etc"
printf 'refresh_interval: 10m\n' >"$tmp/etc/config.yaml"
printf '# tokens\nCLOUDFLARE_API_TOKEN=abc=def\n\nOTHER=1' >"$tmp/etc/env"
out=$(run_init 1 "$tmp/etc" start_service)

check() { # description, expected line
	if echo "$out" | grep -qxF "$2"; then echo "ok - $1"; else
		echo "not ok - $1: no '$2' in:"; echo "$out" | sed 's/^/#   /'; fi
}
check "command runs the daemon on the configured directory" \
	"procd_set_param command /usr/sbin/stunmesh --config-dir $tmp/etc"
check "respawned by procd" "procd_set_param respawn 3600 5 5"
check "reload is SIGHUP, not a restart" "procd_set_param reload_signal HUP"
check "env_file lines reach the environment (values may hold '=')" \
	"procd_append_param env CLOUDFLARE_API_TOKEN=abc=def"
check "last env_file line without a newline is read" "procd_append_param env OTHER=1"
if echo "$out" | grep -q 'env # tokens'; then echo "not ok - comments kept out of the environment"; else
	echo "ok - comments kept out of the environment"; fi

out=$(run_init 1 "$tmp/etc" service_triggers)
check "reload trigger for its own and the listed UCI configs" \
	"procd_add_reload_trigger stunmesh network firewall"
check "refresh when a listed interface comes up" \
	"procd_add_interface_trigger interface.*.up wan /etc/init.d/stunmesh refresh"

out=$(run_init 1 "$tmp/nothing" start_service)
if echo "$out" | grep -q procd_open_instance; then
	echo "not ok - no instance without a configuration file"
else
	echo "ok - no instance without a configuration file"
fi
out=$(run_init 0 "$tmp/etc" start_service)
if [ -z "$out" ]; then echo "ok - disabled in UCI: nothing started"; else
	echo "not ok - disabled in UCI: '$out'"; fi
sh -n "$init" && echo "ok - init script parses" || echo "not ok - init script parses"
