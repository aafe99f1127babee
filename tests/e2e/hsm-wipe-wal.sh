#!/bin/sh
# A wrap that is deleted or replaced survives nowhere on disk, even while
# another process keeps hsm.db open (so the WAL is not folded back when
# the command exits): after a credential change and after a domain is
# removed, the old wrap's bytes are in none of hsm.db, hsm.db-wal and
# hsm.db-shm (secure_delete for the database, a TRUNCATE checkpoint after
# the commit for the WAL).
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"

hsm_setup h
P="hsm:$T/h#p1"
db=$T/h/hsm.db
db_hold "$db"

old=$(sqlite3 "$db" "SELECT lower(hex(psk_wrap)) FROM role WHERE role = 2")
[ ${#old} -gt 64 ] || fail "setup: no CO wrap read"
NEW=$(pinfile new "new-co-secret-2")
hsm role change "$P" --role co --pin-file "$CO" --new-pin-file "$NEW" >/dev/null
[ -f "$db-wal" ] || fail "setup: the WAL is gone (no other connection?)"
nowhere "$db" "$old" "credential change"

D2=$(pinfile d2 "second-domain-secret")
domains add "$P" --label extra --domain-pin-file "$D2" --domain-string "$(domstr "$D2")" \
	--pin-file "$PO" >/dev/null
old=$(sqlite3 "$db" "SELECT lower(hex(wrap)) FROM domain WHERE label = 'extra'")
[ ${#old} -gt 64 ] || fail "setup: no domain wrap read"
domains remove "$P" extra --pin-file "$PO" >/dev/null
nowhere "$db" "$old" "domain removal"
db_release
echo "hsm-wipe-wal: ok"
