#!/bin/sh
# hsm audit verify passes on a real log and fails (exit 4) on an edited,
# deleted, reordered or truncated record, and on a record appended by hand.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/helpers/hsm.sh"
hsm_setup h
P="hsm:$T/h#p1"
hsm key generate "$P" --type aes --label k1 --pin-file "$CO" >/dev/null
hsm key generate "$P" --type ec --label k2 --pin-file "$CO" >/dev/null
expect_exit 3 hsm role login-check "$P" --role co --pin-file "$BAD"
hsm audit verify "$T/h" >/dev/null
hsm audit verify "$T/h" --json >"$T/v.json"
json_has '"ok":true' "$T/v.json"
n=$(wc -l <"$T/h/audit.log")
[ "$n" -ge 10 ] || fail "expected a real log, got $n lines"

fresh() {
	rm -rf "$T/c"
	cp -a "$T/h" "$T/c"
}

# edited: a failed login turned into a success
fresh
sed -i 's/"result":"fail"/"result":"ok"/' "$T/c/audit.log"
expect_exit 4 hsm audit verify "$T/c"
grep -q "edited" "$T/.err" || fail "edit is named"

# deleted: the fourth record removed
fresh
sed -i '4d' "$T/c/audit.log"
expect_exit 4 hsm audit verify "$T/c"

# reordered: records 3 and 4 swapped
fresh
sed -n '1,2p' "$T/h/audit.log" >"$T/c/audit.log"
sed -n '4p' "$T/h/audit.log" >>"$T/c/audit.log"
sed -n '3p' "$T/h/audit.log" >>"$T/c/audit.log"
sed -n '5,$p' "$T/h/audit.log" >>"$T/c/audit.log"
expect_exit 4 hsm audit verify "$T/c"

# truncated: the last record dropped
fresh
head -n $((n - 1)) "$T/h/audit.log" >"$T/c/audit.log"
expect_exit 4 hsm audit verify "$T/c"
grep -q "truncated" "$T/.err" || fail "truncation is named"

# truncated mid-line
fresh
head -c -20 "$T/h/audit.log" >"$T/c/audit.log"
expect_exit 4 hsm audit verify "$T/c"

# a forged record appended (copy of the last line)
fresh
tail -n 1 "$T/h/audit.log" >>"$T/c/audit.log"
expect_exit 4 hsm audit verify "$T/c"

# the original still verifies, and --json reports a failure
fresh
sed -i '2d' "$T/c/audit.log"
set +e
hsm audit verify "$T/c" --json >"$T/f.json" 2>/dev/null
set -e
json_has '"ok":false' "$T/f.json"
hsm audit verify "$T/h" >/dev/null
echo "hsm-audit-tamper: ok"
