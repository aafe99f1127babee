#!/bin/sh
# SIGHUP makes a running `backupd run` re-read its configuration between
# jobs: a job added to the file runs at once without a restart; a broken
# file is refused with its line, at error priority, and the running
# configuration goes on.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 2
hsm partition create "hsm:$T/h#p2" --pin-file "$SO" >/dev/null
hsm partition init "hsm:$T/h#p2" --new-pin-file "$PO" \
	--domain-pin-file "$DOM" --domain-string "$(domstr "$DOM")" >/dev/null
hsm role init "hsm:$T/h#p2" --role co --pin-file "$PO" --new-pin-file "$CO" \
	>/dev/null
store_init s
cat >"$T/conf" <<CONF
store dir:$T/s
interval 1h
job one from=hsm:$T/h#p1 pin-file=$CO backup-pin-file=$BK kdf=test
CONF
count() { restore list --from "dir:$T/s" --json | jq '.backups | length'; }
wait_for() { # wait_for N: until the store holds N backups (10 s at most)
	i=0
	while [ "$(count)" -lt "$1" ] && [ $i -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	[ "$(count)" -ge "$1" ]
}

JOURNAL_STREAM=8:1 backupd run --config "$T/conf" 2>"$T/run.err" &
pid=$!
wait_for 1 || fail "job one did not run"

echo "job two from=hsm:$T/h#p2 pin-file=$CO backup-pin-file=$BK kdf=test" \
	>>"$T/conf"
kill -HUP "$pid"
wait_for 2 || { cat "$T/run.err" >&2; fail "the added job did not run"; }
grep -q "reloaded $T/conf: 2 jobs" "$T/run.err" || fail "no reload line"
restore list --from "dir:$T/s" --label p2 --latest >/dev/null ||
	fail "no backup of p2"

echo "interval soon" >>"$T/conf"
kill -HUP "$pid"
sleep 1
kill -0 "$pid" || fail "a broken configuration stopped the daemon"
grep -q '^<3>backupd: reload: .*line 5 is not valid.*running configuration is kept' \
	"$T/run.err" || { cat "$T/run.err" >&2; fail "broken reload not logged"; }
kill -TERM "$pid"
wait "$pid" || fail "exit after SIGTERM"
[ "$(count)" -eq 2 ] || fail "a job ran again before its interval"
echo "backupd-reload: ok"
