# Sourced by s3-*.sh after lib.sh: a real one-node Ceph cluster with radosgw
# on loopback (scripts/ceph-dev.sh), stopped when the scenario exits.
#   s3_start NAME       starts it in $T/ceph and exports its endpoint and
#                       credentials (AWS_*); skips the scenario (exit 0,
#                       saying why) when this machine cannot run Ceph
#   s3c ARGS...         curl signing as the store's S3 user (SigV4), for
#                       looking at the bucket the way its admin would:
#                       s3c -X DELETE "$AWS_ENDPOINT_URL/BUCKET/KEY"
#                       (curl 7.88 signs the query as written: give its
#                       parameters sorted by name, each with '=')
#   rgw_stop, rgw_start stop or restart radosgw alone (an outage)
CEPH_DEV=$here/../../scripts/ceph-dev.sh

s3_start() {
	trap 'bash "$CEPH_DEV" stop "$T/ceph" >/dev/null 2>&1 || true; rm -rf "$T"' EXIT
	set +e
	bash "$CEPH_DEV" start "$T/ceph" >"$T/ceph.out" 2>&1
	rc=$?
	set -e
	if [ $rc -eq 77 ]; then
		echo "$1: skipped: $(tail -1 "$T/ceph.out")"
		exit 0
	fi
	[ $rc -eq 0 ] || { cat "$T/ceph.out" >&2; fail "Ceph did not start"; }
	. "$T/ceph/s3.env"
}

s3c() {
	curl -sS --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
		-u "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256:UNSIGNED-PAYLOAD" "$@"
}

rgw_stop() {
	bash "$CEPH_DEV" rgw-stop "$T/ceph"
}

rgw_start() {
	bash "$CEPH_DEV" rgw-start "$T/ceph" >/dev/null
}
