# Sourced by rbs scenarios after lib.sh (and helpers/hsm.sh, backup.sh).
#   rbs_server NAME [store...]  server state $T/NAME.state (rbs init), a
#                               dir: store $T/<store> for each store
#                               (default: s), config $T/NAME.conf; sets
#                               $SFP (server fingerprint)
#   rbs_start NAME [extra config lines]   starts `rbs serve` on 127.0.0.1,
#                               port 0 (the kernel picks a free one, so
#                               parallel runs never collide); sets $PORT,
#                               $SPID; logs in $T/NAME.log; stopped on exit
#   rbs_start_again             the same server again (same config)
#   rbs_stop                    stops the server (SIGTERM, waits)
#   rbs_client NAME ROLE STORE...   enrolls $T/NAME.id and registers it
#   rbs_url STORE               rbs://127.0.0.1:$PORT/STORE
#   as CLIENT CMD...            runs CMD with --rbs-identity of CLIENT
rbs_server() {
	n=$1
	shift
	rbs init "$T/$n.state" >"$T/$n.init"
	SFP=$(sed -n 's/^server fingerprint: //p' "$T/$n.init")
	[ -n "$SFP" ] || fail "rbs init printed no fingerprint"
	: >"$T/$n.stores"
	for s in "${@:-s}"; do
		[ -d "$T/$s" ] || backupd init "dir:$T/$s" >/dev/null
		echo "store $s dir:$T/$s" >>"$T/$n.stores"
	done
	RBS_STATE="$T/$n.state"
}

rbs_start() {
	n=$1
	shift
	RBS_NAME=$n
	{
		echo "state $T/$n.state"
		echo "listen 127.0.0.1:0"
		cat "$T/$n.stores"
		for l in "$@"; do echo "$l"; done
	} >"$T/$n.conf"
	rbs_start_again
}

# Starts the server of the last rbs_start again with its configuration.
rbs_start_again() {
	n=$RBS_NAME
	rm -f "$T/$n.port"
	rbs serve --config "$T/$n.conf" --log stderr --port-file "$T/$n.port" \
		2>>"$T/$n.log" &
	SPID=$!
	trap 'kill $SPID 2>/dev/null || true; rm -rf "$T"' EXIT
	_w=0
	while [ ! -s "$T/$n.port" ]; do
		_w=$((_w + 1))
		[ $_w -lt 200 ] || fail "rbs serve did not start: $(cat "$T/$n.log")"
		kill -0 $SPID 2>/dev/null ||
			fail "rbs serve exited: $(cat "$T/$n.log")"
		sleep 0.05
	done
	PORT=$(cat "$T/$n.port")
}

rbs_stop() {
	kill "$SPID" 2>/dev/null || true
	wait "$SPID" 2>/dev/null || true
}

rbs_client() {
	c=$1 role=$2
	shift 2
	rbs enroll --out "$T/$c.id" --name "$c" >/dev/null
	args=""
	for s in "$@"; do args="$args --store $s"; done
	# shellcheck disable=SC2086
	rbs client add "$c" --cert "$T/$c.id/cert.pem" --role "$role" \
		--dir "$RBS_STATE" $args >/dev/null
}

rbs_url() {
	echo "rbs://127.0.0.1:$PORT/$1"
}

as() {
	c=$1
	shift
	"$@" --rbs-identity "$T/$c.id"
}
