#!/bin/sh
# Runs every unit test binary and every end-to-end script once per build and
# ends with one line "N passed, N failed" over all of them.
# Arguments: NAME:BINDIR:UNITDIR for each build.
# cmocka cases count one each; an e2e script counts as one test.
# TESTS=pattern limits e2e scripts to names matching the shell pattern.
# The builds run side by side; each one's report prints when all are done.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
passed=0
failed=0
failures=""
logdir="$top/build/test-logs"
mkdir -p "$logdir"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

# run_spec NAME:BINDIR:UNITDIR: that build's tests; its last line is
# "PASSED FAILED FAILURES..." for the summary.
run_spec() {
	spec=$1
	passed=0
	failed=0
	failures=""
	name=${spec%%:*}
	rest=${spec#*:}
	bindir=${rest%%:*}
	unitdir=${rest#*:}
	echo "== $name build"
	for t in "$unitdir"/test_*; do
		[ -x "$t" ] || continue
		log="$logdir/$name-$(basename "$t").log"
		"$t" >"$log" 2>&1
		rc=$?
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
		p=${p:-0}
		f=${f:-0}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			f=1 # crashed or sanitizer report
		fi
		passed=$((passed + p))
		failed=$((failed + f))
		if [ "$f" -ne 0 ]; then
			echo "FAIL unit $(basename "$t") ($log)"
			failures="$failures $name/$(basename "$t")"
		else
			echo "ok   unit $(basename "$t") ($p)"
		fi
	done
	for s in "$top"/tests/e2e/*.sh; do
		[ -f "$s" ] || continue
		base=$(basename "$s" .sh)
		[ "$base" = lib ] && continue
		case "$base" in ${TESTS:-*}) ;; *) continue ;; esac
		log="$logdir/$name-e2e-$base.log"
		if COFFER_BIN="$top/$bindir" sh "$s" >"$log" 2>&1 </dev/null; then
			passed=$((passed + 1))
			echo "ok   e2e  $base"
		else
			failed=$((failed + 1))
			failures="$failures $name/e2e/$base"
			echo "FAIL e2e  $base ($log)"
			tail -15 "$log" | sed 's/^/    /'
		fi
	done
	echo "$passed $failed $failures"
}

# Each build runs in its own process, at once: most scenarios wait on
# servers and disks more than they compute, and the two builds share
# nothing but the machine (their own temporaries, logs, ports: rbs listens
# on port 0; each build's Ceph clusters start from their own port range).
i=0
for spec in "$@"; do
	COFFER_CEPH_PORT=$((20000 + i * 4000)) run_spec "$spec" \
		>"$logdir/run-$i.out" 2>&1 &
	i=$((i + 1))
done
wait
i=0
for spec in "$@"; do
	out="$logdir/run-$i.out"
	sed '$d' "$out"
	set -- $(tail -1 "$out")
	passed=$((passed + $1))
	failed=$((failed + $2))
	shift 2
	for f in "$@"; do
		failures="$failures $f"
	done
	i=$((i + 1))
done
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
