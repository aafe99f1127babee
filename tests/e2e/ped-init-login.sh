#!/bin/sh
# A PED HSM with 2-of-3 SO, 3-of-5 PO and 2-of-3 CO share sets: every
# qualifying subset logs in, fewer shares fail with a named error before any
# login (no counter moves), and the HSM takes shares only.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/ped.sh"
ped_setup h

# share files are 0600 and exactly the sets asked for
for f in "$T"/so/* "$T"/po/* "$T"/dom/* "$T"/co/*; do
	[ "$(stat -c %a "$f")" = 600 ] || fail "$f is not 0600"
done
[ "$(ls "$T/so" | wc -l)" = 3 ] && [ "$(ls "$T/po" | wc -l)" = 5 ] &&
	[ "$(ls "$T/dom" | wc -l)" = 3 ] && [ "$(ls "$T/co" | wc -l)" = 3 ] ||
	fail "share counts"
mofn inspect "$T/po/po-4-of-5.cshare" | grep -q "3 of 5" || fail "PO set is 3 of 5"
hsm show "$T/h" --json >"$T/show.json"
json_has '"auth":"ped"' "$T/show.json"

# SO: every 2-subset and the whole set (policy set logs the SO in)
for s in "1 2" "1 3" "2 3" "1 2 3"; do
	hsm policy set "$T/h" so-reset-pin 0 $(so $s) >/dev/null ||
		fail "SO shares $s"
done
# PO: all ten 3-subsets of five, then four and five shares
for s in "1 2 3" "1 2 4" "1 2 5" "1 3 4" "1 3 5" "1 4 5" "2 3 4" "2 3 5" \
    "2 4 5" "3 4 5" "1 2 3 4" "5 4 3 2 1"; do
	hsm role login-check "$P" --role po $(po $s) >/dev/null ||
		fail "PO shares $s"
done
# CO: every 2-subset; it creates a key with one and lists it with another
for s in "1 2" "1 3" "2 3" "3 2 1"; do
	hsm role login-check "$P" --role co $(co $s) >/dev/null ||
		fail "CO shares $s"
done
hsm key generate "$P" --type aes --label k1 $(co 1 3) >/dev/null
hsm key list "$P" $(co 2 3) | grep -q "^k1 " || fail "CO lists its key"

# fewer than M: a named error, exit 3, and nothing in hsm.db changes
before=$(state_of h)
expect_exit 3 hsm policy set "$T/h" so-reset-pin 0 $(so 2)
grep -q "too few shares.*needs 2 of 3" "$T/.err" || fail "SO: too few named"
expect_exit 3 hsm role login-check "$P" --role po $(po 1 5)
grep -q "too few shares.*2 shares given, the set needs 3 of 5" "$T/.err" ||
	fail "PO: too few named"
expect_exit 3 hsm key list "$P" $(co 3)
grep -q "too few shares" "$T/.err" || fail "CO: too few named"
[ "$(state_of h)" = "$before" ] || fail "too few shares changed hsm.db"

# shares of another role's set: refused before the login, nothing counted
# (the HSM knows which set holds each credential: ped-forged-set.sh)
expect_exit 3 hsm role login-check "$P" --role co $(po 1 2 3)
grep -q "not of the share set that holds this credential" "$T/.err" ||
	fail "another role's set is not refused as such"
hsm partition show "$P" --json >"$T/p.json"
json_has '{"role":"co","initialized":true,"failed_logins":0' "$T/p.json"
hsm role login-check "$P" --role co $(co 1 2) >/dev/null
hsm partition show "$P" --json >"$T/p.json"
json_has '{"role":"co","initialized":true,"failed_logins":0' "$T/p.json"

# a PED HSM takes shares only; a password HSM takes no shares
expect_exit 2 hsm role login-check "$P" --role co --pin-file "$T/co/co-1-of-3.cshare"
grep -q "PED HSM: log in with the role's share files" "$T/.err" || fail "PED hint"
pw=$(pinfile pwfile "password-1")
hsm init "$T/pw" --label pw --kdf test --pin-file "$pw" >/dev/null
expect_exit 2 hsm policy set "$T/pw" so-reset-pin 0 $(so 1 2)
grep -q "takes passwords" "$T/.err" || fail "password HSM hint"

# a new set never overwrites share files: nothing written, no HSM made
expect_exit 1 hsm init "$T/h2" --label x --kdf test --ped --m 2 --n 3 --shares-out "$T/so"
grep -q "refusing to overwrite" "$T/.err" || fail "existing share files"
[ ! -e "$T/h2/hsm.db" ] || fail "HSM made although its shares were not"
# M > N and N > 16 are usage errors
expect_exit 2 hsm init "$T/h2" --label x --kdf test --ped --m 3 --n 2 --shares-out "$T/x"
expect_exit 2 hsm init "$T/h2" --label x --kdf test --ped --m 2 --n 17 --shares-out "$T/x"

# a refused partition init takes its new share files back
before=$(state_of h)
expect_exit 1 hsm partition init "$P" --m 2 --n 3 --shares-out "$T/po2" --domain-shares-out "$T/dom2"
grep -q "already initialized" "$T/.err" || fail "second partition init"
[ ! -e "$T/po2" ] && [ ! -e "$T/dom2" ] || fail "share files of a refused init left behind"
[ "$(state_of h)" = "$before" ] || fail "a refused partition init changed hsm.db"

# so-change: a new random SO secret in a new set; the old shares stop
# working (refused as a set the HSM no longer knows, counting nothing)
hsm so-change "$T/h" $(so 1 3) --m 3 --n 4 --shares-out "$T/so2" >/dev/null 2>&1
expect_exit 3 hsm policy set "$T/h" so-reset-pin 0 $(so 1 2)
grep -q "not of the share set that holds this credential" "$T/.err" ||
	fail "old SO shares not refused as a foreign set"
hsm show "$T/h" --json | grep -q '"so_failed_logins":0' ||
	fail "old SO shares counted"
hsm policy set "$T/h" so-reset-pin 0 --share "$T/so2/so-1-of-4.cshare" \
	--share "$T/so2/so-2-of-4.cshare" --share "$T/so2/so-4-of-4.cshare" >/dev/null
hsm show "$T/h" --json >"$T/show.json"
json_has '"so_failed_logins":0' "$T/show.json"

# M = N = 1: unsplit, one share file logs in
hsm init "$T/h1" --label one --kdf test --ped --m 1 --n 1 --shares-out "$T/one" 2>/dev/null >/dev/null
hsm partition create "hsm:$T/h1#a" --share "$T/one/so-1-of-1.cshare" >/dev/null
hsm audit verify "$T/h" >/dev/null
# the SO's shares (of the set the SO changed to) check every MAC
hsm audit verify "$T/h" --share "$T/so2/so-1-of-4.cshare" \
	--share "$T/so2/so-3-of-4.cshare" --share "$T/so2/so-4-of-4.cshare" \
	--json >"$T/v.json"
json_has "\"macs_checked\":$(wc -l <"$T/h/audit.log")," "$T/v.json"
echo "ped-init-login: ok"
