#!/bin/sh
# --quiet (-q) in every tool: a command that succeeds prints its result on
# stdout exactly as without it and nothing on stderr (no notes, no progress);
# a command that fails still says why on stderr with the same exit status.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"

# same_quiet NAME CMD...: CMD and CMD -q exit alike; with -q stdout is the
# same (after the per-run parts are taken out: PIDs in directory names, and
# what SED removes) and stderr is empty on
# success, not empty on failure.
same_quiet() {
	name=$1
	shift
	set +e
	"$@" >"$T/a.out" 2>"$T/a.err"
	ra=$?
	"$@" -q >"$T/b.out" 2>"$T/b.err"
	rb=$?
	set -e
	[ "$ra" -eq "$rb" ] || fail "$name: exit $ra without --quiet, $rb with"
	# Each run writes into its own directory (NAME.PID): not a difference.
	sed -i "s/\.[0-9][0-9]*//g; ${SED:-}" "$T/a.out" "$T/b.out"
	cmp -s "$T/a.out" "$T/b.out" ||
		{ diff "$T/a.out" "$T/b.out" >&2; fail "$name: --quiet changed stdout"; }
	if [ "$ra" -eq 0 ]; then
		[ ! -s "$T/b.err" ] || { cat "$T/b.err" >&2; fail "$name: --quiet left notes on stderr"; }
		[ -n "${NOISY:-}" ] && { [ -s "$T/a.err" ] || fail "$name: no notes to silence"; }
	else
		[ -s "$T/b.err" ] || fail "$name: --quiet silenced the error"
	fi
	NOISY= SED=
	return 0
}

bk_setup h 3
store_init s
P="hsm:$T/h#p1"

# hsm: PED init writes share files and says so; a failure still speaks.
NOISY=1 same_quiet "hsm init --ped" sh -c 'rm -rf "$0/p"; exec hsm init "$0/p" \
	--label q --kdf test --ped --m 1 --n 2 --shares-out "$0/so.$$" "$@"' "$T"
same_quiet "hsm key list (wrong pin)" hsm key list "$P" --pin-file "$BAD"
same_quiet "hsm key list" hsm key list "$P" --pin-file "$CO" --json
# domains: the new domain is the result, on stdout.
SED="/fingerprint\|share set/d" same_quiet "domains create" sh -c 'exec domains create --type ped \
	--m 1 --n 2 --out-dir "$0/dom.$$" "$@"' "$T"
# mofn: split and combine explain themselves.
printf 'a secret to split\n' >"$T/secret"
chmod 600 "$T/secret"
NOISY=1 same_quiet "mofn split" sh -c 'exec mofn split --m 2 --n 3 \
	--secret-file "$0/secret" --out-dir "$0/m.$$" "$@"' "$T"
mofn split --m 2 --n 3 --secret-file "$T/secret" --out-dir "$T/m" 2>/dev/null
NOISY=1 same_quiet "mofn combine" sh -c 'rm -f "$0/c.out"; exec mofn combine \
	"$0/m/share-1-of-3.cshare" "$0/m/share-3-of-3.cshare" --out "$0/c.out" "$@"' "$T"
same_quiet "mofn combine (too few)" mofn combine "$T/m/share-1-of-3.cshare" \
	--out "$T/never"
# backupd: the scheduler's info lines go; the result stays.
cat >"$T/conf" <<CONF
store dir:$T/s
state $T
job j from=$P pin-file=$CO backup-pin-file=$BK kdf=test
CONF
NOISY=1 same_quiet "backupd run --once" backupd run --config "$T/conf" --once
same_quiet "backupd trash" backupd trash "dir:$T/s" --json
# restore: add mode names each object it kept.
name=$(restore list --from "dir:$T/s" --latest)
NOISY=1 same_quiet "restore --add" restore --from "dir:$T/s" --backup "$name" \
	--to "$P" --add --pin-file "$CO" --backup-pin-file "$BK" --json
same_quiet "restore (no store)" restore list --from "dir:$T/none"
# clone and rbs take it too.
same_quiet "clone (same partition)" clone --from "$P" --to "$P" \
	--from-pin-file "$CO" --to-pin-file "$CO"
SED='s/SHA256:.*//' same_quiet "rbs enroll" sh -c 'exec rbs enroll \
	--out "$0/id.$$" --name q "$@"' "$T"
echo "quiet-contract: ok"
