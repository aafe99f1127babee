#!/bin/sh
# A partition holding three domains clones to three partitions that each
# hold a different one of them (two on another HSM, one on a third), and to
# a partition of its own HSM; the session runs under the domain each target
# shares. A fourth partition holding none of them is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
. "$(dirname "$0")/helpers/clone.sh"
DOM4=$(pinfile dom4 "domain-secret-4")
hsm_new a
part_new a src "$DOM"
domains add "hsm:$T/a#src" --label second --domain-pin-file "$DOM2" --domain-string "$(domstr "$DOM2")" --pin-file "$PO" >/dev/null
domains add "hsm:$T/a#src" --label third --domain-pin-file "$DOM3" --domain-string "$(domstr "$DOM3")" --pin-file "$PO" >/dev/null
domains list "hsm:$T/a#src" --pin-file "$PO" --json >"$T/d.json"
json_has '"label":"third"' "$T/d.json"
hsm key generate "hsm:$T/a#src" --type aes --label k --count 10 --pin-file "$CO" >/dev/null
hsm key generate "hsm:$T/a#src" --type ec --label sig --pin-file "$CO" >/dev/null
printf 'fanout\n' >"$T/msg"
hsm key sign "hsm:$T/a#src" --label sig --in "$T/msg" --out "$T/sig" --pin-file "$CO"

hsm_new b
part_new b x "$DOM"
part_new b y "$DOM2"
hsm_new c
part_new c z "$DOM3"
part_new a w "$DOM2"      # the same HSM as the source
for t in b#x:default b#y:second c#z:third a#w:second; do
	cl a#src "${t%:*}" --json >"$T/r.json"
	json_has "\"domain\":\"${t#*:}\"" "$T/r.json"
	json_has '"written":11' "$T/r.json"
	hsm key verify "hsm:$T/${t%:*}" --label sig --in "$T/msg" --signature "$T/sig" \
		--pin-file "$CO" >/dev/null || fail "signature on ${t%:*}"
done
# on one HSM a refused clone (every label clashes) ends cleanly too: the
# target's transaction is gone before the source logs the refusal
expect_exit 1 cl a#src a#w
grep -q "exists on the target: sig" "$T/.err" || fail "same-HSM clash listed"
hsm audit show "$T/a" --json >"$T/a.audit"
json_has '"event":"clone","result":"fail"' "$T/a.audit"
# the targets' own domains were not changed by the clone
domains list "hsm:$T/c#z" --pin-file "$PO" --json >"$T/z.json"
grep -q '"second"\|"third"' "$T/z.json" && fail "a domain travelled"

# a partition holding none of the three
part_new c none "$DOM4"
before=$(state c)
expect_exit 3 cl a#src c#none
grep -q "no cloning domain in common" "$T/.err" || fail "mismatch message"
[ "$(state c)" = "$before" ] || fail "target changed"
hsm audit verify "$T/a" >/dev/null
echo "clone-fanout: ok"
