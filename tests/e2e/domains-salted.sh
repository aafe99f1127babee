#!/bin/sh
# Password domains with a salt of their own (form 2, docs/domains.md):
# partition init says which domain it means; a mistyped domain string is
# caught before anything is written; one password under two strings is two
# domains; a backup names its domains' strings, so a lost inventory entry
# is found again; a legacy (unsalted) domain has no fingerprint, keeps
# working, and is rolled over to a domain string by the documented path;
# an hsm.db of schema 4 keeps its legacy domains.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/clone.sh"
. "$here/helpers/backup.sh"

# partition init: no choice is a usage error that names the three, and
# changes nothing
hsm_new a
hsm partition create "hsm:$T/a#p1" --pin-file "$SO" >/dev/null
before=$(state a)
expect_exit 2 hsm partition init "hsm:$T/a#p1" --new-pin-file "$PO" \
	--domain-pin-file "$DOM"
grep -q -- "--domain-string S" "$T/.err" && grep -q -- "--new-domain" "$T/.err" &&
	grep -q -- "--legacy-domain" "$T/.err" || fail "the choices are not named"
str=$(domstr "$DOM")
# one symbol changed: refused by the string's check, nothing written
bad=$(echo "$str" | sed 's/\(.*\)-\(.\)/\1-\2/' | awk '{
	c = substr($0, length($0) - 2, 1); r = (c == "X") ? "Y" : "X";
	print substr($0, 1, length($0) - 3) r substr($0, length($0) - 1) }')
[ "$bad" != "$str" ] || fail "the test did not change the string"
expect_exit 2 hsm partition init "hsm:$T/a#p1" --new-pin-file "$PO" \
	--domain-pin-file "$DOM" --domain-string "$bad"
grep -q "mistyped" "$T/.err" || fail "a mistyped string is not named"
[ "$(state a)" = "$before" ] || fail "a refused init changed the HSM"
hsm partition init "hsm:$T/a#p1" --new-pin-file "$PO" --domain-pin-file "$DOM" \
	--domain-string "$str" >/dev/null
hsm role init "hsm:$T/a#p1" --role co --pin-file "$PO" --new-pin-file "$CO" >/dev/null
hsm key generate "hsm:$T/a#p1" --type aes --label k --count 3 --pin-file "$CO" >/dev/null

# --new-domain makes another domain of the same password and prints its
# string: the two partitions share no domain
hsm_new b
hsm partition create "hsm:$T/b#p1" --pin-file "$SO" >/dev/null
hsm partition init "hsm:$T/b#p1" --new-pin-file "$PO" --domain-pin-file "$DOM" \
	--new-domain >"$T/init.out"
other=$(sed -n 's/^new password domain //p' "$T/init.out")
[ -n "$other" ] && [ "$other" != "$str" ] || fail "--new-domain printed no new string"
hsm role init "hsm:$T/b#p1" --role co --pin-file "$PO" --new-pin-file "$CO" >/dev/null
before=$(state b)
expect_exit 3 cl a#p1 b#p1
grep -q "domain 'default' was given a different domain string" "$T/.err" ||
	fail "the differing strings are not named"
grep -q -- "domains add --domain-string $str" "$T/.err" || fail "the fix is not named"
[ "$(state b)" = "$before" ] || fail "a refused clone changed the target"
domains add "hsm:$T/b#p1" --label a-domain --domain-pin-file "$DOM" \
	--domain-string "$str" --pin-file "$PO" >/dev/null
cl a#p1 b#p1 --json >"$T/c.json"
json_has '"written":3' "$T/c.json"

# a backup records the string: restore show gives it back
store_init s
backup_of a s >"$T/name"
name=$(cat "$T/name")
restore show --from "dir:$T/s" "$name" >"$T/show"
grep -q "domain string:   $str" "$T/show" || { cat "$T/show"; fail "show: no domain string"; }
restore show --from "dir:$T/s" "$name" --json | jq -e --arg s "$str" \
	'.domains[0].domain_string == $s' >/dev/null || fail "show --json: no domain string"
# and a domain password alone (the salt comes from the backup) checks it deeply
restore verify --deep --from "dir:$T/s" "$name" --domain-pin-file "$DOM" \
	--backup-pin-file "$BK" >/dev/null

# a legacy (unsalted) domain: no fingerprint, flagged in the list, still clones
hsm_new c
for p in p1 p2; do
	hsm partition create "hsm:$T/c#$p" --pin-file "$SO" >/dev/null
	hsm partition init "hsm:$T/c#$p" --new-pin-file "$PO" --domain-pin-file "$DOM2" \
		--legacy-domain >/dev/null
	hsm role init "hsm:$T/c#$p" --role co --pin-file "$PO" --new-pin-file "$CO" >/dev/null
done
domains list "hsm:$T/c#p1" --pin-file "$PO" >"$T/l"
grep -q "legacy unsalted: roll over" "$T/l" || { cat "$T/l"; fail "legacy not flagged"; }
domains list "hsm:$T/c#p1" --pin-file "$PO" --json | jq -e \
	'.domains[0].form == "legacy" and (.domains[0] | has("fingerprint") | not)' \
	>/dev/null || fail "a legacy domain shows a fingerprint"
hsm key generate "hsm:$T/c#p1" --type aes --label k --pin-file "$CO" >/dev/null
cl c#p1 c#p2 >/dev/null
# rollover: the new form-2 domain as primary on both, the legacy one removed
new=$(domstr "$DOM3")
for p in p1 p2; do
	domains add "hsm:$T/c#$p" --label salted --primary --domain-pin-file "$DOM3" \
		--domain-string "$new" --pin-file "$PO" >/dev/null
	domains remove "hsm:$T/c#$p" default --pin-file "$PO" >/dev/null
done
hsm key generate "hsm:$T/c#p1" --type aes --label k2 --pin-file "$CO" >/dev/null
cl c#p1 c#p2 --sync --json >"$T/r.json"
json_has '"domain":"salted"' "$T/r.json"
json_has '"written":1' "$T/r.json"

# an hsm.db of schema 4 (before domain salts) opens and keeps its domain
hsm_new d
hsm partition create "hsm:$T/d#p1" --pin-file "$SO" >/dev/null
hsm partition init "hsm:$T/d#p1" --new-pin-file "$PO" --domain-pin-file "$DOM2" \
	--legacy-domain >/dev/null
# (schema 6's audit table and columns go too, or its upgrade cannot run;
# the audit log of this fake is not verified)
sqlite3 "$T/d/hsm.db" "ALTER TABLE domain DROP COLUMN salt;
	DROP TABLE audit_epoch; ALTER TABLE hsm DROP COLUMN audit_digest;
	ALTER TABLE hsm DROP COLUMN audit_sign_seed;
	UPDATE meta SET value = '4' WHERE key = 'schema_version';"
domains list "hsm:$T/d#p1" --pin-file "$PO" --json | jq -e \
	'.domains[0].form == "legacy"' >/dev/null || fail "schema 4 domain lost"
[ "$(sqlite3 "$T/d/hsm.db" "SELECT value FROM meta WHERE key = 'schema_version'")" -ge 5 ] ||
	fail "schema not upgraded"
# a salt written into a legacy row makes the domain refuse to open
sqlite3 "$T/d/hsm.db" "UPDATE domain SET salt = zeroblob(16)"
expect_exit 4 domains list "hsm:$T/d#p1" --pin-file "$PO"
grep -q "hsm.db was altered" "$T/.err" || fail "an edited salt is not caught"
echo "domains-salted: ok"
