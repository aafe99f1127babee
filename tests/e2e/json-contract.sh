#!/bin/sh
# docs/json.md holds: every --json command prints exactly one JSON object on
# stdout, succeeding or failing; "ok" agrees with the exit status; a failure
# carries error{code,exit,message}; serials are strings, times RFC 3339,
# partition_version V0/V1; each command's documented members are there with
# their types. Every command of the table is run both ways.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"
top=$(cd "$here/../.." && pwd)
doc=$top/docs/json.md
command -v jq >/dev/null || fail "jq is missing (scripts/deps.sh installs it)"

# "KEY<TAB>members" rows of the command table.
sed -n '/<!-- json:begin -->/,/<!-- json:end -->/p' "$doc" |
	awk -F'|' 'NF >= 4 && $2 !~ /command|---/ {
		k = $2; gsub(/[` ]+/, " ", k); gsub(/^ | $/, "", k)
		m = $3; gsub(/`/, "", m); gsub(/^ +| +$/, "", m)
		print k "\t" m }' >"$T/spec"
[ -s "$T/spec" ] || fail "no command table in $doc"
: >"$T/ran"

jq_type() { # the jq test for a documented type
	case $1 in
	string) echo 'type == "string"' ;;
	string?) echo 'type == "string" or type == "null"' ;;
	integer) echo 'type == "number" and . == floor' ;;
	boolean) echo 'type == "boolean"' ;;
	array) echo 'type == "array"' ;;
	object) echo 'type == "object"' ;;
	serial) echo 'type == "string" and test("^[0-9]+$")' ;;
	time) echo 'type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")' ;;
	*) fail "docs/json.md: unknown type '$1'" ;;
	esac
}

# check KEY ok|fail CMD...: runs CMD and holds its output to the contract.
check() {
	key=$1 want=$2
	shift 2
	set +e
	"$@" >"$T/j.out" 2>"$T/j.err"
	rc=$?
	set -e
	j=$T/j.out
	[ "$(wc -l <"$j")" -eq 1 ] ||
		{ cat "$j" "$T/j.err" >&2; fail "$key ($want): not one line on stdout"; }
	jq -e 'type == "object"' "$j" >/dev/null ||
		{ cat "$j" >&2; fail "$key ($want): not one JSON object"; }
	if [ "$want" = ok ]; then
		[ "$rc" -eq 0 ] || { cat "$T/j.err" >&2; fail "$key: exit $rc"; }
		jq -e '.ok == true' "$j" >/dev/null || fail "$key: ok is not true"
		members=$(awk -F'\t' -v k="$key" '$1 == k { print $2 }' "$T/spec")
		[ -n "$members" ] || fail "$key is not in the table of $doc"
		for m in $members; do
			n=${m%%:*}
			jq -e --arg n "$n" "has(\$n) and (.[\$n] | $(jq_type "${m#*:}"))" \
				"$j" >/dev/null ||
				{ cat "$j" >&2; fail "$key: member $m"; }
		done
	else
		[ "$rc" -ne 0 ] || fail "$key: the failing case exited 0"
		jq -e --argjson rc "$rc" '.ok == false and
			(.error.code | type == "string" and length > 0) and
			.error.exit == $rc and (.error.message | type == "string")' \
			"$j" >/dev/null || { cat "$j" >&2; fail "$key: error document"; }
	fi
	jq -e '[.. | objects | .serial? | select(. != null) |
		type == "string" and test("^[0-9]+$")] | all' "$j" >/dev/null ||
		fail "$key: a serial that is not a decimal string"
	jq -e '[.. | objects | to_entries[] |
		select(.key | test("^(created|deleted|purge_after|time|verified_at)$")) |
		.value | select(. != null) |
		test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")] | all' \
		"$j" >/dev/null || fail "$key: a time that is not RFC 3339 UTC"
	jq -e '[.. | objects | .partition_version? | select(. != null) |
		. == "V0" or . == "V1"] | all' "$j" >/dev/null ||
		fail "$key: partition_version"
	printf '%s\t%s\n' "$key" "$want" >>"$T/ran"
}

bk_setup h 2
store_init s
P="hsm:$T/h#p1"
NOPE="hsm:$T/nope#p1"
name=$(backup_of h s)
hsm partition create "hsm:$T/h#v1" --pin-file "$SO" --version 1 >/dev/null
hsm partition init "hsm:$T/h#v1" --new-pin-file "$PO" --domain-pin-file "$DOM" --domain-string "$(domstr "$DOM")" >/dev/null
hsm role init "hsm:$T/h#v1" --role co --pin-file "$PO" --new-pin-file "$CO" >/dev/null
V="hsm:$T/h#v1"
mofn split --m 2 --n 3 --random 32 --out-dir "$T/sh" >/dev/null 2>&1
S1=$T/sh/share-1-of-3.cshare
S2=$T/sh/share-2-of-3.cshare

check "hsm show" ok hsm show "$T/h" --json
check "hsm show" fail hsm show "$T/nope" --json
check "hsm policy show" ok hsm policy show "$T/h" --json
check "hsm policy show" fail hsm policy show "$T/nope" --json
check "hsm partition show" ok hsm partition show "$P" --json
check "hsm partition show" fail hsm partition show "hsm:$T/h#none" --json
check "hsm partition list" ok hsm partition list "$T/h" --json
check "hsm partition list" fail hsm partition list "$T/nope" --json
check "hsm partition policy show" ok hsm partition policy show "$P" --json
check "hsm partition policy show" fail hsm partition policy show "$NOPE" --json
check "hsm key list" ok hsm key list "$P" --json --pin-file "$CO"
check "hsm key list" fail hsm key list "$P" --json --pin-file "$BAD"
check "hsm key show" ok hsm key show "$P" --label sig --json --pin-file "$CO"
check "hsm key show" fail hsm key show "$P" --label none --json --pin-file "$CO"
check "hsm audit show" ok hsm audit show "$T/h" --tail 3 --json
check "hsm audit show" fail hsm audit show "$T/nope" --json
check "hsm audit verify" ok hsm audit verify "$T/h" --json
check "hsm audit verify" fail hsm audit verify "$T/nope" --json
check "hsm sks show" ok hsm sks show "$V" --json --pin-file "$CO"
check "hsm sks show" fail hsm sks show "$P" --json --pin-file "$CO"
check "hsm sks verify" ok hsm sks verify "$V" --json --pin-file "$CO"
check "hsm sks verify" fail hsm sks verify "$V" --json --pin-file "$BAD"
check "domains create" ok domains create --kdf test --domain-pin-file "$DOM" --json
check "domains create" fail domains create --kdf nope --domain-pin-file "$DOM" --json
check "domains list" ok domains list "$P" --role po --pin-file "$PO" --json
check "domains list" fail domains list "$P" --role po --pin-file "$BAD" --json
check "mofn inspect" ok mofn inspect --json "$S1"
check "mofn inspect" fail mofn inspect --json "$T/none.cshare"
check "mofn verify" ok mofn verify --json "$S1" "$S2"
check "mofn verify" fail mofn verify --json "$S1"
check "clone" ok clone --from "$P" --to "$V" --from-pin-file "$CO" --to-pin-file "$CO" --json
check "clone" fail clone --from "$P" --to "$V" --from-pin-file "$CO" --to-pin-file "$BAD" --json
check "backupd backup" ok backupd backup --from "$P" --to "dir:$T/s" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test --json
check "backupd backup" fail backupd backup --from "$P" --to "dir:$T/s" --pin-file "$BAD" \
	--backup-pin-file "$BK" --kdf test --json
check "backupd prune" ok backupd prune "dir:$T/s" --keep-last 5 --dry-run --json
check "backupd prune" fail backupd prune "dir:$T/none" --keep-last 1 --json
check "backupd trash" ok backupd trash "dir:$T/s" --json
check "backupd trash" fail backupd trash "dir:$T/none" --json
check "backupd purge" ok backupd purge "dir:$T/s" --json
check "backupd purge" fail backupd purge "dir:$T/none" --json
check "backupd gc" ok backupd gc "dir:$T/s" --json
check "backupd gc" fail backupd gc "dir:$T/none" --json
bhsm_init jb
check "backupd copy" ok backupd copy --from "dir:$T/s" --to "hsm:$T/jb" "$name" --json
check "backupd copy" fail backupd copy --from "dir:$T/s" --to "hsm:$T/jb" "$name" --json
printf 'store dir:%s/s\nstate %s\njob j from=%s pin-file=%s backup-pin-file=%s\n' \
	"$T" "$T" "$P" "$CO" "$BK" >"$T/bd.conf"
check "backupd check" ok backupd check --config "$T/bd.conf" --json
check "backupd check" fail backupd check --config "$T/none.conf" --json
check "restore list" ok restore list --from "dir:$T/s" --json
check "restore list" fail restore list --from "dir:$T/none" --json
check "restore show" ok restore show --from "dir:$T/s" "$name" --json
check "restore show" fail restore show --from "dir:$T/s" "p1_20000101T000000Z.cbk" --json
check "restore verify" ok restore verify --from "dir:$T/s" "$name" --json
check "restore verify" fail restore verify --from "dir:$T/s" "p1_20000101T000000Z.cbk" --json
check "restore verify --all" ok restore verify --from "dir:$T/s" --all --json
check "restore verify --all" fail restore verify --from "dir:$T/none" --all --json
check "restore" ok restore --from "dir:$T/s" --backup "$name" --to "$P" --add \
	--pin-file "$CO" --backup-pin-file "$BK" --json
check "restore" fail restore --from "dir:$T/s" --backup "$name" --to "$P" --add \
	--pin-file "$CO" --backup-pin-file "$BAD" --json
rbs init "$T/rbs.state" >/dev/null
check "rbs client list" ok rbs client list --dir "$T/rbs.state" --json
printf 'garbage\n' >"$T/bad.state"
mkdir "$T/badreg" && printf 'x y z\n' >"$T/badreg/clients"
check "rbs client list" fail rbs client list --dir "$T/badreg" --json

# a usage error with --json is a document too
check "usage" fail hsm partition show --json
# every documented command was run both ways
cut -f1 "$T/spec" | while IFS= read -r k; do
	grep -q "^$k	ok\$" "$T/ran" || fail "'$k' never run succeeding"
	grep -q "^$k	fail\$" "$T/ran" || fail "'$k' never run failing"
done
echo "json-contract: ok ($(wc -l <"$T/ran") runs)"
