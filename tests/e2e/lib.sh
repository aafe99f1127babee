# Sourced by every end-to-end scenario. Gives:
#   $BIN        the built tools (COFFER_BIN, default ../../bin)
#   $T          a fresh scratch directory, removed on exit
#   fail MSG    print and exit 1
#   expect_exit CODE CMD...   run CMD, fail unless it exits CODE
#   pinfile NAME VALUE        write a 0600 secret file, print its path
#   flip FILE OFFSET          xor one byte of FILE with 0x01, in place (a
#                             sure change: writing a constant is a no-op
#                             one time in 256)
#   domstr FILE [PROFILE]     a password domain's string (helpers/domstr.sh)
#   sqlite3 ...               the sqlite3 shell, waiting up to 10 s for a lock
set -eu
here=$(cd "$(dirname "$0")" && pwd)
BIN=${COFFER_BIN:-$here/../../bin}
T=$(mktemp -d "${TMPDIR:-/tmp}/coffer-e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT
export PATH="$BIN:$PATH"
# The scenarios run in seconds under the weak 'test' KDF profile, which the
# tools refuse unless this is set (docs/security.md).
export COFFER_TEST_KDF=1
. "$here/helpers/domstr.sh"

# The sqlite3 shell gives up at once on a lock, and a tool of ours may be
# checkpointing the same file (or another shell opening its WAL index) at
# that moment; a scenario's own peek must wait like the tools do.
sqlite3() {
	command sqlite3 -cmd ".timeout 10000" "$@"
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

expect_exit() {
	want=$1
	shift
	set +e
	"$@" >"$T/.out" 2>"$T/.err"
	got=$?
	set -e
	if [ "$got" -ne "$want" ]; then
		echo "command: $*" >&2
		cat "$T/.out" "$T/.err" >&2
		fail "expected exit $want, got $got"
	fi
}

pinfile() {
	(umask 077 && printf '%s\n' "$2" >"$T/$1")
	echo "$T/$1"
}

flip() {
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059
	printf "$(printf '\\%03o' $((b ^ 1)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# paused NAME CMD...: for race tests, runs CMD in the background (output
# in $T/NAME.out and .err, its pid in $pid), stopped after its login's KDF
# (lib/role.c test_pause) until `go NAME`; returns once it is there, so a
# loaded machine cannot reorder the race.
paused() {
	n=$1
	shift
	mkdir "$T/pause-$n"
	COFFER_TEST_PAUSE_AT=login-after-kdf COFFER_TEST_PAUSE_DIR="$T/pause-$n" \
		"$@" >"$T/$n.out" 2>"$T/$n.err" &
	pid=$!
	i=0
	while [ ! -e "$T/pause-$n/reached" ]; do
		kill -0 "$pid" 2>/dev/null || fail "$n ended before its pause"
		[ $i -lt 1200 ] || fail "$n did not reach its pause"
		sleep 0.1
		i=$((i + 1))
	done
}
go() { : >"$T/pause-$1/go"; }
