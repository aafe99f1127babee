#!/bin/sh
# An sks.db from before schema 2 (no MAC on the SMK pointer) is upgraded
# when opened and its pointer gets its MAC at the first login that opens
# the SMK, with the retired ids hsm.db remembers; but only a pointer whose
# SMK opens the partition's blobs: one edited (to the pending SMK of a
# rollover that died) is refused (exit 4) with no MAC written and no wrap
# gone. Once MACed, an edit is refused as in sks-pointer-edit.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"

sks_hsm h
sks_part h p1 1
P="hsm:$T/h#p1"
S=$T/h/sks.db
hsm key generate "$P" --type aes --label k --count 4 --pin-file "$CO" >/dev/null
hsm sks rollover "$P" --pin-file "$CO" >/dev/null
expect_exit 137 env COFFER_TEST_CRASH_AT=rollover-pending \
	hsm sks rollover "$P" --pin-file "$CO"
db() { sqlite3 "$T/h/hsm.db" "$1"; }
cur=$(db "SELECT hex(smk_id) FROM smk WHERE state = 1")
pend=$(db "SELECT hex(smk_id) FROM smk WHERE state = 0")
old=$(db "SELECT hex(smk_id) FROM smk WHERE state = 2")
[ ${#pend} = 32 ] && [ ${#old} = 32 ] || fail "setup: want a pending and a retired SMK"

# sks.db as schema 1 wrote it
sqlite3 "$S" "ALTER TABLE part DROP COLUMN mac; ALTER TABLE part DROP COLUMN
	retired; UPDATE meta SET value = '1' WHERE key = 'schema_version'"
hsm partition show "$P" >/dev/null
[ "$(sqlite3 "$S" "SELECT value FROM meta WHERE key = 'schema_version'")" = 2 ] ||
	fail "sks.db was not upgraded"
[ "$(sqlite3 "$S" "SELECT mac IS NULL FROM part")" = 1 ] ||
	fail "a MAC was written without the PSK"

# an old pointer that names the wrong SMK gets no MAC
sqlite3 "$S" "UPDATE part SET smk_id = X'$pend'"
wraps() { db "SELECT hex(smk_id), state, hex(wrap) FROM smk ORDER BY gen"; }
wraps >"$T/before"
expect_exit 4 hsm sks show "$P" --pin-file "$CO"
grep -q "does not open under the SMK sks.db names" "$T/.err" ||
	{ cat "$T/.err"; fail "the refusal does not say the blobs disagree"; }
[ "$(sqlite3 "$S" "SELECT mac IS NULL FROM part")" = 1 ] ||
	fail "a MAC was written for a pointer whose SMK opens no blob"
wraps | cmp -s - "$T/before" || fail "a wrap changed"

# the right one does, with the retired id
sqlite3 "$S" "UPDATE part SET smk_id = X'$cur'"
hsm sks show "$P" --pin-file "$CO" >/dev/null
[ "$(sqlite3 "$S" "SELECT length(mac), hex(retired) FROM part")" = "32|$old" ] ||
	fail "the pointer's MAC or retired list was not written"
grep -q '"event":"smk-pointer"' "$T/h/audit.log" || fail "no audit event"
keys_work "$P" k 4
sqlite3 "$S" "UPDATE part SET smk_id = X'$pend'"
expect_exit 4 hsm sks show "$P" --pin-file "$CO"
grep -q "fails its MAC" "$T/.err" || { cat "$T/.err"; fail "MAC not checked"; }
hsm audit verify "$T/h" >/dev/null
echo "sks-pointer-migrate: ok"
