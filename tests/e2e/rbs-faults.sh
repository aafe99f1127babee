#!/bin/sh
# rbs under faults. The client (backupd) and the server (rbs serve, the
# listener and its session process) are each killed with SIGKILL at random
# moments of an upload, several runs each: no partial backup ever lists,
# and the next backup works. Garbage, an oversize frame length, a frame cut
# short, a frame of unknown type, non-TLS bytes and idle connections never
# crash the server nor keep a well-behaved client out.
. "$(dirname "$0")/lib.sh"
. "$here/helpers/hsm.sh"
. "$here/helpers/backup.sh"
. "$here/helpers/rbs.sh"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
rand() { echo $(($(od -An -tu2 -N2 /dev/urandom) % $1)); }
nap() { sleep "$(($1 / 1000)).$(printf '%03d' $(($1 % 1000)))"; }

bk_setup h 20000
P="hsm:$T/h#p1"
rbs_server srv s
rbs_start srv "idle-timeout 2" "max-connections 4"
rbs_client adm admin s
U=$(rbs_url s)
bk() {
	as adm backupd backup --from "$P" --to "$U" --pin-file "$CO" \
		--backup-pin-file "$BK" --kdf test "$@"
}
listed() { as adm restore list --from "$U" --json |
	grep -o '"name":"[^"]*"' | cut -d'"' -f4 | LC_ALL=C sort; }
# Every finished run lists; everything that lists is whole (a run killed
# after the server committed may list without having printed its name);
# the store's top level holds nothing else.
check_store() {
	listed >"$T/listed"
	LC_ALL=C sort "$T/names" | comm -23 - "$T/listed" | grep . &&
		fail "$1: a finished backup does not list"
	while read -r n; do
		as adm restore verify --from "$U" "$n" >/dev/null ||
			fail "$1: $n lists but does not verify"
	done <"$T/listed"
	(cd "$T/s" && ls -A | grep -v -x -e store.conf -e .lock -e .tmp \
		-e .trash -e .verified | LC_ALL=C sort) | cmp -s - "$T/listed" ||
		fail "$1: the store's top level holds more than the listed backups"
}

t0=$(now_ms)
bk --server-fingerprint "$SFP" >"$T/names"
dur=$(($(now_ms) - t0))
sleep 1

# The client killed part way.
i=0
while [ $i -lt 4 ]; do
	i=$((i + 1))
	bk >"$T/out" 2>"$T/err" &
	pid=$!
	ms=$(rand $((dur + 1)))
	nap "$ms"
	kill -9 "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" || rc=$?
	[ $rc -eq 0 ] && cat "$T/out" >>"$T/names"
	echo "client run $i: SIGKILL at $ms ms of ~$dur: exit $rc"
	sleep 1
	check_store "client run $i"
done

# The server killed part way: the listener and its session processes.
i=0
while [ $i -lt 3 ]; do
	i=$((i + 1))
	bk >"$T/out" 2>"$T/err" &
	pid=$!
	ms=$(rand $((dur + 1)))
	nap "$ms"
	for c in $(ps -o pid= --ppid "$SPID"); do kill -9 "$c" 2>/dev/null || true; done
	kill -9 "$SPID" 2>/dev/null || true
	wait "$SPID" 2>/dev/null || true
	rc=0
	wait "$pid" || rc=$?
	[ $rc -eq 0 ] && cat "$T/out" >>"$T/names"
	[ $rc -eq 0 ] || [ $rc -eq 1 ] ||
		{ cat "$T/err"; fail "server run $i: client exit $rc"; }
	echo "server run $i: SIGKILL at $ms ms of ~$dur: client exit $rc"
	sed -i "s/^listen .*/listen 127.0.0.1:$PORT/" "$T/srv.conf"
	rbs_start_again
	sleep 1
	check_store "server run $i"
done
as adm backupd gc "$U" >/dev/null
[ -z "$(ls -A "$T/s/.tmp")" ] || fail "gc left temporaries"
bk >>"$T/names" || fail "the backup after the faults failed"
check_store "after the faults"

# Bad peers. Each is its own connection; the server must stay up.
ID="$T/adm.id"
tls() {
	timeout 10 openssl s_client -quiet -connect "127.0.0.1:$PORT" \
		-cert "$ID/cert.pem" -key "$ID/key.pem" >/dev/null 2>&1 || true
}
head -c 4096 /dev/urandom | tls                          # TLS, garbage inside
printf '\377\377\377\377\001' | tls                      # length over the limit
printf '\000\000\000\144\001\000\001' | tls              # cut short
printf '\000\000\000\001\177' | tls                      # unknown type
printf '\000\000\000\005\001\000\001\000\000' | tls      # HELLO, bad TLV
head -c 4096 /dev/urandom | timeout 10 bash -c \
	"cat >/dev/tcp/127.0.0.1/$PORT" 2>/dev/null || true  # not TLS at all
# Idle connections, as many as max-connections, that never say a word: the
# idle timeout (2 s here) drops them, so a real client still gets in.
for k in 1 2 3 4; do
	timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; sleep 6" \
		2>/dev/null &
	idle="${idle:-} $!"
done
sleep 1
expect_exit 1 as adm restore list --from "$U"
sleep 3
as adm restore list --from "$U" >/dev/null ||
	fail "a client was kept out by idle connections"
for p in $idle; do wait "$p" || true; done
kill -0 "$SPID" || fail "the server died"
grep -q "frame of 4294967295 bytes" "$T/srv.log" || fail "oversize frame not logged"
grep -q "TLS handshake refused" "$T/srv.log" || fail "non-TLS peer not logged"
bk >>"$T/names" || fail "a backup after the bad peers failed"
check_store "after the bad peers"
rbs_stop
echo "rbs-faults: ok"
