#!/bin/sh
# Backups to S3 killed (SIGKILL) at moments spread over their run, with a
# 5 MiB part size so the larger ones go as multipart uploads: no partial
# backup ever lists, every backup that lists verifies, and `backupd gc`
# aborts the uploads killed writers left (one left on purpose, as a writer
# killed between two parts leaves it, so the check never depends on luck).
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"
. "$here/helpers/s3.sh"
s3_start s3-kill
printf 'part-size 5\n' >"$T/s3.conf"
export COFFER_S3_CONFIG="$T/s3.conf"
bk_setup h 30000
P="hsm:$T/h#p1"
S=s3://coffer-kill/site
backupd init "$S" >/dev/null

uploads() {
	s3c "$AWS_ENDPOINT_URL/coffer-kill?prefix=site%2F&uploads=" |
		grep -o '<UploadId>' | wc -l
}

for delay in 0.05 0.1 0.15 0.2 0.3 0.4 0.5 0.7; do
	backupd backup --from "$P" --to "$S" --pin-file "$CO" \
		--backup-pin-file "$BK" --kdf test >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	sleep 1 # a new second: the next backup's name is its own
done
# Whatever lists is whole.
restore list --from "$S" --names >"$T/names"
while read -r n; do
	restore verify --from "$S" "$n" >/dev/null ||
		fail "a killed backup lists but does not verify: $n"
done <"$T/names"
restore list --from "$S" --json >"$T/list"
! grep -q '"error"' "$T/list" || fail "a damaged entry lists"

# An upload a killed writer left between two parts.
s3c -X POST -o "$T/init.xml" \
	"$AWS_ENDPOINT_URL/coffer-kill/site/p1_000000000000_20200101T000000Z.cbk?uploads="
grep -q '<UploadId>' "$T/init.xml" || fail "could not start an upload"
[ "$(uploads)" -ge 1 ] || fail "no unfinished upload to clean"
# gc leaves young uploads alone (a live writer's)...
backupd gc "$S" >/dev/null
[ "$(uploads)" -ge 1 ] || fail "gc aborted a young upload"
# ...and aborts those older than COFFER_S3_UPLOAD_AGE seconds.
sleep 1
COFFER_S3_UPLOAD_AGE=0 backupd gc "$S" >"$T/gc"
[ "$(uploads)" -eq 0 ] || fail "gc left unfinished uploads"
restore list --from "$S" --names | cmp -s - "$T/names" ||
	fail "gc changed the backups"

# And the store still takes a backup, whole.
n=$(backupd backup --from "$P" --to "$S" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test)
restore verify --from "$S" "$n" >/dev/null
echo "s3-kill: ok ($(wc -l <"$T/names") of 8 killed backups had landed)"
