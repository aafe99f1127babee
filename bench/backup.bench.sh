#!/bin/sh
# backupd backup, restore verify (no secret), restore verify --deep (every
# chunk authenticated, every record decoded) and restore --replace of a V0
# partition of N AES-256 keys: objects per second and peak resident memory
# (/usr/bin/time), beside `tar --zstd -cf` of the same HSM directory timed
# in the same run (the ratio is Coffer's seconds over tar's: what a sealed,
# authenticated, object-by-object backup costs over a raw copy of the
# files). BACKUP_BENCH_SIZES chooses N, BACKUP_BENCH_VERSIONS the partition
# versions (0: V0, objects re-encrypted into the stream; 1: V1, the SMK and
# the SKS blobs as stored). Restore is timed twice, each beside a bare
# insert of its rows in one transaction (bench/lib.sh: hsm.db's object
# table for V0, sks.db's blob table for V1): --replace onto the partition
# it came from (every row deleted, then inserted) and --add into an empty
# partition (inserts only, the floor's own work).
. "$(dirname "$0")/lib.sh"
sizes=${BACKUP_BENCH_SIZES:-"100000 1000000"}

bench_pins
versions=${BACKUP_BENCH_VERSIONS:-"0 1"}
for v in $versions; do
for n in $sizes; do
	echo "-- V$v, $n objects"
	d=$W/h$n
	P="hsm:$d#p"
	bench_partition "$d" "$v"
	hsm key generate "$P" --type aes --size 256 --label k --count "$n" \
		--pin-file "$W/co" >/dev/null
	for db in "$d"/*.db; do
		sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
	done
	backupd init "dir:$W/s$n" >/dev/null

	measure "$W/t.tar" tar --zstd -cf "$W/h$n.tar.zst" -C "$W" "h$n"
	read -r ts tm <"$W/t.tar"
	echo "tar --zstd -cf of the HSM directory ($n objects," \
		"$(du -ck "$d"/*.db | tail -1 | cut -f1) KiB of databases): ${ts}s," \
		"peak ${tm} KiB," \
		"$(($(stat -c %s "$W/h$n.tar.zst") / 1024)) KiB"

	measure "$W/t.bk" backupd backup --from "$P" --to "dir:$W/s$n" \
		--pin-file "$W/co" --backup-pin-file "$W/bk" --kdf test
	read -r bs bm <"$W/t.bk"
	name=$(ls "$W/s$n" | grep '\.cbk$')
	echo "backupd backup $n objects: ${bs}s, $(per_sec "$n" "$bs") objects/s," \
		"peak ${bm} KiB, $(($(stat -c %s "$W/s$n/$name") / 1024)) KiB," \
		"time ratio to tar $(ratio "$bs" "$ts")"

	measure "$W/t.vf" restore verify --from "dir:$W/s$n" "$name"
	read -r vs vm <"$W/t.vf"
	echo "restore verify $n objects: ${vs}s, $(per_sec "$n" "$vs") objects/s," \
		"peak ${vm} KiB, time ratio to tar $(ratio "$vs" "$ts")"

	measure "$W/t.tf" tar --zstd -tf "$W/h$n.tar.zst"
	read -r tfs tfm <"$W/t.tf"
	measure "$W/t.dv" restore verify --deep --from "dir:$W/s$n" "$name" \
		--to "$P" --pin-file "$W/co" --backup-pin-file "$W/bk"
	read -r ds dm <"$W/t.dv"
	echo "restore verify --deep $n objects: ${ds}s, $(per_sec "$n" "$ds")" \
		"objects/s, peak ${dm} KiB, time ratio to tar -cf $(ratio "$ds" "$ts")," \
		"to tar --zstd -tf of the HSM directory's archive (${tfs}s)" \
		"$(ratio "$ds" "$tfs")"

	measure "$W/t.rs" restore --from "dir:$W/s$n" --backup "$name" --to "$P" \
		--replace --pin-file "$W/co" --backup-pin-file "$W/bk"
	read -r rs rm <"$W/t.rs"
	# The floor: the rows this restore wrote, into a fresh table of the
	# same shape (V1: sks.db's blob rows at their real size).
	if [ "$v" = 1 ]; then
		blen=$(sqlite3 "$d/sks.db" \
			'SELECT CAST(avg(length(blob)) AS INTEGER) FROM blob')
		bi=$(bare_insert_blob "$W/bare.db" "$n" "$blen")
		rows="$n SKS blob rows of $blen bytes"
	else
		bi=$(bare_insert "$W/bare.db" "$n" 176 61)
		rows="$n V0-sized rows"
	fi
	echo "restore --replace $n objects: ${rs}s, $(per_sec "$n" "$rs") objects/s," \
		"peak ${rm} KiB, time ratio to tar $(ratio "$rs" "$ts")," \
		"to a bare insert of $rows (${bi}s) $(ratio "$rs" "$bi")"

	# --add into an empty partition: the same inserts as the floor, none
	# of --replace's deletes of the rows already there.
	bench_part_add "$d" e "$v"
	measure "$W/t.ra" restore --from "dir:$W/s$n" --backup "$name" \
		--to "hsm:$d#e" --add --pin-file "$W/co" --backup-pin-file "$W/bk"
	read -r as am <"$W/t.ra"
	echo "restore --add into an empty partition $n objects: ${as}s," \
		"$(per_sec "$n" "$as") objects/s, peak ${am} KiB, time ratio to" \
		"the bare insert $(ratio "$as" "$bi")"
	rm -rf "$d" "$W/s$n" "$W/h$n.tar.zst"
done
done
