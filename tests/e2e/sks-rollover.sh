#!/bin/sh
# Online SMK rollover on a V1 partition: every key works after it (old
# ciphertext decrypts, signatures verify), the SMK id and generation move
# on, the old SMK's wrap is gone from hsm.db, and an extract made before
# the rollover is refused with a message naming the rollover, leaving the
# stores exactly as they were.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"

sks_hsm h
sks_part h v1 1
U="hsm:$T/h#v1"
hsm key generate "$U" --type aes --label k --count 500 --pin-file "$CO" >/dev/null
hsm key generate "$U" --type ec --label sig --pin-file "$CO" >/dev/null
echo "before rollover" >"$T/m"
hsm key encrypt "$U" --label k-250 --in "$T/m" --out "$T/m.ct" --pin-file "$CO"
hsm key sign "$U" --label sig --in "$T/m" --out "$T/m.sig" --pin-file "$CO"
hsm sks extract "$U" --out "$T/old.sks" --pin-file "$CO" >/dev/null
hsm sks show "$U" --json --pin-file "$CO" >"$T/before.json"
json_has '"smk_generation":1' "$T/before.json"

hsm sks rollover "$U" --pin-file "$CO" >"$T/roll.out"
grep -q "501 blob(s) re-sealed" "$T/roll.out" || { cat "$T/roll.out"; fail "rollover count"; }
hsm sks show "$U" --json --pin-file "$CO" >"$T/after.json"
json_has '"smk_generation":2' "$T/after.json"
json_has '"retired_generations":1' "$T/after.json"
old=$(sed 's/.*"smk_id":"\([0-9a-f]*\)".*/\1/' "$T/before.json")
new=$(sed 's/.*"smk_id":"\([0-9a-f]*\)".*/\1/' "$T/after.json")
[ "$old" != "$new" ] || fail "the SMK id did not change"

# keys work: old ciphertext, old signature, every blob opens
hsm key decrypt "$U" --label k-250 --in "$T/m.ct" --out "$T/m.rt" --pin-file "$CO"
cmp -s "$T/m" "$T/m.rt" || fail "old ciphertext no longer decrypts"
hsm key verify "$U" --label sig --in "$T/m" --signature "$T/m.sig" \
	--pin-file "$CO" >/dev/null
keys_work "$U" k 500
hsm sks verify "$U" --pin-file "$CO" | grep -q "^501 blob(s) open under SMK $new" ||
	fail "sks verify"

# exactly one SMK wrap is left, the retired one has none
live=$(sqlite3 "$T/h/hsm.db" "SELECT count(*) FROM smk WHERE wrap IS NOT NULL")
[ "$live" = 1 ] || fail "$live SMK wraps left after the rollover"

# the pre-rollover extract is refused by name; nothing changes
hsm key delete "$U" --label k-3 --pin-file "$CO" >/dev/null
sqlite3 "$T/h/sks.db" .dump | sha256sum >"$T/sks.before"
sqlite3 "$T/h/hsm.db" ".dump partition role domain object smk" | sha256sum >"$T/hsm.before"
expect_exit 3 hsm sks insert "$U" --in "$T/old.sks" --conflict skip --pin-file "$CO"
grep -q "retired by an SMK rollover" "$T/.err" || { cat "$T/.err"; fail "message"; }
grep -q "Extract the objects again" "$T/.err" || fail "no advice in the message"
sqlite3 "$T/h/sks.db" .dump | sha256sum | cmp -s - "$T/sks.before" || fail "sks.db changed"
sqlite3 "$T/h/hsm.db" ".dump partition role domain object smk" | sha256sum | cmp -s - "$T/hsm.before" || fail "hsm.db changed"

# a fresh extract goes back in
hsm sks extract "$U" --out "$T/new.sks" --object k-4 --pin-file "$CO" >/dev/null
hsm key delete "$U" --label k-4 --pin-file "$CO" >/dev/null
hsm sks insert "$U" --in "$T/new.sks" --pin-file "$CO" >/dev/null
key_works "$U" k-4
hsm audit verify "$T/h" >/dev/null
echo "sks-rollover ok"
