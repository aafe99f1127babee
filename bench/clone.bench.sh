#!/bin/sh
# Clone throughput: `clone` of N AES-256 keys between two HSM directories
# that share a domain (V0: source read and decrypt, transfer protocol,
# target re-encrypt and insert in one transaction; V1: the SMK record and
# the blobs as stored, each checked on the target), objects per second and
# peak resident memory, then a --sync pass over the same N (every object
# already there: compared, nothing written) and its speed-up over the
# clone. The floors measured in the same run: AES-256-GCM records per
# second from `openssl speed` at 256 bytes (one AES-256 key's record), and
# a bare insert of N rows of the target table's shape in one transaction
# by the sqlite3 shell (bare_insert, bare_insert_blob in lib.sh), the most
# any clone could hope for. CLONE_BENCH_SIZES chooses N (1000000 takes
# about a minute a version and 1 GB of scratch disk), CLONE_BENCH_VERSIONS
# the partition versions (default "0"; "0 1" for both). Every figure is
# the median of BENCH_ROUNDS rounds (lib.sh), the runs in brackets.
. "$(dirname "$0")/lib.sh"
sizes=${CLONE_BENCH_SIZES:-"10000 100000"}
versions=${CLONE_BENCH_VERSIONS:-0}
rec=256
gcm_rps=$(gcm_records_per_sec $rec)
echo "openssl aes-256-gcm at $rec B: $gcm_rps records/s"

bench_pins
for v in $versions; do
for n in $sizes; do
	bench_partition "$W/a$n" "$v"
	hsm key generate "hsm:$W/a$n#p" --type aes --size 256 --label k \
		--count "$n" --pin-file "$W/co" >/dev/null
	for db in "$W/a$n"/*.db; do # no WAL replay for the first reader
		sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
	done
	r=0
	while [ "$r" -lt "$rounds" ]; do
		r=$((r + 1))
		if [ "$v" = 1 ]; then
			echo "$(bare_insert_blob "$W/bare.db" "$n" 314) 0"
		else
			echo "$(bare_insert "$W/bare.db" "$n" 176 61) 0"
		fi >>"$W/floor.runs"
		rm -rf "$W/b$n"
		bench_partition "$W/b$n" "$v"
		timed clone clone --from "hsm:$W/a$n#p" --to "hsm:$W/b$n#p" \
			--from-pin-file "$W/co" --to-pin-file "$W/co" --json
		timed sync clone --from "hsm:$W/a$n#p" --to "hsm:$W/b$n#p" \
			--from-pin-file "$W/co" --to-pin-file "$W/co" --sync \
			--json
	done
	floor=$(median floor) cs=$(median clone) ss=$(median sync)
	cps=$(per_sec "$n" "$cs")
	echo "medians of $rounds rounds (each: bare insert, clone, sync)"
	echo "clone V$v $n AES-256 keys: $(figures clone "$n")," \
		"ratio to openssl records/s" \
		"$(ratio "$cps" "$gcm_rps"), time ratio to a bare insert of $n" \
		"rows (${floor}s [$(runs floor)]) $(ratio "$cs" "$floor")"
	sps=$(per_sec "$n" "$ss")
	echo "sync V$v $n (all present): $(figures sync "$n")," \
		"ratio to openssl records/s" \
		"$(ratio "$sps" "$gcm_rps"), speed-up over clone $(ratio "$cs" "$ss")"
	forget floor clone sync
	rm -rf "$W/a$n" "$W/b$n"
done
done
