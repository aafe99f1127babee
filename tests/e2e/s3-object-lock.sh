#!/bin/sh
# Immutable backups on S3 Object Lock (a real radosgw): a store made with
# `backupd init --object-lock 1` writes every backup with a retention date.
#   - delete is refused before the date, naming it, and prune keeps what
#     the lock holds instead of failing;
#   - the store's admin, with the bucket owner's own S3 credentials, cannot
#     remove the locked version either: a GOVERNANCE lock gives way only to
#     the explicit bypass header (which needs its own permission), and a
#     COMPLIANCE lock not even to that;
#   - an object without retention (the trash copy's kind) is removable.
# A day is the shortest retention S3 takes, too long for a test, so the
# expiry side is the GOVERNANCE bypass (docs/backup-store.md).
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"
. "$here/helpers/s3.sh"
s3_start s3-object-lock
bk_setup h
P="hsm:$T/h#p1"

bk() {
	backupd backup --from "$P" --to "$1" --pin-file "$CO" \
		--backup-pin-file "$BK" --kdf test
}
# version_of URL: the object's version id, as its admin sees it
version_of() {
	s3c -I "$1" | tr -d '\r' | sed -n 's/^x-amz-version-id: *//Ip'
}

for mode in governance compliance; do
	S=s3://coffer-lock-$mode/site
	backupd init "$S" --object-lock 1 --lock-mode "$mode" >"$T/init"
	M=$(echo "$mode" | tr a-z A-Z)
	grep -q "S3 Object Lock $M 1 days" "$T/init" || fail "init: $(cat "$T/init")"
	old=$(bk "$S")
	sleep 1
	new=$(bk "$S")
	url="$AWS_ENDPOINT_URL/coffer-lock-$mode/site/$old"
	s3c -I "$url" | tr -d '\r' | grep -qi "^x-amz-object-lock-mode: $M" ||
		fail "$old has no $M retention"

	# Coffer refuses, naming the date; nothing changes.
	expect_exit 3 backupd delete "$S" "$old"
	grep -q "under S3 Object Lock ($M) until 20[0-9-]*T" "$T/.err" ||
		{ cat "$T/.err"; fail "delete not refused with the date"; }
	restore list --from "$S" --names >"$T/names"
	grep -qx "$old" "$T/names" || fail "$old is gone after a refused delete"
	# Prune keeps the locked one (not the last good one: the newer is).
	backupd prune "$S" --keep-last 1 >"$T/prune" 2>&1 ||
		{ cat "$T/prune"; fail "prune failed on a locked backup"; }
	restore list --from "$S" --names | grep -qx "$old" ||
		fail "prune removed a locked backup"

	# The admin, with the owner's credentials, is refused too.
	v=$(version_of "$url")
	[ -n "$v" ] || fail "no version id for $old"
	code=$(s3c -o /dev/null -w '%{http_code}' -X DELETE "$url?versionId=$v")
	[ "$code" = 403 ] || fail "$M: the admin removed a locked version ($code)"
	code=$(s3c -o /dev/null -w '%{http_code}' -X DELETE \
		-H "x-amz-bypass-governance-retention: true" "$url?versionId=$v")
	if [ "$mode" = compliance ]; then
		[ "$code" = 403 ] || fail "COMPLIANCE gave way to a bypass ($code)"
		restore list --from "$S" --names | grep -qx "$old" ||
			fail "a COMPLIANCE-locked backup is gone"
	else
		# GOVERNANCE: only the explicit bypass removes it
		[ "$code" = 204 ] || fail "GOVERNANCE bypass refused ($code)"
		! restore list --from "$S" --names | grep -qx "$old" ||
			fail "the bypassed version still lists"
	fi
	restore list --from "$S" --names | grep -qx "$new" || fail "$new is gone"
done

# A plain object in a locked bucket (no retention of its own) goes.
url="$AWS_ENDPOINT_URL/coffer-lock-compliance/site/plain"
printf 'x' | s3c -o /dev/null -X PUT -H "Content-Length: 1" --data-binary @- "$url"
v=$(version_of "$url")
code=$(s3c -o /dev/null -w '%{http_code}' -X DELETE "$url?versionId=$v")
[ "$code" = 204 ] || fail "an unlocked object was not removable ($code)"

# A dir: store cannot promise this: refused at init.
expect_exit 1 backupd init "dir:$T/d" --object-lock 1
grep -q "Object Lock is for s3:// stores" "$T/.err" || fail "dir: lock message"
echo "s3-object-lock: ok"
