#!/bin/sh
# backupd prune --dry-run over stores of 10k and 40k backups (one series
# per label, 8 labels, one backup an hour): the cost per backup must stay
# flat (linear work), where the old per-backup search made it grow with
# the store (40k took 18.5 s). Prune reads names and marks only, so the
# backups here are empty files with backup names.
set -eu
BIN=${COFFER_BIN:-$(cd "$(dirname "$0")/.." && pwd)/bin}
T=$(mktemp -d "${TMPDIR:-/tmp}/coffer-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
run() { # run N: prints seconds for one dry run over N backups
	d=$T/s$1
	"$BIN/backupd" init "dir:$d" --capacity 100000 >/dev/null
	awk -v n="$1" 'BEGIN {
		t = 1700000000
		for (i = 0; i < n; i++) {
			s = strftime("%Y%m%dT%H%M%SZ", t + i * 3600, 1)
			printf "p%d_%s.cbk\n", i % 8, s
		}
	}' | (cd "$d" && xargs touch)
	s=$(date +%s.%N)
	"$BIN/backupd" prune "dir:$d" --keep-daily 7 --dry-run >/dev/null
	e=$(date +%s.%N)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }'
}
t10=$(run 10000)
t40=$(run 40000)
awk -v a="$t10" -v b="$t40" 'BEGIN {
	printf "prune --dry-run, 10k backups: %.2f s (%.1f us/backup)\n", a, a * 100
	printf "prune --dry-run, 40k backups: %.2f s (%.1f us/backup)\n", b, b * 25
	printf "ratio 40k/10k: %.2f (linear: 4, quadratic: 16)\n", b / a
}'
