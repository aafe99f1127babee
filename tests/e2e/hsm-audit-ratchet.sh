#!/bin/sh
# The audit MAC key ratchets: hsm.db keeps only the next record's key. A
# thief who copies hsm.db and audit.log after N records and rewrites
# record k < N (a failed login made a success), re-MACing it and all after
# it under the only key on disk and fixing the head and the digest in
# hsm.db, is caught by the SO's 'hsm audit verify', which names record k.
# The records' MACs match what openssl computes for the ratchet from the
# stored key onwards (docs/formats.md 3.2).
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/audit.sh"

audit_setup
k=$(grep -n '"result":"fail"' "$T/h/audit.log" | head -n 1 | cut -d: -f1)
[ -n "$k" ] || fail "no failed login in the log"

# the records written next are MACed under the stored key and its
# successors, and hsm.db keeps the key after the last one
key=$(db_hex "$T/h" "SELECT hex(audit_key) FROM hsm")
n0=$(wc -l <"$T/h/audit.log")
hsm key generate "$P" --type aes --label k1 --pin-file "$CO" >/dev/null
hsm key generate "$P" --type aes --label k2 --pin-file "$CO" >/dev/null
n=$(wc -l <"$T/h/audit.log")
[ "$n" -gt $((n0 + 1)) ] || fail "expected new records"
key=$(check_ratchet "$T/h/audit.log" $((n0 + 1)) "$key")
[ "$(db_hex "$T/h" "SELECT hex(audit_key) FROM hsm")" = "$key" ] ||
	fail "hsm.db does not hold the next key of the ratchet"
hsm audit verify "$T/h" --pin-file "$SO" >"$T/ok"
grep -q "MACs checked (SO)" "$T/ok" || fail "the SO's verify checks the MACs"

# the thief: a copy of everything on disk after N records
cp -a "$T/h" "$T/stolen"
S=$T/stolen
stored=$(db_hex "$S" "SELECT hex(audit_key) FROM hsm")
sed "${k}s/\"result\":\"fail\"/\"result\":\"ok\"/" "$S/audit.log" >"$T/edited"
set -- $(rechain "$T/edited" "$stored" "$k" "$S/audit.log")
sqlite3 "$S/hsm.db" "UPDATE hsm SET audit_head = X'$1', audit_digest = X'$2',
	audit_size = $3"
sed -n "${k}p" "$S/audit.log" | grep -q '"result":"ok"' ||
	fail "setup: record $k was not rewritten"
# without the SO credential the files agree with each other ...
hsm audit verify "$S" >/dev/null
# ... the SO's check does not: record k was not MACed under its own key
expect_exit 4 hsm audit verify "$S" --pin-file "$SO"
grep -q "line $k (seq $k) fails its MAC" "$T/.err" ||
	fail "the rewritten record is named: $(cat "$T/.err")"
# the original is untouched and verifies
hsm audit verify "$T/h" --pin-file "$SO" >/dev/null
echo "hsm-audit-ratchet: ok"
