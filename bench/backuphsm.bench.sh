#!/bin/sh
# Backup and restore of a V0 partition of N AES-256 keys to an emulated
# Backup HSM (hsm:DIR, hsm init --backup) beside the same to a dir: store,
# in the same run and from the same partition: seconds, objects per second,
# peak resident memory (/usr/bin/time) and size on disk (du of the store
# directory, or of the whole Backup HSM directory: hsm.db, audit.log and
# the backup partitions). The ratio is the Backup HSM's seconds over the
# dir: store's: what the HSM's audit chain and checks cost. BHSM_BENCH_SIZES
# chooses N (default 100000; add 1000000 for the million).
. "$(dirname "$0")/lib.sh"
sizes=${BHSM_BENCH_SIZES:-100000}

bench_pins
for n in $sizes; do
	echo "-- V0, $n objects"
	d=$W/h$n
	P="hsm:$d#p"
	bench_partition "$d" 0
	hsm key generate "$P" --type aes --size 256 --label k --count "$n" \
		--pin-file "$W/co" >/dev/null
	sqlite3 "$d/hsm.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
	backupd init "dir:$W/s$n" >/dev/null
	hsm init "$W/b$n" --backup --label bench-bhsm --kdf test \
		--pin-file "$W/so" >/dev/null
	for kind in dir hsm; do
		if [ "$kind" = dir ]; then
			U="dir:$W/s$n" area=$W/s$n top=$W/s$n
		else
			U="hsm:$W/b$n" area=$W/b$n/backup top=$W/b$n
		fi
		measure "$W/t.bk.$kind" backupd backup --from "$P" --to "$U" \
			--pin-file "$W/co" --backup-pin-file "$W/bk" --kdf test
		read -r bs bm <"$W/t.bk.$kind"
		name=$(ls "$area" | grep '\.cbk$')
		echo "$kind: backupd backup $n objects: ${bs}s," \
			"$(per_sec "$n" "$bs") objects/s, peak ${bm} KiB," \
			"backup $(($(stat -c %s "$area/$name") / 1024)) KiB," \
			"on disk $(du -sk "$top" | cut -f1) KiB"
		measure "$W/t.rs.$kind" restore --from "$U" --backup "$name" \
			--to "$P" --replace --pin-file "$W/co" \
			--backup-pin-file "$W/bk"
		read -r rs rm <"$W/t.rs.$kind"
		echo "$kind: restore --replace $n objects: ${rs}s," \
			"$(per_sec "$n" "$rs") objects/s, peak ${rm} KiB"
		eval "b_$kind=$bs r_$kind=$rs"
	done
	# shellcheck disable=SC2154
	echo "hsm/dir time ratio: backup $(ratio "$b_hsm" "$b_dir")," \
		"restore $(ratio "$r_hsm" "$r_dir")"
	rm -rf "$d" "$W/s$n" "$W/b$n"
done
