#!/bin/sh
# No cloning domain in common: one clear message naming the problem and the
# fix, exit 3, the target byte for byte as it was (files, hsm.db, audit.log,
# a SQL dump), nothing created; the source logs the refused clone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
. "$(dirname "$0")/helpers/clone.sh"
pair_new "$DOM2"
hsm key generate "hsm:$T/a#p1" --type aes --label k --count 20 --pin-file "$CO" >/dev/null
hsm key generate "hsm:$T/b#p1" --type ec --label mine --pin-file "$CO" >/dev/null
before=$(state b)

expect_exit 3 cl a#p1 b#p1
[ "$(grep -c . "$T/.err")" -eq 1 ] || { cat "$T/.err"; fail "one message, not one per object"; }
grep -q "no cloning domain in common" "$T/.err" || fail "names the problem"
grep -q "domains add" "$T/.err" || fail "names the fix"
grep -q "nothing was written" "$T/.err" || fail "says nothing was written"
[ "$(state b)" = "$before" ] || fail "target changed"

# the same with --json, a selection, and every conflict mode
expect_exit 3 cl a#p1 b#p1 --json
json_has '"result":"failed","exit":3' "$T/.out"
json_has '"written":0' "$T/.out"
for mode in skip replace; do
	expect_exit 3 cl a#p1 b#p1 --on-conflict "$mode" --object k-1
done
expect_exit 3 cl a#p1 b#p1 --sync
[ "$(state b)" = "$before" ] || fail "target changed"
hsm key list "hsm:$T/b#p1" --pin-file "$CO" --json >"$T/l.json"
json_has '"label":"mine"' "$T/l.json"
grep -q '"k-' "$T/l.json" && fail "an object arrived"

# once the target's PO adds the source's domain, the same clone works
domains add "hsm:$T/b#p1" --label from-a --domain-pin-file "$DOM" --domain-string "$(domstr "$DOM")" --pin-file "$PO" >/dev/null
cl a#p1 b#p1 --json >"$T/ok.json"
json_has '"domain":"default"' "$T/ok.json"
json_has '"written":20' "$T/ok.json"

# the source's audit holds the refusals
hsm audit show "$T/a" --json >"$T/a.audit"
json_has '"event":"clone","result":"fail"' "$T/a.audit"
grep -q "no cloning domain in common" "$T/a.audit" || fail "source audit names the reason"
hsm audit verify "$T/b" >/dev/null
echo "clone-domain-mismatch: ok"
