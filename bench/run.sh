#!/bin/sh
# make bench: runs every bench/*.bench.sh in turn (BENCH=pattern to choose)
# and prints their figures. Copy the figures into bench/RESULTS.md with the
# command line that produced them.
set -eu
cd "$(dirname "$0")"
echo "# coffer bench on $(uname -m), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
for b in ./*.bench.sh; do
	[ -f "$b" ] || continue
	case "$(basename "$b" .bench.sh)" in ${BENCH:-*}) ;; *) continue ;; esac
	echo
	echo "## $(basename "$b" .bench.sh)"
	sh "$b"
done
