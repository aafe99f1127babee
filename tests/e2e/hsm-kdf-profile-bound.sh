#!/bin/sh
# A partition's KDF profile is bound to its PSK: a write to hsm.db that
# switches it to the weak 'test' profile (so that every credential set
# from then on could be guessed cheaply) is refused at the next credential
# change, exit 4, and nothing is set; the old credential still works. A
# partition from before the binding gets it at its first credential use.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"

hsm init "$T/h" --label e2e --kdf test --pin-file "$SO" >/dev/null
P="hsm:$T/h#p1"
hsm partition create "$P" --pin-file "$SO" >/dev/null
hsm partition init "$P" --kdf interactive --new-pin-file "$PO" \
	--domain-pin-file "$DOM" --domain-string "$(domstr "$DOM" interactive)" >/dev/null
hsm role init "$P" --role co --pin-file "$PO" --new-pin-file "$CO" >/dev/null
db=$T/h/hsm.db
[ "$(sqlite3 "$db" "SELECT length(kdf_mac) FROM partition")" = 16 ] ||
	fail "no MAC written at partition init"

# Someone with write access to hsm.db weakens the profile.
sqlite3 "$db" "UPDATE partition SET kdf = 1"   # KDF_TEST
NEW=$(pinfile new "a-new-co-secret")
expect_exit 4 hsm role change "$P" --role co --pin-file "$CO" --new-pin-file "$NEW"
grep -q "KDF profile in hsm.db does not match its MAC" "$T/.err" ||
	{ cat "$T/.err" >&2; fail "the tampering is not named"; }
expect_exit 4 hsm role init "$P" --role cu --pin-file "$CO" --new-pin-file "$CU"
hsm key list "$P" --pin-file "$CO" >/dev/null || fail "the old CO credential"
[ "$(sqlite3 "$db" "SELECT count(*) FROM role WHERE role = 3")" = 0 ] ||
	fail "a CU credential was set under the forged profile"

# Put back, and a partition from before the binding: MAC on first use.
sqlite3 "$db" "UPDATE partition SET kdf = 2, kdf_mac = NULL"
hsm role change "$P" --role co --pin-file "$CO" --new-pin-file "$NEW" >/dev/null
[ "$(sqlite3 "$db" "SELECT length(kdf_mac) FROM partition")" = 16 ] ||
	fail "no MAC recorded at the first use"
hsm key list "$P" --pin-file "$NEW" >/dev/null || fail "the new CO credential"
echo "hsm-kdf-profile-bound: ok"
