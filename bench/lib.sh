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

# ratio A B: A/B with 3 decimals.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.3f\n", a / b }'
}

# per_sec COUNT SECONDS
per_sec() {
	awk -v n="$1" -v s="$2" 'BEGIN { if (s == 0) s = 0.001; printf "%.0f\n", n / s }'
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
	hsm partition create "hsm:$1#p" --version "${2:-0}" \
		--pin-file "$W/so" >/dev/null
	hsm partition init "hsm:$1#p" --new-pin-file "$W/po" \
		--domain-pin-file "$W/dom" --domain-string "$(domstr "$W/dom")" >/dev/null
	hsm partition policy set "hsm:$1#p" storage-size 1099511627776 \
		--pin-file "$W/po" >/dev/null
	hsm role init "hsm:$1#p" --role co --pin-file "$W/po" \
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

# bare_run DB: the SQL on stdin run by the sqlite3 shell in a fresh
# database with hsm.db's settings (WAL, synchronous FULL). Prints its
# seconds.
bare_run() {
	rm -f "$1" "$1-wal" "$1-shm"
	{
		printf 'PRAGMA journal_mode = WAL;\nPRAGMA synchronous = FULL;\n'
		cat
	} | /usr/bin/time -f '%e' -o "$1.t" sqlite3 "$1" >/dev/null
	cat "$1.t"
}

# bare_insert DB N ALEN VLEN: the restore floor. A fresh database with the
# object table's shape (the UNIQUE label index, as hsm.db), then N rows of
# ALEN-byte attrs and VLEN-byte values inserted in one transaction by the
# sqlite3 shell. Prints its seconds.
bare_insert() {
	bare_run "$1" <<SQL
CREATE TABLE object (id INTEGER PRIMARY KEY, partition_id INTEGER NOT NULL,
 label TEXT NOT NULL, class INTEGER NOT NULL, key_type INTEGER NOT NULL,
 bits INTEGER NOT NULL, size INTEGER NOT NULL, attrs BLOB NOT NULL,
 value BLOB NOT NULL, created INTEGER NOT NULL,
 UNIQUE (partition_id, label));
BEGIN;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $2)
INSERT INTO object SELECT x, 1, 'k-' || x, 4, 31, 256, $3 + $4,
 randomblob($3), randomblob($4), 0 FROM c;
COMMIT;
SQL
}

# bare_insert_blob DB N BLEN: the V1 floor, as bare_insert for sks.db's
# blob table (its UNIQUE label index and the (serial, id) index), N rows
# of BLEN-byte blobs in one transaction. Prints its seconds.
bare_insert_blob() {
	bare_run "$1" <<SQL
CREATE TABLE blob (id INTEGER PRIMARY KEY, serial INTEGER NOT NULL,
 label TEXT NOT NULL, uid BLOB NOT NULL, class INTEGER NOT NULL,
 key_type INTEGER NOT NULL, bits INTEGER NOT NULL, size INTEGER NOT NULL,
 created INTEGER NOT NULL, blob BLOB NOT NULL, UNIQUE (serial, label));
CREATE INDEX blob_serial_id ON blob (serial, id);
BEGIN;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $2)
INSERT INTO blob SELECT x, 1, 'k-' || x, randomblob(16), 4, 31, 256, $3,
 0, randomblob($3) FROM c;
COMMIT;
SQL
}
