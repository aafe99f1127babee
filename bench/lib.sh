# Sourced by bench/*.bench.sh. Benchmarks print figures and ratios against a
# baseline measured in the same run; they never pass or fail on time.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${COFFER_BIN:-$top/bin}
export PATH="$BIN:$PATH"
export COFFER_TEST_KDF=1 # the 'test' profile: benchmarks measure the rest
. "$top/tests/e2e/helpers/domstr.sh"
W=$(mktemp -d "${TMPDIR:-/tmp}/coffer-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

# openssl_gcm_bps SIZE: AES-256-GCM bytes/second at SIZE-byte records.
openssl_gcm_bps() {
	openssl speed -mr -seconds 1 -bytes "$1" -evp aes-256-gcm 2>/dev/null |
		awk -F: '/^\+F:/ { printf "%.0f\n", $4 }'
}

# measure OUTFILE CMD...: runs CMD, writes "SECONDS PEAK_RSS_KIB" to OUTFILE.
measure() {
	out=$1
	shift
	/usr/bin/time -f '%e %M' -o "$out" "$@" >/dev/null
}

# Rounds: on a shared machine one run of a command can be 30% off the next,
# so the 1M benchmarks run each command ROUNDS times, interleaved with
# their baselines (each round: baseline, Coffer, next), and report medians
# and the largest peak RSS. BENCH_ROUNDS (default 3) chooses ROUNDS.
rounds=${BENCH_ROUNDS:-3}

# timed KEY CMD...: runs CMD once, adds its seconds and peak RSS to KEY's
# record in $W.
timed() {
	key=$1
	shift
	measure "$W/t.one" "$@"
	cat "$W/t.one" >>"$W/$key.runs"
}

# median KEY: the median seconds of KEY's runs, then forgets them unless
# KEEP is set. maxrss KEY: the largest peak RSS (KiB). runs KEY: every
# time, in run order.
median() {
	cut -d' ' -f1 "$W/$1.runs" | sort -n |
		awk '{ v[NR] = $1 } END {
			if (NR % 2) print v[(NR + 1) / 2]
			else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
maxrss() {
	cut -d' ' -f2 "$W/$1.runs" | sort -n | tail -1
}
runs() {
	cut -d' ' -f1 "$W/$1.runs" | tr '\n' ' ' | sed 's/ $//'
}
forget() {
	for k; do rm -f "$W/$k.runs"; done
}

# ratio A B: A/B with 3 decimals.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.3f\n", a / b }'
}

# per_sec COUNT SECONDS
per_sec() {
	awk -v n="$1" -v s="$2" 'BEGIN { if (s == 0) s = 0.001; printf "%.0f\n", n / s }'
}

# figures KEY COUNT: "Ms [runs], N objects/s, peak K KiB" for KEY's runs
# of COUNT objects, the way every bench line starts.
figures() {
	fm=$(median "$1")
	echo "${fm}s [$(runs "$1")], $(per_sec "$2" "$fm") objects/s," \
		"peak $(maxrss "$1") KiB"
}

# gcm_records_per_sec SIZE: AES-256-GCM records/second at SIZE-byte records
# from `openssl speed`, the baseline most benchmarks divide by.
gcm_records_per_sec() {
	awk -v b="$(openssl_gcm_bps "$1")" -v r="$1" \
		'BEGIN { printf "%.0f\n", b / r }'
}

# bench_pins: the credential files $W/so, po, co, dom and bk (0600).
bench_pins() {
	(umask 077 && for f in so po co dom bk; do
		printf 'bench-%s-secret\n' "$f" >"$W/$f"
	done)
}

# bench_partition DIR [VERSION]: an HSM in DIR (test KDF profile: the
# benchmarks measure the data path, not Argon2id) with partition p (V0
# unless VERSION is 1), storage size 1 TiB so a million keys fit, PO and
# CO set from bench_pins' files.
bench_partition() {
	hsm init "$1" --label bench --kdf test --pin-file "$W/so" >/dev/null
	bench_part_add "$1" p "${2:-0}"
}

# bench_part_add DIR LABEL VERSION: one more such partition in DIR's HSM,
# in the same cloning domain.
bench_part_add() {
	hsm partition create "hsm:$1#$2" --version "$3" \
		--pin-file "$W/so" >/dev/null
	hsm partition init "hsm:$1#$2" --new-pin-file "$W/po" \
		--domain-pin-file "$W/dom" --domain-string "$(domstr "$W/dom")" >/dev/null
	hsm partition policy set "hsm:$1#$2" storage-size 1099511627776 \
		--pin-file "$W/po" >/dev/null
	hsm role init "hsm:$1#$2" --role co --pin-file "$W/po" \
		--new-pin-file "$W/co" >/dev/null
}

# bench_keys DIR N: bench_partition DIR (V0) holding N AES-256 keys
# 'k-1'.., its WAL folded into hsm.db so the first reader pays no replay.
bench_keys() {
	bench_partition "$1" 0
	hsm key generate "hsm:$1#p" --type aes --size 256 --label k \
		--count "$2" --pin-file "$W/co" >/dev/null
	sqlite3 "$1/hsm.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
}

# bare_fill DB N SCHEMA INSERT [DELETE]: a fresh DB opened as lib/store.c
# opens hsm.db and sks.db (WAL, synchronous FULL, secure_delete: it costs
# nothing on a fresh file's inserts and is there so the settings are the
# same), SCHEMA run, then N rows (x = 1..N) inserted in one transaction by
# the sqlite3 shell with "INSERT INTO $INSERT FROM c". Prints its seconds.
# With DELETE (the statement Coffer runs to empty a partition), the rows
# are first inserted untimed, and the timed transaction runs DELETE before
# inserting them again: the floor of a --replace over a full partition.
bare_fill() {
	rm -f "$1" "$1-wal" "$1-shm"
	bare_sql="PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA secure_delete = ON;"
	bare_rows="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c
 WHERE x < $2) INSERT INTO $4 FROM c;"
	if [ -n "${5:-}" ]; then
		sqlite3 "$1" >/dev/null <<SQL
$bare_sql
$3
BEGIN;
$bare_rows
COMMIT;
SQL
		set -- "$1" "$2" "" "$4" "$5"
	fi
	/usr/bin/time -f '%e' -o "$1.t" sqlite3 "$1" >/dev/null <<SQL
$bare_sql
$3
BEGIN;
${5:-}
$bare_rows
COMMIT;
SQL
	cat "$1.t"
	rm -f "$1" "$1-wal" "$1-shm" "$1.t"
}

# bare_insert DB N ALEN VLEN [refill]: the V0 restore floor. hsm.db's
# object table (the UNIQUE label index), N rows of ALEN-byte attrs and
# VLEN-byte values; "refill": over the same N rows, deleted by partition as
# hsm_erase_objects_tx deletes them (lib/hsm.c).
bare_insert() {
	bare_fill "$1" "$2" "CREATE TABLE object (id INTEGER PRIMARY KEY,
 partition_id INTEGER NOT NULL, label TEXT NOT NULL, class INTEGER NOT NULL,
 key_type INTEGER NOT NULL, bits INTEGER NOT NULL, size INTEGER NOT NULL,
 attrs BLOB NOT NULL, value BLOB NOT NULL, created INTEGER NOT NULL,
 UNIQUE (partition_id, label));" "object SELECT x, 1, 'k-' || x, 4, 31,
 256, $3 + $4, randomblob($3), randomblob($4), 0" \
	    ${5:+"DELETE FROM object WHERE partition_id = 1;"}
}

# bare_insert_blob DB N BLEN [refill]: the V1 restore floor. sks.db's blob
# table (lib/sks_store.c: the UNIQUE (serial, label) index and
# blob_serial_id), N rows of BLEN-byte blobs with their 16-byte uid and
# clear header; "refill": over the same N rows, deleted as sks_erase_tx
# deletes a partition's blobs when it holds the only ones.
bare_insert_blob() {
	bare_fill "$1" "$2" "CREATE TABLE blob (id INTEGER PRIMARY KEY,
 serial INTEGER NOT NULL, label TEXT NOT NULL, uid BLOB NOT NULL,
 class INTEGER NOT NULL, key_type INTEGER NOT NULL, bits INTEGER NOT NULL,
 size INTEGER NOT NULL, created INTEGER NOT NULL, blob BLOB NOT NULL,
 UNIQUE (serial, label));
CREATE INDEX blob_serial_id ON blob (serial, id);" "blob SELECT x,
 450434363236, 'k-' || x, randomblob(16), 4, 31, 256, $3, 0, randomblob($3)" \
	    ${4:+"DELETE FROM blob;"}
}
