#!/bin/sh
# SMK clone gates: across cloning domains nothing is sent and nothing
# written; onto a V1 partition holding objects under another SMK it is
# refused (exit 3, the message counts and names what would be lost) and
# the target is unchanged; with --force the target takes the SMK, its own
# objects are gone and the source's work there.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"
DOM2=$(pinfile dom2 "another-domain")

sks_hsm h
sks_part h a 1
sks_part h b 1
sks_part h x 1 "$DOM2"
A="hsm:$T/h#a"
B="hsm:$T/h#b"
X="hsm:$T/h#x"
hsm key generate "$A" --type aes --label src --count 20 --pin-file "$CO" >/dev/null
hsm key generate "$B" --type aes --label mine --count 3 --pin-file "$CO" >/dev/null
snap() {
	sqlite3 "$T/h/sks.db" .dump | sha256sum
	sqlite3 "$T/h/hsm.db" ".dump partition role domain object smk" | sha256sum
}
smk() { hsm partition show "$1" --json | sed 's/.*"smk_id":"\([0-9a-f]*\)".*/\1/'; }

# across domains
snap >"$T/s0"
expect_exit 3 clone --from "$A" --to "$X" --from-pin-file "$CO" --to-pin-file "$CO"
grep -q "no cloning domain in common" "$T/.err" || { cat "$T/.err"; fail "domain message"; }
snap | cmp -s - "$T/s0" || fail "a refused clone across domains wrote"

# overwrite refused
before=$(smk "$B")
expect_exit 3 clone --from "$A" --to "$B" --from-pin-file "$CO" --to-pin-file "$CO"
grep -q "holds 3 object(s) ('mine-1', 'mine-2', 'mine-3')" "$T/.err" ||
	{ cat "$T/.err"; fail "the message does not say what would be lost"; }
grep -q -- "--force" "$T/.err" || fail "the message does not name --force"
snap | cmp -s - "$T/s0" || fail "a refused SMK overwrite wrote"
[ "$(smk "$B")" = "$before" ] || fail "the SMK changed"
key_works "$B" mine-2

# forced
clone --from "$A" --to "$B" --force --from-pin-file "$CO" --to-pin-file "$CO" >"$T/forced"
grep -q "3 object(s) under its previous SMK were erased" "$T/forced" ||
	{ cat "$T/forced"; fail "the forced clone does not say what it erased"; }
grep -q '"event":"clone".*3 objects under the previous SMK erased' "$T/h/audit.log" ||
	fail "the audit log does not record the erased objects"
[ "$(smk "$B")" = "$(smk "$A")" ] || fail "the forced clone did not take the SMK"
hsm key list "$B" --pin-file "$CO" >"$T/list"
grep -q "^mine-" "$T/list" && fail "objects under the old SMK survived"
keys_work "$B" src 20
live=$(sqlite3 "$T/h/hsm.db" "SELECT count(*) FROM smk s JOIN partition p ON p.id = s.partition_id WHERE p.label = 'b' AND s.wrap IS NOT NULL")
[ "$live" = 1 ] || fail "the old SMK of b is still wrapped ($live)"
hsm audit verify "$T/h" >/dev/null
echo "sks-smk-refused ok"
