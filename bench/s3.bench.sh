#!/bin/sh
# The s3:// store on a real radosgw (scripts/ceph-dev.sh, one node,
# memstore) beside a dir: store in the same run:
#   - backupd backup and restore --replace of a V0 partition of N AES-256
#     keys to and from each store: seconds, peak RSS, and the S3/dir ratio;
#   - restore list over L backups (server-side copies of one backup under
#     L names), to see how listing grows;
#   - 50 concurrent backupd backup processes from 10 HSMs into one bucket:
#     total backups and bytes per second.
# S3_BENCH_SIZES (default "100000"), S3_BENCH_LISTS (default "100 1000").
. "$(dirname "$0")/lib.sh"
sizes=${S3_BENCH_SIZES:-"100000"}
lists=${S3_BENCH_LISTS:-"100 1000"}
ceph=$top/scripts/ceph-dev.sh
trap 'bash "$ceph" stop "$W/ceph" >/dev/null 2>&1; rm -rf "$W"' EXIT
if ! bash "$ceph" start "$W/ceph" >"$W/ceph.out" 2>&1; then
	echo "skipped: $(tail -1 "$W/ceph.out")"
	exit 0
fi
. "$W/ceph/s3.env"
s3c() {
	curl -sS --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
		-u "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256:UNSIGNED-PAYLOAD" "$@"
}
bench_pins

for n in $sizes; do
	echo "-- V0, $n objects"
	d=$W/h$n
	P="hsm:$d#p"
	bench_partition "$d" 0
	hsm key generate "$P" --type aes --size 256 --label k --count "$n" \
		--pin-file "$W/co" >/dev/null
	sqlite3 "$d/hsm.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
	for st in "dir:$W/s$n" "s3://coffer-bench/s$n"; do
		kind=${st%%:*}
		backupd init "$st" >/dev/null
		measure "$W/t.bk.$kind" sh -c "backupd backup --from '$P' \
			--to '$st' --pin-file '$W/co' --backup-pin-file '$W/bk' \
			--kdf test >'$W/name.$kind'"
		measure "$W/t.rs.$kind" restore --from "$st" \
			--backup "$(cat "$W/name.$kind")" --to "$P" \
			--pin-file "$W/co" --backup-pin-file "$W/bk" --replace
	done
	for op in bk rs; do
		read -r ds dm <"$W/t.$op.dir"
		read -r ss sm <"$W/t.$op.s3"
		what=backup
		[ $op = rs ] && what="restore --replace"
		echo "$what $n objects: dir: ${ds}s (peak ${dm} KiB)," \
			"s3: ${ss}s (peak ${sm} KiB), ratio s3/dir $(ratio "$ss" "$ds")"
	done
done

# Listing: L copies of one small backup under L names.
d=$W/hl
bench_partition "$d" 0
backupd init "s3://coffer-bench/list" >/dev/null
one=$(backupd backup --from "hsm:$d#p" --to "s3://coffer-bench/list" \
	--pin-file "$W/co" --backup-pin-file "$W/bk" --kdf test)
have=1
series=${one%_*}
for l in $lists; do
	# one curl, 16 requests in flight: the copies, not process starts
	perl -MPOSIX=strftime -e 'for ($ARGV[0] .. $ARGV[1] - 1) {
		printf "url = \"%s/coffer-bench/list/%s_%s.cbk\"\n" .
		    "output = \"/dev/null\"\n", $ARGV[2], $ARGV[3],
		    strftime("%Y%m%dT%H%M%SZ", gmtime(1500000000 + $_)) }' \
		"$have" "$l" "$AWS_ENDPOINT_URL" "$series" >"$W/copies.cfg"
	[ -s "$W/copies.cfg" ] && s3c -Z --parallel-max 16 -X PUT \
		-H "x-amz-copy-source: /coffer-bench/list/$one" -K "$W/copies.cfg" \
		>"$W/copies.log" 2>&1
	have=$l
	measure "$W/t.list" sh -c "restore list --from s3://coffer-bench/list \
		--names >'$W/names'"
	read -r ls lm <"$W/t.list"
	echo "restore list over $(wc -l <"$W/names") backups: ${ls}s," \
		"$(per_sec "$(wc -l <"$W/names")" "$ls") backups/s, peak ${lm} KiB"
done

# 50 writers from 10 HSMs at once.
i=0
while [ $i -lt 10 ]; do
	bench_partition "$W/w$i" 0
	hsm key generate "hsm:$W/w$i#p" --type aes --size 256 --label k \
		--count 1000 --pin-file "$W/co" >/dev/null
	i=$((i + 1))
done
backupd init "s3://coffer-bench/fleet" --capacity 1000 >/dev/null
start=$(date +%s.%N)
pids=
i=0
while [ $i -lt 10 ]; do
	for j in 1 2 3 4 5; do
		backupd backup --from "hsm:$W/w$i#p" --to s3://coffer-bench/fleet \
			--pin-file "$W/co" --backup-pin-file "$W/bk" --kdf test \
			>/dev/null &
		pids="$pids $!"
	done
	i=$((i + 1))
done
ok=0
for p in $pids; do
	wait "$p" && ok=$((ok + 1))
done
end=$(date +%s.%N)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
bytes=$(s3c "$AWS_ENDPOINT_URL/coffer-bench?list-type=2&prefix=fleet%2F" |
	grep -o '<Size>[0-9]*</Size>' | tr -dc '0-9\n' | awk '{ s += $1 } END { print s + 0 }')
echo "50 concurrent writers (10 HSMs x 5, 1002 objects each): $ok landed" \
	"in ${secs}s, $(per_sec "$ok" "$secs") backups/s," \
	"$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.1f", b / s / 1048576 }') MiB/s"
