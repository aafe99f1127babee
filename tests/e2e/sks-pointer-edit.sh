#!/bin/sh
# sks.db's SMK pointer is authenticated: a rollover dies after writing its
# new SMK's wrap (pending), and the pointer is then edited with sqlite3 to
# name that pending SMK. Believed, settling would make it current and
# destroy the wrap of the SMK every blob is under. Instead the next login
# that opens the SMK is refused (exit 4, the message names the MAC), no
# SMK wrap is gone, and with the pointer put back every key works.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/sks.sh"

sks_hsm h
sks_part h p1 1
P="hsm:$T/h#p1"
hsm key generate "$P" --type aes --label k --count 5 --pin-file "$CO" >/dev/null
expect_exit 137 env COFFER_TEST_CRASH_AT=rollover-pending \
	hsm sks rollover "$P" --pin-file "$CO"
cur=$(sqlite3 "$T/h/hsm.db" "SELECT hex(smk_id) FROM smk WHERE state = 1")
pend=$(sqlite3 "$T/h/hsm.db" "SELECT hex(smk_id) FROM smk WHERE state = 0")
[ ${#cur} = 32 ] && [ ${#pend} = 32 ] || fail "setup: want a current and a pending SMK"
wraps() { sqlite3 "$T/h/hsm.db" "SELECT hex(smk_id), state, hex(wrap) FROM smk ORDER BY gen"; }
wraps >"$T/before"

sqlite3 "$T/h/sks.db" "UPDATE part SET smk_id = X'$pend'"
expect_exit 4 hsm key encrypt "$P" --label k-2 --in "$T/before" \
	--out "$T/ct" --pin-file "$CO"
grep -q "SMK pointer .* fails its MAC" "$T/.err" ||
	{ cat "$T/.err"; fail "the refusal does not name the pointer's MAC"; }
expect_exit 4 hsm sks verify "$P" --pin-file "$CO"
wraps | cmp -s - "$T/before" || fail "a wrap changed on an edited pointer's word"

sqlite3 "$T/h/sks.db" "UPDATE part SET smk_id = X'$cur'"
keys_work "$P" k 5
hsm sks verify "$P" --pin-file "$CO" >/dev/null
hsm audit verify "$T/h" >/dev/null
echo "sks-pointer-edit: ok"
