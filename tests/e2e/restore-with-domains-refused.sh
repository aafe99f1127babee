#!/bin/sh
# restore --with-domains checks every missing domain's secret against the
# backup before anything is written: a wrong password for one of them
# refuses the whole restore (exit 3, the domain named) and leaves the
# target byte for byte as it was; without a PO credential it is a usage
# error; the right secret brings the domain back.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 2
P="hsm:$T/h#p1"
D2=$(pinfile d2 "second-site-domain")
domains add "$P" --label site-b --domain-pin-file "$D2" --domain-string "$(domstr "$D2")" \
	--pin-file "$PO" >/dev/null
store_init s
name=$(backup_of h s)

hsm_setup g
mkdir -m 700 "$T/dd"
pinfile wrong "not-site-b-domain" >/dev/null
cp "$T/wrong" "$T/dd/site-b.pin"
before=$(hsm_state g)
expect_exit 2 restore --from "dir:$T/s" --backup "$name" --to "hsm:$T/g#p1" \
	--replace --pin-file "$CO" --backup-pin-file "$BK" --with-domains \
	--domain-dir "$T/dd"
grep -q "give --po-pin-file" "$T/.err" || fail "no PO credential: message"
expect_exit 3 restore --from "dir:$T/s" --backup "$name" --to "hsm:$T/g#p1" \
	--replace --pin-file "$CO" --backup-pin-file "$BK" --with-domains \
	--domain-dir "$T/dd" --po-pin-file "$PO"
grep -q "the secret given for cloning domain 'site-b' is not the one the backup recorded" \
	"$T/.err" || { cat "$T/.err" >&2; fail "the wrong domain is not named"; }
grep -q "the target is unchanged" "$T/.err" || fail "message: unchanged"
[ "$(hsm_state g)" = "$before" ] || fail "a refused restore changed the target"

cp "$D2" "$T/dd/site-b.pin"
restore --from "dir:$T/s" --backup "$name" --to "hsm:$T/g#p1" --replace \
	--pin-file "$CO" --backup-pin-file "$BK" --with-domains --domain-dir "$T/dd" \
	--po-pin-file "$PO" --json | jq -e '.domains_added == 1' >/dev/null ||
	fail "the right secret did not bring the domain back"
domains list "hsm:$T/g#p1" --role co --pin-file "$CO" --json |
	jq -e '[.domains[].label] | index("site-b") != null' >/dev/null ||
	fail "site-b is not on the target"
echo "restore-with-domains-refused: ok"
