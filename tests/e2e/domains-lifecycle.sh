#!/bin/sh
# domains create (password: a domain string with a fresh salt, fingerprint
# and profile, nothing stored; PED: a
# 2-of-3 share set in 0600 files, never overwritten), list, add (PO only,
# at most three, unique labels, a PED domain from M share files), relabel,
# primary, remove (never the last); refusals change nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
. "$(dirname "$0")/helpers/clone.sh"
# create: a domain string and a fingerprint; the partition initialized with
# the string shows the same fingerprint
domains create --kdf test --domain-pin-file "$DOM" --json >"$T/c.json"
fp=$(sed 's/.*"fingerprint":"\([^"]*\)".*/\1/' "$T/c.json")
str=$(sed 's/.*"domain_string":"\([^"]*\)".*/\1/' "$T/c.json")
case $str in CDOM2-test-?????-?????-?????-?????-?????-????) ;;
*) fail "domain string '$str'" ;; esac
echo "$str" >"$DOM.test.str"  # the string part_new joins (helpers/domstr.sh)
hsm_new h
part_new h p1 "$DOM"
P="hsm:$T/h#p1"

domains list "$P" --pin-file "$PO" >"$T/l"
grep -q "(1 of 3)" "$T/l" || fail "one domain"
grep -q "^  default  *password  yes  " "$T/l" || { cat "$T/l"; fail "default row"; }
grep -q "$fp" "$T/l" || fail "create and list disagree on the fingerprint"
domains list "$P" --pin-file "$PO" --json | grep -q "\"domain_string\":\"$str\"" ||
	fail "list shows the domain string"
json_has '"type":"password"' "$T/c.json"
json_has '"kdf":"test"' "$T/c.json"
# the same password again is another domain: a fresh salt, another
# fingerprint (no table of guesses serves two domains)
domains create --kdf test --domain-pin-file "$DOM" --json >"$T/c2.json"
grep -q "$fp" "$T/c2.json" && fail "a second domain of one password has the same fingerprint"
grep -q "$str" "$T/c2.json" && fail "a second domain of one password has the same string"
ls -A "$T" >"$T/files.before"
domains create --kdf test --domain-pin-file "$DOM2" >"$T/c.txt"
grep -q "Nothing was stored" "$T/c.txt" || fail "says nothing is stored"
domains create --kdf interactive --domain-pin-file "$DOM" --json >"$T/ci.json"
grep -q "$fp" "$T/ci.json" && fail "the profile is part of the domain"

# a PED domain: 2-of-3 share files, 0600, never overwritten
domains create --type ped --m 2 --n 3 --out-dir "$T/ped" --json >"$T/p.json"
json_has '"type":"ped"' "$T/p.json"
json_has '"m":2,"n":3' "$T/p.json"
pedfp=$(sed 's/.*"fingerprint":"\([^"]*\)".*/\1/' "$T/p.json")
for i in 1 2 3; do
	[ "$(stat -c %a "$T/ped/domain-$i-of-3.cshare")" = 600 ] || fail "share $i mode"
done
sha256sum "$T"/ped/* >"$T/ped.sum"
expect_exit 1 domains create --type ped --m 2 --n 3 --out-dir "$T/ped"
grep -q "refusing to overwrite" "$T/.err" || fail "overwrite refusal"
sha256sum -c --quiet "$T/ped.sum" || fail "shares were overwritten"
mofn verify "$T/ped/domain-1-of-3.cshare" "$T/ped/domain-3-of-3.cshare" >/dev/null 2>&1 ||
	fail "mofn reads the domain's shares"
expect_exit 2 domains create --type ped --m 3 --n 2 --out-dir "$T/ped2"
expect_exit 2 domains create --type ped --out-dir "$T/ped2"

# add: PED domain from any two shares, as primary
before=$(state h)
expect_exit 3 domains add "$P" --label ped --domain-share "$T/ped/domain-2-of-3.cshare" --pin-file "$PO"
grep -q "too few shares" "$T/.err" || fail "too few shares"
[ "$(state h)" = "$before" ] || fail "a refused add changed the store"
# the PO manages domains: a CO credential is not the PO's
expect_exit 3 domains add "$P" --label ped --domain-pin-file "$DOM2" --domain-string "$(domstr "$DOM2")" --pin-file "$CO"
domains add "$P" --label ped --primary --domain-share "$T/ped/domain-3-of-3.cshare" \
	--domain-share "$T/ped/domain-1-of-3.cshare" --pin-file "$PO" >"$T/a.txt"
grep -q "$pedfp" "$T/a.txt" || fail "add shows the PED fingerprint"
domains add "$P" --label second --domain-pin-file "$DOM2" --domain-string "$(domstr "$DOM2")" --pin-file "$PO" >/dev/null
domains list "$P" --pin-file "$CO" --role co --json >"$T/l.json"
json_has "{\"label\":\"ped\",\"type\":\"ped\",\"primary\":true,\"fingerprint\":\"$pedfp\"" "$T/l.json"
json_has '"label":"default","type":"password","primary":false' "$T/l.json"

# refusals leave the store as it was
before=$(state h)
expect_exit 1 domains add "$P" --label fourth --domain-pin-file "$DOM3" --domain-string "$(domstr "$DOM3")" --pin-file "$PO"
grep -q "already holds 3 domains" "$T/.err" || fail "at most three"
expect_exit 1 domains remove "$P" nope --pin-file "$PO"
expect_exit 2 domains add "$P" --label "a-label-that-is-far-too-long-for-it" --domain-pin-file "$DOM3" --domain-string "$(domstr "$DOM3")" --pin-file "$PO"
expect_exit 2 domains add "$P" --domain-pin-file "$DOM3" --domain-string "$(domstr "$DOM3")" --pin-file "$PO"
expect_exit 2 domains add "$P" --label x --domain-share "$T/ped/domain-1-of-3.cshare" --domain-pin-file "$DOM3" --pin-file "$PO"
[ "$(state h)" = "$before" ] || fail "a refusal changed the store"
domains remove "$P" second --pin-file "$PO" >/dev/null
expect_exit 1 domains add "$P" --label dup --domain-pin-file "$DOM" --domain-string "$(domstr "$DOM")" --pin-file "$PO"
grep -q "already on the partition as 'default'" "$T/.err" || fail "same domain twice"
expect_exit 1 domains add "$P" --label ped --domain-pin-file "$DOM3" --domain-string "$(domstr "$DOM3")" --pin-file "$PO"
grep -q "in use" "$T/.err" || fail "label unique"

# relabel, primary, remove; never the last
domains relabel "$P" default old-pw --pin-file "$PO" >/dev/null
domains primary "$P" old-pw --pin-file "$PO" >/dev/null
domains list "$P" --pin-file "$PO" >"$T/l"
grep -q "^  old-pw  *password  yes" "$T/l" || { cat "$T/l"; fail "relabel/primary"; }
expect_exit 2 domains relabel "$P" old-pw other --role co --pin-file "$CO"
domains remove "$P" old-pw --pin-file "$PO" >/dev/null
domains list "$P" --pin-file "$PO" >"$T/l"
grep -q "^  ped  *ped  *yes" "$T/l" || { cat "$T/l"; fail "the remaining domain is primary"; }
before=$(state h)
expect_exit 3 domains remove "$P" ped --pin-file "$PO"
grep -q "last cloning domain" "$T/.err" || fail "never the last"
# a PED domain whose shares are each under a PIN
domains create --type ped --m 1 --n 2 --out-dir "$T/pinned" --new-share-pin-file "$DOM3" >/dev/null
expect_exit 3 domains add "$P" --label pinned --domain-share "$T/pinned/domain-1-of-2.cshare" \
	--domain-share-pin-file "$DOM2" --pin-file "$PO"
domains add "$P" --label pinned --domain-share "$T/pinned/domain-2-of-2.cshare" \
	--domain-share-pin-file "$DOM3" --pin-file "$PO" >/dev/null
domains remove "$P" pinned --pin-file "$PO" >/dev/null
# a wrong PO credential: refused (and counted)
expect_exit 3 domains list "$P" --pin-file "$BAD"
hsm audit show "$T/h" --json >"$T/audit"
for e in domain-add domain-remove; do
	json_has "\"event\":\"$e\"" "$T/audit"
done
hsm audit verify "$T/h" >/dev/null
echo "domains-lifecycle: ok"
