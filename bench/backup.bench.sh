#!/bin/sh
# backupd backup, restore verify (no secret), restore verify --deep (every
# chunk authenticated, every record decoded) and restore --replace of a V0
# partition of N AES-256 keys: objects per second and peak resident memory
# (/usr/bin/time), beside `tar --zstd -cf` of the same HSM directory timed
# in the same run (the ratio is Coffer's seconds over tar's: what a sealed,
# authenticated, object-by-object backup costs over a raw copy of the
# files). BACKUP_BENCH_SIZES chooses N, BACKUP_BENCH_VERSIONS the partition
# versions (0: V0, objects re-encrypted into the stream; 1: V1, the SMK and
# the SKS blobs as stored). Restore is timed three times beside a bare
# insert of its rows in one transaction (bench/lib.sh: hsm.db's object
# table for V0, sks.db's blob table for V1): --replace and --add into an
# empty partition (inserts only, the floor's own work; what a restore onto
# a zeroized HSM does), and --replace onto the partition it came from
# (every row deleted, then inserted), also beside a bare delete and insert
# of the same rows. Every figure is the median of BENCH_ROUNDS rounds
# (lib.sh), the runs listed in brackets.
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
	# The floor: the rows a restore writes, into a fresh table of the
	# same shape (V1: sks.db's blob rows at their real size).
	if [ "$v" = 1 ]; then
		blen=$(sqlite3 "$d/sks.db" \
			'SELECT CAST(avg(length(blob)) AS INTEGER) FROM blob')
		rows="$n SKS blob rows of $blen bytes"
	else
		rows="$n V0-sized rows"
	fi
	# bare KEY [refill]: the floor into KEY's runs (lib.sh bare_insert).
	bare() {
		if [ "$v" = 1 ]; then
			echo "$(bare_insert_blob "$W/bare.db" "$n" "$blen" ${2:-}) 0"
		else
			echo "$(bare_insert "$W/bare.db" "$n" 176 61 ${2:-}) 0"
		fi >>"$W/$1.runs"
	}
	r=0
	while [ "$r" -lt "$rounds" ]; do
		r=$((r + 1))
		rm -f "$W/h$n.tar.zst"
		timed tar tar --zstd -cf "$W/h$n.tar.zst" -C "$W" "h$n"
		rm -rf "$W/s$n"
		backupd init "dir:$W/s$n" >/dev/null
		timed bk backupd backup --from "$P" --to "dir:$W/s$n" \
			--pin-file "$W/co" --backup-pin-file "$W/bk" --kdf test
		name=$(ls "$W/s$n" | grep '\.cbk$')
		timed vf restore verify --from "dir:$W/s$n" "$name"
		timed tf tar --zstd -tf "$W/h$n.tar.zst"
		timed sh sha384sum "$W/s$n/$name"
		timed dv restore verify --deep --from "dir:$W/s$n" "$name" \
			--to "$P" --pin-file "$W/co" --backup-pin-file "$W/bk"
		bare bi
		# --replace and --add into an empty partition (a zeroized
		# HSM's new partition): the floor's own work.
		bench_part_add "$d" e "$v"
		timed re restore --from "dir:$W/s$n" --backup "$name" \
			--to "hsm:$d#e" --replace --pin-file "$W/co" \
			--backup-pin-file "$W/bk"
		hsm partition delete "hsm:$d#e" --pin-file "$W/so" >/dev/null
		bench_part_add "$d" e "$v"
		timed ra restore --from "dir:$W/s$n" --backup "$name" \
			--to "hsm:$d#e" --add --pin-file "$W/co" \
			--backup-pin-file "$W/bk"
		hsm partition delete "hsm:$d#e" --pin-file "$W/so" >/dev/null
		# --replace onto the partition it came from: every row
		# deleted, then inserted; its floor deletes and inserts too.
		bare br refill
		timed rs restore --from "dir:$W/s$n" --backup "$name" \
			--to "$P" --replace --pin-file "$W/co" \
			--backup-pin-file "$W/bk"
	done
	ts=$(median tar) bs=$(median bk) vs=$(median vf) tfs=$(median tf)
	ds=$(median dv) bi=$(median bi) rs=$(median rs) as=$(median ra)
	es=$(median re) br=$(median br)
	echo "medians of $rounds rounds (each: tar, backup, verify, tar -tf," \
		"verify --deep, bare insert, --replace and --add into an" \
		"empty partition, bare delete and insert, --replace over the" \
		"full one)"
	echo "tar --zstd -cf of the HSM directory ($n objects," \
		"$(du -ck "$d"/*.db | tail -1 | cut -f1) KiB of databases): ${ts}s" \
		"[$(runs tar)], peak $(maxrss tar) KiB," \
		"$(($(stat -c %s "$W/h$n.tar.zst") / 1024)) KiB"
	echo "backupd backup $n objects: $(figures bk "$n")," \
		"$(($(stat -c %s "$W/s$n/$name") / 1024)) KiB," \
		"time ratio to tar $(ratio "$bs" "$ts")"
	echo "restore verify $n objects: $(figures vf "$n")," \
		"time ratio to tar $(ratio "$vs" "$ts")"
	echo "restore verify --deep $n objects: $(figures dv "$n")," \
		"time ratio to tar -cf $(ratio "$ds" "$ts"), to tar --zstd -tf" \
		"of the HSM directory's archive (${tfs}s [$(runs tf)])" \
		"$(ratio "$ds" "$tfs")"
	# What a deep check cannot skip: the three SHA-384 passes the format
	# promises (the whole file, records.bin, every chunk) and, for V1, a
	# GCM open of each blob; spread over this machine's cores.
	hs=$(median sh)
	if [ "$v" = 1 ]; then
		gcm=$(awk -v n="$n" -v r="$(gcm_records_per_sec "$blen")" \
			'BEGIN { printf "%.3f", n / r }')
	else
		gcm=0
	fi
	dfloor=$(awk -v h="$hs" -v g="$gcm" -v c="$(nproc)" \
		'BEGIN { printf "%.3f", (3 * h + g) / c }')
	echo "the deep check's floor: 3 x sha384sum of the archive" \
		"(${hs}s [$(runs sh)]) + $n AES-256-GCM blob opens (${gcm}s," \
		"openssl speed), over $(nproc) cores: ${dfloor}s; verify --deep's" \
		"time ratio to it $(ratio "$ds" "$dfloor")"
	echo "restore --replace into an empty partition $n objects:" \
		"$(figures re "$n"), time ratio to tar $(ratio "$es" "$ts")," \
		"to a bare insert of $rows (${bi}s [$(runs bi)]) $(ratio "$es" "$bi")"
	echo "restore --add into an empty partition $n objects:" \
		"$(figures ra "$n"), time ratio to the bare insert" \
		"$(ratio "$as" "$bi")"
	echo "restore --replace over the full partition $n objects:" \
		"$(figures rs "$n"), time ratio to the bare insert" \
		"$(ratio "$rs" "$bi"), to a bare delete and insert of the same" \
		"rows (${br}s [$(runs br)]) $(ratio "$rs" "$br")"
	forget tar bk vf tf dv sh bi rs ra re br
	rm -rf "$d" "$W/s$n" "$W/h$n.tar.zst"
done
done
