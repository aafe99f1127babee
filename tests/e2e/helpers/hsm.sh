# Sourced by hsm-*.sh scenarios after lib.sh: builds a test HSM.
#   hsm_setup DIR       HSM "e2e" in $T/DIR (test KDF), partition p1 with
#                       PO/CO/CU; pin files $SO $PO $CO $CU $DOM
#                       (HSM_E2E_VERSION=1: p1 is a V1 partition)
#   json_has TEXT FILE  fail unless FILE contains TEXT
#   db_hold DB          another process keeps the SQLite file DB open,
#                       idle, as a long-running one would (so the WAL is
#                       not folded back when a command exits); db_release
#   nowhere DB HEX WHAT fail if HEX is in DB, DB-wal or DB-shm
SO=$(pinfile so "so-secret-1")
PO=$(pinfile po "po-secret-1")
CO=$(pinfile co "co-secret-1")
CU=$(pinfile cu "cu-secret-1")
DOM=$(pinfile dom "domain-secret-1")
BAD=$(pinfile bad "not-the-secret")

hsm_setup() {
	hsm init "$T/$1" --label e2e --kdf test ${2:-} --pin-file "$SO" >/dev/null
	hsm partition create "hsm:$T/$1#p1" --pin-file "$SO" \
		--version "${HSM_E2E_VERSION:-0}" >/dev/null
	hsm partition init "hsm:$T/$1#p1" --new-pin-file "$PO" \
		--domain-pin-file "$DOM" --domain-string "$(domstr "$DOM")" >/dev/null
	hsm role init "hsm:$T/$1#p1" --role co --pin-file "$PO" \
		--new-pin-file "$CO" >/dev/null
	hsm role init "hsm:$T/$1#p1" --role cu --pin-file "$CO" \
		--new-pin-file "$CU" >/dev/null
}

json_has() {
	grep -q -F -- "$1" "$2" || { cat "$2" >&2; fail "expected '$1' in $2"; }
}

db_hold() {
	mkfifo "$T/.hold"
	sqlite3 "$1" <"$T/.hold" >/dev/null &
	exec 9>"$T/.hold"
	echo "SELECT count(*) FROM sqlite_master;" >&9
}

db_release() {
	exec 9>&-
	wait
}

nowhere() {
	for f in "$1" "$1-wal" "$1-shm"; do
		[ -f "$f" ] || continue
		if od -An -v -tx1 "$f" | tr -d ' \n' | grep -qi "$2"; then
			fail "$3: the old wrap is still in $(basename "$f")"
		fi
	done
}
