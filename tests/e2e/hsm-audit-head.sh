#!/bin/sh
# 'hsm audit export' writes the committed log and a signed head of it
# (docs/formats.md 3.3), whose Ed25519 signature openssl verifies under
# 'hsm audit pubkey'. 'hsm audit verify --head' holds while the log only
# grows, and refuses (exit 4, naming the head's seq) a past rewritten by a
# thief who fixed hsm.db to match, a log cut short, a head with a flipped
# signature byte and another HSM's head.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/audit.sh"

audit_setup
hsm audit export "$T/h" --out "$T/exp.log" >"$T/out"
H=$T/exp.log.head
[ -f "$H" ] || fail "no head beside the export"
for f in "$T/exp.log" "$H"; do
	[ "$(stat -c %a "$f")" = 600 ] || fail "$f is not 0600"
done
seq=$(sed -n 's/^seq //p' "$H")
size=$(sed -n 's/^size //p' "$H")
[ "$(wc -l <"$T/exp.log")" = "$seq" ] || fail "the export holds $seq records"
head -c "$size" "$T/h/audit.log" | cmp -s - "$T/exp.log" ||
	fail "the export is not the log's first $size bytes"
tail -n 1 "$T/exp.log" | grep -q '"event":"audit-export"' ||
	fail "the export is recorded, and the head covers it"
expect_exit 1 hsm audit export "$T/h" --out "$T/exp.log"

# the signature, checked by openssl under the published key
pk=$(hsm audit pubkey "$T/h")
[ "$(sed -n 's/^pubkey //p' "$H")" = "$pk" ] || fail "pubkey differs"
hex_to_file "302a300506032b6570032100$pk" "$T/pk.der"
head -n 8 "$H" >"$T/signed"
hex_to_file "$(sed -n 's/^signature //p' "$H")" "$T/sig"
openssl pkeyutl -verify -pubin -keyform DER -inkey "$T/pk.der" -rawin \
	-in "$T/signed" -sigfile "$T/sig" >/dev/null ||
	fail "openssl does not verify the head's signature"

# the log grows: the head still holds
hsm key generate "$P" --type aes --label k1 --pin-file "$CO" >/dev/null
hsm audit verify "$T/h" --head "$H" >"$T/ok"
grep -q "seq $seq" "$T/ok" || fail "the head's seq is named"
hsm audit verify "$T/h" --head "$H" --json >"$T/v.json"
json_has "\"head_file_seq\":$seq" "$T/v.json"

fresh() {
	rm -rf "$T/c"
	cp -a "$T/h" "$T/c"
}

# a thief with hsm.db rewrites record 3 and fixes the head and the digest:
# hsm.db agrees, the head kept off the host does not
fresh
stored=$(db_hex "$T/c" "SELECT hex(audit_key) FROM hsm")
sed '3s/"result":"ok"/"result":"fail"/' "$T/c/audit.log" >"$T/edited"
set -- $(rechain "$T/edited" "$stored" 3 "$T/c/audit.log")
sqlite3 "$T/c/hsm.db" "UPDATE hsm SET audit_head = X'$1', audit_digest = X'$2',
	audit_size = $3"
hsm audit verify "$T/c" >/dev/null
expect_exit 4 hsm audit verify "$T/c" --head "$H"
grep -q "up to seq $seq was edited, rewritten or cut" "$T/.err" ||
	fail "the rewrite is named with the head's seq: $(cat "$T/.err")"

# cut short (and hsm.db made to match): fewer records than the head's
fresh
head -n $((seq - 2)) "$T/h/audit.log" >"$T/c/audit.log"
set -- $(rechain "$T/c/audit.log" "$stored" 999999 "$T/cut")
sqlite3 "$T/c/hsm.db" "UPDATE hsm SET audit_head = X'$1', audit_digest = X'$2',
	audit_size = $3, audit_seq = $((seq - 2))"
hsm audit verify "$T/c" >/dev/null
expect_exit 4 hsm audit verify "$T/c" --head "$H"
grep -q "records up to seq $seq were removed" "$T/.err" ||
	fail "the cut is named with the head's seq: $(cat "$T/.err")"

# a changed signature byte (its hex digits stay hex digits)
sig=$(sed -n 's/^signature //p' "$H")
case $(echo "$sig" | cut -c5) in 0) d=1 ;; *) d=0 ;; esac
bad=$(echo "$sig" | cut -c1-4)$d$(echo "$sig" | cut -c6-)
sed "s/^signature .*/signature $bad/" "$H" >"$T/flipped.head"
cmp -s "$H" "$T/flipped.head" && fail "setup: the signature did not change"
expect_exit 4 hsm audit verify "$T/h" --head "$T/flipped.head"
grep -q "seq $seq) fails its signature" "$T/.err" ||
	fail "the bad signature is named: $(cat "$T/.err")"
# a head edited to vouch for fewer records: the signature fails too
sed "s/^seq $seq\$/seq $((seq - 1))/" "$H" >"$T/edited.head"
expect_exit 4 hsm audit verify "$T/h" --head "$T/edited.head"
grep -q "fails its signature" "$T/.err" || fail "an edited head is refused"

# another HSM's head
hsm init "$T/o" --label other --kdf test --pin-file "$SO" >/dev/null
hsm audit export "$T/o" --head "$T/other.head" >/dev/null
expect_exit 4 hsm audit verify "$T/h" --head "$T/other.head"
grep -q "signed by another key" "$T/.err" || fail "another HSM's head"
expect_exit 1 hsm audit verify "$T/h" --head "$T/nonexistent"
hsm audit verify "$T/h" --head "$H" >/dev/null
echo "hsm-audit-head: ok"
