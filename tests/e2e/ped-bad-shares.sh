#!/bin/sh
# Bad share inputs to a PED login: shares of two sets, a duplicate (also a
# `mofn duplicate` copy), a damaged file, a forged share that passes its
# file checksum, a wrong share PIN. Each is a named error, exit 3, refused
# before any login: no failure counted, hsm.db unchanged. With more than M
# shares, a bad one is named and the login goes through.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/ped.sh"
ped_setup h
C1=$T/co/co-1-of-3.cshare
C2=$T/co/co-2-of-3.cshare
C3=$T/co/co-3-of-3.cshare
before=$(state_of h)

# shares of two sets (a CO share and an SO share)
expect_exit 3 hsm role login-check "$P" --role co --share "$C1" --share "$T/so/so-2-of-3.cshare"
grep -q "shares belong to different share sets" "$T/.err" || fail "mixed sets named"
grep -q "input 2: $T/so/so-2-of-3.cshare" "$T/.err" || fail "mixed: files listed"

# the same share twice, by path and as a mofn duplicate
expect_exit 3 hsm role login-check "$P" --role co --share "$C1" --share "$C1"
grep -q "the same share was given twice: inputs 1 and 2 are both share #1" "$T/.err" || fail "dup named"
mofn duplicate "$C2" --out "$T/copy.cshare" 2>/dev/null
expect_exit 3 hsm role login-check "$P" --role co --share "$C2" --share "$T/copy.cshare"
grep -q "given twice" "$T/.err" || fail "mofn duplicate is the same share"
hsm role login-check "$P" --role co --share "$C1" --share "$T/copy.cshare" >/dev/null ||
	fail "a duplicate works in place of the original"
before=$(state_of h)

# a damaged file (four bytes overwritten): named, left out
cp "$C3" "$T/damaged.cshare"
printf 'XXXX' | dd of="$T/damaged.cshare" bs=1 seek=60 conv=notrunc 2>/dev/null
expect_exit 3 hsm role login-check "$P" --role co --share "$C1" --share "$T/damaged.cshare"
grep -q "damaged.cshare: a share is corrupted.*leaving it out" "$T/.err" || fail "damaged named"
grep -q "1 share left out as corrupt; 1 good, the set needs 2" "$T/.err" || fail "damaged: too few"
[ "$(state_of h)" = "$before" ] || fail "bad shares changed hsm.db"
# with a third good share the login goes through, the damaged one named
hsm role login-check "$P" --role co --share "$C1" --share "$T/damaged.cshare" --share "$C2" \
	>/dev/null 2>"$T/err3" || fail "M good shares among M+1"
grep -q "damaged.cshare" "$T/err3" || fail "damaged share named on success"
before=$(state_of h)

# a forged share: y rewritten and the file checksum recomputed, so only
# the set's check value can tell
head -c 90 "$C3" >"$T/body"
printf 'XXXX' | dd of="$T/body" bs=1 seek=50 conv=notrunc 2>/dev/null
{ cat "$T/body"; openssl dgst -sha384 -binary "$T/body" | head -c 32; } >"$T/forged.cshare"
chmod 600 "$T/forged.cshare" # secret files are private, or refused
mofn inspect "$T/forged.cshare" >/dev/null || fail "the forged file passes its checksum"
expect_exit 3 hsm role login-check "$P" --role co --share "$C1" --share "$T/forged.cshare"
grep -q "do not combine to the set's check value" "$T/.err" || fail "forged detected"
[ "$(state_of h)" = "$before" ] || fail "a forged share changed hsm.db"
hsm role login-check "$P" --role co --share "$T/forged.cshare" --share "$C1" --share "$C2" \
	>/dev/null 2>"$T/err4" || fail "forged among M+1"
grep -q "share #3 from $T/forged.cshare is corrupt" "$T/err4" || fail "forged share named"
before=$(state_of h)

# PIN-protected shares: a CU set whose files each have a PIN
pin=$(pinfile pin "cu-share-pin")
badpin=$(pinfile badpin "wrong-pin")
hsm role init "$P" --role cu $(co 1 2) --m 2 --n 2 --shares-out "$T/cu" \
	--new-share-pin-file "$pin" >/dev/null 2>&1
U1=$T/cu/cu-1-of-2.cshare
U2=$T/cu/cu-2-of-2.cshare
mofn inspect "$U1" | grep -q "PIN-protected" || fail "CU share under a PIN"
hsm role login-check "$P" --role cu --share "$U1" --share "$U2" \
	--share-pin-file "$pin" --share-pin-file "$pin" >/dev/null
before=$(state_of h)
expect_exit 3 hsm role login-check "$P" --role cu --share "$U1" --share "$U2" \
	--share-pin-file "$pin" --share-pin-file "$badpin"
grep -q "wrong PIN for share file '$U2'.*no login was attempted" "$T/.err" || fail "wrong PIN named"
# no PIN and no terminal to ask on: a usage error naming the option
expect_exit 2 setsid -w hsm role login-check "$P" --role cu --share "$U1" --share "$U2"
grep -q -- "--share-pin-file" "$T/.err" || fail "no-terminal hint"
# a file that is not a share, and one that does not exist
expect_exit 1 hsm role login-check "$P" --role co --share "$C1" --share "$pin"
grep -q "neither a share file nor a share line" "$T/.err" || fail "not a share"
expect_exit 1 hsm role login-check "$P" --role co --share "$C1" --share "$T/nope"
grep -q "nope" "$T/.err" || fail "missing file named"
[ "$(state_of h)" = "$before" ] || fail "PIN and file errors changed hsm.db"
hsm partition show "$P" --json >"$T/p.json"
json_has '{"role":"co","initialized":true,"failed_logins":0' "$T/p.json"
json_has '{"role":"cu","initialized":true,"failed_logins":0' "$T/p.json"

# a share line on paper (typed into a file) works like the file
mofn duplicate "$C3" --text >"$T/line.txt" 2>/dev/null
chmod 600 "$T/line.txt" # a share line is a secret: private, or refused
hsm role login-check "$P" --role co --share "$T/line.txt" --share "$C1" >/dev/null ||
	fail "share line"
echo "ped-bad-shares: ok"
