# Sourced by bench/*.bench.sh. Benchmarks print figures and ratios against a
# baseline measured in the same run; they never pass or fail on time.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${COFFER_BIN:-$top/bin}
export PATH="$BIN:$PATH"
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
