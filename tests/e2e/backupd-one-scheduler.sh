#!/bin/sh
# One scheduler per store (issue 11, item 7): a second `backupd run` on a
# store that one already schedules is refused at once, naming the holder's
# pid, and writes nothing (no backup, no metrics); once the first stops, the
# second runs.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 1
store_init s
cat >"$T/conf" <<CONF
store dir:$T/s
interval 1h
keep last 5
metrics $T/m.prom
job pay from=hsm:$T/h#p1 pin-file=$CO backup-pin-file=$BK kdf=test
CONF
backupd run --config "$T/conf" 2>"$T/first.err" &
first=$!
i=0
until grep -q "job pay: p1_" "$T/first.err" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || { kill "$first"; cat "$T/first.err"; fail "the first run never ran its job"; }
	sleep 0.1
done
cp "$T/m.prom" "$T/m.before"
sleep 1
expect_exit 1 backupd run --config "$T/conf" --once
grep -q "another 'backupd run' (pid $first) schedules backups into $T/s" "$T/.err" ||
	{ cat "$T/.err"; kill "$first"; fail "the second run does not name the first"; }
[ "$(restore list --from "dir:$T/s" --json | jq '.backups | length')" -eq 1 ] ||
	{ kill "$first"; fail "the refused run made a backup"; }
cmp -s "$T/m.prom" "$T/m.before" || { kill "$first"; fail "the refused run wrote metrics"; }
kill "$first"
wait "$first" || true
backupd run --config "$T/conf" --once 2>"$T/second.err" ||
	{ cat "$T/second.err"; fail "the second run after the first stopped"; }
echo "backupd-one-scheduler: ok"
