#!/bin/sh
# backupd run: the scheduled daemon. --once runs every job of the
# configuration once (a job with a wrong credential fails, is logged and
# sets the exit status; the others are done); retention soft-deletes what
# the policy drops, never the newest; the node_exporter textfile says what
# happened; the loop runs jobs every interval until SIGTERM; a bad
# configuration line is refused with its number.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 10
p2_setup h
store_init s
cat >"$T/conf" <<CONF
# backupd configuration for the test
store dir:$T/s
interval 1s
keep last 1
metrics $T/coffer_backupd.prom
job pay   from=hsm:$T/h#p1 pin-file=$CO backup-pin-file=$BK kdf=test
job other from=hsm:$T/h#p2 pin-file=$CO backup-pin-file=$BK kdf=test role=co
job bad   from=hsm:$T/h#p2 pin-file=$BAD backup-pin-file=$BK kdf=test
CONF

expect_exit 3 backupd run --config "$T/conf" --once
grep -q "job pay: p1_.*: 12 objects" "$T/.err" || fail "job pay not logged"
grep -q "job other: p2_.*: 1 objects" "$T/.err" || fail "job other not logged"
grep -q "job bad: backup of .* failed: wrong credential" "$T/.err" ||
	fail "job bad not logged"
restore list --from "dir:$T/s" --json >"$T/l1"
[ "$(grep -o '"name"' "$T/l1" | wc -l)" -eq 2 ] || fail "want 2 backups"
m="$T/coffer_backupd.prom"
grep -q '^coffer_backup_last_objects{job="pay"} 12.000$' "$m" || fail "metrics: objects"
grep -q '^coffer_backup_last_exit_status{job="bad"} 3.000$' "$m" || fail "metrics: exit"
grep -q '^coffer_backup_failures_total{job="bad"} 1.000$' "$m" || fail "metrics: failures"
grep -q '^coffer_backup_store_backups 2$' "$m" || fail "metrics: store"
grep -q '^# TYPE coffer_backup_last_success_timestamp_seconds gauge$' "$m" ||
	fail "metrics: type lines"

# Without the bad job, the daemon runs every second until SIGTERM; each run
# keeps only the newest backup per partition (the rest go to .trash/).
grep -v '^job bad' "$T/conf" >"$T/conf2"
backupd run --config "$T/conf2" 2>"$T/daemon.err" &
pid=$!
sleep 3
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 0 ] || { cat "$T/daemon.err" >&2; fail "daemon exit $rc"; }
grep -q "stopping on a signal" "$T/daemon.err" || fail "no clean stop"
[ "$(grep -c 'job pay: p1_' "$T/daemon.err")" -ge 2 ] ||
	{ cat "$T/daemon.err" >&2; fail "the daemon did not repeat the job"; }
grep -q "retention: soft-deleted p1_" "$T/daemon.err" || fail "no retention"
restore list --from "dir:$T/s" --json >"$T/l2"
[ "$(grep -o '"name":"p1_' "$T/l2" | wc -l)" -eq 1 ] || fail "keep last 1 (p1)"
[ "$(grep -o '"name":"p2_' "$T/l2" | wc -l)" -eq 1 ] || fail "keep last 1 (p2)"
[ "$(ls "$T/s/.trash" | wc -l)" -ge 2 ] || fail "nothing soft-deleted"
restore verify --from "dir:$T/s" "$(grep -o '"name":"p1_[^"]*"' "$T/l2" |
	cut -d'"' -f4)" >/dev/null

# A bad line: refused with its number, nothing runs.
printf 'store dir:%s\nintervall 1d\n' "$T/s" >"$T/bad.conf"
expect_exit 1 backupd run --config "$T/bad.conf" --once
grep -q "line 2 is not valid" "$T/.err" || fail "bad line not named"
expect_exit 2 backupd run --once
echo "backupd-run: ok"
