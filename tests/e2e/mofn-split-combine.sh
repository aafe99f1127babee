#!/bin/sh
# mofn: a 3-of-5 split of a given secret; every qualifying subset combines
# to the same bytes; fewer than 3 is refused (exit 3) with a clear message;
# the secret never goes to a terminal or an existing file.
. "$(dirname "$0")/lib.sh"
umask 077 # the secrets and shares this test writes are private, as mofn insists

head -c 48 /dev/urandom >"$T/secret"
mofn split --m 3 --n 5 --secret-file "$T/secret" --out-dir "$T/s" 2>"$T/split.err"
grep -q "any 3 of the 5 shares" "$T/split.err" || fail "split summary missing"
[ "$(ls "$T/s" | wc -l)" -eq 5 ] || fail "expected 5 share files"
for f in "$T"/s/*; do
	[ "$(stat -c %a "$f")" = 600 ] || fail "$f is not mode 0600"
done

# every subset of 3, 4 and 5 shares
n=0
for a in 1 2 3 4 5; do for b in 1 2 3 4 5; do for c in 1 2 3 4 5; do
	[ "$a" -lt "$b" ] && [ "$b" -lt "$c" ] || continue
	rm -f "$T/out"
	mofn combine --out "$T/out" "$T/s/share-$a-of-5.cshare" \
	    "$T/s/share-$b-of-5.cshare" "$T/s/share-$c-of-5.cshare" 2>/dev/null
	cmp -s "$T/secret" "$T/out" || fail "subset $a $b $c gave other bytes"
	[ "$(stat -c %a "$T/out")" = 600 ] || fail "secret file not 0600"
	n=$((n + 1))
done; done; done
[ "$n" -eq 10 ] || fail "tried $n subsets, not 10"
rm -f "$T/out"
mofn combine --out "$T/out" "$T"/s/share-[1245]-of-5.cshare 2>/dev/null
cmp -s "$T/secret" "$T/out" || fail "4 shares gave other bytes"
rm -f "$T/out"
mofn combine --out "$T/out" "$T"/s/*.cshare 2>/dev/null
cmp -s "$T/secret" "$T/out" || fail "5 shares gave other bytes"

# two shares: refused, exit 3, says how many are needed, writes nothing
rm -f "$T/out"
expect_exit 3 mofn combine --out "$T/out" "$T/s/share-1-of-5.cshare" \
    "$T/s/share-4-of-5.cshare"
grep -q "too few shares" "$T/.err" || fail "no 'too few' message"
grep -q "needs 3 of 5" "$T/.err" || fail "threshold not named"
[ ! -e "$T/out" ] || fail "a secret was written from too few shares"

# the secret goes only where asked
expect_exit 2 mofn combine "$T"/s/*.cshare
grep -q -- "--out PATH" "$T/.err" || fail "no hint about --out"
echo keep >"$T/exists"
expect_exit 1 mofn combine --out "$T/exists" "$T"/s/*.cshare
grep -q "refusing to overwrite" "$T/.err" || fail "overwrote a file"
[ "$(cat "$T/exists")" = keep ] || fail "existing file changed"
mofn combine --stdout "$T"/s/share-[123]-of-5.cshare >"$T/piped" 2>/dev/null
cmp -s "$T/secret" "$T/piped" || fail "--stdout gave other bytes"

# verify reveals nothing and passes; 16 of 16 and 1 of 1 work
mofn verify "$T"/s/share-[135]-of-5.cshare >"$T/v"
grep -q "OK" "$T/v" || fail "verify did not say OK"
mofn split --m 16 --n 16 --random 32 --out-dir "$T/big" 2>/dev/null
mofn verify "$T"/big/*.cshare >/dev/null || fail "16 of 16 does not verify"
expect_exit 3 mofn verify "$T"/big/share-1[0-5]-of-16.cshare
mofn split --m 1 --n 1 --secret-file "$T/secret" --out-dir "$T/one" 2>/dev/null
rm -f "$T/out"
mofn combine --out "$T/out" "$T/one/share-1-of-1.cshare" 2>/dev/null
cmp -s "$T/secret" "$T/out" || fail "1 of 1 gave other bytes"

# bad usage, and help for every command
for c in split combine verify inspect duplicate reissue; do
	mofn "$c" --help | grep -q "^usage: mofn $c" || fail "$c --help"
done
expect_exit 2 setsid -w mofn split --m 2 --n 3 --out-dir "$T/x"
grep -q -- "--secret-file" "$T/.err" || fail "no hint without a terminal"
expect_exit 2 mofn split --m 4 --n 3 --random 16 --out-dir "$T/x"
expect_exit 2 mofn split --m 2 --n 17 --random 16 --out-dir "$T/x"
expect_exit 2 mofn split --m 2 --n 3 --random 16
echo "ok"
