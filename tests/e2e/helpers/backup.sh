# Sourced by backup/restore scenarios after lib.sh and helpers/hsm.sh.
#   bk_setup DIR [N]   hsm_setup DIR, then keys 'sig' (EC P-256), 'enc'
#                      (AES-256) and N bulk AES keys 'k-1'.. in p1; pin
#                      file $BK (the backup password)
#   store_init NAME [capacity]   a backup store at $T/NAME
#   bhsm_init NAME [capacity]    a Backup HSM at $T/NAME (SO: $BSO)
#   backup_of DIR STORE          backupd backup of p1, prints the name
#   hsm_state DIR      a digest of DIR's whole hsm.db (every table, the
#                      audit head included) and of its audit.log
#   store_state STORE  a digest of every file in a store (names and bytes)
#   restore_to DIR STORE NAME MODE [...]   restore NAME into p1 of DIR
#   runbook_script FILE  the ```sh blocks of FILE (a runbook), in order, into
#                      $T/runbook.sh
#   dr_proof_make DIR  before a disaster: a reference message signed with
#                      'sig' and encrypted with 'enc' of p1 of DIR, in
#                      $T/proof; p1's labels in $T/before
#   dr_creds           the DR runbook's step 2: credential files in $T/cred
#                      as the holders would write them
#   dr_proved DIR      after it: fail unless p1 of DIR holds $T/before's
#                      labels and the reference signature and ciphertext
#                      check with its keys
#   p2_setup DIR       a second partition p2 in DIR (CO $CO) with one key
#   listed_open URI    fail unless every name in $T/listed verifies in
#                      store URI and opens with p1 of $T/h
#   kill_backups URI RUNS  RUNS backups of p1 of $T/h into store URI, each
#                      killed by SIGKILL at a random moment within $dur ms
#                      and a quarter; what finished is added to $T/names
#   bk_damage_setup    for the damaged-archive scenarios: HSM h with 300
#                      keys backed up into store s as $name ($S bytes; the
#                      integrity entry's data starts at $D), then 'sig'
#                      deleted so a restore would change the target;
#                      $before is the target's state
BK=$(pinfile bk "backup-password-1")

bk_setup() {
	hsm_setup "$1"
	hsm key generate "hsm:$T/$1#p1" --type ec --label sig --pin-file "$CO" \
		>/dev/null
	hsm key generate "hsm:$T/$1#p1" --type aes --label enc --pin-file "$CO" \
		>/dev/null
	if [ "${2:-0}" -gt 0 ]; then
		hsm key generate "hsm:$T/$1#p1" --type aes --label k \
			--count "$2" --pin-file "$CO" >/dev/null
	fi
}

store_init() {
	backupd init "dir:$T/$1" ${2:+--capacity "$2"} >/dev/null
}

BSO=$(pinfile bso "backup-hsm-so-1")

bhsm_init() {
	hsm init "$T/$1" --backup --label "bhsm-$1" --kdf test \
		${2:+--capacity "$2"} --pin-file "$BSO" >/dev/null
}

backup_of() {
	backupd backup --from "hsm:$T/$1#p1" --to "dir:$T/$2" --pin-file "$CO" \
		--backup-pin-file "$BK" --kdf test
}

hsm_state() {
	{ sqlite3 "$T/$1/hsm.db" .dump; cat "$T/$1/audit.log"; } |
		sha256sum | cut -c1-64
}

store_state() {
	(cd "$T/$1" && find . -type f | LC_ALL=C sort | while read -r f; do
		printf '%s %s\n' "$f" "$(sha256sum <"$f" | cut -c1-64)"
	done) | sha256sum | cut -c1-64
}

restore_to() {
	d=$1 s=$2 n=$3 m=$4
	shift 4
	restore --from "dir:$T/$s" --backup "$n" --to "hsm:$T/$d#p1" \
		--pin-file "$CO" --backup-pin-file "$BK" "--$m" "$@"
}

# The labels in p1 of DIR, one per line, sorted.
labels_of() {
	hsm key list "hsm:$T/$1#p1" --pin-file "$CO" --json |
		grep -o '"label":"[^"]*"' | cut -d'"' -f4 | LC_ALL=C sort
}

# cbk_rebuild DIR OUT: archives DIR's manifest.json, header.bin and
# records.bin into OUT as docs/formats.md 7.2/7.4 lay a backup out, with a
# fresh integrity entry: every unkeyed checksum is right again, as an
# attacker who can write the store would make it.
cbk_rebuild() {
	created=$(grep '"created"' "$1/manifest.json" | cut -d'"' -f4)
	head -c 154 /dev/zero >"$1/integrity.sha384"
	(cd "$1" && tar --format=ustar -b1 --owner=0 --group=0 --numeric-owner \
		--mode=0400 --mtime="$created" -cf "$2" manifest.json header.bin \
		records.bin integrity.sha384)
	cbk_reseal "$2"
}

# cbk_reseal OUT: OUT's integrity entry made right for its bytes as they are.
cbk_reseal() {
	D=$(($(stat -c %s "$1") - 1536))
	sha=$(head -c "$D" "$1" | sha384sum | cut -c1-96)
	printf 'coffer-cbk-integrity 1\nbytes %020d\nsha384 %s\n' "$D" "$sha" |
		dd of="$1" bs=1 seek="$D" conv=notrunc 2>/dev/null
}

# manifest_set_records DIR: records.bin's size and SHA-384 in DIR's
# manifest.json made those of DIR/records.bin.
manifest_set_records() {
	size=$(stat -c %s "$1/records.bin")
	sha=$(sha384sum <"$1/records.bin" | cut -c1-96)
	awk -v size="$size" -v sha="$sha" '
		/"records.bin"/ { rec = 1 }
		rec && /"size"/ { sub(/[0-9]+/, size) }
		rec && /"sha384"/ { sub(/"[0-9a-f]+"/, "\"" sha "\""); rec = 0 }
		{ print }' "$1/manifest.json" >"$1/m.tmp"
	mv "$1/m.tmp" "$1/manifest.json"
}

bk_damage_setup() {
	bk_setup h 300
	store_init s
	name=$(backup_of h s)
	S=$(stat -c %s "$T/s/$name")
	D=$((S - 1536))
	hsm key delete "hsm:$T/h#p1" --label sig --pin-file "$CO" >/dev/null
	before=$(hsm_state h)
}

# header_set_byte DIR OFFSET OCTAL: header.bin's byte at OFFSET set to the
# octal value, its trailing SHA-384 checksum and the manifest's hash of it
# made right again (as an attacker who can write the store would); then
# cbk_rebuild DIR OUT makes the archive.
header_set_byte() {
	printf "\\$3" | dd of="$1/header.bin" bs=1 seek="$2" conv=notrunc 2>/dev/null
	hl=$(stat -c %s "$1/header.bin")
	head -c $((hl - 16)) "$1/header.bin" >"$1/h.tmp" # SEALED_CHECK_LEN
	sha384sum <"$1/h.tmp" | cut -c1-32 | sed 's/../& /g' | tr ' ' '\n' |
		while read -r b; do
			if [ -n "$b" ]; then printf "\\$(printf %03o "0x$b")"; fi
		done >>"$1/h.tmp"
	mv "$1/h.tmp" "$1/header.bin"
	hsha=$(sha384sum <"$1/header.bin" | cut -c1-96)
	awk -v sha="$hsha" '/"header.bin"/ { h = 1 }
		h && /"sha384"/ { sub(/"[0-9a-f]+"/, "\"" sha "\""); h = 0 }
		{ print }' "$1/manifest.json" >"$1/m.tmp"
	mv "$1/m.tmp" "$1/manifest.json"
}

dr_proof_make() {
	mkdir -p "$T/proof"
	echo "signed and encrypted before the disaster" >"$T/proof/message"
	hsm key sign "hsm:$T/$1#p1" --label sig --in "$T/proof/message" \
		--out "$T/proof/message.sig" --pin-file "$CO"
	hsm key encrypt "hsm:$T/$1#p1" --label enc --in "$T/proof/message" \
		--out "$T/proof/message.enc" --pin-file "$CO"
	labels_of "$1" >"$T/before"
}

dr_creds() {
	mkdir -m 700 "$T/cred"
	for f in so po co cu dom:domain bk:backup; do
		cp "$T/${f%%:*}" "$T/cred/${f#*:}.pin"
	done
	chmod 600 "$T/cred"/*.pin
}

dr_proved() {
	labels_of "$1" >"$T/after"
	cmp -s "$T/before" "$T/after" || fail "the restored partition differs"
	hsm key verify "hsm:$T/$1#p1" --label sig --in "$T/proof/message" \
		--signature "$T/proof/message.sig" --pin-file "$CO" >/dev/null
	hsm key decrypt "hsm:$T/$1#p1" --label enc --in "$T/proof/message.enc" \
		--out "$T/plain" --pin-file "$CO"
	cmp -s "$T/proof/message" "$T/plain" ||
		fail "the old ciphertext does not decrypt"
}

p2_setup() {
	hsm partition create "hsm:$T/$1#p2" --pin-file "$SO" >/dev/null
	hsm partition init "hsm:$T/$1#p2" --new-pin-file "$PO" \
		--domain-pin-file "$DOM" --domain-string "$(domstr "$DOM")" >/dev/null
	hsm role init "hsm:$T/$1#p2" --role co --pin-file "$PO" \
		--new-pin-file "$CO" >/dev/null
	hsm key generate "hsm:$T/$1#p2" --type aes --label only --pin-file "$CO" \
		>/dev/null
}

listed_open() {
	while read -r lo_name; do
		restore verify --from "$1" "$lo_name" >/dev/null ||
			fail "$lo_name lists but does not verify"
		restore verify --deep --from "$1" "$lo_name" --to "hsm:$T/h#p1" \
			--pin-file "$CO" --backup-pin-file "$BK" >/dev/null ||
			fail "$lo_name lists but does not open"
	done <"$T/listed"
}

kill_backups() {
	kb_i=0
	touch "$T/names"
	LC_ALL=C sort "$T/names" >"$T/names.sorted"
	while [ "$kb_i" -lt "$2" ]; do
		kb_i=$((kb_i + 1))
		kb_n0=$(restore list --from "$1" --names | wc -l)
		# backupd itself, not a subshell around it, gets the signal.
		backupd backup --from "hsm:$T/h#p1" --to "$1" --pin-file "$CO" \
			--backup-pin-file "$BK" --kdf test >"$T/out" 2>"$T/err" &
		kb_pid=$!
		# A moment between the start and a little past the usual end.
		kb_ms=$(($(od -An -tu2 -N2 /dev/urandom) % (dur * 5 / 4 + 1)))
		sleep "$((kb_ms / 1000)).$(printf '%03d' $((kb_ms % 1000)))"
		kill -9 "$kb_pid" 2>/dev/null || true
		kb_rc=0
		wait "$kb_pid" || kb_rc=$?
		if [ "$kb_rc" -eq 0 ]; then
			cat "$T/out" >>"$T/names"
		elif [ "$kb_rc" -ne 137 ]; then
			cat "$T/err" >&2
			fail "run $kb_i: exit $kb_rc, neither done nor killed"
		fi
		kb_n1=$(restore list --from "$1" --names | wc -l)
		echo "run $kb_i: SIGKILL at ${kb_ms} ms of ~${dur}: exit $kb_rc;" \
			"$kb_n1 listed"
		# Killed after the rename: whole, and checked as the finished.
		if [ "$kb_rc" -eq 137 ] && [ "$kb_n1" -gt "$kb_n0" ]; then
			restore list --from "$1" --names | LC_ALL=C sort |
				comm -13 "$T/names.sorted" - >>"$T/names"
		fi
		LC_ALL=C sort "$T/names" >"$T/names.sorted"
		# A new second for the next name when this run got its backup in.
		if [ "$kb_n1" -gt "$kb_n0" ]; then sleep 1; fi
	done
}

runbook_script() {
	awk '/^```sh$/ { on = 1; next } /^```/ { on = 0 } on' "$1" \
		>"$T/runbook.sh"
	[ "$(grep -c . "$T/runbook.sh")" -gt 30 ] ||
		fail "too few commands in $1"
}
