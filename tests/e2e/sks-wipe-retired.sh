#!/bin/sh
# A retired SMK's wrap survives nowhere on disk, even while another
# process keeps hsm.db open (so the WAL is not folded back when the
# command exits): after a clone --force gives partition b the SMK of a,
# the wrap of b's previous SMK (read from hsm.db before) is in none of
# hsm.db, hsm.db-wal and hsm.db-shm.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"

sks_hsm h
sks_part h a 1
sks_part h b 1
A="hsm:$T/h#a"
B="hsm:$T/h#b"
db=$T/h/hsm.db
hsm key generate "$A" --type aes --label src --count 3 --pin-file "$CO" >/dev/null
hsm key generate "$B" --type aes --label mine --pin-file "$CO" >/dev/null

db_hold "$db"

old=$(sqlite3 "$db" "SELECT lower(hex(s.wrap)) FROM smk s JOIN partition p ON p.id = s.partition_id WHERE p.label = 'b' AND s.state = 1")
[ ${#old} -gt 64 ] || fail "setup: no SMK wrap of b read"
clone --from "$A" --to "$B" --force --from-pin-file "$CO" \
	--to-pin-file "$CO" >/dev/null
[ -f "$db-wal" ] || fail "setup: the WAL is gone (no other connection?)"
nowhere "$db" "$old" "retired SMK"
key_works "$B" src-2
db_release
echo "sks-wipe-retired: ok"
