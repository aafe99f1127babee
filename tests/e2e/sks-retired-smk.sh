#!/bin/sh
# A V1 partition does not quietly take back an SMK it retired: after an
# SMK rollover, restoring a backup made before it (which carries the old
# SMK) is refused (exit 3, the message names the retired SMK and --force)
# and leaves hsm.db, sks.db and the audit log as they were; with --force
# the restore takes the old SMK back, the backup's keys work and the SMK
# retired by that switch is the one the rollover made.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"
. "$here/helpers/backup.sh"

sks_hsm h
sks_part h p1 1
P="hsm:$T/h#p1"
hsm key generate "$P" --type aes --label k --count 10 --pin-file "$CO" >/dev/null
store_init s
name=$(backup_of h s)
smk() { hsm partition show "$P" --json | sed 's/.*"smk_id":"\([0-9a-f]*\)".*/\1/'; }
old=$(smk)
hsm sks rollover "$P" --pin-file "$CO" >/dev/null
new=$(smk)
[ "$new" != "$old" ] || fail "setup: the rollover kept the SMK"
state() { hsm_state h; sqlite3 "$T/h/sks.db" .dump | sha256sum; }
before=$(state)

expect_exit 3 restore_to h s "$name" replace
grep -q "the incoming SMK $old was retired on partition 'p1'" "$T/.err" ||
	{ cat "$T/.err"; fail "the refusal does not name the retired SMK"; }
grep -q -- "add --force" "$T/.err" || fail "the refusal does not name --force"
[ "$(state)" = "$before" ] || fail "a refused restore changed the HSM"
[ "$(smk)" = "$new" ] || fail "the SMK changed"

restore_to h s "$name" replace --force >/dev/null
[ "$(smk)" = "$old" ] || fail "--force did not take the retired SMK back"
keys_work "$P" k 10
hsm sks verify "$P" --pin-file "$CO" >/dev/null
# the rollover's SMK is the retired one now: taking it back is refused too
retired=$(sqlite3 "$T/h/hsm.db" "SELECT lower(hex(smk_id)) FROM smk WHERE state = 2 AND wrap IS NULL ORDER BY retired DESC LIMIT 1")
[ "$retired" = "$new" ] || fail "the rollover's SMK was not retired ($retired)"
hsm audit verify "$T/h" >/dev/null
echo "sks-retired-smk: ok"
