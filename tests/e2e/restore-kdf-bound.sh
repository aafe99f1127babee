#!/bin/sh
# A forged KDF byte in a backup's header cannot make restore run a costly
# Argon2id profile before refusing (issue 11, item 7): the profile is
# capped (moderate by default, --max-kdf to raise it), and the refusal
# names the profile and the option; the target is unchanged.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 2
store_init s
name=$(backup_of h s)
mkdir "$T/x"
(cd "$T/x" && tar xf "$T/s/$name")
# magic (8), version (2), length (2), stream id (16), then the KDF profile
header_set_byte "$T/x" 28 004 # test -> sensitive (1 GiB)
cbk_rebuild "$T/x" "$T/s/$name"
before=$(hsm_state h)
expect_exit 3 restore_to h s "$name" add
grep -q "asks for the 'sensitive' KDF profile, costlier than the 'moderate' allowed" \
	"$T/.err" || { cat "$T/.err"; fail "the refusal does not name the profile"; }
grep -q -- "--max-kdf sensitive" "$T/.err" || fail "the refusal does not name the option"
[ "$(hsm_state h)" = "$before" ] || fail "the refused restore changed the target"
expect_exit 2 restore_to h s "$name" add --max-kdf huge
# a real backup under the default cap restores as before
sleep 1
good=$(backup_of h s)
restore_to h s "$good" add >/dev/null
echo "restore-kdf-bound: ok"
