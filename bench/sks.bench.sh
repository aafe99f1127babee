#!/bin/sh
# V1 (SKS) partitions at scale: create (`hsm key generate --count N`, one
# transaction, each key sealed into a blob under the SMK), list, clone to a
# V1 partition of another HSM (SMK record, then every blob untouched), SMK
# rollover (every blob opened and re-sealed) and `hsm sks verify` (every
# blob opened): objects per second and peak resident memory of each, with
# the ratio to AES-256-GCM records per second from `openssl speed` at the
# size of one blob's record (about 256 bytes), measured in the same run.
# SKS_BENCH_N sets the object count (default 1000000, about 30 s and 1.5 GB
# of scratch disk on 2 cores; SKS_BENCH_N=100000 for a quick run).
. "$(dirname "$0")/lib.sh"
n=${SKS_BENCH_N:-1000000}
rec=256
gcm_rps=$(gcm_records_per_sec $rec)
echo "openssl aes-256-gcm at $rec B: $gcm_rps records/s"

bench_pins
for h in a b; do
	bench_partition "$W/$h" 1
done
A="hsm:$W/a#p"
B="hsm:$W/b#p"

report() {
	read -r s m <"$W/t"
	ops=$(per_sec "$n" "$s")
	echo "$1 $n: ${s}s, $ops objects/s, peak ${m} KiB," \
		"ratio to openssl records/s $(ratio "$ops" "$gcm_rps")"
}
measure "$W/t" hsm key generate "$A" --type aes --size 256 --label k \
	--count "$n" --pin-file "$W/co"
report "create (generate, V1)"
measure "$W/t" hsm key list "$A" --json --pin-file "$W/co"
report "list (--json)"
measure "$W/t" clone --from "$A" --to "$B" --from-pin-file "$W/co" \
	--to-pin-file "$W/co" --json
report "clone V1 -> V1 (blobs untouched)"
# The rollover's floor: the same rows rewritten with new bytes of the same
# size in one transaction by the sqlite3 shell, on a copy of sks.db.
cp "$W/b/sks.db" "$W/floor.db"
sqlite3 "$W/floor.db" 'PRAGMA journal_mode = WAL;' >/dev/null
measure "$W/t.up" sqlite3 "$W/floor.db" \
	'PRAGMA synchronous = FULL; BEGIN; UPDATE blob SET blob = randomblob(length(blob)); COMMIT;'
read -r ups upm <"$W/t.up"
rm -f "$W/floor.db" "$W/floor.db-wal" "$W/floor.db-shm"
echo "UPDATE of the same $n blob rows in one transaction (sqlite3 shell): ${ups}s"
measure "$W/t" hsm sks rollover "$B" --pin-file "$W/co"
report "SMK rollover (open + re-seal each)"
read -r rs rm <"$W/t"
echo "SMK rollover time ratio to the UPDATE: $(ratio "$rs" "$ups")"
measure "$W/t" hsm sks verify "$B" --pin-file "$W/co"
report "sks verify (open each)"
echo "sks.db for $n objects: $(du -k "$W/a/sks.db" | cut -f1) KiB"
