#!/bin/sh
# radosgw stopped under Coffer: a backup and a restore started during the
# outage, and ones caught by it part way, end with a clear error (exit 1,
# naming the endpoint and what to check); no partial backup lists; the
# restore's target partition is exactly as it was; once radosgw is back,
# the same commands succeed.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"
. "$here/helpers/s3.sh"
s3_start s3-outage
bk_setup h 30000
P="hsm:$T/h#p1"
S=s3://coffer-outage/site
backupd init "$S" >/dev/null
bk() {
	backupd backup --from "$P" --to "$S" --pin-file "$CO" \
		--backup-pin-file "$BK" --kdf test
}
first=$(bk)
sleep 1

# Down before the backup starts.
rgw_stop
expect_exit 1 bk
grep -q "S3 endpoint $AWS_ENDPOINT_URL: .*check that the service is up" \
	"$T/.err" || { cat "$T/.err"; fail "backup: no clear outage message"; }
# ...and before a restore: the target is untouched.
hsm key delete "$P" --label sig --pin-file "$CO" >/dev/null
before=$(hsm_state h)
expect_exit 1 restore --from "$S" --backup "$first" --to "$P" \
	--pin-file "$CO" --backup-pin-file "$BK" --add
grep -q "check that the service is up" "$T/.err" ||
	{ cat "$T/.err"; fail "restore: no clear outage message"; }
[ "$(hsm_state h)" = "$before" ] || fail "a failed restore changed the target"
rgw_start

# Down part way: radosgw stopped while the commands run.
for what in backup restore; do
	before=$(hsm_state h)
	if [ $what = backup ]; then
		bk >"$T/mid.out" 2>"$T/mid.err" &
	else
		restore --from "$S" --backup "$first" --to "$P" --pin-file "$CO" \
			--backup-pin-file "$BK" --add >"$T/mid.out" 2>"$T/mid.err" &
	fi
	pid=$!
	sleep 0.3
	rgw_stop
	set +e
	wait "$pid"
	rc=$?
	set -e
	if [ $rc -ne 0 ]; then
		[ $rc -eq 1 ] || { cat "$T/mid.err"; fail "$what: exit $rc, not 1"; }
		grep -q "S3 endpoint\|$AWS_ENDPOINT_URL" "$T/mid.err" ||
			{ cat "$T/mid.err"; fail "$what: the error does not name S3"; }
		[ $what = backup ] || [ "$(hsm_state h)" = "$before" ] ||
			fail "a restore cut off by the outage changed the target"
	fi
	rgw_start
	sleep 1
done

# Back: nothing partial lists, and both commands succeed.
restore list --from "$S" --names >"$T/names"
while read -r n; do
	restore verify --from "$S" "$n" >/dev/null || fail "$n lists but is partial"
done <"$T/names"
n=$(bk)
restore verify --from "$S" "$n" >/dev/null
restore --from "$S" --backup "$n" --to "$P" --pin-file "$CO" \
	--backup-pin-file "$BK" --add >/dev/null
hsm key list "$P" --pin-file "$CO" | grep -q "^sig " ||
	fail "the restore after the outage did not bring sig back"
echo "s3-outage: ok"
