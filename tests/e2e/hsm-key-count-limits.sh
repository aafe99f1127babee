#!/bin/sh
# `hsm key generate --count N --first K` never wraps its numbers around
# (issue 11, item 7): K + N - 1 past 2^64-1 is refused with what is wrong,
# and nothing is created; the largest run that fits is made.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"

hsm_setup h
P="hsm:$T/h#p1"
max=18446744073709551615
expect_exit 1 hsm key generate "$P" --type aes --label x --count 10 --first "$max" --pin-file "$CO"
grep -q "runs past the largest number" "$T/.err" || { cat "$T/.err"; fail "message"; }
[ "$(hsm key list "$P" --pin-file "$CO" --json | jq '.objects | length')" -eq 0 ] ||
	fail "a refused run created keys"
hsm key generate "$P" --type aes --label x --count 2 --first $((9223372036854775806)) \
	--pin-file "$CO" >/dev/null
hsm key generate "$P" --type aes --label y --count 1 --first "$max" --pin-file "$CO" >/dev/null
hsm key list "$P" --pin-file "$CO" --json | jq -e --arg m "y-$max" \
	'[.objects[].label] | index($m) != null' >/dev/null || fail "the last number"
echo "hsm-key-count-limits: ok"
