# SPDX-License-Identifier: GPL-2.0-or-later
# TURN servers in the lab: coturn relaying (RFC 8656) on the internet side, in the STUN
# servers' namespace sm-L-stun, sourced by lib.sh. POSIX sh.
#
#   lab_turn_start NAME ADDR lt       long-term credentials: user $LAB_TURN_USER,
#                                     password $LAB_TURN_PASS, realm $LAB_TURN_REALM
#   lab_turn_start NAME ADDR secret   the REST API (use-auth-secret): time-limited
#                                     credentials from $LAB_TURN_SECRET
#   lab_turn_stop NAME
#
# ADDR is a new address on sm-L-stun from 198.51.100.0/25 (the STUN servers' routed
# range; .10 and .11 are taken), e.g. 198.51.100.20; coturn listens on ADDR:3478 and
# relays from ADDR, ports 49152-49999. Logs in $LAB_DIR/turn-NAME.log (coturn logs
# usernames, never passwords). The credentials are test values, in the lab only.

LAB_TURN_USER=${LAB_TURN_USER:-labuser}
LAB_TURN_PASS=${LAB_TURN_PASS:-lab-turn-password}
LAB_TURN_REALM=${LAB_TURN_REALM:-lab.test}
LAB_TURN_SECRET=${LAB_TURN_SECRET:-lab-rest-api-secret}

lab_turn_start() {
	_name=$1 _addr=$2 _mode=$3
	case $_mode in
	lt) set -- --lt-cred-mech --user "$LAB_TURN_USER:$LAB_TURN_PASS" ;;
	secret) set -- --use-auth-secret --static-auth-secret "$LAB_TURN_SECRET" ;;
	*) lab_log "lab_turn_start: mode $_mode is neither lt nor secret"; return 1 ;;
	esac
	lab_exec stun ip addr show dev eth0 | grep -q "inet $_addr/" ||
		lab_exec stun ip addr add "$_addr/25" dev eth0
	# --fingerprint: every answer carries one, as the codec's tests expect of servers
	lab_bg stun "turn-$_name" turnserver "$@" --realm "$LAB_TURN_REALM" \
		--listening-ip "$_addr" --relay-ip "$_addr" --listening-port 3478 \
		--min-port 49152 --max-port 49999 --no-tls --no-dtls --no-cli \
		--fingerprint --verbose --simple-log --log-file stdout \
		--pidfile "$LAB_DIR/turn-$_name.pidfile" --userdb "$LAB_DIR/turn-$_name.db" \
		${LAB_TURN_EXTRA:-} -n
	echo "$_addr" >"$LAB_DIR/turn-$_name.addr"
	lab_wait 10 lab_stun_listening "$_addr" ||
		{ lab_log "TURN server $_name did not start: $(tail -n 5 "$LAB_DIR/turn-$_name.log")"; return 1; }
}

lab_turn_stop() { lab_kill "turn-$1"; }

# lab_turn_rest_user TTL [USER]: a coturn REST API username valid for TTL seconds
# ("<unix expiry>:<user>"); its password is base64(HMAC-SHA1(secret, username)).
lab_turn_rest_user() { echo "$(($(date +%s) + $1)):${2:-$LAB_TURN_USER}"; }

# lab_stun5780_start NAME ADDR1 ADDR2: a STUN server with RFC 5780 support (coturn on
# two addresses, ports 3478 and 3479, no auth): answers carry OTHER-ADDRESS and honour
# CHANGE-REQUEST, so NAT mapping and filtering behaviour can be told apart.
lab_stun5780_start() {
	for _a in "$2" "$3"; do
		lab_exec stun ip addr show dev eth0 | grep -q "inet $_a/" ||
			lab_exec stun ip addr add "$_a/25" dev eth0
	done
	lab_bg stun "stun5780-$1" turnserver --stun-only --no-auth --no-cli --no-tls --no-dtls \
		--listening-ip "$2" --listening-ip "$3" --listening-port 3478 --relay-ip "$2" \
		--simple-log --log-file stdout --pidfile "$LAB_DIR/stun5780-$1.pidfile" \
		--userdb "$LAB_DIR/stun5780-$1.db" -n
	lab_wait 10 lab_stun_listening "$3" ||
		{ lab_log "RFC 5780 STUN server $1 did not start: $(tail -n 5 "$LAB_DIR/stun5780-$1.log")"; return 1; }
}
