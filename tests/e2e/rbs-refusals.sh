#!/bin/sh
# Every refusal of rbs is exit 3 and changes nothing in the server's store:
# an unregistered client, a revoked client, a client on a store it is not
# registered for, a backup (append-only) client deleting, pruning or
# purging, a restore client backing up, and a server whose certificate
# changed (both fingerprints printed). TLS 1.2 is refused at the handshake.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"
. "$here/helpers/rbs.sh"

bk_setup h 3
P="hsm:$T/h#p1"
rbs_server srv s other
rbs_start srv
rbs_client writer backup s
rbs_client reader restore s
rbs_client gone admin s
rbs enroll --out "$T/stranger.id" >/dev/null
U=$(rbs_url s)
for c in writer reader gone stranger; do
	as "$c" restore list --from "$U" --server-fingerprint "$SFP" \
		>/dev/null 2>&1 || true
done
name=$(as writer backupd backup --from "$P" --to "$U" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test)
sleep 1
as writer backupd backup --from "$P" --to "$U" --pin-file "$CO" \
	--backup-pin-file "$BK" --kdf test >/dev/null
rbs client revoke gone --dir "$RBS_STATE" >/dev/null
rbs client list --dir "$RBS_STATE" --json | grep -q \
	'"name":"gone".*"revoked":true' || fail "revoke not listed"
before=$(store_state s)
unchanged() {
	[ "$(store_state s)" = "$before" ] || fail "$1 changed the store"
}

expect_exit 3 as stranger restore list --from "$U"
grep -q "not registered" "$T/.err" || fail "message: unregistered"
expect_exit 3 as gone backupd delete "$U" "$name"
grep -q "revoked" "$T/.err" || fail "message: revoked"
unchanged "a revoked client"
expect_exit 3 as writer restore list --from "$(rbs_url other)"
grep -q "may not use store 'other'" "$T/.err" || fail "message: wrong store"
expect_exit 3 as writer restore list --from "$(rbs_url nosuch)"

# Append-only: a backup client cannot remove anything.
expect_exit 3 as writer backupd delete "$U" "$name"
grep -q "append-only" "$T/.err" || fail "message: append-only"
unchanged "a backup client's delete"
expect_exit 3 as writer backupd prune "$U" --keep-last 1
unchanged "a backup client's prune"
expect_exit 3 as writer backupd purge "$U"
unchanged "a backup client's purge"
expect_exit 3 as writer backupd gc "$U"
# A restore client reads but never writes.
as reader restore verify --from "$U" "$name" >/dev/null
before=$(store_state s)
expect_exit 3 as reader backupd backup --from "$P" --to "$U" \
	--pin-file "$CO" --backup-pin-file "$BK" --kdf test
unchanged "a restore client's backup"
expect_exit 3 as reader backupd delete "$U" "$name"
unchanged "a restore client's delete"
grep -q "op=TRASH name=$name outcome=refused" "$T/srv.log" ||
	fail "the server did not log the refusal"

# TLS 1.2 and older: no handshake.
if echo | openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 \
	>"$T/s12.out" 2>&1; then
	grep -q "Protocol  *: TLSv1.2" "$T/s12.out" &&
		fail "the server accepted TLS 1.2"
fi
grep -q -i "alert protocol version\|no protocols available\|handshake failure\|wrong version" \
	"$T/s12.out" || { cat "$T/s12.out"; fail "TLS 1.2 not refused"; }

# The server re-keyed on the same address: the pin refuses it.
rbs_stop
mv "$T/srv.state" "$T/old.state"
rbs init "$T/srv.state" >"$T/new.init"
NFP=$(sed -n 's/^server fingerprint: //p' "$T/new.init")
cp "$T/old.state/clients" "$T/srv.state/clients"
sed -i "s/^listen .*/listen 127.0.0.1:$PORT/" "$T/srv.conf"
rbs serve --config "$T/srv.conf" --log stderr 2>"$T/srv2.log" &
SPID=$!
i=0
until grep -q listening "$T/srv2.log"; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "the re-keyed server did not start"
	sleep 0.05
done
before=$(store_state s)
expect_exit 3 as writer backupd backup --from "$P" --to "$U" \
	--pin-file "$CO" --backup-pin-file "$BK" --kdf test
grep -q "CHANGED" "$T/.err" || fail "message: changed fingerprint"
grep -q -- "$SFP" "$T/.err" && grep -q -- "$NFP" "$T/.err" ||
	fail "both fingerprints are not printed"
unchanged "a changed server"
# Not even a HELLO reached the server.
grep -q "op=" "$T/srv2.log" && fail "the client talked to a changed server"
rbs_stop
echo "rbs-refusals: ok"
