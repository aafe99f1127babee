#!/bin/sh
# An HSM from before hsm.db schema 6 (one fixed audit key in clear, every
# record MACed under it) is upgraded when opened: its old records keep
# verifying under that key, the ratchet starts at the next record (its
# MACs match openssl's), the first write computes the digest and makes the
# head-signing key, and the SO's next login wraps the old key under the
# SO's credential and erases it from hsm.db and its WAL.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/audit.sh"

audit_setup

# the HSM as schema 5 left it: one fixed key K
K=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f
set -- $(rechain "$T/h/audit.log" "$K" 1 "$T/v1.log")
cp "$T/v1.log" "$T/h/audit.log"
sqlite3 "$T/h/hsm.db" "DROP TABLE audit_epoch;
	ALTER TABLE hsm DROP COLUMN audit_digest;
	ALTER TABLE hsm DROP COLUMN audit_sign_seed;
	UPDATE hsm SET audit_key = X'$K', audit_head = X'$1', audit_size = $3;
	UPDATE meta SET value = '5' WHERE key = 'schema_version'"
n=$(wc -l <"$T/h/audit.log")

# opened: upgraded, the old records verify under K with no credential
hsm audit verify "$T/h" --json >"$T/v.json"
json_has "\"macs_checked\":$n" "$T/v.json"
json_has '"digest_checked":false' "$T/v.json"
[ "$(sqlite3 "$T/h/hsm.db" "SELECT value FROM meta WHERE
	key = 'schema_version'")" = 6 ] || fail "hsm.db was not upgraded"
[ "$(db_hex "$T/h" "SELECT first_seq, ratchet_seq, hex(key) FROM
	audit_epoch")" = "1|$((n + 1))|$K" ] || fail "the old chain's epoch"
rm -rf "$T/c" && cp -a "$T/h" "$T/c"
sed -i '2s/"role":"so"/"role":"po"/' "$T/c/audit.log"
expect_exit 4 hsm audit verify "$T/c"
grep -q "line 2 (seq 2) fails its MAC" "$T/.err" || fail "an old edit"

# the next records ratchet from K
hsm key generate "$P" --type aes --label k1 --pin-file "$CO" >/dev/null
m=$(wc -l <"$T/h/audit.log")
key=$(check_ratchet "$T/h/audit.log" $((n + 1)) "$K")
[ "$(db_hex "$T/h" "SELECT hex(audit_key) FROM hsm")" = "$key" ] ||
	fail "hsm.db does not hold the ratchet's next key"
[ "$(sqlite3 "$T/h/hsm.db" "SELECT audit_digest IS NOT NULL AND
	audit_sign_seed IS NOT NULL FROM hsm")" = 1 ] ||
	fail "the first write computes the digest and the signing key"
hsm audit verify "$T/h" --json >"$T/v.json"
json_has "\"macs_checked\":$m" "$T/v.json"
json_has '"digest_checked":true' "$T/v.json"

# zeroized before any SO login and re-initialized: the new SO gets K
cp -a "$T/h" "$T/z"
hsm zeroize "$T/z" --tamper >/dev/null
SO2=$(pinfile so2 "so-secret-2")
hsm init "$T/z" --label z --kdf test --pin-file "$SO2" >/dev/null
[ "$(sqlite3 "$T/z/hsm.db" "SELECT count(*) FROM audit_epoch WHERE
	key IS NOT NULL")" = 0 ] || fail "K stays in clear after a re-init"
hsm audit verify "$T/z" --pin-file "$SO2" --json >"$T/v.json"
json_has "\"macs_checked\":$(wc -l <"$T/z/audit.log")," "$T/v.json"

# the SO's login wraps K and erases it
db_hold "$T/h/hsm.db"
hsm audit verify "$T/h" --pin-file "$SO" --json >"$T/v.json"
json_has "\"macs_checked\":$((m + 1))" "$T/v.json"
[ "$(sqlite3 "$T/h/hsm.db" "SELECT count(*) FROM audit_epoch WHERE
	key IS NOT NULL OR wrap IS NULL")" = 0 ] || fail "K was not wrapped"
# ... and starts a new epoch: K's ratchet gives no key after the login
[ "$(sqlite3 "$T/h/hsm.db" "SELECT count(*) FROM audit_epoch")" = 2 ] ||
	fail "the SO's login starts an epoch"
nowhere "$T/h/hsm.db" "$K" "the old audit key"
db_release
hsm audit verify "$T/h" --json >"$T/v.json"
json_has '"macs_checked":0' "$T/v.json"
hsm audit verify "$T/h" --pin-file "$SO" >/dev/null
echo "hsm-audit-migrate: ok"
