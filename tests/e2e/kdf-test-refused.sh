#!/bin/sh
# The weak 'test' KDF profile is for test suites: without COFFER_TEST_KDF=1
# every tool refuses to make anything new under it (exit 3, naming the
# switch and the profiles to use) and nothing is created or logged in; a
# new domain password or backup password shorter than 10 characters is
# refused, naming the minimum.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

bk_setup h 1
store_init s
P="hsm:$T/h#p1"
prod() { env -u COFFER_TEST_KDF "$@"; }

expect_exit 3 prod hsm init "$T/new" --label n --kdf test --pin-file "$SO"
grep -q "for test suites only (set COFFER_TEST_KDF=1 there); use interactive" \
	"$T/.err" || { cat "$T/.err" >&2; fail "hsm init: message"; }
[ ! -e "$T/new/hsm.db" ] || fail "hsm init made an HSM under the test profile"
expect_exit 3 prod domains create --kdf test --domain-pin-file "$DOM"
expect_exit 3 prod mofn split --m 2 --n 3 --random 32 --text --kdf test
grep -q "'test' KDF profile" "$T/.err" || fail "mofn: message"
audit_before=$(wc -l <"$T/h/audit.log")
expect_exit 3 prod backupd backup --from "$P" --to "dir:$T/s" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test
[ "$(wc -l <"$T/h/audit.log")" -eq "$audit_before" ] ||
	fail "a refused profile cost a login"
printf 'store dir:%s/s\njob j from=%s pin-file=%s backup-pin-file=%s kdf=test\n' \
	"$T" "$P" "$CO" "$BK" >"$T/conf"
expect_exit 1 prod backupd check --config "$T/conf"
# The same commands go through under the switch (the test suite's own).
expect_exit 0 domains create --kdf test --domain-pin-file "$DOM"

# Short passwords for what protects keys outside the HSM.
SHORT=$(pinfile short "tooshort")
expect_exit 3 backupd backup --from "$P" --to "dir:$T/s" --pin-file "$CO" \
	--backup-pin-file "$SHORT" --kdf test
grep -q "a backup partition password must be at least 10 characters (this one has 8)" \
	"$T/.err" || { cat "$T/.err" >&2; fail "backup password: message"; }
[ "$(restore list --from "dir:$T/s" --json | jq '.backups | length')" -eq 0 ] ||
	fail "a backup was made under a short password"
expect_exit 3 domains create --kdf test --domain-pin-file "$SHORT"
grep -q "a cloning domain password must be at least 10 characters" "$T/.err" ||
	fail "domain password: message"
hsm partition create "hsm:$T/h#p2" --pin-file "$SO" >/dev/null
expect_exit 3 hsm partition init "hsm:$T/h#p2" --new-pin-file "$PO" \
	--domain-pin-file "$SHORT" --new-domain
echo "kdf-test-refused: ok"
