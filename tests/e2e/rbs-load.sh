#!/bin/sh
# Concurrent clients through one rbs server: RBS_CLIENTS (default 20; the
# bench runs 100) clients, each with its own identity and store, each
# backing up a small partition at the same time: every backup lands and
# verifies, and the server's log has one COMMIT per client.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"
. "$here/helpers/rbs.sh"

N=${RBS_CLIENTS:-20}
bk_setup h 10
P="hsm:$T/h#p1"
stores=""
k=0
while [ $k -lt "$N" ]; do
	k=$((k + 1))
	stores="$stores c$k"
done
# shellcheck disable=SC2086
rbs_server srv $stores
rbs_start srv "max-connections $((N + 8))"
for s in $stores; do
	rbs_client "$s" backup "$s"
	as "$s" restore list --from "$(rbs_url "$s")" \
		--server-fingerprint "$SFP" >/dev/null
done
for s in $stores; do
	as "$s" backupd backup --from "$P" --to "$(rbs_url "$s")" \
		--pin-file "$CO" --backup-pin-file "$BK" --kdf test \
		>"$T/$s.name" 2>"$T/$s.err" &
	pids="${pids:-} $!"
done
fails=0
for p in $pids; do
	wait "$p" || fails=$((fails + 1))
done
for s in $stores; do
	[ -s "$T/$s.name" ] || { cat "$T/$s.err"; fail "client $s: no backup"; }
	as "$s" restore verify --from "$(rbs_url "$s")" "$(cat "$T/$s.name")" \
		>/dev/null || fail "client $s: backup does not verify"
done
[ "$fails" -eq 0 ] || fail "$fails clients failed"
[ "$(grep -c 'op=COMMIT .*outcome=ok' "$T/srv.log")" -eq "$N" ] ||
	fail "not $N commits in the server's log"
kill -0 "$SPID" || fail "the server died"
rbs_stop
echo "rbs-load: ok ($N concurrent clients)"
