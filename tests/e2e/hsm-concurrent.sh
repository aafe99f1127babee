#!/bin/sh
# Two writers at once (two bulk key generations into one partition, plus a
# reader): both succeed, every key is there, the database passes
# PRAGMA integrity_check and the audit chain verifies.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
hsm_setup h
P="hsm:$T/h#p1"
hsm key generate "$P" --type aes --label a --count 3000 --pin-file "$CO" >"$T/a.out" 2>&1 &
pa=$!
hsm key generate "$P" --type generic --size 128 --label b --count 3000 --pin-file "$CO" >"$T/b.out" 2>&1 &
pb=$!
hsm partition show "$P" >/dev/null
wait $pa || { cat "$T/a.out"; fail "first writer failed"; }
wait $pb || { cat "$T/b.out"; fail "second writer failed"; }
hsm partition show "$P" --json >"$T/s.json"
json_has '"objects":6000' "$T/s.json"
n=$(hsm key list "$P" --pin-file "$CO" --json | grep -o '"label"' | wc -l)
[ "$n" -eq 6000 ] || fail "listed $n objects"
[ "$(sqlite3 "$T/h/hsm.db" 'PRAGMA integrity_check;')" = ok ] || fail "integrity_check"
[ "$(sqlite3 "$T/h/hsm.db" "SELECT count(*) FROM object")" -eq 6000 ] || fail "row count"
hsm audit verify "$T/h" >/dev/null
echo "hsm-concurrent: ok"
