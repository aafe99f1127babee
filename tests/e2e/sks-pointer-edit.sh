#!/bin/sh
# sks.db's SMK pointer edited to name a pending SMK row (as a rollover
# killed at the right moment leaves one) while the blobs stay under the
# real SMK: the next login must not settle the stores by destroying the
# real SMK's wrap. It is refused (exit 4, naming both SMKs), nothing is
# deleted, and with the pointer put back every blob opens again.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"

sks_hsm h
sks_part h v1 1
U="hsm:$T/h#v1"
hsm key generate "$U" --type aes --label k --count 20 --pin-file "$CO" >/dev/null
db=$T/h/hsm.db
sks=$T/h/sks.db
pid=$(sqlite3 "$db" "SELECT id FROM partition WHERE label = 'v1'")
real=$(sqlite3 "$sks" "SELECT hex(smk_id) FROM part")
fake=00112233445566778899AABBCCDDEEFF
sqlite3 "$db" "INSERT INTO smk (partition_id, smk_id, gen, state, wrap, created)
	VALUES ($pid, X'$fake', 2, 0, X'01', 0)"
sqlite3 "$sks" "UPDATE part SET smk_id = X'$fake'"
wraps_before=$(sqlite3 "$db" "SELECT count(*) FROM smk WHERE wrap IS NOT NULL")

expect_exit 4 hsm sks verify "$U" --pin-file "$CO"
grep -qi "names SMK $fake for partition 'v1' but its blobs are under SMK $real" \
	"$T/.err" || { cat "$T/.err" >&2; fail "the edit is not named"; }
[ "$(sqlite3 "$db" "SELECT count(*) FROM smk WHERE wrap IS NOT NULL")" = \
	"$wraps_before" ] || fail "a wrap was deleted"
[ "$(sqlite3 "$db" "SELECT count(*) FROM smk WHERE smk_id = X'$real' AND
	state = 1 AND wrap IS NOT NULL")" = 1 ] || fail "the real SMK lost its wrap"

sqlite3 "$sks" "UPDATE part SET smk_id = X'$real'"
sqlite3 "$db" "DELETE FROM smk WHERE smk_id = X'$fake'"
hsm sks verify "$U" --pin-file "$CO" | grep -q "^20 blob(s) open" ||
	fail "the blobs do not open with the pointer put back"
echo "sks-pointer-edit: ok"
