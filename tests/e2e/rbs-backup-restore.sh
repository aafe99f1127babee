#!/bin/sh
# A backup through rbs over real TLS 1.3 on loopback: backup, list, show,
# verify, verify --deep and restore all name the store rbs://HOST:PORT/STORE;
# restored keys are the same keys (a signature and a ciphertext made before
# the backup still check). The server keeps the same kind of archive as a
# local backup (tar lists its four entries) and never holds a key: known
# key bytes, the passwords and the domain secret appear in none of the
# server's files, its log, nor a core dump of the running server.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"
. "$here/helpers/rbs.sh"

bk_setup h 20
P="hsm:$T/h#p1"
KEY="KNOWN-KEY-BYTES-rbs-0123456789ab"
printf '%s' "$KEY" >"$T/key.bin"
hsm key import "$P" --type aes --label known --in "$T/key.bin" \
	--pin-file "$CO" >/dev/null
echo "made before the backup" >"$T/msg"
hsm key sign "$P" --label sig --in "$T/msg" --out "$T/msg.sig" --pin-file "$CO"
hsm key encrypt "$P" --label known --in "$T/msg" --out "$T/msg.enc" \
	--pin-file "$CO"
labels_of h >"$T/before"

rbs_server srv s
rbs_start srv
rbs_client alice admin s
U=$(rbs_url s)

# First use: the server is unknown, so without its fingerprint: refused.
expect_exit 3 as alice restore list --from "$U"
grep -q "is not known" "$T/.err" || fail "message: unknown server"
grep -q -- "$SFP" "$T/.err" || fail "the server's fingerprint is not shown"
# With it: pinned in known_servers, then used without the option.
as alice backupd backup --from "$P" --to "$U" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test --server-fingerprint "$SFP" \
	>"$T/name"
name=$(cat "$T/name")
grep -q "^127.0.0.1:$PORT $SFP\$" "$T/alice.id/known_servers" ||
	fail "the server was not pinned"
[ -f "$T/s/$name" ] || fail "the backup is not in the server's store"
tar tf "$T/s/$name" | tr '\n' ' ' | grep -q \
	'^manifest.json header.bin records.bin integrity.sha384 $' ||
	fail "the server's archive is not a backup partition"
[ -z "$(ls -A "$T/s/.tmp")" ] || fail "the upload left temporaries"

as alice restore list --from "$U" --json >"$T/list"
json_has "\"name\":\"$name\"" "$T/list"
json_has '"objects":23' "$T/list"
as alice restore show --from "$U" "$name" | grep -q '^objects: *23$' ||
	fail "show does not count 23 objects"
as alice restore verify --from "$U" "$name" >/dev/null
[ -f "$T/s/.verified/$name" ] || fail "verify did not mark on the server"
as alice restore verify --deep --from "$U" "$name" --to "$P" \
	--pin-file "$CO" --backup-pin-file "$BK" >/dev/null

# The partition loses keys; the restore through rbs brings them back.
hsm key delete "$P" --label known --pin-file "$CO" >/dev/null
hsm key delete "$P" --label sig --pin-file "$CO" >/dev/null
as alice restore --from "$U" --backup "$name" --to "$P" --pin-file "$CO" \
	--backup-pin-file "$BK" --replace --json >"$T/rep.json"
json_has '"written":23' "$T/rep.json"
labels_of h >"$T/got"
cmp -s "$T/before" "$T/got" || fail "restore: not the backup's objects"
hsm key verify "$P" --label sig --in "$T/msg" --signature "$T/msg.sig" \
	--pin-file "$CO" >/dev/null || fail "restored key does not verify"
hsm key decrypt "$P" --label known --in "$T/msg.enc" --out "$T/msg.dec" \
	--pin-file "$CO"
cmp -s "$T/msg" "$T/msg.dec" || fail "restored key does not decrypt"

# The store's upkeep through rbs (admin): prune dry run, gc, trash list.
as alice backupd prune "$U" --keep-last 1 --dry-run >/dev/null
as alice backupd gc "$U" >/dev/null
as alice backupd trash "$U" >/dev/null

# Nothing secret on the server: its files, its log, its memory. Under
# AddressSanitizer the process maps terabytes of shadow memory and a core
# dump of it fills the disk (80 GB seen): the memory is checked in the
# normal build only.
asan=0
case "$BIN" in */asan/*) asan=1 ;; esac
if [ "$asan" -eq 0 ] && command -v gcore >/dev/null; then
	gcore -o "$T/core" "$SPID" >/dev/null 2>&1 || fail "gcore failed"
	ls "$T"/core.* >/dev/null || fail "no core dump of the server"
fi
hex=$(od -An -tx1 "$T/key.bin" | tr -d ' \n')
for f in $(find "$T/s" "$T/srv.state" "$T/srv.log" $T/core* -type f); do
	if grep -a -q -F "$KEY" "$f"; then fail "key bytes found in $f"; fi
	if grep -a -q -i -F "$hex" "$f"; then fail "key hex found in $f"; fi
	for p in backup-password-1 co-secret-1 domain-secret-1; do
		if grep -a -q -F "$p" "$f"; then fail "secret $p found in $f"; fi
	done
done
grep -q "client=alice store=s op=COMMIT name=$name outcome=ok" "$T/srv.log" ||
	fail "the server did not log the commit"
rbs_stop
echo "rbs-backup-restore: ok"
